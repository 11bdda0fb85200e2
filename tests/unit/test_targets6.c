// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 targets: parsing of addresses, prefixes and ranges, their expansion and size limit, the
 * IPv6 default blocklist and scopes, hitlists (@file), and a set mixing both families in one
 * index space.
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

#include "targets/blocklist.h"
#include "targets/ip6set.h"
#include "targets/scope.h"
#include "targets/targets.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)))
#define BUILD(ts, opts, ...) build(ts, opts, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))

static const struct target_opts defaults;
static const struct target_opts reserved_ok = { .allow_reserved = true };

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
	assert_int_equal(unres, 0);
	return err;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static ip6_t v6(const char *s)
{
	__u8 b[16];

	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return ip6_load(b);
}

/* Target i's address as text. */
static const char *addr_at(const struct target_set *ts, __u64 i, char *buf)
{
	__u8 b[16];
	__u32 a;

	if (!targets_is6(ts, i)) {
		a = htonl(targets_addr(ts, i));
		return inet_ntop(AF_INET, &a, buf, INET6_ADDRSTRLEN);
	}
	targets_addr6(ts, i, b);
	return inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

static void test_load_store(void **state)
{
	__u8 b[16], c[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		b[i] = (__u8)(i * 17 + 3);
	ip6_store(ip6_load(b), c);
	assert_memory_equal(b, c, 16);
	assert_true(v6("::1") == 1);
	assert_true(v6("2001:db8::") >> 96 == 0x20010db8);
	assert_true(ip6_prefix_lo(v6("2001:db8::1:2"), 112) == v6("2001:db8::1:0"));
	assert_true(ip6_prefix_hi(v6("2001:db8::1:2"), 112) == v6("2001:db8::1:ffff"));
	assert_true(ip6_prefix_lo(v6("2001:db8::1"), 0) == 0);
	assert_true(ip6_prefix_hi(v6("2001:db8::1"), 128) == v6("2001:db8::1"));
}

/* An address, a prefix (host bits ignored), a range: each expands to exactly its addresses. */
static void test_forms(void **state)
{
	struct target_set ts;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8::7"), 0);
	assert_int_equal(ts.count, 1);
	assert_int_equal(ts.count6, 1);
	assert_true(targets_is6(&ts, 0));
	assert_string_equal(addr_at(&ts, 0, buf), "2001:db8::7");
	targets_free(&ts);

	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8:1::1234/120"), 0);
	assert_int_equal(ts.count, 256);
	assert_string_equal(addr_at(&ts, 0, buf), "2001:db8:1::1200");
	assert_string_equal(addr_at(&ts, 255, buf), "2001:db8:1::12ff");
	targets_free(&ts);

	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8::fffe-2001:db8::1:1"), 0);
	assert_int_equal(ts.count, 4);
	assert_string_equal(addr_at(&ts, 1, buf), "2001:db8::ffff");
	assert_string_equal(addr_at(&ts, 2, buf), "2001:db8::1:0");
	targets_free(&ts);

	/* Overlaps merge, duplicates count once. */
	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8::/126", "2001:db8::2-2001:db8::5",
			       "2001:db8::5"), 0);
	assert_int_equal(ts.count, 6);
	assert_int_equal(ts.n_iv6, 1);
	targets_free(&ts);

	/* The top of the address space does not wrap. */
	assert_int_equal(BUILD(&ts, &reserved_ok, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"),
			 0);
	assert_int_equal(ts.count, 16);
	assert_string_equal(addr_at(&ts, 15, buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	targets_free(&ts);
}

/* Beyond TARGETS6_MAX, and malformed input: one line naming the token, -EINVAL. */
static void test_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "2001:db8::/64", "2^64 addresses" },
		{ "2001:db8::/103", "2^25 addresses" },
		{ "2001:db8::-2001:db8::1:0:0", "more than the 16777216 IPv6 targets" },
		{ "2001:db8::/129", "prefix length must be 0..128" },
		{ "2001:db8::/", "prefix length must be 0..128" },
		{ "2001:db8::g", "not an IPv6 address" },
		{ "2001:db8::5-2001:db8::4", "range start is above its end" },
		{ "2001:db8::5-10.0.0.1", "not an IPv6 range" },
		{ "2001:db8:::1/120", "not an IPv6 address before the '/'" },
	};
	struct target_set ts;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(BUILD(&ts, &reserved_ok, (char *)bad[i][0]), -EINVAL);
		assert_int_equal(lines(msg), 1);
		assert_non_null(strstr(msg, bad[i][0]));
		assert_non_null(strstr(msg, bad[i][1]));
	}
	/* The largest prefix taken is /104. */
	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8::/104"), 0);
	assert_int_equal(ts.count, TARGETS6_MAX);
	targets_free(&ts);
	/* Together above the limit: refused as a whole. */
	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8::/104", "2001:db8:1::/104"), -EINVAL);
	assert_non_null(strstr(msg, "33554432 IPv6 targets are more than a run takes"));
}

