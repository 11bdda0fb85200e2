/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which way each target leaves: the route (interface, gateway MAC, source address) of every
 * range of the target set, looked up at start, and the few distinct paths they come to.
 */
#ifndef ECHOMAP_TX_ROUTES_H
#define ECHOMAP_TX_ROUTES_H

#include <stdbool.h>
#include <linux/types.h>

#include "kernel/netif.h"
#include "targets/targets.h"

/* Looked up per range at most this often: a set split finer keeps the first target's route. */
#define ROUTES_MAX_LOOKUPS 4096

struct route_range {
	__u32 lo, hi; /* inclusive, host order */
	unsigned int path;
};

struct route_range6 {
	ip6_t lo, hi;
	unsigned int path;
};

struct routes {
	struct next_hop *paths; /* distinct (interface, gateway MAC, source); paths[0]: target 0's */
	unsigned int n_paths;
	struct route_range *ranges; /* sorted, disjoint */
	size_t n_ranges;
	struct route_range6 *ranges6; /* IPv6: one per interval of the set, sorted */
	size_t n_ranges6;
};

/*
 * Looks up the route of each interval of ts, at both ends (IPv6 intervals: at their first
 * address, a hitlist's addresses being intervals of one); an interval whose ends differ is
 * halved until each piece has one route at both ends (routes are prefixes: a more specific
 * route strictly inside a piece is not seen). ifname: pinned interface, or NULL. 0 or -errno
 * after one pr_warn line (see netif_next_hop).
 */
int routes_build(struct routes *r, const struct target_set *ts, const char *ifname,
		 int timeout_ms);
/* The same paths (interface, gateway MAC, source) in the same order. */
bool routes_same_paths(const struct routes *a, const struct routes *b);
/* The same paths, and every range on the same one. */
bool routes_same(const struct routes *a, const struct routes *b);
/*
 * Whether the neighbour table now has another MAC for one of r's gateways (a failover, a
 * replaced router) while the routes stay: a lookup per path, not per range. A gateway without
 * a usable entry (being resolved again) has not moved.
 */
bool routes_gateway_moved(const struct routes *r);
/* The path of daddr (host order); 0 for an address outside every range. */
unsigned int routes_path(const struct routes *r, __u32 daddr);
/* The path of an IPv6 target (as in the header); the first IPv6 path outside every range. */
unsigned int routes_path6(const struct routes *r, const __u8 daddr[16]);
void routes_free(struct routes *r);

#endif
