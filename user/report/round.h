/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a closed watch round hands to its readers (the Prometheus endpoint, the snapshot files):
 * the per-series state since start and of the round, and the round's per-target results.
 */
#ifndef ECHOMAP_REPORT_ROUND_H
#define ECHOMAP_REPORT_ROUND_H

#include <time.h>
#include <linux/types.h>

#include "echomap_abi.h"
#include "report/histogram.h"
#include "report/series.h"
#include "targets/targets.h"

#define N_QUANTILES 3
extern const double watch_quantiles[N_QUANTILES]; /* 0.5, 0.9, 0.99 */

struct series_counts {
	__u64 sent;    /* echo requests */
	__u64 replies; /* echo replies in time */
	__u64 late, dups, errors;
	__u64 lost;	  /* sent without an echo reply in time */
	__u64 outage_ns;  /* lost, each for its share of the round: interval / probes */
	__u64 sum_ns;	  /* of the RTTs of replies */
	__u64 sum_sq_us2; /* of their squares, in us^2 */
};

struct series_state {
	struct series_counts total; /* since start, kept across reloads */
	struct series_counts round; /* of the last round */
	double q_ns[N_QUANTILES];   /* the last round's RTT quantiles; NAN without a reply */
	double mdev_ns;		    /* the last round's RTT standard deviation; NAN without a reply */
	double jitter_ns;	    /* RFC 3550 interarrival jitter, running; 0 before two replies */
	__u8 ttl;		    /* of the latest echo reply, 0 before the first */
	__u32 sent_round;	    /* probes sent to it in its round in progress */
	__u64 *buckets;		    /* per exported bucket (not cumulative): eb->n + 1 */
};

struct round_report {
	__u32 round;		/* from 0 */
	struct timespec closed; /* CLOCK_REALTIME */
	double duration_s;	/* from its first probe to its close */
	__u32 probes;		/* per target */
	const char *ifname;
	const struct target_set *ts;
	const struct series_set *ss;
	const struct export_buckets *eb;
	struct series_state *st; /* ss->n, a copy taken at the close */
	struct em_result *res;	 /* ts->count slots of the round, or NULL without snapshots */
	struct em_addr6 *from6;	 /* with res and IPv6 targets: their reply sources; else NULL */
	__u64 invalid;		 /* replies that failed the cookie, since start */
	__u64 if_drops;		 /* frames the interface dropped (netif_drops), since start */
	__u64 rounds;		 /* rounds closed, since start */
	__u32 up;		 /* series with an echo reply in this round */
};

#endif