/* The default blocklist: explicit reserved addresses refused, ranges cut, --allow-reserved. */
static void test_blocklist(void **state)
{
	struct target_set ts;

	(void)state;
	assert_int_equal(BUILD(&ts, &defaults, "2001:db8::1"), -EINVAL);
	assert_int_equal(lines(msg), 1);
	assert_non_null(strstr(msg, "reserved special-purpose range 2001:db8::/32"));
	assert_int_equal(BUILD(&ts, &defaults, "::1"), -EINVAL);
	assert_non_null(strstr(msg, "::1/128"));
	assert_int_equal(BUILD(&ts, &defaults, "fe80::1"), -EINVAL);
	assert_int_equal(BUILD(&ts, &defaults, "2001:db8::/120"), -ENOENT);
	/* 2001::/23 ends at 2001:1ff:ffff:...:ffff: from 2001:200:: on it is public. */
	assert_int_equal(BUILD(&ts, &defaults,
			       "2001:1ff:ffff:ffff:ffff:ffff:ffff:fff0-2001:200::f"), 0);
	assert_int_equal(ts.count, 16);
	targets_free(&ts);
	assert_int_equal(BUILD(&ts, &defaults, "2606:4700::1", "fd00::1"), 0);
	assert_int_equal(ts.count, 2);
	targets_free(&ts);
}

static void test_scope6(void **state)
{
	static const char *const cases[][2] = {
		{ "2606:4700::1", "public" },	   { "2001:db8::1", "documentation" },
		{ "3fff::1", "documentation" },	   { "fe80::1", "link-local" },
		{ "::1", "loopback" },		   { "ff02::1", "multicast" },
		{ "fd12:3456::1", "unique-local" }, { "fc00::1", "unique-local" },
		{ "::", "reserved" },		   { "::ffff:1.2.3.4", "reserved" },
		{ "2002::1", "reserved" },	   { "2001::1", "reserved" },
		{ "64:ff9b::1.2.3.4", "public" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ip6_t a = v6(cases[i][0]);

		printf("# %s %s\n", cases[i][0], addr_scope6(a));
		assert_string_equal(addr_scope6(a), cases[i][1]);
		assert_int_equal(addr_reserved6(a), strcmp(cases[i][1], "public") &&
							    strcmp(cases[i][1], "unique-local"));
	}
}

/* A hitlist: an @file of addresses, comments and blank lines, both families. */
static void test_hitlist(void **state)
{
	char path[] = "/tmp/echomap-hitlist-XXXXXX", arg[64], buf[INET6_ADDRSTRLEN];
	int fd = mkstemp(path);
	FILE *f;
	struct target_set ts;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("# hitlist\n2001:db8::9\n\n2001:db8::3 # a comment\n198.18.0.1\n", f);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "2001:db8:%x::1\n", i + 1);
	fclose(f);
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(BUILD(&ts, &reserved_ok, arg), 0);
	assert_int_equal(ts.count, 1003);
	assert_int_equal(ts.count6, 1002);
	assert_string_equal(addr_at(&ts, 0, buf), "198.18.0.1");
	assert_string_equal(addr_at(&ts, 1, buf), "2001:db8::3");
	assert_string_equal(addr_at(&ts, 2, buf), "2001:db8::9");
	assert_string_equal(addr_at(&ts, 3, buf), "2001:db8:1::1");
	assert_string_equal(addr_at(&ts, 1002, buf), "2001:db8:3e8::1");
	targets_free(&ts);
	unlink(path);
}

/*
 * Both families in one set: IPv4 indices first, then IPv6, every address exactly once and each
 * index maps back to its address.
 */
static void test_mixed_index(void **state)
{
	struct target_set ts;
	char buf[INET6_ADDRSTRLEN], prev[INET6_ADDRSTRLEN] = "";

	(void)state;
	assert_int_equal(BUILD(&ts, &reserved_ok, "2001:db8:1::/124", "198.18.0.0/30",
			       "2001:db8::ff-2001:db8::101", "198.18.1.1"), 0);
	assert_int_equal(ts.count, 5 + 16 + 3);
	assert_int_equal(ts.count6, 19);
	for (__u64 i = 0; i < ts.count; i++) {
		assert_int_equal(targets_is6(&ts, i), i >= 5);
		addr_at(&ts, i, buf);
		assert_string_not_equal(buf, prev);
		strcpy(prev, buf);
	}
	assert_string_equal(addr_at(&ts, 4, buf), "198.18.1.1");
	assert_string_equal(addr_at(&ts, 5, buf), "2001:db8::ff");
	assert_string_equal(addr_at(&ts, 7, buf), "2001:db8::101");
	assert_string_equal(addr_at(&ts, 8, buf), "2001:db8:1::");
	assert_string_equal(addr_at(&ts, 23, buf), "2001:db8:1::f");
	targets_free(&ts);
}

