// SPDX-License-Identifier: GPL-2.0
#include "scope.h"

#define A(a, b, c, d) (((__u32)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* IANA special-purpose ranges that a sweep must not touch unless told (--allow-reserved). */
const struct ip_prefix default_blocklist[] = {
	{ A(0, 0, 0, 0), 8 },	     { A(127, 0, 0, 0), 8 },	 { A(169, 254, 0, 0), 16 },
	{ A(192, 0, 0, 0), 24 },     { A(192, 0, 2, 0), 24 },	 { A(198, 18, 0, 0), 15 },
	{ A(198, 51, 100, 0), 24 },  { A(203, 0, 113, 0), 24 },	 { A(224, 0, 0, 0), 4 },
	{ A(240, 0, 0, 0), 4 },	     { A(255, 255, 255, 255), 32 },
};
const unsigned int default_blocklist_len = sizeof(default_blocklist) / sizeof(default_blocklist[0]);

static bool in(__u32 addr, __u32 net, unsigned int len)
{
	return len == 0 || (addr >> (32 - len)) == (net >> (32 - len));
}

const char *addr_scope(__u32 a)
{
	if (in(a, A(127, 0, 0, 0), 8))
		return "loopback";
	if (in(a, A(169, 254, 0, 0), 16))
		return "link-local";
	if (in(a, A(224, 0, 0, 0), 4))
		return "multicast";
	if (in(a, A(10, 0, 0, 0), 8) || in(a, A(172, 16, 0, 0), 12) || in(a, A(192, 168, 0, 0), 16))
		return "private";
	if (in(a, A(100, 64, 0, 0), 10))
		return "shared";
	if (addr_reserved(a))
		return "reserved";
	return "public";
}

bool addr_reserved(__u32 a)
{
	for (unsigned int i = 0; i < default_blocklist_len; i++)
		if (in(a, default_blocklist[i].net, default_blocklist[i].len))
			return true;
	return false;
}
