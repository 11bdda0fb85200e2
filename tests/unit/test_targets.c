// SPDX-License-Identifier: GPL-2.0
/*
 * Target parsing, blocklists, interval-set operations and scopes, checked against naive
 * address-by-address models and against the ranges written out in DESIGN §6 and the RFCs.
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
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "targets/blocklist.h"
#include "targets/ipset.h"
#include "targets/scope.h"
#include "targets/targets.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)))
/* targets_build with the given options; stderr is captured into msg (see capture_*). */
#define BUILD(ts, opts, unres, ...) build(ts, opts, unres, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))

static const struct target_opts defaults;
static const struct target_opts reserved_ok = { .allow_reserved = true };

/* xorshift64*: reproducible inputs without touching the libc generator's state. */
static __u64 rng_state = 0x2545f4914f6cdd1dULL;

static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* What the last build() wrote to stderr. */
static char msg[8192];

static int build(struct target_set *ts, const struct target_opts *o, int *unres, char **args,
		 int n)
{
	FILE *cap = tmpfile();
	int saved = dup(2), err;
	size_t len;

	assert_non_null(cap);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(cap), 2) == 2);
	err = targets_build(ts, args, n, o, unres);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	len = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[len] = '\0';
	fclose(cap);
	/* Show what the user would have seen, as TAP comments. */
	for (const char *l = msg, *e; (e = strchr(l, '\n')); l = e + 1)
		printf("# stderr: %.*s\n", (int)(e - l), l);
	return err;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A temporary file holding text; the caller unlinks and frees the path. */
