/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel RTT histogram (include/echomap_hist.h) seen from user space: quantiles of a
 * round, and the coarse buckets exported to Prometheus.
 */
#ifndef ECHOMAP_REPORT_HISTOGRAM_H
#define ECHOMAP_REPORT_HISTOGRAM_H

#include <stddef.h>
#include <linux/types.h>

#include "echomap_hist.h"

#define EXPORT_BOUNDS_MAX 64

/*
 * The bounds (le, in seconds) of the exported histogram, increasing, and for each in-kernel
 * bucket the exported bucket it is counted in: index n is +Inf.
 */
struct export_buckets {
	double le[EXPORT_BOUNDS_MAX];
	size_t n;
	__u8 of[EM_HIST_BUCKETS];
};

/*
 * "0.001,0.0025,..." (seconds, increasing, at most EXPORT_BOUNDS_MAX), or NULL for the default
 * 1-3 series from 100 us to 10 s, less its bounds at or above timeout_s (the longest timeout of
 * the run: they would equal +Inf). 0, or -EINVAL after one pr_warn line.
 */
int export_buckets_init(struct export_buckets *eb, const char *list, double timeout_s);

/*
 * The q-quantile (0 < q < 1) in ns of the values counted in h[EM_HIST_BUCKETS], interpolated
 * linearly inside its bucket as Prometheus' histogram_quantile() does; total is the sum of h
 * (> 0). A quantile in the overflow bucket is its lower bound.
 */
double hist_quantile(const __u32 *h, __u64 total, double q);

#endif
