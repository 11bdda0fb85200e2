// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "names/resolve.h"
#include "targets/blocklist.h"
#include "targets/targets.h"

enum token_kind { TOKEN_SINGLE, TOKEN_RANGE, TOKEN_NAME, TOKEN_SINGLE6, TOKEN_RANGE6 };

/* Where a token came from, for messages: a line of a file (NULL for the command line). */
struct origin {
	const char *file;
	size_t line;
};

/* A name waiting for resolution; seq keeps the order it was given in. */
struct pending {
	char *name;
	size_t seq;
};

/* An address a name resolved to; seq orders the names that share an address. */
struct named {
	__u32 addr;
	size_t seq;
	const char *name;
};

struct named6 {
	ip6_t addr;
	size_t seq;
	const char *name;
};

struct builder {
	const struct target_opts *o;
	struct ip_set set;     /* everything given */
	struct ip6_set set6;   /* the same, IPv6 */
	struct ip_set singles; /* addresses named one by one: never dropped silently */
	size_t n_given;	       /* address, CIDR and range tokens */
	__u64 n_expanded;      /* addresses of ADDR/LEN-MAX expansions, at most TARGETS6_MAX */
	struct pending *todo;
	size_t n_todo, cap_todo;
	struct named *named;
	size_t n_named, cap_named;
	struct named6 *named6;
	size_t n_named6, cap_named6;
};

typedef int (*line_fn)(void *ctx, const char *tok, const struct origin *at);

/* arr with room for one more element after n (growing *cap), or NULL when out of memory. */
static void *grow(void *arr, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return arr;
	arr = realloc(arr, c * sz);
	if (arr)
		*cap = c;
	return arr;
}

static const char *where(const struct origin *at, char *buf, size_t len)
{
	if (!at)
		return "";
	snprintf(buf, len, " at %s:%zu", at->file, at->line);
	return buf;
}

static const char *fmt_addr(__u32 a, char *buf)
{
	__u32 na = htonl(a);

	return inet_ntop(AF_INET, &na, buf, INET_ADDRSTRLEN);
}

/* Strict dotted quad (inet_pton: no octal, no short forms) of len bytes of s. */
static int parse_addr(const char *s, size_t len, __u32 *a)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr in;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	*a = ntohl(in.s_addr);
	return 0;
}

/*
 * RFC 1123 host name (plus '_', seen in the wild), with an optional final dot. The last label
 * must not be all digits (RFC 3696 §2): that keeps "10.1" or "1.2.3.256" from reaching the
 * resolver, which would read them as numbers.
 */
static bool is_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool numeric = true;

	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
			numeric = true;
		} else if (isalnum(c) || c == '_' || (c == '-' && label)) {
			numeric = numeric && isdigit(c);
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return s[len - 1] != '-' && !numeric;
}

/* Strict IPv6 address (inet_pton) of len bytes of s. */
static int parse_addr6(const char *s, size_t len, ip6_t *a)
{
	char buf[INET6_ADDRSTRLEN];
	__u8 b[16];

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -EINVAL;
	*a = ip6_load(b);
	return 0;
}

