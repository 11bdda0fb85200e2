/* SPDX-License-Identifier: GPL-2.0 */
/* What every probing command sets up: targets, next hop, reply matcher, transmit engine. */
#ifndef ECHOMAP_SESSION_H
#define ECHOMAP_SESSION_H

#include <signal.h>

#include "config.h"
#include "loader.h"
#include "netif.h"
#include "probe_tx.h"
#include "targets.h"

struct session {
	const struct config *cfg;
	struct target_set ts;
	int unresolved; /* names that did not resolve */
	struct next_hop nh;
	struct matcher m;
	struct probe_tx *tx;
};

extern volatile sig_atomic_t stop_requested;

/* Returns 0 or an enum em_exit code after one pr_warn line; nothing stays attached on failure. */
int session_open(struct session *s, const struct config *cfg, ring_buffer_sample_fn on_event,
		 void *ctx);
void session_close(struct session *s);

__u64 now_ns(void);

#endif
