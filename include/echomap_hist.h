/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The log-linear RTT histogram of watch mode, shared by the XDP program (which fills it) and
 * user space (which turns buckets back into times). HDR-histogram layout, in nanoseconds:
 *
 *   buckets 0..15     [0, 1024) ns in 16 linear steps of 64 ns
 *   buckets 16..399   octaves [2^e, 2^(e+1)) for e = 10..33 (1.02 us .. 17.2 s), each cut into
 *                     16 equal sub-buckets
 *   bucket 400        2^34 ns (17.2 s) and above
 *
 * A sub-bucket is at most 1/16 of its lower bound wide, so from 2^10 ns (1.02 us) on any value
 * is within 1/32 (3.1 %) of its bucket's midpoint. The index is a few shifts and compares: no
 * loop and no division for the verifier, and no floating point, which BPF does not have.
 */
#ifndef ECHOMAP_HIST_H
#define ECHOMAP_HIST_H

#include <linux/types.h>

#define EM_HIST_SUB_BITS 4
#define EM_HIST_SUB	 (1U << EM_HIST_SUB_BITS)
#define EM_HIST_MIN_EXP	 10 /* first octave: 2^10 ns */
#define EM_HIST_MAX_EXP	 34 /* values from 2^34 ns on share the overflow bucket */
#define EM_HIST_OVERFLOW ((EM_HIST_MAX_EXP - EM_HIST_MIN_EXP + 1) * EM_HIST_SUB)
#define EM_HIST_BUCKETS	 (EM_HIST_OVERFLOW + 1)

/* floor(log2(v)) for v > 0, by binary search: BPF has no count-leading-zeros instruction. */
static inline __u32 em_ilog2(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/* The bucket of an RTT in ns; always < EM_HIST_BUCKETS. */
static inline __u32 em_hist_bucket(__u64 ns)
{
	__u32 e;

	if (ns < (1ULL << EM_HIST_MIN_EXP))
		return ns >> (EM_HIST_MIN_EXP - EM_HIST_SUB_BITS);
	if (ns >= (1ULL << EM_HIST_MAX_EXP))
		return EM_HIST_OVERFLOW;
	e = em_ilog2(ns);
	return (e - EM_HIST_MIN_EXP + 1) * EM_HIST_SUB +
	       ((ns >> (e - EM_HIST_SUB_BITS)) & (EM_HIST_SUB - 1));
}

/* Lower bound in ns of bucket b < EM_HIST_BUCKETS; em_hist_lower(b + 1) is its upper bound. */
static inline __u64 em_hist_lower(__u32 b)
{
	__u32 e = b / EM_HIST_SUB + EM_HIST_MIN_EXP - 1;

	if (b < EM_HIST_SUB)
		return (__u64)b << (EM_HIST_MIN_EXP - EM_HIST_SUB_BITS);
	if (b >= EM_HIST_OVERFLOW)
		return 1ULL << EM_HIST_MAX_EXP;
	return (__u64)(EM_HIST_SUB + b % EM_HIST_SUB) << (e - EM_HIST_SUB_BITS);
}

#endif /* ECHOMAP_HIST_H */
