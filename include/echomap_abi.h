/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel/user ABI of echomap: what the XDP programs and the frontend both read or write.
 * Fixed-width types only, explicit padding, sizes pinned by _Static_assert.
 *
 * Byte order: addresses are in network order, as they appear in the IPv4 header. The probe
 * payload is produced and consumed on the same host, so its fields are in host order.
 */
#ifndef ECHOMAP_ABI_H
#define ECHOMAP_ABI_H

#include <linux/types.h>

#include "echomap_hist.h"

/*
 * Payload of every echo request, echoed back verbatim by conforming hosts.
 * mac = SipHash-2-4(key, msg) with msg the 20 bytes: daddr (network order) | tx_ns | index | round,
 * i.e. the destination address followed by the first 16 bytes of this struct.
 * The ICMP identifier and sequence number carry the low 32 bits of mac
 * (id = mac & 0xffff, seq = (mac >> 16) & 0xffff, both written in network order).
 */
struct em_payload {
	__u64 tx_ns; /* CLOCK_MONOTONIC when handed to the TX ring (bpf_ktime_get_ns clock) */
	__u32 index; /* target index in the run's target set */
	__u32 round; /* probe number (sweep -n) or ping sequence or watch round */
	__u64 mac;   /* keyed hash, see above */
};
_Static_assert(sizeof(struct em_payload) == 24, "em_payload must be 24 bytes");

/* Generators the matcher can enter, one per route (a power of two: the marker's low bits). */
#define EM_GEN_SLOTS 8

#define EM_PAYLOAD_LEN	     24
#define EM_COOKIE_MSG_LEN    20
#define EM_COOKIE6_MSG_LEN   32

/* Status of a result slot or event; also the classification reported to the user. */
enum em_status {
	EM_ST_NONE = 0,
	EM_ST_ECHOREPLY = 1,
	EM_ST_UNREACH = 2,
	EM_ST_TIMXCEED = 3,
};

/*
 * One slot per target index, in the mmap-able `results` array. Echo replies and ICMP errors are
 * kept apart (the reply policy): a target that answered an echo is alive, with the RTT and TTL
 * of its first echo reply, whatever errors came before or after; its errors are counted beside
 * it with the latest one's type, code and router. The first reply of each kind to an
 * (index, round) pair sets its bit in that kind's round window (rounds_seen, err_rounds_seen);
 * a second one of the same kind is a duplicate, one of the other kind never is. Setting bit r
 * clears bit (r + 16) % 32, so duplicates are told apart within a window of 16 rounds; with
 * EM_CFG_TRACE nothing is cleared: trace rounds are TTLs 1..32, one bit each for the whole run.
 * RTTs saturate at U32_MAX ns (4.29 s).
 */
struct em_result {
	/* Echo replies */
	__u32 rtt_first_ns;
	__u32 rtt_min_ns;
	__u32 rtt_max_ns;
	__u32 replies;	   /* echo replies recorded, one per (index, round) */
	__u32 rounds_seen; /* bit (round % 32) set when that round's echo reply came */
	__u32 from;	   /* source address of the first echo reply */
	__u32 dups;	   /* duplicates, of either kind */
	__u8 ttl;	   /* IPv4 TTL of the first echo reply */
	/* ICMP errors (unreachable, time exceeded): the latest one's */
	__u8 err_status; /* enum em_status */
	__u8 err_type;
	__u8 err_code;
	__u32 errors;	       /* errors recorded, one per (index, round) */
	__u32 err_rounds_seen; /* as rounds_seen, for errors */
	__u32 err_from;	       /* the router that sent it */
	__u32 err_rtt_ns;
	__u8 err_ttl;	/* IPv4 TTL of the error */
	__u8 pad[7];	/* an array map's values are 8-aligned: the mmap's stride */
};
_Static_assert(sizeof(struct em_result) == 56, "em_result must be 56 bytes");

/* What a slot says of its target: an echo reply, else its latest error, else nothing. */
static inline __u8 em_result_status(const volatile struct em_result *r)
{
	return r->replies ? EM_ST_ECHOREPLY : r->errors ? r->err_status : EM_ST_NONE;
}

/* Per-reply event in the `events` ring buffer (when EM_CFG_EVENTS is set). */
struct em_event {
	__u64 rtt_ns;
	__u32 index;
	__u32 round;
	__u32 from;
	__u8 ttl;
	__u8 status;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 duplicate; /* a second reply of its kind (echo or error) to its (index, round) */
	__u8 pad[7];
};
_Static_assert(sizeof(struct em_event) == 32, "em_event must be 32 bytes");

/*
 * The event of a reply about an IPv6 target (EM_CFG_STREAM): ev.from is 0, the reply's source
 * (the router's for an ICMPv6 error) is from6, as in the header. Told apart by its size.
 */
struct em_event6 {
	struct em_event ev;
	__u32 from6[4];
};
_Static_assert(sizeof(struct em_event6) == 48, "em_event6 must be 48 bytes");

/* Per-CPU counters in the `stats` array, indexed by this enum. */
enum em_counter {
	EM_CNT_SEEN = 0,   /* frames the program ran on */
	EM_CNT_MATCHED,	   /* valid replies to our probes (dropped) */
	EM_CNT_INVALID,	   /* looked like ours, failed the cookie (passed) */
	EM_CNT_DUPLICATE,  /* valid, but (index, round) already had one of its kind */
	EM_CNT_ICMP_ERROR, /* valid ICMP errors quoting our probes */
	EM_CNT_PASSED,	   /* everything handed to the stack */
	EM_CNT_MALFORMED,  /* truncated / inconsistent / valid cookie, index out of range */
	EM_CNT_LOST,	   /* EM_CFG_STREAM: replies whose event found the ring buffer full */
	EM_CNT_MAX,
};

