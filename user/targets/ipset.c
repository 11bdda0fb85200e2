// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>

#include "targets/ipset.h"

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

		/* 64-bit: hi + 1 must not wrap at 255.255.255.255. */
		if (s->iv[i].lo <= (__u64)last->hi + 1) {
			if (s->iv[i].hi > last->hi)
				last->hi = s->iv[i].hi;
		} else {
			s->iv[++out] = s->iv[i];
		}
	}
	s->n = out + 1;
}

/* Replaces s by r, the result of an operation built in a fresh array. */
static void ipset_replace(struct ip_set *s, struct ip_set *r)
{
	free(s->iv);
	*s = *r;
}

int ipset_subtract(struct ip_set *s, const struct ip_set *minus)
{
	struct ip_set r = { 0 };
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		/* 64-bit so that lo can step past 255.255.255.255. */
		__u64 lo = s->iv[i].lo, hi = s->iv[i].hi;

		while (j < minus->n && minus->iv[j].hi < lo)
			j++;
		/* j stays: an interval of minus may also cut the next interval of s. */
		for (size_t k = j; k < minus->n && minus->iv[k].lo <= hi && lo <= hi; k++) {
			if (minus->iv[k].lo > lo && ipset_add(&r, lo, minus->iv[k].lo - 1))
				goto nomem;
			lo = (__u64)minus->iv[k].hi + 1;
		}
		if (lo <= hi && ipset_add(&r, lo, hi))
			goto nomem;
	}
	ipset_replace(s, &r);
	return 0;
nomem:
	free(r.iv);
	return -ENOMEM;
}

int ipset_intersect(struct ip_set *s, const struct ip_set *with)
{
	struct ip_set r = { 0 };
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		__u32 lo = s->iv[i].lo, hi = s->iv[i].hi;

		while (j < with->n && with->iv[j].hi < lo)
			j++;
		for (size_t k = j; k < with->n && with->iv[k].lo <= hi; k++) {
			__u32 a = with->iv[k].lo > lo ? with->iv[k].lo : lo;
			__u32 b = with->iv[k].hi < hi ? with->iv[k].hi : hi;

			if (ipset_add(&r, a, b))
				goto nomem;
		}
	}
	ipset_replace(s, &r);
	return 0;
nomem:
	free(r.iv);
	return -ENOMEM;
}

bool ipset_contains(const struct ip_set *s, __u32 addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->iv[mid].hi < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->iv[lo].lo <= addr;
}

__u64 ipset_count(const struct ip_set *s)
{
	__u64 n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += (__u64)s->iv[i].hi - s->iv[i].lo + 1;
	return n;
}

void ipset_free(struct ip_set *s)
{
	free(s->iv);
	s->iv = NULL;
	s->n = s->cap = 0;
}