static char *tmp_file(const char *text)
{
	char *path = strdup("/tmp/echomap-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void drop_file(char *path)
{
	unlink(path);
	free(path);
}

/* Every address of the set in index order, through targets_addr(). */
static void assert_addrs(const struct target_set *ts, const __u32 *want, size_t n)
{
	assert_int_equal(ts->count, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(targets_addr(ts, i), want[i]);
}

static void test_parse_forms(void **state)
{
	static const struct {
		const char *s;
		__u32 lo, hi;
	} ok[] = {
		{ "198.18.0.1", IPV4(198, 18, 0, 1), IPV4(198, 18, 0, 1) },
		{ "0.0.0.0", 0, 0 },
		{ "255.255.255.254", 0xfffffffe, 0xfffffffe },
		{ "198.18.0.0/16", IPV4(198, 18, 0, 0), IPV4(198, 18, 255, 255) },
		{ "10.0.0.0/8", IPV4(10, 0, 0, 0), IPV4(10, 255, 255, 255) },
		/* host bits ignored */
		{ "10.1.2.3/8", IPV4(10, 0, 0, 0), IPV4(10, 255, 255, 255) },
		{ "192.168.1.77/30", IPV4(192, 168, 1, 76), IPV4(192, 168, 1, 79) },
		{ "1.2.3.4/32", IPV4(1, 2, 3, 4), IPV4(1, 2, 3, 4) },
		/* the limited broadcast is never a target (test_explicit_reserved_refused) */
		{ "1.2.3.4/0", 0, 0xfffffffe },
		{ "8.8.8.8/031", IPV4(8, 8, 8, 8), IPV4(8, 8, 8, 9) },
		{ "198.18.0.1-198.18.3.255", IPV4(198, 18, 0, 1), IPV4(198, 18, 3, 255) },
		{ "9.9.9.9-9.9.9.9", IPV4(9, 9, 9, 9), IPV4(9, 9, 9, 9) },
		{ "0.0.0.0-255.255.255.255", 0, 0xfffffffe },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct target_set ts;
		int unres;

		assert_int_equal(BUILD(&ts, &reserved_ok, &unres, (char *)ok[i].s), 0);
		assert_int_equal(ts.n_iv, 1);
		assert_int_equal(ts.iv[0].lo, ok[i].lo);
		assert_int_equal(ts.iv[0].hi, ok[i].hi);
		targets_free(&ts);
	}
}

static const char *const malformed[] = {
	"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/+8", "1.2.3.4/8x", "1.2.3.4/ 8",
	"1.2.3.4/99999999999999999999999", "/8", "1.2.3/8", "example.com/24", "1.2.3.4/8/8",
	"1.2.3.4-1.2.3.3", "1.2.3.4-", "1.2.3.4-5", "1.2.3.4-1.2.3", "1.2.3.4-1.2.3.4-1.2.3.5",
	"1.2.3.4-example.com", "1.2.3.256", "256.1.1.1", "1.2.3", "1.2", "1", "01.2.3.4",
	"1.2.3.4.5", "1.2.3.4.", "0x7f.0.0.1", "", " 1.2.3.4", "1.2.3.4 ", "1..2.3", "a b",
	"foo@bar", "-foo.example", "foo-.example", "a..b", ".", "..", "host.123",
	"exa\tmple.com", "ünicode.example",
	/* a 64-character label */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
};

static void test_parse_malformed(void **state)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct target_set ts;
		int unres;

		assert_int_equal(BUILD(&ts, &reserved_ok, &unres, (char *)malformed[i]), -EINVAL);
		/* One line, naming the token. */
		assert_int_equal(lines(msg), 1);
		assert_non_null(strstr(msg, "bad target"));
		assert_non_null(strstr(msg, malformed[i]));
		assert_int_equal(unres, 0);
	}
}

static void test_name_syntax(void **state)
{
	static const char *const names[] = { "localhost", "example.com.", "a-b.c_d", "x",
					     "xn--bcher-kva.example", "1.2.3.example", "123abc" };
	char name[300];
	struct target_set ts;
	int unres;

	/* Valid host names are names, not ranges. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *arg = (char *)names[i];
		struct target_spec sp;

		assert_int_equal(targets_parse(&sp, &arg, 1, &defaults), 0);
		assert_int_equal(sp.n_names, 1);
		assert_int_equal(sp.set.n, 0);
		target_spec_free(&sp);
	}

	/* A name is at most 253 characters (RFC 1035) in labels of at most 63. */
	memset(name, 'a', sizeof(name));
	for (size_t i = 63; i < sizeof(name); i += 64)
		name[i] = '.';
	name[254] = '\0';
	assert_int_equal(BUILD(&ts, &defaults, &unres, name), -EINVAL);
	assert_non_null(strstr(msg, "bad target"));
	/* One shorter it is a name: looked up (and not found) rather than refused. */
	name[253] = '\0';
	assert_int_equal(BUILD(&ts, &defaults, &unres, name), -ENOENT);
	assert_int_equal(unres, 1);
	assert_non_null(strstr(msg, "cannot resolve"));
}

/* Syntax is checked for every argument before any (slow) lookup. */
static void test_syntax_before_lookup(void **state)
{
	struct target_set ts;
	int unres = -1;

	assert_int_equal(BUILD(&ts, &defaults, &unres, "nonexistent.invalid", "8.8.8.8/40"),
			 -EINVAL);
	assert_int_equal(unres, 0);
	assert_null(strstr(msg, "cannot resolve"));
	assert_int_equal(lines(msg), 1);
}

static void test_file(void **state)
{
	char *path = tmp_file("# targets for the test\n"
			      "\n"
			      "8.8.8.0/30   # four addresses\n"
			      "   \t\n"
			      "  9.9.9.9-9.9.9.10\r\n"
			      "#8.8.4.4\n"
			      "1.1.1.1");
	static const __u32 want[] = { IPV4(1, 1, 1, 1), IPV4(8, 8, 8, 0), IPV4(8, 8, 8, 1),
				      IPV4(8, 8, 8, 2), IPV4(8, 8, 8, 3), IPV4(9, 9, 9, 9),
				      IPV4(9, 9, 9, 10) };
	char arg[64];
	struct target_set ts;
	int unres;

	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(BUILD(&ts, &defaults, &unres, arg), 0);
	assert_addrs(&ts, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(ts.n_names, 0);
	targets_free(&ts);
	drop_file(path);

	/* A bad line is reported with its file and line number. */
	path = tmp_file("1.1.1.1\n\n# fine so far\n2.2.2.2/33\n3.3.3.3\n");
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(BUILD(&ts, &defaults, &unres, arg), -EINVAL);
	assert_int_equal(lines(msg), 1);
	assert_non_null(strstr(msg, "2.2.2.2/33"));
	assert_non_null(strstr(msg, ":4"));
	drop_file(path);

	/* Missing file, and a directory. */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "@/nonexistent/targets.txt"), -EINVAL);
	assert_int_equal(lines(msg), 1);
	assert_int_equal(BUILD(&ts, &defaults, &unres, "@/tmp"), -EINVAL);
	assert_int_equal(lines(msg), 1);
}

