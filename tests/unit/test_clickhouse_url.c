// SPDX-License-Identifier: GPL-2.0
/* sweep -o clickhouse://...: what the URL says (user/report/clickhouse.c), and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "report/clickhouse.h"

static void test_full_url(void **state)
{
	struct ch_url u;

	(void)state;
	assert_int_equal(ch_url_parse("clickhouse://writer:s3:cr@t@db1.example:8124/echomap.sweep", &u),
			 0);
	assert_string_equal(u.base, "http://db1.example:8124/");
	assert_string_equal(u.user, "writer");
	assert_string_equal(u.password, "s3:cr@t");
	assert_string_equal(u.db, "echomap");
	assert_string_equal(u.table, "sweep");
	/* Messages never show the password. */
	assert_string_equal(u.shown, "clickhouse://writer@db1.example:8124/echomap.sweep");
	ch_url_free(&u);
}

static void test_defaults(void **state)
{
	struct ch_url u;

	(void)state;
	assert_int_equal(ch_url_parse("clickhouse://127.0.0.1/em.t_1", &u), 0);
	assert_string_equal(u.base, "http://127.0.0.1:8123/");
	assert_null(u.user);
	assert_null(u.password);
	assert_string_equal(u.shown, "clickhouse://127.0.0.1:8123/em.t_1");
	ch_url_free(&u);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"http://127.0.0.1/em.t",	   "clickhouse://127.0.0.1",
		"clickhouse://127.0.0.1/em",	   "clickhouse:///em.t",
		"clickhouse://h:0/em.t",	   "clickhouse://h:65536/em.t",
		"clickhouse://h:80x/em.t",	   "clickhouse://h/em.t;DROP",
		"clickhouse://h/em.t.x",	   "clickhouse://h/1em.t",
		"clickhouse://h/em.",		   "clickhouse://h:/em.t",
	};
	struct ch_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ch_url_parse(bad[i], &u) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
	assert_true(ch_is_url("clickhouse://x"));
	assert_false(ch_is_url("/tmp/clickhouse://x"));
	assert_false(ch_is_url(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_url),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
