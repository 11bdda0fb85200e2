/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internet checksum (RFC 1071) on words as they lie in memory: the one's complement sum does not
 * depend on byte order (RFC 1071 2.B), so a sum of native-order 16- and 32-bit words, folded and
 * stored natively, is right without byte swaps. Used by user space and the generator alike.
 */
#ifndef ECHOMAP_CSUM_H
#define ECHOMAP_CSUM_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* A 64-bit sum of 16- and 32-bit words folded to the 16-bit checksum, complemented. */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

#endif /* ECHOMAP_CSUM_H */
