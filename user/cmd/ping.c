// SPDX-License-Identifier: GPL-2.0
/* echomap ping: fping-like rounds to a few hosts, one line per reply from the event ring. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "kernel/netif.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/output.h"
#include "session.h"

struct ping_host {
	char addr[INET6_ADDRSTRLEN];
	const char *name;
	bool v6;
	__u8 addr6[16];
	__u32 xmt, rcv;
	double min_ms, max_ms, sum_ms, sumsq_ms;
};

struct ping_state {
	const struct config *cfg;
	struct ping_host *hosts;
	__u64 n_hosts;
	struct out_sink out;
	const volatile struct em_addr6 *from6; /* the matcher's IPv6 reply sources, or NULL */
};

static void print_reply(struct ping_state *ps, const struct ping_host *h, const struct em_event *ev,
			bool late)
{
	char from[INET6_ADDRSTRLEN];
	double ms = ev->rtt_ns / 1e6;
	FILE *f = ps->out.f;
	const char *note = ev->duplicate ? " (DUP!)" : late ? " (late)" : "";

	/* An IPv6 reply's source is in from6, written before its event. */
	if (h->v6 && ps->from6) {
		struct em_addr6 a6;

		memcpy(&a6, (const void *)&ps->from6[ev->index], sizeof(a6));
		inet_ntop(AF_INET6, &a6, from, sizeof(from));
	} else {
		inet_ntop(AF_INET, &ev->from, from, sizeof(from));
	}
	switch (ps->cfg->fmt) {
	case FMT_TEXT:
		if (ev->status == EM_ST_ECHOREPLY)
			fprintf(f, "%s (%s): seq=%u ttl=%u time=%.3f ms%s\n", h->name, h->addr,
				ev->round, ev->ttl, ms, note);
		else
			fprintf(f, "%s (%s): seq=%u %s code=%u from %s%s\n", h->name, h->addr,
				ev->round, status_name(ev->status), ev->icmp_code, from, note);
		break;
	case FMT_CSV:
		fprintf(f, "%s,%s,%u,%.3f,%u,%s,%s,%d\n", h->addr, h->name, ev->round, ms * 1000,
			ev->ttl, status_name(ev->status), from, ev->duplicate);
		break;
	case FMT_JSON:
		fprintf(f,
			"{\"saddr\":\"%s\",\"name\":\"%s\",\"seq\":%u,\"rtt_us\":%.3f,\"ttl\":%u,"
			"\"classification\":\"%s\",\"from\":\"%s\",\"repeat\":%s,\"late\":%s}\n",
			h->addr, h->name, ev->round, ms * 1000, ev->ttl, status_name(ev->status), from,
			ev->duplicate ? "true" : "false", late ? "true" : "false");
		break;
	}
	fflush(f);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct ping_state *ps = ctx;
	const struct em_event *ev = data;
	struct ping_host *h;
	double ms;
	bool late;

	if (len < sizeof(*ev) || ev->index >= ps->n_hosts)
		return 0;
	h = &ps->hosts[ev->index];
	ms = ev->rtt_ns / 1e6;
	late = ms > ps->cfg->timeout_ms;
	print_reply(ps, h, ev, late);
	if (ev->duplicate || late || ev->status != EM_ST_ECHOREPLY)
		return 0;
	if (!h->rcv || ms < h->min_ms)
		h->min_ms = ms;
	if (ms > h->max_ms)
		h->max_ms = ms;
	h->sum_ms += ms;
	h->sumsq_ms += ms * ms;
	h->rcv++;
	return 0;
}

/* Per-host summary, as fping -c prints it, on stderr. */
static int summarize(const struct ping_state *ps)
{
	int down = 0;

	for (__u64 i = 0; i < ps->n_hosts; i++) {
		const struct ping_host *h = &ps->hosts[i];
		unsigned int loss = h->xmt ? (h->xmt - h->rcv) * 100 / h->xmt : 0;

		fprintf(stderr, "%s (%s): xmt/rcv/%%loss = %u/%u/%u%%", h->name, h->addr, h->xmt,
			h->rcv, loss);
		if (h->rcv) {
			double avg = h->sum_ms / h->rcv;
			double var = h->sumsq_ms / h->rcv - avg * avg;

			fprintf(stderr, ", min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms", h->min_ms, avg,
				h->max_ms, var > 0 ? sqrt(var) : 0.0);
		} else {
			down++;
		}
		fputc('\n', stderr);
	}
	return down;
}

