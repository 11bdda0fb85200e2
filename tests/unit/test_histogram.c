// SPDX-License-Identifier: GPL-2.0
/*
 * Watch mode's arithmetic: the log-linear histogram layout shared with the XDP program
 * (include/echomap_hist.h), quantiles and exported buckets (user/histogram.c), and the series a
 * target set is cut into (user/series.c).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "echomap_hist.h"
#include "report/histogram.h"
#include "report/series.h"
#include "targets/targets.h"

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void test_ilog2(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		__u64 v = rnd() >> (rnd() % 64);

		if (!v)
			continue;
		assert_int_equal(em_ilog2(v), 63 - __builtin_clzll(v));
	}
	assert_int_equal(em_ilog2(1), 0);
	assert_int_equal(em_ilog2(~0ULL), 63);
}

/* Buckets tile [0, inf) in order: each one's bounds map back to it. */
static void test_bucket_bounds(void **state)
{
	(void)state;
	assert_int_equal(em_hist_bucket(0), 0);
	assert_int_equal(em_hist_bucket(~0ULL), EM_HIST_OVERFLOW);
	for (__u32 b = 0; b < EM_HIST_BUCKETS; b++) {
		assert_int_equal(em_hist_bucket(em_hist_lower(b)), b);
		if (b + 1 < EM_HIST_BUCKETS) {
			assert_true(em_hist_lower(b + 1) > em_hist_lower(b));
			assert_int_equal(em_hist_bucket(em_hist_lower(b + 1) - 1), b);
		}
	}
	assert_int_equal(em_hist_lower(EM_HIST_OVERFLOW), 1ULL << EM_HIST_MAX_EXP);
}

/* From 2^10 ns to 10 s, a bucket's midpoint is within 1/32 of anything in it. */
static void test_relative_error(void **state)
{
	(void)state;
	for (__u32 b = em_hist_bucket(1024); b <= em_hist_bucket(10000000000ULL); b++) {
		double lo = em_hist_lower(b), hi = em_hist_lower(b + 1), mid = (lo + hi) / 2;

		assert_true((mid - lo) / lo <= 1.0 / 32 + 1e-12);
	}
	/* And the range is covered: 10 s is not in the overflow bucket. */
	assert_true(em_hist_bucket(10000000000ULL) < EM_HIST_OVERFLOW);
}

static void test_quantiles(void **state)
{
	__u32 h[EM_HIST_BUCKETS] = { 0 };
	__u64 n = 0;
	double q;

	(void)state;
	/* One value: the middle of its bucket. */
	h[em_hist_bucket(5000000)] = 1;
	q = hist_quantile(h, 1, 0.5);
	assert_true(fabs(q - 5000000) / 5000000 < 1.0 / 32);
	/* Uniform 10..20 ms: quantiles within the bucket error of the truth. */
	memset(h, 0, sizeof(h));
	for (__u64 v = 10000000; v < 20000000; v += 1000, n++)
		h[em_hist_bucket(v)]++;
	for (double p = 0.1; p < 0.95; p += 0.1) {
		double want = 10000000 + p * 10000000;

		q = hist_quantile(h, n, p);
		assert_true(fabs(q - want) / want < 0.01);
	}
	/* Overflow: its lower bound, never infinity. */
	memset(h, 0, sizeof(h));
	h[EM_HIST_OVERFLOW] = 3;
	assert_true(hist_quantile(h, 3, 0.99) == (double)(1ULL << EM_HIST_MAX_EXP));
}

static void check_mapping(const struct export_buckets *eb)
{
	for (__u32 b = 0; b < EM_HIST_OVERFLOW; b++) {
		double mid = (em_hist_lower(b) + em_hist_lower(b + 1)) / 2e9;
		size_t j = eb->of[b];

		assert_true(j <= eb->n);
		if (j < eb->n)
			assert_true(mid <= eb->le[j]);
		if (j > 0)
			assert_true(mid > eb->le[j - 1]);
	}
	assert_int_equal(eb->of[EM_HIST_OVERFLOW], eb->n);
}

