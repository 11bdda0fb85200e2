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

#include "session.h"
#include "targets/permute.h"

struct sweep_live;

/* 0 or -errno after one line (pr_info when quiet_fail: the caller falls back and says so). */
int sweep_live_open(struct sweep_live **l, const struct session *s, bool quiet_fail);
/*
 * Sends the walk pm (a shard), s->cfg->probes rounds per index, at s->cfg->rate from start;
 * progress(ctx, sent) is called every few milliseconds meanwhile. 0 or -errno.
 */
int sweep_live_send(struct sweep_live *l, const struct permutation *pm, __u64 start,
		    void (*progress)(void *ctx, __u64 sent), void *ctx);
/* Probes sent so far, over all threads. */
__u64 sweep_live_sent(const struct sweep_live *l);
void sweep_live_close(struct sweep_live *l);

#endif
