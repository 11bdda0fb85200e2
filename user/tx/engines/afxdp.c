// SPDX-License-Identifier: GPL-2.0
/*
 * AF_XDP transmit engine: a UMEM of prebuilt frames (constant bytes written once), per-probe
 * patching, batched TX descriptors, completion recycling and need_wakeup kicks.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "tx/probe_tx.h"

#define NUM_FRAMES 4096
#define FRAME_SIZE 2048 /* holds the largest probe (1514 bytes) */
#define RING_SIZE  2048

struct afxdp_engine {
	struct tx_engine base;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx_unused;
	void *area;
	__u64 free_addr[NUM_FRAMES];
	unsigned int n_free;
	unsigned int n_built; /* frames 0..n_built-1 hold the template */
	struct frame_tmpl wide; /* the template zero-padded to any shape's size */
	int fd;
};

/*
 * A frame's constant bytes are written when it is first used, not all at open: the first write
 * to each UMEM page is a page fault, and a short run (ping, a small sweep) needs few of them.
 */
static __u64 take_frame(struct afxdp_engine *a)
{
	__u64 addr;

	if (a->n_free)
		return a->free_addr[--a->n_free];
	addr = (__u64)a->n_built++ * FRAME_SIZE;
	/* IPv6 probes are built whole each time (frame6.h). */
	if (!a->base.tmpl6)
		frame_build_template(xsk_umem__get_data(a->area, addr), FRAME_SIZE, &a->wide);
	return addr;
}

static void reclaim(struct afxdp_engine *a)
{
	__u32 idx, n = xsk_ring_cons__peek(&a->comp, RING_SIZE, &idx);

	for (__u32 i = 0; i < n; i++)
		a->free_addr[a->n_free++] = *xsk_ring_cons__comp_addr(&a->comp, idx + i);
	xsk_ring_cons__release(&a->comp, n);
}

/*
 * Copy mode sends at most a small batch per syscall (and EAGAINs past it): kick until the
 * kernel has taken every descriptor, so no probe waits in the ring for the next batch.
 */
static int kick(struct afxdp_engine *a)
{
	while (xsk_ring_prod__needs_wakeup(&a->tx) &&
	       a->tx.cached_prod != __atomic_load_n(a->tx.consumer, __ATOMIC_ACQUIRE)) {
		if (sendto(a->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS && errno != EINTR)
			return -errno;
	}
	return 0;
}

static int afxdp_send(struct tx_engine *e, const struct staged_probe *p, unsigned int n)
{
	struct afxdp_engine *a = (struct afxdp_engine *)e;
	struct em_payload pl;
	__u64 tx_ns;
	__u32 idx;
	int err;

	reclaim(a);
	while (a->n_free + NUM_FRAMES - a->n_built < n || xsk_ring_prod__reserve(&a->tx, n, &idx) != n) {
		err = kick(a);
		if (err)
			return err;
		reclaim(a);
	}
	/* After the wait for frames and ring space: the frames leave with the kick below. */
	tx_ns = mono_ns();
	for (unsigned int i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&a->tx, idx + i);
		__u64 addr = take_frame(a);

		probe_payload(e, &p[i], tx_ns, &pl);
		d->addr = addr;
		if (e->tmpl6) {
			d->len = frame6_build(xsk_umem__get_data(a->area, addr), FRAME_SIZE,
					      e->tmpl6, p[i].daddr6, &pl);
			continue;
		}
		d->len = frame_patch_shaped(xsk_umem__get_data(a->area, addr), e->tmpl,
					    &e->shapes[p[i].shape], p[i].daddr, e->ip_id++, &pl);
	}
	xsk_ring_prod__submit(&a->tx, n);
	return kick(a);
}

static void afxdp_close(struct tx_engine *e)
{
	struct afxdp_engine *a = (struct afxdp_engine *)e;

	/* Let queued frames leave before the UMEM goes away. */
	for (int i = 0; i < 100 && a->n_free < a->n_built; i++) {
		kick(a);
		reclaim(a);
		if (a->n_free < a->n_built)
			usleep(1000);
	}
	xsk_socket__delete(a->xsk);
	xsk_umem__delete(a->umem);
	munmap(a->area, (size_t)NUM_FRAMES * FRAME_SIZE);
	free(a);
}

/* The kernel binds zero-copy where the driver offers it, copy mode otherwise. */
static bool zero_copy(int fd)
{
	struct xdp_options opts = { 0 };
	socklen_t len = sizeof(opts);

	return !getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opts, &len) &&
	       (opts.flags & XDP_OPTIONS_ZEROCOPY);
}

int afxdp_engine_open(struct tx_engine **ep, const struct probe_tx_opts *o)
{
	struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE,
		.comp_size = RING_SIZE,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = 0,
		.tx_size = RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	size_t len = (size_t)NUM_FRAMES * FRAME_SIZE;
	struct afxdp_engine *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return -ENOMEM;
	a->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->area == MAP_FAILED) {
		free(a);
		return -ENOMEM;
	}
	err = xsk_umem__create(&a->umem, a->area, len, &a->fill, &a->comp, &ucfg);
	if (err)
		goto err_unmap;
	/* Our XDP matcher owns the interface's hook: the socket only transmits. */
	err = xsk_socket__create(&a->xsk, o->ifname, o->queue, a->umem, NULL, &a->tx, &scfg);
	if (err)
		goto err_umem;
	a->fd = xsk_socket__fd(a->xsk);
	pr_info("afxdp: queue %u of %s in %s mode\n", o->queue, o->ifname,
		zero_copy(a->fd) ? "zero-copy" : "copy");
	a->wide = o->tmpl;
	a->wide.payload_len = PAYLOAD_MAX;
	if (!o->v6 && !frame_build_template(a->area, FRAME_SIZE, &a->wide)) {
		xsk_socket__delete(a->xsk);
		err = -EINVAL;
		goto err_umem;
	}
	a->free_addr[a->n_free++] = 0;
	a->n_built = 1;
	a->base.name = "afxdp";
	a->base.send = afxdp_send;
	a->base.close = afxdp_close;
	*ep = &a->base;
	return 0;

err_umem:
	xsk_umem__delete(a->umem);
err_unmap:
	munmap(a->area, len);
	free(a);
	return err;
}
