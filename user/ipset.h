/* SPDX-License-Identifier: GPL-2.0 */
/* Sets of IPv4 addresses as sorted, disjoint, inclusive intervals (host order). */
#ifndef ECHOMAP_IPSET_H
#define ECHOMAP_IPSET_H

#include <stddef.h>
#include <linux/types.h>

struct ip_interval {
	__u32 lo, hi;
};

struct ip_set {
	struct ip_interval *iv;
	size_t n, cap;
};

int ipset_add(struct ip_set *s, __u32 lo, __u32 hi);
/* Sorts and merges overlapping or adjacent intervals. */
void ipset_normalize(struct ip_set *s);
/* Both operands normalized; the result is too. 0 or -ENOMEM. */
int ipset_subtract(struct ip_set *s, const struct ip_set *minus);
int ipset_intersect(struct ip_set *s, const struct ip_set *with);
void ipset_free(struct ip_set *s);

#endif
