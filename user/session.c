// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cookie.h"
#include "log.h"
#include "session.h"

/* Bounded sweeps keep one 32-byte slot per target in kernel memory: 4 GiB at most. */
#define MAX_TARGETS (1ULL << 27)

#define NEIGH_TIMEOUT_MS 1000

volatile sig_atomic_t stop_requested;

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int session_open(struct session *s, const struct config *cfg, ring_buffer_sample_fn on_event,
		 void *ctx)
{
	struct target_opts topts = {
		.allow_reserved = cfg->allow_reserved,
		.blocklist_file = cfg->blocklist,
		.allowlist_file = cfg->allowlist,
		.all_addresses = cfg->all_addresses,
	};
	struct matcher_opts mopts = { .mode = cfg->xdp_mode, .on_event = on_event, .ctx = ctx };
	struct probe_tx_opts topt = { .engine = cfg->engine };
	int err;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	err = targets_build(&s->ts, cfg->targets, cfg->n_targets, &topts, &s->unresolved);
	if (err)
		return err == -ENOENT && s->unresolved ? EXIT_UNRESOLVED : EXIT_USAGE;
	if (s->ts.count > MAX_TARGETS) {
		pr_warn("%llu targets are too many for one run (at most %llu): split the range\n",
			(unsigned long long)s->ts.count, MAX_TARGETS);
		goto usage;
	}

	err = netif_next_hop(htonl(targets_addr(&s->ts, 0)), cfg->ifname, NEIGH_TIMEOUT_MS, &s->nh);
	if (err)
		goto system;
	if (s->nh.on_link && cfg->engine == ENGINE_AFXDP) {
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
	mopts.ifindex = s->nh.ifindex;
	mopts.saddr = s->nh.saddr;
	mopts.n_targets = s->ts.count;
	err = matcher_open(&s->m, &mopts);
	if (err)
		goto system;

	topt.ifname = s->nh.ifname;
	topt.ifindex = s->nh.ifindex;
	memcpy(topt.tmpl.src_mac, s->nh.src_mac, 6);
	memcpy(topt.tmpl.dst_mac, s->nh.dst_mac, 6);
	topt.tmpl.saddr = s->nh.saddr;
	topt.tmpl.ttl = cfg->ttl;
	topt.tmpl.payload_len = cfg->size;
	topt.key[0] = mopts.key[0];
	topt.key[1] = mopts.key[1];
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

void session_close(struct session *s)
{
	probe_tx_close(s->tx);
	s->tx = NULL;
	if (s->m.skel)
		matcher_close(&s->m);
	targets_free(&s->ts);
}
