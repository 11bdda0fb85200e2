// SPDX-License-Identifier: GPL-2.0
/*
 * echomap's reply matcher. Recognises echo replies to our probes and ICMP errors quoting them,
 * validates them with the keyed cookie, records RTT and TTL in the target's result slot and drops
 * them. Everything else passes unchanged.
 *
 * Counters: every frame counts SEEN and ends as exactly one of MATCHED (dropped) or PASSED, so
 * SEEN = MATCHED + PASSED. DUPLICATE and ICMP_ERROR are subsets of MATCHED; INVALID and MALFORMED
 * are subsets of PASSED. MALFORMED means an EtherType-IPv4 frame whose header is cut short or
 * inconsistent (version, ihl, tot_len shorter than the header or longer than the frame), or a
 * reply or error with a valid cookie naming a target index out of range (in watch mode also one
 * whose prefix has no series); a frame that fails the cookie is INVALID, whatever its index. Frames too short for their Ethernet header or VLAN tag make no claim to
 * be IPv4 and pass uncounted.
 *
 * Watch mode (EM_CFG_WATCH, IPv4 and IPv6) adds per-series histograms, see struct em_series. A
 * late reply is MATCHED (it is ours, and dropped) but counted only in its series' late counter.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "echomap_abi.h"
#include "echomap_cookie.h"
#include "echomap_hist.h"
#include "maps.h"
#include "parse.h"
#include "parse_ipv6.h"

const volatile struct em_config cfg = {};

/*
 * xdp-live: user space runs its probe generator (bpf/generator.bpf.c) through this program, on
 * frames whose metadata is this random marker, and this program passes them on to the
 * generator by tail call. BPF_PROG_RUN adds the program it runs to the kernel's XDP dispatcher
 * for the run's duration, and each change of the dispatcher waits for an RCU grace period (tens
 * of ms per run on a busy machine); this program is in the dispatcher already while attached,
 * so a run through it costs none. Its low bits are zero: the marker of a run is gen_marker
 * plus the slot of gen_prog to enter, one generator per route (see user/tx/routes.h). 0: no
 * generator.
 */
const volatile __u64 gen_marker = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, EM_GEN_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} gen_prog SEC(".maps");

/* Watch mode: the round in progress, rewritten by user space (through the mmap'd .bss). */
struct em_watch_round watch_round;
/*
 * Watch mode: replies being counted in a round, by the round's parity. User space, having moved
 * watch_round on, waits for the closed round's counter to drain before it takes the counts.
 */
__u32 watch_busy[2];

/* An echo request or reply carrying our payload: as sent, echoed, or quoted by an error. */
struct em_probe {
	struct em_icmp icmp;
	struct em_payload pl;
};

/* Compare-and-swap attempts of mark_round() before it falls back to a plain OR. */
#define EM_MARK_TRIES 32

enum verdict {
	V_PASS,
	V_MALFORMED,
	V_INVALID,
	V_MATCHED,
};

static __always_inline void count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &counter);

	if (v)
		*v += 1;
}

/*
 * Is p one of our probes (or its echo), sent to daddr? The 64-bit mac in the payload is what a
 * forger must guess; id/seq carry 32 bits of that same mac, a check, not more strength. The
 * cookie comes first, so whoever has no key can make only invalid frames, never malformed
 * ones. On V_MATCHED *slot is the target's result slot.
 */
static __always_inline enum verdict check_probe(const struct em_probe *p, __u32 daddr,
						struct em_result **slot)
{
	__u32 index = p->pl.index;
	__u64 mac;

	mac = em_cookie(cfg.key[0], cfg.key[1], daddr, p->pl.tx_ns, p->pl.index, p->pl.round);
	if (mac != p->pl.mac || p->icmp.id != bpf_htons(mac & 0xffff) ||
	    p->icmp.seq != bpf_htons((mac >> 16) & 0xffff))
		return V_INVALID;
	if (index >= cfg.n_targets)
		return V_MALFORMED;
	*slot = bpf_map_lookup_elem(&results, &index);
	/* Only possible if the loader sized results below n_targets. */
	return *slot ? V_MATCHED : V_MALFORMED;
}

