/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmap-style permutation of [0, n): walk the cyclic group Z_p* (p the smallest prime above n)
 * by a random generator from a random start; elements above n are skipped. Shards cut the
 * walk into contiguous disjoint slices.
 */
#ifndef ECHOMAP_PERMUTE_H
#define ECHOMAP_PERMUTE_H

#include <stdbool.h>
#include <linux/types.h>

struct permutation {
	__u64 n, p, g;
	__u64 cur;  /* next group element */
	__u64 left; /* group elements left in this shard */
};

/* seed 0 draws a random seed. 0 or -errno. */
int perm_init(struct permutation *pm, __u64 n, __u64 seed, __u32 shards, __u32 shard);
bool perm_next(struct permutation *pm, __u64 *index);
/* An upper bound of the indices this shard still yields. */
__u64 perm_shard_size_hint(const struct permutation *pm);

#endif
