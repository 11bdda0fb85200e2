// SPDX-License-Identifier: GPL-2.0
/*
 * Each thread walks its piece (perm_split) and stages its probes into its own probe_tx, paced by
 * its share of the rate, with sweep_walk(), which the single-socket sweep runs too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/signals.h"
#include "tx/queues.h"
#include "tx/rate.h"
#include "tx/sweep_threads.h"

#define TOKEN_NAP 100000ULL /* ns: the token bucket's nap (rate.h) */
#define POLL_NS	  10000000L

struct tx_thread {
	const struct sweep_plan *p;
	struct probe_tx *tx;
	bool own_tx; /* opened here (thread 0 borrows the caller's) */
	pthread_t thread;
	int cpu;
	struct permutation pm;
	__u64 rate, start;
	__u64 sent; /* atomic: read by the progress line */
	int err;
	bool started;
	bool done; /* atomic */
};

struct sweep_threads {
	struct sweep_plan p;
	unsigned int n;
	struct tx_thread t[TX_THREADS_MAX];
};

int sweep_threads_open(struct sweep_threads **stp, const struct sweep_plan *p,
		       const struct probe_tx_opts *opts, struct probe_tx *first)
{
	struct probe_tx_opts o = *opts;
	struct sweep_threads *st;
	struct tx_plan plan;
	int err;

	*stp = NULL;
	err = tx_plan(p->ifname, p->threads, &plan);
	if (err || plan.threads < 2)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->p = *p;
	st->n = plan.threads;
	for (unsigned int i = 0; i < st->n; i++) {
		struct tx_thread *t = &st->t[i];

		t->p = &st->p;
		t->cpu = plan.cpu[i];
		if (!i) {
			t->tx = first;
			continue;
		}
		o.queue = i;
		err = probe_tx_open(&t->tx, &o);
		if (err) {
			sweep_threads_close(st);
			return err;
		}
		t->own_tx = true;
	}
	pr_info("%u transmit threads, one per queue of %s\n", st->n, p->ifname);
	*stp = st;
	return 0;
}

bool walk_permutation(void *it, __u64 *idx)
{
	return perm_next(it, idx);
}

int sweep_walk(struct probe_tx *tx, const struct target_set *ts, const struct walk *w)
{
	__u64 idx, sent = 0, allowed = 0;
	int err;

	while (!stop_requested && w->next(w->it, &idx)) {
		bool v6 = targets_is6(ts, idx);
		__u32 daddr = v6 ? 0 : htonl(targets_addr(ts, idx));
		__u8 daddr6[16];

		if (v6)
			targets_addr6(ts, idx, daddr6);

		for (__u32 round = w->round; round < w->round + w->rounds; round++) {
			if (!allowed) {
				/*
				 * Flush what is staged before waiting, so no probe waits for its
				 * batch and a tick sees every probe before the current index sent.
				 */
				err = probe_tx_flush(tx);
				if (err)
					return err;
				w->tick(w->ctx, sent);
				allowed = rate_allowance(w->rate, w->start, sent, TOKEN_NAP,
							 PROBE_BATCH);
				if (!allowed)
					return 0;
			}
			err = v6 ? probe_tx_stage6(tx, daddr6, idx, round) :
				   probe_tx_stage(tx, daddr, idx, round);
			if (err)
				return err;
			sent++;
			allowed--;
		}
	}
	err = probe_tx_flush(tx);
	w->tick(w->ctx, sent);
	return err;
}

static void store_sent(void *ctx, __u64 sent)
{
	struct tx_thread *t = ctx;

	__atomic_store_n(&t->sent, sent, __ATOMIC_RELAXED);
}

static void *tx_main(void *arg)
{
	struct tx_thread *t = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	t->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (!t->err) {
		struct walk w = { .next = walk_permutation, .it = &t->pm,
				  .rounds = t->p->probes, .rate = t->rate, .start = t->start,
				  .tick = store_sent, .ctx = t };

		t->err = sweep_walk(t->tx, t->p->ts, &w);
	}
	__atomic_store_n(&t->done, true, __ATOMIC_RELEASE);
	return NULL;
}

__u64 sweep_threads_sent(const struct sweep_threads *st)
{
	__u64 sent = 0;

	for (unsigned int i = 0; i < st->n; i++)
		sent += __atomic_load_n(&st->t[i].sent, __ATOMIC_RELAXED);
	return sent;
}

static bool all_done(const struct sweep_threads *st)
{
	for (unsigned int i = 0; i < st->n; i++)
		if (st->t[i].started && !__atomic_load_n(&st->t[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

int sweep_threads_send(struct sweep_threads *st, const struct permutation *pm, __u64 start,
		       void (*progress)(void *ctx, __u64 sent), void *ctx)
{
	struct timespec tick = { 0, POLL_NS };
	__u64 rate = st->p.rate;
	int err = 0;

	for (unsigned int i = 0; i < st->n; i++) {
		struct tx_thread *t = &st->t[i];

		perm_split(pm, st->n, i, &t->pm);
		/* Shares of the rate that add up to it exactly. */
		t->rate = rate * (i + 1) / st->n - rate * i / st->n;
		t->start = start;
		err = -pthread_create(&t->thread, NULL, tx_main, t);
		if (err)
			break;
		t->started = true;
	}
	while (!all_done(st)) {
		nanosleep(&tick, NULL);
		progress(ctx, sweep_threads_sent(st));
	}
	for (unsigned int i = 0; i < st->n; i++) {
		if (!st->t[i].started)
			continue;
		pthread_join(st->t[i].thread, NULL);
		st->t[i].started = false;
		if (!err && st->t[i].err)
			err = st->t[i].err;
	}
	return err;
}

void sweep_threads_close(struct sweep_threads *st)
{
	if (!st)
		return;
	for (unsigned int i = 0; i < st->n; i++)
		if (st->t[i].own_tx)
			probe_tx_close(st->t[i].tx);
	free(st);
}