/* A name's IPv6 addresses join the set under its name; a reserved one is refused by name. */
static void test_names6(void **state)
{
	char *args[] = { "dual.test", "198.18.0.9" };
	struct resolved res = { .n = 1, .n6 = 2 };
	struct target_opts o = reserved_ok;
	struct target_spec sp;
	struct target_set ts;
	__u8 b[16];

	(void)state;
	res.addrs = malloc(sizeof(*res.addrs));
	res.addrs6 = malloc(2 * sizeof(*res.addrs6));
	assert_non_null(res.addrs);
	assert_non_null(res.addrs6);
	res.addrs[0] = 0xc6120005; /* 198.18.0.5 */
	res.addrs6[0] = v6("2001:db8::5");
	res.addrs6[1] = v6("2001:db8::3");
	assert_int_equal(targets_parse(&sp, args, 2, &o), 0);
	assert_int_equal(sp.n_names, 1);
	assert_int_equal(targets_assemble(&ts, &sp, &res, &o), 0);
	assert_int_equal(ts.count, 4);
	assert_int_equal(ts.count6, 2);
	assert_int_equal(ts.n_names6, 2);
	assert_string_equal(targets_name(&ts, 0xc6120005), "dual.test");
	assert_null(targets_name(&ts, 0xc6120009));
	for (__u64 i = 2; i < 4; i++) {
		targets_addr6(&ts, i, b);
		assert_string_equal(targets_name6(&ts, b), "dual.test");
	}
	ip6_store(v6("2001:db8::4"), b);
	assert_null(targets_name6(&ts, b));
	targets_free(&ts);

	/* Without --allow-reserved, 2001:db8::/32 (documentation) is refused, naming the name. */
	o.allow_reserved = false;
	res.n = 0; /* its IPv4 address would be refused first */
	assert_int_equal(targets_assemble(&ts, &sp, &res, &o), -EINVAL);
	target_spec_free(&sp);
	free(res.addrs);
	res.addrs = NULL;
	resolved_free(&res, 1);
}

/* --blocklist and --allowlist files take IPv6 entries too. */
static void test_lists(void **state)
{
	char path[] = "/tmp/echomap-list6-XXXXXX", buf[INET6_ADDRSTRLEN];
	int fd = mkstemp(path);
	struct target_opts o = { .allow_reserved = true, .blocklist_file = path };
	struct target_set ts;

	(void)state;
	assert_true(fd >= 0);
	assert_true(write(fd, "2001:db8::/126\n", 15) == 15);
	close(fd);
	assert_int_equal(BUILD(&ts, &o, "2001:db8::/124"), 0);
	assert_int_equal(ts.count, 12);
	assert_string_equal(addr_at(&ts, 0, buf), "2001:db8::4");
	targets_free(&ts);
	o.blocklist_file = NULL;
	o.allowlist_file = path;
	assert_int_equal(BUILD(&ts, &o, "2001:db8::/124", "198.18.0.1"), 0);
	assert_int_equal(ts.count, 4);
	assert_int_equal(ts.count6, 4);
	targets_free(&ts);
	unlink(path);
}

static void test_ip6set_ops(void **state)
{
	struct ip6_set s = { 0 }, m = { 0 };

	(void)state;
	assert_int_equal(ip6set_add(&s, 0, ~(ip6_t)0), 0);
	assert_int_equal(ip6set_count(&s), UINT64_MAX);
	assert_int_equal(ip6set_add(&m, 10, 20), 0);
	assert_int_equal(ip6set_add(&m, ~(ip6_t)0 - 5, ~(ip6_t)0), 0);
	assert_int_equal(ip6set_add(&m, 0, 0), 0);
	ip6set_normalize(&m);
	assert_int_equal(ip6set_subtract(&s, &m), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.iv[0].lo == 1 && s.iv[0].hi == 9);
	assert_true(s.iv[1].lo == 21 && s.iv[1].hi == ~(ip6_t)0 - 6);
	assert_false(ip6set_contains(&s, 15));
	assert_true(ip6set_contains(&s, 21));
	assert_int_equal(ip6set_intersect(&s, &m), 0);
	assert_int_equal(s.n, 0);
	ip6set_free(&s);
	ip6set_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_store),   cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),	     cmocka_unit_test(test_blocklist),
		cmocka_unit_test(test_scope6),	     cmocka_unit_test(test_hitlist),
		cmocka_unit_test(test_mixed_index),
		cmocka_unit_test(test_names6),  cmocka_unit_test(test_lists),
		cmocka_unit_test(test_ip6set_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
