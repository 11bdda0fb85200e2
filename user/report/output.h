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
};

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
