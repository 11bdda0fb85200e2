// SPDX-License-Identifier: GPL-2.0
/*
 * The result writers build their lines by hand (report/output.c): every line must be what the
 * printf formulas give, byte for byte, RTT rounding ties included.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "echomap_abi.h"
#include "report/output.h"
#include "targets/scope.h"

/* The line as printf would write it: the formulas of the fields, one by one. */
static void reference(char *buf, size_t len, enum out_fmt fmt, const struct host_result *r)
{
	char a[INET_ADDRSTRLEN], f[INET_ADDRSTRLEN], ef[INET_ADDRSTRLEN];
	const char *cls = status_name(r->status), *sc = addr_scope(ntohl(r->addr));
	bool ans = r->status != EM_ST_NONE;
	double us = r->rtt_ns / 1000.0;
	FILE *m = fmemopen(buf, len, "w");

	inet_ntop(AF_INET, &r->addr, a, sizeof(a));
	inet_ntop(AF_INET, &r->from, f, sizeof(f));
	inet_ntop(AF_INET, &r->err_from, ef, sizeof(ef));
	if (fmt == FMT_TEXT) {
		fprintf(m, r->name ? "%s (%s)" : "%.0s%s", r->name ? r->name : "", a);
		if (!ans)
			fputs(" timeout", m);
		else if (r->status != EM_ST_ECHOREPLY)
			fprintf(m, " %s code=%u from=%s rtt=%.3fms ttl=%u", cls, r->icmp_code, f,
				us / 1000, r->ttl);
		else
			fprintf(m, " rtt=%.3fms ttl=%u", us / 1000, r->ttl);
		if (r->errors && r->status == EM_ST_ECHOREPLY)
			fprintf(m, " errors=%u (%s code=%u from=%s)", r->errors,
				status_name(r->err_status), r->err_code, ef);
		if (r->dups)
			fprintf(m, " dup=%u", r->dups);
		fputc('\n', m);
	} else if (fmt == FMT_CSV) {
		fprintf(m, "%s,%s,", a, r->name ? r->name : "");
		if (ans)
			fprintf(m, "%.3f,%u,", us, r->ttl);
		else
			fputs(",,", m);
		fprintf(m, "%s,%d,%d,%s,", cls, r->status == EM_ST_ECHOREPLY, r->dups > 0, sc);
		if (ans)
			fprintf(m, "%u,%u,%s,", r->icmp_type, r->icmp_code, f);
		else
			fputs(",,,", m);
		if (r->errors)
			fprintf(m, "%u,%u,%u,%s\n", r->errors, r->err_type, r->err_code, ef);
		else
			fputs("0,,,\n", m);
	} else {
		fprintf(m, "{\"saddr\":\"%s\",\"name\":%s%s%s", a, r->name ? "\"" : "",
			r->name ? r->name : "null", r->name ? "\"" : "");
		if (ans)
			fprintf(m, ",\"rtt_us\":%.3f,\"ttl\":%u", us, r->ttl);
		else
			fputs(",\"rtt_us\":null,\"ttl\":null", m);
		fprintf(m, ",\"classification\":\"%s\",\"success\":%s,\"repeat\":%s,\"replies\":%u,"
			   "\"scope\":\"%s\"", cls, r->status == EM_ST_ECHOREPLY ? "true" : "false",
			r->dups ? "true" : "false", r->replies, sc);
		if (ans)
			fprintf(m, ",\"icmp_type\":%u,\"icmp_code\":%u,\"from\":\"%s\"",
				r->icmp_type, r->icmp_code, f);
		else
			fputs(",\"icmp_type\":null,\"icmp_code\":null,\"from\":null", m);
		if (r->errors)
			fprintf(m, ",\"errors\":%u,\"error_type\":%u,\"error_code\":%u,"
				   "\"error_from\":\"%s\"}\n",
				r->errors, r->err_type, r->err_code, ef);
		else
			fputs(",\"errors\":0,\"error_type\":null,\"error_code\":null,"
			      "\"error_from\":null}\n",
			      m);
	}
	fclose(m);
}

