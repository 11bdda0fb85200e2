/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sweep on the afxdp engine over several transmit queues: one thread per queue, each with its
 * own AF_XDP socket on its queue, pinned to its own CPU, sending its own piece of the walk.
 */
#ifndef ECHOMAP_TX_SWEEP_THREADS_H
#define ECHOMAP_TX_SWEEP_THREADS_H

#include <stdbool.h>
#include <linux/types.h>

#include "targets/permute.h"
#include "targets/targets.h"
#include "tx/probe_tx.h"
#include "tx/queues.h"

struct sweep_threads;

/*
 * Plans the threads (p->threads, queues, CPUs); *st stays NULL when one thread is all there is
 * to run, which then sends through first. The first thread sends through first, the others
 * open their own sockets with o on their queues. 0 or -errno after one line.
 */
int sweep_threads_open(struct sweep_threads **st, const struct sweep_plan *p,
		       const struct probe_tx_opts *o, struct probe_tx *first);
/* As sweep_live_send(): the walk pm, cut into one piece per thread. 0 or -errno. */
int sweep_threads_send(struct sweep_threads *st, const struct permutation *pm, __u64 start,
		       void (*progress)(void *ctx, __u64 sent), void *ctx);
__u64 sweep_threads_sent(const struct sweep_threads *st);
/* What sweep_walk() sends: each index next(it) yields, rounds round .. round + rounds - 1. */
struct walk {
	bool (*next)(void *it, __u64 *idx);
	void *it;
	__u32 round, rounds;
	__u64 rate, start; /* probes/s (0: unlimited), counted from start */
	/*
	 * Runs at every refill of the token bucket, when every probe staged so far has been sent
	 * and none of the index being sent, if any, and once at the end.
	 */
	void (*tick)(void *ctx, __u64 sent);
	void *ctx;
};

/* Walks the permutation it (a struct permutation). */
bool walk_permutation(void *it, __u64 *idx);

/*
 * Stages the probes of walk w into tx, flushing before each wait for the token bucket. Stops
 * early on a stop request. 0 or -errno.
 */
int sweep_walk(struct probe_tx *tx, const struct target_set *ts, const struct walk *w);
void sweep_threads_close(struct sweep_threads *st);

#endif
