/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target sets: sorted disjoint intervals after the blocklists, index <-> address by binary
 * search on prefix sums, so a /8 costs no per-address memory. Addresses in host order.
 */
#ifndef ECHOMAP_TARGETS_H
#define ECHOMAP_TARGETS_H

#include <stdbool.h>

#include "ipset.h"

struct target_name {
	__u32 addr;
	char *name;
};

struct target_set {
	struct ip_set set;
	__u64 *before; /* before[i]: addresses in set.iv[0..i) */
	__u64 count;
	struct target_name *names; /* sorted by addr */
	size_t n_names;
};

struct target_opts {
	bool allow_reserved;
	const char *blocklist_file;
	const char *allowlist_file;
	bool all_addresses;
};

/*
 * Parses addresses, CIDRs, a-b ranges, names, @file and - (stdin). Returns 0, -EINVAL after
 * one line naming the bad input, or -ENOENT when nothing is left. Names that do not resolve are
 * reported once each and counted in *unresolved; the rest goes on.
 */
int targets_build(struct target_set *ts, char *const *args, int nargs, const struct target_opts *o,
		  int *unresolved);
__u32 targets_addr(const struct target_set *ts, __u64 index);
/* The name an address came from, or NULL. */
const char *targets_name(const struct target_set *ts, __u32 addr);
void targets_free(struct target_set *ts);

/* One address, CIDR or range; on -EINVAL *why says what is wrong. */
int parse_range(const char *s, struct ip_interval *out, const char **why);

#endif
