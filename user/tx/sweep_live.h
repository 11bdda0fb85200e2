/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sweep on the xdp-live engine: the generator walks the permutation in the kernel, one
 * thread per transmit queue, each pinned to its own CPU and sending its own slice of the walk,
 * paced in chunks of runs by the token bucket.
 */
#ifndef ECHOMAP_TX_SWEEP_LIVE_H
#define ECHOMAP_TX_SWEEP_LIVE_H

#include <stdbool.h>
#include <linux/types.h>

#include "kernel/generator.h"
#include "targets/permute.h"
#include "tx/queues.h"

struct sweep_live;

/*
 * The generator opened with go on p's threads (go->probes, go->ts as p's). 0 or -errno after
 * one line (pr_info when quiet_fail: the caller falls back and says so).
 */
int sweep_live_open(struct sweep_live **l, const struct sweep_plan *p, const struct gen_opts *go,
		    bool quiet_fail);
/*
 * Sends the walk pm (a shard), p->probes rounds per index, at p->rate from start;
 * progress(ctx, sent) is called every few milliseconds meanwhile. 0 or -errno.
 */
int sweep_live_send(struct sweep_live *l, const struct permutation *pm, __u64 start,
		    void (*progress)(void *ctx, __u64 sent), void *ctx);
/* Probes sent so far, over all threads. */
__u64 sweep_live_sent(const struct sweep_live *l);
void sweep_live_close(struct sweep_live *l);

#endif
