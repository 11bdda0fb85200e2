/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sweep's results as they arrive: each reply event becomes an output line at once, written
 * by one thread that polls the kernel's ring buffer and flushes at least every 100 ms, so a
 * pipe downstream sees lines while the sweep is still sending.
 */
#ifndef ECHOMAP_REPORT_STREAM_H
#define ECHOMAP_REPORT_STREAM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "report/output.h"
#include "targets/targets.h"

struct stream_out {
	struct out_sink *out;
	const struct target_set *ts;
	bool repeats;	/* also print repeats (zmap's repeat = 1), flagged */
	/* Counted by the thread; read after stream_stop(). */
	__u64 firsts;	/* targets' first echo replies and first errors */
	__u64 alive;	/* first echo replies */
	__u64 repeats_seen;
	/* The poller: consumes what is ready within timeout_ms, as ring_buffer__poll(). */
	int (*poll)(void *ctx, int timeout_ms);
	void *poll_ctx;
	pthread_t thread;
	volatile bool stop;
	bool closed;	/* the output's reader went away */
	__u64 last_flush_ns;
};

/* A ring_buffer_sample_fn: one struct em_event, ctx the stream_out. */
int stream_event(void *ctx, void *data, size_t size);
/* Starts the thread; 0 or -errno after one line. */
int stream_start(struct stream_out *so);
/* Consumes what the ring still holds, flushes and joins the thread. */
void stream_stop(struct stream_out *so);

#endif
