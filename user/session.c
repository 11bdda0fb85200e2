// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/netif_events.h"
#include "kernel/xdp_guard.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "session.h"
#include "tx/cookie.h"

/*
 * Slots are 32 bytes per target in kernel memory: 4 GiB at most. A sweep above it streams (a
 * bit per target), so only watch, ping and a slot sweep are bounded.
 */
#define MAX_TARGETS (1ULL << 27)
/* Stream mode's ring buffer: 512 K replies of slack behind the output thread. */
#define STREAM_RING_BYTES (1U << 24)

#define NEIGH_TIMEOUT_MS 1000

static struct target_opts target_opts_of(const struct config *cfg)
{
	struct target_opts topts = {
		.allow_reserved = cfg->allow_reserved,
		.blocklist_file = cfg->blocklist,
		.allowlist_file = cfg->allowlist,
		.all_addresses = cfg->all_addresses,
		/* watch (names/refresher.c) and trace follow names at their IPv4 addresses. */
		.family = cfg->cmd == CMD_SWEEP || cfg->cmd == CMD_PING ? cfg->family : AF_INET,
		.quiet = cfg->quiet,
		.stop = &stop_requested,
		.iid = cfg->iid,
	};

	topts.iid.seed = cfg->seed;
	return topts;
}

/*
 * Watch mode: targets_build, keeping in a name table what the set is built of, so that it can
 * be built again when names move. old: the table a reload replaces, or NULL.
 */
static int watch_targets(const struct config *cfg, const struct target_opts *o,
			 const struct name_table *old, struct name_table *nt, struct target_set *ts,
			 int *unresolved)
{
	struct target_spec sp;
	struct resolved *res;
	int err;

	memset(ts, 0, sizeof(*ts));
	*unresolved = 0;
	err = targets_parse(&sp, cfg->targets, cfg->n_targets, o);
	if (err)
		return err;
	res = calloc(sp.n_names ?: 1, sizeof(*res));
	err = res ? targets_resolve(&sp, o, res, unresolved) : -ENOMEM;
	if (err) {
		free(res);
		target_spec_free(&sp);
		return err;
	}
	err = names_init(nt, &sp, res, cfg->all_addresses, old, mono_ns()) ?:
	      targets_assemble(ts, &nt->spec, nt->res, o);
	if (err)
		names_free(nt);
	return err;
}

/* Watch mode: the series of the target set, and what the matcher needs to know of them. */
static int watch_series(struct session *s, const struct target_set *ts, struct series_set *ss,
			struct matcher_watch *w)
{
	int err = series_build(ss, ts, s->cfg->aggregate, s->cfg->aggregate6);

	if (err)
		return err == -E2BIG ? EXIT_USAGE : EXIT_SYSTEM;
	/* Instances at several sites, scraped by one Prometheus, are told apart by it. */
	if (s->cfg->vantage && series_add_label(ss, "vantage", s->cfg->vantage)) {
		series_free(ss);
		return EXIT_SYSTEM;
	}
	w->timeout_ns = (__u64)s->cfg->timeout_ms * NSEC_PER_MSEC;
	w->n_series = ss->n;
	w->aggregate = ss->agg_len >= 0;
	w->agg_mask = ss->agg_len > 0 ? ~0U << (32 - ss->agg_len) : 0;
	w->prefixes = ss->addrs;
	w->n_series4 = ss->n4;
	w->aggregate6 = ss->agg_len6 >= 0;
	w->agg_len6 = ss->agg_len6 >= 0 ? ss->agg_len6 : 128;
	w->prefixes6 = ss->addrs6;
	return 0;
}

/*
 * The source address of every probe, which the matcher then checks replies against; or 0 (any:
 * the cookie alone tells ours) for several.
 */
static __u32 common_saddr(const struct config *cfg, const struct routes *rt)
{
	__u32 saddr = 0;

	/* A watch group sends from an address of its own. */
	if (cfg->any_source)
		return 0;
	if (cfg->n_sources)
		return cfg->n_sources == 1 ? cfg->source : 0;
	for (unsigned int i = 0; i < rt->n_paths; i++) {
		if (rt->paths[i].v6)
			continue;
		if (saddr && rt->paths[i].saddr != saddr)
			return 0;
		saddr = rt->paths[i].saddr;
	}
	return saddr;
}

