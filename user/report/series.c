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

/* One series more, or the last one grown: a prefix split by the blocklist is still one. */
static int add(struct series_set *ss, size_t *cap, const struct series *key, __u64 first, __u64 n)
{
	struct series *s;

	if (ss->n && !series_cmp(&ss->v[ss->n - 1], key)) {
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
	s->addr = key->addr;
	s->v6 = key->v6;
	s->addr6 = key->addr6;
	s->first = first;
	s->n_targets = n;
	return 0;
}

/* The series of a target set, in index order: one per target, or one per prefix. */
static int collect(struct series_set *ss, size_t *cap, const struct target_set *ts, int agg_len)
{
	int len = agg_len < 0 ? 32 : agg_len;
	__u32 mask = len ? ~0U << (32 - len) : 0;
	__u64 step = 1ULL << (32 - len);
	int err;

	if (agg_len < 0 && ts->count - ts->count6 > SERIES_MAX)
		return -E2BIG;
	for (size_t i = 0; i < ts->n_iv; i++) {
		const struct ip_interval *iv = &ts->iv[i];

		for (__u64 p = iv->lo & mask; p <= iv->hi; p += step) {
			__u64 lo = p > iv->lo ? p : iv->lo, hi = p + step - 1;
			struct series key = { .addr = p };

			if (hi > iv->hi)
				hi = iv->hi;
			err = add(ss, cap, &key, ts->before[i] + (lo - iv->lo), hi - lo + 1);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The same for the IPv6 targets, whose indices follow the IPv4 ones. */
static int collect6(struct series_set *ss, size_t *cap, const struct target_set *ts, int agg_len6)
{
	unsigned int len = agg_len6 < 0 ? 128 : agg_len6;
	__u64 base = ts->count - ts->count6;
	int err;

	if (agg_len6 < 0 && ss->n + ts->count6 > SERIES_MAX)
		return -E2BIG;
	for (size_t i = 0; i < ts->n_iv6; i++) {
		const struct ip6_interval *iv = &ts->iv6[i];

		/* Prefix by prefix up to the interval's end, which may be the last address. */
		for (ip6_t p = ip6_prefix_lo(iv->lo, len);; p = ip6_prefix_hi(p, len) + 1) {
			ip6_t lo = p > iv->lo ? p : iv->lo, hi = ip6_prefix_hi(p, len);
			struct series key = { .v6 = true, .addr6 = p };

			if (hi > iv->hi)
				hi = iv->hi;
			err = add(ss, cap, &key, base + ts->before6[i] + (__u64)(lo - iv->lo),
				  (__u64)(hi - lo) + 1);
			if (err)
				return err;
			if (hi == iv->hi)
				break;
		}
	}
	return 0;
}

static int label(struct series *s, const struct target_set *ts, int agg_len, int agg_len6)
{
	int len = s->v6 ? agg_len6 : agg_len;
	const char *n = NULL, *scope;
	char name[768] = "";
	__u32 na = htonl(s->addr);
	__u8 a6[16];

	if (s->v6) {
		ip6_store(s->addr6, a6);
		inet_ntop(AF_INET6, a6, s->id, sizeof(s->id));
		scope = addr_scope6(s->addr6);
	} else {
		inet_ntop(AF_INET, &na, s->id, sizeof(s->id));
		scope = addr_scope(s->addr);
	}
	if (len >= 0)
		snprintf(s->id + strlen(s->id), sizeof(s->id) - strlen(s->id), "/%d", len);
	else
		n = s->v6 ? targets_name6(ts, a6) : targets_name(ts, s->addr);
	if (n)
		prom_escape(name, sizeof(name), n);
	return asprintf(&s->labels, "target=\"%s\",name=\"%s\",scope=\"%s\",family=\"%s\"", s->id,
			name, scope, s->v6 ? "ipv6" : "ipv4") < 0 ?
		       -ENOMEM :
		       0;
}

int series_cmp(const struct series *a, const struct series *b)
{
	if (a->v6 != b->v6)
		return a->v6 ? 1 : -1;
	if (a->v6)
		return a->addr6 < b->addr6 ? -1 : a->addr6 > b->addr6;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
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

int series_build(struct series_set *ss, const struct target_set *ts, int agg_len, int agg_len6)
{
	size_t cap = 0;
	int err;

	memset(ss, 0, sizeof(*ss));
	ss->agg_len = agg_len;
	ss->agg_len6 = agg_len6;
	err = collect(ss, &cap, ts, agg_len);
	ss->n4 = ss->n;
	if (!err)
		err = collect6(ss, &cap, ts, agg_len6);
	if (err == -E2BIG)
		pr_warn("more than %d series to watch: use --aggregate /N (IPv4) or /N,/M (IPv6) "
			"to group targets by prefix\n",
			SERIES_MAX);
	if (!err && (!(ss->addrs = malloc((ss->n ?: 1) * sizeof(*ss->addrs))) ||
		     !(ss->addrs6 = malloc((ss->n ?: 1) * sizeof(*ss->addrs6)))))
		err = -ENOMEM;
	for (__u32 i = 0; !err && i < ss->n; i++) {
		ss->addrs[i] = ss->v[i].addr;
		ss->addrs6[i] = ss->v[i].addr6;
		err = label(&ss->v[i], ts, agg_len, agg_len6);
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
	free(ss->addrs6);
	memset(ss, 0, sizeof(*ss));
}

const char *prom_label_name_problem(const char *name)
{
	/* The labels every series has, and le of the histogram's buckets. */
	static const char *const ours[] = { "target", "name", "scope", "family", "le" };

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
