// SPDX-License-Identifier: GPL-2.0
/*
 * echomap watch: rounds until stopped. Round k sends every target its probes, spread evenly over
 * the first (every - timeout) seconds of the round, so that the last probe's timeout ends with
 * the round; then the round closes: the kernel is told that round k + 1 is in progress (replies
 * to round k are late from then on) and the round's counts are taken from the mmap'd maps. A
 * reporter thread turns them into the Prometheus pages and the snapshot file, so that neither
 * delays the next round's probes.
 *
 * Timeline of a round, and why nothing of round k can be counted in round k + 1: a reply is in
 * time only if its RTT is at most the timeout, and the last probe of round k leaves at least a
 * timeout before the round closes; what comes later is counted late by the XDP program.
 *
 * Names are asked for again when their answers expire (names.h, refresh.h) by a thread of its
 * own (refresher.h), not by this loop between rounds under a time budget: a server that does
 * not answer holds a query for resolv.conf's timeout × attempts (10 s by default), and a budget
 * short enough never to delay a round would abandon such queries, and with them the difference
 * between a timeout and a slow answer. The answers are taken here, between rounds, where the
 * target set may change as on SIGHUP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cmd/commands.h"
#include "kernel/netif.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "names/refresher.h"
#include "report/metrics.h"
#include "report/round.h"
#include "report/snapshot.h"
#include "session.h"
#include "targets/permute.h"

#define TICK_NS	     20000000ULL  /* probes due this soon leave with the ones due now */
#define NAP_NS	     100000000ULL /* longest sleep between looks at the signal flags */
#define ALIVE_ROUNDS 3		  /* /-/healthy fails after this many rounds unclosed */

const double watch_quantiles[N_QUANTILES] = { 0.5, 0.9, 0.99 };

/* Closed rounds travel to the reporter through a mailbox of one. */
struct reporter {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct round_report *pending;
	bool busy, quit;
	const struct config *cfg;
	struct metrics *metrics;
};

struct watch {
	const struct config *cfg;
	struct session s;
	struct export_buckets eb;
	struct series_state *st; /* per series of s.ss */
	__u64 seed;		 /* one probe order for the whole run */
	__u32 round;
	__u64 rounds;
	__u64 invalid_before; /* invalid replies counted by matchers replaced on reload */
	__u64 drops_base, drops; /* the interface's drop counters at start, at the last close */
	struct reporter rep;
	struct metrics *metrics;
	struct refresher *refresher;
	__u64 names_gen; /* bumped when a reload replaces the name table: older answers are void */
};

static void report_free(struct round_report *r)
{
	if (!r)
		return;
	free(r->st);
	free(r->res);
	free(r);
}

static void *reporter_main(void *arg)
{
	struct reporter *rep = arg;
	struct round_report *r;

	pthread_mutex_lock(&rep->lock);
	for (;;) {
		while (!rep->pending && !rep->quit)
			pthread_cond_wait(&rep->cond, &rep->lock);
		if (rep->quit)
			break;
		r = rep->pending;
		rep->pending = NULL;
		rep->busy = true;
		pthread_mutex_unlock(&rep->lock);

		if (rep->metrics)
			metrics_publish(rep->metrics, r);
		if (rep->cfg->snapshot_dir)
			snapshot_write(rep->cfg->snapshot_dir, rep->cfg->keep, r);
		report_free(r);

		pthread_mutex_lock(&rep->lock);
		rep->busy = false;
		pthread_cond_broadcast(&rep->cond);
	}
	pthread_mutex_unlock(&rep->lock);
	return NULL;
}

/* A reporter still busy with the last round loses the one before this, never this one. */
static void reporter_submit(struct reporter *rep, struct round_report *r)
{
	struct round_report *dropped;

	pthread_mutex_lock(&rep->lock);
	dropped = rep->pending;
	rep->pending = r;
	pthread_cond_broadcast(&rep->cond);
	pthread_mutex_unlock(&rep->lock);
	if (dropped) {
		pr_warn("reporting falls behind the rounds: round %u not reported\n",
			dropped->round);
		report_free(dropped);
	}
}

