// SPDX-License-Identifier: GPL-2.0
/* Staging and batching of probes in front of the transmit engines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "tx/cookie.h"
#include "tx/probe_tx.h"

/* One way out: an engine on one interface, with its route's addresses in its template. */
struct path_tx {
	struct tx_engine *engine;
	struct frame_tmpl tmpl;
	struct frame6_tmpl tmpl6;
	struct staged_probe staged[PROBE_BATCH];
	unsigned int n_staged, batch;
};

struct probe_tx {
	struct path_tx *path;
	unsigned int n_paths;
	const struct routes *routes; /* which path a target takes, when there are several */
	__u64 key[2];
	__u64 sent;
	struct probe_shape *shapes;
	unsigned int n_shapes;
};

void probe_payload(const struct tx_engine *e, const struct staged_probe *p, __u64 tx_ns,
		   struct em_payload *pl)
{
	pl->tx_ns = tx_ns;
	pl->index = p->index;
	pl->round = p->round;
	if (e->tmpl6) {
		__u32 d[4];

		memcpy(d, p->daddr6, sizeof(d));
		pl->mac = em_cookie6(e->key[0], e->key[1], d, tx_ns, p->index, p->round);
		return;
	}
	pl->mac = em_cookie(e->key[0], e->key[1], p->daddr, tx_ns, p->index, p->round);
}

static int path_open(struct path_tx *p, const struct probe_tx_opts *o, const __u64 *key,
		     const struct probe_shape *shapes)
{
	int err;

	/* The generator builds IPv4 probes only. */
	if (o->v6 && (o->engine == ENGINE_XDP_LIVE || o->engine == ENGINE_AUTO)) {
		err = afxdp_engine_open(&p->engine, o);
		if (err) {
			pr_info("AF_XDP unavailable on %s (%d), falling back to a raw socket\n",
				o->ifname, err);
			err = raw_engine_open(&p->engine, o);
		}
		goto opened;
	}
	switch (o->engine) {
	case ENGINE_XDP_LIVE:
		err = xdp_live_engine_open(&p->engine, o, false);
		break;
	case ENGINE_AUTO:
		err = xdp_live_engine_open(&p->engine, o, true);
		if (!err)
			break;
		pr_info("xdp-live unavailable on %s, using afxdp\n", o->ifname);
		/* fall through */
	case ENGINE_AFXDP:
		err = afxdp_engine_open(&p->engine, o);
		if (err) {
			pr_info("AF_XDP unavailable on %s (%d), falling back to a raw socket\n",
				o->ifname, err);
			err = raw_engine_open(&p->engine, o);
		}
		break;
	default:
		err = raw_engine_open(&p->engine, o);
		break;
	}
opened:
	if (err)
		return err;
	p->tmpl = o->tmpl;
	p->tmpl6 = o->tmpl6;
	p->engine->tmpl6 = o->v6 ? &p->tmpl6 : NULL;
	p->batch = o->stamp_each && !p->engine->stamps_each ? 1 : PROBE_BATCH;
	p->engine->tmpl = &p->tmpl;
	p->engine->key = key;
	p->engine->shapes = shapes;
	if (o->queue)
		pr_info("transmit engine: %s on %s, queue %u\n", p->engine->name, o->ifname,
			o->queue);
	else
		pr_info("transmit engine: %s on %s\n", p->engine->name, o->ifname);
	return 0;
}

void probe_tx_tmpl6(struct probe_tx_opts *o, const struct next_hop *nh)
{
	memcpy(o->tmpl6.src_mac, nh->src_mac, sizeof(o->tmpl6.src_mac));
	memcpy(o->tmpl6.dst_mac, nh->dst_mac, sizeof(o->tmpl6.dst_mac));
	memcpy(o->tmpl6.saddr, nh->saddr6, sizeof(o->tmpl6.saddr));
	o->tmpl6.hop_limit = o->tmpl.ttl;
	o->tmpl6.payload_len = o->tmpl.payload_len;
}

/*
 * o, for path i of route nh: its interface and addresses, its generator's slot in the matcher
 * (beyond the slots, afxdp); on-link targets through the kernel.
 */
static struct probe_tx_opts path_opts(const struct probe_tx_opts *o, const struct next_hop *nh,
				      unsigned int i)
{
	struct probe_tx_opts po = *o;

	po.gen_slot = i;
	if (i >= EM_GEN_SLOTS && (po.engine == ENGINE_XDP_LIVE || po.engine == ENGINE_AUTO))
		po.engine = ENGINE_AFXDP;
	po.ifname = nh->ifname;
	po.ifindex = nh->ifindex;
	memcpy(po.tmpl.src_mac, nh->src_mac, sizeof(po.tmpl.src_mac));
	memcpy(po.tmpl.dst_mac, nh->dst_mac, sizeof(po.tmpl.dst_mac));
	if (!po.tmpl.n_saddr) /* -S: its sources on every path */
		po.tmpl.saddr = nh->saddr;
	po.v6 = nh->v6;
	probe_tx_tmpl6(&po, nh);
	if (nh->on_link)
		po.engine = ENGINE_RAW;
	return po;
}