/* The IPv6 source address of every IPv6 route, which replies are checked against; or zero. */
static void common_saddr6(const struct routes *rt, __u8 saddr6[16])
{
	const struct next_hop *first = NULL;

	memset(saddr6, 0, 16);
	for (unsigned int i = 0; i < rt->n_paths; i++) {
		if (!rt->paths[i].v6)
			continue;
		if (first && memcmp(first->saddr6, rt->paths[i].saddr6, 16))
			return;
		first = first ?: &rt->paths[i];
	}
	if (first)
		memcpy(saddr6, first->saddr6, 16);
}

/* What IPv6 targets cannot have yet: one line, and the usage exit. */
static bool refuse_ipv6(const struct config *cfg)
{
	const char *why = NULL;

	if (cfg->cmd == CMD_TRACE)
		why = "trace probes IPv4 targets only";
	else if (cfg->resume)
		why = "--resume takes IPv4 targets only";
	else if (cfg->engine == ENGINE_XDP_LIVE)
		why = "the xdp-live engine builds IPv4 probes only: use --engine afxdp or raw";
	/* The IPv6 header is 20 bytes longer: what fits a 1500-byte MTU is that much less. */
	else if (cfg->size > PAYLOAD_MAX - 20)
		why = "an IPv6 probe carries at most 1452 data bytes (--size)";
	if (why)
		pr_warn("IPv6 targets given, but %s\n", why);
	return why;
}

/* -S: every source address must be one of each route's interface, or no reply comes back. */
static int check_sources(const struct config *cfg, const struct routes *rt)
{
	__u32 src[SOURCES_MAX];
	char buf[INET_ADDRSTRLEN];

	for (unsigned int k = 0; k < cfg->n_sources; k++)
		src[k] = em_probe_saddr(cfg->source, cfg->n_sources, k);
	for (unsigned int i = 0; i < rt->n_paths; i++) {
		int k;

		/* IPv6 probes leave from their route's source: -S is IPv4's. */
		if (rt->paths[i].v6 || !cfg->n_sources)
			continue;
		k = netif_lacks_addr(rt->paths[i].ifname, src, cfg->n_sources);
		if (k < 0)
			return k;
		if ((unsigned int)k < cfg->n_sources) {
			pr_warn("--source %s is not an address of %s\n",
				inet_ntop(AF_INET, &src[k], buf, sizeof(buf)), rt->paths[i].ifname);
			return -EADDRNOTAVAIL;
		}
	}
	return 0;
}

static bool hooked(const struct matcher *m, int ifindex)
{
	if (m->hook.ifindex == ifindex)
		return true;
	for (unsigned int i = 0; i < m->n_more; i++)
		if (m->more[i].ifindex == ifindex)
			return true;
	return false;
}

/*
 * The matcher onto every interface the routes leave by that it is not on yet, nor old (which m
 * is to take over, or NULL).
 */