/* An IPv6 address, prefix (host bits ignored) or a-b range, no larger than TARGETS6_MAX. */
static int parse_token6(const char *s, struct ip6_interval *out, enum token_kind *kind,
			const char **why)
{
	static char big[128];
	const char *sep;
	ip6_t lo, hi;

	if ((sep = strchr(s, '/'))) {
		unsigned long len;
		char *end;

		if (parse_addr6(s, sep - s, &lo)) {
			*why = "not an IPv6 address before the '/'";
			return -EINVAL;
		}
		len = strtoul(sep + 1, &end, 10);
		if (!isdigit((unsigned char)sep[1]) || *end || len > 128) {
			*why = "IPv6 prefix length must be 0..128";
			return -EINVAL;
		}
		if (128 - len > 24) {
			snprintf(big, sizeof(big), "a /%lu holds 2^%lu addresses, more than the %u "
				 "IPv6 targets a run takes: use a longer prefix or a hitlist",
				 len, 128 - len, TARGETS6_MAX);
			*why = big;
			return -EINVAL;
		}
		out->lo = ip6_prefix_lo(lo, len);
		out->hi = ip6_prefix_hi(lo, len);
		*kind = TOKEN_RANGE6;
		return 0;
	}
	if ((sep = strchr(s, '-'))) {
		if (parse_addr6(s, sep - s, &lo) || parse_addr6(sep + 1, strlen(sep + 1), &hi)) {
			*why = "not an IPv6 range (write a::b-a::c)";
			return -EINVAL;
		}
		if (lo > hi) {
			*why = "range start is above its end";
			return -EINVAL;
		}
		if (hi - lo >= TARGETS6_MAX) {
			snprintf(big, sizeof(big), "the range holds more than the %u IPv6 targets "
				 "a run takes", TARGETS6_MAX);
			*why = big;
			return -EINVAL;
		}
		out->lo = lo;
		out->hi = hi;
		*kind = TOKEN_RANGE6;
		return 0;
	}
	if (parse_addr6(s, strlen(s), &lo)) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	out->lo = out->hi = lo;
	*kind = TOKEN_SINGLE6;
	return 0;
}

/* Classifies and parses one token; on -EINVAL *why says what is wrong. */
static int parse_token(const char *s, struct ip_interval *out, struct ip6_interval *out6,
		       enum token_kind *kind, const char **why)
{
	const char *sep;
	__u32 lo, hi;

	/* Names and IPv4 have no ':'. */
	if (strchr(s, ':'))
		return parse_token6(s, out6, kind, why);
	if ((sep = strchr(s, '/'))) {
		unsigned long len;
		char *end;
		__u32 mask;

		if (parse_addr(s, sep - s, &lo)) {
			*why = "not an IPv4 address before the '/'";
			return -EINVAL;
		}
		len = strtoul(sep + 1, &end, 10);
		if (!isdigit((unsigned char)sep[1]) || *end || len > 32) {
			*why = "prefix length must be 0..32";
			return -EINVAL;
		}
		/* Host bits are ignored, as zmap and nmap do: 10.1.2.3/8 is 10.0.0.0/8. */
		mask = len ? ~0U << (32 - len) : 0;
		out->lo = lo & mask;
		out->hi = out->lo | ~mask;
		*kind = TOKEN_RANGE;
		return 0;
	}
	/* Names may hold '-' too: it is a range only if an address comes before it. */
	if ((sep = strchr(s, '-')) && !parse_addr(s, sep - s, &lo)) {
		if (parse_addr(sep + 1, strlen(sep + 1), &hi)) {
			*why = "range end is not an IPv4 address (write a.b.c.d-e.f.g.h)";
			return -EINVAL;
		}
		if (lo > hi) {
			*why = "range start is above its end";
			return -EINVAL;
		}
		out->lo = lo;
		out->hi = hi;
		*kind = TOKEN_RANGE;
		return 0;
	}
	if (!parse_addr(s, strlen(s), &lo)) {
		out->lo = out->hi = lo;
		*kind = TOKEN_SINGLE;
		return 0;
	}
	if (is_hostname(s)) {
		*kind = TOKEN_NAME;
		return 0;
	}
	if (!*s)
		*why = "empty";
	else if (s[strspn(s, "0123456789.")])
		*why = "not an address, CIDR, range or host name";
	else
		*why = "not an IPv4 address";
	return -EINVAL;
}

/*
 * One target per line; '#' starts a comment; blank lines are ignored; "-" is stdin. what names
 * the file's role in messages.
 */
