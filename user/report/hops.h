/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A trace's results: one table entry per (target, flow, TTL), written as one line per hop reply
 * or as one reconstructed path per target and flow, in text, CSV or JSON lines.
 */
#ifndef ECHOMAP_REPORT_HOPS_H
#define ECHOMAP_REPORT_HOPS_H

#include <stdio.h>
#include <linux/types.h>

#include "config.h"

/* The first reply to one probe; status EM_ST_NONE: none came. */
struct hop {
	__u32 from; /* network order: the router, or the target itself */
	__u32 rtt_ns;
	__u8 status;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 reply_ttl; /* IPv4 TTL of the reply as it arrived */
};

/* The hops of one target and flow: hop[t - min_ttl] is TTL t's. */
struct hop_path {
	__u32 target; /* network order */
	__u32 flow;
	__u32 min_ttl, max_ttl;
	const struct hop *hop;
};

/* Where a path ends: at the first TTL the target answered or a router refused, if one did. */
enum path_end { PATH_REACHED, PATH_UNREACHABLE, PATH_INCOMPLETE };

/* The last TTL of p's path (its end, or the highest that answered; min_ttl - 1 if none). */
__u32 hops_path_last(const struct hop_path *p, enum path_end *end);

/* CSV header of the format, if any, then one line per hop reply of p, in TTL order. */
void hops_header(FILE *f, enum out_fmt fmt, bool paths);
void hops_write_replies(FILE *f, enum out_fmt fmt, const struct hop_path *p, bool flows);
/* p's path from min_ttl to its last TTL, a silent TTL as `*` (JSON: null). */
void hops_write_path(FILE *f, enum out_fmt fmt, const struct hop_path *p, bool flows);

#endif
