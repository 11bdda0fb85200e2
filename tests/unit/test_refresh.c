// SPDX-License-Identifier: GPL-2.0
/*
 * Following names in watch mode: when a name is asked for again (refresh.c: TTL clamped, hosts
 * file answers never, failures with a doubling backoff) and what an answer does to the name
 * table (names.c: new addresses replace the old, a failure that may pass keeps them, NXDOMAIN
 * drops them, each change logged once).
 */
#include <ares.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/log.h"
#include "names/names.h"
#include "names/refresh.h"
#include "targets/ipset.h"

#define NSEC 1000000000ULL
#define T0   (1000 * NSEC) /* an arbitrary CLOCK_MONOTONIC time */

static void test_ttl_clamped(void **state)
{
	assert_int_equal(refresh_ttl(0), REFRESH_TTL_MIN_S);
	assert_int_equal(refresh_ttl(1), 1);
	assert_int_equal(refresh_ttl(2), 2);
	assert_int_equal(refresh_ttl(3600), 3600);
	assert_int_equal(refresh_ttl(86400), 86400);
	assert_int_equal(refresh_ttl(86401), REFRESH_TTL_MAX_S);
	assert_int_equal(refresh_ttl(UINT32_MAX), REFRESH_TTL_MAX_S);
}

static void test_dns_answer_expires(void **state)
{
	struct name_sched s = { 0 };

	/* The first answer of a name starts it in NAME_RESOLVED: no change to report. */
	assert_false(refresh_update(&s, OUTCOME_DNS, 60, T0));
	assert_int_equal(s.state, NAME_RESOLVED);
	assert_int_equal(s.due_ns, T0 + 60 * NSEC);
	assert_false(refresh_due(&s, T0 + 60 * NSEC - 1));
	assert_true(refresh_due(&s, T0 + 60 * NSEC));

	/* TTL 0: once a second at most; absurd TTLs: once a day at least. */
	refresh_update(&s, OUTCOME_DNS, 0, T0);
	assert_int_equal(s.due_ns, T0 + NSEC);
	refresh_update(&s, OUTCOME_DNS, 2147483647, T0);
	assert_int_equal(s.due_ns, T0 + 86400 * NSEC);
}

static void test_files_never(void **state)
{
	struct name_sched s = { 0 };

	assert_true(refresh_update(&s, OUTCOME_FILES, 0, T0));
	assert_int_equal(s.state, NAME_STATIC);
	assert_false(refresh_due(&s, T0 + 10 * 365 * 86400 * NSEC));
	assert_false(refresh_update(&s, OUTCOME_FILES, 0, T0 + NSEC));
}

static void test_backoff(void **state)
{
	const __u32 want[] = { 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300 };
	struct name_sched s = { 0 };
	__u64 now = T0;

	refresh_update(&s, OUTCOME_DNS, 2, now);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* The change to failing is reported once, not at every failed try. */
		assert_int_equal(refresh_update(&s, OUTCOME_TRYAGAIN, 0, now), i == 0);
		assert_int_equal(s.state, NAME_FAILING);
		assert_int_equal(s.retry_s, want[i]);
		assert_int_equal(s.due_ns, now + want[i] * NSEC);
		now = s.due_ns;
	}
	/* An answer resets the backoff: the next failure is retried soon again. */
	assert_true(refresh_update(&s, OUTCOME_DNS, 30, now));
	assert_int_equal(s.retry_s, 0);
	assert_int_equal(s.due_ns, now + 30 * NSEC);
	assert_true(refresh_update(&s, OUTCOME_TRYAGAIN, 0, now));
	assert_int_equal(s.retry_s, REFRESH_RETRY_MIN_S);

	/* NXDOMAIN is a change of its own, and the backoff goes on. */
	assert_true(refresh_update(&s, OUTCOME_NOTFOUND, 0, now));
	assert_int_equal(s.state, NAME_GONE);
	assert_int_equal(s.retry_s, 4);
	assert_false(refresh_update(&s, OUTCOME_NOTFOUND, 0, now));
	assert_int_equal(s.retry_s, 8);
}

/* What the last call of logged() wrote to stderr. */
static char msg[4096];

