/* SPDX-License-Identifier: GPL-2.0 */
/* What a driver says it can do with XDP frames: the netdev generic netlink family (Linux 6.3). */
#ifndef ECHOMAP_KERNEL_XDP_FEATURES_H
#define ECHOMAP_KERNEL_XDP_FEATURES_H

#include <linux/types.h>

/* enum netdev_xdp_act of <linux/netdev.h>, newer than the headers we build against. */
#define XDP_FEAT_BASIC	  (1ULL << 0)
#define XDP_FEAT_REDIRECT (1ULL << 1)
#define XDP_FEAT_NDO_XMIT (1ULL << 2) /* takes XDP frames to transmit (ndo_xdp_xmit) */

/*
 * The XDP features of ifindex into *features. 0, -EOPNOTSUPP when the kernel cannot tell
 * (before 6.3), or another -errno. Quiet: callers decide what an unknown answer means.
 */
int xdp_features(int ifindex, __u64 *features);

#endif
