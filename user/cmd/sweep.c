// SPDX-License-Identifier: GPL-2.0
/*
 * echomap sweep: one pass over a target set in permutation order, then one read of the results;
 * or, streaming, each reply written as it arrives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cmd/commands.h"
#include "cmd/version.h"
#include "kernel/netif.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/clickhouse.h"
#include "report/metadata.h"
#include "report/output.h"
#include "report/progress.h"
#include "report/stream.h"
#include "session.h"
#include "targets/permute.h"
#include "targets/resume.h"
#include "tx/sweep_live.h"
#include "tx/sweep_threads.h"

/* The reply count costs a map read per counter: only when the line is redrawn. */
static void show_progress(const struct session *s, struct progress *pg, __u64 sent, __u64 total)
{
	__u64 c[EM_CNT_MAX], now = mono_ns();

	if (!progress_due(pg, now))
		return;
	progress_update(pg, now, sent, total,
			matcher_stats(&s->m, c) ? 0 : c[EM_CNT_MATCHED] - c[EM_CNT_DUPLICATE]);
}

struct shard_progress {
	struct session *s;
	struct progress *pg;
	__u64 total;
};

static void shard_progress(void *ctx, __u64 sent)
{
	struct shard_progress *lp = ctx;

	show_progress(lp->s, lp->pg, sent, lp->total);
}

/* --resume: checkpoints every second, each of a state older than the replies can take. */
#define RESUME_EVERY_NS (1000 * NSEC_PER_MSEC)
#define RESUME_HIST	32

/*
 * --resume: the walk through a wrapper that knows what is wholly sent. When next() is called,
 * every index it gave before has all its probes staged; at a tick, sent as well. Any checkpoint
 * may be the last before a kill -9, and must not skip a target whose reply had not yet been
 * written out, so each holds the walk as it was --wait ms + 1 s before (hist); the one written
 * after a clean end or an interrupt holds the walk exactly as it stopped.
 */
struct resumable {
	struct permutation pm;	      /* the walk */
	struct permutation committed; /* before the index being sent */
	__u64 taken, last_sent;	      /* indices given, probes the last tick counted */
	bool done, resumed;
	const char *path;
	struct resume_state st;
	struct shard_progress *lp;
	__u64 lag_ns, every_ns, next_capture, next_write;
	struct {
		struct permutation pm;
		__u64 at;
	} hist[RESUME_HIST];
	unsigned int n_hist;
};

static bool resume_next(void *it, __u64 *idx)
{
	struct resumable *rw = it;

	rw->committed = rw->pm;
	if (perm_next(&rw->pm, idx)) {
		rw->taken++;
		return true;
	}
	rw->done = true;
	return false;
}

static void resume_tick(void *ctx, __u64 sent)
{
	struct resumable *rw = ctx;
	__u64 now = mono_ns(), best = 0;
	int pick = -1;

	rw->last_sent = sent;
	shard_progress(rw->lp, sent);
	if (now >= rw->next_capture) {
		rw->hist[rw->n_hist % RESUME_HIST].pm = rw->committed;
		rw->hist[rw->n_hist++ % RESUME_HIST].at = now;
		rw->next_capture = now + rw->every_ns;
	}
	if (now < rw->next_write)
		return;
	rw->next_write = now + RESUME_EVERY_NS;
	for (int k = 0; k < RESUME_HIST && k < (int)rw->n_hist; k++) {
		if (rw->hist[k].at + rw->lag_ns <= now && rw->hist[k].at > best) {
			best = rw->hist[k].at;
			pick = k;
		}
	}
	if (pick < 0)
		return;
	rw->st.pm = rw->hist[pick].pm;
	resume_write(rw->path, &rw->st);
}

/* The walk as it stopped: the index being sent when a stop cut it is sent again. */
static void resume_stopped(struct resumable *rw, __u32 rounds)
{
	if (rw->done || rw->last_sent == rw->taken * rounds)
		rw->committed = rw->pm;
	rw->st.pm = rw->committed;
}

