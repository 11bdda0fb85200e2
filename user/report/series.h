/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The series of watch mode: what one histogram and one set of metrics describe. A series is a
 * target, or with --aggregate /N,/M every target of one IPv4 /N or IPv6 /M prefix. Target indices
 * follow addresses (IPv4, then IPv6), so each series is a contiguous run of indices.
 */
#ifndef ECHOMAP_REPORT_SERIES_H
#define ECHOMAP_REPORT_SERIES_H

#include <stdbool.h>
#include <linux/types.h>

#include "targets/ip6set.h"
#include "targets/targets.h"

/*
 * Bounds the kernel memory (1.6 KiB per series: 410 MiB at the bound) and the metric
 * cardinality; 100,000 targets at a 1 s interval each have their own.
 */
#define SERIES_MAX 262144

struct series {
	__u32 addr;	 /* host order: the target, or the prefix's network address */
	bool v6;	 /* an IPv6 series: */
	ip6_t addr6;	 /* its target, or its prefix's network address (addr is 0) */
	__u64 first;	 /* its first target index */
	__u64 n_targets; /* targets in it */
	char id[52];	 /* "198.18.0.1", "198.18.0.0/24", "2001:db8::1" or "2001:db8::/64" */
	/* target="...",name="...",scope="...",family="ipv4" (or "ipv6"), escaped for Prometheus */
	char *labels;
};

/* A label added to every series of a group: name checked by prom_label_name_problem(). */
struct prom_label {
	char *name;
	char *value;
};

struct series_set {
	struct series *v;
	__u32 n;
	__u32 n4;      /* v[0..n4) are the IPv4 series, v[n4..n) the IPv6 ones (indices follow) */
	int agg_len;   /* IPv4 prefix length, or -1: one series per target */
	int agg_len6;  /* the same for IPv6 */
	__u32 *addrs;  /* v[i].addr, as the loader takes them */
	ip6_t *addrs6; /* v[i].addr6 */
};

/*
 * agg_len -1 or 0..32, agg_len6 -1 or 0..128. 0; -E2BIG after one pr_warn line when there would
 * be more than SERIES_MAX series; -ENOMEM.
 */
int series_build(struct series_set *ss, const struct target_set *ts, int agg_len, int agg_len6);
/* Whether series i aggregates targets (a prefix), as its family's prefix length says. */
static inline bool series_is_prefix(const struct series_set *ss, __u32 i)
{
	return (ss->v[i].v6 ? ss->agg_len6 : ss->agg_len) >= 0;
}
/* Orders series of two sets as series_build orders them (IPv4 first): <0, 0 (the same), >0. */
int series_cmp(const struct series *a, const struct series *b);
/* The series of a target index (< ts->count); O(log n). */
/* Puts name="value" (escaped) first in every series' labels; 0 or -ENOMEM. */
int series_add_label(struct series_set *ss, const char *name, const char *value);
__u32 series_of(const struct series_set *ss, __u64 index);
void series_free(struct series_set *ss);

/*
 * Adds name="value" (escaped) to s's labels, in the order given. 0 or -ENOMEM. Label names are
 * checked before (a file's are when it is read).
 */
int series_add_labels(struct series *s, const struct prom_label *l, unsigned int n);
/*
 * NULL if name may be the name of a label added to our series; otherwise why not: Prometheus'
 * rules ([a-zA-Z_][a-zA-Z0-9_]*, "__" reserved) and the names echomap's series carry already.
 */
const char *prom_label_name_problem(const char *name);

/* Appends s to buf as a Prometheus label value (backslash, quote and newline escaped). */
size_t prom_escape(char *buf, size_t len, const char *s);

#endif
