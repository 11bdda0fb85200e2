// SPDX-License-Identifier: GPL-2.0
/*
 * Name resolution: the hosts line of nsswitch.conf, the resolv.conf options c-ares does not read,
 * hosts files, and batches that need no network (/etc/hosts, RFC 6761/7686 names). DNS itself
 * is tested end to end against a real server in tests/e2e/names.bats.
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

#include "names/prefer.h"
#include "names/resolve.h"
#include "targets/ipset.h"

/* "f" or "d" per step, then the statuses it returns on: "files dns[N]" for [NOTFOUND=return]. */
static const char *describe(const struct nss_hosts *h)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < h->n; i++) {
		const struct nss_step *s = &h->step[i];

		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
				s->src == NSS_FILES ? "files" : "dns");
		if (s->stop[NSS_NOTFOUND] || s->stop[NSS_UNAVAIL] || s->stop[NSS_TRYAGAIN])
			len += snprintf(buf + len, sizeof(buf) - len, "[%s%s%s]",
					s->stop[NSS_NOTFOUND] ? "N" : "",
					s->stop[NSS_UNAVAIL] ? "U" : "",
					s->stop[NSS_TRYAGAIN] ? "T" : "");
	}
	return buf;
}

static void parses_to(const char *line, const char *want)
{
	struct nss_hosts h;

	assert_int_equal(nss_hosts_parse(line, &h), 0);
	assert_string_equal(describe(&h), want);
}

static void test_nss_order(void **state)
{
	parses_to("files dns", "files dns");
	parses_to("dns files", "dns files");
	parses_to("  files\tdns  \n", "files dns");
	parses_to("files", "files");
	parses_to("dns", "dns");
	parses_to("", "");
	/* Source names are module names: case matters, as for glibc. */
	parses_to("Files DNS", "");
}

/* Unsupported sources are skipped, and their criteria with them. */
static void test_nss_unsupported(void **state)
{
	/* Debian with libnss-mdns: mdns4_minimal's [NOTFOUND=return] must not stop files. */
	parses_to("files mdns4_minimal [NOTFOUND=return] dns myhostname", "files dns");
	/* systemd-resolved's suggested line. */
	parses_to("mymachines resolve [!UNAVAIL=return] files myhostname dns", "files dns");
	parses_to("myhostname mdns", "");
	parses_to("wins files nis dns", "files dns");
}

static void test_nss_criteria(void **state)
{
	parses_to("files [NOTFOUND=return] dns", "files[N] dns");
	/* glibc's default line: dns decides unless it is unavailable. */
	parses_to("dns [!UNAVAIL=return] files", "dns[NT] files");
	parses_to("dns [UNAVAIL=return TRYAGAIN=return] files", "dns[UT] files");
	/* Status and action names are case-insensitive; blanks are allowed around '='. */
	parses_to("dns [ notfound = Return ] files", "dns[N] files");
	/* SUCCESS always returns: [SUCCESS=...] changes nothing, [!SUCCESS=return] all else. */
	parses_to("files [SUCCESS=continue] dns", "files dns");
	parses_to("files [!SUCCESS=return] dns", "files[NUT] dns");
	/* merge only joins group entries: for hosts it goes on. */
	parses_to("files [!UNAVAIL=return] [NOTFOUND=merge] dns", "files[T] dns");
	parses_to("files [NOTFOUND=continue] dns", "files dns");
}

static void test_nss_malformed(void **state)
{
	static const char *const bad[] = {
		"files [NOTFOUND=return dns", /* no ']' */
		"[NOTFOUND=return] files",    /* criteria before any source */
		"files [BOGUS=return] dns",
		"files [NOTFOUND=explode] dns",
		"files [NOTFOUND] dns",
		"files [=return] dns",
		"files, dns",
		"files dns files dns files dns files dns files", /* more steps than we keep */
	};
	struct nss_hosts h;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("# %s\n", bad[i]);
		assert_int_equal(nss_hosts_parse(bad[i], &h), -EINVAL);
	}
}