/*
 * Sets round's bit in *seen and, in the same atomic update, clears the bit of the round 16
 * ahead: a sliding window of 16 rounds, so that bit can serve that round again (ping and watch
 * run past 32 rounds). Two updates would let replies of rounds r and r + 16 on two CPUs clear
 * each other's bit. Our own bit stays set, so *seen is never 0 again after the first reply.
 * Returns the word before the update.
 */
static __always_inline __u32 mark_round(__u32 *seen, __u32 round)
{
	__u32 bit = 1U << (round & 31), stale = 1U << ((round + 16) & 31), old = *seen, prev;

	/* A trace's rounds are TTLs 1..32: all 32 bits serve them at once, nothing slides. */
	if (cfg.flags & EM_CFG_TRACE)
		stale = 0;

	/* Each failed exchange is another CPU's update of this slot in between. */
	for (int i = 0; i < EM_MARK_TRIES; i++) {
		prev = __sync_val_compare_and_swap(seen, old, (old | bit) & ~stale);
		if (prev == old)
			return old;
		old = prev;
	}
	/* A flood of replies to one target: keep the election exact, let the window lag. */
	return __sync_fetch_and_or(seen, bit);
}

/* A validated reply's event, in ring space reserved for it. */
static __always_inline void event_fill(struct em_event *ev, __u64 rtt_ns,
				       const struct em_payload *pl, __u32 from, __u8 ttl,
				       __u8 status, const struct em_icmp *icmp, bool duplicate)
{
	ev->rtt_ns = rtt_ns;
	ev->index = pl->index;
	ev->round = pl->round;
	ev->from = from;
	ev->ttl = ttl;
	ev->status = status;
	ev->icmp_type = icmp->type;
	ev->icmp_code = icmp->code;
	ev->duplicate = duplicate;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
}

/* A validated reply to user space through the ring buffer, if it has room. */
static __always_inline void send_event(__u64 rtt_ns, const struct em_payload *pl, __u32 from,
				       __u8 ttl, __u8 status, const struct em_icmp *icmp,
				       bool duplicate)
{
	struct em_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev)
		return;
	event_fill(ev, rtt_ns, pl, from, ttl, status, icmp, duplicate);
	bpf_ringbuf_submit(ev, 0);
}

/*
 * Record a validated reply: from, ttl and icmp are of the outer headers (the router's for an ICMP
 * error; from is 0 for IPv6, whose address goes to from6), pl our payload as echoed or quoted.
 * Echo replies and errors each have their round window, so neither is ever a duplicate of the
 * other. Returns false for a duplicate of its kind.
 */
static __always_inline bool record(struct em_result *slot, const struct em_payload *pl,
				   __u32 from, __u8 ttl, const struct em_icmp *icmp, __u8 status,
				   __u64 rtt_ns)
{
	__u32 round = pl->round, bit = 1U << (round & 31), old, rtt;
	bool echo = status == EM_ST_ECHOREPLY;

	rtt = rtt_ns > 0xffffffffULL ? 0xffffffffU : rtt_ns;

	/*
	 * mark_round() elects exactly one CPU as the first echo reply (or error) of this
	 * (index, round), and one as the first echo reply of the slot (old == 0), which alone
	 * writes the first-reply fields. min/max and the latest error are plain stores: two
	 * replies racing on one slot may lose an extreme or mix two errors' fields, which costs
	 * less than a compare-and-swap loop on every field.
	 */
	old = mark_round(echo ? &slot->rounds_seen : &slot->err_rounds_seen, round);
	if (old & bit) {
		__sync_fetch_and_add(&slot->dups, 1);
		count(EM_CNT_DUPLICATE);
	} else if (echo) {
		if (!old) {
			slot->rtt_first_ns = rtt;
			slot->rtt_min_ns = rtt;
			slot->ttl = ttl;
			slot->from = from;
		} else if (rtt < slot->rtt_min_ns) {
			slot->rtt_min_ns = rtt;
		}
		if (rtt > slot->rtt_max_ns)
			slot->rtt_max_ns = rtt;
		__sync_fetch_and_add(&slot->replies, 1);
	} else {
		slot->err_rtt_ns = rtt;
		slot->err_from = from;
		slot->err_status = status;
		slot->err_type = icmp->type;
		slot->err_code = icmp->code;
		slot->err_ttl = ttl;
		__sync_fetch_and_add(&slot->errors, 1);
	}

	/* A full ring loses the event, never the reply: the slot above already has it. */
	if (cfg.flags & EM_CFG_EVENTS)
		send_event(rtt_ns, pl, from, ttl, status, icmp, old & bit);
	return !(old & bit);
}

