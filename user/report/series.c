// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "report/series.h"
#include "targets/scope.h"

size_t prom_escape(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : NULL;
		size_t k;

		if (*s == '\n')
			esc = "\\n";
		k = esc ? 2 : 1;

		if (n + k >= len)
			break;
		memcpy(buf + n, esc ? esc : s, k);
		n += k;
	}
	if (len)
		buf[n] = '\0';
	return n;
}

static int add(struct series_set *ss, size_t *cap, __u32 addr, __u64 first, __u64 n)
{
	struct series *s;

	if (ss->n && ss->v[ss->n - 1].addr == addr) {
		/* A prefix split by the blocklist: its pieces are still one series. */
		ss->v[ss->n - 1].n_targets += n;
		return 0;
	}
	if (ss->n == SERIES_MAX)
		return -E2BIG;
	if (ss->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		s = realloc(ss->v, *cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		ss->v = s;
	}
	s = &ss->v[ss->n++];
	memset(s, 0, sizeof(*s));
	s->addr = addr;
	s->first = first;
	s->n_targets = n;
	return 0;
}

/* The series of a target set, in index order: one per target, or one per prefix. */
static int collect(struct series_set *ss, const struct target_set *ts, int agg_len)
{
	int len = agg_len < 0 ? 32 : agg_len;
	__u32 mask = len ? ~0U << (32 - len) : 0;
	__u64 step = 1ULL << (32 - len);
	size_t cap = 0;
	int err;

	if (agg_len < 0 && ts->count > SERIES_MAX)
		return -E2BIG;
	for (size_t i = 0; i < ts->n_iv; i++) {
		const struct ip_interval *iv = &ts->iv[i];

		for (__u64 p = iv->lo & mask; p <= iv->hi; p += step) {
			__u64 lo = p > iv->lo ? p : iv->lo, hi = p + step - 1;

			if (hi > iv->hi)
				hi = iv->hi;
			err = add(ss, &cap, p, ts->before[i] + (lo - iv->lo), hi - lo + 1);
			if (err)
				return err;
		}
	}
	return 0;
}

static int label(struct series *s, const struct target_set *ts, int agg_len)
{
	char name[768] = "";
	__u32 na = htonl(s->addr);
	const char *n;

	inet_ntop(AF_INET, &na, s->id, sizeof(s->id));
	if (agg_len >= 0)
		snprintf(s->id + strlen(s->id), sizeof(s->id) - strlen(s->id), "/%d", agg_len);
	else if ((n = targets_name(ts, s->addr)))
		prom_escape(name, sizeof(name), n);
	return asprintf(&s->labels, "target=\"%s\",name=\"%s\",scope=\"%s\"", s->id, name,
			addr_scope(s->addr)) < 0 ?
		       -ENOMEM :
		       0;
}

int series_add_label(struct series_set *ss, const char *name, const char *value)
{
	char esc[768];

	prom_escape(esc, sizeof(esc), value);
	for (__u32 i = 0; i < ss->n; i++) {
		char *l;

		if (asprintf(&l, "%s=\"%s\",%s", name, esc, ss->v[i].labels) < 0)
			return -ENOMEM;
		free(ss->v[i].labels);
		ss->v[i].labels = l;
	}
	return 0;
}

int series_build(struct series_set *ss, const struct target_set *ts, int agg_len)
{
	int err;

	memset(ss, 0, sizeof(*ss));
	ss->agg_len = agg_len;
	err = collect(ss, ts, agg_len);
	if (err == -E2BIG)
		pr_warn("more than %d series to watch: use --aggregate /N to group targets by "
			"prefix\n",
			SERIES_MAX);
	if (!err && !(ss->addrs = malloc(ss->n * sizeof(*ss->addrs))))
		err = -ENOMEM;
	for (__u32 i = 0; !err && i < ss->n; i++) {
		ss->addrs[i] = ss->v[i].addr;
		err = label(&ss->v[i], ts, agg_len);
	}
	if (err)
		series_free(ss);
	return err;
}

__u32 series_of(const struct series_set *ss, __u64 index)
{
	__u32 lo = 0, hi = ss->n - 1;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo + 1) / 2;

		if (ss->v[mid].first <= index)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

void series_free(struct series_set *ss)
{
	for (__u32 i = 0; i < ss->n; i++)
		free(ss->v[i].labels);
	free(ss->v);
	free(ss->addrs);
	memset(ss, 0, sizeof(*ss));
}

const char *prom_label_name_problem(const char *name)
{
	/* The labels every series has, and le of the histogram's buckets. */
	static const char *const ours[] = { "target", "name", "scope", "le" };

	if (!*name)
		return "is empty";
	if (!(*name == '_' || (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z')))
		return "must start with a letter or '_'";
	for (const char *c = name; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9')))
			return "may hold only letters, digits and '_'";
	if (!strncmp(name, "__", 2))
		return "starts with '__', which Prometheus reserves";
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (!strcmp(name, ours[i]))
			return "is one echomap sets itself";
	return NULL;
}

int series_add_labels(struct series *s, const struct prom_label *l, unsigned int n)
{
	size_t len = strlen(s->labels), cap = len + 1;
	char *p;

	for (unsigned int i = 0; i < n; i++)
		cap += strlen(l[i].name) + 2 * strlen(l[i].value) + 4;
	p = realloc(s->labels, cap);
	if (!p)
		return -ENOMEM;
	s->labels = p;
	for (unsigned int i = 0; i < n; i++) {
		len += snprintf(p + len, cap - len, ",%s=\"", l[i].name);
		len += prom_escape(p + len, cap - len, l[i].value);
		len += snprintf(p + len, cap - len, "\"");
	}
	return 0;
}
