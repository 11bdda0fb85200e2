/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe transmission, engine-independent: probes are staged (address, index, round) and
 * stamped, signed and patched together when the batch is flushed, so tx_ns is taken right
 * before the frames are handed to the engine.
 */
#ifndef ECHOMAP_TX_PROBE_TX_H
#define ECHOMAP_TX_PROBE_TX_H

#include <stdbool.h>
#include <linux/types.h>

#include "config.h"
#include "kernel/matcher.h"
#include "tx/frame.h"
#include "tx/frame6.h"
#include "tx/routes.h"

#define PROBE_BATCH 64

struct probe_tx;

struct probe_tx_opts {
	enum engine_kind engine;
	const char *ifname;
	int ifindex;
	__u32 queue; /* afxdp: the queue the socket sends on */
	struct frame_tmpl tmpl;
	/* An IPv6 route (v6): its probes are built from tmpl6 (addresses) and tmpl (TTL, size). */
	bool v6;
	struct frame6_tmpl tmpl6;
	__u64 key[2];
	/* xdp-live: the matcher the generator is run through, and its marker (see gen_opts) */
	const struct matcher *entry;
	__u64 gen_marker;
	__u32 gen_slot; /* set per route by probe_tx_open */
	/*
	 * One send stamp per probe (ping, watch). A batch shares one stamp taken before the
	 * kick, and the kernel puts its frames on the wire one after the other (in AF_XDP copy
	 * mode about 3 us each on a small VM), so the 64th would read ~0.2 ms long. A sweep keeps
	 * whole batches for rate; xdp-live stamps each frame in the kernel anyway.
	 */
	bool stamp_each;
	/*
	 * Targets on several routes: one engine per path, each probe staged on its target's
	 * (the path's interface and addresses replace ifname, ifindex and the template's). NULL,
	 * or one path: everything by ifname and tmpl.
	 */
	const struct routes *routes;
};

/* o->tmpl6 from nh's addresses and o->tmpl's TTL and size. */
void probe_tx_tmpl6(struct probe_tx_opts *o, const struct next_hop *nh);
/* Returns 0 or -errno after one pr_warn line. */
int probe_tx_open(struct probe_tx **tx, const struct probe_tx_opts *o);
/* daddr in network order. Flushes by itself when the batch is full. */
int probe_tx_stage(struct probe_tx *tx, __u32 daddr, __u32 index, __u32 round);
/* The same with shape number `shape` of the last probe_tx_set_shapes() (0: the template's). */
int probe_tx_stage_shaped(struct probe_tx *tx, __u32 daddr, __u32 index, __u32 round,
			  __u16 shape);
/*
 * The n shapes the probes staged from now on are sent with (copied; shape 0 is all zero: the
 * template's). 0; -EOPNOTSUPP when a path's engine builds every probe from its one template
 * (xdp-live) and a shape is not all zero; -EINVAL when shapes[0] is not; -ENOMEM; a flush's
 * error. On failure the shapes of before stay.
 */
int probe_tx_set_shapes(struct probe_tx *tx, const struct probe_shape *shapes, unsigned int n);
/* An IPv6 target's probe (daddr as in the header), on its IPv6 route. */
int probe_tx_stage6(struct probe_tx *tx, const __u8 daddr[16], __u32 index, __u32 round);
int probe_tx_flush(struct probe_tx *tx);
__u64 probe_tx_sent(const struct probe_tx *tx);
/* The cookie key of the probes staged from now on (watch mode swaps it on reload). */
void probe_tx_set_key(struct probe_tx *tx, const __u64 key[2]);
void probe_tx_close(struct probe_tx *tx);

/* The engines: each sends n patched probes at once. */
struct staged_probe {
	__u32 daddr;
	__u32 index;
	__u32 round;
	__u16 shape; /* into tx_engine.shapes */
	__u8 daddr6[16]; /* IPv6 engines (tx_engine.tmpl6 set): the destination */
};

struct tx_engine {
	const char *name;
	/*
	 * Sends n staged probes (n <= PROBE_BATCH); 0 or -errno. The engine stamps the send time
	 * itself, once it has room for the batch: a wait for ring space or a full qdisc is no
	 * part of any RTT.
	 */
	int (*send)(struct tx_engine *e, const struct staged_probe *p, unsigned int n);
	void (*close)(struct tx_engine *e);
	const struct frame_tmpl *tmpl;
	const struct probe_shape *shapes; /* at least one, shape 0 all zero */
	const struct frame6_tmpl *tmpl6; /* an IPv6 route's engine; NULL for IPv4 */
	const __u64 *key;
	__u16 ip_id;
	bool stamps_each; /* each frame gets its own tx_ns as it is built: batches cost nothing */
	bool one_template; /* the kernel builds every probe from tmpl: no shapes */
};

int afxdp_engine_open(struct tx_engine **e, const struct probe_tx_opts *o);
int raw_engine_open(struct tx_engine **e, const struct probe_tx_opts *o);
/* quiet_fail: what is missing is said at pr_info level, for a caller that falls back. */
int xdp_live_engine_open(struct tx_engine **e, const struct probe_tx_opts *o, bool quiet_fail);

/* Fills the payload of a probe, cookie included (over daddr6 when the engine is IPv6). */
void probe_payload(const struct tx_engine *e, const struct staged_probe *p, __u64 tx_ns,
		   struct em_payload *pl);

#endif
