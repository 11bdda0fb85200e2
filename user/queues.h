/* SPDX-License-Identifier: GPL-2.0 */
/* The queues an interface really uses (ethtool channels), not the ones it has room for. */
#ifndef ECHOMAP_QUEUES_H
#define ECHOMAP_QUEUES_H

/*
 * Receive and transmit queues in use on ifname (a veth made without numrxqueues has room for
 * one per CPU but uses one). 0, or -errno when the driver does not say (both are then 1).
 */
int netif_queues(const char *ifname, unsigned int *rx, unsigned int *tx);

#endif