/* Waits until the reporter holds no round: it reads the target and series sets. */
static void reporter_drain(struct reporter *rep)
{
	pthread_mutex_lock(&rep->lock);
	while (rep->pending || rep->busy)
		pthread_cond_wait(&rep->cond, &rep->lock);
	pthread_mutex_unlock(&rep->lock);
}

static void reporter_stop(struct reporter *rep)
{
	pthread_mutex_lock(&rep->lock);
	rep->quit = true;
	pthread_cond_broadcast(&rep->cond);
	pthread_mutex_unlock(&rep->lock);
	pthread_join(rep->thread, NULL);
	report_free(rep->pending);
}

/* Sleeps until CLOCK_MONOTONIC t; -EINTR as soon as a stop is requested. */
static int sleep_until(__u64 t)
{
	for (;;) {
		__u64 now = mono_ns(), until;
		struct timespec ts;

		if (stop_requested)
			return -EINTR;
		if (now >= t)
			return 0;
		/* In naps: a signal that lands between the check and the sleep waits one nap. */
		until = t - now > NAP_NS ? now + NAP_NS : t;
		ts.tv_sec = until / NSEC_PER_SEC;
		ts.tv_nsec = until % NSEC_PER_SEC;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* The time a round's probes are spread over: what the timeout leaves, or what the rate needs. */
static __u64 send_window(const struct watch *w)
{
	const struct config *cfg = w->cfg;
	__u64 total = w->s.ts.count * cfg->probes;
	__u64 window = (cfg->every_s * 1000ULL - cfg->timeout_ms) * NSEC_PER_MSEC;
	__u64 needed = cfg->rate ? (unsigned __int128)total * NSEC_PER_SEC / cfg->rate : 0;

	if (needed <= window)
		return window;
	pr_warn("%llu probes a round at --rate %llu take %.1f s: rounds last %.1f s, not %u s\n",
		(unsigned long long)total, (unsigned long long)cfg->rate, needed / 1e9,
		(needed + cfg->timeout_ms * NSEC_PER_MSEC) / 1e9, cfg->every_s);
	return needed;
}

/*
 * Probe j of the round (pass j / n over the permutation, which is the same every round, so
 * each target is probed at the same point of every round) is due at start + j * window / total.
 * A wake-up costs far more than a probe (a context switch: up to 100 us on a VM): the probes due
 * within TICK_NS leave together, at most 20 ms early, so a round of 10,000 targets wakes about
 * 450 times instead of 10,000, and the rate over any 20 ms stays even.
 */
static int send_round(struct watch *w, __u64 start, __u64 window)
{
	struct session *s = &w->s;
	__u32 probes = w->cfg->probes;
	__u64 n = s->ts.count, total = n * probes, idx;
	struct permutation pm;
	int err;

	for (__u64 j = 0; j < total; j++) {
		__u64 due = start + (unsigned __int128)window * j / total;

		if (j % n == 0) {
			err = perm_init(&pm, n, w->seed, 1, 0);
			if (err)
				return err;
		}
		if (!perm_next(&pm, &idx))
			return -EIO;
		if (due > mono_ns() + TICK_NS) {
			/* Nothing waits in the batch while we sleep: stamped late, reads slow. */
			err = probe_tx_flush(s->tx);
			if (err)
				return err;
			err = sleep_until(due);
			if (err)
				return err;
		}
		err = probe_tx_stage(s->tx, htonl(targets_addr(&s->ts, idx)), idx,
				     w->round * probes + j / n);
		if (err)
			return err;
	}
	return probe_tx_flush(s->tx);
}

static __u32 take32(volatile __u32 *p)
{
	return __atomic_exchange_n((__u32 *)p, 0, __ATOMIC_RELAXED);
}

static __u64 take64(volatile __u64 *p)
{
	return __atomic_exchange_n((__u64 *)p, 0, __ATOMIC_RELAXED);
}

/* Takes one series' counts of the round out of the kernel's slot into its state. */
static void take_series(struct watch *w, __u32 i)
{
	volatile struct em_series *k = &w->s.m.series[i];
	struct series_state *st = &w->st[i];
	struct series_counts c = { .sent = w->cfg->probes * w->s.ss.v[i].n_targets };
	__u32 h[EM_HIST_BUCKETS];
	__u64 n = 0;

	c.replies = take32(&k->replies);
	c.late = take32(&k->late);
	c.dups = take32(&k->dups);
	c.errors = take32(&k->errors);
	c.sum_ns = take64(&k->sum_ns);
	for (int q = 0; q < N_QUANTILES; q++)
		st->q_ns[q] = NAN;
	/* Most buckets of most series are empty: look before taking. */
	for (__u32 b = 0; c.replies && b < EM_HIST_BUCKETS; b++) {
		h[b] = k->buckets[b] ? take32(&k->buckets[b]) : 0;
		st->buckets[w->eb.of[b]] += h[b];
		n += h[b];
	}
	if (n) {
		st->ttl = k->ttl;
		for (int q = 0; q < N_QUANTILES; q++)
			st->q_ns[q] = hist_quantile(h, n, watch_quantiles[q]);
	}
	st->round = c;
	st->total.sent += c.sent;
	st->total.replies += c.replies;
	st->total.late += c.late;
	st->total.dups += c.dups;
	st->total.errors += c.errors;
	st->total.sum_ns += c.sum_ns;
}

static struct round_report *report_new(const struct watch *w)
{
	size_t nb = w->eb.n + 1, n = w->s.ss.n;
	struct round_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	/* The states and their buckets in one block, so one free releases both. */
	r->st = malloc(n * (sizeof(*r->st) + nb * sizeof(__u64)));
	if (w->cfg->snapshot_dir)
		r->res = malloc(w->s.ts.count * sizeof(*r->res));
	if (!r->st || (w->cfg->snapshot_dir && !r->res)) {
		report_free(r);
		return NULL;
	}
	memcpy(r->st, w->st, n * sizeof(*r->st));
	for (size_t i = 0; i < n; i++) {
		r->st[i].buckets = (__u64 *)(r->st + n) + i * nb;
		memcpy(r->st[i].buckets, w->st[i].buckets, nb * sizeof(__u64));
	}
	return r;
}

/*
 * Closes round w->round: from here on its replies are late. Nothing in time can still be on its
 * way (see the top of this file), so the slots are read and cleared without racing the program.
 */
static void close_round(struct watch *w, __u64 start, __u64 end)
{
	struct session *s = &w->s;
	__u64 c[EM_CNT_MAX] = { 0 }, drops;
	struct round_report *r;
	__u32 up = 0;

	matcher_set_round(&s->m, (w->round + 1) * w->cfg->probes, w->cfg->probes);
	for (__u32 i = 0; i < s->ss.n; i++) {
		take_series(w, i);
		up += w->st[i].round.replies > 0;
	}
	r = report_new(w);
	if (r && r->res)
		memcpy(r->res, (void *)s->m.results, s->ts.count * sizeof(*r->res));
	/* Duplicates are told apart within a round: the next one starts from clean slots. */
	memset((void *)s->m.results, 0, s->ts.count * sizeof(*s->m.results));
	w->rounds++;
	matcher_stats(&s->m, c);
	pr_info("round %u: %u of %u series up, %.3f s\n", w->round, up, s->ss.n,
		(end - start) / 1e9);
	/* A probe or reply lost on our own interface is a loss the network did not cause: say so. */
	if (!netif_drops(s->nh.ifindex, &drops) && drops > w->drops) {
		pr_warn("round %u: %s dropped %llu frames: some of its losses may be ours\n",
			w->round, s->nh.ifname, (unsigned long long)(drops - w->drops));
		w->drops = drops;
	}
	if (!r) {
		pr_warn("out of memory: round %u not reported\n", w->round);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &r->closed);
	r->round = w->round;
	r->duration_s = (end - start) / 1e9;
	r->probes = w->cfg->probes;
	r->ifname = s->nh.ifname;
	r->ts = &s->ts;
	r->ss = &s->ss;
	r->eb = &w->eb;
	r->invalid = w->invalid_before + c[EM_CNT_INVALID];
	r->if_drops = w->drops - w->drops_base;
	r->rounds = w->rounds;
	r->up = up;
	reporter_submit(&w->rep, r);
}

static struct series_state *states_new(const struct series_set *ss, size_t nb)
{
	struct series_state *st = calloc(ss->n, sizeof(*st) + nb * sizeof(__u64));

	for (__u32 i = 0; st && i < ss->n; i++)
		st[i].buckets = (__u64 *)(st + ss->n) + i * nb;
	return st;
}

/*
 * A new target set, from SIGHUP (reload true) or from names that moved; or the old one if the
 * new cannot be had. Series that stay keep their totals (both sets are sorted by address), so
 * their counters do not restart; a series that goes away leaves /metrics.
 */
static int swap_targets(struct watch *w, bool reload)
{
	size_t nb = w->eb.n + 1, old_n = w->s.ss.n;
	__u32 *old_addr = malloc(old_n * sizeof(*old_addr));
	struct series_state *old = w->st, *st;
	__u64 c[EM_CNT_MAX] = { 0 };
	int err;

	if (!old_addr) {
		pr_warn("out of memory: target set not changed\n");
		return 0;
	}
	memcpy(old_addr, w->s.ss.addrs, old_n * sizeof(*old_addr));
	reporter_drain(&w->rep);
	matcher_stats(&w->s.m, c);
	err = reload ? session_reload(&w->s) : session_rebuild(&w->s);
	if (err) {
		free(old_addr);
		if (err == -EINTR)
			return err;
		if (reload)
			pr_warn("reload failed: still watching the %llu targets of before\n",
				(unsigned long long)w->s.ts.count);
		else
			pr_warn("names moved but the target set cannot follow: still watching the "
				"%llu targets of before\n",
				(unsigned long long)w->s.ts.count);
		return 0;
	}
	w->invalid_before += c[EM_CNT_INVALID];
	st = states_new(&w->s.ss, nb);
	if (!st) {
		/* The kernel side has moved on: without states we cannot follow. */
		free(old_addr);
		pr_warn("out of memory after a reload\n");
		return -ENOMEM;
	}
	for (__u32 i = 0, j = 0; i < w->s.ss.n; i++) {
		while (j < old_n && old_addr[j] < w->s.ss.addrs[i])
			j++;
		if (j < old_n && old_addr[j] == w->s.ss.addrs[i]) {
			__u64 *b = st[i].buckets;

			st[i] = old[j];
			st[i].buckets = b;
			memcpy(b, old[j].buckets, nb * sizeof(__u64));
		}
	}
	free(old);
	free(old_addr);
	w->st = st;
	matcher_set_round(&w->s.m, w->round * w->cfg->probes, w->cfg->probes);
	if (reload) {
		w->names_gen++;
		pr_notice("reloaded: %llu targets in %u series%s\n",
			  (unsigned long long)w->s.ts.count, w->s.ss.n,
			  w->s.unresolved ? ", some names did not resolve" : "");
	} else {
		pr_info("names moved: %llu targets in %u series\n",
			(unsigned long long)w->s.ts.count, w->s.ss.n);
	}
	return 0;
}

/*
 * Between rounds: takes the answers the refresher has, follows the names that moved, and hands
 * it the names due before the next round closes, so that their answers are in by then.
 */
static int follow_names(struct watch *w, __u64 next_close)
{
	struct name_batch *b = refresher_take(w->refresher);

	if (b && b->gen == w->names_gen)
		names_apply(&w->s.names, b, mono_ns());
	name_batch_free(b);
	/* Still dirty after a failed swap: tried again at every round. */
	if (w->s.names.dirty) {
		int err = swap_targets(w, false);

		if (err)
			return err;
	}
	if (refresher_idle(w->refresher) && (b = names_due(&w->s.names, next_close))) {
		b->gen = w->names_gen;
		refresher_submit(w->refresher, b);
	}
	return 0;
}

static int watch_loop(struct watch *w)
{
	const struct config *cfg = w->cfg;
	__u64 every = cfg->every_s * NSEC_PER_SEC, timeout = cfg->timeout_ms * NSEC_PER_MSEC;
	__u64 start = mono_ns(), window = send_window(w), end, count;
	int err;

	matcher_set_round(&w->s.m, 0, cfg->probes);
	for (;;) {
		if (w->metrics)
			metrics_alive_until(w->metrics, start + ALIVE_ROUNDS * (window + timeout));
		err = send_round(w, start, window);
		if (err == -EINTR)
			return EXIT_ALL_UP;
		if (err) {
			pr_warn("sending failed: %s\n", strerror(-err));
			return EXIT_SYSTEM;
		}
		end = start + every > mono_ns() + timeout ? start + every : mono_ns() + timeout;
		if (sleep_until(end))
			return EXIT_ALL_UP;
		close_round(w, start, end);
		w->round++;
		start = end;
		count = w->s.ts.count;
		if (reload_requested) {
			reload_requested = 0;
			err = swap_targets(w, true);
		} else {
			err = follow_names(w, start + every);
		}
		if (err == -EINTR)
			return EXIT_ALL_UP;
		if (err)
			return EXIT_SYSTEM;
		if (w->s.ts.count != count)
			window = send_window(w);
		/* Resolving or loading a matcher may have taken a while: no burst to catch up. */
		if (start < mono_ns())
			start = mono_ns();
	}
}

/* Threads other than this one must not take our signals: only this one looks at the flags. */
static int start_threads(struct watch *w)
{
	sigset_t all, old;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (w->cfg->listen)
		err = metrics_start(&w->metrics, w->cfg);
	w->rep.cfg = w->cfg;
	w->rep.metrics = w->metrics;
	pthread_mutex_init(&w->rep.lock, NULL);
	pthread_cond_init(&w->rep.cond, NULL);
	if (!err && pthread_create(&w->rep.thread, NULL, reporter_main, &w->rep)) {
		pr_warn("cannot start the reporter thread\n");
		metrics_stop(w->metrics);
		w->metrics = NULL;
		err = EXIT_SYSTEM;
	}
	if (!err && refresher_start(&w->refresher)) {
		reporter_stop(&w->rep);
		metrics_stop(w->metrics);
		w->metrics = NULL;
		err = EXIT_SYSTEM;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

int watch_run(const struct config *cfg)
{
	struct watch w = { .cfg = cfg, .seed = cfg->seed };
	int rc;

	log_daemon_style();
	if (export_buckets_init(&w.eb, cfg->buckets))
		return EXIT_USAGE;
	/* What can be refused without touching the interface is refused first. */
	if (cfg->snapshot_dir && snapshot_check(cfg->snapshot_dir))
		return EXIT_SYSTEM;
	/* perm_init would draw a new order for every round from seed 0. */
	if (!w.seed && getrandom(&w.seed, sizeof(w.seed), 0) != sizeof(w.seed))
		w.seed = mono_ns();
	w.seed |= !w.seed;
	rc = start_threads(&w);
	if (rc)
		return rc;
	rc = session_open(&w.s, cfg, NULL, NULL);
	if (rc)
		goto out_threads;
	if (netif_drops(w.s.nh.ifindex, &w.drops_base)) {
		pr_warn("cannot read the drop counters of %s\n", w.s.nh.ifname);
		rc = EXIT_SYSTEM;
		goto out_session;
	}
	w.drops = w.drops_base;
	w.st = states_new(&w.s.ss, w.eb.n + 1);
	if (!w.st) {
		pr_warn("out of memory\n");
		rc = EXIT_SYSTEM;
		goto out_session;
	}
	pr_notice("watching %llu targets in %u series on %s: a round every %u s, %u probe(s) per "
		  "target, timeout %u ms%s%s\n",
		  (unsigned long long)w.s.ts.count, w.s.ss.n, w.s.nh.ifname, cfg->every_s,
		  cfg->probes, cfg->timeout_ms, cfg->listen ? ", metrics on " : "",
		  cfg->listen ? cfg->listen : "");
	rc = watch_loop(&w);
	if (rc == EXIT_ALL_UP)
		pr_notice("stopping\n");
out_session:
	/* Stopped first: the reporter may be reading the sets the session frees. */
	reporter_stop(&w.rep);
	refresher_stop(w.refresher);
	session_close(&w.s);
	free(w.st);
	metrics_stop(w.metrics);
	return rc;
out_threads:
	reporter_stop(&w.rep);
	refresher_stop(w.refresher);
	metrics_stop(w.metrics);
	return rc;
}