static void test_export_buckets(void **state)
{
	static const char *const bad[] = {
		"", "abc", "0.002,0.001", "0.001,0.001", "0,1", "-1", "0.001,", "1;2", "1e9",
	};
	struct export_buckets eb;

	(void)state;
	assert_int_equal(export_buckets_init(&eb, NULL, 3600), 0);
	assert_int_equal(eb.n, 11);
	assert_true(eb.le[0] == 0.0001 && eb.le[1] == 0.0003 && eb.le[10] == 10);
	check_mapping(&eb);
	/* The default timeout: no bound from 1 s on, every one of them would equal +Inf. */
	assert_int_equal(export_buckets_init(&eb, NULL, 1), 0);
	assert_int_equal(eb.n, 8);
	assert_true(eb.le[7] == 0.3);
	check_mapping(&eb);
	assert_int_equal(export_buckets_init(&eb, NULL, 0.0001), 0);
	assert_int_equal(eb.n, 1);
	/* A list given is kept whole. */
	assert_int_equal(export_buckets_init(&eb, "0.001,0.0025,0.005,1e-2", 0.001), 0);
	assert_int_equal(eb.n, 4);
	assert_true(eb.le[3] == 0.01);
	check_mapping(&eb);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(export_buckets_init(&eb, bad[i], 1), -EINVAL);
}

static void build(struct target_set *ts, const char *arg)
{
	static const struct target_opts o = { .allow_reserved = true };
	char *args[] = { (char *)arg };
	int unresolved = 0;

	assert_int_equal(targets_build(ts, args, 1, &o, &unresolved), 0);
}

static void test_series_per_target(void **state)
{
	struct target_set ts;
	struct series_set ss;

	(void)state;
	build(&ts, "198.18.0.250-198.18.1.5");
	assert_int_equal(series_build(&ss, &ts, -1, -1), 0);
	assert_int_equal(ss.n, 12);
	for (__u32 i = 0; i < ss.n; i++) {
		assert_int_equal(ss.v[i].first, i);
		assert_int_equal(ss.v[i].n_targets, 1);
		assert_int_equal(ss.addrs[i], targets_addr(&ts, i));
		assert_int_equal(series_of(&ss, i), i);
	}
	assert_string_equal(ss.v[0].id, "198.18.0.250");
	assert_string_equal(ss.v[0].labels,
			    "target=\"198.18.0.250\",name=\"\",scope=\"reserved\",family=\"ipv4\"");
	series_free(&ss);
	targets_free(&ts);
}

static void test_series_aggregate(void **state)
{
	struct target_set ts;
	struct series_set ss;

	(void)state;
	build(&ts, "198.18.0.250-198.18.2.5");
	assert_int_equal(series_build(&ss, &ts, 24, -1), 0);
	assert_int_equal(ss.n, 3);
	assert_string_equal(ss.v[0].id, "198.18.0.0/24");
	assert_string_equal(ss.v[2].labels,
			    "target=\"198.18.2.0/24\",name=\"\",scope=\"reserved\",family=\"ipv4\"");
	assert_int_equal(ss.v[0].n_targets, 6);
	assert_int_equal(ss.v[1].first, 6);
	assert_int_equal(ss.v[1].n_targets, 256);
	assert_int_equal(ss.v[2].first, 262);
	assert_int_equal(ss.v[2].n_targets, 6);
	assert_int_equal(series_of(&ss, 5), 0);
	assert_int_equal(series_of(&ss, 6), 1);
	assert_int_equal(series_of(&ss, 261), 1);
	assert_int_equal(series_of(&ss, 267), 2);
	series_free(&ss);

	/* /0: everything in one series. */
	assert_int_equal(series_build(&ss, &ts, 0, -1), 0);
	assert_int_equal(ss.n, 1);
	assert_string_equal(ss.v[0].id, "0.0.0.0/0");
	assert_int_equal(ss.v[0].n_targets, ts.count);
	series_free(&ss);
	targets_free(&ts);
}

static void build2(struct target_set *ts, const char *a, const char *b)
{
	static const struct target_opts o = { .allow_reserved = true };
	char *args[] = { (char *)a, (char *)b };
	int unresolved = 0;

	assert_int_equal(targets_build(ts, args, 2, &o, &unresolved), 0);
}

