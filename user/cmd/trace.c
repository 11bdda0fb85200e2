// SPDX-License-Identifier: GPL-2.0
/*
 * echomap trace: every (target, flow, TTL) in one random order, Yarrp-style. Nothing is kept per
 * probe: the payload's index names the (target, flow) pair, its round is the TTL (the frame's IP
 * TTL is set from it), and the matcher attributes each time exceeded, unreachable or echo reply
 * to them from the quoted or echoed payload, one ring buffer event per reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "echomap_trace.h"
#include "kernel/netif.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/hops.h"
#include "report/output.h"
#include "report/progress.h"
#include "session.h"
#include "targets/permute.h"
#include "tx/rate.h"
#include "tx/sweep_live.h"

#define TOKEN_NAP 100000ULL /* ns: the token bucket's nap (tx/rate.h) */
#define PAIRS_MAX (1ULL << 32) /* what one permutation walks */

struct trace {
	const struct config *cfg;
	struct session s;
	__u64 units; /* (target, flow) pairs: unit = target * flows + flow */
	__u32 n_ttl;
	struct hop *hops;  /* [unit * n_ttl + ttl - min_ttl] */
	__u8 *end_ttl;	   /* per unit: lowest TTL the target answered or a router refused; 0 */
	__u8 *probed;	   /* bit per (unit, TTL) pair sent: this shard's */
	__u64 replies, stray;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct trace *tr = ctx;
	const struct em_event *ev = data;
	const struct config *cfg = tr->cfg;
	struct hop *h;

	if (len < sizeof(*ev) || ev->index >= tr->units || ev->round < cfg->min_ttl ||
	    ev->round > cfg->max_ttl) {
		tr->stray++;
		return 0;
	}
	h = &tr->hops[(__u64)ev->index * tr->n_ttl + ev->round - cfg->min_ttl];
	/* A copy of a reply (the matcher says so), or a second reply to a resent probe. */
	if (ev->duplicate || h->status != EM_ST_NONE)
		return 0;
	h->from = ev->from;
	h->rtt_ns = ev->rtt_ns > 0xffffffffULL ? 0xffffffffU : ev->rtt_ns;
	h->status = ev->status;
	h->icmp_type = ev->icmp_type;
	h->icmp_code = ev->icmp_code;
	h->reply_ttl = ev->ttl;
	tr->replies++;
	if ((ev->status == EM_ST_ECHOREPLY || ev->status == EM_ST_UNREACH) &&
	    (!tr->end_ttl[ev->index] || ev->round < tr->end_ttl[ev->index]))
		tr->end_ttl[ev->index] = ev->round;
	return 0;
}

/* --stop-early: beyond the lowest TTL the target answered or a router refused. */
static bool skip(const struct trace *tr, __u64 unit, __u32 ttl)
{
	return tr->cfg->stop_early && tr->end_ttl[unit] && ttl > tr->end_ttl[unit];
}

static void show_progress(struct trace *tr, struct progress *pg, __u64 sent, __u64 total)
{
	__u64 now = mono_ns();

	if (progress_due(pg, now))
		progress_update(pg, now, sent, total, tr->replies);
}

/* Sends (unit, ttl) at the rate counted from start; flushes before each wait. 0 or -errno. */
static int send_one(struct trace *tr, __u64 unit, __u32 ttl, __u64 start, __u64 *sent,
		    __u64 *allowed)
{
	const struct config *cfg = tr->cfg;
	int err;

	if (!*allowed) {
		if (cfg->rate && (err = probe_tx_flush(tr->s.tx)))
			return err;
		ring_buffer__consume(tr->s.m.events);
		*allowed = rate_allowance(cfg->rate, start, *sent, TOKEN_NAP, PROBE_BATCH);
		if (!*allowed)
			return -EINTR;
	}
	err = probe_tx_stage(tr->s.tx, htonl(targets_addr(&tr->s.ts, unit / cfg->flows)), unit,
			     ttl);
	if (err)
		return err;
	(*sent)++;
	(*allowed)--;
	return 0;
}

/*
 * The shard's walk over (unit, TTL) pairs, at --rate; events are drained at every refill of the
 * token bucket, so that --stop-early learns of answers while it sends. The pairs sent are
 * marked in tr->probed. 0 or -errno.
 */