/* Writes text to a new temporary file; returns its path (static buffer). */
static const char *tmpfile_with(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/echomap-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void reads_to(const char *text, const char *want)
{
	const char *path = text ? tmpfile_with(text) : "/nonexistent/nsswitch.conf";
	struct nss_hosts h;

	nss_hosts_read(path, &h);
	if (text)
		unlink(path);
	assert_string_equal(describe(&h), want);
}

static void test_nss_file(void **state)
{
	reads_to("# hosts: dns\npasswd: files\nhosts:  dns files # dns first\nnetworks: files\n",
		 "dns files");
	reads_to("passwd: files systemd\n  hosts :files\n", "files");
	/* The first hosts line counts. */
	reads_to("hosts: files dns\nhosts: dns files\n", "files dns");
	/* glibc's default without a hosts line, a file, or with a malformed line. */
	reads_to("passwd: files\nhostsfoo: files\n", "dns[NT] files");
	reads_to(NULL, "dns[NT] files");
	reads_to("hosts: files [NOTFOUND=return dns\n", "dns[NT] files");
	/* Nothing usable: nothing resolves, as glibc with only unknown modules. */
	reads_to("hosts: mdns_minimal myhostname\n", "");
}

static void resolv_is(const char *text, const char *env, unsigned int timeout_s,
		      unsigned int attempts, unsigned int nameservers)
{
	const char *path = text ? tmpfile_with(text) : "/nonexistent/resolv.conf";
	struct resolv_conf rc;

	resolv_conf_read(path, env, &rc);
	if (text)
		unlink(path);
	assert_int_equal(rc.timeout_s, timeout_s);
	assert_int_equal(rc.attempts, attempts);
	assert_int_equal(rc.nameservers, nameservers);
}

static void test_resolv_conf(void **state)
{
	/* glibc's defaults: 5 s, 2 attempts. */
	resolv_is(NULL, NULL, 5, 2, 0);
	resolv_is("nameserver 192.0.2.2\n", NULL, 5, 2, 1);
	resolv_is("nameserver 192.0.2.2\noptions timeout:1 attempts:1\n", NULL, 1, 1, 1);
	resolv_is("options rotate\toptions attempts:3 ndots:2\nnameserver a\nnameserver b\n", NULL,
		  5, 3, 2);
	/* Several options lines add up; the last value wins. */
	resolv_is("options timeout:2\noptions attempts:4\noptions timeout:3\n", NULL, 3, 4, 0);
	/* glibc's limits: 30 s, 5 attempts; at least 1 each. */
	resolv_is("options timeout:99 attempts:9\n", NULL, 30, 5, 0);
	resolv_is("options timeout:0 attempts:0\n", NULL, 1, 1, 0);
	/* Not an options or nameserver line. */
	resolv_is("optionstimeout:1\n# options timeout:1\nnameservers 1.2.3.4\n", NULL, 5, 2, 0);
	/* RES_OPTIONS comes after the file. */
	resolv_is("options timeout:1 attempts:1\n", "attempts:4", 1, 4, 0);
	resolv_is(NULL, "timeout:2 attempts:3", 2, 3, 0);
}

static void test_hosts_file(void **state)
{
	const char *path = tmpfile_with("# 198.18.0.9 comment.test\n"
					"127.0.0.1\tlocalhost\n"
					"::1 localhost ip6-localhost\n"
					"2001:db8::2 a.test\n"
					"198.18.0.1  a.test\tA-alias # 198.18.0.8 trailing.test\n"
					"2001:db8::1 A.test six.test\n"
					"198.18.0.2 b.test\r\n"
					"198.18.0.3 A.TEST\n"
					"198.18.0.1 a.test\n"
					"bogus line.test\n"
					"10.1 short.test\n"
					"198.18.0.4\n"
					"198.18.0.5 last.test");
	struct hosts_file h;
	struct resolved r;

	assert_int_equal(hosts_load(path, &h), 0);
	unlink(path);
	assert_false(h.unavail);

	/* Every line of a name, case-insensitive, in file order, without duplicates. */
	assert_int_equal(hosts_lookup(&h, "a.Test", true, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 1));
	assert_int_equal(r.addrs[1], IPV4(198, 18, 0, 3));
	assert_int_equal(r.ttl, 0);
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "a.test", false, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 1));
	resolved_free(&r, 1);

	/* Aliases; a line without a final newline; CRLF. */
	assert_int_equal(hosts_lookup(&h, "a-alias", true, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 1));
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "last.test", true, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 5));
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "b.test", true, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 2));
	resolved_free(&r, 1);

	/* IPv6 lines too: -6 (AF_INET6) takes only them, -4 only the others. */
	assert_int_equal(hosts_lookup(&h, "a.test", true, AF_INET6, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.n6, 2);
	assert_true(r.addrs6[0] == ((ip6_t)0x20010db8 << 96 | 2));
	assert_true(r.addrs6[1] == ((ip6_t)0x20010db8 << 96 | 1));
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "a.test", true, AF_INET, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.n6, 0);
	assert_null(r.addrs6);
	resolved_free(&r, 1);
	/* Both families, all of them, or the first of each (prefer.h picks one of the two). */
	assert_int_equal(hosts_lookup(&h, "a.test", true, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.n6, 2);
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "a.test", false, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n6, 1);
	assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 1));
	assert_true(r.addrs6[0] == ((ip6_t)0x20010db8 << 96 | 2));
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "six.test", false, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.n6, 1);
	resolved_free(&r, 1);
	assert_int_equal(hosts_lookup(&h, "six.test", true, AF_INET, &r), ARES_ENOTFOUND);
	assert_null(r.addrs);
	assert_int_equal(hosts_lookup(&h, "b.test", true, AF_INET6, &r), ARES_ENOTFOUND);
	assert_null(r.addrs6);
	assert_int_equal(hosts_lookup(&h, "ip6-localhost", true, AF_UNSPEC, &r), ARES_SUCCESS);
	assert_int_equal(r.n6, 1);
	assert_true(r.addrs6[0] == 1);
	resolved_free(&r, 1);

	/* Comments and lines without a valid address count for nothing. */
	static const char *const absent[] = { "comment.test", "trailing.test", "line.test",
					      "short.test",   "198.18.0.4",    "",
					      "a.test." };
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_int_equal(hosts_lookup(&h, absent[i], true, AF_UNSPEC, &r), ARES_ENOTFOUND);
		assert_null(r.addrs);
		assert_int_equal(r.n, 0);
	}
	hosts_free(&h);

	/* An unreadable file: UNAVAIL in nsswitch's terms. */
	assert_int_equal(hosts_load("/nonexistent/hosts", &h), 0);
	assert_true(h.unavail);
	assert_int_equal(hosts_lookup(&h, "a.test", true, AF_UNSPEC, &r), ARES_EFILE);
	hosts_free(&h);
}

