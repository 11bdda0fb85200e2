// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/random.h>

#include "tx/cookie.h"

int em_cookie_key(__u64 key[2])
{
	ssize_t n = getrandom(key, 2 * sizeof(key[0]), 0);

	if (n < 0)
		return -errno;
	return n == 2 * sizeof(key[0]) ? 0 : -EIO;
}