/* Sets up rw on the shard's walk pm, restored from the checkpoint when there is one. */
static int resume_begin(struct resumable *rw, struct permutation *pm, struct shard_progress *lp,
			const struct config *cfg, __u64 start)
{
	if (rw->resumed) {
		if (rw->st.pm.p != pm->p || rw->st.pm.g != pm->g) {
			pr_warn("%s does not match this sweep's walk\n", rw->path);
			return EXIT_USAGE;
		}
		*pm = rw->st.pm;
	}
	rw->pm = *pm;
	rw->committed = *pm;
	rw->lp = lp;
	rw->lag_ns = (cfg->wait_ms + 1000ULL) * NSEC_PER_MSEC;
	rw->every_ns = rw->lag_ns / (RESUME_HIST / 2);
	if (rw->every_ns < 250 * NSEC_PER_MSEC)
		rw->every_ns = 250 * NSEC_PER_MSEC;
	rw->hist[0].pm = *pm;
	rw->hist[0].at = start;
	rw->n_hist = 1;
	rw->next_capture = start + rw->every_ns;
	rw->next_write = start + RESUME_EVERY_NS;
	rw->st.pm = *pm;
	return resume_write(rw->path, &rw->st) ? EXIT_SYSTEM : 0;
}

/* The transmit threads of several queues, or the generator's (either or none). */
struct parallel {
	struct sweep_live *live;
	struct sweep_threads *threads;
};

/*
 * The shard's walk: through s->tx, or in pieces, one per thread, each sending its own (the
 * generator's threads in the kernel); the shard's indices are marked here, all at once.
 */
static int send_shard(struct session *s, const struct parallel *par, struct progress *pg,
		      __u8 *probed, __u64 start, struct resumable *rw)
{
	const struct config *cfg = s->cfg;
	struct shard_progress lp = { .s = s, .pg = pg };
	struct permutation pm, walk;
	struct walk w = {
		.next = walk_permutation,
		.it = &pm,
		.rounds = cfg->probes,
		.rate = cfg->rate,
		.start = start,
		.tick = shard_progress,
		.ctx = &lp,
	};
	__u64 idx;
	int err;

	err = perm_init(&pm, s->ts.count, cfg->seed, cfg->shards, cfg->shard);
	if (err) {
		pr_warn("cannot set up the permutation: %s\n", strerror(-err));
		return EXIT_SYSTEM;
	}
	if (rw) {
		err = resume_begin(rw, &pm, &lp, cfg, start);
		if (err)
			return err;
		w.next = resume_next;
		w.it = rw;
		w.tick = resume_tick;
		w.ctx = rw;
	}
	walk = pm;
	while (probed && perm_next(&walk, &idx))
		probed[idx / 8] |= 1 << (idx % 8);
	lp.total = perm_shard_size_hint(&pm) * cfg->probes;
	if (par->live)
		err = sweep_live_send(par->live, &pm, start, shard_progress, &lp);
	else if (par->threads)
		err = sweep_threads_send(par->threads, &pm, start, shard_progress, &lp);
	else
		err = sweep_walk(s->tx, &s->ts, &w);
	if (rw)
		resume_stopped(rw, cfg->probes);
	if (!err)
		return 0;
	pr_warn("sending failed: %s\n", strerror(-err));
	return EXIT_SYSTEM;
}

static bool in_shard(const __u8 *probed, __u64 i)
{
	return !probed || probed[i / 8] & (1 << (i % 8));
}

/*
 * The shard's targets with no answer yet, in index order. Streaming, an answer is a line: with
 * lost_only, just the targets whose reply the ring had no room for (EM_SS_LOST).
 */
struct unanswered {
	const struct session *s;
	bool lost_only;
	const __u8 *probed;
	__u64 pos;
};

static bool answered(const struct unanswered *u, __u64 i)
{
	if (!u->s->stream)
		return em_result_status(&u->s->m.results[i]) != EM_ST_NONE;
	if (u->lost_only)
		return matcher_stream_state(&u->s->m, i) != EM_SS_LOST;
	return matcher_has_line(&u->s->m, i);
}