/*
 * Stream mode's state of a target (enum em_stream_state) after a reply of kind echo that did
 * (queued) or did not find room in the ring. A lost reply marks LOST a target still without
 * the line it would have had: its error's line does not stand for a lost echo reply, because a
 * live host matters more than a second error line.
 */
static __always_inline __u32 stream_next(__u32 s, bool echo, bool queued)
{
	if (echo)
		return queued || s == EM_SS_ECHO ? EM_SS_ECHO : EM_SS_LOST;
	if (s == EM_SS_ECHO || s == EM_SS_ERROR)
		return s;
	return queued ? EM_SS_ERROR : EM_SS_LOST;
}

/*
 * Moves target index's two bits in *w to their next state; returns the state before. Each
 * failed exchange is another CPU's update of this word in between; after EM_MARK_TRIES of
 * them the target is marked LOST (probed again, its line maybe written twice) and -1 returned.
 */
static __always_inline int stream_mark(__u64 *w, __u32 index, bool echo, bool queued)
{
	__u32 shift = index % 32 * 2, from, to;
	__u64 old = *w, prev;

	for (int i = 0; i < EM_MARK_TRIES; i++) {
		from = old >> shift & 3;
		to = stream_next(from, echo, queued);
		if (to == from)
			return from;
		prev = __sync_val_compare_and_swap(w, old, (old & ~(3ULL << shift)) |
							   (__u64)to << shift);
		if (prev == old)
			return from;
		old = prev;
	}
	__sync_fetch_and_or(w, (__u64)EM_SS_LOST << shift);
	return -1;
}

/*
 * Stream mode (sweeps): two bits per target instead of a slot, and every validated reply goes
 * to user space as an event, marked as a repeat unless it is its target's first echo reply or
 * first error (an echo reply after an error is a first; an error after an echo reply is not).
 * The ring space is taken before the state moves, so a target whose reply the ring had no
 * room for is LOST and probed again, and user space needs no bits of its own. The cookie
 * covers the index, so only indices we sent pass it; the map's bound is checked anyway.
 */
static __always_inline enum verdict stream_reply(const struct em_probe *p, __u32 daddr,
						 const struct iphdr *ip, const struct em_icmp *icmp,
						 __u8 status)
{
	__u32 word = p->pl.index / 32;
	bool echo = status == EM_ST_ECHOREPLY, repeat;
	struct em_event *ev;
	__u64 mac, now, *w;
	int from;

	mac = em_cookie(cfg.key[0], cfg.key[1], daddr, p->pl.tx_ns, p->pl.index, p->pl.round);
	if (mac != p->pl.mac || p->icmp.id != bpf_htons(mac & 0xffff) ||
	    p->icmp.seq != bpf_htons((mac >> 16) & 0xffff))
		return V_INVALID;
	w = bpf_map_lookup_elem(&first_reply, &word);
	if (!w)
		return V_MALFORMED;
	now = bpf_ktime_get_ns();
	if (!echo)
		count(EM_CNT_ICMP_ERROR);
	/* Each path holds or releases the reservation plainly: Linux 6.1's verifier needs that. */
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		from = stream_mark(w, p->pl.index, echo, false);
		if (from >= 0 && stream_next(from, echo, true) == from)
			count(EM_CNT_DUPLICATE);
		count(EM_CNT_LOST);
		return V_MATCHED;
	}
	from = stream_mark(w, p->pl.index, echo, true);
	if (from < 0) {
		bpf_ringbuf_discard(ev, 0);
		count(EM_CNT_LOST);
		return V_MATCHED;
	}
	repeat = stream_next(from, echo, true) == from;
	if (repeat)
		count(EM_CNT_DUPLICATE);
	event_fill(ev, now > p->pl.tx_ns ? now - p->pl.tx_ns : 0, &p->pl, ip->saddr, ip->ttl,
		   status, icmp, repeat);
	bpf_ringbuf_submit(ev, 0);
	return V_MATCHED;
}