static int attach_also(const struct routes *rt, struct matcher *m, enum xdp_mode mode,
		       const struct matcher *old)
{
	for (unsigned int i = 0; i < rt->n_paths; i++) {
		int ifindex = rt->paths[i].ifindex, err = 0;

		if (!hooked(m, ifindex) && !(old && hooked(old, ifindex)))
			err = matcher_attach_also(m, ifindex, mode);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The engine's interface and addresses: the first path's, the sources of -S (which every path
 * keeps); the other paths' come from the routes.
 */
static void tx_path0(struct probe_tx_opts *o, const struct config *cfg, const struct next_hop *nh)
{
	o->ifname = nh->ifname;
	o->ifindex = nh->ifindex;
	memcpy(o->tmpl.src_mac, nh->src_mac, 6);
	memcpy(o->tmpl.dst_mac, nh->dst_mac, 6);
	o->tmpl.saddr = cfg->n_sources ? cfg->source : nh->saddr;
	o->tmpl.n_saddr = cfg->n_sources;
}

int session_open(struct session *s, const struct config *cfg, ring_buffer_sample_fn on_event,
		 void *ctx)
{
	struct target_opts topts = target_opts_of(cfg);
	struct matcher_opts mopts = { .mode = cfg->xdp_mode, .on_event = on_event, .ctx = ctx };
	struct probe_tx_opts topt = { .engine = cfg->engine };
	struct matcher_watch watch;
	__u64 marker[2];
	int err;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	if (cfg->cmd == CMD_WATCH)
		err = watch_targets(cfg, &topts, NULL, &s->names, &s->ts, &s->unresolved);
	else
		err = targets_build(&s->ts, cfg->targets, cfg->n_targets, &topts, &s->unresolved);
	if (err == -EINTR) /* as an interrupted sweep */
		return EXIT_SOME_DOWN;
	if (err == -EIO || err == -ENOMEM)
		return EXIT_SYSTEM;
	if (err)
		return err == -ENOENT && s->unresolved ? EXIT_UNRESOLVED : EXIT_USAGE;
	s->stream = cfg->cmd == CMD_SWEEP &&
		    (cfg->stream || cfg->resume || s->ts.count > MAX_TARGETS);
	if (cfg->cmd == CMD_SWEEP && !s->stream)
		mopts.on_event = NULL;
	if (s->ts.count6 && refuse_ipv6(cfg))
		goto usage;
	if (s->ts.count > MAX_TARGETS && !s->stream) {
		pr_warn("%llu targets are too many for one run (at most %llu): split the range\n",
			(unsigned long long)s->ts.count, MAX_TARGETS);
		goto usage;
	}

	err = routes_build(&s->rt, &s->ts, cfg->ifname, NEIGH_TIMEOUT_MS);
	if (err)
		goto system;
	err = check_sources(cfg, &s->rt);
	if (err == -EADDRNOTAVAIL)
		goto usage;
	if (err)
		goto system;
	s->nh = s->rt.paths[0];
	if (s->rt.n_paths > 1) {
		pr_info("targets leave by %u routes\n", s->rt.n_paths);
		topt.routes = &s->rt;
		/* The generator's walk of a sweep or trace has one template: one route. */
		if ((cfg->cmd == CMD_SWEEP || cfg->cmd == CMD_TRACE) &&
		    cfg->engine == ENGINE_XDP_LIVE) {
			pr_warn("the xdp-live engine %s by one route, these targets need %u: "
				"use --engine afxdp\n", cfg->cmd == CMD_SWEEP ? "sweeps" : "traces",
				s->rt.n_paths);
			goto usage;
		}
		if (cfg->cmd == CMD_SWEEP && cfg->engine == ENGINE_AUTO)
			topt.engine = ENGINE_AFXDP;
	} else if (s->ts.count6 && cfg->engine == ENGINE_AUTO && !s->nh.on_link) {
		/* auto's xdp-live builds IPv4 probes only. */
		topt.engine = ENGINE_AFXDP;
	} else if (s->nh.on_link && cfg->engine != ENGINE_RAW) {
		/* Each on-link target needs its own neighbour entry: let the kernel resolve them. */
		pr_info("targets are on-link on %s: sending through the kernel (raw engine)\n",
			s->nh.ifname);
		topt.engine = ENGINE_RAW;
	}

	err = em_cookie_key(mopts.key);
	if (err) {
		pr_warn("cannot get random bytes for the key: %s\n", strerror(-err));
		goto system;
	}
	if (cfg->cmd == CMD_WATCH) {
		err = watch_series(s, &s->ts, &s->ss, &watch);
		if (err) {
			session_close(s);
			return err;
		}
		mopts.watch = &watch;
	}
	/* Only xdp-live runs the generator through the matcher: the others leave the door shut. */
	if (topt.engine == ENGINE_XDP_LIVE || topt.engine == ENGINE_AUTO) {
		err = em_cookie_key(marker);
		if (err) {
			pr_warn("cannot get random bytes: %s\n", strerror(-err));
			goto system;
		}
		/* Never 0, and the low bits left for the generator's slot. */
		s->gen_marker = (marker[0] & ~(__u64)(EM_GEN_SLOTS - 1)) | EM_GEN_SLOTS;
	}
	mopts.gen_marker = s->gen_marker;
	mopts.ifindex = s->nh.ifindex;
	mopts.saddr = common_saddr(cfg, &s->rt);
	mopts.ipv6 = s->ts.count6 > 0;
	common_saddr6(&s->rt, mopts.saddr6);
	/* A trace's result slots and payload indices are (target, flow) pairs. */
	mopts.n_targets = s->ts.count * (cfg->cmd == CMD_TRACE ? cfg->flows : 1);
	mopts.trace = cfg->cmd == CMD_TRACE;
	mopts.stream = s->stream;
	mopts.stream_ring = STREAM_RING_BYTES;
	err = matcher_open(&s->m, &mopts) ?: attach_also(&s->rt, &s->m, cfg->xdp_mode, NULL);
	if (err)
		goto system;

	tx_path0(&topt, cfg, &s->nh);
	topt.tmpl.ttl = cfg->ttl;
	topt.tmpl.payload_len = cfg->size;
	topt.tmpl.fixed_csum = cfg->cmd == CMD_TRACE;
	topt.v6 = s->nh.v6;
	probe_tx_tmpl6(&topt, &s->nh);
	topt.key[0] = mopts.key[0];
	topt.key[1] = mopts.key[1];
	topt.entry = &s->m;
	topt.gen_marker = s->gen_marker;
	topt.stamp_each = cfg->cmd != CMD_SWEEP;
	s->txo = topt;
	/*
	 * A sweep or a trace runs the generator over its whole walk, not per staged probe:
	 * sweep.c and trace.c open it.
	 */
	if ((cfg->cmd == CMD_SWEEP && topt.engine == ENGINE_AUTO) ||
	    ((cfg->cmd == CMD_SWEEP || cfg->cmd == CMD_TRACE) && topt.engine == ENGINE_XDP_LIVE))
		return 0;
	err = probe_tx_open(&s->tx, &topt);
	if (err)
		goto system;
	return 0;

usage:
	session_close(s);
	return EXIT_USAGE;
system:
	session_close(s);
	return EXIT_SYSTEM;
}

/*
 * A transmit engine for the routes in s->rt (which it keeps by reference), into *txp and *o; the
 * running one is left as it is.
 */
static int open_tx(struct session *s, struct probe_tx **txp, struct probe_tx_opts *o)
{
	*o = s->txo;
	o->engine = s->cfg->engine;
	/* xdp-live's generator would enter through the matcher that is being replaced. */
	if (o->engine == ENGINE_XDP_LIVE || o->engine == ENGINE_AUTO)
		o->engine = ENGINE_AFXDP;
	if (s->rt.n_paths == 1 && s->rt.paths[0].on_link)
		o->engine = ENGINE_RAW;
	o->routes = &s->rt;
	tx_path0(o, s->cfg, &s->rt.paths[0]);
	o->v6 = s->rt.paths[0].v6;
	probe_tx_tmpl6(o, &s->rt.paths[0]);
	return probe_tx_open(txp, o);
}

static void log_routes(const struct routes *rt)
{
	char src[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN + 32];

	for (unsigned int i = 0; i < rt->n_paths; i++) {
		const struct next_hop *p = &rt->paths[i];
		int af = p->v6 ? AF_INET6 : AF_INET;
		const __u8 *m = p->dst_mac;
		char a[INET6_ADDRSTRLEN];

		inet_ntop(af, p->v6 ? (const void *)p->saddr6 : &p->saddr, src, sizeof(src));
		if (p->on_link)
			snprintf(gw, sizeof(gw), "on-link");
		else
			snprintf(gw, sizeof(gw), "via %s at %02x:%02x:%02x:%02x:%02x:%02x",
				 inet_ntop(af, p->gateway, a, sizeof(a)), m[0], m[1], m[2], m[3],
				 m[4], m[5]);
		pr_notice("targets now leave by %s from %s, %s (%u of %u routes)\n", p->ifname, src,
			  gw, i + 1, rt->n_paths);
	}
}

/*
 * Swaps a matcher for ts (taken over) and its routes in: a new interface is hooked, the engine
 * opened again when the paths changed. 0, or a negative errno with the old set in place.
 */
static int swap(struct session *s, struct target_set *ts)
{
	struct matcher_opts mopts = { .mode = s->cfg->xdp_mode, .gen_marker = s->gen_marker };
	struct probe_tx *tx = NULL;
	struct probe_tx_opts txo;
	struct routes rt, old_rt;
	struct matcher_watch watch;
	struct series_set ss;
	struct matcher m;
	bool moved;
	int err;

	if (ts->count > MAX_TARGETS) {
		pr_warn("%llu targets are too many for one run (at most %llu)\n",
			(unsigned long long)ts->count, MAX_TARGETS);
		err = -E2BIG;
		goto free_ts;
	}
	if (ts->count6 && refuse_ipv6(s->cfg)) {
		err = -EINVAL;
		goto free_ts;
	}
	err = routes_build(&rt, ts, s->cfg->ifname, NEIGH_TIMEOUT_MS);
	if (err)
		goto free_ts;
	err = check_sources(s->cfg, &rt);
	if (err)
		goto free_rt;
	moved = !routes_same_paths(&rt, &s->rt);
	err = watch_series(s, ts, &ss, &watch);
	if (err) {
		err = -EINVAL;
		goto free_rt;
	}
	/*
	 * A new key: replies to probes of the old set name indices of the old set, and must not
	 * be counted in the new one. The few still on their way are counted as invalid.
	 */
	err = em_cookie_key(mopts.key);
	if (err) {
		pr_warn("cannot get random bytes for the key: %s\n", strerror(-err));
		goto free_ss;
	}
	mopts.saddr = common_saddr(s->cfg, &rt);
	mopts.ipv6 = ts->count6 > 0;
	common_saddr6(&rt, mopts.saddr6);
	mopts.n_targets = ts->count;
	mopts.watch = &watch;
	/*
	 * A shared hook has no atomic swap of one component: the successor joins the dispatcher
	 * beside the old matcher, each takes only replies to its own key, then the old one leaves.
	 */
	if (matcher_shared(&s->m))
		mopts.ifindex = rt.paths[0].ifindex;
	/* The engine for new paths first: s->rt is the new routes while it opens (it keeps them). */
	old_rt = s->rt;
	s->rt = rt;
	err = moved ? open_tx(s, &tx, &txo) : 0;
	s->rt = old_rt;
	if (err)
		goto free_ss;
	err = matcher_open(&m, &mopts);
	if (err)
		goto close_tx;
	err = mopts.ifindex ? attach_also(&rt, &m, s->cfg->xdp_mode, NULL) :
			      attach_also(&rt, &m, s->cfg->xdp_mode, &s->m) ?:
			      matcher_take_over(&m, &s->m);
	if (err) {
		matcher_close(&m);
		goto close_tx;
	}
	routes_free(&s->rt);
	s->rt = rt;
	s->nh = rt.paths[0];
	if (moved) {
		probe_tx_close(s->tx);
		s->tx = tx;
		s->txo = txo;
		log_routes(&s->rt);
	}
	probe_tx_set_key(s->tx, mopts.key);
	matcher_close(&s->m);
	s->m = m;
	series_free(&s->ss);
	s->ss = ss;
	targets_free(&s->ts);
	s->ts = *ts;
	return 0;

close_tx:
	if (moved)
		probe_tx_close(tx);
free_ss:
	series_free(&ss);
free_rt:
	routes_free(&rt);
free_ts:
	targets_free(ts);
	return err;
}

int session_reload(struct session *s)
{
	struct target_opts topts = target_opts_of(s->cfg);
	struct name_table nt;
	struct target_set ts;
	int unresolved, err;

	err = watch_targets(s->cfg, &topts, &s->names, &nt, &ts, &unresolved);
	if (err)
		return err == -EINTR ? -EINTR : -EINVAL;
	err = swap(s, &ts);
	if (err) {
		names_free(&nt);
		return err;
	}
	names_free(&s->names);
	s->names = nt;
	s->unresolved = unresolved;
	return 0;
}

bool session_routes_moved(struct session *s, unsigned int change)
{
	struct routes rt;
	bool moved;

	/* The neighbour tables change all the time; a lookup per path says if it mattered. */
	if (!(change & NETIF_ROUTES))
		return change & NETIF_NEIGH && routes_gateway_moved(&s->rt);
	/* A lookup that fails now (a route being replaced) is tried again at the next change. */
	if (routes_build(&rt, &s->ts, s->cfg->ifname, NEIGH_TIMEOUT_MS))
		return false;
	moved = !routes_same(&rt, &s->rt);
	routes_free(&rt);
	return moved;
}

int session_rebuild(struct session *s)
{
	struct target_opts topts = target_opts_of(s->cfg);
	struct target_set ts;
	int err;

	err = targets_assemble(&ts, &s->names.spec, s->names.res, &topts) ?: swap(s, &ts);
	if (!err)
		s->names.dirty = false;
	return err;
}

void session_close(struct session *s)
{
	probe_tx_close(s->tx);
	s->tx = NULL;
	if (s->m.skel)
		matcher_close(&s->m);
	xdp_guard_stop();
	routes_free(&s->rt);
	series_free(&s->ss);
	targets_free(&s->ts);
	names_free(&s->names);
}
