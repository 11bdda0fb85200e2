// SPDX-License-Identifier: GPL-2.0
/* SipHash-2-4 over the 20-byte probe message, the user-space twin of bpf/cookie.h. */
#include <errno.h>
#include <sys/random.h>

#include "tx/cookie.h"
#include "echomap_abi.h"

static inline __u64 rotl(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sipround(__u64 v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

static inline void compress(__u64 v[4], __u64 m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

__u64 em_cookie(const __u64 key[2], __u32 daddr, __u64 tx_ns, __u32 index, __u32 round)
{
	__u64 v[4] = {
		key[0] ^ 0x736f6d6570736575ULL,
		key[1] ^ 0x646f72616e646f6dULL,
		key[0] ^ 0x6c7967656e657261ULL,
		key[1] ^ 0x7465646279746573ULL,
	};

	/* The message's little-endian words; the last carries the length in its top byte. */
	compress(v, (__u64)daddr | tx_ns << 32);
	compress(v, tx_ns >> 32 | (__u64)index << 32);
	compress(v, (__u64)round | (__u64)EM_COOKIE_MSG_LEN << 56);
	v[2] ^= 0xff;
	sipround(v);
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int em_cookie_key(__u64 key[2])
{
	ssize_t n = getrandom(key, 2 * sizeof(key[0]), 0);

	if (n < 0)
		return -errno;
	return n == 2 * sizeof(key[0]) ? 0 : -EIO;
}
