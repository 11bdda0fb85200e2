/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sets of IPv6 addresses as inclusive intervals: ipset.h for 128-bit addresses, held as
 * numbers (the address's 16 bytes read big-endian), so that intervals sort and subtract alike.
 */
#ifndef ECHOMAP_TARGETS_IP6SET_H
#define ECHOMAP_TARGETS_IP6SET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

typedef unsigned __int128 ip6_t;

struct ip6_interval {
	ip6_t lo, hi; /* inclusive */
};

struct ip6_set {
	struct ip6_interval *iv;
	size_t n, cap;
};

/* The address as it appears in the header, and back. */
ip6_t ip6_load(const __u8 b[16]);
void ip6_store(ip6_t a, __u8 b[16]);
/* The first address of the prefix of length len (0..128) that holds a, and its last. */
ip6_t ip6_prefix_lo(ip6_t a, unsigned int len);
ip6_t ip6_prefix_hi(ip6_t a, unsigned int len);

/* As ipset.h: add (unsorted until normalized), normalize, subtract, intersect, count. */
int ip6set_add(struct ip6_set *s, ip6_t lo, ip6_t hi);
void ip6set_normalize(struct ip6_set *s);
int ip6set_subtract(struct ip6_set *s, const struct ip6_set *minus);
int ip6set_intersect(struct ip6_set *s, const struct ip6_set *with);
bool ip6set_contains(const struct ip6_set *s, ip6_t addr);
/* Number of addresses, saturated at UINT64_MAX. */
__u64 ip6set_count(const struct ip6_set *s);
int ip6set_copy(struct ip6_set *dst, const struct ip6_set *src);
void ip6set_free(struct ip6_set *s);

#endif
