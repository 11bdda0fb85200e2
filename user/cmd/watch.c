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
 *
 * With --config the targets come in groups (conf/watch_file.h), each with its own rounds:
 * interval, probes and their spacing, timeout. One matcher serves them all: the program's
 * round window is left open and each series carries its group's timeout, which is what makes a
 * reply late (a round closes no sooner than a timeout after its last probe, so a reply after
 * the close is slower than the timeout). This loop runs every group's schedule, taking the
 * earliest probe or close due. The target set changes (SIGHUP, names that moved) only when no
 * group has a round open: the rounds in progress are cut short and closed a timeout after their
 * last probe, counting what was sent.
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
#include "conf/file_watch.h"
#include "conf/watch_file.h"
#include "kernel/netif.h"
#include "kernel/netif_events.h"
#include "lib/caps.h"
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

/* One group's schedule: the command line's targets, or a group of the --config file. */
struct group_run {
	const char *name;		/* NULL for the command line's */
	const struct prom_label *labels;
	unsigned int n_labels;
	__u64 every, timeout, spacing; /* ns; spacing 0: a target's probes spread over the window */
	__u64 window;			/* its probes are sent in [start, start + window] */
	__u32 probes;
	__u16 shape;	/* its probes' header, in the transmit engines' shapes */
	__u32 *sv;	/* its series, in order */
	__u64 *before;	/* before[m]: targets in sv[0..m) */
	__u32 n_sv;
	__u64 n;	/* its targets */
	__u32 round;
	__u64 start, sent_at, close_at;
	bool sending, held;
	struct permutation pm[GROUP_PROBES_MAX]; /* pass k over the targets: probe k of each */
	__u64 rank[GROUP_PROBES_MAX];		 /* the next target of pass k */
};

struct watch {
	const struct config *cfg; /* &run */
	struct config run;	  /* the command line's, with the file's targets */
	struct watch_file wf;	  /* --config, or empty */
	struct file_watch *fw;	  /* its file_sd files, or NULL */
	struct group_run *g;
	unsigned int n_groups;
	__u64 alive_until;
	struct session s;
	struct export_buckets eb;
	struct series_state *st; /* per series of s.ss */
	__u64 seed;		 /* one probe order for the whole run */
	__u64 rounds;
	__u64 invalid_before; /* invalid replies counted by matchers replaced on reload */
	__u64 drops_base, drops; /* the interface's drop counters at start, at the last close */
	struct reporter rep;
	struct metrics *metrics;
	struct refresher *refresher;
	__u64 names_gen; /* bumped when a reload replaces the name table: older answers are void */
	struct netif_events *routing; /* route changes, or NULL */
};

static void report_free(struct round_report *r)
{
	if (!r)
		return;
	free(r->st);
	free(r->res);
	free(r->from6);
	free(r);
}

