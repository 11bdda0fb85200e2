/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The queues an interface really uses (ethtool channels), and the transmit threads a sweep runs
 * on them: one per transmit queue, each pinned to its own CPU.
 */
#ifndef ECHOMAP_TX_QUEUES_H
#define ECHOMAP_TX_QUEUES_H

#include <linux/types.h>

#define TX_THREADS_MAX 64

struct target_set;

/* A sweep over several threads: what it sends, how fast, on which interface's queues. */
struct sweep_plan {
	const char *ifname;
	unsigned int threads; /* --threads; 0: one per transmit queue */
	const struct target_set *ts;
	__u32 probes; /* rounds per target */
	__u64 rate;   /* probes/s over all threads; 0: unlimited */
};

/*
 * Receive and transmit queues in use on ifname (a veth made without numrxqueues has room for
 * one per CPU but uses one). 0, or -errno when the driver does not say (both are then 1).
 */
int queues_in_use(const char *ifname, unsigned int *rx, unsigned int *tx);

struct tx_plan {
	unsigned int threads;
	unsigned int rx_queues, tx_queues;
	int cpu[TX_THREADS_MAX]; /* thread i runs on cpu[i] */
};

/*
 * Threads for sending on ifname: `requested` (--threads), or 0 for one per transmit queue, at
 * most one per queue and per CPU we may run on (with a warning when requested was more).
 * 0 or -errno.
 */
int tx_plan(const char *ifname, unsigned int requested, struct tx_plan *plan);

#endif
