// SPDX-License-Identifier: GPL-2.0
/*
 * Send stamps are taken once the engine has room, never before a wait for it: through
 * probe_tx, the afxdp engine runs against a fake kernel (the xsk calls and sendto defined
 * here) that holds completions until every frame is in flight, and the raw engine against a
 * sendmmsg that finds the qdisc or the send buffer full once. Each fake notes the clock when it gives room, after
 * the clock has moved past the moment the engine asked; every probe that leaves afterwards
 * must carry a stamp from after it. Nothing is timed: a stamp taken before the wait is
 * strictly older.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>
#include <cmocka.h>

#include "lib/clock.h"
#include "tx/probe_tx.h"

#define FAKE_FRAMES 4096 /* the engine's UMEM frames */
#define FAKE_RING   2048 /* its TX and completion rings */

/* What the fakes saw: probes that left after room was given, and those stamped before it. */
static struct {
	__u64 room_at; /* 0 until the fake kernel gave room after a wait */
	unsigned int after_room, stamped_early, sent;
} seen;

static void reset_seen(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* The clock once it has moved past now: anything stamped before this call is older. */
static __u64 clock_moved(void)
{
	__u64 t = mono_ns(), now;

	while ((now = mono_ns()) == t)
		;
	return now;
}

static void saw_probe(const __u8 *payload)
{
	__u64 tx_ns;

	memcpy(&tx_ns, payload + offsetof(struct em_payload, tx_ns), sizeof(tx_ns));
	seen.sent++;
	if (!seen.room_at)
		return;
	seen.after_room++;
	if (tx_ns < seen.room_at)
		seen.stamped_early++;
}

/* The fake AF_XDP kernel: rings in plain memory, consumed and completed by sendto. */
static struct {
	__u32 tx_prod, tx_cons, comp_prod, comp_cons, flags;
	struct xdp_desc tx[FAKE_RING];
	__u64 comp[FAKE_RING];
	__u64 in_flight[FAKE_FRAMES]; /* taken from the TX ring, not completed yet */
	unsigned int n_in_flight;
	__u8 *area;
	bool hold; /* complete nothing until every frame is in flight */
} nic;

struct xsk_umem {
	int unused;
};
struct xsk_socket {
	int unused;
};
static struct xsk_umem fake_umem;
static struct xsk_socket fake_xsk;

int xsk_umem__create(struct xsk_umem **umem, void *area, __u64 size, struct xsk_ring_prod *fill,
		     struct xsk_ring_cons *comp, const struct xsk_umem_config *config)
{
	(void)size;
	(void)fill;
	(void)config;
	nic.area = area;
	*comp = (struct xsk_ring_cons){
		.mask = FAKE_RING - 1,
		.size = FAKE_RING,
		.producer = &nic.comp_prod,
		.consumer = &nic.comp_cons,
		.ring = nic.comp,
		.flags = &nic.flags,
	};
	*umem = &fake_umem;
	return 0;
}

int xsk_socket__create(struct xsk_socket **xsk, const char *ifname, __u32 queue_id,
		       struct xsk_umem *umem, struct xsk_ring_cons *rx, struct xsk_ring_prod *tx,
		       const struct xsk_socket_config *config)
{
	(void)ifname;
	(void)queue_id;
	(void)umem;
	(void)rx;
	(void)config;
	nic.flags = XDP_RING_NEED_WAKEUP;
	*tx = (struct xsk_ring_prod){
		.cached_cons = FAKE_RING,
		.mask = FAKE_RING - 1,
		.size = FAKE_RING,
		.producer = &nic.tx_prod,
		.consumer = &nic.tx_cons,
		.ring = nic.tx,
		.flags = &nic.flags,
	};
	*xsk = &fake_xsk;
	return 0;
}

int xsk_socket__fd(const struct xsk_socket *xsk)
{
	(void)xsk;
	return -1;
}

void xsk_socket__delete(struct xsk_socket *xsk)
{
	(void)xsk;
}

int xsk_umem__delete(struct xsk_umem *umem)
{
	(void)umem;
	return 0;
}

static void nic_complete(void)
{
	while (nic.n_in_flight && nic.comp_prod - nic.comp_cons < FAKE_RING)
		nic.comp[nic.comp_prod++ % FAKE_RING] = nic.in_flight[--nic.n_in_flight];
}

/* The kick: takes every descriptor; while holding, gives room only once the engine waits. */
ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	bool took = nic.tx_cons != nic.tx_prod;

	(void)fd;
	(void)buf;
	(void)len;
	(void)flags;
	(void)to;
	(void)tolen;
	for (; nic.tx_cons != nic.tx_prod; nic.tx_cons++) {
		const struct xdp_desc *d = &nic.tx[nic.tx_cons % FAKE_RING];

		saw_probe(nic.area + d->addr + EM_OFF_PAYLOAD);
		nic.in_flight[nic.n_in_flight++] = d->addr;
	}
	if (nic.hold && !took && nic.n_in_flight == FAKE_FRAMES) {
		seen.room_at = clock_moved();
		nic.hold = false;
	}
	if (!nic.hold)
		nic_complete();
	return 0;
}

