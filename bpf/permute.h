/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One step of user/permute.c's walk of the cyclic group Z_p* in BPF, on a struct em_gen_walk
 * that user space cut from the same walk: the same seed and shards give the same indices.
 */
#ifndef ECHOMAP_PERMUTE_BPF_H
#define ECHOMAP_PERMUTE_BPF_H

#include <stdbool.h>
#include <linux/types.h>

#include "echomap_gen.h"

/*
 * a * b mod m for a, b < m. p is the smallest prime above n <= 2^32, so m < 2^33 and a * b can
 * need 66 bits; BPF has no 128-bit product. Up to 2^32 the product fits (the common case, one
 * modulo); above, b is split at bit 16: a * (b >> 16) < 2^50 and a * (b & 0xffff) < 2^49.
 */
static __always_inline __u64 em_mulmod(__u64 a, __u64 b, __u64 m)
{
	if (m <= 1ULL << 32)
		return a * b % m;
	return (((a * (b >> 16)) % m << 16) + a * (b & 0xffff)) % m;
}

/*
 * The walk's next index into *index, skipping group elements above n as perm_next() does.
 * false when the slice is exhausted, or after EM_GEN_MAX_SKIP skipped elements: the walk then
 * goes on from there in the next run.
 */
static __always_inline bool em_walk_next(struct em_gen_walk *w, __u32 *index)
{
	for (int i = 0; i < EM_GEN_MAX_SKIP; i++) {
		__u64 x = w->cur;

		if (!w->left)
			return false;
		w->cur = em_mulmod(x, w->g, w->p);
		w->left--;
		if (x <= w->n) {
			*index = x - 1;
			return true;
		}
	}
	return false;
}

#endif /* ECHOMAP_PERMUTE_BPF_H */
