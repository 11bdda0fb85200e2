// SPDX-License-Identifier: GPL-2.0
/* Staging and batching of probes in front of the transmit engines. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "tx/cookie.h"
#include "tx/probe_tx.h"

struct probe_tx {
	struct tx_engine *engine;
	struct frame_tmpl tmpl;
	__u64 key[2];
	struct staged_probe staged[PROBE_BATCH];
	unsigned int n_staged, batch;
	__u64 sent;
};

void probe_payload(const struct tx_engine *e, const struct staged_probe *p, __u64 tx_ns,
		   struct em_payload *pl)
{
	pl->tx_ns = tx_ns;
	pl->index = p->index;
	pl->round = p->round;
	pl->mac = em_cookie(e->key[0], e->key[1], p->daddr, tx_ns, p->index, p->round);
}

int probe_tx_open(struct probe_tx **txp, const struct probe_tx_opts *o)
{
	struct probe_tx *tx = calloc(1, sizeof(*tx));
	int err;

	if (!tx)
		return -ENOMEM;
	switch (o->engine) {
	case ENGINE_XDP_LIVE:
		err = xdp_live_engine_open(&tx->engine, o, false);
		break;
	case ENGINE_AUTO:
		err = xdp_live_engine_open(&tx->engine, o, true);
		if (!err)
			break;
		pr_info("xdp-live unavailable on %s, using afxdp\n", o->ifname);
		/* fall through */
	case ENGINE_AFXDP:
		err = afxdp_engine_open(&tx->engine, o);
		if (err) {
			pr_info("AF_XDP unavailable on %s (%d), falling back to a raw socket\n",
				o->ifname, err);
			err = raw_engine_open(&tx->engine, o);
		}
		break;
	default:
		err = raw_engine_open(&tx->engine, o);
		break;
	}
	if (err) {
		free(tx);
		return err;
	}
	tx->tmpl = o->tmpl;
	tx->key[0] = o->key[0];
	tx->key[1] = o->key[1];
	tx->batch = o->stamp_each && !tx->engine->stamps_each ? 1 : PROBE_BATCH;
	tx->engine->tmpl = &tx->tmpl;
	tx->engine->key = tx->key;
	if (o->queue)
		pr_info("transmit engine: %s on %s, queue %u\n", tx->engine->name, o->ifname,
			o->queue);
	else
		pr_info("transmit engine: %s on %s\n", tx->engine->name, o->ifname);
	*txp = tx;
	return 0;
}

int probe_tx_flush(struct probe_tx *tx)
{
	int err;

	if (!tx->n_staged)
		return 0;
	err = tx->engine->send(tx->engine, tx->staged, tx->n_staged, mono_ns());
	if (err)
		return err;
	tx->sent += tx->n_staged;
	tx->n_staged = 0;
	return 0;
}

int probe_tx_stage(struct probe_tx *tx, __u32 daddr, __u32 index, __u32 round)
{
	struct staged_probe *p = &tx->staged[tx->n_staged++];

	p->daddr = daddr;
	p->index = index;
	p->round = round;
	return tx->n_staged == tx->batch ? probe_tx_flush(tx) : 0;
}

__u64 probe_tx_sent(const struct probe_tx *tx)
{
	return tx->sent;
}

void probe_tx_set_key(struct probe_tx *tx, const __u64 key[2])
{
	tx->key[0] = key[0];
	tx->key[1] = key[1];
}

void probe_tx_close(struct probe_tx *tx)
{
	if (!tx)
		return;
	tx->engine->close(tx->engine);
	free(tx);
}
