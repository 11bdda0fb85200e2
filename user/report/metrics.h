/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP side of watch mode, on libmicrohttpd's own thread: /metrics in the Prometheus text
 * exposition format, / a short HTML status page, /-/healthy for supervisors. Pages are rendered
 * once per round (metrics_publish) and served as they are, so a scrape costs a copy.
 */
#ifndef ECHOMAP_REPORT_METRICS_H
#define ECHOMAP_REPORT_METRICS_H

#include <linux/types.h>

#include "config.h"
#include "report/round.h"

struct metrics;

/*
 * Listens on cfg->listen_addr and starts serving. Returns 0, or EXIT_SYSTEM after one pr_warn
 * line (address in use, not local, no permission). Call with signals blocked: the server's
 * thread inherits the mask, and signals belong to the prober's thread.
 */
int metrics_start(struct metrics **m, const struct config *cfg);
/* Renders the pages of a closed round and serves them from now on. */
void metrics_publish(struct metrics *m, const struct round_report *r);
/* /-/healthy answers 200 until CLOCK_MONOTONIC time until_ns, then 503. */
void metrics_alive_until(struct metrics *m, __u64 until_ns);
void metrics_stop(struct metrics *m);

#endif