static void test_lines_as_printf(void **state)
{
	static const __u32 rtts[] = { 0, 1, 499, 500, 501, 999, 1000, 1500, 2500, 999500,
				      1000500, 4294967295u, 4294966500u };
	static const char *const names[] = { NULL, "db1.lab" };
	char want[1024], got[1024];
	struct out_sink o = { 0 };

	(void)state;
	srand(7);
	for (int fmt = FMT_TEXT; fmt <= FMT_JSON; fmt++) {
		for (int i = 0; i < 100000; i++) {
			struct host_result r = {
				.addr = rand() ^ ((__u32)rand() << 16),
				.from = rand() ^ ((__u32)rand() << 16),
				.rtt_ns = i < 13 ? rtts[i] : (__u32)rand() ^ ((__u32)rand() << 20),
				.replies = rand() % 3,
				.dups = rand() % 2,
				.ttl = rand(),
				.status = rand() % 4,
				.icmp_type = rand(),
				.icmp_code = rand(),
				.name = names[rand() % 2],
				.errors = rand() % 3,
				.err_from = rand() ^ ((__u32)rand() << 16),
				.err_status = EM_ST_UNREACH + rand() % 2,
				.err_type = rand(),
				.err_code = rand(),
			};

			o.fmt = fmt;
			o.f = fmemopen(got, sizeof(got), "w");
			out_result(&o, &r);
			fclose(o.f);
			reference(want, sizeof(want), fmt, &r);
			assert_string_equal(got, want);
		}
	}
}

/* JSON names are escaped: quotes, backslashes and control characters. */
static void test_json_name_escaped(void **state)
{
	struct host_result r = { .addr = htonl(0xc6120001), .name = "a\"b\\c\x01" };
	struct out_sink o = { .fmt = FMT_JSON };
	char got[1024];

	(void)state;
	o.f = fmemopen(got, sizeof(got), "w");
	out_result(&o, &r);
	fclose(o.f);
	assert_non_null(strstr(got, "\"name\":\"a\\\"b\\\\c\\u0001\","));
}

static void line_of_slot(char *got, size_t len, enum out_fmt fmt, const struct em_result *slot)
{
	struct out_sink o = { .fmt = fmt };
	struct host_result r;

	host_result_of_slot(&r, htonl(0xc6120005), slot);
	o.f = fmemopen(got, len, "w");
	out_result(&o, &r);
	fclose(o.f);
}

/*
 * The reply policy in the lines: an echo reply makes the target alive with its own RTT, TTL and
 * source whatever errors came, and the latest error stands beside it; errors alone classify it.
 */
static void test_policy_lines(void **state)
{
	struct em_result both = {
		.rtt_first_ns = 1500000, .rtt_min_ns = 1500000, .rtt_max_ns = 1500000,
		.replies = 1, .rounds_seen = 2, .from = htonl(0xc6120005), .ttl = 57,
		.err_status = EM_ST_UNREACH, .err_type = 3, .err_code = 1, .errors = 1,
		.err_rounds_seen = 1, .err_from = htonl(0xc00002fe), .err_rtt_ns = 250000,
		.err_ttl = 249,
	};
	struct em_result only_error = both;
	char got[1024];

	(void)state;
	only_error.replies = 0;
	only_error.rounds_seen = 0;
	line_of_slot(got, sizeof(got), FMT_TEXT, &both);
	assert_string_equal(got, "198.18.0.5 rtt=1.500ms ttl=57 errors=1 (unreach code=1 "
				 "from=192.0.2.254)\n");
	line_of_slot(got, sizeof(got), FMT_CSV, &both);
	assert_string_equal(got, "198.18.0.5,,1500.000,57,echoreply,1,0,reserved,0,0,198.18.0.5,1,3,"
				 "1,192.0.2.254\n");
	line_of_slot(got, sizeof(got), FMT_JSON, &both);
	assert_non_null(strstr(got, "\"rtt_us\":1500.000,\"ttl\":57,\"classification\":"
				    "\"echoreply\",\"success\":true,\"repeat\":false,"));
	assert_non_null(strstr(got, "\"icmp_type\":0,\"icmp_code\":0,\"from\":\"198.18.0.5\","
				    "\"errors\":1,\"error_type\":3,\"error_code\":1,"
				    "\"error_from\":\"192.0.2.254\"}"));
	line_of_slot(got, sizeof(got), FMT_TEXT, &only_error);
	assert_string_equal(got, "198.18.0.5 unreach code=1 from=192.0.2.254 rtt=0.250ms ttl=249\n");
	line_of_slot(got, sizeof(got), FMT_CSV, &only_error);
	assert_string_equal(got, "198.18.0.5,,250.000,249,unreach,0,0,reserved,3,1,192.0.2.254,1,3,"
				 "1,192.0.2.254\n");
}

