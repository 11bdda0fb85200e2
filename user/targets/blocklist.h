/* SPDX-License-Identifier: GPL-2.0 */
/* The default blocklist: IANA special-purpose ranges that a sweep leaves out (DESIGN §6). */
#ifndef ECHOMAP_TARGETS_BLOCKLIST_H
#define ECHOMAP_TARGETS_BLOCKLIST_H

#include "targets/ip6set.h"
#include "targets/ipset.h"

struct ip_prefix {
	__u32 net;
	__u8 len;
};

/* Adds the default blocklist to s and normalizes it. 0 or -ENOMEM. */
int blocklist_default(struct ip_set *s);
/*
 * What no run probes, --allow-reserved or not: 255.255.255.255, the limited broadcast (RFC 919),
 * which names no host and has no route. Adds it to s. 0 or -ENOMEM.
 */
int blocklist_never(struct ip_set *s);
#define LIMITED_BROADCAST 0xffffffffU
/* The default-blocklist prefix that holds addr, or NULL. */
const struct ip_prefix *default_blocklist_find(__u32 addr);

struct ip6_prefix {
	__u8 net[16];
	__u8 len;
	const char *scope; /* what addr_scope6() calls an address in it */
};

/* The same for IPv6: the IANA IPv6 special-purpose registry (and multicast). */
int blocklist6_default(struct ip6_set *s);
const struct ip6_prefix *default_blocklist6_find(ip6_t addr);

#endif
