// SPDX-License-Identifier: GPL-2.0
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "names/prefer.h"

bool route6_usable(ip6_t a)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ip6_store(a, sa.sin6_addr.s6_addr);
	ok = !connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

void resolved_prefer(struct resolved *r, bool (*usable)(ip6_t a))
{
	if (!r->n || !r->n6)
		return;
	if (usable(r->addrs6[0])) {
		free(r->addrs);
		r->addrs = NULL;
		r->n = 0;
		r->n6 = 1;
	} else {
		free(r->addrs6);
		r->addrs6 = NULL;
		r->n6 = 0;
		r->n = 1;
	}
}
