// SPDX-License-Identifier: GPL-2.0
/* Per-range route lookups of a target set, folded into its distinct paths. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "tx/routes.h"

struct build {
	struct routes *r;
	const char *ifname;
	int timeout_ms;
	size_t cap_paths, cap_ranges;
	unsigned int lookups;
};

static bool same_path(const struct next_hop *a, const struct next_hop *b)
{
	return a->ifindex == b->ifindex && a->saddr == b->saddr && a->on_link == b->on_link &&
	       a->v6 == b->v6 && !memcmp(a->saddr6, b->saddr6, sizeof(a->saddr6)) &&
	       (a->on_link || !memcmp(a->dst_mac, b->dst_mac, sizeof(a->dst_mac)));
}

/* The path index of nh, adding it if it is new; -errno. */
static long path_add(struct build *b, const struct next_hop *nh)
{
	struct routes *r = b->r;

	for (unsigned int i = 0; i < r->n_paths; i++)
		if (same_path(&r->paths[i], nh))
			return i;
	if (r->n_paths == b->cap_paths) {
		size_t cap = b->cap_paths ? 2 * b->cap_paths : 4;
		struct next_hop *p = realloc(r->paths, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->paths = p;
		b->cap_paths = cap;
	}
	r->paths[r->n_paths] = *nh;
	return r->n_paths++;
}

/* The path index of addr's route, adding the path if it is new; -errno. */
static long path_of(struct build *b, __u32 addr)
{
	struct next_hop nh;
	int err;

	b->lookups++;
	err = netif_next_hop(htonl(addr), b->ifname, b->timeout_ms, &nh);
	return err ?: path_add(b, &nh);
}

/* IPv6 intervals, each by its first address's route; past the lookups, the last one's. */
static int build6(struct build *b, const struct target_set *ts)
{
	struct routes *r = b->r;
	struct next_hop nh;
	long path = -1;
	__u8 a[16];
	int err;

	if (!ts->n_iv6)
		return 0;
	r->ranges6 = calloc(ts->n_iv6, sizeof(*r->ranges6));
	if (!r->ranges6)
		return -ENOMEM;
	for (size_t i = 0; i < ts->n_iv6; i++) {
		if (path < 0 || b->lookups < ROUTES_MAX_LOOKUPS) {
			b->lookups++;
			ip6_store(ts->iv6[i].lo, a);
			err = netif_next_hop6(a, b->ifname, b->timeout_ms, &nh);
			if (err)
				return err;
			path = path_add(b, &nh);
			if (path < 0)
				return path;
		}
		r->ranges6[i] = (struct route_range6){ ts->iv6[i].lo, ts->iv6[i].hi, path };
	}
	r->n_ranges6 = ts->n_iv6;
	return 0;
}

static int add_range(struct build *b, __u32 lo, __u32 hi, unsigned int path)
{
	struct routes *r = b->r;
	struct route_range *last = r->n_ranges ? &r->ranges[r->n_ranges - 1] : NULL;

	if (last && last->path == path && last->hi + 1 == lo) {
		last->hi = hi;
		return 0;
	}
	if (r->n_ranges == b->cap_ranges) {
		size_t cap = b->cap_ranges ? 2 * b->cap_ranges : 16;
		struct route_range *p = realloc(r->ranges, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->ranges = p;
		b->cap_ranges = cap;
	}
	r->ranges[r->n_ranges++] = (struct route_range){ .lo = lo, .hi = hi, .path = path };
	return 0;
}

/* [lo, hi] whose ends have the paths plo and phi. */
static int split(struct build *b, __u32 lo, __u32 hi, long plo, long phi)
{
	__u32 mid;
	long pmid;
	int err;

	if (plo == phi || lo == hi || b->lookups >= ROUTES_MAX_LOOKUPS)
		return add_range(b, lo, hi, plo);
	mid = lo + (hi - lo) / 2;
	pmid = path_of(b, mid);
	if (pmid < 0)
		return pmid;
	err = split(b, lo, mid, plo, pmid);
	if (err)
		return err;
	if (mid + 1 == hi)
		return add_range(b, hi, hi, phi);
	pmid = path_of(b, mid + 1);
	return pmid < 0 ? pmid : split(b, mid + 1, hi, pmid, phi);
}

int routes_build(struct routes *r, const struct target_set *ts, const char *ifname,
		 int timeout_ms)
{
	struct build b = { .r = r, .ifname = ifname, .timeout_ms = timeout_ms };
	long plo, phi;
	int err = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ts->n_iv && !err; i++) {
		const struct ip_interval *iv = &ts->iv[i];

		if (i && b.lookups >= ROUTES_MAX_LOOKUPS) {
			err = add_range(&b, iv->lo, iv->hi, 0);
			continue;
		}
		plo = path_of(&b, iv->lo);
		phi = plo < 0 || iv->hi == iv->lo ? plo : path_of(&b, iv->hi);
		err = plo < 0 ? plo : phi < 0 ? phi : split(&b, iv->lo, iv->hi, plo, phi);
	}
	err = err ?: build6(&b, ts);
	if (err) {
		if (err == -ENOMEM)
			pr_warn("out of memory for the routes\n");
		routes_free(r);
		return err;
	}
	if (b.lookups >= ROUTES_MAX_LOOKUPS)
		pr_info("routes looked up for the first %u ranges only: the rest take the first "
			"target's\n", ROUTES_MAX_LOOKUPS);
	return 0;
}

bool routes_same_paths(const struct routes *a, const struct routes *b)
{
	if (a->n_paths != b->n_paths)
		return false;
	for (unsigned int i = 0; i < a->n_paths; i++)
		if (!same_path(&a->paths[i], &b->paths[i]))
			return false;
	return true;
}

bool routes_same(const struct routes *a, const struct routes *b)
{
	if (!routes_same_paths(a, b) || a->n_ranges != b->n_ranges)
		return false;
	for (size_t i = 0; i < a->n_ranges; i++)
		if (a->ranges[i].lo != b->ranges[i].lo || a->ranges[i].hi != b->ranges[i].hi ||
		    a->ranges[i].path != b->ranges[i].path)
			return false;
	return true;
}

bool routes_gateway_moved(const struct routes *r)
{
	__u8 mac[6];

	for (unsigned int i = 0; i < r->n_paths; i++)
		if (!r->paths[i].on_link && !netif_gateway_mac(&r->paths[i], mac) &&
		    memcmp(mac, r->paths[i].dst_mac, sizeof(mac)))
			return true;
	return false;
}

unsigned int routes_path(const struct routes *r, __u32 daddr)
{
	size_t lo = 0, hi = r->n_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (daddr < r->ranges[mid].lo)
			hi = mid;
		else if (daddr > r->ranges[mid].hi)
			lo = mid + 1;
		else
			return r->ranges[mid].path;
	}
	return 0;
}

unsigned int routes_path6(const struct routes *r, const __u8 daddr[16])
{
	ip6_t a = ip6_load(daddr);
	size_t lo = 0, hi = r->n_ranges6;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a < r->ranges6[mid].lo)
			hi = mid;
		else if (a > r->ranges6[mid].hi)
			lo = mid + 1;
		else
			return r->ranges6[mid].path;
	}
	return r->n_ranges6 ? r->ranges6[0].path : 0;
}

void routes_free(struct routes *r)
{
	free(r->paths);
	free(r->ranges);
	free(r->ranges6);
	memset(r, 0, sizeof(*r));
}
