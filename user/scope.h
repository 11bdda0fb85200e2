/* SPDX-License-Identifier: GPL-2.0 */
/* Address scopes and the IANA special-purpose ranges (addresses in host order). */
#ifndef ECHOMAP_SCOPE_H
#define ECHOMAP_SCOPE_H

#include <stdbool.h>
#include <linux/types.h>

/* "public", "private", "shared", "loopback", "link-local", "multicast" or "reserved" */
const char *addr_scope(__u32 addr);
/* In the default blocklist (DESIGN §6)? */
bool addr_reserved(__u32 addr);

struct ip_prefix {
	__u32 net;
	__u8 len;
};

extern const struct ip_prefix default_blocklist[];
extern const unsigned int default_blocklist_len;

#endif
