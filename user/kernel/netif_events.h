/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to this namespace's routes, addresses, links and neighbours as rtnetlink announces
 * them, for a long run that must follow its targets' routes (watch). The announcements only say
 * that something changed: what, the routes (or the gateways' neighbour entries) looked up again
 * tell.
 */
#ifndef ECHOMAP_KERNEL_NETIF_EVENTS_H
#define ECHOMAP_KERNEL_NETIF_EVENTS_H

#include <stdbool.h>

struct netif_events;

/* 0 or -errno after one pr_warn line. */
int netif_events_open(struct netif_events **ev);
/* What netif_events_pending() saw. */
enum netif_change {
	NETIF_ROUTES = 1 << 0, /* a route, an address or a link */
	NETIF_NEIGH = 1 << 1,  /* a neighbour entry (ARP, NDP): maybe a gateway's MAC */
};

/*
 * The enum netif_change bits of what was announced since the last call (all of them when the
 * socket overflowed, which may have hidden any); reads every announcement waiting, never
 * blocks.
 */
unsigned int netif_events_pending(struct netif_events *ev);
void netif_events_close(struct netif_events *ev);

#endif
