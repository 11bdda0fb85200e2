/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe cookie, computed the same way by the matcher, the generator and user space:
 * SipHash-2-4 over the 20-byte message daddr | tx_ns | index | round (see echomap_abi.h), or for
 * IPv6 over the 32-byte message with the 128-bit daddr.
 * Straight-line code, no loops and no arrays: a few hundred instructions for the verifier, all
 * in registers.
 */
#ifndef ECHOMAP_COOKIE_H
#define ECHOMAP_COOKIE_H

#include <linux/types.h>

#include "echomap_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define EM_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define EM_SIPROUND(v0, v1, v2, v3)                                                                \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = EM_ROTL(v1, 13);                                                              \
		v1 ^= v0;                                                                          \
		v0 = EM_ROTL(v0, 32);                                                              \
		v2 += v3;                                                                          \
		v3 = EM_ROTL(v3, 16);                                                              \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = EM_ROTL(v3, 21);                                                              \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = EM_ROTL(v1, 17);                                                              \
		v1 ^= v2;                                                                          \
		v2 = EM_ROTL(v2, 32);                                                              \
	} while (0)

/* SipHash-2-4 compression of one message word. */
#define EM_SIPCOMPRESS(v0, v1, v2, v3, m)                                                          \
	do {                                                                                       \
		v3 ^= (m);                                                                         \
		EM_SIPROUND(v0, v1, v2, v3);                                                       \
		EM_SIPROUND(v0, v1, v2, v3);                                                       \
		v0 ^= (m);                                                                         \
	} while (0)

#define EM_SIPINIT(v0, v1, v2, v3, k0, k1)                                                          \
	do {                                                                                       \
		v0 = (k0) ^ 0x736f6d6570736575ULL;                                                 \
		v1 = (k1) ^ 0x646f72616e646f6dULL;                                                 \
		v2 = (k0) ^ 0x6c7967656e657261ULL;                                                 \
		v3 = (k1) ^ 0x7465646279746573ULL;                                                 \
	} while (0)

#define EM_SIPFINAL(v0, v1, v2, v3)                                                                \
	do {                                                                                       \
		v2 ^= 0xff;                                                                        \
		EM_SIPROUND(v0, v1, v2, v3);                                                       \
		EM_SIPROUND(v0, v1, v2, v3);                                                       \
		EM_SIPROUND(v0, v1, v2, v3);                                                       \
		EM_SIPROUND(v0, v1, v2, v3);                                                       \
	} while (0)

/* daddr as it appears in the IP header; the other fields as stored in struct em_payload. */
static __always_inline __u64 em_cookie(__u64 k0, __u64 k1, __u32 daddr, __u64 tx_ns, __u32 index,
				       __u32 round)
{
	__u64 v0, v1, v2, v3;

	EM_SIPINIT(v0, v1, v2, v3, k0, k1);
	/*
	 * The message as SipHash reads it: little-endian 64-bit words, the last one padded with
	 * zeros and carrying the message length in its top byte.
	 */
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)daddr | tx_ns << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, tx_ns >> 32 | (__u64)index << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)round | (__u64)EM_COOKIE_MSG_LEN << 56);
	EM_SIPFINAL(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The IPv6 cookie: SipHash-2-4 over the 32-byte message daddr (16 bytes, as in the IPv6 header)
 * | tx_ns | index | round. Its own message length keeps it apart from every IPv4 cookie.
 * daddr holds the address's four 32-bit words as loaded from the header.
 */
static __always_inline __u64 em_cookie6(__u64 k0, __u64 k1, const __u32 daddr[4], __u64 tx_ns,
					__u32 index, __u32 round)
{
	__u64 v0, v1, v2, v3;

	EM_SIPINIT(v0, v1, v2, v3, k0, k1);
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)daddr[0] | (__u64)daddr[1] << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)daddr[2] | (__u64)daddr[3] << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, tx_ns);
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)index | (__u64)round << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)EM_COOKIE6_MSG_LEN << 56);
	EM_SIPFINAL(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif /* ECHOMAP_COOKIE_H */
