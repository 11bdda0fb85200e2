// SPDX-License-Identifier: GPL-2.0
/*
 * The cyclic-group permutation: every index exactly once, shards disjoint and complete and
 * together the same walk as one shard, seeds reproducible, primes checked by trial division.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "targets/permute.h"

static const __u64 sizes[] = { 1, 2, 3, 10, 1000, 65536, 100003 };
static const __u64 seeds[] = { 1, 42, 0xdeadbeefcafef00dULL };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Independent of permute.c's Miller-Rabin. */
static bool naive_prime(__u64 n)
{
	if (n < 2)
		return false;
	for (__u64 d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static __u64 naive_next_prime(__u64 n)
{
	__u64 p = n + 1;

	while (!naive_prime(p))
		p++;
	return p;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Walks a whole shard into out (which has room for n); returns how many it yielded. */
static __u64 walk(__u64 n, __u64 seed, __u32 shards, __u32 shard, __u64 *out)
{
	struct permutation pm;
	__u64 k = 0, idx, hint;

	assert_int_equal(perm_init(&pm, n, seed, shards, shard), 0);
	hint = perm_shard_size_hint(&pm);
	while (perm_next(&pm, &idx)) {
		assert_true(idx < n);
		assert_true(k < n);
		out[k++] = idx;
	}
	assert_true(k <= hint);
	/* Exhausted stays exhausted. */
	assert_false(perm_next(&pm, &idx));
	assert_int_equal(perm_shard_size_hint(&pm), 0);
	return k;
}

static void test_every_index_once(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 n = sizes[i], *order = malloc(n * sizeof(*order));
		__u8 *seen = calloc(n, 1);

		assert_non_null(order);
		assert_non_null(seen);
		for (size_t s = 0; s < ARRAY_SIZE(seeds); s++) {
			struct permutation pm;

			assert_int_equal(perm_init(&pm, n, seeds[s], 1, 0), 0);
			assert_int_equal(pm.p, naive_next_prime(n));
			assert_int_equal(perm_shard_size_hint(&pm), n);

			memset(seen, 0, n);
			assert_int_equal(walk(n, seeds[s], 1, 0, order), n);
			for (__u64 k = 0; k < n; k++) {
				assert_false(seen[order[k]]);
				seen[order[k]] = 1;
			}
		}
		free(seen);
		free(order);
	}
}

/*
 * The prime is the smallest above n, checked by trial division. Just above some n lie traps for
 * a weak primality test: 252601 = 41 * 61 * 101 fools a Fermat test; 3057601 = 43 * 211 * 337
 * fools a Miller-Rabin that takes a square root of 1 other than -1 as a pass; 3215031751 is a
 * strong pseudoprime to the bases 2, 3, 5 and 7.
 */
static void test_primes(void **state)
{
	static const __u64 n[] = { 1, 2, 4, 7, 8, 252600, 3057600, 3215031750ULL, 1ULL << 24,
				   (1ULL << 31) - 1, 1ULL << 32 };

	for (size_t i = 0; i < ARRAY_SIZE(n); i++) {
		struct permutation pm;

		assert_int_equal(perm_init(&pm, n[i], 3, 1, 0), 0);
		assert_int_equal(pm.p, naive_next_prime(n[i]));
	}
}

/* Shards are disjoint, complete, and in order the same walk as a single shard. */
static void test_shards(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 n = sizes[i], *whole = malloc(n * sizeof(*whole));
		__u64 *part = malloc(n * sizeof(*part));
		__u8 *seen = malloc(n);

		assert_non_null(whole);
		assert_non_null(part);
		assert_non_null(seen);
		assert_int_equal(walk(n, 7, 1, 0, whole), n);
		for (__u32 shards = 1; shards <= 7; shards++) {
			__u64 total = 0;

			memset(seen, 0, n);
			for (__u32 k = 0; k < shards; k++) {
				__u64 got = walk(n, 7, shards, k, part);

				for (__u64 j = 0; j < got; j++) {
					assert_false(seen[part[j]]);
					seen[part[j]] = 1;
					assert_int_equal(part[j], whole[total + j]);
				}
				total += got;
			}
			assert_int_equal(total, n);
		}
		free(seen);
		free(part);
		free(whole);
	}
}

/* Split pieces of a shard, walked one after the other, are that shard's walk. */
static void test_split(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		__u64 n = sizes[i], *whole = malloc(n * sizeof(*whole)), idx;

		assert_non_null(whole);
		for (__u32 shards = 1; shards <= 3; shards++) {
			for (__u32 shard = 0; shard < shards; shard++) {
				__u64 got = walk(n, 11, shards, shard, whole);

				for (__u32 parts = 1; parts <= 4; parts++) {
					struct permutation pm, piece;
					__u64 k = 0;

					assert_int_equal(perm_init(&pm, n, 11, shards, shard), 0);
					for (__u32 part = 0; part < parts; part++) {
						perm_split(&pm, parts, part, &piece);
						while (perm_next(&piece, &idx)) {
							assert_true(k < got);
							assert_int_equal(idx, whole[k++]);
						}
					}
					assert_int_equal(k, got);
				}
			}
		}
		free(whole);
	}
}