static int send_all(struct trace *tr, struct progress *pg, __u64 start, __u64 *sent,
		    __u64 *skipped)
{
	const struct config *cfg = tr->cfg;
	struct permutation pm;
	__u64 e, allowed = 0, total;
	int err;

	err = perm_init(&pm, tr->units * tr->n_ttl, cfg->seed, cfg->shards, cfg->shard);
	if (err)
		return err;
	total = perm_shard_size_hint(&pm);
	while (!stop_requested && perm_next(&pm, &e)) {
		__u64 unit = em_trace_unit(e, tr->n_ttl);
		__u32 ttl = em_trace_ttl(e, cfg->min_ttl, tr->n_ttl);

		if (skip(tr, unit, ttl)) {
			(*skipped)++;
			continue;
		}
		if (!allowed)
			show_progress(tr, pg, *sent, total);
		err = send_one(tr, unit, ttl, start, sent, &allowed);
		if (err)
			return err == -EINTR ? 0 : err;
		tr->probed[e / 8] |= 1 << (e % 8);
	}
	return probe_tx_flush(tr->s.tx);
}

struct live_progress {
	struct trace *tr;
	struct progress *pg;
	__u64 total;
};

/* While the generator sends: the events drained (the ring fills at these rates), progress. */
static void live_progress(void *ctx, __u64 sent)
{
	struct live_progress *lp = ctx;

	ring_buffer__consume(lp->tr->s.m.events);
	show_progress(lp->tr, lp->pg, sent, lp->total);
}

/*
 * xdp-live: the generator walks the shard's (unit, TTL) pairs in the kernel, building each
 * probe as tx/frame.c does (include/echomap_trace.h), at --rate. The pairs it walked are then
 * marked in tr->probed, as send_all() does while it sends. 0 or -errno.
 */
static int send_live(struct trace *tr, struct progress *pg, __u64 start, __u64 *sent)
{
	const struct config *cfg = tr->cfg;
	const struct sweep_plan plan = { .ifname = tr->s.nh.ifname, .threads = cfg->threads,
					 .ts = &tr->s.ts, .probes = 1, .rate = cfg->rate };
	struct gen_opts go = { .ifname = tr->s.nh.ifname, .ifindex = tr->s.nh.ifindex,
			       .tmpl = tr->s.txo.tmpl, .ts = &tr->s.ts, .probes = 1,
			       .flows = cfg->flows, .min_ttl = cfg->min_ttl, .n_ttl = tr->n_ttl,
			       .entry = &tr->s.m, .marker = tr->s.gen_marker };
	struct live_progress lp = { .tr = tr, .pg = pg };
	struct sweep_live *live = NULL;
	struct permutation pm;
	__u64 e;
	int err;

	memcpy(go.key, tr->s.txo.key, sizeof(go.key));
	err = perm_init(&pm, tr->units * tr->n_ttl, cfg->seed, cfg->shards, cfg->shard);
	if (err)
		return err;
	lp.total = perm_shard_size_hint(&pm);
	err = sweep_live_open(&live, &plan, &go, false);
	if (err)
		return err;
	err = sweep_live_send(live, &pm, start, live_progress, &lp);
	*sent = sweep_live_sent(live);
	sweep_live_close(live);
	while (!err && !stop_requested && perm_next(&pm, &e))
		tr->probed[e / 8] |= 1 << (e % 8);
	return err;
}

static void wait_replies(struct trace *tr, struct progress *pg, __u64 sent)
{
	__u64 end = mono_ns() + (__u64)tr->cfg->wait_ms * NSEC_PER_MSEC, now;

	while (!stop_requested && (now = mono_ns()) < end) {
		__u64 ms = (end - now) / NSEC_PER_MSEC + 1;

		ring_buffer__poll(tr->s.m.events, ms < 100 ? ms : 100);
		show_progress(tr, pg, sent, sent);
	}
	ring_buffer__consume(tr->s.m.events);
}

