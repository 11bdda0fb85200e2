/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel/user ABI of the probe generator (bpf/generator.bpf.c), the XDP program that the
 * xdp-live engine runs with BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES: each run builds one
 * echo request in place and returns XDP_TX, which the kernel really transmits.
 *
 * Two modes, fixed at load time:
 * - walk (sweep): each CPU owns one struct em_gen_walk, the slice of user/permute.c's
 *   cyclic-group walk it sends; a run takes the next index (and round) of its CPU's walk and
 *   maps it to an address through the sorted intervals of the target set.
 * - list (ping, watch): user space writes up to EM_GEN_LIST_MAX probes (address, index, round)
 *   into the .bss list and runs the program that many times; each run takes the next one.
 * Either builds trace probes (include/echomap_trace.h) in the program echomap_gen_trace: the IP
 * TTL is the round, the ICMP checksum the unit's. A trace's walk is over units x TTLs: its element names
 * the unit (the payload's index) and the TTL (the round), the unit / flows the target.
 */
#ifndef ECHOMAP_GEN_H
#define ECHOMAP_GEN_H

#include <linux/types.h>

#include "echomap_frame.h"
#include "echomap_trace.h"

#define EM_GEN_LIST_MAX 64 /* probes per list run: PROBE_BATCH of user/probe_tx.h */
/*
 * Group elements above n a run may skip before it gives up (XDP_DROP, the walk moves on in the
 * next run): a bound for the verifier, not a limit, since the state persists across runs.
 */
#define EM_GEN_MAX_SKIP 16
/* Binary search steps of index -> interval: enough for 2^32 intervals. */
#define EM_GEN_SEARCH_STEPS 32
/* Metadata of a run entered through the matcher: its gen_marker (see bpf/echomap.bpf.c). */
#define EM_GEN_META_LEN 8
/*
 * Bytes before a trace probe's frame, which the program cuts off the head: a peer that builds
 * its reply in the probe's page (a responder on a veth, as the XDP topology fixture does) grows
 * a time exceeded at the head by its IPv4 and ICMP headers, and would otherwise write over the
 * marker in front of the frame, which live frames do not restore: runs without it send nothing.
 */
#define EM_GEN_TRACE_ROOM 64
/* Bytes the program writes: Ethernet, IPv4, ICMP echo headers and struct em_payload. */
#define EM_GEN_HDR_LEN (EM_PROBE_HDR_LEN + EM_PAYLOAD_LEN)
/* A trace probe's checksum compensation: the 2 bytes after the payload struct. */
#define EM_OFF_FLOW_COMP EM_GEN_HDR_LEN
#define EM_GEN_TRACE_LEN (EM_GEN_HDR_LEN + 2)

/* The frame's constant bytes and the run's key, set in .rodata before load. */
struct em_gen_config {
	__u64 key[2];	 /* SipHash key: the matcher's */
	__u8 head[24];	 /* frame bytes 0..23 (Ethernet; IPv4 up to the protocol), id zero */
	__u32 saddr;	 /* network order: the first source address */
	__u32 n_saddr;	 /* sources from saddr on (em_probe_saddr()); 0 or 1: saddr alone */
	__u32 ip_sum;	 /* one's complement sum of the constant IPv4 header words, saddr not */
	__u32 n_iv;	 /* walk mode: intervals in the gen_iv map */
	__u32 list_mode; /* 1: list mode, 0: walk mode */
	__u32 flows;	 /* trace walk: flows per target */
	__u32 min_ttl;	 /* trace walk: the first TTL */
	__u32 n_ttl;	 /* trace walk: TTLs per unit */
	__u32 pad[2];
};
_Static_assert(sizeof(struct em_gen_config) == 80, "em_gen_config must be 80 bytes");

/* One interval of the target set: indices first, first + 1, ... are addresses lo .. hi. */
struct em_gen_iv {
	__u32 first; /* index of lo */
	__u32 lo;    /* host order */
	__u32 hi;    /* host order, inclusive: no index maps beyond it */
};

/*
 * A CPU's slice of the permutation, as in struct permutation: group elements cur, cur * g, ...
 * (mod p), left of them, element x standing for index x - 1 when x <= n. Each index is sent
 * `probes` times in a row (rounds 0..probes-1). One cache line per CPU: user space reads sent
 * and left through the mmap'd array while the program runs on other CPUs.
 */
struct em_gen_walk {
	__u64 p, g, cur, left, n;
	__u64 sent;	   /* frames built and returned as XDP_TX */
	__u32 index;	   /* index being sent */
	__u32 rounds_left; /* rounds of index still to send */
	__u32 probes;	   /* rounds per index */
	__u16 ip_id;
	__u16 pad;
};
_Static_assert(sizeof(struct em_gen_walk) == 64, "em_gen_walk must be one cache line");

/* A probe of list mode. */
struct em_gen_probe {
	__u32 daddr; /* network order */
	__u32 index;
	__u32 round;
	__u32 pad;
};

#endif /* ECHOMAP_GEN_H */
