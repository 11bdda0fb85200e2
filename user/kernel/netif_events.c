// SPDX-License-Identifier: GPL-2.0
/* rtnetlink's route, address and link multicast groups on one non-blocking socket. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/netif_events.h"
#include "lib/log.h"

struct netif_events {
	struct mnl_socket *sock;
	char buf[8192]; /* the announcements are read only to be counted */
};

int netif_events_open(struct netif_events **evp)
{
	struct netif_events *ev = calloc(1, sizeof(*ev));
	int err;

	if (!ev)
		return -ENOMEM;
	ev->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!ev->sock ||
	    mnl_socket_bind(ev->sock, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE,
			    MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_warn("cannot follow route changes (rtnetlink): %s\n", strerror(-err));
		netif_events_close(ev);
		return err;
	}
	*evp = ev;
	return 0;
}

bool netif_events_pending(struct netif_events *ev)
{
	bool any = false;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(ev->sock, ev->buf, sizeof(ev->buf));

		if (n < 0)
			return any || errno == ENOBUFS;
		any = true;
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