static int read_lines(const char *path, const char *what, line_fn fn, void *ctx)
{
	bool is_stdin = !strcmp(path, "-");
	struct origin at = { .file = is_stdin ? "stdin" : path };
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	char *line = NULL, *s, *e;
	size_t cap = 0;
	int err = 0;

	if (!f) {
		pr_warn("cannot open %s '%s': %s\n", what, path, strerror(errno));
		return -EINVAL;
	}
	while (!err && getline(&line, &cap, f) >= 0) {
		at.line++;
		if ((e = strchr(line, '#')))
			*e = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (*s)
			err = fn(ctx, s, &at);
	}
	if (!err && ferror(f)) {
		pr_warn("cannot read %s '%s': %s\n", what, at.file, strerror(errno));
		err = -EINVAL;
	}
	free(line);
	if (is_stdin)
		clearerr(stdin);
	else
		fclose(f);
	return err;
}

/*
 * A single address (or a name's address) in the default blocklist is refused, not dropped; the
 * limited broadcast always is.
 */
static int refuse_reserved(const struct builder *b, const char *tok, __u32 a, bool from_name,
			   const struct origin *at)
{
	char abuf[INET_ADDRSTRLEN], nbuf[INET_ADDRSTRLEN], wbuf[512];
	const struct ip_prefix *p;

	if (a == LIMITED_BROADCAST) {
		pr_warn("target '%s'%s is the limited broadcast address, not a host\n", tok,
			from_name ? " resolves to 255.255.255.255, which" :
				    where(at, wbuf, sizeof(wbuf)));
		return -EINVAL;
	}
	if (b->o->allow_reserved || !(p = default_blocklist_find(a)))
		return 0;
	if (from_name)
		pr_warn("target '%s' resolves to %s, in the reserved special-purpose range %s/%u: "
			"use --allow-reserved to probe it\n",
			tok, fmt_addr(a, abuf), fmt_addr(p->net, nbuf), p->len);
	else
		pr_warn("target '%s'%s is in the reserved special-purpose range %s/%u: "
			"use --allow-reserved to probe it\n",
			tok, where(at, wbuf, sizeof(wbuf)), fmt_addr(p->net, nbuf), p->len);
	return -EINVAL;
}

static int refuse_reserved6(const struct builder *b, const char *tok, ip6_t a, bool from_name,
			    const struct origin *at)
{
	char abuf[INET6_ADDRSTRLEN], nbuf[INET6_ADDRSTRLEN], wbuf[512];
	const struct ip6_prefix *p;
	__u8 a6[16];

	if (b->o->allow_reserved || !(p = default_blocklist6_find(a)))
		return 0;
	inet_ntop(AF_INET6, p->net, nbuf, sizeof(nbuf));
	ip6_store(a, a6);
	if (from_name)
		pr_warn("target '%s' resolves to %s, in the reserved special-purpose range %s/%u: "
			"use --allow-reserved to probe it\n",
			tok, inet_ntop(AF_INET6, a6, abuf, sizeof(abuf)), nbuf, p->len);
	else
		pr_warn("target '%s'%s is in the reserved special-purpose range %s/%u: "
			"use --allow-reserved to probe it\n",
			tok, where(at, wbuf, sizeof(wbuf)), nbuf, p->len);
	return -EINVAL;
}

/* ADDR/LEN-MAX (expand6.h): 1 when tok is not one, else as add_target. */
static int add_expansion(struct builder *b, const char *tok, const struct origin *at)
{
	unsigned int len, max;
	const char *why;
	char wbuf[512];
	ip6_t net;
	int err;

	if (!strchr(tok, ':'))
		return 1;
	err = expand6_parse(tok, &net, &len, &max, TARGETS6_MAX, &why);
	if (err == 1)
		return 1;
	/* Checked before any address is made: a run's worth is hundreds of MB already. */
	if (!err && b->n_expanded + (1ULL << (max - len)) > TARGETS6_MAX) {
		why = "with the expansions before it, more than the IPv6 targets a run takes";
		err = -EINVAL;
	}
	if (!err) {
		b->n_expanded += 1ULL << (max - len);
		b->n_given++;
		err = expand6_add(&b->set6, net, len, max, &b->o->iid, &why);
	}
	if (err == -EINVAL)
		pr_warn("bad target '%s'%s: %s\n", tok, where(at, wbuf, sizeof(wbuf)), why);
	return err;
}

