/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMPv6 for the reply matcher: the IPv6 header of a frame, its extension headers, and the echo
 * reply or error quoting our echo request inside it. Parsing only; the cookie and the recording
 * are the matcher's, the same for both families.
 */
#ifndef ECHOMAP_PARSE_IPV6_H
#define ECHOMAP_PARSE_IPV6_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>

#include "echomap_abi.h"
#include "parse.h"

#define EM_ICMP6_DEST_UNREACH 1
#define EM_ICMP6_PKT_TOOBIG   2
#define EM_ICMP6_TIME_EXCEED  3
#define EM_ICMP6_ECHO	      128
#define EM_ICMP6_ECHOREPLY    129

/*
 * Extension headers skipped before the ICMPv6 header, in the frame and again in the quote: one
 * of each kind RFC 8200 orders before the upper layer is four. A longer chain goes to the stack.
 */
#define EM_IPV6_MAX_EXT 4

/* Fragment offset and M flag of a fragment header: an atomic fragment has neither. */
#define EM_IP6_OFFSET_MF 0xfff9

struct em_ext6 {
	__u8 nexthdr;
	__u8 hdrlen; /* 8-octet units after the first 8; the fragment header's is reserved */
	__be16 frag_off;
	__be32 rest;
};

/* What the matcher reads of a reply: all pointers into the frame, checked against its end. */
struct em_reply6 {
	const struct ipv6hdr *ip;   /* the outer header: from, hop limit */
	const struct em_icmp *icmp; /* the outer ICMPv6 header: type, code */
	const void *probe;	    /* our echo request or its reply: ICMPv6 header, payload */
	const __u32 *daddr;	    /* the probe's destination, what the cookie covers */
	__u8 status;		    /* enum em_status */
};

enum em_parse6 {
	EM_P6_PASS,	 /* not a reply to one of our probes */
	EM_P6_MALFORMED, /* the IPv6 header is cut short or inconsistent */
	EM_P6_PROBE,	 /* *r describes a candidate, its cookie unchecked */
};

static __always_inline bool em_addr6_eq(const __u32 *a, const volatile __u32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/*
 * Skips the extension headers after an IPv6 header whose next header is *nexthdr, within len
 * bytes; leaves the cursor on the upper-layer header and *nexthdr naming it. Returns the bytes
 * left, or -1 when the chain is cut short, longer than EM_IPV6_MAX_EXT, or a fragment other
 * than the first (reassembly, never needed by our small probes, is the stack's job).
 * first_only: a first fragment (offset 0, more to come) is accepted, as in a quote.
 */
static __always_inline int skip_ext6(struct cursor *c, __u8 *nexthdr, __u32 len, bool first_only)
{
	struct em_ext6 *h;
	__u32 hlen;

#pragma unroll
	for (int i = 0; i < EM_IPV6_MAX_EXT; i++) {
		if (*nexthdr != IPPROTO_HOPOPTS && *nexthdr != IPPROTO_ROUTING &&
		    *nexthdr != IPPROTO_DSTOPTS && *nexthdr != IPPROTO_FRAGMENT)
			return len;
		h = c->pos;
		if ((void *)(h + 1) > c->end || len < sizeof(*h))
			return -1;
		if (*nexthdr == IPPROTO_FRAGMENT) {
			hlen = sizeof(*h);
			if (h->frag_off & bpf_htons(first_only ? 0xfff8 : EM_IP6_OFFSET_MF))
				return -1;
		} else {
			hlen = (h->hdrlen + 1) * 8;
		}
		if (len < hlen || c->pos + hlen > c->end)
			return -1;
		*nexthdr = h->nexthdr;
		c->pos += hlen;
		len -= hlen;
	}
	return *nexthdr == IPPROTO_HOPOPTS || *nexthdr == IPPROTO_ROUTING ||
			       *nexthdr == IPPROTO_DSTOPTS || *nexthdr == IPPROTO_FRAGMENT ?
		       -1 :
		       (int)len;
}

/*
 * An IPv6 frame (the cursor past Ethernet): is it an ICMPv6 echo reply, or an error quoting an
 * echo request, sent to saddr6 (when set) and long enough to carry our payload? The error's
 * quote must come from saddr6 too. Neighbour discovery, and everything else, is EM_P6_PASS.
 */
static __always_inline enum em_parse6 parse_icmp6(struct cursor *c, const volatile __u32 *saddr6,
						  bool any_saddr, struct em_reply6 *r)
{
	struct ipv6hdr *ip = c->pos, *qip;
	struct em_icmp *icmp, *probe;
	__u8 nexthdr;
	__u32 len;
	int left;

	if ((void *)(ip + 1) > c->end)
		return EM_P6_MALFORMED;
	len = bpf_ntohs(ip->payload_len);
	/* As in parse_ipv4(): the mask gives older verifiers the bound a byte swap hides. */
	barrier_var(len);
	len &= 0xffff;
	if (ip->version != 6 || (void *)(ip + 1) + len > c->end)
		return EM_P6_MALFORMED;
	if (!any_saddr && !em_addr6_eq((const __u32 *)&ip->daddr, saddr6))
		return EM_P6_PASS;
	c->pos = ip + 1;
	nexthdr = ip->nexthdr;
	left = skip_ext6(c, &nexthdr, len, false);
	if (left < 0 || nexthdr != IPPROTO_ICMPV6)
		return EM_P6_PASS;
	len = left;
	icmp = c->pos;
	if (len < sizeof(*icmp) || (void *)(icmp + 1) > c->end)
		return EM_P6_PASS;
	r->ip = ip;
	r->icmp = icmp;

	if (icmp->type == EM_ICMP6_ECHOREPLY) {
		r->status = EM_ST_ECHOREPLY;
		r->daddr = (const __u32 *)&ip->saddr;
	} else {
		if (icmp->type == EM_ICMP6_DEST_UNREACH || icmp->type == EM_ICMP6_PKT_TOOBIG)
			r->status = EM_ST_UNREACH;
		else if (icmp->type == EM_ICMP6_TIME_EXCEED)
			r->status = EM_ST_TIMXCEED;
		else
			return EM_P6_PASS;
		qip = (void *)(icmp + 1);
		len -= sizeof(*icmp);
		if ((void *)(qip + 1) > c->end || len < sizeof(*qip) || qip->version != 6)
			return EM_P6_PASS;
		if (!any_saddr && !em_addr6_eq((const __u32 *)&qip->saddr, saddr6))
			return EM_P6_PASS;
		c->pos = qip + 1;
		len -= sizeof(*qip);
		nexthdr = qip->nexthdr;
		left = skip_ext6(c, &nexthdr, len, true);
		if (left < 0 || nexthdr != IPPROTO_ICMPV6)
			return EM_P6_PASS;
		len = left;
		r->daddr = (const __u32 *)&qip->daddr;
	}

	/* As for IPv4: without our payload there is no target index to attribute the reply to. */
	probe = c->pos;
	if (len < sizeof(*probe) + EM_PAYLOAD_LEN || (void *)(probe + 1) + EM_PAYLOAD_LEN > c->end)
		return EM_P6_PASS;
	if (r->status != EM_ST_ECHOREPLY && probe->type != EM_ICMP6_ECHO)
		return EM_P6_PASS;
	r->probe = probe;
	return EM_P6_PROBE;
}

#endif /* ECHOMAP_PARSE_IPV6_H */
