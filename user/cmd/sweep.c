// SPDX-License-Identifier: GPL-2.0
/* echomap sweep: one pass over a target set in permutation order, then one read of the results. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "kernel/netif.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/clickhouse.h"
#include "report/output.h"
#include "report/progress.h"
#include "session.h"
#include "targets/permute.h"
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
		      __u8 *probed, __u64 start)
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
	if (!err)
		return 0;
	pr_warn("sending failed: %s\n", strerror(-err));
	return EXIT_SYSTEM;
}

static bool in_shard(const __u8 *probed, __u64 i)
{
	return !probed || probed[i / 8] & (1 << (i % 8));
}

/* The shard's targets with no answer yet, in index order. */
struct unanswered {
	const struct session *s;
	const __u8 *probed;
	__u64 pos;
};

static bool next_unanswered(void *it, __u64 *idx)
{
	struct unanswered *u = it;

	while (u->pos < u->s->ts.count) {
		__u64 i = u->pos++;

		if (in_shard(u->probed, i) && u->s->m.results[i].status == EM_ST_NONE) {
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
		  __u64 resent, __u64 elapsed_ns)
{
	const struct config *cfg = s->cfg;
	__u64 alive = 0, c[EM_CNT_MAX] = { 0 };
	int err;

	for (__u64 i = 0; i < s->ts.count; i++) {
		const volatile struct em_result *slot = &s->m.results[i];
		struct host_result r = { .addr = htonl(targets_addr(&s->ts, i)) };

		if (!in_shard(probed, i))
			continue;
		r.status = slot->status;
		if (r.status == EM_ST_NONE && !cfg->all)
			continue;
		if (r.status == EM_ST_ECHOREPLY)
			alive++;
		r.name = targets_name(&s->ts, ntohl(r.addr));
		r.rtt_ns = slot->rtt_first_ns;
		r.ttl = slot->ttl;
		r.from = slot->from;
		r.replies = slot->replies;
		r.dups = slot->dups;
		r.icmp_type = slot->icmp_type;
		r.icmp_code = slot->icmp_code;
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
 * A probe our own interface dropped never reached the network, so its target's silence says
 * nothing: while the interface's drop counters (netif_drops) keep rising, the targets without
 * an answer are probed again, up to --resend passes, each in a round of its own. Drops that
 * remain are said, with what they may have cost. 0 or an exit code; *resent counts the probes.
 */
static int repair(struct session *s, struct progress *pg, const __u8 *probed, __u64 drops,
		  __u64 sent, __u64 *resent)
{
	const struct config *cfg = s->cfg;
	__u64 now, idx;
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

		if (netif_drops(s->nh.ifindex, &now) || now <= drops)
			return 0;
		progress_done(pg);
		if (pass == cfg->resend) {
			pr_warn("%s dropped %llu frames%s: up to as many hosts may be missing\n",
				s->nh.ifname, (unsigned long long)(now - drops),
				pass ? " in the last pass" : "");
			return 0;
		}
		while (next_unanswered(&u, &idx))
			n++;
		pr_warn("%s dropped %llu frames: probing the %llu targets without an answer again "
			"(pass %u of at most %u)\n",
			s->nh.ifname, (unsigned long long)(now - drops), (unsigned long long)n,
			pass + 1, cfg->resend);
		drops = now;
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

int sweep_run(const struct config *cfg)
{
	struct parallel par = { 0 };
	struct session s;
	struct out_sink out = { 0 };
	struct progress pg;
	__u8 *probed = NULL;
	__u64 start, send_ns, sent, drops, resent = 0;
	int rc;

	rc = session_open(&s, cfg, NULL, NULL);
	if (rc)
		return rc;
	rc = open_parallel(&s, &par);
	if (rc)
		goto out;
	/* An unwritable output is found before probing, not after. */
	if (ch_is_url(cfg->output) ? out_open_clickhouse(&out, cfg) :
				     out_open(&out, cfg->output, cfg->fmt)) {
		rc = EXIT_SYSTEM;
		goto out;
	}
	/* A shard probes part of the set: remember which part, to report exactly that part. */
	if (cfg->shards > 1) {
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
	start = mono_ns();
	progress_init(&pg, cfg->quiet, start);
	rc = send_shard(&s, &par, &pg, probed, start);
	if (rc) {
		out_abort(&out);
		goto out;
	}
	send_ns = mono_ns() - start;
	sent = sent_count(&s, &par);
	wait_replies(&s, &pg, sent);
	progress_done(&pg);
	pr_info("sent %llu probes in %.3f s (%.0f probes/s)\n", (unsigned long long)sent,
		send_ns / 1e9, send_ns ? sent * 1e9 / send_ns : 0.0);
	rc = repair(&s, &pg, probed, drops, sent, &resent);
	progress_done(&pg);
	if (rc) {
		out_abort(&out);
		goto out;
	}
	rc = report(&s, &out, probed, sent, resent, send_ns);
out:
	free(probed);
	sweep_live_close(par.live);
	sweep_threads_close(par.threads);
	session_close(&s);
	return rc;
}
