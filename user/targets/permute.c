// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/random.h>

#include "lib/log.h"
#include "targets/permute.h"

static __u64 mulmod(__u64 a, __u64 b, __u64 m)
{
	return (__uint128_t)a * b % m;
}

static __u64 powmod(__u64 b, __u64 e, __u64 m)
{
	__u64 r = 1;

	for (b %= m; e; e >>= 1, b = mulmod(b, b, m))
		if (e & 1)
			r = mulmod(r, b, m);
	return r;
}

/* Deterministic Miller-Rabin: the first twelve primes as bases decide every 64-bit n. */
static bool is_prime(__u64 n)
{
	static const __u64 bases[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37 };
	__u64 d = n - 1;
	int s = 0;

	if (n < 2)
		return false;
	for (unsigned int i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		if (n % bases[i] == 0)
			return n == bases[i];
	for (; !(d & 1); d >>= 1)
		s++;
	for (unsigned int i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		__u64 x = powmod(bases[i], d, n);
		int r;

		if (x == 1 || x == n - 1)
			continue;
		for (r = 1; r < s && x != n - 1; r++)
			x = mulmod(x, x, n);
		if (x != n - 1)
			return false;
	}
	return true;
}

/* splitmix64: a well-mixed stream from the seed, the same on every machine. */
static __u64 splitmix(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The distinct prime factors of m by trial division: quick for m < 2^33. Returns how many. */
static int prime_factors(__u64 m, __u64 *q)
{
	int nq = 0;

	for (__u64 f = 2; f * f <= m; f++) {
		if (m % f)
			continue;
		q[nq++] = f;
		while (m % f == 0)
			m /= f;
	}
	if (m > 1)
		q[nq++] = m;
	return nq;
}

/* g generates Z_p* iff g^((p-1)/q) != 1 for every prime q dividing p - 1. */
static bool is_generator(__u64 g, __u64 p, const __u64 *q, int nq)
{
	for (int i = 0; i < nq; i++)
		if (powmod(g, (p - 1) / q[i], p) == 1)
			return false;
	return true;
}

int perm_init(struct permutation *pm, __u64 n, __u64 seed, __u32 shards, __u32 shard)
{
	__u64 q[16], begin, end; /* a 64-bit number has at most 15 distinct prime factors */
	int nq;

	if (!n || n > 1ULL << 32 || !shards || shard >= shards)
		return -EINVAL;
	if (!seed && shards > 1) {
		pr_warn("sharding needs an explicit --seed, the same for every shard\n");
		return -EINVAL;
	}
	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return -errno;

	pm->n = n;
	for (pm->p = n + 1; !is_prime(pm->p); pm->p++)
		;
	nq = prime_factors(pm->p - 1, q);
	/* Z_2* = {1}: 1 is its generator. Otherwise draw candidates until one generates. */
	pm->g = 1;
	while (pm->p > 2 && !is_generator(pm->g, pm->p, q, nq))
		pm->g = 2 + splitmix(&seed) % (pm->p - 2);

	/* Slice k of the walk from a random element is elements [begin, end) of it. */
	begin = (__uint128_t)(pm->p - 1) * shard / shards;
	end = (__uint128_t)(pm->p - 1) * (shard + 1) / shards;
	pm->cur = mulmod(1 + splitmix(&seed) % (pm->p - 1), powmod(pm->g, begin, pm->p), pm->p);
	pm->left = end - begin;
	return 0;
}

bool perm_next(struct permutation *pm, __u64 *index)
{
	while (pm->left) {
		__u64 x = pm->cur;

		pm->cur = mulmod(pm->cur, pm->g, pm->p);
		pm->left--;
		if (x <= pm->n) {
			*index = x - 1;
			return true;
		}
	}
	return false;
}

void perm_split(const struct permutation *pm, __u32 parts, __u32 part, struct permutation *out)
{
	__u64 begin = (__uint128_t)pm->left * part / parts;
	__u64 end = (__uint128_t)pm->left * (part + 1) / parts;

	*out = *pm;
	out->cur = mulmod(pm->cur, powmod(pm->g, begin, pm->p), pm->p);
	out->left = end - begin;
}

__u64 perm_shard_size_hint(const struct permutation *pm)
{
	/* Exact for one shard; for several, off by the few skipped elements (p - 1 - n). */
	return pm->left < pm->n ? pm->left : pm->n;
}
