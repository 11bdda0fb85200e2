// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/expand6.h"

/* The host part of a /max prefix: its low 128 - max bits. */
static ip6_t host_mask(unsigned int max)
{
	return max ? ((ip6_t)1 << (128 - max)) - 1 : ~(ip6_t)0;
}

/* splitmix64's finaliser: a random-looking 64-bit value for each input. */
static __u64 mix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int iid_parse(const char *s, struct iid *out)
{
	__u8 b[16];

	*out = (struct iid){ .mode = IID_LOW };
	if (!strcmp(s, "low"))
		return 0;
	if (!strcmp(s, "zero")) {
		out->mode = IID_ZERO;
		return 0;
	}
	if (!strcmp(s, "full")) {
		out->mode = IID_FULL;
		return 0;
	}
	if (!strcmp(s, "random")) {
		out->mode = IID_RANDOM;
		return 0;
	}
	if (strncmp(s, "::", 2) || inet_pton(AF_INET6, s, b) != 1)
		return -EINVAL;
	out->mode = IID_FIXED;
	out->fixed = ip6_load(b);
	return 0;
}

static int parse_len(const char *s, const char *end, unsigned int *len)
{
	unsigned long v = 0;

	if (s == end || end - s > 3)
		return -EINVAL;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v > 128)
		return -EINVAL;
	*len = v;
	return 0;
}

int expand6_parse(const char *s, ip6_t *net, unsigned int *len, unsigned int *max, __u64 max_out,
		  const char **why)
{
	static char big[160];
	const char *slash = strchr(s, '/'), *dash;
	char buf[INET6_ADDRSTRLEN];
	__u8 b[16];

	if (!slash || !(dash = strchr(slash, '-')))
		return 1;
	if ((size_t)(slash - s) >= sizeof(buf)) {
		*why = "not an IPv6 address before the '/'";
		return -EINVAL;
	}
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1) {
		*why = "not an IPv6 address before the '/'";
		return -EINVAL;
	}
	if (parse_len(slash + 1, dash, len) || parse_len(dash + 1, dash + 1 + strlen(dash + 1), max)) {
		*why = "write PREFIX/LEN-MAX, lengths 0..128 (one address per /MAX of the /LEN)";
		return -EINVAL;
	}
	if (*max < *len) {
		*why = "the expansion's length is shorter than the prefix's";
		return -EINVAL;
	}
	if (*max - *len > 63 || (1ULL << (*max - *len)) > max_out) {
		snprintf(big, sizeof(big), "a /%u holds 2^%u /%u prefixes, more than the %llu IPv6 "
			 "targets a run takes: use a longer prefix or a shorter expansion",
			 *len, *max - *len, *max, (unsigned long long)max_out);
		*why = big;
		return -EINVAL;
	}
	*net = ip6_prefix_lo(ip6_load(b), *len);
	return 0;
}

ip6_t expand6_addr(const struct iid *iid, ip6_t prefix, unsigned int max)
{
	ip6_t host = host_mask(max), r;

	switch (iid->mode) {
	case IID_ZERO:
		return prefix;
	case IID_FULL:
		return prefix | host;
	case IID_FIXED:
		return prefix | (iid->fixed & host);
	case IID_RANDOM:
		/* Keyed by the seed and the whole prefix: the same run, the same addresses. */
		r = mix64(iid->seed ^ mix64((__u64)(prefix >> 64)) ^ (__u64)prefix);
		r = r << 64 | mix64(iid->seed ^ ~(__u64)r);
		return prefix | (r & host);
	case IID_LOW:
	default:
		return prefix | (1 & host);
	}
}

int expand6_add(struct ip6_set *s, ip6_t net, unsigned int len, unsigned int max,
		const struct iid *iid, const char **why)
{
	__u64 n = 1ULL << (max - len);
	ip6_t step = max ? (ip6_t)1 << (128 - max) : 0;

	if (iid->mode == IID_FIXED && (iid->fixed & ~host_mask(max))) {
		*why = "the --iid has bits above the expansion's /MAX: it must fit its host part";
		return -EINVAL;
	}
	for (__u64 i = 0; i < n; i++) {
		ip6_t a = expand6_addr(iid, net + i * step, max);

		if (ip6set_add(s, a, a))
			return -ENOMEM;
	}
	return 0;
}