/* Watch mode: the series a target belongs to, or NULL if user space did not map its prefix. */
static __always_inline struct em_series *watch_series(__u32 daddr, __u32 index)
{
	__u32 prefix, *group;

	if (!(cfg.flags & EM_CFG_AGGREGATE))
		return bpf_map_lookup_elem(&series, &index);
	prefix = daddr & cfg.agg_mask;
	group = bpf_map_lookup_elem(&groups, &prefix);
	return group ? bpf_map_lookup_elem(&series, group) : NULL;
}

/* The same for an IPv6 target (daddr as in the header). */
static __always_inline struct em_series *watch_series6(const __u32 daddr[4], __u32 index)
{
	struct em_addr6 prefix;
	__u32 *group;

	if (!(cfg.flags & EM_CFG_AGGREGATE6))
		return bpf_map_lookup_elem(&series, &index);
	for (int i = 0; i < 4; i++)
		prefix.a[i] = daddr[i] & cfg.agg_mask6[i];
	group = bpf_map_lookup_elem(&groups6, &prefix);
	return group ? bpf_map_lookup_elem(&series, group) : NULL;
}

/*
 * Watch mode: is a reply of payload round `round` within its round and timeout? If so it is counted as busy in the
 * round in progress (watch_leave() ends that), and the busy counter is returned; NULL if late.
 * The counter goes up before watch_round is read again: either user space, closing the round,
 * sees it and waits, or this sees the round closed and the reply is late after all.
 */
static __always_inline __u32 *watch_enter(__u32 round, __u64 rtt_ns, __u64 timeout_ns)
{
	__u32 first = watch_round.first, count = watch_round.count, *busy;

	if (round - first >= count || rtt_ns > timeout_ns)
		return NULL;
	busy = &watch_busy[(first / count) & 1];
	__sync_fetch_and_add(busy, 1);
	if (*(volatile __u32 *)&watch_round.first == first)
		return busy;
	__sync_fetch_and_add(busy, -1);
	return NULL;
}

/*
 * Watch mode: a reply in time goes into its series. Only echo replies have an RTT worth a
 * histogram, a spread and a jitter; ICMP errors are counted apart. Plain store for the TTL: the
 * latest of two racing replies is as good as the other.
 */
static __always_inline void watch_count(struct em_series *s, bool fresh, __u8 status, __u8 ttl,
					__u64 rtt_ns)
{
	__u32 b = em_hist_bucket(rtt_ns), rtt, prev;
	__u64 d, j;

	if (!fresh) {
		__sync_fetch_and_add(&s->dups, 1);
		return;
	}
	if (status != EM_ST_ECHOREPLY) {
		__sync_fetch_and_add(&s->errors, 1);
		return;
	}
	/* Always true; older verifiers cannot follow the bound through em_hist_bucket(). */
	if (b >= EM_HIST_BUCKETS)
		return;
	__sync_fetch_and_add(&s->buckets[b], 1);
	__sync_fetch_and_add(&s->sum_ns, rtt_ns);
	__sync_fetch_and_add(&s->sum_sq_us2, (rtt_ns / 1000) * (rtt_ns / 1000));
	/* Plain stores: two racing replies may blur one step of a running estimate. */
	rtt = rtt_ns > 0xffffffffULL ? 0xffffffffU : rtt_ns;
	prev = s->last_rtt_ns;
	s->last_rtt_ns = rtt;
	if (prev) {
		d = rtt > prev ? rtt - prev : prev - rtt;
		j = s->jitter16_ns;
		s->jitter16_ns = j + d - ((j + 8) >> 4);
	}
	s->ttl = ttl;
	/* Last, so that user space never sees a reply without its bucket. */
	__sync_fetch_and_add(&s->replies, 1);
}

