// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sched.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "tx/queues.h"

int queues_in_use(const char *ifname, unsigned int *rx, unsigned int *tx)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };
	int fd, err = 0;

	*rx = *tx = 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		err = -errno;
	} else {
		/* Drivers count queues with their own interrupt as rx/tx, shared ones as combined. */
		*rx = (ch.rx_count + ch.combined_count) ?: 1;
		*tx = (ch.tx_count + ch.combined_count) ?: 1;
	}
	close(fd);
	return err;
}

int tx_plan(const char *ifname, unsigned int requested, struct tx_plan *plan)
{
	unsigned int ncpu = 0, most;
	cpu_set_t set;
	int err;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int c = 0; c < CPU_SETSIZE && ncpu < TX_THREADS_MAX; c++)
		if (CPU_ISSET(c, &set))
			plan->cpu[ncpu++] = c;
	err = queues_in_use(ifname, &plan->rx_queues, &plan->tx_queues);
	if (err)
		pr_debug("queues of %s unknown (%s): taking one\n", ifname, strerror(-err));
	/*
	 * Never more threads than queues: veth picks the peer's queue by the sending CPU (xdp-live)
	 * or the socket's queue (afxdp), and two threads filling one queue lost a third of their
	 * frames in its ring.
	 */
	most = plan->tx_queues < ncpu ? plan->tx_queues : ncpu;
	plan->threads = requested ?: plan->tx_queues;
	if (plan->threads > most) {
		if (requested)
			pr_warn("--threads %u: %s has %u transmit queue(s) and we may run on %u "
				"CPU(s): using %u\n",
				requested, ifname, plan->tx_queues, ncpu, most);
		plan->threads = most;
	}
	return 0;
}