static void test_stdin(void **state)
{
	static const char text[] = "# from a pipe\n4.4.4.4\n\n4.4.4.0/31\n5.5.5.5-5.5.5.6\n";
	static const __u32 want[] = { IPV4(4, 4, 4, 0), IPV4(4, 4, 4, 1), IPV4(4, 4, 4, 4),
				      IPV4(5, 5, 5, 5), IPV4(5, 5, 5, 6), IPV4(6, 6, 6, 6) };
	int pfd[2], saved = dup(0), unres;
	struct target_set ts;

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], text, strlen(text)), (ssize_t)strlen(text));
	close(pfd[1]);
	assert_int_equal(dup2(pfd[0], 0), 0);
	close(pfd[0]);
	clearerr(stdin);
	assert_int_equal(BUILD(&ts, &defaults, &unres, "-", "6.6.6.6"), 0);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	assert_addrs(&ts, want, sizeof(want) / sizeof(want[0]));
	targets_free(&ts);
}

/* Sum of the sizes of the DESIGN §6 ranges, written out independently of blocklist.c. */
static __u64 design_blocklist_size(void)
{
	/* 255.255.255.255/32 lies inside 240.0.0.0/4, so it adds nothing. */
	return (1ULL << 24) * 2 + (1ULL << 16) + 256 * 4 + (1ULL << 17) + (1ULL << 28) * 2;
}

static void test_default_blocklist(void **state)
{
	struct ip_set def = { 0 };
	struct target_set ts;
	int unres;

	/* A range loses its reserved part... */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "198.16.0.0/13"), 0);
	assert_int_equal(ts.count, (1 << 19) - (1 << 17));
	assert_int_equal(ts.n_iv, 2);
	assert_int_equal(targets_addr(&ts, (1 << 17) - 1), IPV4(198, 17, 255, 255));
	assert_int_equal(targets_addr(&ts, 1 << 17), IPV4(198, 20, 0, 0));
	for (__u64 i = 0; i < ts.count; i += 97)
		assert_false(addr_reserved(targets_addr(&ts, i)));
	targets_free(&ts);
	/* ...but not with --allow-reserved. */
	assert_int_equal(BUILD(&ts, &reserved_ok, &unres, "198.16.0.0/13"), 0);
	assert_int_equal(ts.count, 1 << 19);
	targets_free(&ts);

	/* A whole reserved range leaves nothing. */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "198.18.0.0/15"), -ENOENT);
	assert_non_null(strstr(msg, "no targets left after the blocklist"));
	assert_int_equal(BUILD(&ts, &reserved_ok, &unres, "198.18.0.0/15"), 0);
	assert_int_equal(ts.count, 1 << 17);
	targets_free(&ts);

	/* The whole space. */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "0.0.0.0/0"), 0);
	assert_int_equal(ts.count, (1ULL << 32) - design_blocklist_size());
	targets_free(&ts);
	/* --allow-reserved lifts all but the limited broadcast, which names no host. */
	assert_int_equal(BUILD(&ts, &reserved_ok, &unres, "0.0.0.0/0"), 0);
	assert_int_equal(ts.count, (1ULL << 32) - 1);
	assert_int_equal(ts.n_iv, 1);
	assert_int_equal(targets_addr(&ts, (1ULL << 32) - 2), 0xfffffffe);
	targets_free(&ts);
	assert_int_equal(BUILD(&ts, &reserved_ok, &unres, "240.0.0.0/4"), 0);
	assert_int_equal(ts.count, (1ULL << 28) - 1);
	targets_free(&ts);

	/* The default blocklist as a set has exactly the size of the DESIGN list. */
	assert_int_equal(blocklist_default(&def), 0);
	assert_int_equal(ipset_count(&def), design_blocklist_size());
	ipset_free(&def);
}

