// SPDX-License-Identifier: GPL-2.0
/*
 * The xdp-live transmit engine for staged probes (ping, watch): the generator in list mode
 * builds each probe in the kernel, stamps it with bpf_ktime_get_ns() and transmits it by XDP_TX.
 * A sweep runs the generator over the permutation instead (user/sweep_live.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/generator.h"
#include "lib/log.h"
#include "tx/probe_tx.h"

_Static_assert(PROBE_BATCH <= EM_GEN_LIST_MAX, "a flushed batch must fit the generator's list");

struct live_engine {
	struct tx_engine base;
	struct generator *gen;
	struct gen_opts opts; /* what gen was loaded with: the key is in its read-only data */
};

/* Watch mode swaps the key on reload (probe_tx_set_key); the key is fixed at load: reload. */
static int follow_key(struct live_engine *l)
{
	struct generator *gen;
	int err;

	if (!memcmp(l->opts.key, l->base.key, sizeof(l->opts.key)))
		return 0;
	memcpy(l->opts.key, l->base.key, sizeof(l->opts.key));
	err = gen_open(&gen, &l->opts, false);
	if (err)
		return err;
	gen_close(l->gen);
	l->gen = gen;
	return 0;
}

/* Stamped in the kernel, as each probe is built. */
static int live_send(struct tx_engine *e, const struct staged_probe *p, unsigned int n)
{
	struct live_engine *l = (struct live_engine *)e;
	struct em_gen_probe list[EM_GEN_LIST_MAX];
	int err;

	err = follow_key(l);
	if (err)
		return err;
	for (unsigned int i = 0; i < n; i++) {
		list[i].daddr = p[i].daddr;
		list[i].index = p[i].index;
		list[i].round = p[i].round;
		list[i].pad = 0;
	}
	return gen_send_list(l->gen, list, n);
}

static void live_close(struct tx_engine *e)
{
	struct live_engine *l = (struct live_engine *)e;

	gen_close(l->gen);
	free(l);
}

int xdp_live_engine_open(struct tx_engine **ep, const struct probe_tx_opts *o, bool quiet_fail)
{
	struct live_engine *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->opts.ifname = o->ifname;
	l->opts.ifindex = o->ifindex;
	l->opts.tmpl = o->tmpl;
	memcpy(l->opts.key, o->key, sizeof(l->opts.key));
	l->opts.entry = o->entry;
	l->opts.marker = o->gen_marker;
	l->opts.slot = o->gen_slot;
	err = gen_open(&l->gen, &l->opts, quiet_fail);
	if (err) {
		free(l);
		return err;
	}
	l->base.name = "xdp-live";
	l->base.stamps_each = true;
	l->base.send = live_send;
	l->base.one_template = true;
	l->base.close = live_close;
	*ep = &l->base;
	return 0;
}
