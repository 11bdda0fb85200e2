// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "targets/ip6set.h"

#define IP6_MAX (~(ip6_t)0)

ip6_t ip6_load(const __u8 b[16])
{
	ip6_t a = 0;

	for (int i = 0; i < 16; i++)
		a = a << 8 | b[i];
	return a;
}

void ip6_store(ip6_t a, __u8 b[16])
{
	for (int i = 15; i >= 0; i--, a >>= 8)
		b[i] = (__u8)a;
}

static ip6_t host_mask(unsigned int len)
{
	return len >= 128 ? 0 : IP6_MAX >> len;
}

ip6_t ip6_prefix_lo(ip6_t a, unsigned int len)
{
	return a & ~host_mask(len);
}

ip6_t ip6_prefix_hi(ip6_t a, unsigned int len)
{
	return a | host_mask(len);
}

int ip6set_add(struct ip6_set *s, ip6_t lo, ip6_t hi)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct ip6_interval *iv = realloc(s->iv, cap * sizeof(*iv));

		if (!iv)
			return -ENOMEM;
		s->iv = iv;
		s->cap = cap;
	}
	s->iv[s->n++] = (struct ip6_interval){ lo, hi };
	return 0;
}

static int cmp_iv(const void *a, const void *b)
{
	const struct ip6_interval *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void ip6set_normalize(struct ip6_set *s)
{
	size_t out = 0;

	if (!s->n)
		return;
	qsort(s->iv, s->n, sizeof(*s->iv), cmp_iv);
	for (size_t i = 1; i < s->n; i++) {
		struct ip6_interval *last = &s->iv[out];

		/* last->hi + 1 would wrap at the top address: test it apart. */
		if (last->hi == IP6_MAX || s->iv[i].lo <= last->hi + 1) {
			if (s->iv[i].hi > last->hi)
				last->hi = s->iv[i].hi;
		} else {
			s->iv[++out] = s->iv[i];
		}
	}
	s->n = out + 1;
}

static void ip6set_replace(struct ip6_set *s, struct ip6_set *r)
{
	free(s->iv);
	*s = *r;
}

int ip6set_subtract(struct ip6_set *s, const struct ip6_set *minus)
{
	struct ip6_set r = { 0 };
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		ip6_t lo = s->iv[i].lo, hi = s->iv[i].hi;
		bool left = true; /* [lo, hi] not yet empty */

		while (j < minus->n && minus->iv[j].hi < lo)
			j++;
		for (size_t k = j; k < minus->n && minus->iv[k].lo <= hi && left; k++) {
			if (minus->iv[k].lo > lo && ip6set_add(&r, lo, minus->iv[k].lo - 1))
				goto nomem;
			if (minus->iv[k].hi >= hi)
				left = false;
			else
				lo = minus->iv[k].hi + 1;
		}
		if (left && ip6set_add(&r, lo, hi))
			goto nomem;
	}
	ip6set_replace(s, &r);
	return 0;
nomem:
	free(r.iv);
	return -ENOMEM;
}

int ip6set_intersect(struct ip6_set *s, const struct ip6_set *with)
{
	struct ip6_set r = { 0 };
	size_t j = 0;

	for (size_t i = 0; i < s->n; i++) {
		ip6_t lo = s->iv[i].lo, hi = s->iv[i].hi;

		while (j < with->n && with->iv[j].hi < lo)
			j++;
		for (size_t k = j; k < with->n && with->iv[k].lo <= hi; k++) {
			ip6_t a = with->iv[k].lo > lo ? with->iv[k].lo : lo;
			ip6_t b = with->iv[k].hi < hi ? with->iv[k].hi : hi;

			if (ip6set_add(&r, a, b))
				goto nomem;
		}
	}
	ip6set_replace(s, &r);
	return 0;
nomem:
	free(r.iv);
	return -ENOMEM;
}

bool ip6set_contains(const struct ip6_set *s, ip6_t addr)
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

__u64 ip6set_count(const struct ip6_set *s)
{
	ip6_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		ip6_t size = s->iv[i].hi - s->iv[i].lo;

		if (size >= UINT64_MAX || n + size + 1 >= UINT64_MAX)
			return UINT64_MAX;
		n += size + 1;
	}
	return (__u64)n;
}

int ip6set_copy(struct ip6_set *dst, const struct ip6_set *src)
{
	*dst = (struct ip6_set){ 0 };
	for (size_t i = 0; i < src->n; i++)
		if (ip6set_add(dst, src->iv[i].lo, src->iv[i].hi))
			return -ENOMEM;
	return 0;
}

void ip6set_free(struct ip6_set *s)
{
	free(s->iv);
	s->iv = NULL;
	s->n = s->cap = 0;
}
