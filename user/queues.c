// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "queues.h"

int netif_queues(const char *ifname, unsigned int *rx, unsigned int *tx)
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