/*
 * The fake stack: full once, at call number full_at_call, every other call takes all. Full is
 * a full qdisc (ENOBUFS) or a full send buffer, which blocks the call until there is room
 * unless it says MSG_DONTWAIT (EAGAIN).
 */
static struct {
	unsigned int calls, full_at_call;
	bool sndbuf;
} stack;

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	(void)fd;
	if (++stack.calls == stack.full_at_call) {
		seen.room_at = clock_moved();
		if (!stack.sndbuf || flags & MSG_DONTWAIT) {
			errno = stack.sndbuf ? EAGAIN : ENOBUFS;
			return -1;
		}
	}
	/* The first call takes part of the batch, so the rest meets the full stack. */
	if (stack.calls == 1 && vlen > 10)
		vlen = 10;
	for (unsigned int i = 0; i < vlen; i++)
		saw_probe((const __u8 *)vec[i].msg_hdr.msg_iov->iov_base + EM_IP_LEN + EM_ICMP_LEN);
	return vlen;
}

static struct probe_tx *open_tx(enum engine_kind engine)
{
	struct probe_tx_opts o = {
		.engine = engine,
		.ifname = "lo",
		.ifindex = 1,
		.tmpl = { .saddr = htonl(0xc0000201), .ttl = 64, .payload_len = EM_PAYLOAD_LEN },
		.key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
	};
	struct probe_tx *tx = NULL;

	assert_int_equal(probe_tx_open(&tx, &o), 0);
	return tx;
}

static void stage(struct probe_tx *tx, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(probe_tx_stage(tx, htonl(0xc6120000 + i), i, 0), 0);
	assert_int_equal(probe_tx_flush(tx), 0);
}

/* Every frame in flight, none completed: the next batch waits, and its stamp follows the wait. */
static void test_afxdp_stamp_after_frames(void **state)
{
	struct probe_tx *tx;

	(void)state;
	reset_seen();
	memset(&nic, 0, sizeof(nic));
	nic.hold = true;
	tx = open_tx(ENGINE_AFXDP);
	stage(tx, FAKE_FRAMES + 4 * PROBE_BATCH);
	assert_int_equal(seen.sent, FAKE_FRAMES + 4 * PROBE_BATCH);
	assert_int_not_equal(seen.room_at, 0);
	assert_int_equal(seen.stamped_early, 0);
	assert_int_equal(seen.after_room, 4 * PROBE_BATCH);
	probe_tx_close(tx);
}

/* A full qdisc or send buffer after 10 probes of a batch: the other 54 follow it, stamped after. */
static void raw_full_after_10(bool sndbuf)
{
	struct probe_tx *tx;

	reset_seen();
	memset(&stack, 0, sizeof(stack));
	stack.full_at_call = 2;
	stack.sndbuf = sndbuf;
	tx = open_tx(ENGINE_RAW);
	stage(tx, PROBE_BATCH);
	assert_int_equal(seen.sent, PROBE_BATCH);
	assert_int_equal(seen.stamped_early, 0);
	assert_int_equal(seen.after_room, PROBE_BATCH - 10);
	assert_int_equal(stack.calls, 3);
	probe_tx_close(tx);
}

static void test_raw_stamp_after_full_qdisc(void **state)
{
	(void)state;
	if (geteuid())
		skip(); /* a raw socket bound to lo */
	raw_full_after_10(false);
}

/* A blocking send would wait for the buffer after the stamp: the engine must not block. */
static void test_raw_stamp_after_full_sndbuf(void **state)
{
	(void)state;
	if (geteuid())
		skip();
	raw_full_after_10(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_afxdp_stamp_after_frames),
		cmocka_unit_test(test_raw_stamp_after_full_qdisc),
		cmocka_unit_test(test_raw_stamp_after_full_sndbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
