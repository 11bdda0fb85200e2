// SPDX-License-Identifier: GPL-2.0
/*
 * echomap's reply matcher. Recognises echo replies to our probes, and ICMP errors quoting
 * them, validates them with the keyed cookie, records RTT and TTL per target and drops them.
 * Everything else passes unchanged.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "cookie.h"
#include "echomap_abi.h"
#include "maps.h"
#include "parse.h"

const volatile struct em_config cfg = {};

static __always_inline void count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		*v += 1;
}

/* An echo request/reply header followed by our payload, as sent or echoed. */
struct probe_hdr {
	struct icmp_echo icmp;
	struct em_payload pl;
} __attribute__((packed));

enum verdict { V_PASS, V_INVALID, V_MALFORMED, V_OURS };

/* Cookie and id/seq check of a probe (or its echo) addressed to daddr. */
static __always_inline enum verdict check_probe(const struct probe_hdr *p, __u32 daddr)
{
	__u64 tx_ns = p->pl.tx_ns, mac;
	__u32 index = p->pl.index, round = p->pl.round;

	if (index >= cfg.n_targets)
		return V_MALFORMED;
	mac = em_siphash(cfg.key[0], cfg.key[1], daddr, tx_ns, index, round);
	if (mac != p->pl.mac || p->icmp.id != bpf_htons(mac & 0xffff) ||
	    p->icmp.seq != bpf_htons((mac >> 16) & 0xffff))
		return V_INVALID;
	return V_OURS;
}

static __always_inline void record(const struct probe_hdr *p, const struct iphdr *ip,
				   const struct icmp_echo *icmp, __u8 status)
{
	__u32 index = p->pl.index, round = p->pl.round, rtt;
	__u64 now = bpf_ktime_get_ns(), d, tx_ns = p->pl.tx_ns;
	struct em_result *slot = bpf_map_lookup_elem(&results, &index);
	struct em_event *ev;
	__u32 old;

	if (!slot)
		return;
	d = now > tx_ns ? now - tx_ns : 0;
	rtt = d > 0xffffffffULL ? 0xffffffff : d;

	old = __sync_fetch_and_or(&slot->rounds_seen, 1U << (round & 31));
	if (old & (1U << (round & 31))) {
		__sync_fetch_and_add(&slot->dups, 1);
		count(EM_CNT_DUPLICATE);
	} else {
		/* Two CPUs may race on min/max of one slot; the first-reply fields are
		 * written once, by whoever sets the first bit. */
		if (!old) {
			slot->rtt_first_ns = rtt;
			slot->rtt_min_ns = rtt;
			slot->ttl = ip->ttl;
			slot->status = status;
			slot->icmp_type = icmp->type;
			slot->icmp_code = icmp->code;
			slot->from = ip->saddr;
		} else if (rtt < slot->rtt_min_ns) {
			slot->rtt_min_ns = rtt;
		}
		if (rtt > slot->rtt_max_ns)
			slot->rtt_max_ns = rtt;
		__sync_fetch_and_add(&slot->replies, 1);
	}

	if (!(cfg.flags & EM_CFG_EVENTS))
		return;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return;
	ev->rtt_ns = d;
	ev->index = index;
	ev->round = round;
	ev->from = ip->saddr;
	ev->ttl = ip->ttl;
	ev->status = status;
	ev->icmp_type = icmp->type;
	ev->icmp_code = icmp->code;
	ev->duplicate = !!(old & (1U << (round & 31)));
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline enum verdict handle(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct probe_hdr *p;
	struct icmp_echo *icmp;
	struct iphdr *ip, *qip;
	enum verdict v;
	bool bad = false;
	__u8 status;

	if (parse_eth(&c) != bpf_htons(ETH_P_IP))
		return V_PASS;
	ip = parse_ipv4(&c, &bad);
	if (!ip)
		return bad ? V_MALFORMED : V_PASS;
	if (ip->protocol != IPPROTO_ICMP || (cfg.saddr && ip->daddr != cfg.saddr))
		return V_PASS;
	/* Fragments cannot be matched from their first piece alone. */
	if (ip->frag_off & bpf_htons(0x3fff))
		return V_PASS;

	icmp = c.pos;
	if ((void *)(icmp + 1) > c.end)
		return V_PASS;

	if (icmp->type == ICMP_ECHOREPLY) {
		p = c.pos;
		if ((void *)(p + 1) > c.end)
			return V_PASS;
		v = check_probe(p, ip->saddr);
		if (v == V_OURS)
			record(p, ip, icmp, EM_ST_ECHOREPLY);
		return v;
	}

	if (icmp->type == ICMP_DEST_UNREACH)
		status = EM_ST_UNREACH;
	else if (icmp->type == ICMP_TIME_EXCEEDED)
		status = EM_ST_TIMXCEED;
	else
		return V_PASS;

	/* The error quotes our datagram: its IP header, then our echo request. */
	c.pos = icmp + 1;
	qip = parse_ipv4(&c, &bad);
	if (!qip || qip->protocol != IPPROTO_ICMP || (cfg.saddr && qip->saddr != cfg.saddr))
		return V_PASS;
	p = c.pos;
	/* A quote shorter than our payload (RFC 792's 8 bytes) cannot name the target slot. */
	if ((void *)(p + 1) > c.end || p->icmp.type != ICMP_ECHO)
		return V_PASS;
	v = check_probe(p, qip->daddr);
	if (v == V_OURS) {
		record(p, ip, icmp, status);
		count(EM_CNT_ICMP_ERROR);
	}
	return v;
}

SEC("xdp")
int echomap_xdp(struct xdp_md *ctx)
{
	enum verdict v;

	count(EM_CNT_SEEN);
	v = handle(ctx);
	switch (v) {
	case V_OURS:
		count(EM_CNT_MATCHED);
		return XDP_DROP;
	case V_INVALID:
		count(EM_CNT_INVALID);
		break;
	case V_MALFORMED:
		count(EM_CNT_MALFORMED);
		break;
	case V_PASS:
		break;
	}
	count(EM_CNT_PASSED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