/*
 * A probe our own interface dropped never reached the network, so its silence says nothing:
 * while the interface's drop counters (netif_drops) keep rising, the pairs sent without an
 * answer are sent again, up to --resend passes, as sweep does. Drops that remain are said.
 * 0 or -errno; *resent counts the probes.
 */
static int repair(struct trace *tr, struct progress *pg, __u64 drops, __u64 *resent)
{
	const struct config *cfg = tr->cfg;
	__u64 now, n;
	int err;

	for (__u32 pass = 0; !stop_requested; pass++) {
		__u64 allowed = 0, sent = 0, start = mono_ns();

		if (netif_drops(tr->s.nh.ifindex, &now) || now <= drops)
			return 0;
		progress_done(pg);
		if (pass == cfg->resend) {
			pr_warn("%s dropped %llu frames%s: up to as many hops may be missing\n",
				tr->s.nh.ifname, (unsigned long long)(now - drops),
				pass ? " in the last pass" : "");
			return 0;
		}
		n = 0;
		for (__u64 e = 0; e < tr->units * tr->n_ttl; e++)
			n += tr->probed[e / 8] & (1 << (e % 8)) && tr->hops[e].status == EM_ST_NONE;
		pr_warn("%s dropped %llu frames: probing the %llu hops without an answer again "
			"(pass %u of at most %u)\n",
			tr->s.nh.ifname, (unsigned long long)(now - drops), (unsigned long long)n,
			pass + 1, cfg->resend);
		drops = now;
		/* xdp-live walked in the kernel: the silent go out through its list mode. */
		if (!tr->s.tx && (err = probe_tx_open(&tr->s.tx, &tr->s.txo)))
			return err;
		for (__u64 e = 0; e < tr->units * tr->n_ttl && !stop_requested; e++) {
			__u64 unit = em_trace_unit(e, tr->n_ttl);
			__u32 ttl = em_trace_ttl(e, cfg->min_ttl, tr->n_ttl);

			if (!(tr->probed[e / 8] & (1 << (e % 8))) ||
			    tr->hops[e].status != EM_ST_NONE || skip(tr, unit, ttl))
				continue;
			err = send_one(tr, unit, ttl, start, &sent, &allowed);
			if (err == -EINTR)
				break;
			if (err)
				return err;
		}
		err = probe_tx_flush(tr->s.tx);
		if (err)
			return err;
		*resent += sent;
		wait_replies(tr, pg, sent);
	}
	return 0;
}

/* Writes every unit's replies or path; returns how many paths reached their target. */
static __u64 write_results(struct trace *tr, FILE *f)
{
	const struct config *cfg = tr->cfg;
	__u64 reached = 0;

	hops_header(f, cfg->fmt, cfg->paths);
	for (__u64 unit = 0; unit < tr->units; unit++) {
		struct hop_path p = {
			.target = htonl(targets_addr(&tr->s.ts, unit / cfg->flows)),
			.flow = unit % cfg->flows,
			.min_ttl = cfg->min_ttl,
			.max_ttl = cfg->max_ttl,
			.hop = &tr->hops[unit * tr->n_ttl],
		};
		enum path_end end;

		hops_path_last(&p, &end);
		reached += end == PATH_REACHED;
		if (cfg->paths)
			hops_write_path(f, cfg->fmt, &p, cfg->flows > 1);
		else
			hops_write_replies(f, cfg->fmt, &p, cfg->flows > 1);
	}
	return reached;
}

