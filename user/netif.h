/* SPDX-License-Identifier: GPL-2.0 */
/* Interface, route and neighbour lookups over rtnetlink (libmnl). Addresses in network order. */
#ifndef ECHOMAP_NETIF_H
#define ECHOMAP_NETIF_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

struct next_hop {
	int ifindex;
	char ifname[IF_NAMESIZE];
	__u8 src_mac[6];
	__u8 dst_mac[6]; /* the gateway's MAC; unset for on-link targets */
	__u32 saddr;	 /* preferred source */
	__u32 gateway;	 /* 0 when on-link */
	bool on_link;
	unsigned int tx_queues;
};

/*
 * The route the kernel would use for daddr (optionally out of ifname), its source address,
 * and the gateway's MAC, triggering ARP when the neighbour is unknown. 0 or -errno after one
 * pr_warn line.
 */
int netif_next_hop(__u32 daddr, const char *ifname, int timeout_ms, struct next_hop *nh);

#endif