static int ping_loop(struct session *s, struct ping_state *ps)
{
	const struct config *cfg = ps->cfg;
	__u64 period = (__u64)cfg->period_ms * NSEC_PER_MSEC, next = mono_ns(), last = 0;
	__u32 round = 0;
	int err;

	while (!stop_requested) {
		__u64 now = mono_ns(), until;
		bool more = !cfg->count || round < cfg->count;

		if (more && now >= next) {
			for (__u64 i = 0; i < ps->n_hosts; i++) {
				const struct ping_host *h = &ps->hosts[i];

				err = h->v6 ? probe_tx_stage6(s->tx, h->addr6, i, round) :
					      probe_tx_stage(s->tx, htonl(targets_addr(&s->ts, i)),
							     i, round);
				if (err)
					goto fail;
				ps->hosts[i].xmt++;
			}
			err = probe_tx_flush(s->tx);
			if (err)
				goto fail;
			last = now;
			next += period;
			round++;
			continue;
		}
		until = more ? next : last + (__u64)cfg->timeout_ms * NSEC_PER_MSEC;
		if (!more && now >= until)
			break;
		err = ring_buffer__poll(s->m.events, (until - now) / 1000000 + 1);
		if (err < 0 && err != -EINTR)
			goto fail;
	}
	ring_buffer__consume(s->m.events);
	return 0;
fail:
	pr_warn("ping failed: %s\n", strerror(-err));
	return -1;
}

int ping_run(const struct config *cfg)
{
	struct ping_state ps = { .cfg = cfg };
	struct session s;
	__u64 drops, after;
	bool counted;
	int rc, down;

	rc = session_open(&s, cfg, on_event, &ps);
	if (rc)
		return rc;
	counted = !netif_drops(s.nh.ifindex, &drops);
	ps.n_hosts = s.ts.count;
	ps.hosts = calloc(ps.n_hosts, sizeof(*ps.hosts));
	if (!ps.hosts) {
		pr_warn("out of memory\n");
		rc = EXIT_SYSTEM;
		goto out;
	}
	ps.from6 = s.m.from6;
	for (__u64 i = 0; i < ps.n_hosts; i++) {
		struct ping_host *h = &ps.hosts[i];
		__u32 a, na;

		if (targets_is6(&s.ts, i)) {
			h->v6 = true;
			targets_addr6(&s.ts, i, h->addr6);
			inet_ntop(AF_INET6, h->addr6, h->addr, sizeof(h->addr));
			h->name = targets_name6(&s.ts, h->addr6) ?: h->addr;
			continue;
		}
		a = targets_addr(&s.ts, i);
		na = htonl(a);
		inet_ntop(AF_INET, &na, h->addr, sizeof(h->addr));
		h->name = targets_name(&s.ts, a) ?: h->addr;
	}
	if (out_open(&ps.out, cfg->output, FMT_TEXT)) {
		rc = EXIT_SYSTEM;
		goto out;
	}
	if (cfg->fmt == FMT_CSV)
		fputs("saddr,name,seq,rtt_us,ttl,classification,from,repeat\n", ps.out.f);
	if (ping_loop(&s, &ps)) {
		out_abort(&ps.out);
		rc = EXIT_SYSTEM;
		goto out;
	}
	if (out_commit(&ps.out)) {
		rc = EXIT_SYSTEM;
		goto out;
	}
	down = summarize(&ps);
	/* A probe or reply lost on our own interface is a loss the network did not cause. */
	if (counted && !netif_drops(s.nh.ifindex, &after) && after > drops)
		pr_warn("%s dropped %llu frames during the run: some of the losses may be ours\n",
			s.nh.ifname, (unsigned long long)(after - drops));
	rc = s.unresolved ? EXIT_UNRESOLVED : down ? EXIT_SOME_DOWN : EXIT_ALL_UP;
out:
	free(ps.hosts);
	session_close(&s);
	return rc;
}