static int report(struct trace *tr, struct out_sink *out, __u64 sent, __u64 resent,
		  __u64 skipped, __u64 elapsed_ns)
{
	__u64 c[EM_CNT_MAX] = { 0 }, reached;

	if (stop_requested) {
		out_abort(out);
		pr_warn("interrupted after %llu probes: no results written\n",
			(unsigned long long)sent);
		return EXIT_SOME_DOWN;
	}
	reached = write_results(tr, out->f);
	if (out_commit(out))
		return EXIT_SYSTEM;
	matcher_stats(&tr->s.m, c);
	pr_warn("%llu targets, %llu probes (%llu resent, %llu skipped), %llu hop replies, %llu of "
		"%llu paths reached their target, %llu duplicates, %llu invalid, %.3f s, "
		"%.0f probes/s\n",
		(unsigned long long)tr->s.ts.count, (unsigned long long)(sent + resent),
		(unsigned long long)resent, (unsigned long long)skipped, (unsigned long long)tr->replies,
		(unsigned long long)reached, (unsigned long long)tr->units,
		(unsigned long long)c[EM_CNT_DUPLICATE],
		(unsigned long long)c[EM_CNT_INVALID], elapsed_ns / 1e9,
		elapsed_ns ? sent * 1e9 / elapsed_ns : 0.0);
	if (tr->stray)
		pr_warn("%llu replies named no probe of this trace\n", (unsigned long long)tr->stray);
	pr_info("the matcher saw %llu frames and passed %llu to the stack\n",
		(unsigned long long)c[EM_CNT_SEEN], (unsigned long long)c[EM_CNT_PASSED]);
	/* The matcher counts what it took; a full event ring loses the event, not the count. */
	if (c[EM_CNT_MATCHED] - c[EM_CNT_DUPLICATE] > tr->replies + tr->stray)
		pr_warn("%llu hop replies were lost in the event ring: lower --rate\n",
			(unsigned long long)(c[EM_CNT_MATCHED] - c[EM_CNT_DUPLICATE] - tr->replies -
					     tr->stray));
	return tr->s.unresolved ? EXIT_UNRESOLVED : EXIT_ALL_UP;
}

int trace_run(const struct config *cfg)
{
	struct trace tr = { .cfg = cfg };
	struct out_sink out = { 0 };
	struct progress pg;
	__u64 start, send_ns = 0, sent = 0, resent = 0, skipped = 0, drops;
	int rc, err;

	rc = session_open(&tr.s, cfg, on_event, &tr);
	if (rc)
		return rc;
	tr.units = tr.s.ts.count * cfg->flows;
	tr.n_ttl = cfg->max_ttl - cfg->min_ttl + 1;
	if (tr.units * tr.n_ttl > PAIRS_MAX) {
		pr_warn("%llu targets x %u flows x %u TTLs are too many for one run (at most %llu "
			"probes): split the range\n",
			(unsigned long long)tr.s.ts.count, cfg->flows, tr.n_ttl, PAIRS_MAX);
		rc = EXIT_USAGE;
		goto out;
	}
	tr.hops = calloc(tr.units * tr.n_ttl, sizeof(*tr.hops));
	tr.end_ttl = calloc(tr.units, 1);
	tr.probed = calloc(tr.units * tr.n_ttl / 8 + 1, 1);
	if (!tr.hops || !tr.end_ttl || !tr.probed) {
		pr_warn("out of memory for %llu hops\n", (unsigned long long)(tr.units * tr.n_ttl));
		rc = EXIT_SYSTEM;
		goto out;
	}
	if (netif_drops(tr.s.nh.ifindex, &drops)) {
		pr_warn("cannot read the drop counters of %s\n", tr.s.nh.ifname);
		rc = EXIT_SYSTEM;
		goto out;
	}
	/* An unwritable output is found before probing, not after. */
	if (out_open(&out, cfg->output, FMT_TEXT)) {
		rc = EXIT_SYSTEM;
		goto out;
	}
	out.fmt = cfg->fmt;
	start = mono_ns();
	progress_init(&pg, cfg->quiet, start);
	if (tr.s.tx)
		err = send_all(&tr, &pg, start, &sent, &skipped);
	else
		err = send_live(&tr, &pg, start, &sent);
	if (!err) {
		send_ns = mono_ns() - start;
		wait_replies(&tr, &pg, sent);
		pr_info("sent %llu probes in %.3f s (%.0f probes/s)\n", (unsigned long long)sent,
			send_ns / 1e9, send_ns ? sent * 1e9 / send_ns : 0.0);
		err = repair(&tr, &pg, drops, &resent);
	}
	progress_done(&pg);
	if (err) {
		pr_warn("sending failed: %s\n", strerror(-err));
		out_abort(&out);
		rc = EXIT_SYSTEM;
		goto out;
	}
	rc = report(&tr, &out, sent, resent, skipped, send_ns);
out:
	free(tr.hops);
	free(tr.end_ttl);
	free(tr.probed);
	session_close(&tr.s);
	return rc;
}
