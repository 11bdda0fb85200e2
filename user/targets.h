/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target sets: sorted disjoint intervals after the blocklists, index <-> address by binary
 * search on prefix sums, so a /8 costs no per-address memory. Addresses in host order.
 */
#ifndef ECHOMAP_TARGETS_H
#define ECHOMAP_TARGETS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "blocklist.h"

struct target_name {
	__u32 addr;
	char *name;
};

struct target_set {
	struct ip_interval *iv; /* sorted, disjoint, merged */
	size_t n_iv;
	__u64 *before; /* before[i]: addresses in iv[0..i) */
	__u64 count;   /* total addresses, >= 1 */
	struct target_name *names; /* addresses that came from a name, sorted by addr */
	size_t n_names;
	/* Informational: distinct addresses in the set that were named one by one (a single
	 * address or a name), not as part of a range or CIDR. */
	size_t n_explicit_single;
};

struct target_opts {
	bool allow_reserved;	    /* lift the default blocklist */
	const char *blocklist_file; /* extra ranges to remove (same syntax as @file), or NULL */
	const char *allowlist_file; /* if set, keep only addresses in these ranges */
	bool all_addresses;	    /* names: every A record, not just the first */
	bool quiet;		    /* no progress line while names resolve */
	const volatile sig_atomic_t *stop; /* set (by a signal) to give up resolving; or NULL */
};

/*
 * args: addresses, CIDRs (host bits ignored), a-b ranges, names, @file and - (stdin); files hold
 * one target per line, '#' starts a comment, blank lines are ignored. Syntax is checked for
 * every argument before any name is resolved.
 *
 * Returns 0; -EINVAL after one line naming the bad input (bad token, unreadable file, or a single
 * address or name in the default blocklist without allow_reserved); -ENOENT when nothing is
 * left ("no target resolved" when every target was a name that did not resolve); -ENOMEM;
 * -EINTR when *o->stop was set during resolution; -EIO when the resolver cannot be set up.
 * Names are resolved together, in parallel (resolve.h); those that do not resolve are reported
 * once each with the reason and counted in *unresolved; the rest goes on. Explicit single
 * addresses that --blocklist/--allowlist remove are reported in one line.
 */
int targets_build(struct target_set *ts, char *const *args, int nargs, const struct target_opts *o,
		  int *unresolved);
/* index < ts->count; O(log n_iv). */
__u32 targets_addr(const struct target_set *ts, __u64 index);
/* The name an address came from (the first given, if several), or NULL. */
const char *targets_name(const struct target_set *ts, __u32 addr);
void targets_free(struct target_set *ts);

/* One IPv4 address, CIDR or a-b range into an interval; 0 or -EINVAL. */
int parse_range(const char *s, struct ip_interval *out);

#endif
