// SPDX-License-Identifier: GPL-2.0
#include "targets/blocklist.h"

/*
 * IANA special-purpose ranges that are not meant to be swept. Private (RFC 1918) and shared
 * (RFC 6598) space stays allowed: LANs and carrier networks are a main use.
 */
static const struct ip_prefix default_blocklist[] = {
	{ IPV4(0, 0, 0, 0), 8 },          /* "this network", RFC 791 */
	{ IPV4(127, 0, 0, 0), 8 },        /* loopback, RFC 1122 */
	{ IPV4(169, 254, 0, 0), 16 },     /* link local, RFC 3927 */
	{ IPV4(192, 0, 0, 0), 24 },       /* IETF protocol assignments, RFC 6890 */
	{ IPV4(192, 0, 2, 0), 24 },       /* TEST-NET-1, RFC 5737 */
	{ IPV4(198, 18, 0, 0), 15 },      /* benchmarking, RFC 2544 */
	{ IPV4(198, 51, 100, 0), 24 },    /* TEST-NET-2, RFC 5737 */
	{ IPV4(203, 0, 113, 0), 24 },     /* TEST-NET-3, RFC 5737 */
	{ IPV4(224, 0, 0, 0), 4 },        /* multicast, RFC 5771 */
	{ IPV4(240, 0, 0, 0), 4 },        /* reserved, RFC 1112 */
	{ IPV4(255, 255, 255, 255), 32 }, /* limited broadcast, RFC 919 */
};

#define N_DEFAULT (sizeof(default_blocklist) / sizeof(default_blocklist[0]))

static __u32 prefix_mask(__u8 len)
{
	return len ? ~0U << (32 - len) : 0;
}

int blocklist_default(struct ip_set *s)
{
	for (size_t i = 0; i < N_DEFAULT; i++) {
		const struct ip_prefix *p = &default_blocklist[i];
		int err = ipset_add(s, p->net, p->net | ~prefix_mask(p->len));

		if (err)
			return err;
	}
	ipset_normalize(s);
	return 0;
}

int blocklist_never(struct ip_set *s)
{
	return ipset_add(s, LIMITED_BROADCAST, LIMITED_BROADCAST);
}

/* The longest match, so 255.255.255.255 is named as broadcast rather than as 240.0.0.0/4. */
const struct ip_prefix *default_blocklist_find(__u32 addr)
{
	const struct ip_prefix *best = NULL;

	for (size_t i = 0; i < N_DEFAULT; i++) {
		const struct ip_prefix *p = &default_blocklist[i];

		if ((addr & prefix_mask(p->len)) == p->net && (!best || p->len > best->len))
			best = p;
	}
	return best;
}

#define V6(...) { __VA_ARGS__ }

/*
 * The IANA IPv6 special-purpose registry, less what is globally reachable and meant to be
 * probed (64:ff9b::/96, NAT64 to public IPv4) and unique-local space (fc00::/7), which is to
 * IPv6 what RFC 1918 space is to IPv4; multicast besides, as for IPv4.
 */
static const struct ip6_prefix default_blocklist6[] = {
	{ V6(0), 128, "reserved" },			       /* unspecified, RFC 4291 */
	{ V6([15] = 1), 128, "loopback" },		       /* RFC 4291 */
	{ V6([10] = 0xff, [11] = 0xff), 96, "reserved" },      /* IPv4-mapped, RFC 4291 */
	{ V6(0, 0x64, 0xff, 0x9b, 0, 1), 48, "reserved" },     /* local NAT64, RFC 8215 */
	{ V6(1, 0), 64, "reserved" },			       /* discard-only, RFC 6666 */
	{ V6(0x20, 0x01), 23, "reserved" },		       /* IETF protocol, RFC 2928 */
	{ V6(0x20, 0x01, 0x0d, 0xb8), 32, "documentation" }, /* RFC 3849 */
	{ V6(0x20, 0x02), 16, "reserved" },		       /* 6to4, RFC 3056 */
	{ V6(0x3f, 0xff), 20, "documentation" },	       /* RFC 9637 */
	{ V6(0x5f, 0x00), 16, "reserved" },		       /* SRv6 SIDs, RFC 9602 */
	{ V6(0xfe, 0x80), 10, "link-local" },		       /* RFC 4291 */
	{ V6(0xff), 8, "multicast" },			       /* RFC 4291 */
};

#define N_DEFAULT6 (sizeof(default_blocklist6) / sizeof(default_blocklist6[0]))

int blocklist6_default(struct ip6_set *s)
{
	for (size_t i = 0; i < N_DEFAULT6; i++) {
		const struct ip6_prefix *p = &default_blocklist6[i];
		ip6_t net = ip6_load(p->net);
		int err = ip6set_add(s, net, ip6_prefix_hi(net, p->len));

		if (err)
			return err;
	}
	ip6set_normalize(s);
	return 0;
}

const struct ip6_prefix *default_blocklist6_find(ip6_t addr)
{
	const struct ip6_prefix *best = NULL;

	for (size_t i = 0; i < N_DEFAULT6; i++) {
		const struct ip6_prefix *p = &default_blocklist6[i];

		if (ip6_prefix_lo(addr, p->len) == ip6_load(p->net) &&
		    (!best || p->len > best->len))
			best = p;
	}
	return best;
}
