/* SPDX-License-Identifier: GPL-2.0 */
/* Result records in text, CSV or JSON lines, to stdout or atomically to a file. */
#ifndef ECHOMAP_REPORT_OUTPUT_H
#define ECHOMAP_REPORT_OUTPUT_H

#include <stdio.h>
#include <linux/types.h>

#include "config.h"

struct ch_writer;

struct out_sink {
	FILE *f;
	struct ch_writer *ch; /* -o clickhouse://...: rows go there, f is unused */
	enum out_fmt fmt;
	const char *path; /* NULL: stdout */
	char *tmp_path; /* renamed to path on commit; NULL when path is written in place */
	__u64 results; /* lines or rows given; once committed, written */
	__u64 spilled; /* of them, rows that went to ClickHouse's --spill file instead */
};

/*
 * One target's line. status, rtt_ns, ttl, from and icmp_type/code are those of its echo reply
 * if it had one, else of its latest ICMP error; the error fields keep that error beside an echo
 * reply (the reply policy, include/echomap_abi.h).
 */
struct host_result {
	__u32 addr; /* network order */
	const char *name;
	__u32 rtt_ns;
	__u32 from; /* network order */
	__u32 replies;
	__u32 dups;
	__u8 ttl;
	__u8 status; /* enum em_status; EM_ST_NONE = timeout */
	__u8 icmp_type;
	__u8 icmp_code;
	__u32 errors; /* ICMP errors; 0: the err_* fields say nothing */
	__u32 err_from; /* network order */
	__u8 err_status;
	__u8 err_type;
	__u8 err_code;
	/*
	 * An IPv6 target: addr6, from6 and err_from6 stand for addr, from and err_from. The
	 * matcher keeps one IPv6 source per target (the first echo reply's, else the latest
	 * error's): an error beside an echo reply has no router address (err_from6_known false).
	 */
	bool v6;
	bool err_from6_known;
	__u8 addr6[16], from6[16], err_from6[16];
};

struct em_result;
struct em_addr6;
/* A result slot's line for target addr (network order); the name is left to the caller. */
void host_result_of_slot(struct host_result *r, __u32 addr, const volatile struct em_result *slot);
/* The same for an IPv6 target, with its slot's IPv6 source (from6_addrs). */
void host_result_of_slot6(struct host_result *r, const __u8 addr6[16],
			  const volatile struct em_result *slot,
			  const volatile struct em_addr6 *from6);

/* Opens a temporary file next to path (or stdout); 0 or -errno after one pr_warn line. */
int out_open(struct out_sink *o, const char *path, enum out_fmt fmt);
/* sweep's -o clickhouse://HOST:PORT/DB.TABLE (report/clickhouse.h); 0 or -errno. */
int out_open_clickhouse(struct out_sink *o, const struct config *cfg);
void out_result(struct out_sink *o, const struct host_result *r);
/* The fields of a JSON line (saddr ... from), without the braces, for writers that add some. */
void out_json_fields(FILE *f, const struct host_result *r);
/* Flushes and renames the temporary file into place; 0 or -errno. */
int out_commit(struct out_sink *o);
/* Drops the temporary file: a failed run leaves nothing behind. */
void out_abort(struct out_sink *o);

const char *status_name(__u8 status);

#endif