/* An ICMPv6 reply's fields, copied out of the frame for match6(). */
struct em_cand6 {
	__u32 daddr[4]; /* the probe's destination, what the cookie covers */
	__u32 from[4];	/* the reply's source */
	struct em_payload pl;
	struct em_icmp icmp;  /* outer: type and code */
	__be16 id, seq;	      /* of the echo request or reply carrying pl */
	__u8 hop_limit, status;
	__u8 pad[2];
};

/* Stream mode: stream_reply() for an ICMPv6 reply whose cookie passed, in an em_event6. */
static __always_inline int stream_reply6(const struct em_cand6 *r)
{
	__u32 word = r->pl.index / 32;
	bool echo = r->status == EM_ST_ECHOREPLY, repeat;
	struct em_event6 *ev;
	__u64 now, *w;
	int from;

	w = bpf_map_lookup_elem(&first_reply, &word);
	if (!w)
		return V_MALFORMED;
	now = bpf_ktime_get_ns();
	if (!echo)
		count(EM_CNT_ICMP_ERROR);
	/* As in stream_reply(): each path holds or releases the reservation plainly. */
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		from = stream_mark(w, r->pl.index, echo, false);
		if (from >= 0 && stream_next(from, echo, true) == from)
			count(EM_CNT_DUPLICATE);
		count(EM_CNT_LOST);
		return V_MATCHED;
	}
	from = stream_mark(w, r->pl.index, echo, true);
	if (from < 0) {
		bpf_ringbuf_discard(ev, 0);
		count(EM_CNT_LOST);
		return V_MATCHED;
	}
	repeat = stream_next(from, echo, true) == from;
	if (repeat)
		count(EM_CNT_DUPLICATE);
	event_fill(&ev->ev, now > r->pl.tx_ns ? now - r->pl.tx_ns : 0, &r->pl, 0, r->hop_limit,
		   r->status, &r->icmp, repeat);
	__builtin_memcpy(ev->from6, r->from, sizeof(ev->from6));
	bpf_ringbuf_submit(ev, 0);
	return V_MATCHED;
}

/*
 * The cookie, the slot and the record of an ICMPv6 reply. A global function, verified once on
 * its own: inlined, the cookie would be verified again on every path through the extension
 * headers, past the verifier's budget. Returns an enum verdict.
 */
