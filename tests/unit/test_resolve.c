// SPDX-License-Identifier: GPL-2.0
/* Name resolution through glibc (files, then dns per /etc/nsswitch.conf). */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "blocklist.h"
#include "resolve.h"

static void test_localhost(void **state)
{
	const char *reason = NULL;
	__u32 *addrs = NULL;
	size_t n = 0;

	/* RFC 6761 §6.3: localhost is the loopback address; /etc/hosts says 127.0.0.1 here. */
	assert_int_equal(resolve_name("localhost", false, &addrs, &n, &reason), 0);
	assert_int_equal(n, 1);
	assert_int_equal(addrs[0], IPV4(127, 0, 0, 1));
	free(addrs);

	/* Every address: deduplicated, the first one unchanged. */
	assert_int_equal(resolve_name("localhost", true, &addrs, &n, &reason), 0);
	assert_true(n >= 1);
	assert_int_equal(addrs[0], IPV4(127, 0, 0, 1));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_int_not_equal(addrs[i], addrs[j]);
	free(addrs);
}

static void test_literal(void **state)
{
	const char *reason = NULL;
	__u32 *addrs = NULL;
	size_t n = 0;

	assert_int_equal(resolve_name("192.0.2.7", true, &addrs, &n, &reason), 0);
	assert_int_equal(n, 1);
	assert_int_equal(addrs[0], IPV4(192, 0, 2, 7));
	free(addrs);
}

/*
 * RFC 6761 §6.4: ".invalid" never resolves. Looked up in a child so that a resolver that does
 * not answer (no network) cannot hang the suite: after 5 s the test is skipped.
 */
static void test_invalid(void **state)
{
	struct pollfd pfd = { .events = POLLIN };
	char reason[256] = "";
	int fds[2], status, ret = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		const char *why = NULL;
		__u32 *addrs;
		size_t n;
		int err = resolve_name("nonexistent.invalid", false, &addrs, &n, &why);

		close(fds[0]);
		if (write(fds[1], &err, sizeof(err)) != sizeof(err) ||
		    (why && write(fds[1], why, strlen(why)) < 0))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	if (poll(&pfd, 1, 5000) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(fds[0]);
		skip();
	}
	assert_int_equal(read(fds[0], &ret, sizeof(ret)), sizeof(ret));
	assert_true(read(fds[0], reason, sizeof(reason) - 1) > 0);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	print_message("# nonexistent.invalid: %d (%s)\n", ret, reason);
	assert_true(ret < 0);
	assert_true(strlen(reason) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_localhost),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