static bool next_unanswered(void *it, __u64 *idx)
{
	struct unanswered *u = it;

	while (u->pos < u->s->ts.count) {
		__u64 i = u->pos++;

		if (in_shard(u->probed, i) && !answered(u, i)) {
			*idx = i;
			return true;
		}
	}
	return false;
}

static void count_sent(void *ctx, __u64 sent)
{
	*(__u64 *)ctx = sent;
}

static __u64 sent_count(const struct session *s, const struct parallel *par)
{
	if (par->live)
		return sweep_live_sent(par->live);
	return par->threads ? sweep_threads_sent(par->threads) : probe_tx_sent(s->tx);
}

static void wait_replies(struct session *s, struct progress *pg, __u64 sent)
{
	__u64 end = mono_ns() + (__u64)s->cfg->wait_ms * NSEC_PER_MSEC;
	struct timespec tick = { 0, 10000000 };

	while (!stop_requested && mono_ns() < end) {
		nanosleep(&tick, NULL);
		show_progress(s, pg, sent, sent);
	}
}

static int report(struct session *s, struct out_sink *out, const __u8 *probed, __u64 sent,
		  __u64 resent, __u64 elapsed_ns, __u64 *alive_out)
{
	const struct config *cfg = s->cfg;
	__u64 alive = 0, c[EM_CNT_MAX] = { 0 };
	int err;

	for (__u64 i = 0; i < s->ts.count; i++) {
		const volatile struct em_result *slot = &s->m.results[i];
		struct host_result r;

		if (!in_shard(probed, i))
			continue;
		if (targets_is6(&s->ts, i)) {
			__u8 a6[16];

			targets_addr6(&s->ts, i, a6);
			host_result_of_slot6(&r, a6, slot, &s->m.from6[i]);
			r.name = targets_name6(&s->ts, a6);
		} else {
			host_result_of_slot(&r, htonl(targets_addr(&s->ts, i)), slot);
			r.name = targets_name(&s->ts, ntohl(r.addr));
		}
		if (r.status == EM_ST_NONE && !cfg->all)
			continue;
		if (r.status == EM_ST_ECHOREPLY)
			alive++;
		out_result(out, &r);
	}
	if (stop_requested) {
		out_abort(out);
		pr_warn("interrupted after %llu probes: no results written\n",
			(unsigned long long)sent);
		return EXIT_SOME_DOWN;
	}
	err = out_commit(out);
	if (err)
		return EXIT_SYSTEM;
	*alive_out = alive;

	matcher_stats(&s->m, c);
	pr_warn("%llu targets, %llu alive (%.2f%%), %llu probes (%llu resent), %llu duplicates, "
		"%llu invalid, %.3f s, %.0f probes/s\n",
		(unsigned long long)s->ts.count, (unsigned long long)alive,
		s->ts.count ? 100.0 * alive / s->ts.count : 0.0,
		(unsigned long long)(sent + resent), (unsigned long long)resent,
		(unsigned long long)c[EM_CNT_DUPLICATE], (unsigned long long)c[EM_CNT_INVALID],
		elapsed_ns / 1e9, elapsed_ns ? sent * 1e9 / elapsed_ns : 0.0);
	return s->unresolved ? EXIT_UNRESOLVED : EXIT_ALL_UP;
}

/*
 * Streaming: the lines are out already; --all adds the silent targets, which only the end
 * knows. An interrupted sweep keeps what it found and says so; which of the silent targets
 * were probed is not known then, so none is listed.
 */