static int add_target(void *ctx, const char *tok, const struct origin *at)
{
	struct builder *b = ctx;
	struct ip6_interval iv6;
	struct ip_interval iv;
	enum token_kind kind;
	const char *why;
	char wbuf[512];
	int err;

	err = add_expansion(b, tok, at);
	if (err != 1)
		return err;
	if (parse_token(tok, &iv, &iv6, &kind, &why)) {
		pr_warn("bad target '%s'%s: %s\n", tok, where(at, wbuf, sizeof(wbuf)), why);
		return -EINVAL;
	}
	if (kind == TOKEN_NAME) {
		/* Resolved after every argument is checked, so a typo fails before slow lookups. */
		struct pending *p = grow(b->todo, &b->cap_todo, b->n_todo, sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->todo = p;
		b->todo[b->n_todo].seq = b->n_todo;
		b->todo[b->n_todo].name = strdup(tok);
		return b->todo[b->n_todo++].name ? 0 : -ENOMEM;
	}
	if (kind == TOKEN_SINGLE6 || kind == TOKEN_RANGE6) {
		err = kind == TOKEN_SINGLE6 ? refuse_reserved6(b, tok, iv6.lo, false, at) : 0;
		if (err)
			return err;
		b->n_given++;
		return ip6set_add(&b->set6, iv6.lo, iv6.hi);
	}
	if (kind == TOKEN_SINGLE) {
		err = refuse_reserved(b, tok, iv.lo, false, at);
		if (!err)
			err = ipset_add(&b->singles, iv.lo, iv.lo);
		if (err)
			return err;
	}
	b->n_given++;
	return ipset_add(&b->set, iv.lo, iv.hi);
}

static int add_arg(struct builder *b, const char *arg)
{
	if (!strcmp(arg, "-"))
		return read_lines("-", "targets from", add_target, b);
	if (arg[0] == '@')
		return read_lines(arg + 1, "target file", add_target, b);
	return add_target(b, arg, NULL);
}

static int cmp_pending_name(const void *x, const void *y)
{
	const struct pending *a = x, *b = y;
	int c = strcasecmp(a->name, b->name);

	return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_pending_seq(const void *x, const void *y)
{
	const struct pending *a = x, *b = y;

	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int add_name_addrs(struct builder *b, const char *name, const __u32 *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct named *p = grow(b->named, &b->cap_named, b->n_named, sizeof(*p));
		int err;

		if (!p)
			return -ENOMEM;
		b->named = p;
		err = refuse_reserved(b, name, addrs[i], true, NULL) ?:
		      ipset_add(&b->set, addrs[i], addrs[i]) ?:
		      ipset_add(&b->singles, addrs[i], addrs[i]);
		if (err)
			return err;
		b->named[b->n_named] = (struct named){ addrs[i], b->n_named, name };
		b->n_named++;
	}
	return 0;
}

static int add_name_addrs6(struct builder *b, const char *name, const ip6_t *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct named6 *p = grow(b->named6, &b->cap_named6, b->n_named6, sizeof(*p));
		int err;

		if (!p)
			return -ENOMEM;
		b->named6 = p;
		err = refuse_reserved6(b, name, addrs[i], true, NULL) ?:
		      ip6set_add(&b->set6, addrs[i], addrs[i]);
		if (err)
			return err;
		b->named6[b->n_named6] = (struct named6){ addrs[i], b->n_named6, name };
		b->n_named6++;
	}
	return 0;
}

/* Each distinct name (DNS names are case-insensitive) once, in the order first given. */
static int take_names(struct builder *b, struct target_spec *sp)
{
	size_t m = 0;

	if (!b->n_todo)
		return 0;
	qsort(b->todo, b->n_todo, sizeof(*b->todo), cmp_pending_name);
	for (size_t i = 0; i < b->n_todo; i++) {
		if (m && !strcasecmp(b->todo[m - 1].name, b->todo[i].name))
			free(b->todo[i].name);
		else
			b->todo[m++] = b->todo[i];
	}
	b->n_todo = m;
	qsort(b->todo, b->n_todo, sizeof(*b->todo), cmp_pending_seq);
	sp->names = malloc(m * sizeof(*sp->names));
	if (!sp->names)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++)
		sp->names[i] = b->todo[i].name;
	sp->n_names = m;
	b->n_todo = 0;
	return 0;
}

