// SPDX-License-Identifier: GPL-2.0
/*
 * trace's results: where a path ends (reached, unreachable, incomplete), silent hops as `*` or
 * null, and the hop reply lines in text, CSV and JSON, written to memory and compared whole.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "echomap_abi.h"
#include "report/hops.h"

static __u32 addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct hop tx(const char *from)
{
	return (struct hop){ .from = addr(from), .rtt_ns = 1500, .status = EM_ST_TIMXCEED,
			     .icmp_type = 11, .reply_ttl = 63 };
}

/* TTLs 1..6 of 198.18.5.1: two routers, a silent hop, a router, the target, the target again. */
static void path_of(struct hop h[6], struct hop_path *p)
{
	memset(h, 0, 6 * sizeof(*h));
	h[0] = tx("192.0.2.2");
	h[1] = tx("192.0.2.6");
	h[3] = tx("192.0.2.14");
	h[4] = (struct hop){ .from = addr("198.18.5.1"), .rtt_ns = 2000, .status = EM_ST_ECHOREPLY,
			     .reply_ttl = 60 };
	h[5] = h[4];
	*p = (struct hop_path){ .target = addr("198.18.5.1"), .flow = 2, .min_ttl = 1, .max_ttl = 6,
				.hop = h };
}

static char *written(void (*write)(FILE *, enum out_fmt, const struct hop_path *, bool),
		     enum out_fmt fmt, const struct hop_path *p, bool flows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	write(f, fmt, p, flows);
	fclose(f);
	return buf;
}

static void expect(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

static void test_path_end(void **state)
{
	struct hop h[6];
	struct hop_path p;
	enum path_end end;

	path_of(h, &p);
	assert_int_equal(hops_path_last(&p, &end), 5);
	assert_int_equal(end, PATH_REACHED);
	/* A refusal ends the path where it came from, even before an echo reply. */
	h[3].status = EM_ST_UNREACH;
	assert_int_equal(hops_path_last(&p, &end), 4);
	assert_int_equal(end, PATH_UNREACHABLE);
	/* Nothing from the target: up to the last TTL that answered. */
	path_of(h, &p);
	h[4].status = h[5].status = EM_ST_NONE;
	assert_int_equal(hops_path_last(&p, &end), 4);
	assert_int_equal(end, PATH_INCOMPLETE);
	memset(h, 0, sizeof(h));
	assert_int_equal(hops_path_last(&p, &end), 0);
	assert_int_equal(end, PATH_INCOMPLETE);
	/* TTLs from 3: the path starts there. */
	path_of(h, &p);
	p.min_ttl = 3;
	p.hop = h + 2;
	assert_int_equal(hops_path_last(&p, &end), 5);
}

static void test_paths(void **state)
{
	struct hop h[6];
	struct hop_path p;

	path_of(h, &p);
	expect(written(hops_write_path, FMT_TEXT, &p, false),
	       "198.18.5.1 reached hops=5: 192.0.2.2 192.0.2.6 * 192.0.2.14 198.18.5.1\n");
	expect(written(hops_write_path, FMT_TEXT, &p, true),
	       "198.18.5.1 flow=2 reached hops=5: 192.0.2.2 192.0.2.6 * 192.0.2.14 198.18.5.1\n");
	expect(written(hops_write_path, FMT_CSV, &p, false),
	       "198.18.5.1,2,reached,5,192.0.2.2 192.0.2.6 * 192.0.2.14 198.18.5.1\n");
	expect(written(hops_write_path, FMT_JSON, &p, false),
	       "{\"target\":\"198.18.5.1\",\"flow\":2,\"status\":\"reached\",\"hops\":5,\"path\":"
	       "[\"192.0.2.2\",\"192.0.2.6\",null,\"192.0.2.14\",\"198.18.5.1\"]}\n");
	/* A path that starts silent, and one with nothing at all. */
	h[0].status = EM_ST_NONE;
	expect(written(hops_write_path, FMT_JSON, &p, false),
	       "{\"target\":\"198.18.5.1\",\"flow\":2,\"status\":\"reached\",\"hops\":5,\"path\":"
	       "[null,\"192.0.2.6\",null,\"192.0.2.14\",\"198.18.5.1\"]}\n");
	memset(h, 0, sizeof(h));
	expect(written(hops_write_path, FMT_TEXT, &p, false), "198.18.5.1 incomplete hops=0:\n");
	expect(written(hops_write_path, FMT_JSON, &p, false),
	       "{\"target\":\"198.18.5.1\",\"flow\":2,\"status\":\"incomplete\",\"hops\":0,"
	       "\"path\":[]}\n");
	expect(written(hops_write_path, FMT_CSV, &p, false), "198.18.5.1,2,incomplete,0,\n");
}

static void test_replies(void **state)
{
	struct hop h[6];
	struct hop_path p;

	path_of(h, &p);
	h[5].status = EM_ST_NONE;
	expect(written(hops_write_replies, FMT_TEXT, &p, false),
	       "198.18.5.1 ttl=1 from=192.0.2.2 rtt=0.002ms timxceed code=0\n"
	       "198.18.5.1 ttl=2 from=192.0.2.6 rtt=0.002ms timxceed code=0\n"
	       "198.18.5.1 ttl=4 from=192.0.2.14 rtt=0.002ms timxceed code=0\n"
	       "198.18.5.1 ttl=5 from=198.18.5.1 rtt=0.002ms echoreply code=0\n");
	p.max_ttl = 2;
	expect(written(hops_write_replies, FMT_TEXT, &p, true),
	       "198.18.5.1 ttl=1 from=192.0.2.2 rtt=0.002ms timxceed code=0 flow=2\n"
	       "198.18.5.1 ttl=2 from=192.0.2.6 rtt=0.002ms timxceed code=0 flow=2\n");
	p.max_ttl = 1;
	expect(written(hops_write_replies, FMT_CSV, &p, false),
	       "198.18.5.1,2,1,192.0.2.2,1.500,timxceed,11,0,63\n");
	expect(written(hops_write_replies, FMT_JSON, &p, false),
	       "{\"target\":\"198.18.5.1\",\"flow\":2,\"ttl\":1,\"from\":\"192.0.2.2\","
	       "\"rtt_us\":1.500,\"classification\":\"timxceed\",\"icmp_type\":11,"
	       "\"icmp_code\":0,\"reply_ttl\":63}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_end),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
