// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "ipset.h"

int ipset_add(struct ip_set *s, __u32 lo, __u32 hi)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct ip_interval *iv = realloc(s->iv, cap * sizeof(*iv));

		if (!iv)
			return -ENOMEM;
		s->iv = iv;
		s->cap = cap;
	}
	s->iv[s->n++] = (struct ip_interval){ lo, hi };
	return 0;
}

static int cmp_iv(const void *a, const void *b)
{
	const struct ip_interval *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void ipset_normalize(struct ip_set *s)
{
	size_t out = 0;

	if (!s->n)
		return;
	qsort(s->iv, s->n, sizeof(*s->iv), cmp_iv);
	for (size_t i = 1; i < s->n; i++) {
		struct ip_interval *last = &s->iv[out];

		/* 64-bit arithmetic: hi + 1 must not wrap at 255.255.255.255. */
		if ((__u64)s->iv[i].lo <= (__u64)last->hi + 1) {
			if (s->iv[i].hi > last->hi)
				last->hi = s->iv[i].hi;
		} else {
			s->iv[++out] = s->iv[i];
		}
	}
	s->n = out + 1;
}

/* Rebuilds s from the parts of each interval that keep() selects against the other set. */
static int combine(struct ip_set *s, const struct ip_set *o, int subtract)
{
	struct ip_set r = { 0 };
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		__u64 lo = s->iv[i].lo, hi = s->iv[i].hi;

		while (j < o->n && o->iv[j].hi < lo)
			j++;
		for (size_t k = j; k < o->n && o->iv[k].lo <= hi; k++) {
			__u64 olo = o->iv[k].lo, ohi = o->iv[k].hi;

			if (subtract) {
				if (olo > lo && ipset_add(&r, lo, olo - 1))
					goto nomem;
				lo = ohi + 1;
			} else if (ipset_add(&r, olo > lo ? olo : lo, ohi < hi ? ohi : hi)) {
				goto nomem;
			}
			if (ohi >= hi) {
				lo = hi + 1;
				break;
			}
		}
		if (subtract && lo <= hi && ipset_add(&r, lo, hi))
			goto nomem;
	}
	free(s->iv);
	*s = r;
	return 0;
nomem:
	free(r.iv);
	return -ENOMEM;
}

int ipset_subtract(struct ip_set *s, const struct ip_set *minus)
{
	return combine(s, minus, 1);
}

int ipset_intersect(struct ip_set *s, const struct ip_set *with)
{
	return combine(s, with, 0);
}

void ipset_free(struct ip_set *s)
{
	free(s->iv);
	s->iv = NULL;
	s->n = s->cap = 0;
}
