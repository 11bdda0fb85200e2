/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zmap-style permutation of [0, n): walk the cyclic group Z_p* (p the smallest prime above n)
 * by a generator g from a start element, both drawn from the seed; element x stands for index
 * x - 1, and elements above n are skipped. Shards cut the walk of all p - 1 elements into
 * contiguous disjoint slices, so their union is [0, n) for the same seed on every machine.
 */
#ifndef ECHOMAP_TARGETS_PERMUTE_H
#define ECHOMAP_TARGETS_PERMUTE_H

#include <stdbool.h>
#include <linux/types.h>

struct permutation {
	__u64 n, p, g;
	__u64 cur;   /* next group element */
	__u64 left;  /* group elements left in this shard */
};

/*
 * 1 <= n <= 2^32, shard < shards. seed 0 draws a random seed, which only one shard can use:
 * with shards > 1 it is refused (-EINVAL), since every machine would walk a different order.
 * 0 or a negative errno.
 */
int perm_init(struct permutation *pm, __u64 n, __u64 seed, __u32 shards, __u32 shard);
/* The next index of this shard; false when the shard is exhausted. */
bool perm_next(struct permutation *pm, __u64 *index);
/*
 * Part `part` of `parts` contiguous pieces of what is left of pm's walk, for parallel senders:
 * the pieces are disjoint and together yield exactly what pm would.
 */
void perm_split(const struct permutation *pm, __u32 parts, __u32 part, struct permutation *out);
/* An upper bound of the indices this shard still yields, for progress and ETA. */
__u64 perm_shard_size_hint(const struct permutation *pm);

#endif
