/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sweep --resume FILE: where a sweep's walk stands, written atomically (a temporary file,
 * fsync, rename) so that a crash or kill -9 leaves the last checkpoint whole, with what makes
 * it belong to one sweep: the seed, the shard, the probes per target and the target set's
 * digest. masscan's paused.conf is the model.
 */
#ifndef ECHOMAP_TARGETS_RESUME_H
#define ECHOMAP_TARGETS_RESUME_H

#include <stdbool.h>
#include <linux/types.h>

#include "targets/permute.h"
#include "targets/targets.h"

struct resume_state {
	__u64 seed;
	__u32 shards, shard, probes;
	__u64 targets, digest;	/* the set: count and targets_digest() */
	struct permutation pm;	/* what is still to send */
	bool complete;		/* the sweep ended, its results written */
};

/* FNV-1a over the set's intervals: equal for equal sets, whatever their spelling. */
__u64 targets_digest(const struct target_set *ts);
/* 0; -ENOENT when there is no file; -EINVAL after one line when it is not a resume state. */
int resume_read(const char *path, struct resume_state *st);
/* 0 or -errno after one line; the previous state stays whole on failure. */
int resume_write(const char *path, const struct resume_state *st);

#endif