static int report_stream(struct session *s, struct out_sink *out, const struct stream_out *so,
			 const __u8 *probed, bool interrupted, __u64 sent, __u64 resent,
			 __u64 elapsed_ns)
{
	const struct config *cfg = s->cfg;
	__u64 c[EM_CNT_MAX] = { 0 }, unlisted = 0;

	/* A target the kernel saw answer without a line is not silent: it is counted apart. */
	for (__u64 i = 0; cfg->all && !interrupted && i < s->ts.count; i++) {
		struct host_result r = { 0 };

		if (!in_shard(probed, i) || matcher_has_line(&s->m, i))
			continue;
		if (matcher_stream_state(&s->m, i) == EM_SS_LOST) {
			unlisted++;
			continue;
		}
		if (targets_is6(&s->ts, i)) {
			r.v6 = true;
			targets_addr6(&s->ts, i, r.addr6);
			r.name = targets_name6(&s->ts, r.addr6);
		} else {
			r.addr = htonl(targets_addr(&s->ts, i));
			r.name = targets_name(&s->ts, ntohl(r.addr));
		}
		out_result(out, &r);
	}
	if (out_commit(out))
		return EXIT_SYSTEM;
	matcher_stats(&s->m, c);
	if (interrupted && cfg->all)
		pr_warn("interrupted: the targets that did not answer are not listed\n");
	if (c[EM_CNT_LOST])
		pr_warn("%llu replies found the ring buffer full%s\n",
			(unsigned long long)c[EM_CNT_LOST],
			interrupted ? ": their targets may have no line" :
			": their targets were probed again");
	if (unlisted)
		pr_warn("%llu targets answered but their every reply was lost: not listed as "
			"silent\n", (unsigned long long)unlisted);
	pr_warn("%llu targets, %llu alive (%.2f%%), %llu probes (%llu resent), %llu duplicates, "
		"%llu invalid, %llu lost, %.3f s, %.0f probes/s%s\n",
		(unsigned long long)s->ts.count, (unsigned long long)so->alive,
		100.0 * so->alive / s->ts.count, (unsigned long long)(sent + resent),
		(unsigned long long)resent, (unsigned long long)c[EM_CNT_DUPLICATE],
		(unsigned long long)c[EM_CNT_INVALID], (unsigned long long)c[EM_CNT_LOST],
		elapsed_ns / 1e9, elapsed_ns ? sent * 1e9 / elapsed_ns : 0.0,
		interrupted ? ", interrupted" : "");
	if (interrupted)
		return EXIT_SOME_DOWN;
	return s->unresolved ? EXIT_UNRESOLVED : EXIT_ALL_UP;
}

static int poll_events(void *ctx, int timeout_ms)
{
	return ring_buffer__poll(ctx, timeout_ms);
}

static const char *engine_name(const struct session *s, const struct parallel *par)
{
	static const char *const names[] = { "afxdp", "raw", "xdp-live", "auto" };

	return par->live ? "xdp-live" : names[s->txo.engine];
}

/* --metadata: after the run, whatever its end. */
static void write_metadata(const struct session *s, const struct parallel *par,
			   struct run_meta *m, __u64 drops)
{
	const struct config *cfg = s->cfg;
	__u64 c[EM_CNT_MAX] = { 0 }, now;

	if (!cfg->metadata)
		return;
	clock_gettime(CLOCK_REALTIME, &m->end);
	matcher_stats(&s->m, c);
	m->version = version_name();
	m->commit = version_commit();
	m->engine = engine_name(s, par);
	m->ifname = s->nh.ifname;
	m->blocklist = cfg->blocklist;
	m->allow_reserved = cfg->allow_reserved;
	m->stream = s->stream;
	m->seed = cfg->seed;
	m->shards = cfg->shards;
	m->shard = cfg->shard;
	m->probes_per_target = cfg->probes;
	m->ts = &s->ts;
	m->rate_asked = cfg->rate;
	m->replies = c[EM_CNT_MATCHED] - c[EM_CNT_DUPLICATE];
	m->dups = c[EM_CNT_DUPLICATE];
	m->invalid = c[EM_CNT_INVALID];
	m->lost = c[EM_CNT_LOST];
	if (!netif_drops(s->nh.ifindex, &now) && now > drops)
		m->drops = now - drops;
	metadata_write(cfg->metadata, m);
}