/*
 * Without any network: localhost comes from /etc/hosts or c-ares itself (RFC 6761 §6.3, never
 * sent to a server), .onion names fail in c-ares (RFC 7686). Order and failures per name.
 */
/* RFC 2782's _service._proto.name is asked as SRV; names with an underscore elsewhere are not. */
static void test_srv_name(void **state)
{
	(void)state;
	assert_true(is_srv_name("_ping._udp.example."));
	assert_true(is_srv_name("_icmp._tcp.zone.test"));
	assert_false(is_srv_name("_ping.example."));
	assert_false(is_srv_name("ping._udp.example."));
	assert_false(is_srv_name("_dmarc"));
	assert_false(is_srv_name("host_1.example."));
}

static void test_resolve_offline(void **state)
{
	char *names[] = { "localhost", "nonexistent.onion" };
	struct resolve_opts o = { .all = true };
	struct resolved r[2];

	assert_int_equal(resolve_names(names, 2, &o, r), 0);
	assert_true(r[0].n >= 1);
	assert_null(r[0].reason);
	assert_int_equal(r[0].addrs[0], IPV4(127, 0, 0, 1));
	for (size_t i = 0; i < r[0].n; i++)
		for (size_t j = i + 1; j < r[0].n; j++)
			assert_int_not_equal(r[0].addrs[i], r[0].addrs[j]);

	assert_int_equal(r[1].n, 0);
	assert_null(r[1].addrs);
	assert_non_null(r[1].reason);
	print_message("# nonexistent.onion: %s\n", r[1].reason);
	resolved_free(r, 2);
	assert_null(r[0].addrs);

	/* Only the first address unless all (of IPv4: which family wins depends on the host). */
	o.all = false;
	o.family = AF_INET;
	assert_int_equal(resolve_names(names, 1, &o, r), 0);
	assert_int_equal(r[0].n, 1);
	assert_int_equal(r[0].addrs[0], IPV4(127, 0, 0, 1));
	resolved_free(r, 1);

	assert_int_equal(resolve_names(names, 0, &o, r), 0);
}

