// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "map/space.h"

typedef unsigned __int128 u128;

static u128 load128(const __u8 b[16])
{
	u128 a = 0;

	for (int i = 0; i < 16; i++)
		a = a << 8 | b[i];
	return a;
}

static void store128(u128 a, __u8 b[16])
{
	for (int i = 15; i >= 0; i--, a >>= 8)
		b[i] = (__u8)a;
}

static u128 prefix_of(u128 a, unsigned int len)
{
	return len ? a & ~(u128)0 << (128 - len) : 0;
}

void map_geometry6(struct map_geom *g, const __u8 net[16], unsigned int len, unsigned int size)
{
	u128 n = prefix_of(load128(net), len);
	unsigned int shift = len <= 96 ? 96 - len : 0;

	/* Up to /96 the map spans 32 bits after the prefix; past it, the prefix's own last bits. */
	map_geometry(g, (__u32)(n >> shift), len <= 96 ? 0 : len - 96, size);
	g->v6 = true;
	store128(n, g->net6);
	g->len6 = len;
	g->shift6 = shift;
}

const char *map_addr(const struct map_geom *g, const char *s, __u32 *addr, bool *outside)
{
	struct in_addr in;
	__u8 b[16];
	u128 a;

	*outside = false;
	if (inet_pton(AF_INET, s, &in) == 1) {
		*addr = ntohl(in.s_addr);
		*outside = g->v6;
		return NULL;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return "saddr is not an IPv4 or IPv6 address";
	*outside = !g->v6;
	if (!g->v6)
		return NULL;
	a = load128(b);
	*outside = prefix_of(a, g->len6) != load128(g->net6);
	*addr = (__u32)(a >> g->shift6);
	return NULL;
}

unsigned int map_cell_len(const struct map_geom *g)
{
	return (g->v6 ? 128 - g->shift6 : 32) - g->cell_bits;
}

void map_prefix_text(const struct map_geom *g, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	struct in_addr in = { htonl(g->net) };

	if (g->v6)
		inet_ntop(AF_INET6, g->net6, a, sizeof(a));
	else
		inet_ntop(AF_INET, &in, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, g->v6 ? g->len6 : g->len);
}
