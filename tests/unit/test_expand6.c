// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 prefix expansion (ADDR/LEN-MAX, as xmap writes it): its parsing, every --iid mode, the
 * run-size refusal, and expansions in @files beside plain targets.
 */
#include <arpa/inet.h>
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

#include "targets/expand6.h"
#include "targets/ip6set.h"
#include "targets/targets.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)))
#define BUILD(ts, opts, ...) build(ts, opts, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))

/* What the last build() wrote to stderr. */
static char msg[8192];

static int build(struct target_set *ts, const struct target_opts *o, char **args, int n)
{
	FILE *cap = tmpfile();
	int saved = dup(2), err, unres = 0;
	size_t len;

	assert_non_null(cap);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(cap), 2) == 2);
	err = targets_build(ts, args, n, o, &unres);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	len = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[len] = '\0';
	fclose(cap);
	for (const char *l = msg, *e; (e = strchr(l, '\n')); l = e + 1)
		printf("# stderr: %.*s\n", (int)(e - l), l);
	return err;
}

static ip6_t v6(const char *s)
{
	__u8 b[16];

	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return ip6_load(b);
}

static const char *addr_at(const struct target_set *ts, __u64 i, char *buf)
{
	__u8 b[16];

	targets_addr6(ts, i, b);
	return inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

static struct target_opts opts_iid(const char *iid, __u64 seed)
{
	struct target_opts o = { .allow_reserved = true };

	assert_int_equal(iid_parse(iid, &o.iid), 0);
	o.iid.seed = seed;
	return o;
}

static void test_parse(void **state)
{
	unsigned int len = 0, max = 0;
	const char *why = NULL;
	ip6_t net = 0;

	(void)state;
	assert_int_equal(expand6_parse("2001:db8::/32-48", &net, &len, &max, 1U << 24, &why), 0);
	assert_true(net == v6("2001:db8::"));
	assert_int_equal(len, 32);
	assert_int_equal(max, 48);
	/* Host bits are ignored, as in a prefix. */
	assert_int_equal(expand6_parse("2001:db8:1:2::5/48-56", &net, &len, &max, 1U << 24, &why), 0);
	assert_true(net == v6("2001:db8:1::"));
	assert_int_equal(expand6_parse("2001:db8::/128-128", &net, &len, &max, 1, &why), 0);
	/* Not an expansion: a prefix, a range, an address. */
	assert_int_equal(expand6_parse("2001:db8::/64", &net, &len, &max, 1U << 24, &why), 1);
	assert_int_equal(expand6_parse("2001:db8::1-2001:db8::5", &net, &len, &max, 1U << 24, &why),
			 1);
	assert_int_equal(expand6_parse("2001:db8::1", &net, &len, &max, 1U << 24, &why), 1);
	/* Malformed. */
	assert_int_equal(expand6_parse("2001:db8::/32-", &net, &len, &max, 1U << 24, &why), -EINVAL);
	assert_int_equal(expand6_parse("2001:db8::/-48", &net, &len, &max, 1U << 24, &why), -EINVAL);
	assert_int_equal(expand6_parse("2001:db8::/32-129", &net, &len, &max, 1U << 24, &why),
			 -EINVAL);
	assert_int_equal(expand6_parse("2001:db8::/32-4x", &net, &len, &max, 1U << 24, &why), -EINVAL);
	assert_int_equal(expand6_parse("2001:zz8::/32-48", &net, &len, &max, 1U << 24, &why), -EINVAL);
	assert_int_equal(expand6_parse("2001:db8::/48-32", &net, &len, &max, 1U << 24, &why), -EINVAL);
	assert_non_null(strstr(why, "shorter"));
}

static void test_iid_parse(void **state)
{
	struct iid iid;

	(void)state;
	assert_int_equal(iid_parse("low", &iid), 0);
	assert_int_equal(iid.mode, IID_LOW);
	assert_int_equal(iid_parse("zero", &iid), 0);
	assert_int_equal(iid.mode, IID_ZERO);
	assert_int_equal(iid_parse("full", &iid), 0);
	assert_int_equal(iid.mode, IID_FULL);
	assert_int_equal(iid_parse("random", &iid), 0);
	assert_int_equal(iid.mode, IID_RANDOM);
	assert_int_equal(iid_parse("::abcd", &iid), 0);
	assert_int_equal(iid.mode, IID_FIXED);
	assert_true(iid.fixed == 0xabcd);
	assert_int_equal(iid_parse("::1:2:3:4", &iid), 0);
	assert_true(iid.fixed == v6("::1:2:3:4"));
	assert_int_equal(iid_parse("2001:db8::1", &iid), -EINVAL); /* a suffix starts with :: */
	assert_int_equal(iid_parse("::g", &iid), -EINVAL);
	assert_int_equal(iid_parse("rand", &iid), -EINVAL);
	assert_int_equal(iid_parse("", &iid), -EINVAL);
}

/* /48-56: 256 prefixes, one address each, in order, by every fixed mode. */
static void test_modes(void **state)
{
	static const struct {
		const char *iid, *first, *last;
	} cases[] = {
		{ "low", "2001:db8:1::1", "2001:db8:1:ff00::1" },
		{ "zero", "2001:db8:1::", "2001:db8:1:ff00::" },
		{ "full", "2001:db8:1:ff:ffff:ffff:ffff:ffff", "2001:db8:1:ffff:ffff:ffff:ffff:ffff" },
		{ "::abcd", "2001:db8:1::abcd", "2001:db8:1:ff00::abcd" },
		{ "::1:0:0:0:abcd", "2001:db8:1:1::abcd", "2001:db8:1:ff01::abcd" },
	};
	char buf[INET6_ADDRSTRLEN];
	struct target_set ts;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct target_opts o = opts_iid(cases[c].iid, 0);

		assert_int_equal(BUILD(&ts, &o, "2001:db8:1::/48-56"), 0);
		assert_int_equal(ts.count, 256);
		assert_int_equal(ts.count6, 256);
		assert_string_equal(addr_at(&ts, 0, buf), cases[c].first);
		assert_string_equal(addr_at(&ts, 255, buf), cases[c].last);
		for (__u64 i = 0; i < 256; i++) {
			__u8 b[16];

			targets_addr6(&ts, i, b);
			assert_int_equal(b[6], i); /* the i-th /56 */
		}
		targets_free(&ts);
	}
	/* The default (a zeroed target_opts) is low. */
	struct target_opts o = { .allow_reserved = true };

	assert_int_equal(BUILD(&ts, &o, "2001:db8:1::/62-64"), 0);
	assert_int_equal(ts.count, 4);
	assert_string_equal(addr_at(&ts, 3, buf), "2001:db8:1:3::1");
	targets_free(&ts);
	/* /LEN-128: every address of the prefix, whatever the mode. */
	o = opts_iid("full", 0);
	assert_int_equal(BUILD(&ts, &o, "2001:db8::/124-128"), 0);
	assert_int_equal(ts.count, 16);
	assert_int_equal(ts.n_iv6, 1);
	targets_free(&ts);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* random: one address inside each prefix, the same for a seed, another for another seed. */
static void test_random(void **state)
{
	struct target_opts a = opts_iid("random", 42), b = opts_iid("random", 42),
			   c = opts_iid("random", 43);
	struct target_set ta, tb, tc;
	unsigned int differ = 0, low_iid = 0, repeated = 0;
	__u64 *iids = calloc(65536, sizeof(*iids));

	(void)state;
	assert_non_null(iids);
	assert_int_equal(BUILD(&ta, &a, "2001:db8:1::/48-64"), 0);
	assert_int_equal(BUILD(&tb, &b, "2001:db8:1::/48-64"), 0);
	assert_int_equal(BUILD(&tc, &c, "2001:db8:1::/48-64"), 0);
	assert_int_equal(ta.count, 65536);
	assert_int_equal(tc.count, 65536);
	for (__u64 i = 0; i < ta.count; i++) {
		__u8 x[16], y[16], z[16];

		targets_addr6(&ta, i, x);
		targets_addr6(&tb, i, y);
		targets_addr6(&tc, i, z);
		assert_memory_equal(x, y, 16);
		/* In order: index i is in the i-th /64. */
		assert_true(ip6_load(x) >> 64 == (v6("2001:db8:1::") >> 64) + i);
		assert_true(ip6_load(z) >> 64 == (v6("2001:db8:1::") >> 64) + i);
		differ += memcmp(x, z, 16) != 0;
		low_iid += (__u64)ip6_load(x) < (1ULL << 32);
		iids[i] = (__u64)ip6_load(x);
	}
	/* Each prefix its own IID, not one drawn once for all. */
	qsort(iids, 65536, sizeof(*iids), cmp_u64);
	for (size_t i = 1; i < 65536; i++)
		repeated += iids[i] == iids[i - 1];
	assert_int_equal(repeated, 0);
	free(iids);
	/* 64 random bits: a collision between seeds or an IID below 2^32 is a 2^-32 event. */
	assert_int_equal(differ, 65536);
	assert_int_equal(low_iid, 0);
	targets_free(&ta);
	targets_free(&tb);
	targets_free(&tc);
}

/* Beyond what one run takes: refused in one line, before anything is made. */
static void test_refused(void **state)
{
	struct target_opts o = opts_iid("low", 0);
	struct target_set ts;

	(void)state;
	assert_int_equal(BUILD(&ts, &o, "2001:db8::/32-64"), -EINVAL);
	assert_string_equal(msg, "echomap: bad target '2001:db8::/32-64': a /32 holds 2^32 /64 "
				 "prefixes, more than the 16777216 IPv6 targets a run takes: use a "
				 "longer prefix or a shorter expansion\n");
	assert_int_equal(BUILD(&ts, &o, "::/0-128"), -EINVAL);
	assert_int_equal(BUILD(&ts, &o, "2001:db8::/32-57"), -EINVAL);
	/* Together above the limit, each below it. */
	assert_int_equal(BUILD(&ts, &o, "2001:db8:1::/48-72", "2001:db8:2::/48-49"), -EINVAL);
	assert_non_null(strstr(msg, "'2001:db8:2::/48-49': with the expansions before it"));
	/* A fixed IID wider than the host part. */
	o = opts_iid("::1:0:0:0:0", 0);
	assert_int_equal(BUILD(&ts, &o, "2001:db8:1::/48-64"), -EINVAL);
	assert_non_null(strstr(msg, "bits above"));
	/* The default blocklist applies: 2001:db8::/32 is documentation space. */
	o = (struct target_opts){ 0 };
	assert_int_equal(BUILD(&ts, &o, "2001:db8:1::/48-52"), -ENOENT);
	/* Lists take no expansions. */
	char path[] = "/tmp/echomap-expand-list-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "2001:db8::/32-48\n", 17), 17);
	close(fd);
	o = (struct target_opts){ .allow_reserved = true, .blocklist_file = path };
	assert_int_equal(BUILD(&ts, &o, "2001:db8::1"), -EINVAL);
	assert_non_null(strstr(msg, "bad blocklist entry"));
	unlink(path);
}

/* A hitlist of prefixes to expand, beside addresses: lines of both kinds, merged. */
static void test_in_file(void **state)
{
	char path[] = "/tmp/echomap-expand-XXXXXX", arg[64], buf[INET6_ADDRSTRLEN];
	struct target_opts o = opts_iid("::abcd", 0);
	struct target_set ts;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("# prefixes\n2001:db8:1::/48-50 # four /50s\n2001:db8:2::5\n"
	      "2001:db8:1::abcd\n", f); /* the first expansion's first address again */
	fclose(f);
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(BUILD(&ts, &o, arg, "2001:db8:3::/56-57"), 0);
	assert_int_equal(ts.count, 4 + 1 + 2);
	assert_string_equal(addr_at(&ts, 0, buf), "2001:db8:1::abcd");
	assert_string_equal(addr_at(&ts, 1, buf), "2001:db8:1:4000::abcd");
	assert_string_equal(addr_at(&ts, 3, buf), "2001:db8:1:c000::abcd");
	assert_string_equal(addr_at(&ts, 4, buf), "2001:db8:2::5");
	assert_string_equal(addr_at(&ts, 5, buf), "2001:db8:3::abcd");
	assert_string_equal(addr_at(&ts, 6, buf), "2001:db8:3:80::abcd");
	targets_free(&ts);
	/* A bad line names its file and line. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("2001:db8:1::5\n2001:db8:1::/48-40\n", f);
	fclose(f);
	assert_int_equal(BUILD(&ts, &o, arg), -EINVAL);
	assert_non_null(strstr(msg, ":2: the expansion's length is shorter"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),  cmocka_unit_test(test_iid_parse),
		cmocka_unit_test(test_modes),  cmocka_unit_test(test_random),
		cmocka_unit_test(test_refused), cmocka_unit_test(test_in_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
