// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "resolve.h"
#include "scope.h"
#include "targets.h"

struct builder {
	struct ip_set set;
	struct target_name *names;
	size_t n_names, cap_names;
	const struct target_opts *o;
	int *unresolved;
};

static int parse_addr(const char *s, __u32 *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*a = ntohl(in.s_addr);
	return 0;
}

int parse_range(const char *s, struct ip_interval *out, const char **why)
{
	char buf[64], *sep;
	__u32 lo, hi;

	if (strlen(s) >= sizeof(buf)) {
		*why = "too long";
		return -EINVAL;
	}
	strcpy(buf, s);
	if ((sep = strchr(buf, '/'))) {
		char *end;
		unsigned long len;

		*sep++ = '\0';
		len = strtoul(sep, &end, 10);
		if (!isdigit((unsigned char)*sep) || *end || len > 32) {
			*why = "prefix length must be 0..32";
			return -EINVAL;
		}
		if (parse_addr(buf, &lo)) {
			*why = "not an IPv4 address";
			return -EINVAL;
		}
		/* Host bits are ignored, as zmap and ip(8) do. */
		__u32 mask = len ? ~0U << (32 - len) : 0;

		out->lo = lo & mask;
		out->hi = out->lo | ~mask;
		return 0;
	}
	if ((sep = strchr(buf, '-'))) {
		*sep++ = '\0';
		if (parse_addr(buf, &lo) || parse_addr(sep, &hi)) {
			*why = "range ends must be IPv4 addresses";
			return -EINVAL;
		}
		if (lo > hi) {
			*why = "range start is above its end";
			return -EINVAL;
		}
		out->lo = lo;
		out->hi = hi;
		return 0;
	}
	if (parse_addr(buf, &lo)) {
		*why = "not an IPv4 address";
		return -EINVAL;
	}
	out->lo = out->hi = lo;
	return 0;
}