static void test_explicit_reserved_refused(void **state)
{
	static const char *const reserved[] = { "198.18.0.1", "127.0.0.1", "0.0.0.0",
						"169.254.1.1", "192.0.2.1", "224.0.0.1",
						"203.0.113.255" };
	struct target_set ts;
	int unres;

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		/* Refused even alongside other targets: never dropped silently. */
		assert_int_equal(BUILD(&ts, &defaults, &unres, "8.8.8.8", (char *)reserved[i]),
				 -EINVAL);
		assert_int_equal(lines(msg), 1);
		assert_non_null(strstr(msg, reserved[i]));
		assert_non_null(strstr(msg, "--allow-reserved"));

		assert_int_equal(BUILD(&ts, &reserved_ok, &unres, (char *)reserved[i]), 0);
		assert_int_equal(ts.count, 1);
			targets_free(&ts);
	}
	/* A /32 is a CIDR: it only loses the blocklist. */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "8.8.8.8", "198.18.0.1/32"), 0);
	assert_int_equal(ts.count, 1);
	targets_free(&ts);
	/* The limited broadcast is no host, --allow-reserved or not. */
	for (int ok = 0; ok < 2; ok++) {
		assert_int_equal(BUILD(&ts, ok ? &reserved_ok : &defaults, &unres, "8.8.8.8",
				       "255.255.255.255"),
				 -EINVAL);
		assert_int_equal(lines(msg), 1);
		assert_non_null(strstr(msg, "target '255.255.255.255' is the limited broadcast "
					    "address, not a host"));
	}
	assert_int_equal(BUILD(&ts, &reserved_ok, &unres, "255.255.255.255/32"), -ENOENT);
}

static void test_user_lists(void **state)
{
	char *bl = tmp_file("# ours\n8.8.8.0/24\n8.8.9.0-8.8.9.9\n");
	char *al = tmp_file("8.8.0.0/24\n\n8.8.2.0/24 # second\n8.8.9.5\n");
	char *bad = tmp_file("8.8.0.0/24\nexample.com\n");
	struct target_opts o = { .blocklist_file = bl };
	struct target_set ts;
	int unres;

	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.0.0/16"), 0);
	assert_int_equal(ts.count, 65536 - 256 - 10);
	assert_int_equal(ts.n_iv, 2);
	assert_int_equal(targets_addr(&ts, 8 * 256 - 1), IPV4(8, 8, 7, 255));
	assert_int_equal(targets_addr(&ts, 8 * 256), IPV4(8, 8, 9, 10));
	targets_free(&ts);

	/* An explicit single address in the user's blocklist is dropped with a note. */
	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.8.8", "8.8.8.9", "1.1.1.1"), 0);
	assert_int_equal(ts.count, 1);
	assert_non_null(strstr(msg, "8.8.8.8"));
	assert_int_equal(lines(msg), 1);
	targets_free(&ts);
	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.8.8"), -ENOENT);
	assert_non_null(strstr(msg, "no targets left after the blocklist"));

	/* Allowlist: intersection. */
	o = (struct target_opts){ .allowlist_file = al };
	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.0.0/16", "9.0.0.0/8"), 0);
	assert_int_equal(ts.count, 513);
	assert_int_equal(targets_addr(&ts, 0), IPV4(8, 8, 0, 0));
	assert_int_equal(targets_addr(&ts, 256), IPV4(8, 8, 2, 0));
	assert_int_equal(targets_addr(&ts, 512), IPV4(8, 8, 9, 5));
	targets_free(&ts);
	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.1.1", "8.8.0.1"), 0);
	assert_int_equal(ts.count, 1);
	assert_non_null(strstr(msg, "8.8.1.1"));
	targets_free(&ts);

	/* Both, and the default list on top. */
	o = (struct target_opts){ .blocklist_file = bl, .allowlist_file = al };
	assert_int_equal(BUILD(&ts, &o, &unres, "0.0.0.0/0"), 0);
	assert_int_equal(ts.count, 512);
	targets_free(&ts);

	/* Names are not accepted in a list; a missing list is an error. */
	o = (struct target_opts){ .blocklist_file = bad };
	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.0.0/16"), -EINVAL);
	assert_non_null(strstr(msg, "example.com"));
	assert_int_equal(lines(msg), 1);
	o = (struct target_opts){ .allowlist_file = "/nonexistent/allow" };
	assert_int_equal(BUILD(&ts, &o, &unres, "8.8.0.0/16"), -EINVAL);

	drop_file(bl);
	drop_file(al);
	drop_file(bad);
}