/* Streaming: the replies whose event found the ring buffer full. */
static __u64 lost_replies(const struct session *s)
{
	__u64 c[EM_CNT_MAX] = { 0 };

	return s->stream && !matcher_stats(&s->m, c) ? c[EM_CNT_LOST] : 0;
}

/*
 * A probe our own interface dropped never reached the network, so its target's silence says
 * nothing: while the interface's drop counters (netif_drops) keep rising, the targets without
 * an answer are probed again, up to --resend passes, each in a round of its own. Streaming, a
 * target whose reply found the ring buffer full has no line (EM_SS_LOST): those targets are
 * probed again as well, in the same passes. Drops that remain are said, with what they may
 * have cost. 0 or an exit code; *resent counts the probes.
 */
static int repair(struct session *s, struct progress *pg, const __u8 *probed, __u64 drops,
		  __u64 sent, __u64 *resent)
{
	const struct config *cfg = s->cfg;
	__u64 now, idx, lost = 0, lost_now;
	int err;

	for (__u32 pass = 0; !stop_requested; pass++) {
		struct unanswered u = { .s = s, .probed = probed };
		__u64 n = 0, walked = 0;
		struct walk w = {
			.next = next_unanswered,
			.it = &u,
			.rounds = 1,
			.rate = cfg->rate,
			.tick = count_sent,
			.ctx = &walked,
		};

		if (netif_drops(s->nh.ifindex, &now))
			return 0;
		lost_now = lost_replies(s);
		if (now <= drops && lost_now <= lost)
			return 0;
		progress_done(pg);
		if (pass == cfg->resend) {
			if (now > drops)
				pr_warn("%s dropped %llu frames%s: up to as many hosts may be "
					"missing\n", s->nh.ifname,
					(unsigned long long)(now - drops),
					pass ? " in the last pass" : "");
			return 0;
		}
		u.lost_only = now <= drops;
		while (next_unanswered(&u, &idx))
			n++;
		/* The replies lost were repeats: every target has its line. */
		if (u.lost_only && !n)
			return 0;
		if (now > drops)
			pr_warn("%s dropped %llu frames: probing the %llu targets without an "
				"answer again (pass %u of at most %u)\n",
				s->nh.ifname, (unsigned long long)(now - drops),
				(unsigned long long)n, pass + 1, cfg->resend);
		else
			pr_warn("%llu replies found the ring buffer full: probing their %llu "
				"targets again (pass %u of at most %u)\n",
				(unsigned long long)(lost_now - lost), (unsigned long long)n,
				pass + 1, cfg->resend);
		drops = now;
		lost = lost_now;
		/* xdp-live walked in the kernel: the unanswered go out through its list mode. */
		if (!s->tx && probe_tx_open(&s->tx, &s->txo))
			return EXIT_SYSTEM;
		u.pos = 0;
		w.round = cfg->probes + pass;
		w.start = mono_ns();
		err = sweep_walk(s->tx, &s->ts, &w);
		if (err) {
			pr_warn("sending failed: %s\n", strerror(-err));
			return EXIT_SYSTEM;
		}
		*resent += walked;
		wait_replies(s, pg, sent + *resent);
	}
	return 0;
}

/*
 * xdp-live (or auto) sweeps run the generator over the walk; auto falls back to afxdp where
 * it cannot run. afxdp sends from one socket per transmit queue. 0 or an exit code.
 */
