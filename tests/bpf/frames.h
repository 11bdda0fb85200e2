/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames for the reply matcher's tests: echo replies to our probes, ICMP errors quoting them and
 * their near misses, built byte by byte with valid checksums. Independent of user/frame.c on
 * purpose: the tests check the wire format, not one implementation against itself.
 */
#ifndef ECHOMAP_TEST_FRAMES_H
#define ECHOMAP_TEST_FRAMES_H

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "echomap_abi.h"
#include "tx/cookie.h"

#define FRAME_MAX 512

#define EM_ICMP_ECHOREPLY	   0
#define EM_ICMP_DEST_UNREACH  3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT	   5
#define EM_ICMP_ECHO	   8
#define EM_ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

/* Wire layouts; packed because a VLAN tag or IPv4 options put them at any offset. */
struct w_eth {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
} __attribute__((packed));

struct w_vlan {
	__be16 tci;
	__be16 proto;
} __attribute__((packed));

struct w_icmp {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be16 id;
	__be16 seq;
} __attribute__((packed));

/* One probe as sent: what the cookie covers, and the two ends. Addresses in network order. */
struct probe {
	__u64 key[2];
	__u32 us;     /* source of the probe, destination of its reply */
	__u32 target; /* destination of the probe */
	__u64 tx_ns;
	__u32 index;
	__u32 round;
};

/* How a frame differs from the plainest one. Zero everywhere is a plain reply or error. */
struct shape {
	__u16 vlan_tpid; /* one 802.1Q/802.1ad tag with this TPID */
	__u8 ip_opts;	 /* 32-bit words of IPv4 options in the outer header */
	__u8 qip_opts;	 /* ... and in the quoted header of an error */
	__u8 ttl;	 /* outer TTL; 0 means 64 */
	__u16 extra;	 /* payload bytes after ours, as with --size */
	__u16 trailer;	 /* bytes after the IPv4 datagram (Ethernet padding) */
	__u16 quote;	 /* ICMP error: bytes of our datagram quoted (IPv4 header on); 0: all */
};

/* A built frame and where its parts start, for tests that tamper with one of them. */
struct frame {
	__u8 buf[FRAME_MAX];
	__u32 len;
	__u32 ip;    /* outer IPv4 header */
	__u32 icmp;  /* outer ICMP header */
	__u32 qip;   /* quoted IPv4 header (errors only) */
	__u32 probe; /* ICMP header of the echo request or reply carrying the payload */
	__u32 pl;    /* struct em_payload */
};

