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
	char a[INET_ADDRSTRLEN], f[INET_ADDRSTRLEN];
	const char *cls = status_name(r->status), *sc = addr_scope(ntohl(r->addr));
	bool ans = r->status != EM_ST_NONE;
	double us = r->rtt_ns / 1000.0;
	FILE *m = fmemopen(buf, len, "w");

	inet_ntop(AF_INET, &r->addr, a, sizeof(a));
	inet_ntop(AF_INET, &r->from, f, sizeof(f));
	if (fmt == FMT_TEXT) {
		fprintf(m, r->name ? "%s (%s)" : "%.0s%s", r->name ? r->name : "", a);
		if (!ans)
			fputs(" timeout", m);
		else if (r->status != EM_ST_ECHOREPLY)
			fprintf(m, " %s code=%u from=%s rtt=%.3fms ttl=%u", cls, r->icmp_code, f,
				us / 1000, r->ttl);
		else
			fprintf(m, " rtt=%.3fms ttl=%u", us / 1000, r->ttl);
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
			fprintf(m, "%u,%u,%s\n", r->icmp_type, r->icmp_code, f);
		else
			fputs(",,\n", m);
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
			fprintf(m, ",\"icmp_type\":%u,\"icmp_code\":%u,\"from\":\"%s\"}\n",
				r->icmp_type, r->icmp_code, f);
		else
			fputs(",\"icmp_type\":null,\"icmp_code\":null,\"from\":null}\n", m);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_as_printf),
		cmocka_unit_test(test_json_name_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