int targets_resolve(const struct target_spec *sp, const struct target_opts *o,
		    struct resolved *res, int *unresolved)
{
	struct resolve_opts ro = { .all = o->all_addresses, .family = o->family,
				   .progress = !o->quiet, .stop = o->stop };
	int err;

	*unresolved = 0;
	/* All of them in one batch, so they are looked up in parallel. */
	err = resolve_names(sp->names, sp->n_names, &ro, res);
	for (size_t i = 0; !err && i < sp->n_names; i++) {
		if (res[i].n || res[i].n6)
			continue;
		pr_warn("cannot resolve '%s': %s\n", sp->names[i], res[i].reason);
		(*unresolved)++;
	}
	return err;
}

struct list_ctx {
	struct ip_set set;
	struct ip6_set set6;
	const char *kind;
};

static int add_list_entry(void *ctx, const char *tok, const struct origin *at)
{
	struct list_ctx *l = ctx;
	struct ip6_interval iv6;
	struct ip_interval iv;
	enum token_kind kind;
	const char *why;

	if (!parse_token(tok, &iv, &iv6, &kind, &why)) {
		if (kind == TOKEN_SINGLE6 || kind == TOKEN_RANGE6)
			return ip6set_add(&l->set6, iv6.lo, iv6.hi);
		if (kind != TOKEN_NAME)
			return ipset_add(&l->set, iv.lo, iv.hi);
		why = "only addresses, CIDRs and ranges are accepted here";
	}
	pr_warn("bad %s entry '%s' at %s:%zu: %s\n", l->kind, tok, at->file, at->line, why);
	return -EINVAL;
}

/* The --blocklist or --allowlist file at path into set, normalized. */
static int read_list(const char *path, bool allow, struct ip_set *set, struct ip6_set *set6)
{
	struct list_ctx l = { .kind = allow ? "allowlist" : "blocklist" };
	char what[32];
	int err;

	snprintf(what, sizeof(what), "--%s", l.kind);
	err = read_lines(path, what, add_list_entry, &l);
	if (err) {
		ipset_free(&l.set);
		ip6set_free(&l.set6);
		return err;
	}
	ipset_normalize(&l.set);
	ip6set_normalize(&l.set6);
	*set = l.set;
	*set6 = l.set6;
	return 0;
}

/*
 * Explicit single addresses are never dropped silently: says in one line how many the list
 * removes (those inside it if keep_inside is false, outside it otherwise). There are no more of
 * them than lines given, so walking them address by address is cheap.
 */
static void note_dropped(const struct ip_set *singles, const struct ip_set *list, bool keep_inside,
			 const char *what)
{
	char buf[INET_ADDRSTRLEN];
	__u64 n = 0;
	__u32 first = 0;

	for (size_t i = 0; i < singles->n; i++)
		for (__u64 a = singles->iv[i].lo; a <= singles->iv[i].hi; a++)
			if (ipset_contains(list, a) != keep_inside && !n++)
				first = a;
	if (n == 1)
		pr_warn("not probing %s, given explicitly: %s\n", fmt_addr(first, buf), what);
	else if (n)
		pr_warn("not probing %llu explicitly given addresses (first %s): %s\n",
			(unsigned long long)n, fmt_addr(first, buf), what);
}

/* Applies the --blocklist (keep_inside false) or --allowlist (true) list read from path. */
static int apply_list(struct builder *b, const struct ip_set *list, const char *path,
		      bool keep_inside)
{
	int (*op)(struct ip_set *, const struct ip_set *) =
		keep_inside ? ipset_intersect : ipset_subtract;
	char what[512];

	snprintf(what, sizeof(what), "%s --%s '%s'", keep_inside ? "outside" : "listed in",
		 keep_inside ? "allowlist" : "blocklist", path);
	note_dropped(&b->singles, list, keep_inside, what);
	return op(&b->set, list) ?: op(&b->singles, list);
}

static int apply_lists(struct builder *b, const struct target_spec *sp)
{
	struct ip_set def = { 0 };
	struct ip6_set def6 = { 0 };
	__u64 given, left;
	int err = 0;

	ipset_normalize(&b->set);
	ipset_normalize(&b->singles);
	ip6set_normalize(&b->set6);
	given = ipset_count(&b->set) + ip6set_count(&b->set6);
	/* The singles were refused already if reserved: only ranges lose addresses here. */
	err = (b->o->allow_reserved ? blocklist_never(&def) : blocklist_default(&def)) ?:
	      ipset_subtract(&b->set, &def);
	ipset_free(&def);
	if (!err && !b->o->allow_reserved) {
		err = blocklist6_default(&def6) ?: ip6set_subtract(&b->set6, &def6);
		ip6set_free(&def6);
	}
	if (!err && b->o->blocklist_file)
		err = apply_list(b, &sp->blocklist, b->o->blocklist_file, false) ?:
		      ip6set_subtract(&b->set6, &sp->blocklist6);
	if (!err && b->o->allowlist_file)
		err = apply_list(b, &sp->allowlist, b->o->allowlist_file, true) ?:
		      ip6set_intersect(&b->set6, &sp->allowlist6);
	left = ipset_count(&b->set) + ip6set_count(&b->set6);
	if (!err && given > left)
		pr_info("%llu of the %llu addresses given are blocklisted or not allowlisted\n",
			(unsigned long long)(given - left), (unsigned long long)given);
	return err;
}

static int cmp_named(const void *x, const void *y)
{
	const struct named *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Names of the addresses still in the set, the first name given for each address. */
static int collect_names(struct builder *b, struct target_set *ts)
{
	if (!b->n_named)
		return 0;
	qsort(b->named, b->n_named, sizeof(*b->named), cmp_named);
	ts->names = calloc(b->n_named, sizeof(*ts->names));
	if (!ts->names)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_named; i++) {
		const struct named *nm = &b->named[i];
		struct target_name *tn = &ts->names[ts->n_names];

		if ((i && nm->addr == nm[-1].addr) || !ipset_contains(&b->set, nm->addr))
			continue;
		tn->addr = nm->addr;
		tn->name = strdup(nm->name);
		if (!tn->name)
			return -ENOMEM;
		ts->n_names++;
	}
	return 0;
}

static int cmp_named6(const void *x, const void *y)
{
	const struct named6 *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int collect_names6(struct builder *b, struct target_set *ts)
{
	if (!b->n_named6)
		return 0;
	qsort(b->named6, b->n_named6, sizeof(*b->named6), cmp_named6);
	ts->names6 = calloc(b->n_named6, sizeof(*ts->names6));
	if (!ts->names6)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_named6; i++) {
		const struct named6 *nm = &b->named6[i];
		struct target_name6 *tn = &ts->names6[ts->n_names6];

		if ((i && nm->addr == nm[-1].addr) || !ip6set_contains(&b->set6, nm->addr))
			continue;
		tn->addr = nm->addr;
		tn->name = strdup(nm->name);
		if (!tn->name)
			return -ENOMEM;
		ts->n_names6++;
	}
	return 0;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->n_todo; i++)
		free(b->todo[i].name);
	free(b->todo);
	free(b->named);
	free(b->named6);
	ipset_free(&b->singles);
	ipset_free(&b->set);
	ip6set_free(&b->set6);
}