static inline __u16 frame_csum(const __u8 *p, size_t n)
{
	__u32 sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Ethernet header and the optional tag; returns the offset of the IPv4 header. */
static inline __u32 frame_put_eth(struct frame *f, const struct shape *s)
{
	struct w_eth eth = {
		.dst = { 0x02, 0, 0, 0, 0, 0x01 },
		.src = { 0x02, 0, 0, 0, 0, 0x02 },
		.proto = htons(ETH_P_IP),
	};
	struct w_vlan tag = { .tci = htons(42), .proto = htons(ETH_P_IP) };

	if (!s->vlan_tpid) {
		memcpy(f->buf, &eth, sizeof(eth));
		return sizeof(eth);
	}
	eth.proto = htons(s->vlan_tpid);
	memcpy(f->buf, &eth, sizeof(eth));
	memcpy(f->buf + sizeof(eth), &tag, sizeof(tag));
	return sizeof(eth) + sizeof(tag);
}

/* IPv4 header with opts words of NOP options, at off; returns its length. */
static inline __u32 frame_put_ip(struct frame *f, __u32 off, __u32 src, __u32 dst, __u8 ttl,
				 __u8 opts, __u32 data_len)
{
	__u32 hlen = sizeof(struct iphdr) + 4 * opts;
	struct iphdr ip = {
		.version = 4,
		.ihl = hlen / 4,
		.tot_len = htons(hlen + data_len),
		.id = htons(0x1234),
		.ttl = ttl,
		.protocol = IPPROTO_ICMP,
		.saddr = src,
		.daddr = dst,
	};

	memcpy(f->buf + off, &ip, sizeof(ip));
	memset(f->buf + off + sizeof(ip), 1, 4 * opts);
	ip.check = frame_csum(f->buf + off, hlen);
	memcpy(f->buf + off, &ip, sizeof(ip));
	return hlen;
}

/* ICMP echo request or reply with our payload and extra bytes; returns its length. */
static inline __u32 frame_put_echo(struct frame *f, __u32 off, const struct probe *pr, __u8 type,
				   __u16 extra)
{
	__u64 mac = em_cookie(pr->key[0], pr->key[1], pr->target, pr->tx_ns, pr->index, pr->round);
	struct w_icmp icmp = {
		.type = type,
		.id = htons(mac & 0xffff),
		.seq = htons((mac >> 16) & 0xffff),
	};
	struct em_payload pl = {
		.tx_ns = pr->tx_ns,
		.index = pr->index,
		.round = pr->round,
		.mac = mac,
	};
	__u32 len = sizeof(icmp) + sizeof(pl) + extra;

	memcpy(f->buf + off, &icmp, sizeof(icmp));
	memcpy(f->buf + off + sizeof(icmp), &pl, sizeof(pl));
	for (__u32 i = 0; i < extra; i++)
		f->buf[off + sizeof(icmp) + sizeof(pl) + i] = 0xa0 + i;
	icmp.csum = frame_csum(f->buf + off, len);
	memcpy(f->buf + off, &icmp, sizeof(icmp));
	return len;
}

/* Recompute the outer checksums after a test changed bytes they cover. */
static inline void frame_refresh(struct frame *f)
{
	__u32 hlen = (f->buf[f->ip] & 0xf) * 4;
	__u32 tot = (__u32)f->buf[f->ip + 2] << 8 | f->buf[f->ip + 3];
	__u16 sum;

	memset(f->buf + f->ip + offsetof(struct iphdr, check), 0, sizeof(sum));
	sum = frame_csum(f->buf + f->ip, hlen);
	memcpy(f->buf + f->ip + offsetof(struct iphdr, check), &sum, sizeof(sum));
	memset(f->buf + f->icmp + offsetof(struct w_icmp, csum), 0, sizeof(sum));
	sum = frame_csum(f->buf + f->icmp, tot - hlen);
	memcpy(f->buf + f->icmp + offsetof(struct w_icmp, csum), &sum, sizeof(sum));
}

/* The target's answer to pr: an echo reply, or with another type one of its near misses. */
static inline void frame_echo(struct frame *f, const struct probe *pr, __u8 type,
			      const struct shape *s)
{
	__u32 data = sizeof(struct w_icmp) + sizeof(struct em_payload) + s->extra;

	memset(f, 0, sizeof(*f));
	f->ip = frame_put_eth(f, s);
	f->icmp = f->ip + frame_put_ip(f, f->ip, pr->target, pr->us, s->ttl ?: 64, s->ip_opts,
				       data);
	f->probe = f->icmp;
	f->pl = f->probe + sizeof(struct w_icmp);
	/* The trailer is already zero. */
	f->len = f->icmp + frame_put_echo(f, f->icmp, pr, type, s->extra) + s->trailer;
}

/* A router's ICMP error (type, code) about pr, quoting the first s->quote bytes of it (0: all). */
static inline void frame_error(struct frame *f, const struct probe *pr, __u32 router, __u8 type,
			       __u8 code, const struct shape *s)
{
	__u32 probe_len = sizeof(struct w_icmp) + sizeof(struct em_payload) + s->extra;
	__u32 qhlen = sizeof(struct iphdr) + 4 * s->qip_opts, quote = s->quote ?: qhlen + probe_len;
	struct w_icmp icmp = { .type = type, .code = code };
	__u32 data = sizeof(icmp) + quote;

	memset(f, 0, sizeof(*f));
	f->ip = frame_put_eth(f, s);
	f->icmp = f->ip + frame_put_ip(f, f->ip, router, pr->us, s->ttl ?: 64, s->ip_opts, data);
	f->qip = f->icmp + sizeof(icmp);
	/* The probe as it left us, TTL spent; its checksums are those of the whole probe. */
	f->probe = f->qip + frame_put_ip(f, f->qip, pr->us, pr->target, 1, s->qip_opts, probe_len);
	f->pl = f->probe + sizeof(struct w_icmp);
	frame_put_echo(f, f->probe, pr, EM_ICMP_ECHO, s->extra);
	memcpy(f->buf + f->icmp, &icmp, sizeof(icmp));
	/* Cut the quote; the trailer, zero, covers what was cut. */
	f->len = f->qip + quote;
	memset(f->buf + f->len, 0, s->trailer);
	f->len += s->trailer;
	frame_refresh(f);
}

#endif /* ECHOMAP_TEST_FRAMES_H */