__noinline int match6(struct em_cand6 *r)
{
	struct em_series *series = NULL;
	struct em_result *slot;
	struct em_addr6 *from6;
	__u32 index, *busy = NULL;
	__u64 mac, now, rtt_ns;
	bool fresh;

	if (!r)
		return V_PASS;
	mac = em_cookie6(cfg.key[0], cfg.key[1], r->daddr, r->pl.tx_ns, r->pl.index, r->pl.round);
	if (mac != r->pl.mac || r->id != bpf_htons(mac & 0xffff) ||
	    r->seq != bpf_htons((mac >> 16) & 0xffff))
		return V_INVALID;
	if (cfg.flags & EM_CFG_STREAM)
		return stream_reply6(r);
	index = r->pl.index;
	if (index >= cfg.n_targets)
		return V_MALFORMED;
	slot = bpf_map_lookup_elem(&results, &index);
	from6 = bpf_map_lookup_elem(&from6_addrs, &index);
	if (!slot || !from6)
		return V_MALFORMED;
	now = bpf_ktime_get_ns();
	rtt_ns = now > r->pl.tx_ns ? now - r->pl.tx_ns : 0;
	/* Watch mode: as handle() for IPv4, a closed round's stragglers are only late. */
	if (cfg.flags & EM_CFG_WATCH) {
		series = watch_series6(r->daddr, index);
		if (!series)
			return V_MALFORMED;
		busy = watch_enter(r->pl.round, rtt_ns,
				   series->timeout_us ? series->timeout_us * 1000ULL : cfg.timeout_ns);
		if (!busy) {
			__sync_fetch_and_add(&series->late, 1);
			return V_MATCHED;
		}
	}
	/*
	 * Before record() elects the first reply: of two first replies racing on two CPUs, the
	 * address may be the other's, both valid replies about this target.
	 */
	if (!slot->rounds_seen)
		__builtin_memcpy(from6->a, r->from, sizeof(from6->a));
	fresh = record(slot, &r->pl, 0, r->hop_limit, &r->icmp, r->status, rtt_ns);
	if (series)
		watch_count(series, fresh, r->status, r->hop_limit, rtt_ns);
	if (busy)
		__sync_fetch_and_add(busy, -1);
	if (r->status != EM_ST_ECHOREPLY)
		count(EM_CNT_ICMP_ERROR);
	return V_MATCHED;
}

/*
 * An IPv6 frame: ICMPv6 echo replies and errors quoting our probes are matched as IPv4's are,
 * with the cookie over the 128-bit address; the reply's source goes to from6_addrs, or in
 * stream mode into the reply's em_event6.
 */
static __always_inline enum verdict handle_ipv6(struct cursor *c)
{
	const volatile __u32 *s6 = cfg.saddr6;
	struct em_cand6 cand = {};
	struct em_reply6 r = {};
	const struct em_probe *p;

	switch (parse_icmp6(c, s6, !(s6[0] | s6[1] | s6[2] | s6[3]), &r)) {
	case EM_P6_MALFORMED:
		return V_MALFORMED;
	case EM_P6_PASS:
		return V_PASS;
	default:
		break;
	}
	p = r.probe;
	__builtin_memcpy(cand.daddr, r.daddr, sizeof(cand.daddr));
	__builtin_memcpy(cand.from, &r.ip->saddr, sizeof(cand.from));
	__builtin_memcpy(&cand.pl, &p->pl, sizeof(cand.pl));
	cand.icmp.type = r.icmp->type;
	cand.icmp.code = r.icmp->code;
	cand.id = p->icmp.id;
	cand.seq = p->icmp.seq;
	cand.hop_limit = r.ip->hop_limit;
	cand.status = r.status;
	return match6(&cand);
}