static void *reporter_main(void *arg)
{
	struct reporter *rep = arg;
	struct round_report *r;
	int err = caps_limit_thread(0);

	if (err)
		pr_warn("cannot drop the capabilities of the reporter: %s\n", strerror(-err));
	/* Named, so that top -H and the benchmarks tell its CPU from the prober's. */
	pthread_setname_np(pthread_self(), "echomap-report");

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

/*
 * A reporter still busy with the last round loses the one before this, never this one. The
 * pages lose nothing by it (a report holds every series' counts so far; groups closing
 * together hand in two at once), a snapshot does.
 */
static void reporter_submit(struct reporter *rep, struct round_report *r)
{
	struct round_report *dropped;

	pthread_mutex_lock(&rep->lock);
	dropped = rep->pending;
	rep->pending = r;
	pthread_cond_broadcast(&rep->cond);
	pthread_mutex_unlock(&rep->lock);
	if (dropped && !rep->cfg->snapshot_dir) {
		report_free(dropped);
	} else if (dropped) {
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

/* The time a group's probes are spread over: what the timeout leaves, or what the rate needs. */
static __u64 send_window(const struct watch *w, const struct group_run *g)
{
	const struct config *cfg = w->cfg;
	__u64 total = g->n * g->probes, window = g->every - g->timeout;
	__u64 needed = cfg->rate ? (unsigned __int128)total * NSEC_PER_SEC / cfg->rate : 0;

	if (needed <= window)
		return window;
	pr_warn("%s%s%llu probes a round at --rate %llu take %.1f s: rounds last %.1f s, not "
		"%.1f s\n", g->name ? "group " : "", g->name ? g->name : "",
		(unsigned long long)total, (unsigned long long)cfg->rate, needed / 1e9,
		(needed + g->timeout) / 1e9, g->every / 1e9);
	return needed;
}

/*
 * Probe k of the round to the target of rank r (in the permutation, which is the same every
 * round, so each target is probed at the same point of every round) is due at
 * start + k * spacing + r * (window - (probes - 1) * spacing) / n: with spacing 0 (window /
 * probes) the round's probes are spread evenly over the window; with a spacing, a target's
 * probes leave that far apart (burst mode). Each pass k is in order of rank, so the next probe
 * of the group is the earliest of the passes' next ones.
 */
static __u64 probe_due(const struct group_run *g, __u32 k)
{
	__u64 spacing = g->spacing ?: g->window / g->probes;
	__u64 spread = g->window - (g->probes - 1) * spacing;

	return g->start + k * spacing + (unsigned __int128)spread * g->rank[k] / g->n;
}

static int next_pass(const struct group_run *g, __u64 *due)
{
	int best = -1;

	for (__u32 k = 0; k < g->probes; k++) {
		__u64 t;

		if (g->rank[k] == g->n)
			continue;
		t = probe_due(g, k);
		if (best < 0 || t < *due) {
			best = k;
			*due = t;
		}
	}
	return best;
}

static void round_begin(struct watch *w, struct group_run *g, __u64 start)
{
	__u64 alive = start + ALIVE_ROUNDS * (g->window + g->timeout);

	g->start = start;
	g->sending = true;
	for (__u32 k = 0; k < g->probes; k++) {
		g->rank[k] = 0;
		/* n and the seed were accepted at the group's start: cannot fail. */
		perm_init(&g->pm[k], g->n, w->seed, 1, 0);
	}
	if (alive > w->alive_until) {
		w->alive_until = alive;
		if (w->metrics)
			metrics_alive_until(w->metrics, alive);
	}
}

/* Sends probe k to g's next target of that pass. */
static int send_probe(struct watch *w, struct group_run *g, __u32 k)
{
	struct session *s = &w->s;
	__u64 r, idx;
	__u32 lo = 0, hi = g->n_sv - 1, i;

	if (!perm_next(&g->pm[k], &r))
		return -EIO;
	g->rank[k]++;
	/* The series holding the group's r-th target: before[] is sorted. */
	while (lo < hi) {
		__u32 mid = lo + (hi - lo + 1) / 2;

		if (g->before[mid] <= r)
			lo = mid;
		else
			hi = mid - 1;
	}
	i = g->sv[lo];
	idx = s->ss.v[i].first + (r - g->before[lo]);
	w->st[i].sent_round++;
	if (s->ss.v[i].v6) {
		__u8 a6[16];

		/* file_shapes_ok6() let no group with IPv6 targets have a shape. */
		targets_addr6(&s->ts, idx, a6);
		return probe_tx_stage6(s->tx, a6, idx, g->round * g->probes + k);
	}
	return probe_tx_stage_shaped(s->tx, htonl(targets_addr(&s->ts, idx)), idx,
				     g->round * g->probes + k, g->shape);
}

/* Its last probe sent: the round closes at its end, and a timeout after that probe at the soonest. */
static int round_sent(struct watch *w, struct group_run *g)
{
	g->sending = false;
	g->sent_at = mono_ns();
	g->close_at = g->start + g->every > g->sent_at + g->timeout ? g->start + g->every :
								      g->sent_at + g->timeout;
	return probe_tx_flush(w->s.tx);
}

/* The target set is to change: the round sends no more and closes once its replies are due. */
static int round_cut(struct watch *w, struct group_run *g)
{
	int err = 0;

	if (g->held)
		return 0;
	if (g->sending)
		err = round_sent(w, g);
	if (g->sent_at + g->timeout < g->close_at)
		g->close_at = g->sent_at + g->timeout;
	return err;
}

static __u32 take32(volatile __u32 *p)
{
	return __atomic_exchange_n((__u32 *)p, 0, __ATOMIC_RELAXED);
}

static __u64 take64(volatile __u64 *p)
{
	return __atomic_exchange_n((__u64 *)p, 0, __ATOMIC_RELAXED);
}

/*
 * Takes one series' counts of the round out of the kernel's slot into its state; a lost probe
 * stands for probe_ns of outage.
 */
static void take_series(struct watch *w, __u32 i, __u64 probe_ns)
{
	volatile struct em_series *k = &w->s.m.series[i];
	struct series_state *st = &w->st[i];
	struct series_counts c = { .sent = st->sent_round };
	__u32 h[EM_HIST_BUCKETS];
	__u64 n = 0;

	st->sent_round = 0;
	c.replies = take32(&k->replies);
	c.late = take32(&k->late);
	c.dups = take32(&k->dups);
	c.errors = take32(&k->errors);
	c.sum_ns = take64(&k->sum_ns);
	c.sum_sq_us2 = take64(&k->sum_sq_us2);
	c.lost = c.sent > c.replies ? c.sent - c.replies : 0;
	c.outage_ns = c.lost * probe_ns;
	st->jitter_ns = k->jitter16_ns / 16.0;
	st->mdev_ns = NAN;
	if (c.replies) {
		double mean_us = c.sum_ns / 1e3 / c.replies;
		double var = (double)c.sum_sq_us2 / c.replies - mean_us * mean_us;

		st->mdev_ns = var > 0 ? sqrt(var) * 1e3 : 0;
	}
	for (int q = 0; q < N_QUANTILES; q++)
		st->q_ns[q] = NAN;
	/*
	 * Most buckets of most series are empty: look before taking, and only as far as the
	 * replies go (the buckets hold as many): 100,000 series of 401 buckets are 40 M words a
	 * round. hist_quantile() reads no further than the bucket that completes n.
	 */
	for (__u32 b = 0; n < c.replies && b < EM_HIST_BUCKETS; b++) {
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
	st->total.lost += c.lost;
	st->total.outage_ns += c.outage_ns;
	st->total.sum_ns += c.sum_ns;
	st->total.sum_sq_us2 += c.sum_sq_us2;
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
	if (w->cfg->snapshot_dir && w->s.ts.count6)
		r->from6 = malloc(w->s.ts.count * sizeof(*r->from6));
	if (!r->st || (w->cfg->snapshot_dir && !r->res) ||
	    (w->cfg->snapshot_dir && w->s.ts.count6 && !r->from6)) {
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
 * Closes g's round: from here on its replies are late. Nothing in time can still be on its way
 * (see the top of this file), and matcher_set_round() waits for a reply that the program
 * judged in time just before, so the slots are read and cleared without racing the program.
 */
static void close_round(struct watch *w, struct group_run *g)
{
	struct session *s = &w->s;
	__u64 c[EM_CNT_MAX] = { 0 }, drops;
	struct round_report *r;
	__u32 up = 0, g_up = 0;

	/* One group (the command line's): the program is told which payload rounds are open. */
	if (w->n_groups == 1)
		matcher_set_round(&s->m, (g->round + 1) * g->probes, g->probes);
	for (__u32 m = 0; m < g->n_sv; m++) {
		take_series(w, g->sv[m], g->every / g->probes);
		g_up += w->st[g->sv[m]].round.replies > 0;
	}
	for (__u32 i = 0; i < s->ss.n; i++)
		up += w->st[i].round.replies > 0;
	r = report_new(w);
	if (r && r->res)
		memcpy(r->res, (void *)s->m.results, s->ts.count * sizeof(*r->res));
	if (r && r->from6)
		memcpy(r->from6, (void *)s->m.from6, s->ts.count * sizeof(*r->from6));
	/* Duplicates are told apart within a round: the next one starts from clean slots. */
	for (__u32 m = 0; m < g->n_sv; m++) {
		const struct series *sr = &s->ss.v[g->sv[m]];

		memset((void *)(s->m.results + sr->first), 0, sr->n_targets * sizeof(*s->m.results));
	}
	w->rounds++;
	matcher_stats(&s->m, c);
	if (g->name)
		pr_info("group %s round %u: %u of %u series up, %.3f s\n", g->name, g->round, g_up,
			g->n_sv, (g->close_at - g->start) / 1e9);
	else
		pr_info("round %u: %u of %u series up, %.3f s\n", g->round, up, s->ss.n,
			(g->close_at - g->start) / 1e9);
	/* A probe or reply lost on our own interface is a loss the network did not cause: say so. */
	if (!netif_drops(s->nh.ifindex, &drops) && drops > w->drops) {
		pr_warn("round %u: %s dropped %llu frames: some of its losses may be ours\n",
			g->round, s->nh.ifname, (unsigned long long)(drops - w->drops));
		w->drops = drops;
	}
	if (!r) {
		pr_warn("out of memory: round %u not reported\n", g->round);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &r->closed);
	r->round = g->round;
	r->duration_s = (g->close_at - g->start) / 1e9;
	r->probes = g->probes;
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

static void groups_free(struct watch *w)
{
	for (unsigned int i = 0; w->g && i < w->n_groups; i++) {
		free(w->g[i].sv);
		free(w->g[i].before);
	}
	free(w->g);
	w->g = NULL;
	w->n_groups = 0;
}

/* What a group sets of its probes, against the template's: 0 where they agree. */
static struct probe_shape shape_of(const struct config *cfg, const struct watch_group *wg)
{
	struct probe_shape sh = {
		.saddr = wg->source,
		.payload_len = wg->size != cfg->size ? wg->size : 0,
		.ttl = wg->ttl != cfg->ttl ? wg->ttl : 0,
		.tos = wg->tos,
		.df = wg->df,
	};

	return sh;
}

static bool shape_is_template(const struct probe_shape *sh)
{
	return !sh->saddr && !sh->payload_len && !sh->ttl && !sh->tos && !sh->df;
}

/* Does a group of wf shape its probes (beyond a template of cfg's size and TTL)? */
static bool file_shapes(const struct config *cfg, const struct watch_file *wf)
{
	for (unsigned int i = 0; i < wf->n; i++) {
		struct probe_shape sh = shape_of(cfg, &wf->g[i]);

		if (!shape_is_template(&sh))
			return true;
	}
	return false;
}

/*
 * IPv6 probes are built from their template alone: a group with IPv6 targets cannot shape its
 * probes. False after one line naming it.
 */
static bool file_shapes_ok6(const struct config *cfg, const struct watch_file *wf)
{
	for (unsigned int i = 0; i < wf->n; i++) {
		struct probe_shape sh = shape_of(cfg, &wf->g[i]);

		if (wf->g[i].spec.set6.n && !shape_is_template(&sh)) {
			pr_warn("%s: group %s has IPv6 targets: its size, ttl, dscp, tos, df and "
				"source would apply to its IPv4 probes only\n",
				wf->path, wf->g[i].name);
			return false;
		}
	}
	return true;
}

/* Each group's shape into the engines, the same shape once: g[j].shape its number. */
static int groups_shape(struct watch *w, struct group_run *g)
{
	struct probe_shape *sh = calloc(w->wf.n + 1, sizeof(*sh));
	unsigned int n = 1;
	int err;

	if (!sh)
		return -ENOMEM;
	for (unsigned int j = 0; j < w->wf.n; j++) {
		struct probe_shape want = shape_of(w->cfg, &w->wf.g[j]);
		unsigned int i = 0;

		while (i < n && memcmp(&sh[i], &want, sizeof(want)))
			i++;
		if (i == n)
			sh[n++] = want;
		if (i > UINT16_MAX) {
			free(sh);
			return -E2BIG;
		}
		g[j].shape = i;
	}
	err = probe_tx_set_shapes(w->s.tx, sh, n);
	free(sh);
	return err;
}

/*
 * The groups' schedules over the session's series: which series are whose, their labels and,
 * with a file, their timeouts in the program's series slots and their probes' shapes. A group
 * whose targets all went (names that moved, a @file edited) sends nothing until they come back.
 */
static int groups_build(struct watch *w)
{
	const struct series_set *ss = &w->s.ss;
	unsigned int n = w->wf.n ?: 1;
	__u32 *of = calloc(ss->n ?: 1, sizeof(*of));
	struct group_run *g = calloc(n, sizeof(*g));
	int err = of && g ? 0 : -ENOMEM;

	groups_free(w);
	w->g = g;
	w->n_groups = g ? n : 0;
	for (__u32 i = 0; !err && w->wf.n && i < ss->n; i++)
		of[i] = watch_file_group_of(&w->wf, &w->s.ts, ss->v[i].first);
	for (unsigned int j = 0; !err && j < n; j++) {
		const struct watch_group *wg = w->wf.n ? &w->wf.g[j] : NULL;

		g[j].name = wg ? wg->name : NULL;
		g[j].labels = wg ? wg->labels : NULL;
		g[j].n_labels = wg ? wg->n_labels : 0;
		g[j].every = wg ? wg->interval_ms * NSEC_PER_MSEC : w->cfg->every_s * NSEC_PER_SEC;
		g[j].timeout = (wg ? wg->timeout_ms : w->cfg->timeout_ms) * NSEC_PER_MSEC;
		g[j].spacing = wg ? wg->spacing_ms * NSEC_PER_MSEC : 0;
		g[j].probes = wg ? wg->probes : w->cfg->probes;
		g[j].sv = malloc((ss->n ?: 1) * sizeof(*g[j].sv));
		g[j].before = malloc((ss->n ?: 1) * sizeof(*g[j].before));
		if (!g[j].sv || !g[j].before)
			err = -ENOMEM;
	}
	for (__u32 i = 0; !err && i < ss->n; i++) {
		struct group_run *gi = &g[of[i]];

		gi->sv[gi->n_sv] = i;
		gi->before[gi->n_sv++] = gi->n;
		gi->n += ss->v[i].n_targets;
		if (w->wf.n)
			w->s.m.series[i].timeout_us = w->wf.g[of[i]].timeout_ms * 1000;
		if (gi->n_labels)
			err = series_add_labels(&w->s.ss.v[i], gi->labels, gi->n_labels);
	}
	for (unsigned int j = 0; !err && j < n; j++)
		g[j].window = g[j].n ? send_window(w, &g[j]) : g[j].every - g[j].timeout;
	free(of);
	if (!err && w->wf.n)
		err = groups_shape(w, g);
	if (err)
		pr_warn("cannot set the groups up: %s\n", strerror(-err));
	return err;
}

/* Watches the file_sd files of w->wf, from a thread that takes none of our signals. */
static int watch_sd_files(struct watch *w)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = file_watch_start(&w->fw, w->wf.sd_paths, w->wf.n_sd_paths);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/*
 * A new target set, from SIGHUP (reload true) or from names that moved; or the old one if the
 * new cannot be had. Series that stay keep their totals (both sets are sorted by address), so
 * their counters do not restart; a series that goes away leaves /metrics.
 */
static int swap_targets(struct watch *w, bool reload)
{
	size_t nb = w->eb.n + 1, old_n = w->s.ss.n;
	/* The old series' addresses (their labels are freed with the old set). */
	struct series *old_key = malloc((old_n ?: 1) * sizeof(*old_key));
	struct series_state *old = w->st, *st;
	struct watch_file wf = { 0 };
	__u64 c[EM_CNT_MAX] = { 0 };
	struct config keep = w->run;
	int err;

	if (!old_key) {
		pr_warn("out of memory: target set not changed\n");
		return 0;
	}
	for (size_t i = 0; i < old_n; i++) {
		old_key[i] = w->s.ss.v[i];
		old_key[i].labels = NULL;
	}
	reporter_drain(&w->rep);
	matcher_stats(&w->s.m, c);
	err = reload && w->wf.n ? watch_file_load(&wf, w->wf.path) : 0;
	if (!err && wf.n && file_shapes(w->cfg, &wf) &&
	    (w->run.engine == ENGINE_XDP_LIVE || w->run.engine == ENGINE_AUTO)) {
		pr_warn("%s: groups that set size, ttl, dscp, tos, df or source need a restart: "
			"the xdp-live engine builds every probe from one template\n", wf.path);
		err = -EINVAL;
	}
	if (!err && wf.n && !file_shapes_ok6(w->cfg, &wf))
		err = -EINVAL;
	if (!err && wf.n) {
		for (unsigned int i = 0; i < wf.n; i++)
			w->run.any_source |= wf.g[i].source != 0;
		w->run.targets = wf.targets;
		w->run.n_targets = wf.n_targets;
		w->run.timeout_ms = 0;
		for (unsigned int i = 0; i < wf.n; i++)
			if (wf.g[i].timeout_ms > w->run.timeout_ms)
				w->run.timeout_ms = wf.g[i].timeout_ms;
	}
	if (!err)
		err = reload ? session_reload(&w->s) : session_rebuild(&w->s);
	if (err) {
		free(old_key);
		w->run = keep;
		watch_file_free(&wf);
		if (err == -EINTR)
			return err;
		if (reload)
			pr_warn("reload failed: still watching the %llu targets of before\n",
				(unsigned long long)w->s.ts.count);
		else
			pr_warn("names or routes moved but the target set cannot follow: still "
				"watching the %llu targets of before\n",
				(unsigned long long)w->s.ts.count);
		/* The old matcher and series stay: their schedules too. */
		return 0;
	}
	if (wf.n) {
		/* Nothing points into the old file now but the schedules, built again below. */
		groups_free(w);
		file_watch_stop(w->fw);
		w->fw = NULL;
		watch_file_free(&w->wf);
		w->wf = wf;
		/* Without it file_sd changes wait for a SIGHUP: said, not fatal. */
		watch_sd_files(w);
	}
	w->invalid_before += c[EM_CNT_INVALID];
	st = states_new(&w->s.ss, nb);
	if (!st) {
		/* The kernel side has moved on: without states we cannot follow. */
		free(old_key);
		pr_warn("out of memory after a reload\n");
		return -ENOMEM;
	}
	for (__u32 i = 0, j = 0; i < w->s.ss.n; i++) {
		while (j < old_n && series_cmp(&old_key[j], &w->s.ss.v[i]) < 0)
			j++;
		if (j < old_n && !series_cmp(&old_key[j], &w->s.ss.v[i])) {
			__u64 *b = st[i].buckets;

			st[i] = old[j];
			st[i].buckets = b;
			memcpy(b, old[j].buckets, nb * sizeof(__u64));
		}
	}
	free(old);
	free(old_key);
	w->st = st;
	err = groups_build(w);
	if (err)
		return err;
	if (w->n_groups == 1)
		matcher_set_round(&w->s.m, w->g[0].round * w->g[0].probes, w->g[0].probes);
	else
		matcher_set_round(&w->s.m, 0, UINT32_MAX);
	if (reload) {
		w->names_gen++;
		pr_notice("reloaded: %llu targets in %u series%s\n",
			  (unsigned long long)w->s.ts.count, w->s.ss.n,
			  w->s.unresolved ? ", some names did not resolve" : "");
	} else {
		pr_info("names or routes moved: %llu targets in %u series\n",
			(unsigned long long)w->s.ts.count, w->s.ss.n);
	}
	return 0;
}

/* The answers the refresher has, taken between rounds; true when the target set must follow. */
static bool take_names(struct watch *w)
{
	struct name_batch *b = refresher_take(w->refresher);

	if (b && b->gen == w->names_gen)
		names_apply(&w->s.names, b, mono_ns());
	name_batch_free(b);
	/* Still dirty after a failed swap: tried again at every round. */
	return w->s.names.dirty;
}

/* Checked at each round's close, looked up only after the routing tables changed. */
static bool routes_moved(struct watch *w)
{
	unsigned int change = w->routing ? netif_events_pending(w->routing) : 0;

	return change && session_routes_moved(&w->s, change);
}

/* Hands the refresher the names due before next_close, so that their answers are in by then. */
static void ask_names(struct watch *w, __u64 next_close)
{
	struct name_batch *b;

	if (refresher_idle(w->refresher) && (b = names_due(&w->s.names, next_close))) {
		b->gen = w->names_gen;
		refresher_submit(w->refresher, b);
	}
}

/*
 * Every group closed and held: the target set changes (SIGHUP, or names that moved), and every
 * group begins its next round now. Returns 0, or an enum em_exit code to stop with.
 */
static int change_targets(struct watch *w)
{
	bool reload = reload_requested;
	__u64 now, next = UINT64_MAX;
	int err;

	reload_requested = 0;
	err = swap_targets(w, reload);
	if (err == -EINTR)
		return EXIT_ALL_UP;
	if (err)
		return EXIT_SYSTEM;
	/* Resolving or loading a matcher may have taken a while: no burst to catch up. */
	now = mono_ns();
	for (unsigned int i = 0; i < w->n_groups; i++) {
		w->g[i].held = false;
		round_begin(w, &w->g[i], now);
		if (now + w->g[i].every < next)
			next = now + w->g[i].every;
	}
	ask_names(w, next);
	return 0;
}

/* The group whose probe or close is due first, and when; NULL when every group is held. */
static struct group_run *next_group(struct watch *w, __u64 *due, int *pass)
{
	struct group_run *best = NULL;

	for (unsigned int i = 0; i < w->n_groups; i++) {
		struct group_run *g = &w->g[i];
		__u64 t = g->close_at;
		int k = -1;

		if (g->held)
			continue;
		if (g->sending && (k = next_pass(g, &t)) < 0)
			t = mono_ns(); /* nothing (left) to send: the round is sent */
		if (!best || t < *due) {
			best = g;
			*due = t;
			*pass = k;
		}
	}
	return best;
}

static int watch_loop(struct watch *w)
{
	__u64 due = 0, now = mono_ns();
	struct group_run *g;
	bool change = false;
	int err, k = -1;

	if (w->n_groups == 1)
		matcher_set_round(&w->s.m, 0, w->g[0].probes);
	else
		matcher_set_round(&w->s.m, 0, UINT32_MAX);
	for (unsigned int i = 0; i < w->n_groups; i++)
		round_begin(w, &w->g[i], now);
	for (;;) {
		/* Several groups: a change is not put off to the longest round's end. */
		if (w->n_groups > 1 && reload_requested)
			change = true;
		for (unsigned int i = 0; change && i < w->n_groups; i++) {
			err = round_cut(w, &w->g[i]);
			if (err)
				goto send_failed;
		}
		g = next_group(w, &due, &k);
		if (!g) {
			err = change_targets(w);
			if (err)
				return err;
			change = false;
			continue;
		}
		/* Probes due this soon leave with the ones due now. */
		if (g->sending && k >= 0 && due > mono_ns() + TICK_NS) {
			/* Nothing waits in the batch while we sleep: stamped late, reads slow. */
			err = probe_tx_flush(w->s.tx);
			if (err)
				goto send_failed;
			if (sleep_until(due))
				return EXIT_ALL_UP;
		} else if ((!g->sending && sleep_until(due)) || stop_requested) {
			return EXIT_ALL_UP;
		}
		if (g->sending) {
			err = k >= 0 ? send_probe(w, g, k) : round_sent(w, g);
			if (err)
				goto send_failed;
			continue;
		}
		close_round(w, g);
		g->round++;
		change |= take_names(w) || reload_requested || routes_moved(w);
		if (change) {
			g->held = true;
			continue;
		}
		now = mono_ns();
		round_begin(w, g, g->close_at > now ? g->close_at : now);
		ask_names(w, g->start + g->every);
	}
send_failed:
	if (err == -EINTR)
		return EXIT_ALL_UP;
	pr_warn("sending failed: %s\n", strerror(-err));
	return EXIT_SYSTEM;
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

/* --config: the file's groups replace the command line's targets and round options. */
static int load_file(struct watch *w)
{
	int err = watch_file_load(&w->wf, w->run.config_file);
	unsigned int size, ttl;

	if (err)
		return err == -ENOMEM ? EXIT_SYSTEM : EXIT_USAGE;
	if (w->run.snapshot_dir && w->wf.n > 1) {
		pr_warn("--snapshot-dir takes whole rounds of every target: not with %u groups\n",
			w->wf.n);
		return EXIT_USAGE;
	}
	w->run.targets = w->wf.targets;
	w->run.n_targets = w->wf.n_targets;
	/* Every group the same size or TTL: the template's, and xdp-live can send it. */
	size = w->wf.g[0].size;
	ttl = w->wf.g[0].ttl;
	for (unsigned int i = 1; i < w->wf.n; i++) {
		size = w->wf.g[i].size == size ? size : 0;
		ttl = w->wf.g[i].ttl == ttl ? ttl : 0;
	}
	w->run.size = size ?: w->run.size;
	w->run.ttl = ttl ?: w->run.ttl;
	for (unsigned int i = 0; i < w->wf.n; i++)
		w->run.any_source |= w->wf.g[i].source != 0;
	if (!file_shapes_ok6(w->cfg, &w->wf))
		return EXIT_USAGE;
	if (file_shapes(w->cfg, &w->wf) && w->run.engine == ENGINE_XDP_LIVE) {
		pr_warn("%s: groups set size, ttl, dscp, tos, df or source: the xdp-live engine "
			"builds every probe from one template (use --engine afxdp or raw)\n",
			w->wf.path);
		return EXIT_USAGE;
	}
	if (file_shapes(w->cfg, &w->wf) && w->run.engine == ENGINE_AUTO)
		w->run.engine = ENGINE_AFXDP;
	/* The program's own timeout, which each series' replaces: the longest. */
	w->run.timeout_ms = 0;
	for (unsigned int i = 0; i < w->wf.n; i++)
		if (w->wf.g[i].timeout_ms > w->run.timeout_ms)
			w->run.timeout_ms = w->wf.g[i].timeout_ms;
	return 0;
}

static void say_groups(const struct watch *w)
{
	for (unsigned int i = 0; w->wf.n && i < w->n_groups; i++) {
		const struct group_run *g = &w->g[i];

		pr_notice("group %s: %llu targets in %u series, a round every %.3f s, %u probe(s)%s, "
			  "timeout %llu ms\n", g->name, (unsigned long long)g->n, g->n_sv,
			  g->every / 1e9, g->probes, g->spacing ? " in a burst" : "",
			  (unsigned long long)(g->timeout / NSEC_PER_MSEC));
	}
}

int watch_run(const struct config *cfg)
{
	struct watch w = { .run = *cfg, .seed = cfg->seed };
	int rc;

	w.cfg = &w.run;
	log_daemon_style();
	if (cfg->config_file && (rc = load_file(&w))) {
		watch_file_free(&w.wf);
		return rc;
	}
	if (export_buckets_init(&w.eb, cfg->buckets, w.run.timeout_ms / 1e3)) {
		watch_file_free(&w.wf);
		return EXIT_USAGE;
	}
	/* What can be refused without touching the interface is refused first. */
	if (cfg->snapshot_dir && snapshot_check(cfg->snapshot_dir)) {
		watch_file_free(&w.wf);
		return EXIT_SYSTEM;
	}
	/* perm_init would draw a new order for every round from seed 0. */
	if (!w.seed && getrandom(&w.seed, sizeof(w.seed), 0) != sizeof(w.seed))
		w.seed = mono_ns();
	w.seed |= !w.seed;
	rc = start_threads(&w);
	if (!rc && watch_sd_files(&w)) {
		reporter_stop(&w.rep);
		refresher_stop(w.refresher);
		metrics_stop(w.metrics);
		rc = EXIT_SYSTEM;
	}
	if (rc) {
		watch_file_free(&w.wf);
		return rc;
	}
	rc = session_open(&w.s, w.cfg, NULL, NULL);
	if (rc)
		goto out_threads;
	/* Without it the routes of the start stay: said, not fatal. */
	netif_events_open(&w.routing);
	if (netif_drops(w.s.nh.ifindex, &w.drops_base)) {
		pr_warn("cannot read the drop counters of %s\n", w.s.nh.ifname);
		rc = EXIT_SYSTEM;
		goto out_session;
	}
	w.drops = w.drops_base;
	w.st = states_new(&w.s.ss, w.eb.n + 1);
	if (!w.st || groups_build(&w)) {
		pr_warn("out of memory\n");
		rc = EXIT_SYSTEM;
		goto out_session;
	}
	if (w.wf.n)
		pr_notice("watching %llu targets in %u series on %s in %u group(s) of %s%s%s\n",
			  (unsigned long long)w.s.ts.count, w.s.ss.n, w.s.nh.ifname, w.wf.n,
			  w.wf.path, cfg->listen ? ", metrics on " : "",
			  cfg->listen ? cfg->listen : "");
	else
		pr_notice("watching %llu targets in %u series on %s: a round every %u s, %u "
			  "probe(s) per target, timeout %u ms%s%s\n",
			  (unsigned long long)w.s.ts.count, w.s.ss.n, w.s.nh.ifname, cfg->every_s,
			  cfg->probes, cfg->timeout_ms, cfg->listen ? ", metrics on " : "",
			  cfg->listen ? cfg->listen : "");
	say_groups(&w);
	/*
	 * Set up: what stays is what swapping a matcher in on reload takes (load it, CAP_BPF and
	 * CAP_PERFMON; attach it, CAP_NET_ADMIN; in libxdp's dispatcher, whose programs it opens
	 * by id, also CAP_SYS_ADMIN), and opening the sockets of routes that moved (CAP_NET_RAW).
	 */
	rc = caps_limit_thread(CAP_BIT(CAP_BPF) | CAP_BIT(CAP_PERFMON) | CAP_BIT(CAP_NET_ADMIN) |
			       CAP_BIT(CAP_NET_RAW) |
			       (matcher_shared(&w.s.m) ? CAP_BIT(CAP_SYS_ADMIN) : 0));
	if (rc) {
		pr_warn("cannot drop capabilities: %s\n", strerror(-rc));
		rc = EXIT_SYSTEM;
		goto out_session;
	}
	rc = watch_loop(&w);
	if (rc == EXIT_ALL_UP)
		pr_notice("stopping\n");
out_session:
	/* Stopped first: the reporter may be reading the sets the session frees. */
	reporter_stop(&w.rep);
	refresher_stop(w.refresher);
	netif_events_close(w.routing);
	session_close(&w.s);
	free(w.st);
	groups_free(&w);
	file_watch_stop(w.fw);
	watch_file_free(&w.wf);
	metrics_stop(w.metrics);
	return rc;
out_threads:
	reporter_stop(&w.rep);
	refresher_stop(w.refresher);
	metrics_stop(w.metrics);
	file_watch_stop(w.fw);
	watch_file_free(&w.wf);
	return rc;
}