static int open_parallel(struct session *s, struct parallel *par)
{
	const struct sweep_plan plan = { .ifname = s->nh.ifname, .threads = s->cfg->threads,
					 .ts = &s->ts, .probes = s->cfg->probes,
					 .rate = s->cfg->rate };
	int err;

	/* --resume follows one walk: one transmit thread, through s->tx. */
	if (s->cfg->resume) {
		if (!s->tx) {
			s->txo.engine = ENGINE_AFXDP;
			if (probe_tx_open(&s->tx, &s->txo))
				return EXIT_SYSTEM;
		}
		return 0;
	}
	if (!s->tx) {
		struct gen_opts go = { .ifname = s->nh.ifname, .ifindex = s->nh.ifindex,
				       .tmpl = s->txo.tmpl, .ts = &s->ts, .probes = s->cfg->probes,
				       .entry = &s->m, .marker = s->gen_marker };

		memcpy(go.key, s->txo.key, sizeof(go.key));
		err = sweep_live_open(&par->live, &plan, &go, s->txo.engine == ENGINE_AUTO);
		if (!err)
			return 0;
		if (s->txo.engine == ENGINE_XDP_LIVE)
			return EXIT_SYSTEM;
		pr_info("xdp-live unavailable on %s, using afxdp\n", s->nh.ifname);
		s->txo.engine = ENGINE_AFXDP;
		if (probe_tx_open(&s->tx, &s->txo))
			return EXIT_SYSTEM;
	}
	/* Several routes: one sender, which stages each probe on its route's engine. */
	if (s->txo.engine != ENGINE_AFXDP || s->rt.n_paths > 1)
		return 0;
	return sweep_threads_open(&par->threads, &plan, &s->txo, s->tx) ? EXIT_SYSTEM : 0;
}

/*
 * --resume FILE: the state of an earlier run of this sweep, or a fresh one. 0; -1 when that
 * sweep is complete (nothing to do); or an exit code after one line.
 */
static int resume_load(struct resumable *rw, struct config *cfg)
{
	int err = resume_read(rw->path, &rw->st);

	if (err == -ENOENT) {
		rw->st.shards = cfg->shards;
		rw->st.shard = cfg->shard;
		rw->st.probes = cfg->probes;
		return 0;
	}
	if (err)
		return EXIT_USAGE;
	if ((cfg->seed && cfg->seed != rw->st.seed) ||
	    rw->st.shards != cfg->shards || rw->st.shard != cfg->shard ||
	    rw->st.probes != cfg->probes) {
		pr_warn("%s is of a sweep with other --seed, --shards, --shard or -n\n", rw->path);
		return EXIT_USAGE;
	}
	if (rw->st.complete) {
		pr_warn("%s: that sweep is complete, nothing left to probe\n", rw->path);
		return -1;
	}
	cfg->seed = rw->st.seed;
	rw->resumed = true;
	return 0;
}

/* The resumed state is of this very target set. 0 or -EINVAL after one line. */
static int resume_matches(struct resumable *rw, const struct session *s)
{
	__u64 digest = targets_digest(&s->ts);

	if (rw->resumed && (rw->st.targets != s->ts.count || rw->st.digest != digest)) {
		pr_warn("%s is of a sweep of another target set\n", rw->path);
		return -EINVAL;
	}
	rw->st.targets = s->ts.count;
	rw->st.digest = digest;
	return 0;
}

