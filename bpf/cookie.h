/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SipHash-2-4 over the 20-byte probe message: daddr | tx_ns | index | round
 * (see include/echomap_abi.h). Straight-line, no loops: cheap for the verifier.
 */
#ifndef ECHOMAP_COOKIE_BPF_H
#define ECHOMAP_COOKIE_BPF_H

#include <linux/types.h>

#define ROTL(x, b) (__u64)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3)                                                                  \
	do {                                                                                     \
		v0 += v1;                                                                        \
		v1 = ROTL(v1, 13);                                                               \
		v1 ^= v0;                                                                        \
		v0 = ROTL(v0, 32);                                                               \
		v2 += v3;                                                                        \
		v3 = ROTL(v3, 16);                                                               \
		v3 ^= v2;                                                                        \
		v0 += v3;                                                                        \
		v3 = ROTL(v3, 21);                                                               \
		v3 ^= v0;                                                                        \
		v2 += v1;                                                                        \
		v1 = ROTL(v1, 17);                                                               \
		v1 ^= v2;                                                                        \
		v2 = ROTL(v2, 32);                                                               \
	} while (0)

/* daddr as it appears in the packet (network order); the rest as stored in the payload. */
static __always_inline __u64 em_siphash(__u64 k0, __u64 k1, __u32 daddr, __u64 tx_ns,
					__u32 index, __u32 round)
{
	__u64 v0 = k0 ^ 0x736f6d6570736575ULL;
	__u64 v1 = k1 ^ 0x646f72616e646f6dULL;
	__u64 v2 = k0 ^ 0x6c7967656e657261ULL;
	__u64 v3 = k1 ^ 0x7465646279746573ULL;
	/* Little-endian 8-byte words of the message, the last one carrying the length. */
	__u64 m0 = (__u64)daddr | (tx_ns << 32);
	__u64 m1 = (tx_ns >> 32) | ((__u64)index << 32);
	__u64 m2 = (__u64)round | (20ULL << 56);

	v3 ^= m0;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m0;
	v3 ^= m1;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m1;
	v3 ^= m2;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m2;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif
