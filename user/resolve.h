/* SPDX-License-Identifier: GPL-2.0 */
/* Host names to IPv4 addresses, in the order /etc/nsswitch.conf gives (files, then dns). */
#ifndef ECHOMAP_RESOLVE_H
#define ECHOMAP_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Host-order addresses, deduplicated, in resolver order; the first only unless all. On error a
 * negative code and *reason, a static message. */
int resolve_name(const char *name, bool all, __u32 **addrs, size_t *n, const char **reason);

#endif
