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
