// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

static int gai_errno(int err)
{
	switch (err) {
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	default:
		return -ENOENT;
	}
}

int resolve_name(const char *name, bool all, __u32 **addrs, size_t *n, const char **reason)
{
	/* SOCK_RAW: one result per address instead of one per socket type. */
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_RAW }, *res, *ai;
	size_t cnt = 0, cap = 0;
	__u32 *out = NULL;
	int err;

	err = getaddrinfo(name, NULL, &hints, &res);
	if (err) {
		*reason = err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err);
		return gai_errno(err);
	}
	for (ai = res; ai && (all || !cnt); ai = ai->ai_next) {
		__u32 a = ntohl(((const struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr);
		size_t i;

		/* Names have few addresses: a linear scan keeps the resolver's order cheaply. */
		for (i = 0; i < cnt && out[i] != a; i++)
			;
		if (i < cnt)
			continue;
		if (cnt == cap) {
			__u32 *p = realloc(out, (cap = cap ? cap * 2 : 4) * sizeof(*out));

			if (!p) {
				free(out);
				freeaddrinfo(res);
				*reason = strerror(ENOMEM);
				return -ENOMEM;
			}
			out = p;
		}
		out[cnt++] = a;
	}
	freeaddrinfo(res);
	/* getaddrinfo succeeds only with at least one result, so cnt >= 1. */
	*addrs = out;
	*n = cnt;
	return 0;
}
