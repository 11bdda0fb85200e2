/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to this namespace's routes, addresses and links as rtnetlink announces them, for a
 * long run that must follow its targets' routes (watch). The announcements only say that
 * something changed: what, the routes looked up again tell.
 */
#ifndef ECHOMAP_KERNEL_NETIF_EVENTS_H
#define ECHOMAP_KERNEL_NETIF_EVENTS_H

#include <stdbool.h>

struct netif_events;

/* 0 or -errno after one pr_warn line. */
int netif_events_open(struct netif_events **ev);
/*
 * Whether a change was announced since the last call (or the socket overflowed, which may have
 * hidden one); reads every announcement waiting, never blocks.
 */
bool netif_events_pending(struct netif_events *ev);
void netif_events_close(struct netif_events *ev);

#endif
