/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe frames, zmap-style: a template written once per buffer, then a per-probe patch of
 * destination, IP id, ICMP id/seq, payload and both checksums.
 */
#ifndef ECHOMAP_TX_FRAME_H
#define ECHOMAP_TX_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "echomap_frame.h"

struct frame_tmpl {
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u32 saddr;   /* network order; with n_saddr > 1 the first source (-S) */
	__u32 n_saddr; /* sources from saddr on, one per target (em_probe_saddr()); 0 or 1: saddr */
	__u8 ttl;	   /* 0: each probe's TTL is its payload round (trace) */
	__u16 payload_len; /* ICMP data bytes, >= EM_PAYLOAD_LEN; the rest is zero padding */
	/*
	 * Paris-style flows (trace): the ICMP checksum is em_flow_csum(index) on every probe
	 * of one index, whatever its round and stamp, so that per-flow load balancers, which
	 * hash on it, send them all one way. The 2 bytes after the payload struct compensate:
	 * payload_len >= EM_PAYLOAD_LEN + 2.
	 */
	bool fixed_csum;
};

/*
 * What a probe may change of its template (watch --config groups): every field 0 leaves the
 * template's (a path's source address, its TTL and size; TOS 0, DF clear).
 */
struct probe_shape {
	__u32 saddr;	   /* network order */
	__u16 payload_len; /* at least the template's minimum; the buffer is zero that far */
	__u8 ttl;
	__u8 tos;
	bool df;
};

/*
 * Ethernet + IPv4 (daddr 0) + ICMP echo request + zeroed payload into buf; returns the frame
 * length, or 0 if cap is too short or payload_len is out of [EM_PAYLOAD_LEN, 65507].
 */
size_t frame_build_template(__u8 *buf, size_t cap, const struct frame_tmpl *t);
/*
 * Per probe, on a buffer built from the same t: source (of pl->index), daddr (network order),
 * IP id (host order), ICMP id/seq from pl->mac as the ABI says, the payload struct and both
 * checksums.
 */
void frame_patch(__u8 *frame, const struct frame_tmpl *t, __u32 daddr, __u16 ip_id,
		 const struct em_payload *pl);

/* The same without the Ethernet header, for the raw socket engine. */
size_t frame_build_ip(__u8 *buf, size_t cap, const struct frame_tmpl *t);
void frame_patch_ip(__u8 *pkt, const struct frame_tmpl *t, __u32 daddr, __u16 ip_id,
		    const struct em_payload *pl);

/*
 * frame_patch() and frame_patch_ip() with sh's fields over the template's (source, size, TTL,
 * TOS, DF) on a buffer built from t and zero for sh's size; they return the probe's length.
 */
size_t frame_patch_shaped(__u8 *frame, const struct frame_tmpl *t, const struct probe_shape *sh,
			  __u32 daddr, __u16 ip_id, const struct em_payload *pl);
size_t frame_patch_ip_shaped(__u8 *pkt, const struct frame_tmpl *t, const struct probe_shape *sh,
			     __u32 daddr, __u16 ip_id, const struct em_payload *pl);

/* RFC 1071 Internet checksum, in network order as stored. */
__u16 inet_csum(const void *data, size_t len);
/* Its sum before the fold, to add more words to (a pseudo-header). */
__u64 inet_sum(const void *data, size_t len);

#endif