/* A host name per RFC 1123: letters, digits, '-', '.', '_' seen in the wild; not all digits. */
static bool is_name(const char *s)
{
	bool alpha = false;

	if (!*s || strlen(s) > 253)
		return false;
	for (; *s; s++) {
		if (isalpha((unsigned char)*s))
			alpha = true;
		else if (!isdigit((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	}
	return alpha;
}

static int refuse_reserved(const struct builder *b, __u32 a, const char *tok)
{
	char buf[INET_ADDRSTRLEN];
	__u32 na = htonl(a);

	if (b->o->allow_reserved || !addr_reserved(a))
		return 0;
	inet_ntop(AF_INET, &na, buf, sizeof(buf));
	pr_warn("target '%s' (%s) is in a reserved special-purpose range: use --allow-reserved to "
		"probe it\n",
		tok, buf);
	return -EINVAL;
}

static int add_name(struct builder *b, const char *tok)
{
	const char *reason;
	__u32 *addrs;
	size_t n;
	int err;

	if (resolve_name(tok, b->o->all_addresses, &addrs, &n, &reason)) {
		pr_warn("cannot resolve '%s': %s\n", tok, reason);
		(*b->unresolved)++;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		err = refuse_reserved(b, addrs[i], tok);
		if (!err && b->n_names == b->cap_names) {
			size_t cap = b->cap_names ? b->cap_names * 2 : 16;
			struct target_name *p = realloc(b->names, cap * sizeof(*p));

			err = p ? 0 : -ENOMEM;
			b->names = p ?: b->names;
			b->cap_names = p ? cap : b->cap_names;
		}
		if (!err)
			err = ipset_add(&b->set, addrs[i], addrs[i]);
		if (err) {
			free(addrs);
			return err;
		}
		b->names[b->n_names].addr = addrs[i];
		b->names[b->n_names++].name = strdup(tok);
	}
	free(addrs);
	return 0;
}

static int add_token(struct builder *b, const char *tok)
{
	struct ip_interval iv;
	const char *why;

	if (!parse_range(tok, &iv, &why)) {
		/* A single address named explicitly is never dropped silently. */
		if (!strpbrk(tok, "/-") && refuse_reserved(b, iv.lo, tok))
			return -EINVAL;
		return ipset_add(&b->set, iv.lo, iv.hi);
	}
	if (is_name(tok))
		return add_name(b, tok);
	pr_warn("bad target '%s': %s\n", tok, why);
	return -EINVAL;
}

/* One target per line; '#' starts a comment; blank lines are ignored. */
static int add_stream(struct builder *b, FILE *f, const char *what,
		      int (*add)(struct builder *, const char *))
{
	char *line = NULL, *s, *e;
	size_t cap = 0;
	int err = 0;

	while (!err && getline(&line, &cap, f) >= 0) {
		if ((e = strchr(line, '#')))
			*e = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (*s)
			err = add(b, s);
	}
	if (!err && ferror(f)) {
		pr_warn("cannot read %s\n", what);
		err = -EIO;
	}
	free(line);
	return err;
}

static int add_file(struct builder *b, const char *path,
		    int (*add)(struct builder *, const char *))
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int err;

	if (!f) {
		pr_warn("cannot open target file '%s': %s\n", path, strerror(errno));
		return -EINVAL;
	}
	err = add_stream(b, f, path, add);
	if (f != stdin)
		fclose(f);
	return err;
}

static int add_arg(struct builder *b, const char *arg)
{
	if (!strcmp(arg, "-"))
		return add_file(b, "-", add_token);
	if (arg[0] == '@')
		return add_file(b, arg + 1, add_token);
	return add_token(b, arg);
}

static int add_range_only(struct builder *b, const char *tok)
{
	struct ip_interval iv;
	const char *why;

	if (parse_range(tok, &iv, &why)) {
		pr_warn("bad range '%s': %s\n", tok, why);
		return -EINVAL;
	}
	return ipset_add(&b->set, iv.lo, iv.hi);
}

/* Reads a block/allow list file into a normalized set. */
static int load_list(const char *path, struct ip_set *out)
{
	struct builder lb = { 0 };
	int err = add_file(&lb, path, add_range_only);

	if (err) {
		ipset_free(&lb.set);
		return err;
	}
	ipset_normalize(&lb.set);
	*out = lb.set;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct target_name *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int apply_lists(struct builder *b)
{
	struct ip_set l = { 0 };
	int err = 0;

	ipset_normalize(&b->set);
	if (!b->o->allow_reserved) {
		for (unsigned int i = 0; i < default_blocklist_len && !err; i++) {
			const struct ip_prefix *p = &default_blocklist[i];

			err = ipset_add(&l, p->net, p->net | (p->len ? ~(~0U << (32 - p->len)) : ~0U));
		}
		ipset_normalize(&l);
		err = err ?: ipset_subtract(&b->set, &l);
		ipset_free(&l);
	}
	if (!err && b->o->blocklist_file && !(err = load_list(b->o->blocklist_file, &l))) {
		err = ipset_subtract(&b->set, &l);
		ipset_free(&l);
	}
	if (!err && b->o->allowlist_file && !(err = load_list(b->o->allowlist_file, &l))) {
		err = ipset_intersect(&b->set, &l);
		ipset_free(&l);
	}
	return err;
}

int targets_build(struct target_set *ts, char *const *args, int nargs, const struct target_opts *o,
		  int *unresolved)
{
	struct builder b = { .o = o, .unresolved = unresolved };
	int err = 0;

	memset(ts, 0, sizeof(*ts));
	*unresolved = 0;
	for (int i = 0; i < nargs && !err; i++)
		err = add_arg(&b, args[i]);
	err = err ?: apply_lists(&b);
	if (!err && !b.set.n) {
		if (*unresolved && !b.n_names)
			pr_warn("no target resolved\n");
		else
			pr_warn("no targets left after the blocklist\n");
		err = -ENOENT;
	}
	ts->set = b.set;
	ts->names = b.names;
	ts->n_names = b.n_names;
	if (!err && !(ts->before = malloc(b.set.n * sizeof(*ts->before))))
		err = -ENOMEM;
	if (err) {
		targets_free(ts);
		return err;
	}
	for (size_t i = 0; i < b.set.n; i++) {
		ts->before[i] = ts->count;
		ts->count += (__u64)b.set.iv[i].hi - b.set.iv[i].lo + 1;
	}
	qsort(ts->names, ts->n_names, sizeof(*ts->names), cmp_name);
	return 0;
}

__u32 targets_addr(const struct target_set *ts, __u64 index)
{
	size_t lo = 0, hi = ts->set.n;

	/* The last interval whose first index is <= index. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->before[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	return ts->set.iv[lo].lo + (__u32)(index - ts->before[lo]);
}

const char *targets_name(const struct target_set *ts, __u32 addr)
{
	struct target_name key = { .addr = addr }, *n;

	if (!ts->n_names)
		return NULL;
	n = bsearch(&key, ts->names, ts->n_names, sizeof(key), cmp_name);
	return n ? n->name : NULL;
}

void targets_free(struct target_set *ts)
{
	for (size_t i = 0; i < ts->n_names; i++)
		free(ts->names[i].name);
	free(ts->names);
	free(ts->before);
	ipset_free(&ts->set);
	memset(ts, 0, sizeof(*ts));
}
