// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "names/names.h"

/* A log line names this many addresses of a name at most, then how many more. */
#define LOG_ADDRS 4

static enum name_outcome outcome_of(const struct resolved *r)
{
	if (r->n)
		return r->files ? OUTCOME_FILES : OUTCOME_DNS;
	return nss_status_of(r->status) == NSS_NOTFOUND ? OUTCOME_NOTFOUND : OUTCOME_TRYAGAIN;
}

/* "198.18.0.5 198.18.0.6", "none", or the first LOG_ADDRS and "and N more". */
static const char *fmt_addrs(const struct resolved *r, char *buf, size_t len)
{
	size_t off = 0;

	if (!r->n)
		return "none";
	for (size_t i = 0; i < r->n && i < LOG_ADDRS; i++) {
		__u32 na = htonl(r->addrs[i]);
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &na, a, sizeof(a));
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", a);
	}
	if (r->n > LOG_ADDRS)
		snprintf(buf + off, len - off, " and %zu more", r->n - LOG_ADDRS);
	return buf;
}

static bool has_addr(const struct resolved *r, __u32 a)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->addrs[i] == a)
			return true;
	return false;
}

/* The same addresses, in any order: round-robin DNS rotates them at every answer. */
static bool same_addrs(const struct resolved *a, const struct resolved *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!has_addr(b, a->addrs[i]))
			return false;
	return true;
}

/*
 * Without -m a name is probed at one address, the first of the answer. Refreshes ask for every
 * address, so that the one probed now is kept while the name still has it: round-robin DNS
 * would otherwise move the name to another address, and its series to another label, at every
 * answer.
 */
static void keep_one(struct resolved *r, const struct resolved *cur)
{
	if (r->n > 1 && cur->n && has_addr(r, cur->addrs[0]))
		r->addrs[0] = cur->addrs[0];
	if (r->n > 1)
		r->n = 1;
}

static int cmp_by_name(const void *x, const void *y, void *names)
{
	char *const *n = names;

	return strcasecmp(n[*(const size_t *)x], n[*(const size_t *)y]);
}

