// SPDX-License-Identifier: GPL-2.0
#include "targets/blocklist.h"
#include "targets/scope.h"

static bool in(__u32 addr, __u32 net, unsigned int len)
{
	return (addr >> (32 - len)) == (net >> (32 - len));
}

/* The specific scopes first: loopback, link-local and multicast are also in the blocklist. */
const char *addr_scope(__u32 a)
{
	if (in(a, IPV4(127, 0, 0, 0), 8))
		return "loopback";
	if (in(a, IPV4(169, 254, 0, 0), 16))
		return "link-local";
	if (in(a, IPV4(224, 0, 0, 0), 4))
		return "multicast";
	if (in(a, IPV4(10, 0, 0, 0), 8) || in(a, IPV4(172, 16, 0, 0), 12) ||
	    in(a, IPV4(192, 168, 0, 0), 16))
		return "private";
	if (in(a, IPV4(100, 64, 0, 0), 10))
		return "shared";
	if (addr_reserved(a))
		return "reserved";
	return "public";
}

bool addr_reserved(__u32 a)
{
	return default_blocklist_find(a) != NULL;
}

const char *addr_scope6(ip6_t a)
{
	const struct ip6_prefix *p = default_blocklist6_find(a);

	if (p)
		return p->scope;
	if (a >> 121 == 0xfc >> 1)
		return "unique-local";
	return "public";
}

bool addr_reserved6(ip6_t a)
{
	return default_blocklist6_find(a) != NULL;
}
