/* SPDX-License-Identifier: GPL-2.0 */
/* Interface, route and neighbour lookups over rtnetlink (libmnl). Addresses in network order. */
#ifndef ECHOMAP_KERNEL_NETIF_H
#define ECHOMAP_KERNEL_NETIF_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/types.h>

struct next_hop {
	int ifindex;
	char ifname[IF_NAMESIZE];
	__u8 src_mac[6]; /* the interface's MAC */
	__u8 dst_mac[6]; /* the gateway's MAC; unset when on-link */
	__u32 saddr;	 /* preferred source */
	bool on_link;	 /* no gateway: the target is on the link */
	bool v6;	 /* an IPv6 route: saddr6 is its source, saddr 0 */
	__u8 saddr6[16];
	__u8 gateway[16]; /* the gateway's address (IPv4: the first 4 bytes); unset when on-link */
};

/*
 * The route the kernel would use for daddr (like `ip route get`), its source address and the
 * gateway's MAC (not resolved for on-link targets), triggering ARP and waiting up to
 * timeout_ms when it is unknown.
 * With ifname the probes leave by that interface whatever the routing table prefers: through
 * a gateway if a route via it covers daddr, else on-link, from its primary IPv4 address.
 * Returns 0 or -errno after one pr_warn line (-ENODEV unknown interface, -ENETDOWN interface
 * down, -ENETUNREACH no route, -EINVAL local address, -EADDRNOTAVAIL no IPv4 address,
 * -EHOSTUNREACH no ARP reply).
 */
int netif_next_hop(__u32 daddr, const char *ifname, int timeout_ms, struct next_hop *nh);
/*
 * The same for an IPv6 target (`ip -6 route get`): the gateway, link-local or not, resolved in
 * the neighbour table of the route's interface (-EHOSTUNREACH: no neighbour advertisement;
 * -EADDRNOTAVAIL: no IPv6 source address).
 */
int netif_next_hop6(const __u8 daddr[16], const char *ifname, int timeout_ms,
		    struct next_hop *nh);
/*
 * The MAC the neighbour table has now for nh's gateway, without resolving it: 0, or -ENOENT
 * while it has none the kernel would send to (a failed or incomplete entry), or -errno.
 */
int netif_gateway_mac(const struct next_hop *nh, __u8 mac[6]);

/*
 * Frames lost on our side of the wire of interface ifindex, since it came up: probes its driver
 * dropped (a full ring: veth on Linux 6.1 drops there rather than push back), frames that came
 * with no receive buffer left, and for a veth the frames its peer could not hand to us (veth
 * counts those at the sending end). rx_dropped is left out: some drivers (virtio_net) count an
 * XDP_DROP there, and the matcher drops every reply. 0 or -errno.
 */
int netif_drops(int ifindex, __u64 *drops);

/*
 * The index in addrs[0..n) (IPv4, network order) of the first that is not an address of
 * interface ifname, n when all are, or -errno. One read of the host's address list.
 */
int netif_lacks_addr(const char *ifname, const __u32 *addrs, unsigned int n);

/* Index of the interface ifname; -ENODEV (with a pr_warn line) if there is none. */
int netif_ifindex(const char *ifname);

#endif