static void test_seeds(void **state)
{
	enum { N = 1000 };
	__u64 a[N], b[N], g0 = 0;
	bool other_g = false;

	/* Same seed, same order. */
	walk(N, 12345, 1, 0, a);
	walk(N, 12345, 1, 0, b);
	assert_memory_equal(a, b, sizeof(a));
	/* Another seed, another order; and the generator itself varies with the seed. */
	for (__u64 seed = 1; seed <= 32; seed++) {
		struct permutation pm;

		walk(N, 12345 + seed, 1, 0, b);
		assert_memory_not_equal(a, b, sizeof(a));
		assert_int_equal(perm_init(&pm, N, seed, 1, 0), 0);
		if (seed == 1)
			g0 = pm.g;
		other_g |= pm.g != g0;
	}
	assert_true(other_g);
}

/* The generator is a primitive root: its powers reach every element before returning to 1. */
static void test_generator(void **state)
{
	for (__u64 seed = 1; seed <= 50; seed++) {
		struct permutation pm;
		__u64 x, order = 0;

		assert_int_equal(perm_init(&pm, 1000 + seed * 37, seed, 1, 0), 0);
		x = 1;
		do {
			x = x * pm.g % pm.p;
			order++;
		} while (x != 1);
		assert_int_equal(order, pm.p - 1);
	}
}

static int cmp_u64(const void *x, const void *y)
{
	__u64 a = *(const __u64 *)x, b = *(const __u64 *)y;

	return a < b ? -1 : a > b;
}

/*
 * A /8 and the whole IPv4 space: values in range; not enumerated. perm_init's time is printed,
 * not asserted: a loaded machine or a VM says nothing about the code by it.
 */
static void test_large(void **state)
{
	static const __u64 big[] = { 1ULL << 24, 1ULL << 32, (1ULL << 32) - 5 };
	enum { TAKE = 10000 };
	static __u64 got[TAKE];

	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		__u64 n = big[i], hint;
		struct permutation pm;
		double t = now_s();

		assert_int_equal(perm_init(&pm, n, 99, 5, 3), 0);
		t = now_s() - t;
		print_message("# n=%llu p=%llu g=%llu perm_init %.3f ms\n", (unsigned long long)n,
			      (unsigned long long)pm.p, (unsigned long long)pm.g, t * 1e3);
		assert_int_equal(pm.p, naive_next_prime(n));
		/* Shard 3 of 5 holds about a fifth of the group. */
		hint = perm_shard_size_hint(&pm);
		assert_true(hint <= (pm.p - 1) / 5 + 1);
		assert_true(hint + 1 >= n / 5);
		for (int k = 0; k < TAKE; k++) {
			assert_true(perm_next(&pm, &got[k]));
			assert_true(got[k] < n);
		}
		qsort(got, TAKE, sizeof(got[0]), cmp_u64);
		for (int k = 1; k < TAKE; k++)
			assert_true(got[k - 1] < got[k]);
	}
}

static void test_errors(void **state)
{
	struct permutation pm;
	__u64 order[100];
	__u8 seen[100] = { 0 };
	FILE *cap = tmpfile();
	int saved = dup(2), err;
	char msg[256];

	assert_int_equal(perm_init(&pm, 0, 1, 1, 0), -EINVAL);
	assert_int_equal(perm_init(&pm, (1ULL << 32) + 1, 1, 1, 0), -EINVAL);
	assert_int_equal(perm_init(&pm, 10, 1, 0, 0), -EINVAL);
	assert_int_equal(perm_init(&pm, 10, 1, 3, 3), -EINVAL);
	/* A random seed cannot be shared by shards on several machines: say so. */
	assert_non_null(cap);
	assert_true(saved >= 0);
	dup2(fileno(cap), 2);
	err = perm_init(&pm, 10, 0, 2, 0);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	msg[fread(msg, 1, sizeof(msg) - 1, cap)] = '\0';
	fclose(cap);
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(msg, "--seed"));

	/* Seed 0 alone draws a random one and still gives a permutation. */
	assert_int_equal(walk(100, 0, 1, 0, order), 100);
	for (int k = 0; k < 100; k++) {
		assert_false(seen[order[k]]);
		seen[order[k]] = 1;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_index_once),
		cmocka_unit_test(test_primes),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_seeds),
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