static bool usable_yes(ip6_t a)
{
	return a != 0;
}

static bool usable_no(ip6_t a)
{
	return a == 0;
}

/* A dual-stack name keeps its IPv6 address when the system has a route to it, else its IPv4. */
static void test_prefer(void **state)
{
	struct resolved r;

	for (int pass = 0; pass < 2; pass++) {
		r = (struct resolved){ .n = 1, .n6 = 1 };
		r.addrs = malloc(sizeof(*r.addrs));
		r.addrs6 = malloc(sizeof(*r.addrs6));
		assert_non_null(r.addrs);
		assert_non_null(r.addrs6);
		r.addrs[0] = IPV4(198, 18, 0, 1);
		r.addrs6[0] = (ip6_t)0x20010db8 << 96 | 1;
		resolved_prefer(&r, pass ? usable_no : usable_yes);
		assert_int_equal(r.n, pass ? 1 : 0);
		assert_int_equal(r.n6, pass ? 0 : 1);
		if (pass) {
			assert_null(r.addrs6);
			assert_int_equal(r.addrs[0], IPV4(198, 18, 0, 1));
		} else {
			assert_null(r.addrs);
			assert_true(r.addrs6[0] == ((ip6_t)0x20010db8 << 96 | 1));
		}
		resolved_free(&r, 1);
	}
	/* One family: nothing to choose, even without a route. */
	r = (struct resolved){ .n6 = 1 };
	r.addrs6 = malloc(sizeof(*r.addrs6));
	assert_non_null(r.addrs6);
	r.addrs6[0] = 1;
	resolved_prefer(&r, usable_no);
	assert_int_equal(r.n6, 1);
	resolved_free(&r, 1);
	/* The real check, shown: ::1 is on lo whenever IPv6 is on. */
	print_message("# route to ::1: %d\n", route6_usable(1));
}

/* A stop request already set abandons the batch and leaves nothing allocated. */
static void test_resolve_stopped(void **state)
{
	char *names[] = { "localhost", "nonexistent.onion" };
	volatile sig_atomic_t stop = 1;
	struct resolve_opts o = { .stop = &stop };
	struct resolved r[2];

	assert_int_equal(resolve_names(names, 2, &o, r), -EINTR);
	assert_null(r[0].addrs);
	assert_int_equal(r[0].n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nss_order),
		cmocka_unit_test(test_nss_unsupported),
		cmocka_unit_test(test_nss_criteria),
		cmocka_unit_test(test_nss_malformed),
		cmocka_unit_test(test_nss_file),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_hosts_file),
		cmocka_unit_test(test_srv_name),
		cmocka_unit_test(test_resolve_offline),
		cmocka_unit_test(test_resolve_stopped),
		cmocka_unit_test(test_prefer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