/* em_config.flags */
#define EM_CFG_EVENTS	 (1U << 0) /* emit one ring buffer event per reply */
#define EM_CFG_WATCH	 (1U << 1) /* watch mode: rounds, late replies, per-series histograms */
#define EM_CFG_AGGREGATE (1U << 2) /* watch: a series is a prefix (agg_mask), not a target */
#define EM_CFG_TRACE	 (1U << 3) /* trace: rounds are TTLs, no sliding duplicate window */
/*
 * Sweep streaming: no result slots; the first_reply map (enum em_stream_state, two bits per
 * target index) tells a target's first reply from its repeats, and every reply is an event
 * (or counted EM_CNT_LOST).
 */
#define EM_CFG_STREAM	 (1U << 4)
/* watch: an IPv6 target's series is its prefix (agg_mask6), not the target */
#define EM_CFG_AGGREGATE6 (1U << 5)

/*
 * EM_CFG_STREAM: a target's state, at bits 2 * (index % 32) of first_reply's word index / 32.
 * These two bits are all a streaming sweep keeps per target, in the kernel or in user space.
 */
enum em_stream_state {
	EM_SS_NONE = 0,	 /* no reply yet */
	EM_SS_ERROR = 1, /* its first line was an ICMP error; an echo reply would be a first too */
	EM_SS_ECHO = 2,	 /* its echo reply has its line: whatever follows is a repeat */
	EM_SS_LOST = 3,	 /* it answered, but the ring had no room for the event: probe it again */
};

static inline enum em_stream_state em_stream_state(__u64 word, __u64 index)
{
	return (enum em_stream_state)(word >> (index % 32 * 2) & 3);
}

/* Read-only configuration, set in .rodata before load. */
struct em_config {
	__u64 key[2];	 /* SipHash key k0, k1 */
	__u32 saddr;	 /* our source address (network order); replies must be addressed to it */
	__u32 n_targets; /* valid indices are [0, n_targets) */
	__u32 flags;
	__u32 agg_mask;	 /* EM_CFG_AGGREGATE: netmask of a series' prefix (network order) */
	__u64 timeout_ns; /* EM_CFG_WATCH: a reply slower than this is late */
	__u32 saddr6[4];  /* our IPv6 source address (as in the header); all zero: any */
	__u32 agg_mask6[4]; /* EM_CFG_AGGREGATE6: an IPv6 series' netmask (as in the header) */
};
_Static_assert(sizeof(struct em_config) == 72, "em_config must be 72 bytes");

/*
 * An IPv6 address as the matcher stores it: the header's 16 bytes. The `from6` array holds one per
 * target index, written by the first IPv6 reply of the slot (em_result.from is 0 for those).
 */
struct em_addr6 {
	__u32 a[4];
};
_Static_assert(sizeof(struct em_addr6) == 16, "em_addr6 must be 16 bytes");

/*
 * Watch mode: the payload rounds [first, first + count) are the round in progress (count is the
 * number of probes per target and round, each with its own payload round so that duplicates
 * are told apart). User space rewrites it when a round closes; a reply whose payload round is
 * outside it, or slower than the timeout, is late and counted only as such, so rounds never mix.
 */
struct em_watch_round {
	__u32 first;
	__u32 count;
};

/*
 * Watch mode: one slot per series (a target, or a prefix with EM_CFG_AGGREGATE) in the
 * mmap-able `series` array. The program only adds; user space takes the counts of a round with
 * atomic exchanges, so nothing counted between its reads is lost. buckets[] is the log-linear
 * histogram of include/echomap_hist.h over the echo replies counted in replies.
 */
struct em_series {
	__u64 sum_ns;  /* sum of the RTTs in buckets[] */
	__u32 replies; /* echo replies in time, one per (target, payload round) */
	__u32 late;    /* replies of a closed round or slower than the timeout */
	__u32 dups;    /* further replies to a (target, payload round) that had one */
	__u32 errors;  /* ICMP errors (unreachable, time exceeded) in time */
	__u8 ttl;      /* IPv4 TTL or IPv6 hop limit of the latest echo reply */
	__u8 pad[3];
	__u32 timeout_us; /* set by user space: this series' timeout; 0: em_config.timeout_ns */
	__u64 sum_sq_us2; /* sum of the squares of the RTTs in buckets[], in us^2: their spread */
	/*
	 * RFC 3550 interarrival jitter of the echo replies in time, as its appendix A.8 keeps it:
	 * 16 times J, J += (|D| - J) / 16 with D the difference of two consecutive replies' RTTs
	 * (last_rtt_ns the latest, saturated). Kept across rounds; user space only reads it.
	 */
	__u64 jitter16_ns;
	__u32 last_rtt_ns;
	__u32 pad2;
	__u32 buckets[EM_HIST_BUCKETS];
	__u32 pad_end;
};
_Static_assert(sizeof(struct em_series) == 56 + 4 * EM_HIST_BUCKETS + 4,
	       "em_series must have no hidden padding");

#endif /* ECHOMAP_ABI_H */
