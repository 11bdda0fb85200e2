/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a trace probe is, computed the same way by user space (user/cmd/trace.c, user/tx/frame.c)
 * and the generator (bpf/generator.bpf.c): which (unit, TTL) an element of the walk names, and
 * the ICMP checksum every probe of one unit carries (Paris-style flows).
 *
 * A trace walks one permutation of units x TTLs; a unit is (target, flow), unit = target *
 * flows + flow. The payload's index is the unit, its round the TTL, which is also the IP TTL.
 */
#ifndef ECHOMAP_TRACE_H
#define ECHOMAP_TRACE_H

#include <linux/types.h>

#include "echomap_csum.h"

/* Element e of the walk over units x n_ttl TTLs from min_ttl: its unit and its TTL. */
static __always_inline __u32 em_trace_unit(__u32 e, __u32 n_ttl)
{
	return e / n_ttl;
}

static __always_inline __u32 em_trace_ttl(__u32 e, __u32 min_ttl, __u32 n_ttl)
{
	return min_ttl + e % n_ttl;
}

/*
 * The ICMP checksum (as stored) of every probe of unit index: per-flow load balancers hash on
 * it, so all of them take one path. A multiplicative hash: neighbouring indices (the flows of
 * one target) get unrelated sums; never 0xffff, which em_csum_compensation() cannot reach.
 */
static __always_inline __u16 em_flow_csum(__u32 index)
{
	return ((index + 1) * 2654435761U >> 16) % 0xffff;
}

/*
 * The word that, added to sum, folds it to the one's complement of want: fold(sum) plus ~want
 * plus ~fold(sum) is ~want (adding 0xffff changes nothing), unless ~want is 0 (want 0xffff,
 * which em_flow_csum() never gives). It lies in the 2 bytes after the payload struct.
 */
static __always_inline __u16 em_csum_compensation(__u64 sum, __u16 want)
{
	__u32 c = (__u16)~want + (__u32)csum_fold64(sum);

	return (c & 0xffff) + (c >> 16);
}

#endif /* ECHOMAP_TRACE_H */
