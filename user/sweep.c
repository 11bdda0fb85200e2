// SPDX-License-Identifier: GPL-2.0
/* echomap sweep: one pass over a target set in permutation order, then one read of the results. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "output.h"
#include "permute.h"
#include "progress.h"
#include "session.h"

#define NSEC 1000000000ULL
#define TOKEN_NAP 100000ULL /* ns */
#define NAP_SLACK 50000ULL  /* ns */

/*
 * Token bucket: how many probes may leave by now, at most a batch; sleeps while fewer than
 * the tokens of one TOKEN_NAP are due. Waking once per nap instead of once per probe keeps a
 * core from spinning and sends fuller batches; the bucket counts from the start, so the rate
 * stays exact over the run.
 */
static __u64 rate_allowance(const struct config *cfg, __u64 start, __u64 sent)
{
	__u64 least = cfg->rate * TOKEN_NAP / NSEC;

	if (!cfg->rate)
		return PROBE_BATCH;
	least = least < 1 ? 1 : least > PROBE_BATCH ? PROBE_BATCH : least;
	while (!stop_requested) {
		__u64 now = now_ns();
		__u64 due = (unsigned __int128)(now - start) * cfg->rate / NSEC + 1;
		__u64 next = start + (unsigned __int128)(sent + least - 1) * NSEC / cfg->rate;

		if (due >= sent + least)
			return due - sent < PROBE_BATCH ? due - sent : PROBE_BATCH;
		/* nanosleep overshoots by tens of µs: wake that much early, spin the rest. */
		if (next > now + NAP_SLACK) {
			__u64 d = next - now - NAP_SLACK;
			struct timespec ts = { .tv_sec = d / NSEC, .tv_nsec = d % NSEC };

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

/* The reply count costs a map read per counter: only when the line is redrawn. */
static void show_progress(const struct session *s, struct progress *pg, __u64 sent, __u64 total)
{
	__u64 c[EM_CNT_MAX], now = now_ns();

	if (!progress_due(pg, now))
		return;
	progress_update(pg, now, sent, total,
			matcher_stats(&s->m, c) ? 0 : c[EM_CNT_MATCHED] - c[EM_CNT_DUPLICATE]);
}

static int send_all(struct session *s, struct progress *pg, __u8 *probed, __u64 start)
{
	const struct config *cfg = s->cfg;
	struct permutation pm;
	__u64 idx, total, sent = 0, allowed = 0;
	int err;

	err = perm_init(&pm, s->ts.count, cfg->seed, cfg->shards, cfg->shard);
	if (err) {
		pr_warn("cannot set up the permutation: %s\n", strerror(-err));
		return EXIT_SYSTEM;
	}
	total = perm_shard_size_hint(&pm) * cfg->probes;
	while (!stop_requested && perm_next(&pm, &idx)) {
		__u32 daddr = htonl(targets_addr(&s->ts, idx));

		if (probed)
			probed[idx / 8] |= 1 << (idx % 8);
		for (__u32 round = 0; round < cfg->probes; round++) {
			if (!allowed) {
				/* Flush what is staged before waiting, so no probe waits for its batch. */
				if (cfg->rate && (err = probe_tx_flush(s->tx)))
					goto fail;
				allowed = rate_allowance(cfg, start, sent);
				if (!allowed)
					break;
				show_progress(s, pg, sent, total);
			}
			err = probe_tx_stage(s->tx, daddr, idx, round);
			if (err)
				goto fail;
			sent++;
			allowed--;
		}
	}
	err = probe_tx_flush(s->tx);
	if (!err)
		return 0;
fail:
	pr_warn("sending failed: %s\n", strerror(-err));
	return EXIT_SYSTEM;
}

static void wait_replies(struct session *s, struct progress *pg, __u64 total)
{
	__u64 end = now_ns() + (__u64)s->cfg->wait_ms * 1000000ULL, sent = probe_tx_sent(s->tx);
	struct timespec tick = { 0, 10000000 };

	while (!stop_requested && now_ns() < end) {
		nanosleep(&tick, NULL);
		show_progress(s, pg, sent, total);
	}
}

static int report(struct session *s, struct out_sink *out, const __u8 *probed, __u64 elapsed_ns)
{
	const struct config *cfg = s->cfg;
	__u64 alive = 0, c[EM_CNT_MAX] = { 0 }, sent = probe_tx_sent(s->tx);
	int err;

	for (__u64 i = 0; i < s->ts.count; i++) {
		const volatile struct em_result *slot = &s->m.results[i];
		struct host_result r = { .addr = htonl(targets_addr(&s->ts, i)) };

		if (probed && !(probed[i / 8] & (1 << (i % 8))))
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
	pr_warn("%llu targets, %llu alive (%.2f%%), %llu probes, %llu duplicates, %llu invalid, "
		"%.3f s, %.0f probes/s\n",
		(unsigned long long)s->ts.count, (unsigned long long)alive,
		s->ts.count ? 100.0 * alive / s->ts.count : 0.0, (unsigned long long)sent,
		(unsigned long long)c[EM_CNT_DUPLICATE], (unsigned long long)c[EM_CNT_INVALID],
		elapsed_ns / 1e9, elapsed_ns ? sent * 1e9 / elapsed_ns : 0.0);
	return s->unresolved ? EXIT_UNRESOLVED : EXIT_ALL_UP;
}

int sweep_run(const struct config *cfg)
{
	struct session s;
	struct out_sink out = { 0 };
	struct progress pg;
	__u8 *probed = NULL;
	__u64 start, send_ns;
	int rc;

	rc = session_open(&s, cfg, NULL, NULL);
	if (rc)
		return rc;
	/* An unwritable output is found before probing, not after. */
	if (out_open(&out, cfg->output, cfg->fmt)) {
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
	start = now_ns();
	progress_init(&pg, cfg->quiet, start);
	rc = send_all(&s, &pg, probed, start);
	if (rc) {
		out_abort(&out);
		goto out;
	}
	send_ns = now_ns() - start;
	wait_replies(&s, &pg, probe_tx_sent(s.tx));
	progress_done(&pg);
	pr_info("sent %llu probes in %.3f s (%.0f probes/s)\n",
		(unsigned long long)probe_tx_sent(s.tx), send_ns / 1e9,
		send_ns ? probe_tx_sent(s.tx) * 1e9 / send_ns : 0.0);
	rc = report(&s, &out, probed, send_ns);
out:
	free(probed);
	session_close(&s);
	return rc;
}