static void capture_start(FILE **cap, int *saved)
{
	*cap = tmpfile();
	assert_non_null(*cap);
	*saved = dup(2);
	assert_true(*saved >= 0);
	assert_true(dup2(fileno(*cap), 2) == 2);
}

static void capture_end(FILE *cap, int saved)
{
	size_t len;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	len = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[len] = '\0';
	fclose(cap);
}

static struct resolved answer(int status, __u32 ttl, size_t n, ...)
{
	struct resolved r = { .status = status, .ttl = ttl, .n = n };
	va_list ap;

	if (status)
		r.reason = ares_strerror(status);
	r.addrs = n ? malloc(n * sizeof(*r.addrs)) : NULL;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		r.addrs[i] = va_arg(ap, __u32);
	va_end(ap);
	return r;
}

/* A table of names a.test, b.test, c.test at 198.18.0.1, .2, .3 (DNS, TTL 2) at T0. */
static void table(struct name_table *t, bool all)
{
	char *args[] = { "a.test", "198.18.1.1", "b.test", "c.test" };
	struct target_opts o = { .allow_reserved = true };
	struct target_spec sp;
	struct resolved *res = calloc(3, sizeof(*res));

	assert_non_null(res);
	assert_int_equal(targets_parse(&sp, args, 4, &o), 0);
	assert_int_equal(sp.n_names, 3);
	for (__u32 i = 0; i < 3; i++)
		res[i] = answer(ARES_SUCCESS, 2, 1, IPV4(198, 18, 0, 1 + i));
	assert_int_equal(names_init(t, &sp, res, all, NULL, T0), 0);
	assert_false(t->dirty);
}

/* A batch of every name of t that is due at now, answered by ans[] in name order. */
static void apply(struct name_table *t, __u64 now, struct resolved *ans)
{
	struct name_batch *b = names_due(t, now);
	FILE *cap;
	int saved;

	assert_non_null(b);
	for (size_t i = 0; i < b->n; i++)
		b->res[i] = ans[i];
	capture_start(&cap, &saved);
	names_apply(t, b, now);
	capture_end(cap, saved);
	name_batch_free(b);
}

static void test_table_follows(void **state)
{
	struct name_table t;
	struct resolved ans[3];

	log_level = LOG_DEBUG;
	table(&t, false);
	assert_null(names_due(&t, T0 + NSEC));

	/* a moves, b answers the same, c's server fails: only a changes. */
	ans[0] = answer(ARES_SUCCESS, 60, 1, IPV4(198, 18, 0, 9));
	ans[1] = answer(ARES_SUCCESS, 60, 1, IPV4(198, 18, 0, 2));
	ans[2] = answer(ARES_ESERVFAIL, 0, 0);
	apply(&t, T0 + 2 * NSEC, ans);
	assert_true(t.dirty);
	assert_int_equal(t.res[0].n, 1);
	assert_int_equal(t.res[0].addrs[0], IPV4(198, 18, 0, 9));
	assert_int_equal(t.res[2].n, 1);
	assert_int_equal(t.res[2].addrs[0], IPV4(198, 18, 0, 3));
	assert_non_null(strstr(msg, "a.test: 198.18.0.1 -> 198.18.0.9\n"));
	assert_null(strstr(msg, "b.test"));
	assert_non_null(strstr(msg, "c.test: DNS server returned general failure: still probing "
				    "198.18.0.3, asking again in 2 s\n"));
	assert_int_equal(t.sched[2].due_ns, T0 + 4 * NSEC);

	/* Only c is due now. It fails again: logged at debug level only; NXDOMAIN drops it. */
	t.dirty = false;
	ans[0] = answer(ARES_ETIMEOUT, 0, 0);
	apply(&t, T0 + 4 * NSEC, ans);
	assert_false(t.dirty);
	assert_string_equal(msg, "echomap: c.test: Timeout while contacting DNS servers (again): "
				 "asking again in 4 s\n");
	assert_int_equal(t.res[2].n, 1);
	ans[0] = answer(ARES_ENOTFOUND, 0, 0);
	apply(&t, T0 + 8 * NSEC, ans);
	assert_true(t.dirty);
	assert_int_equal(t.res[2].n, 0);
	assert_non_null(strstr(msg, "c.test: 198.18.0.3 -> none (Domain name not found)\n"));

	/* And comes back. */
	ans[0] = answer(ARES_SUCCESS, 60, 1, IPV4(198, 18, 0, 3));
	apply(&t, T0 + 16 * NSEC, ans);
	assert_non_null(strstr(msg, "c.test: none -> 198.18.0.3\n"));
	assert_int_equal(t.sched[2].state, NAME_RESOLVED);
	names_free(&t);
}

