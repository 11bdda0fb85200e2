/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --metadata FILE: what a measurement needs to be described and repeated, as one JSON object
 * (zmap's --metadata-file is the model), written atomically at the end of a sweep.
 */
#ifndef ECHOMAP_REPORT_METADATA_H
#define ECHOMAP_REPORT_METADATA_H

#include <stdbool.h>
#include <time.h>
#include <linux/types.h>

#include "targets/targets.h"

struct run_meta {
	const char *version, *commit, *engine, *ifname, *blocklist;
	bool allow_reserved, stream, interrupted;
	__u64 seed;
	__u32 shards, shard, probes_per_target;
	const struct target_set *ts;
	__u64 rate_asked;	/* probes/s, 0 = unlimited */
	double rate_achieved;	/* probes/s over the sending phase */
	struct timespec start, end; /* CLOCK_REALTIME */
	__u64 probes, resent, replies, alive, dups, invalid, lost, drops;
	__u64 written, spilled; /* results written out (lines or rows); rows to --spill */
};

/* 0 or -errno after one line; nothing is left at path on failure. */
int metadata_write(const char *path, const struct run_meta *m);

#endif
