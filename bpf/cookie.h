/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe cookie: SipHash-2-4 over the 20-byte message daddr | tx_ns | index | round (see
 * include/echomap_abi.h), the in-kernel twin of user/cookie.c. Straight-line code, no loops: a
 * few hundred instructions for the verifier, no state to explore.
 */
#ifndef ECHOMAP_COOKIE_BPF_H
#define ECHOMAP_COOKIE_BPF_H

#include <linux/types.h>

#include "echomap_abi.h"

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

/*
 * daddr as it appears in the IP header; pl points into the packet and its fields are read in
 * place, so no copy of the message is kept on the stack.
 */
static __always_inline __u64 em_cookie(__u64 k0, __u64 k1, __u32 daddr,
				       const struct em_payload *pl)
{
	__u64 v0 = k0 ^ 0x736f6d6570736575ULL;
	__u64 v1 = k1 ^ 0x646f72616e646f6dULL;
	__u64 v2 = k0 ^ 0x6c7967656e657261ULL;
	__u64 v3 = k1 ^ 0x7465646279746573ULL;
	__u64 tx_ns = pl->tx_ns;

	/*
	 * The message as SipHash reads it: little-endian 64-bit words, the last one padded with
	 * zeros and carrying the message length in its top byte.
	 */
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)daddr | tx_ns << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, tx_ns >> 32 | (__u64)pl->index << 32);
	EM_SIPCOMPRESS(v0, v1, v2, v3, (__u64)pl->round | (__u64)EM_COOKIE_MSG_LEN << 56);
	v2 ^= 0xff;
	EM_SIPROUND(v0, v1, v2, v3);
	EM_SIPROUND(v0, v1, v2, v3);
	EM_SIPROUND(v0, v1, v2, v3);
	EM_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif /* ECHOMAP_COOKIE_BPF_H */