static void test_merge(void **state)
{
	struct target_set ts;
	int unres;

	assert_int_equal(BUILD(&ts, &defaults, &unres, "10.0.0.0/24", "10.0.0.128/25", "10.0.0.5",
			       "10.0.1.0-10.0.1.10", "10.0.0.5", "10.0.0.200-10.0.1.3"),
			 0);
	assert_int_equal(ts.n_iv, 1);
	assert_int_equal(ts.count, 256 + 11);
	targets_free(&ts);

	/* Adjacent ranges merge; the top of the space does not wrap (then loses its broadcast). */
	assert_int_equal(BUILD(&ts, &reserved_ok, &unres, "255.255.255.0-255.255.255.255",
			       "255.255.254.0/24", "255.255.255.7", "0.0.0.0", "0.0.0.1/32"),
			 0);
	assert_int_equal(ts.n_iv, 2);
	assert_int_equal(ts.count, 511 + 2);
	assert_int_equal(targets_addr(&ts, 0), 0);
	assert_int_equal(targets_addr(&ts, 2), IPV4(255, 255, 254, 0));
	assert_int_equal(targets_addr(&ts, 512), 0xfffffffe);
	targets_free(&ts);
}

/* A /8 is one interval: no per-address memory, and the far end is reached by arithmetic. */
static void test_large(void **state)
{
	struct target_set ts;
	int unres;

	assert_int_equal(BUILD(&ts, &defaults, &unres, "11.0.0.0/8"), 0);
	assert_int_equal(ts.n_iv, 1);
	assert_int_equal(ts.count, 1 << 24);
	assert_int_equal(targets_addr(&ts, (1 << 24) - 1), IPV4(11, 255, 255, 255));
	assert_null(targets_name(&ts, IPV4(11, 0, 0, 1)));
	targets_free(&ts);
}

/* Random overlapping ranges against a bitmap of the part of the space they cover. */
static void test_index_roundtrip(void **state)
{
	enum { BASE = IPV4(20, 0, 0, 0), SPAN = 1 << 20, RANGES = 200 };
	__u8 *bitmap = calloc(SPAN / 8, 1);
	__u32 *naive = malloc(SPAN * sizeof(*naive));
	char *args[RANGES], buf[64];
	struct target_set ts;
	size_t n = 0;
	int unres;

	assert_non_null(bitmap);
	assert_non_null(naive);
	for (int i = 0; i < RANGES; i++) {
		__u32 lo = rnd() % SPAN, len = rnd() % 3 ? rnd() % 4000 : 0, hi;

		hi = lo + len < SPAN ? lo + len : SPAN - 1;
		for (__u32 a = lo; a <= hi; a++)
			bitmap[a / 8] |= 1 << (a % 8);
		snprintf(buf, sizeof(buf), "20.%u.%u.%u-20.%u.%u.%u", lo >> 16, (lo >> 8) & 255,
			 lo & 255, hi >> 16, (hi >> 8) & 255, hi & 255);
		args[i] = strdup(buf);
	}
	for (__u32 a = 0; a < SPAN; a++)
		if (bitmap[a / 8] & 1 << (a % 8))
			naive[n++] = BASE + a;

	assert_int_equal(build(&ts, &defaults, &unres, args, RANGES), 0);
	assert_int_equal(ts.count, n);
	assert_true(ts.n_iv > 10);
	for (size_t i = 1; i < ts.n_iv; i++) {
		/* Sorted, disjoint, merged (a gap between neighbours), prefix sums consistent. */
		assert_true((__u64)ts.iv[i - 1].hi + 1 < ts.iv[i].lo);
		assert_int_equal(ts.before[i],
				 ts.before[i - 1] + ts.iv[i - 1].hi - ts.iv[i - 1].lo + 1);
	}
	for (size_t i = 0; i < ts.n_iv; i++) {
		__u64 first = ts.before[i], last = first + ts.iv[i].hi - ts.iv[i].lo;

		assert_int_equal(targets_addr(&ts, first), naive[first]);
		assert_int_equal(targets_addr(&ts, last), naive[last]);
	}
	for (int i = 0; i < 100000; i++) {
		__u64 k = rnd() % n;

		assert_int_equal(targets_addr(&ts, k), naive[k]);
	}
	targets_free(&ts);
	for (int i = 0; i < RANGES; i++)
		free(args[i]);
	free(naive);
	free(bitmap);
}

