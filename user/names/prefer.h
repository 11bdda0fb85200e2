/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which address a dual-stack name is probed at without -m: the one the system would use first.
 * RFC 6724 puts IPv6 before IPv4 and unusable destinations last, and getaddrinfo learns whether
 * a destination is usable by connecting a UDP socket to it. The rule kept here: the name's
 * first IPv6 address if the system has a route to it, else its first IPv4 address.
 */
#ifndef ECHOMAP_NAMES_PREFER_H
#define ECHOMAP_NAMES_PREFER_H

#include <stdbool.h>

#include "names/resolve.h"
#include "targets/ip6set.h"

/* Whether a UDP socket connects to a (no packet is sent): the kernel has a route to it. */
bool route6_usable(ip6_t a);

/*
 * r (one address of each family at most, or of one family: left alone) down to one address:
 * its IPv6 one when usable(it), else its IPv4 one.
 */
void resolved_prefer(struct resolved *r, bool (*usable)(ip6_t a));

#endif
