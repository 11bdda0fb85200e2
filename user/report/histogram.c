// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"
#include "report/histogram.h"

/*
 * Two bounds a decade, 1 and 3 (a factor of about 3 from one to the next), from 100 us to 10 s:
 * every bound costs a series per target, and a scrape of 100,000 targets is bound by the
 * samples a Prometheus must ingest. Finer answers come from the snapshots' quantiles.
 */
static const double default_bounds[] = {
	0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10,
};

/*
 * An in-kernel bucket goes where its midpoint goes: exported bounds need not be kernel bucket
 * edges, and a kernel bucket straddling one is at most 1/16 of its value wide, so the error at
 * an exported bound is at most half of that.
 */
static void map_buckets(struct export_buckets *eb)
{
	size_t j = 0;

	for (__u32 b = 0; b < EM_HIST_BUCKETS; b++) {
		double mid = b == EM_HIST_OVERFLOW ?
				     1e300 :
				     (em_hist_lower(b) + em_hist_lower(b + 1)) / 2e9;

		while (j < eb->n && mid > eb->le[j])
			j++;
		eb->of[b] = j;
	}
}

int export_buckets_init(struct export_buckets *eb, const char *list, double timeout_s)
{
	const char *p = list;
	char *end;

	eb->n = 0;
	if (!list) {
		/* A reply in time is no slower than the timeout: bounds from it on repeat +Inf. */
		for (size_t i = 0; i < sizeof(default_bounds) / sizeof(default_bounds[0]); i++)
			if (default_bounds[i] < timeout_s || !eb->n)
				eb->le[eb->n++] = default_bounds[i];
		map_buckets(eb);
		return 0;
	}
	while (*p) {
		double v = strtod(p, &end);

		if (end == p || (*end && *end != ',') || !(v > 0) || v > 3600 ||
		    (eb->n && v <= eb->le[eb->n - 1]) || eb->n == EXPORT_BOUNDS_MAX)
			goto bad;
		eb->le[eb->n++] = v;
		if (*end && !end[1])
			goto bad; /* a trailing comma */
		p = *end ? end + 1 : end;
	}
	if (!eb->n)
		goto bad;
	map_buckets(eb);
	return 0;
bad:
	pr_warn("bad value '%s' for --buckets: expected up to %d increasing times in seconds, "
		"comma-separated (e.g. 0.001,0.005,0.01)\n",
		list, EXPORT_BOUNDS_MAX);
	return -EINVAL;
}

double hist_quantile(const __u32 *h, __u64 total, double q)
{
	double rank = q * total;
	__u64 below = 0;
	__u32 b;

	for (b = 0; b < EM_HIST_OVERFLOW; b++) {
		if (h[b] && below + h[b] >= rank) {
			double lo = em_hist_lower(b), hi = em_hist_lower(b + 1);

			return lo + (hi - lo) * (rank - below) / h[b];
		}
		below += h[b];
	}
	return em_hist_lower(EM_HIST_OVERFLOW);
}