static __always_inline enum verdict handle(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct em_result *slot = NULL;
	struct em_series *series = NULL;
	__u32 *busy = NULL;
	struct iphdr *ip, *qip;
	struct em_icmp *icmp;
	struct em_probe *p;
	__u64 now, rtt_ns;
	__u32 len, daddr;
	enum verdict v;
	__be16 proto;
	__u8 status;
	bool fresh;

	proto = parse_eth(&c);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ipv6(&c);
	if (proto != bpf_htons(ETH_P_IP))
		return V_PASS;
	len = parse_ipv4(&c, &ip);
	if (!len)
		return V_MALFORMED;
	if (ip->protocol != IPPROTO_ICMP || (cfg.saddr && ip->daddr != cfg.saddr))
		return V_PASS;
	/* Replies to our small probes are never fragmented; reassembly is the stack's job. */
	if (ip->frag_off & bpf_htons(EM_IP_MF_OFFSET))
		return V_PASS;

	/* From here on len is the ICMP message's length, which excludes Ethernet padding. */
	len -= ip->ihl * 4;
	icmp = c.pos;
	if (len < sizeof(*icmp) || (void *)(icmp + 1) > c.end)
		return V_PASS;

	if (icmp->type == EM_ICMP_ECHOREPLY) {
		status = EM_ST_ECHOREPLY;
		daddr = ip->saddr;
	} else {
		if (icmp->type == EM_ICMP_DEST_UNREACH)
			status = EM_ST_UNREACH;
		else if (icmp->type == EM_ICMP_TIME_EXCEEDED)
			status = EM_ST_TIMXCEED;
		else
			return V_PASS;
		/* The error quotes our datagram: its IPv4 header, then our echo request. */
		c.pos = icmp + 1;
		len -= sizeof(*icmp);
		qip = parse_quoted_ipv4(&c);
		if (!qip || qip->protocol != IPPROTO_ICMP ||
		    (cfg.saddr && qip->saddr != cfg.saddr) || len < qip->ihl * 4)
			return V_PASS;
		daddr = qip->daddr;
		len -= qip->ihl * 4;
	}

	/*
	 * RFC 792 routers quote only 8 bytes of our ICMP header: without the payload there is no
	 * target index, so such an error cannot be attributed and goes to the stack.
	 */
	p = c.pos;
	if (len < sizeof(*p) || (void *)(p + 1) > c.end)
		return V_PASS;
	if (status != EM_ST_ECHOREPLY && p->icmp.type != EM_ICMP_ECHO)
		return V_PASS;
	if (cfg.flags & EM_CFG_STREAM)
		return stream_reply(p, daddr, ip, icmp, status);
	v = check_probe(p, daddr, &slot);
	if (v != V_MATCHED)
		return v;

	/*
	 * tx_ns passed the cookie, so we stamped it from this clock and it cannot be ahead; if it
	 * ever were, an RTT of 0 is less wrong than one wrapped to 4 s.
	 */
	now = bpf_ktime_get_ns();
	rtt_ns = now > p->pl.tx_ns ? now - p->pl.tx_ns : 0;
	if (cfg.flags & EM_CFG_WATCH) {
		series = watch_series(daddr, p->pl.index);
		if (!series)
			return V_MALFORMED;
		/*
		 * A closed round's results are gone to user space: its stragglers are only late.
		 * Groups of targets (watch --config) each have their own timeout.
		 */
		busy = watch_enter(p->pl.round, rtt_ns,
				   series->timeout_us ? series->timeout_us * 1000ULL : cfg.timeout_ns);
		if (!busy) {
			__sync_fetch_and_add(&series->late, 1);
			return V_MATCHED;
		}
	}
	fresh = record(slot, &p->pl, ip->saddr, ip->ttl, icmp, status, rtt_ns);
	if (series)
		watch_count(series, fresh, status, ip->ttl, rtt_ns);
	if (busy)
		__sync_fetch_and_add(busy, -1);
	if (status != EM_ST_ECHOREPLY)
		count(EM_CNT_ICMP_ERROR);
	return V_MATCHED;
}

/*
 * A run of the generator: metadata only our own BPF_PROG_RUN can give a frame. *slot: the
 * generator it is for.
 */
static __always_inline bool generator_run(struct xdp_md *ctx, __u32 *slot)
{
	__u64 *meta = (void *)(long)ctx->data_meta;

	if (!gen_marker || (void *)(meta + 1) > (void *)(long)ctx->data)
		return false;
	*slot = *meta & (EM_GEN_SLOTS - 1);
	return (*meta & ~(__u64)(EM_GEN_SLOTS - 1)) == gen_marker;
}

SEC("xdp")
int echomap_xdp(struct xdp_md *ctx)
{
	enum verdict v;
	__u32 slot;

	if (generator_run(ctx, &slot)) {
		bpf_tail_call(ctx, &gen_prog, slot);
		return XDP_DROP; /* no generator in the slot: nothing to send */
	}
	count(EM_CNT_SEEN);
	v = handle(ctx);
	if (v == V_MATCHED) {
		count(EM_CNT_MATCHED);
		return XDP_DROP;
	}
	if (v == V_INVALID)
		count(EM_CNT_INVALID);
	else if (v == V_MALFORMED)
		count(EM_CNT_MALFORMED);
	count(EM_CNT_PASSED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