int sweep_run(const struct config *given)
{
	struct config copy = *given;
	const struct config *cfg = &copy;
	struct parallel par = { 0 };
	struct session s;
	struct out_sink out = { 0 };
	struct stream_out so = { .out = &out, .repeats = cfg->repeats, .poll = poll_events };
	struct run_meta meta = { 0 };
	struct progress pg;
	__u8 *probed = NULL;
	__u64 start, send_ns, sent, drops, resent = 0;
	bool streaming = false, interrupted;
	struct resumable *rw = NULL;
	int rc;

	if (cfg->resume) {
		rw = calloc(1, sizeof(*rw));
		if (!rw) {
			pr_warn("out of memory\n");
			return EXIT_SYSTEM;
		}
		rw->path = cfg->resume;
		rc = resume_load(rw, &copy);
		if (rc) {
			free(rw);
			return rc < 0 ? EXIT_ALL_UP : rc;
		}
	}
	/* A seed drawn here, not in the permutation, so that the metadata can say it. */
	if (!copy.seed && copy.shards <= 1 &&
	    getrandom(&copy.seed, sizeof(copy.seed), 0) != sizeof(copy.seed)) {
		pr_warn("cannot get random bytes for the seed\n");
		free(rw);
		return EXIT_SYSTEM;
	}
	if (rw)
		rw->st.seed = copy.seed;
	rc = session_open(&s, cfg, stream_event, &so);
	if (rc) {
		free(rw);
		return rc;
	}
	so.ts = &s.ts;
	so.poll_ctx = s.m.events;
	if (rw && resume_matches(rw, &s)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Its table's address columns are IPv4's. */
	if (s.ts.count6 && ch_is_url(cfg->output)) {
		pr_warn("IPv6 targets given, but ClickHouse output takes IPv4 results only\n");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = open_parallel(&s, &par);
	if (rc)
		goto out;
	/* An unwritable output is found before probing, not after. */
	if (ch_is_url(cfg->output) ? out_open_clickhouse(&out, cfg) :
				     out_open(&out, cfg->output, cfg->fmt)) {
		rc = EXIT_SYSTEM;
		goto out;
	}
	/* A shard or a resumed piece probes part of the set: remember which part, to report it. */
	if (cfg->shards > 1 || rw) {
		probed = calloc(s.ts.count / 8 + 1, 1);
		if (!probed) {
			pr_warn("out of memory\n");
			out_abort(&out);
			rc = EXIT_SYSTEM;
			goto out;
		}
	}
	if (netif_drops(s.nh.ifindex, &drops)) {
		pr_warn("cannot read the drop counters of %s\n", s.nh.ifname);
		out_abort(&out);
		rc = EXIT_SYSTEM;
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &meta.start);
	start = mono_ns();
	progress_init(&pg, cfg->quiet, start);
	if (s.stream) {
		if (stream_start(&so)) {
			out_abort(&out);
			rc = EXIT_SYSTEM;
			goto out;
		}
		streaming = true;
	}
	rc = send_shard(&s, &par, &pg, probed, start, rw);
	if (rc) {
		out_abort(&out);
		goto out;
	}
	send_ns = mono_ns() - start;
	sent = sent_count(&s, &par);
	interrupted = stop_requested;
	if (interrupted && s.stream) {
		/* A first signal stops the sending, a second one the wait for what is in flight. */
		progress_done(&pg);
		pr_warn("interrupted after %llu probes: waiting %u ms for their replies\n",
			(unsigned long long)sent, cfg->wait_ms);
		stop_requested = 0;
	}
	progress_done(&pg);
	/* Said when the sending ends, before the wait: what comes after arrived meanwhile. */
	pr_info("sent %llu probes in %.3f s (%.0f probes/s)\n", (unsigned long long)sent,
		send_ns / 1e9, send_ns ? sent * 1e9 / send_ns : 0.0);
	wait_replies(&s, &pg, sent);
	progress_done(&pg);
	meta.probes = sent;
	meta.rate_achieved = send_ns ? sent * 1e9 / send_ns : 0.0;
	rc = interrupted ? 0 : repair(&s, &pg, probed, drops, sent, &resent);
	progress_done(&pg);
	meta.resent = resent;
	meta.probes += resent;
	meta.interrupted = interrupted || stop_requested;
	if (streaming) {
		stream_stop(&so);
		streaming = false;
	}
	if (rc) {
		out_abort(&out);
		goto out;
	}
	if (s.stream) {
		rc = report_stream(&s, &out, &so, probed, meta.interrupted, sent, resent, send_ns);
		meta.alive = so.alive;
	} else {
		rc = report(&s, &out, probed, sent, resent, send_ns, &meta.alive);
	}
	meta.written = out.results;
	meta.spilled = out.spilled;
	write_metadata(&s, &par, &meta, drops);
	/* The last checkpoint: exact, once what it covers is written out. */
	if (rw && (rc == EXIT_ALL_UP || rc == EXIT_UNRESOLVED || meta.interrupted)) {
		rw->st.complete = !meta.interrupted;
		if (resume_write(rw->path, &rw->st))
			rc = EXIT_SYSTEM;
	}
out:
	if (streaming)
		stream_stop(&so);
	free(probed);
	free(rw);
	sweep_live_close(par.live);
	sweep_threads_close(par.threads);
	session_close(&s);
	return rc;
}
