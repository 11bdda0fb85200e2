/* SPDX-License-Identifier: GPL-2.0 */
/* One configuration struct for every subcommand, filled by cli.c. */
#ifndef ECHOMAP_CONFIG_H
#define ECHOMAP_CONFIG_H

#include <stdbool.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "map/map.h"
#include "targets/expand6.h"

/* fping's exit codes */
enum em_exit {
	EXIT_ALL_UP = 0,
	EXIT_SOME_DOWN = 1,
	EXIT_UNRESOLVED = 2,
	EXIT_USAGE = 3,
	EXIT_SYSTEM = 4,
};

enum em_cmd { CMD_SWEEP, CMD_PING, CMD_WATCH, CMD_MAP, CMD_TRACE };
enum out_fmt { FMT_TEXT, FMT_CSV, FMT_JSON };
enum xdp_mode { XDPM_AUTO, XDPM_NATIVE, XDPM_GENERIC };
enum engine_kind { ENGINE_AFXDP, ENGINE_RAW, ENGINE_XDP_LIVE, ENGINE_AUTO };

#define PAYLOAD_MAX 1472 /* ICMP data bytes that fit a 1500-byte MTU */
#define SOURCES_MAX 256	 /* -S FIRST-LAST: addresses at most */

struct config {
	enum em_cmd cmd;
	/* common */
	const char *ifname;
	__u32 source;		 /* -S: the first source address (network order), or 0 */
	unsigned int n_sources;	 /* -S FIRST-LAST: addresses from source on; 0 without -S */
	unsigned int ttl;
	unsigned int size; /* ICMP data bytes, >= EM_PAYLOAD_LEN */
	enum out_fmt fmt;
	const char *output;
	bool quiet;
	enum xdp_mode xdp_mode;
	enum engine_kind engine;
	unsigned int threads; /* transmit threads (xdp-live), 0 = one per queue */
	__u64 seed;
	/* targets */
	char **targets;
	int n_targets;
	const char *blocklist;
	const char *allowlist;
	bool allow_reserved;
	bool all_addresses;
	int family; /* -4: AF_INET, -6: AF_INET6, else AF_UNSPEC (names of both families) */
	struct iid iid; /* --iid: the addresses of ADDR/LEN-MAX (its seed is --seed's) */
	/* sweep */
	__u64 rate; /* probes per second, 0 = unlimited */
	unsigned int probes;
	unsigned int wait_ms;
	unsigned int resend; /* passes over the unanswered after local drops */
	unsigned int shards, shard;
	bool all;
	bool stream;		/* results as they arrive (forced above the slot limit) */
	bool repeats;		/* streaming: repeat replies printed too */
	const char *metadata;	/* --metadata FILE or NULL */
	const char *resume;	/* --resume FILE or NULL */
	/* sweep -o clickhouse://... */
	bool create_table;
	__u64 run_id; /* 0: random */
	unsigned int batch_rows;
	unsigned int retry_s;
	const char *spill; /* where rows go once the server is given up, or NULL */
	/* ping */
	unsigned int count; /* 0 = until interrupted */
	unsigned int period_ms;
	unsigned int timeout_ms;
	/* watch (also rate, probes, timeout_ms) */
	unsigned int every_s;	/* a round every this many seconds */
	int aggregate;		/* prefix length of a series, -1: one series per target */
	int aggregate6;		/* the same for IPv6 targets (0..127, -1) */
	const char *buckets;	/* exported histogram bounds (s, comma-separated) or NULL */
	const char *listen;	/* --listen as given, or NULL: no HTTP server */
	const char *web_config;	/* --web.config.file: TLS and basic auth (conf/web_config.h) */
	struct sockaddr_storage listen_addr;
	socklen_t listen_len;
	const char *snapshot_dir;
	unsigned int keep;	/* snapshots kept, 0 = all */
	const char *config_file; /* --config: groups of targets (conf/watch_file.h), or NULL */
	const char *group_opt;	/* an option given that a group of the file sets, or NULL */
	bool any_source;	/* a group sends from an address of its own: replies to any count */
	/* trace (also rate, wait_ms, seed, shards) */
	unsigned int min_ttl, max_ttl;
	unsigned int flows;	/* flow ids per target */
	bool paths;		/* one reconstructed path per target and flow */
	bool stop_early;	/* skip TTLs beyond where a target answered */
	const char *vantage;	/* the vantage label of every series, or NULL */
	/* map: RESULTS is targets[0] */
	__u32 map_net; /* host order; default 0.0.0.0/0 */
	unsigned int map_len;
	bool map6;	    /* --prefix is IPv6: map_net6/map_len */
	__u8 map_net6[16];
	unsigned int map_size; /* longer side of the map in pixels */
	enum map_fmt map_fmt;
	const char *title;
	const char *where;	/* map from ClickHouse: the rows' SQL condition, or NULL */
};

/* Returns 0, 1 when help was printed, or -EINVAL after one line on stderr. */
int cli_parse(int argc, char **argv, struct config *cfg);

#endif