static void line_of_slot6(char *got, size_t len, enum out_fmt fmt, const struct em_result *slot,
			  const char *from)
{
	struct out_sink o = { .fmt = fmt };
	struct em_addr6 src = { 0 };
	struct host_result r;
	__u8 a[16];

	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::5", a), 1);
	assert_int_equal(inet_pton(AF_INET6, from, &src), 1);
	host_result_of_slot6(&r, a, slot, &src);
	o.f = fmemopen(got, len, "w");
	out_result(&o, &r);
	fclose(o.f);
}

/*
 * IPv6 targets: the same fields, the addresses as inet_ntop writes them, ICMPv6's echo reply
 * type, the scope of the IPv6 registry; an error beside an echo reply has no router address
 * (the matcher keeps one IPv6 source per target).
 */
static void test_ipv6_lines(void **state)
{
	struct em_result echo = {
		.rtt_first_ns = 1500000, .rtt_min_ns = 1500000, .rtt_max_ns = 1500000,
		.replies = 1, .rounds_seen = 1, .ttl = 64,
	};
	struct em_result err = {
		.err_status = EM_ST_TIMXCEED, .err_type = 3, .err_code = 0, .errors = 1,
		.err_rounds_seen = 1, .err_rtt_ns = 250000, .err_ttl = 63,
	};
	struct em_result both = echo;
	char got[1024];

	(void)state;
	line_of_slot6(got, sizeof(got), FMT_TEXT, &echo, "2001:db8:1::5");
	assert_string_equal(got, "2001:db8:1::5 rtt=1.500ms ttl=64\n");
	line_of_slot6(got, sizeof(got), FMT_CSV, &echo, "2001:db8:1::5");
	assert_string_equal(got, "2001:db8:1::5,,1500.000,64,echoreply,1,0,documentation,129,0,"
				 "2001:db8:1::5,0,,,\n");
	line_of_slot6(got, sizeof(got), FMT_JSON, &echo, "2001:db8:1::5");
	assert_string_equal(got, "{\"saddr\":\"2001:db8:1::5\",\"name\":null,\"rtt_us\":1500.000,"
				 "\"ttl\":64,\"classification\":\"echoreply\",\"success\":true,"
				 "\"repeat\":false,\"replies\":1,\"scope\":\"documentation\","
				 "\"icmp_type\":129,\"icmp_code\":0,\"from\":\"2001:db8:1::5\","
				 "\"errors\":0,\"error_type\":null,\"error_code\":null,"
				 "\"error_from\":null}\n");
	line_of_slot6(got, sizeof(got), FMT_TEXT, &err, "2001:db8::2");
	assert_string_equal(got, "2001:db8:1::5 timxceed code=0 from=2001:db8::2 rtt=0.250ms "
				 "ttl=63\n");
	line_of_slot6(got, sizeof(got), FMT_CSV, &err, "2001:db8::2");
	assert_string_equal(got, "2001:db8:1::5,,250.000,63,timxceed,0,0,documentation,3,0,"
				 "2001:db8::2,1,3,0,2001:db8::2\n");
	both.err_status = EM_ST_UNREACH;
	both.err_type = 1;
	both.err_code = 3;
	both.errors = 1;
	line_of_slot6(got, sizeof(got), FMT_TEXT, &both, "2001:db8:1::5");
	assert_string_equal(got, "2001:db8:1::5 rtt=1.500ms ttl=64 errors=1 (unreach code=3)\n");
	line_of_slot6(got, sizeof(got), FMT_JSON, &both, "2001:db8:1::5");
	assert_non_null(strstr(got, "\"errors\":1,\"error_type\":1,\"error_code\":3,"
				    "\"error_from\":null}"));
	line_of_slot6(got, sizeof(got), FMT_CSV, &both, "2001:db8:1::5");
	assert_non_null(strstr(got, ",1,1,3,\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_as_printf),
		cmocka_unit_test(test_json_name_escaped),
		cmocka_unit_test(test_policy_lines),
		cmocka_unit_test(test_ipv6_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
