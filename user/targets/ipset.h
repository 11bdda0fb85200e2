/* SPDX-License-Identifier: GPL-2.0 */
/* Sets of IPv4 addresses as inclusive intervals (host order): what every target set is made of. */
#ifndef ECHOMAP_TARGETS_IPSET_H
#define ECHOMAP_TARGETS_IPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* a.b.c.d in host order, for tables */
#define IPV4(a, b, c, d) \
	(((__u32)(a) << 24) | ((__u32)(b) << 16) | ((__u32)(c) << 8) | (__u32)(d))

struct ip_interval {
	__u32 lo, hi; /* inclusive, host order */
};

struct ip_set {
	struct ip_interval *iv;
	size_t n, cap;
};

/* Appends [lo, hi] (lo <= hi); the set is unsorted until ipset_normalize(). 0 or -ENOMEM. */
int ipset_add(struct ip_set *s, __u32 lo, __u32 hi);
/* Sorts and merges overlapping or adjacent intervals. */
void ipset_normalize(struct ip_set *s);
/* Both operands normalized, and the result is too. 0, or -ENOMEM with s unchanged. */
int ipset_subtract(struct ip_set *s, const struct ip_set *minus);
int ipset_intersect(struct ip_set *s, const struct ip_set *with);
/* s normalized: binary search. */
bool ipset_contains(const struct ip_set *s, __u32 addr);
/* Number of addresses in a normalized set (up to 2^32). */
__u64 ipset_count(const struct ip_set *s);
void ipset_free(struct ip_set *s);

#endif
