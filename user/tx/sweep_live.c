// SPDX-License-Identifier: GPL-2.0
/*
 * The walk is cut into one contiguous piece per thread (perm_split), so the threads send
 * disjoint parts whose union is the shard, in the shard's order within each part. A thread is
 * pinned to one CPU: the program finds its piece by the CPU it runs on, and veth picks the
 * peer's queue by the sending CPU, so threads on distinct CPUs fill distinct queues.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/generator.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "tx/queues.h"
#include "tx/rate.h"
#include "tx/sweep_live.h"

/*
 * Frames per batch: each batch ends with a flush to the driver, so larger ones cost less per
 * frame, but veth's peer ring holds 256, and a batch larger than the 64 frames one NAPI poll
 * takes can overflow it when the receiving side falls behind.
 */
#define BATCH 64
/*
 * Each BPF_PROG_RUN of an XDP program adds it to the kernel's XDP dispatcher and removes it
 * again, and each change waits for an RCU grace period: milliseconds of idle time per call
 * here, whatever the call's size. Unlimited, a thread therefore sends its whole slice in one
 * call (a stop interrupts it with a signal); rate-limited, the token bucket hands each call
 * what came due meanwhile, so the rate holds over the run in bursts of a grace period's worth.
 */
#define CHUNK_MAX 0x7fffffffULL
#define LIVE_NAP  200000ULL /* ns */
#define POLL_NS	 10000000L

struct live_thread {
	struct sweep_live *l;
	pthread_t thread;
	int cpu;
	__u32 queue;
	__u64 rate, start;
	int err;
	bool started;
	volatile bool done;
};

struct sweep_live {
	struct generator *gen;
	unsigned int n;
	__u32 probes;
	__u64 rate;
	struct live_thread t[TX_THREADS_MAX];
};

int sweep_live_open(struct sweep_live **lp, const struct sweep_plan *p, const struct gen_opts *go,
		    bool quiet_fail)
{
	struct tx_plan plan;
	struct sweep_live *l;
	int err;

	err = tx_plan(p->ifname, p->threads, &plan);
	if (err)
		return err;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = gen_open(&l->gen, go, quiet_fail);
	if (err) {
		free(l);
		return err;
	}
	l->n = plan.threads;
	l->probes = p->probes;
	l->rate = p->rate;
	for (unsigned int i = 0; i < l->n; i++) {
		l->t[i].l = l;
		l->t[i].cpu = plan.cpu[i];
		l->t[i].queue = i % plan.rx_queues;
	}
	pr_info("transmit engine: xdp-live on %s, %u thread(s) on %u tx queue(s)\n", p->ifname,
		l->n, plan.tx_queues);
	*lp = l;
	return 0;
}

static void *live_main(void *arg)
{
	struct live_thread *t = arg;
	volatile struct em_gen_walk *w = gen_walk(t->l->gen, t->cpu);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	t->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!t->err) {
		/* An upper bound of what is left: the rounds of this index, then whole indices. */
		__u64 left = w->rounds_left + w->left * t->l->probes, n;

		if (!left)
			break;
		n = rate_allowance(t->rate, t->start, w->sent, LIVE_NAP,
				   left < CHUNK_MAX ? left : CHUNK_MAX);
		if (!n)
			break;
		t->err = gen_run(t->l->gen, n, n < BATCH ? n : BATCH, t->queue);
		/* Interrupted between batches: what was sent is counted; the loop sees the stop. */
		if (t->err == -EINTR)
			t->err = 0;
	}
	t->done = true;
	return NULL;
}

__u64 sweep_live_sent(const struct sweep_live *l)
{
	__u64 sent = 0;

	for (unsigned int i = 0; i < l->n; i++)
		sent += gen_walk(l->gen, l->t[i].cpu)->sent;
	return sent;
}

static bool all_done(const struct sweep_live *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->t[i].started && !l->t[i].done)
			return false;
	return true;
}

int sweep_live_send(struct sweep_live *l, const struct permutation *pm, __u64 start,
		    void (*progress)(void *ctx, __u64 sent), void *ctx)
{
	struct timespec tick = { 0, POLL_NS };
	int err = 0;

	for (unsigned int i = 0; i < l->n; i++) {
		struct permutation piece;

		perm_split(pm, l->n, i, &piece);
		gen_set_walk(l->gen, l->t[i].cpu, &piece, l->probes);
	}
	for (unsigned int i = 0; i < l->n; i++) {
		struct live_thread *t = &l->t[i];

		/* Shares of the rate that add up to it exactly. */
		t->rate = l->rate * (i + 1) / l->n - l->rate * i / l->n;
		t->start = start;
		err = pthread_create(&t->thread, NULL, live_main, t);
		if (err) {
			err = -err;
			break;
		}
		t->started = true;
	}
	while (!all_done(l)) {
		nanosleep(&tick, NULL);
		progress(ctx, sweep_live_sent(l));
		/* A run stops between batches on a signal: pass the stop on to every thread. */
		for (unsigned int i = 0; stop_requested && i < l->n; i++)
			if (l->t[i].started && !l->t[i].done)
				pthread_kill(l->t[i].thread, SIGINT);
	}
	for (unsigned int i = 0; i < l->n; i++) {
		if (!l->t[i].started)
			continue;
		pthread_join(l->t[i].thread, NULL);
		l->t[i].started = false;
		if (!err && l->t[i].err)
			err = l->t[i].err;
	}
	return err;
}

void sweep_live_close(struct sweep_live *l)
{
	if (!l)
		return;
	gen_close(l->gen);
	free(l);
}