/* The index in old of name, through by (old's indices sorted by name); -1 if it is not there. */
static ssize_t find_name(const struct name_table *old, const size_t *by, const char *name)
{
	size_t lo = 0, hi = old->spec.n_names;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(old->spec.names[by[mid]], name);

		if (!c)
			return by[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* A SIGHUP must not drop what a passing outage hides: keep old's addresses for those names. */
static int carry(struct name_table *t, const struct name_table *old)
{
	size_t *by = malloc((old->spec.n_names ?: 1) * sizeof(*by));
	char buf[256];

	if (!by)
		return -ENOMEM;
	for (size_t i = 0; i < old->spec.n_names; i++)
		by[i] = i;
	qsort_r(by, old->spec.n_names, sizeof(*by), cmp_by_name, old->spec.names);
	for (size_t i = 0; i < t->spec.n_names; i++) {
		struct resolved *r = &t->res[i];
		const struct resolved *o;
		ssize_t j;

		if (t->sched[i].state != NAME_FAILING)
			continue;
		j = find_name(old, by, t->spec.names[i]);
		if (j < 0 || !old->res[j].n)
			continue;
		o = &old->res[j];
		r->addrs = malloc(o->n * sizeof(*r->addrs));
		if (!r->addrs) {
			free(by);
			return -ENOMEM;
		}
		memcpy(r->addrs, o->addrs, o->n * sizeof(*r->addrs));
		r->n = o->n;
		pr_warn("%s: still probing %s, asking again in %u s\n", t->spec.names[i],
			fmt_addrs(r, buf, sizeof(buf)), t->sched[i].retry_s);
	}
	free(by);
	return 0;
}

int names_init(struct name_table *t, struct target_spec *spec, struct resolved *res, bool all,
	       const struct name_table *old, __u64 now_ns)
{
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	t->res = res;
	t->all = all;
	t->sched = calloc(t->spec.n_names ?: 1, sizeof(*t->sched));
	if (!t->sched) {
		names_free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->spec.n_names; i++)
		refresh_update(&t->sched[i], outcome_of(&res[i]), res[i].ttl, now_ns);
	if (old)
		err = carry(t, old);
	if (err)
		names_free(t);
	return err;
}

struct name_batch *names_due(const struct name_table *t, __u64 horizon_ns)
{
	struct name_batch *b;
	size_t n = 0;

	for (size_t i = 0; i < t->spec.n_names; i++)
		n += refresh_due(&t->sched[i], horizon_ns);
	if (!n)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->idx = malloc(n * sizeof(*b->idx));
	b->names = calloc(n, sizeof(*b->names));
	b->res = calloc(n, sizeof(*b->res));
	if (!b->idx || !b->names || !b->res) {
		name_batch_free(b);
		return NULL;
	}
	for (size_t i = 0; i < t->spec.n_names; i++) {
		if (!refresh_due(&t->sched[i], horizon_ns))
			continue;
		b->idx[b->n] = i;
		b->names[b->n] = strdup(t->spec.names[i]);
		if (!b->names[b->n++]) {
			name_batch_free(b);
			return NULL;
		}
	}
	return b;
}

/* One name's answer r (moved out) into the table at i. */
static void apply_one(struct name_table *t, size_t i, struct resolved *r, __u64 now_ns)
{
	const char *name = t->spec.names[i];
	struct resolved *cur = &t->res[i];
	struct name_sched *s = &t->sched[i];
	enum name_outcome o = outcome_of(r);
	char was[256], now[256];
	bool changed = refresh_update(s, o, r->ttl, now_ns);

	switch (o) {
	case OUTCOME_DNS:
	case OUTCOME_FILES:
		/* An SRV name is every address of its targets. */
		if (!t->all && !is_srv_name(name))
			keep_one(r, cur);
		if (!same_addrs(cur, r)) {
			pr_notice("%s: %s -> %s\n", name, fmt_addrs(cur, was, sizeof(was)),
				  fmt_addrs(r, now, sizeof(now)));
			resolved_free(cur, 1);
			*cur = *r;
			memset(r, 0, sizeof(*r));
			t->dirty = true;
		} else if (changed) {
			pr_notice("%s: resolves again: %s\n", name,
				  fmt_addrs(cur, was, sizeof(was)));
		}
		break;
	case OUTCOME_TRYAGAIN:
		/* The addresses stay: a server's outage says nothing about where the host is. */
		if (changed && cur->n)
			pr_warn("%s: %s: still probing %s, asking again in %u s\n", name, r->reason,
				fmt_addrs(cur, was, sizeof(was)), s->retry_s);
		else if (changed)
			pr_warn("%s: %s: asking again in %u s\n", name, r->reason, s->retry_s);
		else
			pr_debug("%s: %s (again): asking again in %u s\n", name, r->reason,
				 s->retry_s);
		break;
	case OUTCOME_NOTFOUND:
		if (cur->n) {
			pr_warn("%s: %s -> none (%s)\n", name, fmt_addrs(cur, was, sizeof(was)),
				r->reason);
			resolved_free(cur, 1);
			t->dirty = true;
		} else if (changed) {
			pr_warn("%s: %s: asking again in %u s\n", name, r->reason, s->retry_s);
		}
		break;
	}
	resolved_free(r, 1);
}

void names_apply(struct name_table *t, struct name_batch *b, __u64 now_ns)
{
	for (size_t i = 0; i < b->n; i++)
		apply_one(t, b->idx[i], &b->res[i], now_ns);
}

void name_batch_free(struct name_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; b->names && i < b->n; i++)
		free(b->names[i]);
	if (b->res)
		resolved_free(b->res, b->n);
	free(b->res);
	free(b->names);
	free(b->idx);
	free(b);
}

void names_free(struct name_table *t)
{
	if (t->res)
		resolved_free(t->res, t->spec.n_names);
	free(t->res);
	free(t->sched);
	target_spec_free(&t->spec);
	memset(t, 0, sizeof(*t));
}