int targets_parse(struct target_spec *sp, char *const *args, int nargs,
		  const struct target_opts *o)
{
	struct builder b = { .o = o };
	int err = 0;

	memset(sp, 0, sizeof(*sp));
	for (int i = 0; i < nargs && !err; i++)
		err = add_arg(&b, args[i]);
	/* The lists too, so that a bad one fails before slow lookups. */
	if (!err && o->blocklist_file)
		err = read_list(o->blocklist_file, false, &sp->blocklist, &sp->blocklist6);
	if (!err && o->allowlist_file)
		err = read_list(o->allowlist_file, true, &sp->allowlist, &sp->allowlist6);
	err = err ?: take_names(&b, sp);
	if (!err) {
		ipset_normalize(&b.set);
		ipset_normalize(&b.singles);
		ip6set_normalize(&b.set6);
		sp->set = b.set;
		sp->singles = b.singles;
		sp->set6 = b.set6;
		sp->n_given = b.n_given;
		b.set = b.singles = (struct ip_set){ 0 };
		b.set6 = (struct ip6_set){ 0 };
	}
	builder_free(&b);
	if (err) {
		if (err == -ENOMEM)
			pr_warn("out of memory while reading the targets\n");
		target_spec_free(sp);
	}
	return err;
}

static int ipset_copy(struct ip_set *dst, const struct ip_set *src)
{
	*dst = (struct ip_set){ 0 };
	for (size_t i = 0; i < src->n; i++)
		if (ipset_add(dst, src->iv[i].lo, src->iv[i].hi))
			return -ENOMEM;
	return 0;
}

int targets_assemble(struct target_set *ts, const struct target_spec *sp,
		     const struct resolved *res, const struct target_opts *o)
{
	struct builder b = { .o = o };
	size_t resolved = 0;
	int err;

	memset(ts, 0, sizeof(*ts));
	err = ipset_copy(&b.set, &sp->set) ?: ipset_copy(&b.singles, &sp->singles) ?:
	      ip6set_copy(&b.set6, &sp->set6);
	for (size_t i = 0; !err && i < sp->n_names; i++) {
		resolved += res[i].n + res[i].n6 > 0;
		err = add_name_addrs(&b, sp->names[i], res[i].addrs, res[i].n) ?:
		      add_name_addrs6(&b, sp->names[i], res[i].addrs6, res[i].n6);
	}
	err = err ?: apply_lists(&b, sp);
	if (!err && ip6set_count(&b.set6) > TARGETS6_MAX) {
		pr_warn("%llu IPv6 targets are more than a run takes (%u): split them\n",
			(unsigned long long)ip6set_count(&b.set6), TARGETS6_MAX);
		err = -EINVAL;
	}
	if (!err && !b.set.n && !b.set6.n) {
		if (!sp->n_given && !sp->n_names)
			pr_warn("no targets given\n");
		else if (!sp->n_given && !resolved)
			pr_warn("no target resolved\n");
		else
			pr_warn("no targets left after the blocklist%s\n",
				o->allowlist_file ? " and the allowlist" : "");
		err = -ENOENT;
	}
	err = err ?: collect_names(&b, ts) ?: collect_names6(&b, ts);
	if (!err && !(ts->before = malloc((b.set.n ?: 1) * sizeof(*ts->before))))
		err = -ENOMEM;
	if (!err && !(ts->before6 = malloc((b.set6.n ?: 1) * sizeof(*ts->before6))))
		err = -ENOMEM;
	if (err) {
		if (err == -ENOMEM)
			pr_warn("out of memory while building the target set\n");
		builder_free(&b);
		targets_free(ts);
		return err;
	}
	for (size_t i = 0; i < b.set.n; i++) {
		ts->before[i] = ts->count;
		ts->count += (__u64)b.set.iv[i].hi - b.set.iv[i].lo + 1;
	}
	for (size_t i = 0; i < b.set6.n; i++) {
		ts->before6[i] = ts->count6;
		ts->count6 += (__u64)(b.set6.iv[i].hi - b.set6.iv[i].lo) + 1;
	}
	ts->count += ts->count6;
	ts->iv = b.set.iv;
	ts->n_iv = b.set.n;
	ts->iv6 = b.set6.iv;
	ts->n_iv6 = b.set6.n;
	b.set = (struct ip_set){ 0 };
	b.set6 = (struct ip6_set){ 0 };
	pr_info("%llu targets (%zu intervals, %zu addresses from names)\n",
		(unsigned long long)ts->count, ts->n_iv + ts->n_iv6, ts->n_names + ts->n_names6);
	builder_free(&b);
	return 0;
}