/* Without -m, round-robin DNS does not move a name that still has its address. */
static void test_table_round_robin(void **state)
{
	struct name_table t;
	struct resolved ans[3];

	table(&t, false);
	ans[0] = answer(ARES_SUCCESS, 2, 3, IPV4(198, 18, 0, 7), IPV4(198, 18, 0, 1),
			IPV4(198, 18, 0, 8));
	ans[1] = answer(ARES_SUCCESS, 2, 2, IPV4(198, 18, 0, 5), IPV4(198, 18, 0, 6));
	ans[2] = answer(ARES_SUCCESS, 2, 1, IPV4(198, 18, 0, 3));
	apply(&t, T0 + 2 * NSEC, ans);
	assert_int_equal(t.res[0].n, 1);
	assert_int_equal(t.res[0].addrs[0], IPV4(198, 18, 0, 1));
	/* b lost its address: the first of the answer. */
	assert_int_equal(t.res[1].n, 1);
	assert_int_equal(t.res[1].addrs[0], IPV4(198, 18, 0, 5));
	assert_non_null(strstr(msg, "b.test: 198.18.0.2 -> 198.18.0.5\n"));
	assert_null(strstr(msg, "a.test"));
	names_free(&t);

	/* With -m every address, and the log line names the first four. */
	table(&t, true);
	ans[0] = answer(ARES_SUCCESS, 2, 6, IPV4(198, 18, 0, 1), IPV4(198, 18, 0, 2),
			IPV4(198, 18, 0, 3), IPV4(198, 18, 0, 4), IPV4(198, 18, 0, 5),
			IPV4(198, 18, 0, 6));
	ans[1] = answer(ARES_SUCCESS, 2, 1, IPV4(198, 18, 0, 2));
	ans[2] = answer(ARES_SUCCESS, 2, 1, IPV4(198, 18, 0, 3));
	apply(&t, T0 + 2 * NSEC, ans);
	assert_int_equal(t.res[0].n, 6);
	assert_non_null(strstr(msg, "a.test: 198.18.0.1 -> 198.18.0.1 198.18.0.2 198.18.0.3 "
				    "198.18.0.4 and 2 more\n"));
	names_free(&t);
}

/* A reload whose resolution fails in a way that may pass keeps the addresses of before. */
static void test_table_reload_keeps(void **state)
{
	char *args[] = { "C.test", "new.test" };
	struct target_opts o = { .allow_reserved = true };
	struct name_table old, t;
	struct target_spec sp;
	struct resolved *res = calloc(2, sizeof(*res));
	FILE *cap;
	int saved;

	table(&old, false);
	assert_int_equal(targets_parse(&sp, args, 2, &o), 0);
	res[0] = answer(ARES_ETIMEOUT, 0, 0);
	res[1] = answer(ARES_ETIMEOUT, 0, 0);
	capture_start(&cap, &saved);
	assert_int_equal(names_init(&t, &sp, res, false, &old, T0), 0);
	capture_end(cap, saved);
	/* Names are case-insensitive. */
	assert_int_equal(t.res[0].n, 1);
	assert_int_equal(t.res[0].addrs[0], IPV4(198, 18, 0, 3));
	assert_int_equal(t.res[1].n, 0);
	assert_int_equal(t.sched[0].state, NAME_FAILING);
	assert_non_null(strstr(msg, "C.test: still probing 198.18.0.3, asking again in 2 s\n"));
	names_free(&t);
	names_free(&old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_clamped),
		cmocka_unit_test(test_dns_answer_expires),
		cmocka_unit_test(test_files_never),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_table_follows),
		cmocka_unit_test(test_table_round_robin),
		cmocka_unit_test(test_table_reload_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
