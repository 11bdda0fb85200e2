// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

/* glibc's getaddrinfo follows the hosts: line of /etc/nsswitch.conf and /etc/resolv.conf. */
int resolve_name(const char *name, bool all, __u32 **addrs, size_t *n, const char **reason)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_RAW }, *res, *ai;
	size_t cnt = 0, cap = 0;
	__u32 *out = NULL;
	int err;

	err = getaddrinfo(name, NULL, &hints, &res);
	if (err) {
		*reason = err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err);
		return -ENOENT;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		__u32 a = ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr);
		size_t i;

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
		if (!all)
			break;
	}
	freeaddrinfo(res);
	*addrs = out;
	*n = cnt;
	return 0;
}
