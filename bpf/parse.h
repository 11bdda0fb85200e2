/* SPDX-License-Identifier: GPL-2.0 */
/* Bounds-checked header parsing for the XDP programs. */
#ifndef ECHOMAP_PARSE_H
#define ECHOMAP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <stdbool.h>
#include <bpf/bpf_endian.h>

/* <linux/icmp.h> pulls in libc socket headers that do not build for -target bpf. */
struct icmp_echo {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 seq;
};

#define ICMP_ECHOREPLY	  0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO	  8
#define ICMP_TIME_EXCEEDED 11

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct cursor {
	void *pos;
	void *end;
};

/* Ethernet with at most one 802.1Q/802.1ad tag; returns the inner EtherType or -1. */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct vlan_tag *vlan;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return -1;
	proto = eth->h_proto;
	c->pos = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		vlan = c->pos;
		if ((void *)(vlan + 1) > c->end)
			return -1;
		proto = vlan->proto;
		c->pos = vlan + 1;
	}
	return proto;
}

/*
 * IPv4 with options. Returns the header, or NULL when truncated or inconsistent
 * (*bad is set for a header that claims IPv4 but cannot be one).
 */
static __always_inline struct iphdr *parse_ipv4(struct cursor *c, bool *bad)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return NULL;
	hlen = ip->ihl * 4;
	if (ip->version != 4 || hlen < sizeof(*ip)) {
		*bad = true;
		return NULL;
	}
	if (c->pos + hlen > c->end)
		return NULL;
	c->pos += hlen;
	return ip;
}

#endif
