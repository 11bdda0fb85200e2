/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Target sets: sorted disjoint intervals after the blocklists, index <-> address by binary
 * search on prefix sums, so a /8 costs no per-address memory. Addresses in host order.
 */
#ifndef ECHOMAP_TARGETS_TARGETS_H
#define ECHOMAP_TARGETS_TARGETS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "names/resolve.h"
#include "targets/expand6.h"
#include "targets/ip6set.h"
#include "targets/ipset.h"

struct target_name {
	__u32 addr;
	char *name;
};

/*
 * IPv6 targets one run takes at most: a prefix or range larger than this is refused as it is
 * read (IPv6 space cannot be swept whole; a hitlist is an @file of addresses).
 */
#define TARGETS6_MAX (1U << 24)

/*
 * Indices [0, count - count6) are the IPv4 intervals' addresses in order, [count - count6,
 * count) the IPv6 intervals' after them: one index space for the result slots and the matcher.
 */
struct target_set {
	struct ip_interval *iv; /* sorted, disjoint, merged */
	size_t n_iv;
	__u64 *before; /* before[i]: addresses in iv[0..i) */
	__u64 count;   /* total addresses, >= 1 */
	struct target_name *names; /* addresses that came from a name, sorted by addr */
	size_t n_names;
	struct target_name6 {
		ip6_t addr;
		char *name;
	} *names6; /* the same for IPv6 addresses */
	size_t n_names6;
	struct ip6_interval *iv6; /* IPv6: sorted, disjoint, merged */
	size_t n_iv6;
	__u64 *before6; /* before6[i]: IPv6 addresses in iv6[0..i) */
	__u64 count6;	/* IPv6 addresses, included in count */
};

struct target_opts {
	bool allow_reserved;	    /* lift the default blocklist */
	const char *blocklist_file; /* extra ranges to remove (same syntax as @file), or NULL */
	const char *allowlist_file; /* if set, keep only addresses in these ranges */
	bool all_addresses;	    /* names: every address, not just the first (prefer.h) */
	int family;		    /* names: AF_INET, AF_INET6 or AF_UNSPEC (both) */
	bool quiet;		    /* no progress line while names resolve */
	const volatile sig_atomic_t *stop; /* set (by a signal) to give up resolving; or NULL */
	struct iid iid;			    /* the addresses of an ADDR/LEN-MAX expansion */
};

/*
 * args: addresses, CIDRs (host bits ignored), a-b ranges, IPv6 expansions (expand6.h: one
 * address per /MAX of ADDR/LEN-MAX, by o->iid), names, @file and - (stdin); files hold
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
/*
 * The targets as given (the arguments, the files they name, the --blocklist and --allowlist
 * files), read once, before names resolve: watch builds its set again from this and the names'
 * current addresses when they move, without reading files that may be half-edited.
 */
struct target_spec {
	struct ip_set set;     /* addresses, CIDRs and ranges; normalized */
	struct ip_set singles; /* the addresses among them given one by one; normalized */
	size_t n_given;	       /* address, CIDR and range tokens */
	char **names;	       /* distinct (case-insensitive), in the order first given */
	size_t n_names;
	struct ip_set blocklist, allowlist; /* the files of o->blocklist_file, allowlist_file */
	struct ip6_set set6, blocklist6, allowlist6; /* the same for IPv6 */
};

/*
 * targets_build in three steps. targets_parse: every argument and list file is read and checked
 * (0, -EINVAL, -ENOMEM). targets_resolve: sp's names into res[0..sp->n_names), each failure
 * reported once and counted (0, -ENOMEM, -EIO, -EINTR). targets_assemble: the set of sp with
 * res[i] the addresses of sp->names[i] (none when res[i].n is 0): 0, -EINVAL (a name's address
 * reserved), -ENOENT, -ENOMEM.
 */
int targets_parse(struct target_spec *sp, char *const *args, int nargs,
		  const struct target_opts *o);
int targets_resolve(const struct target_spec *sp, const struct target_opts *o,
		    struct resolved *res, int *unresolved);
int targets_assemble(struct target_set *ts, const struct target_spec *sp,
		     const struct resolved *res, const struct target_opts *o);
void target_spec_free(struct target_spec *sp);

/* index < ts->count - ts->count6 (an IPv4 target); O(log n_iv). */
__u32 targets_addr(const struct target_set *ts, __u64 index);
/* Whether index is an IPv6 target's. */
static inline bool targets_is6(const struct target_set *ts, __u64 index)
{
	return index >= ts->count - ts->count6;
}
/* An IPv6 target's address (targets_is6), as in the header; O(log n_iv6). */
void targets_addr6(const struct target_set *ts, __u64 index, __u8 addr[16]);
/* The name an address came from (the first given, if several), or NULL. */
const char *targets_name(const struct target_set *ts, __u32 addr);
const char *targets_name6(const struct target_set *ts, const __u8 addr[16]);
void targets_free(struct target_set *ts);

#endif