void target_spec_free(struct target_spec *sp)
{
	for (size_t i = 0; i < sp->n_names; i++)
		free(sp->names[i]);
	free(sp->names);
	ipset_free(&sp->set);
	ipset_free(&sp->singles);
	ipset_free(&sp->blocklist);
	ipset_free(&sp->allowlist);
	ip6set_free(&sp->set6);
	ip6set_free(&sp->blocklist6);
	ip6set_free(&sp->allowlist6);
	memset(sp, 0, sizeof(*sp));
}

int targets_build(struct target_set *ts, char *const *args, int nargs, const struct target_opts *o,
		  int *unresolved)
{
	struct target_spec sp;
	struct resolved *res;
	int err;

	memset(ts, 0, sizeof(*ts));
	*unresolved = 0;
	err = targets_parse(&sp, args, nargs, o);
	if (err)
		return err;
	res = calloc(sp.n_names ?: 1, sizeof(*res));
	err = res ? 0 : -ENOMEM;
	err = err ?: targets_resolve(&sp, o, res, unresolved);
	err = err ?: targets_assemble(ts, &sp, res, o);
	if (res)
		resolved_free(res, sp.n_names);
	free(res);
	target_spec_free(&sp);
	return err;
}

__u32 targets_addr(const struct target_set *ts, __u64 index)
{
	size_t lo = 0, hi = ts->n_iv;

	/* The last interval whose first index is <= index. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->before[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	return ts->iv[lo].lo + (__u32)(index - ts->before[lo]);
}

void targets_addr6(const struct target_set *ts, __u64 index, __u8 addr[16])
{
	size_t lo = 0, hi = ts->n_iv6;

	index -= ts->count - ts->count6;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->before6[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	ip6_store(ts->iv6[lo].lo + (index - ts->before6[lo]), addr);
}

static int cmp_name_addr(const void *x, const void *y)
{
	const struct target_name *a = x, *b = y;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

const char *targets_name(const struct target_set *ts, __u32 addr)
{
	struct target_name key = { .addr = addr }, *n;

	if (!ts->n_names)
		return NULL;
	n = bsearch(&key, ts->names, ts->n_names, sizeof(key), cmp_name_addr);
	return n ? n->name : NULL;
}

const char *targets_name6(const struct target_set *ts, const __u8 addr[16])
{
	ip6_t a = ip6_load(addr);
	size_t lo = 0, hi = ts->n_names6;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->names6[mid].addr == a)
			return ts->names6[mid].name;
		if (ts->names6[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void targets_free(struct target_set *ts)
{
	for (size_t i = 0; i < ts->n_names; i++)
		free(ts->names[i].name);
	free(ts->names);
	for (size_t i = 0; i < ts->n_names6; i++)
		free(ts->names6[i].name);
	free(ts->names6);
	free(ts->before);
	free(ts->iv);
	free(ts->before6);
	free(ts->iv6);
	memset(ts, 0, sizeof(*ts));
}