/* Interval-set operations against bitmaps over a small universe, with the top of the space. */
static void fill_random(struct ip_set *s, __u8 *bits, __u32 base, __u32 span)
{
	int k = rnd() % 12;

	memset(bits, 0, span);
	for (int i = 0; i < k; i++) {
		__u32 lo = rnd() % span, hi = lo + rnd() % (span / 4);

		if (hi >= span)
			hi = span - 1;
		assert_int_equal(ipset_add(s, base + lo, base + hi), 0);
		memset(bits + lo, 1, hi - lo + 1);
	}
	ipset_normalize(s);
}

static void assert_set_is(const struct ip_set *s, const __u8 *bits, __u32 base, __u32 span)
{
	__u64 count = 0;

	for (size_t i = 0; i < s->n; i++) {
		assert_true(s->iv[i].lo <= s->iv[i].hi);
		if (i)
			assert_true((__u64)s->iv[i - 1].hi + 1 < s->iv[i].lo);
	}
	for (__u32 a = 0; a < span; a++) {
		assert_int_equal(ipset_contains(s, base + a), bits[a]);
		count += bits[a];
	}
	assert_int_equal(ipset_count(s), count);
}

static void test_ipset_ops(void **state)
{
	enum { SPAN = 512 };
	static const __u32 bases[] = { 0, IPV4(10, 0, 0, 0), 0xffffffff - SPAN + 1 };
	__u8 a[SPAN], b[SPAN], want[SPAN];

	for (int round = 0; round < 3000; round++) {
		__u32 base = bases[round % 3];
		struct ip_set s = { 0 }, t = { 0 };
		bool subtract = round & 1;

		fill_random(&s, a, base, SPAN);
		fill_random(&t, b, base, SPAN);
		assert_set_is(&s, a, base, SPAN);
		for (int i = 0; i < SPAN; i++)
			want[i] = subtract ? a[i] && !b[i] : a[i] && b[i];
		assert_int_equal(subtract ? ipset_subtract(&s, &t) : ipset_intersect(&s, &t), 0);
		assert_set_is(&s, want, base, SPAN);
		ipset_free(&s);
		ipset_free(&t);
	}
}

static void test_names(void **state)
{
	/* IPv4: /etc/hosts may give localhost ::1 too (test_targets6 has the IPv6 names). */
	struct target_opts all = { .allow_reserved = true, .all_addresses = true,
				   .family = AF_INET };
	struct target_set ts;
	int unres;

	/* localhost is 127.0.0.1 in /etc/hosts: reserved, so refused by default. */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "localhost"), -EINVAL);
	assert_non_null(strstr(msg, "localhost"));
	assert_non_null(strstr(msg, "--allow-reserved"));

	assert_int_equal(BUILD(&ts, &all, &unres, "localhost", "LOCALHOST", "127.0.0.0/30"), 0);
	assert_int_equal(unres, 0);
	assert_int_equal(ts.count, 4);
	assert_string_equal(targets_name(&ts, IPV4(127, 0, 0, 1)), "localhost");
	assert_null(targets_name(&ts, IPV4(127, 0, 0, 2)));
	assert_int_equal(ts.n_names, 1);
	targets_free(&ts);

	/* An unresolved name is reported once, counted, and the rest goes on (.onion names are
	 * never sent to a DNS server, RFC 7686: the test stays on this machine). */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "nonexistent.onion", "8.8.8.8",
			       "NONEXISTENT.onion"),
			 0);
	assert_int_equal(unres, 1);
	assert_int_equal(lines(msg), 1);
	assert_non_null(strstr(msg, "cannot resolve 'nonexistent.onion'"));
	assert_int_equal(ts.count, 1);
	targets_free(&ts);

	/* Nothing but unresolved names. */
	assert_int_equal(BUILD(&ts, &defaults, &unres, "nonexistent.onion", "other.onion"),
			 -ENOENT);
	assert_int_equal(unres, 2);
	assert_non_null(strstr(msg, "no target resolved"));
}

static void test_empty(void **state)
{
	char *path = tmp_file("# nothing here\n\n   \n");
	struct target_set ts;
	char arg[64];
	int unres;

	assert_int_equal(build(&ts, &defaults, &unres, NULL, 0), -ENOENT);
	snprintf(arg, sizeof(arg), "@%s", path);
	assert_int_equal(BUILD(&ts, &defaults, &unres, arg), -ENOENT);
	assert_int_equal(lines(msg), 1);
	drop_file(path);
}

