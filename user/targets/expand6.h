/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prefix expansion as xmap writes it: 2001:db8::/32-64 is one address in each /64 of the /32,
 * the bits below the /64 (the interface identifier) chosen by --iid.
 */
#ifndef ECHOMAP_TARGETS_EXPAND6_H
#define ECHOMAP_TARGETS_EXPAND6_H

#include <linux/types.h>

#include "targets/ip6set.h"

enum iid_mode {
	IID_LOW,    /* ::1, xmap's default */
	IID_ZERO,   /* the prefix's first address */
	IID_FULL,   /* every host bit set: its last */
	IID_RANDOM, /* a different one in each prefix, fixed by the seed */
	IID_FIXED,  /* the same given bits in each prefix */
};

struct iid {
	enum iid_mode mode;
	ip6_t fixed; /* IID_FIXED */
	__u64 seed;  /* IID_RANDOM */
};

/* low, zero, full, random or an IPv6 suffix (::abcd) into *out: 0, or -EINVAL. */
int iid_parse(const char *s, struct iid *out);

/*
 * Whether s is ADDR/LEN-MAX: 1 when it is not of that form (a '-' after the '/'), 0 with the
 * prefix, its length and the expansion's length, -EINVAL with *why when it is but is wrong
 * (lengths out of order, more than max_out prefixes). *why may point to a static buffer.
 */
int expand6_parse(const char *s, ip6_t *net, unsigned int *len, unsigned int *max, __u64 max_out,
		  const char **why);

/* The address iid gives in the /max prefix that starts at prefix. */
ip6_t expand6_addr(const struct iid *iid, ip6_t prefix, unsigned int max);

/*
 * One address in each /max prefix inside net/len into s (unnormalized): 0, -ENOMEM, or -EINVAL
 * with *why when a fixed IID has bits above the /max prefix's host part.
 */
int expand6_add(struct ip6_set *s, ip6_t net, unsigned int len, unsigned int max,
		const struct iid *iid, const char **why);

#endif
