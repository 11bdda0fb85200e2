/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounds-checked header parsing for the XDP programs. Every header is checked against the end of
 * the frame before it is read; the cursor only moves past headers that are complete.
 */
#ifndef ECHOMAP_PARSE_H
#define ECHOMAP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "echomap_frame.h"

/*
 * The first 8 bytes of every ICMP message. id and seq are those of an echo request or reply;
 * an error carries unused or MTU bytes there and the quoted datagram after it.
 */
struct em_icmp {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 seq;
};

struct em_vlan {
	__be16 tci;
	__be16 proto;
};

/* Flags and fragment offset of iphdr.frag_off, without DF: set only on a fragment. */
#define EM_IP_MF_OFFSET 0x3fff

struct cursor {
	void *pos;
	void *end;
};

/*
 * Ethernet with at most one 802.1Q or 802.1ad tag. Returns the EtherType of what follows (network
 * order), or 0 when the frame ends inside the Ethernet header or the tag.
 */
static __always_inline __be16 parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	struct em_vlan *vlan;
	__be16 proto;

	if ((void *)(eth + 1) > c->end)
		return 0;
	proto = eth->h_proto;
	c->pos = eth + 1;
	if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
		return proto;
	vlan = c->pos;
	if ((void *)(vlan + 1) > c->end)
		return 0;
	c->pos = vlan + 1;
	return vlan->proto;
}

/*
 * The IPv4 header of the frame itself, options included. Returns the datagram length (tot_len)
 * and leaves the cursor on the transport header; returns 0 when the header is cut short or
 * inconsistent: version not 4, ihl below 5, tot_len shorter than the header or longer than the
 * frame. Ethernet padding after tot_len is allowed.
 */
static __always_inline __u32 parse_ipv4(struct cursor *c, struct iphdr **ipp)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, len;

	if ((void *)(ip + 1) > c->end)
		return 0;
	hlen = ip->ihl * 4;
	len = bpf_ntohs(ip->tot_len);
	/*
	 * Older verifiers (6.1 among them) learn no bounds from a byte swap, and an unbounded
	 * scalar cannot be added to a packet pointer. The barrier keeps clang from dropping the
	 * mask it knows to be redundant.
	 */
	barrier_var(len);
	len &= 0xffff;
	if (ip->version != 4 || hlen < sizeof(*ip) || len < hlen)
		return 0;
	if ((void *)ip + len > c->end)
		return 0;
	/* Implied by the test above, but the verifier only learns a range from a constant bound. */
	if ((void *)ip + hlen > c->end)
		return 0;
	c->pos = (void *)ip + hlen;
	*ipp = ip;
	return len;
}

/*
 * An IPv4 header quoted by an ICMP error. The quote usually ends before the datagram it quotes
 * does, so tot_len is not checked against it. Returns NULL if it is cut short or not IPv4.
 */
static __always_inline struct iphdr *parse_quoted_ipv4(struct cursor *c)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return NULL;
	hlen = ip->ihl * 4;
	if (ip->version != 4 || hlen < sizeof(*ip) || (void *)ip + hlen > c->end)
		return NULL;
	c->pos = (void *)ip + hlen;
	return ip;
}

#endif /* ECHOMAP_PARSE_H */
