/* SPDX-License-Identifier: GPL-2.0 */
/* Host names to IPv4 addresses through glibc's getaddrinfo, so /etc/nsswitch.conf applies. */
#ifndef ECHOMAP_RESOLVE_H
#define ECHOMAP_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * Host-order addresses, deduplicated, in resolver order; only the first unless all. Returns 0 and
 * a malloc'd array of *n >= 1 addresses, or a negative errno with *reason set to a static
 * message (gai_strerror's).
 */
int resolve_name(const char *name, bool all, __u32 **addrs, size_t *n, const char **reason);

#endif
