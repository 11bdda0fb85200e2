// SPDX-License-Identifier: GPL-2.0
/* rtnetlink's route, address, link and neighbour multicast groups on one non-blocking socket. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/netif_events.h"
#include "lib/log.h"

struct netif_events {
	struct mnl_socket *sock;
	char buf[8192]; /* the announcements are read only for their type */
};

int netif_events_open(struct netif_events **evp)
{
	struct netif_events *ev = calloc(1, sizeof(*ev));
	int err;

	if (!ev)
		return -ENOMEM;
	ev->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!ev->sock ||
	    mnl_socket_bind(ev->sock,
			    RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR |
				    RTMGRP_IPV6_ROUTE | RTMGRP_NEIGH,
			    MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_warn("cannot follow route changes (rtnetlink): %s\n", strerror(-err));
		netif_events_close(ev);
		return err;
	}
	*evp = ev;
	return 0;
}

unsigned int netif_events_pending(struct netif_events *ev)
{
	unsigned int seen = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(ev->sock, ev->buf, sizeof(ev->buf));
		int left = n;

		if (n < 0)
			return errno == ENOBUFS ? NETIF_ROUTES | NETIF_NEIGH : seen;
		for (const struct nlmsghdr *h = (void *)ev->buf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left))
			seen |= h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH ?
					NETIF_NEIGH :
					NETIF_ROUTES;
	}
}

void netif_events_close(struct netif_events *ev)
{
	if (!ev)
		return;
	if (ev->sock)
		mnl_socket_close(ev->sock);
	free(ev);
}