static void test_scope(void **state)
{
	/* Both ends of every range and the addresses just outside, from the RFCs. */
	static const struct {
		__u32 a;
		const char *scope;
	} cases[] = {
		{ IPV4(0, 0, 0, 0), "reserved" },
		{ IPV4(0, 255, 255, 255), "reserved" },
		{ IPV4(1, 0, 0, 0), "public" },
		{ IPV4(9, 255, 255, 255), "public" },
		{ IPV4(10, 0, 0, 0), "private" },
		{ IPV4(10, 255, 255, 255), "private" },
		{ IPV4(11, 0, 0, 0), "public" },
		{ IPV4(100, 63, 255, 255), "public" },
		{ IPV4(100, 64, 0, 0), "shared" },
		{ IPV4(100, 127, 255, 255), "shared" },
		{ IPV4(100, 128, 0, 0), "public" },
		{ IPV4(126, 255, 255, 255), "public" },
		{ IPV4(127, 0, 0, 0), "loopback" },
		{ IPV4(127, 255, 255, 255), "loopback" },
		{ IPV4(128, 0, 0, 0), "public" },
		{ IPV4(169, 253, 255, 255), "public" },
		{ IPV4(169, 254, 0, 0), "link-local" },
		{ IPV4(169, 254, 255, 255), "link-local" },
		{ IPV4(169, 255, 0, 0), "public" },
		{ IPV4(172, 15, 255, 255), "public" },
		{ IPV4(172, 16, 0, 0), "private" },
		{ IPV4(172, 31, 255, 255), "private" },
		{ IPV4(172, 32, 0, 0), "public" },
		{ IPV4(191, 255, 255, 255), "public" },
		{ IPV4(192, 0, 0, 0), "reserved" },
		{ IPV4(192, 0, 0, 255), "reserved" },
		{ IPV4(192, 0, 1, 0), "public" },
		{ IPV4(192, 0, 1, 255), "public" },
		{ IPV4(192, 0, 2, 0), "reserved" },
		{ IPV4(192, 0, 2, 255), "reserved" },
		{ IPV4(192, 0, 3, 0), "public" },
		{ IPV4(192, 167, 255, 255), "public" },
		{ IPV4(192, 168, 0, 0), "private" },
		{ IPV4(192, 168, 255, 255), "private" },
		{ IPV4(192, 169, 0, 0), "public" },
		{ IPV4(198, 17, 255, 255), "public" },
		{ IPV4(198, 18, 0, 0), "reserved" },
		{ IPV4(198, 19, 255, 255), "reserved" },
		{ IPV4(198, 20, 0, 0), "public" },
		{ IPV4(198, 51, 99, 255), "public" },
		{ IPV4(198, 51, 100, 0), "reserved" },
		{ IPV4(198, 51, 100, 255), "reserved" },
		{ IPV4(198, 51, 101, 0), "public" },
		{ IPV4(203, 0, 112, 255), "public" },
		{ IPV4(203, 0, 113, 0), "reserved" },
		{ IPV4(203, 0, 113, 255), "reserved" },
		{ IPV4(203, 0, 114, 0), "public" },
		{ IPV4(223, 255, 255, 255), "public" },
		{ IPV4(224, 0, 0, 0), "multicast" },
		{ IPV4(239, 255, 255, 255), "multicast" },
		{ IPV4(240, 0, 0, 0), "reserved" },
		{ IPV4(255, 255, 255, 254), "reserved" },
		{ IPV4(255, 255, 255, 255), "reserved" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].scope;
		bool allowed = !strcmp(s, "public") || !strcmp(s, "private") ||
			       !strcmp(s, "shared");

		assert_string_equal(addr_scope(cases[i].a), s);
		/* Private and shared space stays allowed; every other special scope is blocked. */
		assert_int_equal(addr_reserved(cases[i].a), !allowed);
	}
	/* Messages name the most specific range: the broadcast address, not 240.0.0.0/4. */
	assert_int_equal(default_blocklist_find(0xffffffff)->len, 32);
	assert_int_equal(default_blocklist_find(IPV4(255, 255, 255, 254))->len, 4);
	assert_null(default_blocklist_find(IPV4(8, 8, 8, 8)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_name_syntax),
		cmocka_unit_test(test_syntax_before_lookup),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_default_blocklist),
		cmocka_unit_test(test_explicit_reserved_refused),
		cmocka_unit_test(test_user_lists),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_index_roundtrip),
		cmocka_unit_test(test_ipset_ops),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