int probe_tx_open(struct probe_tx **txp, const struct probe_tx_opts *o)
{
	struct probe_tx *tx = calloc(1, sizeof(*tx));
	bool routed = o->routes && o->routes->n_paths > 1;
	int err = 0;

	if (!tx)
		return -ENOMEM;
	tx->n_paths = routed ? o->routes->n_paths : 1;
	tx->routes = routed ? o->routes : NULL;
	tx->key[0] = o->key[0];
	tx->key[1] = o->key[1];
	tx->path = calloc(tx->n_paths, sizeof(*tx->path));
	tx->shapes = calloc(1, sizeof(*tx->shapes));
	tx->n_shapes = 1;
	if (!tx->path || !tx->shapes) {
		free(tx->path);
		free(tx->shapes);
		free(tx);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < tx->n_paths && !err; i++) {
		struct probe_tx_opts po = routed ? path_opts(o, &o->routes->paths[i], i) : *o;

		err = path_open(&tx->path[i], &po, tx->key, tx->shapes);
	}
	if (err) {
		probe_tx_close(tx);
		return err;
	}
	*txp = tx;
	return 0;
}

static int path_flush(struct probe_tx *tx, struct path_tx *p)
{
	int err;

	if (!p->n_staged)
		return 0;
	err = p->engine->send(p->engine, p->staged, p->n_staged);
	if (err)
		return err;
	tx->sent += p->n_staged;
	p->n_staged = 0;
	return 0;
}

int probe_tx_flush(struct probe_tx *tx)
{
	int err = 0;

	for (unsigned int i = 0; i < tx->n_paths && !err; i++)
		err = path_flush(tx, &tx->path[i]);
	return err;
}

int probe_tx_stage_shaped(struct probe_tx *tx, __u32 daddr, __u32 index, __u32 round,
			  __u16 shape)
{
	struct path_tx *path = &tx->path[tx->routes ? routes_path(tx->routes, ntohl(daddr)) : 0];
	struct staged_probe *p = &path->staged[path->n_staged++];

	p->daddr = daddr;
	p->index = index;
	p->round = round;
	p->shape = shape < tx->n_shapes ? shape : 0;
	return path->n_staged == path->batch ? path_flush(tx, path) : 0;
}

int probe_tx_stage(struct probe_tx *tx, __u32 daddr, __u32 index, __u32 round)
{
	return probe_tx_stage_shaped(tx, daddr, index, round, 0);
}

static bool shape_is_template(const struct probe_shape *sh)
{
	return !sh->saddr && !sh->payload_len && !sh->ttl && !sh->tos && !sh->df;
}

int probe_tx_set_shapes(struct probe_tx *tx, const struct probe_shape *shapes, unsigned int n)
{
	struct probe_shape *copy;
	int err;

	if (!n || !shape_is_template(&shapes[0]))
		return -EINVAL;
	for (unsigned int i = 0; i < tx->n_paths; i++)
		for (unsigned int j = 1; tx->path[i].engine->one_template && j < n; j++)
			if (!shape_is_template(&shapes[j]))
				return -EOPNOTSUPP;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, shapes, n * sizeof(*copy));
	/* The probes staged so far name shapes of before. */
	err = probe_tx_flush(tx);
	if (err) {
		free(copy);
		return err;
	}
	free(tx->shapes);
	tx->shapes = copy;
	tx->n_shapes = n;
	for (unsigned int i = 0; i < tx->n_paths; i++)
		tx->path[i].engine->shapes = copy;
	return 0;
}

int probe_tx_stage6(struct probe_tx *tx, const __u8 daddr[16], __u32 index, __u32 round)
{
	struct path_tx *path = &tx->path[tx->routes ? routes_path6(tx->routes, daddr) : 0];
	struct staged_probe *p = &path->staged[path->n_staged++];

	p->daddr = 0;
	memcpy(p->daddr6, daddr, sizeof(p->daddr6));
	p->index = index;
	p->round = round;
	p->shape = 0;
	return path->n_staged == path->batch ? path_flush(tx, path) : 0;
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
	for (unsigned int i = 0; i < tx->n_paths; i++)
		if (tx->path[i].engine)
			tx->path[i].engine->close(tx->path[i].engine);
	free(tx->path);
	free(tx->shapes);
	free(tx);
}
