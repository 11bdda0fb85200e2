/* SPDX-License-Identifier: GPL-2.0 */
/* Address scopes reported with every result (addresses in host order). */
#ifndef ECHOMAP_TARGETS_SCOPE_H
#define ECHOMAP_TARGETS_SCOPE_H

#include <stdbool.h>
#include <linux/types.h>

#include "targets/ip6set.h"

/* "public", "private" (RFC 1918), "shared" (100.64.0.0/10), "loopback", "link-local",
 * "multicast", or "reserved" (the rest of the default blocklist). */
const char *addr_scope(__u32 addr);
/* In the default blocklist (DESIGN §6)? */
bool addr_reserved(__u32 addr);
/* IPv6: "public", "unique-local" (fc00::/7), "link-local", "loopback", "multicast",
 * "documentation" (2001:db8::/32, 3fff::/20) or "reserved". */
const char *addr_scope6(ip6_t addr);
bool addr_reserved6(ip6_t addr);

#endif
