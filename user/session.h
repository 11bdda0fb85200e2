/* SPDX-License-Identifier: GPL-2.0 */
/* What every probing command sets up: targets, next hop, reply matcher, transmit engine. */
#ifndef ECHOMAP_SESSION_H
#define ECHOMAP_SESSION_H

#include "config.h"
#include "kernel/matcher.h"
#include "kernel/netif.h"
#include "names/names.h"
#include "report/series.h"
#include "targets/targets.h"
#include "tx/probe_tx.h"
#include "tx/routes.h"

struct session {
	const struct config *cfg;
	struct target_set ts;
	int unresolved; /* names that did not resolve */
	struct routes rt;	  /* every target's route */
	struct next_hop nh;	  /* target 0's (rt.paths[0]) */
	struct matcher m;
	struct probe_tx_opts txo; /* what the transmit engine is opened with */
	struct probe_tx *tx;	  /* NULL for a sweep on xdp-live or auto: see sweep.c */
	struct series_set ss;	  /* watch mode */
	struct name_table names;  /* watch mode: what ts is built of */
	__u64 gen_marker;	  /* xdp-live, see bpf/echomap.bpf.c; 0 for the other engines */
	bool stream;		  /* sweep: results streamed, two bits per target (matcher.stream) */
};

/* Returns 0 or an enum em_exit code after one pr_warn line; nothing stays attached on failure. */
int session_open(struct session *s, const struct config *cfg, ring_buffer_sample_fn on_event,
		 void *ctx);
/*
 * Watch mode, on SIGHUP: reads the target files and resolves the names again and swaps a matcher
 * for the new set in, with its routes. A name that fails in a way that may pass
 * (SERVFAIL, timeout) keeps its addresses. On failure (logged) the old set stays and this
 * returns a negative errno: -EINTR when a stop was requested while names resolved.
 */
int session_reload(struct session *s);
/*
 * Watch mode, when s->names changed (s->names.dirty) or the routes moved: the set built again
 * from it and swapped in as on SIGHUP, with the routes looked up again, without reading any
 * file. On failure (logged) the old set stays and this
 * returns a negative errno.
 */
int session_rebuild(struct session *s);
/*
 * Watch mode, after the changes netif_events_pending() announced (enum netif_change): whether
 * the targets' routes, or only their gateways' MACs, differ now from the ones probes leave by.
 * session_rebuild() then takes the new ones (logged, a line per path).
 */
bool session_routes_moved(struct session *s, unsigned int change);
void session_close(struct session *s);

#endif