/* IPv4 and IPv6 targets in one set: IPv4's series first, then IPv6's, each family its own /N. */
static void test_series_mixed(void **state)
{
	struct target_set ts;
	struct series_set ss;
	struct series a = { .v6 = true }, b = { .addr = 0xffffffff };

	(void)state;
	/* 2001:db8:0:1::/64's last 2 addresses and 2001:db8:0:2::/64's first 3. */
	build2(&ts, "198.18.0.1-198.18.0.2", "2001:db8:0:1:ffff:ffff:ffff:fffe-2001:db8:0:2::2");
	assert_int_equal(series_build(&ss, &ts, -1, -1), 0);
	assert_int_equal(ss.n, 7);
	assert_int_equal(ss.n4, 2);
	assert_false(ss.v[1].v6);
	assert_true(ss.v[2].v6);
	assert_int_equal(ss.v[2].first, 2);
	assert_string_equal(ss.v[2].id, "2001:db8:0:1:ffff:ffff:ffff:fffe");
	assert_string_equal(ss.v[6].labels, "target=\"2001:db8:0:2::2\",name=\"\","
					    "scope=\"documentation\",family=\"ipv6\"");
	assert_int_equal(series_of(&ss, 6), 6);
	series_free(&ss);

	/* /24 for IPv4, /64 for IPv6. */
	assert_int_equal(series_build(&ss, &ts, 24, 64), 0);
	assert_int_equal(ss.n, 3);
	assert_int_equal(ss.n4, 1);
	assert_string_equal(ss.v[1].id, "2001:db8:0:1::/64");
	assert_int_equal(ss.v[1].first, 2);
	assert_int_equal(ss.v[1].n_targets, 2);
	assert_string_equal(ss.v[2].id, "2001:db8:0:2::/64");
	assert_int_equal(ss.v[2].n_targets, 3);
	assert_int_equal(series_of(&ss, 4), 2);
	assert_true(series_is_prefix(&ss, 2));
	series_free(&ss);

	/* IPv6 aggregated alone: IPv4 targets stay apart. */
	assert_int_equal(series_build(&ss, &ts, -1, 0), 0);
	assert_int_equal(ss.n, 3);
	assert_string_equal(ss.v[2].id, "::/0");
	assert_false(series_is_prefix(&ss, 0));
	assert_int_equal(ss.v[2].n_targets, 5);
	series_free(&ss);
	targets_free(&ts);

	/* Any IPv6 series comes after every IPv4 one, whatever the addresses. */
	assert_true(series_cmp(&a, &b) > 0);
	assert_true(series_cmp(&b, &a) < 0);
	assert_int_equal(series_cmp(&a, &a), 0);
}

/* Cardinality is bounded: a /8 needs --aggregate. */
static void test_series_limit(void **state)
{
	struct target_set ts;
	struct series_set ss;

	(void)state;
	build(&ts, "10.0.0.0/8");
	assert_int_equal(series_build(&ss, &ts, -1, -1), -E2BIG);
	assert_int_equal(series_build(&ss, &ts, 26, -1), 0);
	assert_int_equal(ss.n, 262144);
	series_free(&ss);
	assert_int_equal(series_build(&ss, &ts, 27, -1), -E2BIG);
	targets_free(&ts);
}

static void test_prom_escape(void **state)
{
	char buf[32];

	(void)state;
	prom_escape(buf, sizeof(buf), "a\"b\\c\nd");
	assert_string_equal(buf, "a\\\"b\\\\c\\nd");
	/* Cut short rather than overflow, never in the middle of an escape. */
	prom_escape(buf, 4, "ab\"c");
	assert_string_equal(buf, "ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ilog2),
		cmocka_unit_test(test_bucket_bounds),
		cmocka_unit_test(test_relative_error),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_export_buckets),
		cmocka_unit_test(test_series_per_target),
		cmocka_unit_test(test_series_aggregate),
		cmocka_unit_test(test_series_mixed),
		cmocka_unit_test(test_series_limit),
		cmocka_unit_test(test_prom_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
