/* SPDX-License-Identifier: GPL-2.0 */
/* The one-line progress display on a terminal's stderr. */
#ifndef ECHOMAP_REPORT_PROGRESS_H
#define ECHOMAP_REPORT_PROGRESS_H

#include <stdbool.h>
#include <linux/types.h>

struct progress {
	bool enabled;
	__u64 start_ns, last_ns, last_sent;
};

void progress_init(struct progress *p, bool quiet, __u64 start_ns);
/* Whether a redraw is due (enabled, and a second since the last one). */
bool progress_due(const struct progress *p, __u64 now);
/* Redraws the line; callers ask progress_due() first. */
void progress_update(struct progress *p, __u64 now, __u64 sent, __u64 total, __u64 replies);
void progress_done(struct progress *p);

#endif
