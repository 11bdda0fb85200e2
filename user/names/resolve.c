// SPDX-License-Identifier: GPL-2.0
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "names/prefer.h"
#include "names/resolve.h"

#define NSSWITCH_CONF "/etc/nsswitch.conf"
#define RESOLV_CONF   "/etc/resolv.conf"
#define HOSTS_FILE    "/etc/hosts"

/* glibc's resolver: RES_TIMEOUT, RES_DFLRETRY, RES_MAXRETRANS, RES_MAXRETRY. */
#define RES_TIMEOUT_S	  5
#define RES_ATTEMPTS	  2
#define RES_MAX_TIMEOUT_S 30
#define RES_MAX_ATTEMPTS  5

/*
 * DNS queries in flight at once (a name asks one per family). A local resolver answers in well
 * under a millisecond, and 32 outstanding queries already keep it at full speed (dnsmasq:
 * 20,000-45,000 names/s here); a remote one at 10 ms still gives 3,200 names/s. More do not go
 * faster but overflow the server's socket buffer whenever it pauses: the default 208 KiB holds
 * only ~50 queries when each arrives in a page of its own (veth with XDP), and 64 in flight
 * lost some to dnsmasq.
 */
#define RESOLVE_INFLIGHT 32

/*
 * ares_library_init() and ares_library_cleanup() keep a reference count that is not thread-safe;
 * watch resolves in a thread of its own while a reload may resolve in the main one.
 */
static pthread_mutex_t ares_lib_lock = PTHREAD_MUTEX_INITIALIZER;

/* A long resolution shows its progress after this long, then as often. */
#define PROGRESS_NS NSEC_PER_SEC

/* glibc's hosts line when nsswitch.conf has none: "dns [!UNAVAIL=return] files". */
static const struct nss_hosts nss_default = {
	.step = {
		{ .src = NSS_DNS, .stop = { [NSS_NOTFOUND] = true, [NSS_TRYAGAIN] = true } },
		{ .src = NSS_FILES },
	},
	.n = 2,
};

static const char *const nss_status_names[NSS_N_STATUS] = {
	[NSS_NOTFOUND] = "notfound",
	[NSS_UNAVAIL] = "unavail",
	[NSS_TRYAGAIN] = "tryagain",
};

/* Length of the word (letters, digits, '_', '-') at p; 0 if there is none. */
static size_t word_len(const char *p)
{
	size_t n = 0;

	while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '-')
		n++;
	return n;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && !strncasecmp(p, w, n);
}

/*
 * The criteria of one [...] after its '[', applied to s (NULL when its source is skipped: the
 * criteria go with it). *pp moves past the ']'.
 */
static int parse_criteria(const char **pp, struct nss_step *s)
{
	const char *p = *pp;

	for (;;) {
		bool negate = false, stop;
		int status = -1;
		size_t n;

		p += strspn(p, " \t");
		if (*p == ']')
			break;
		if (*p == '!') {
			negate = true;
			p++;
		}
		n = word_len(p);
		/* SUCCESS always returns here: NSS_N_STATUS names it and matches no entry. */
		if (word_is(p, n, "success"))
			status = NSS_N_STATUS;
		for (int i = 0; i < NSS_N_STATUS; i++)
			if (word_is(p, n, nss_status_names[i]))
				status = i;
		if (status < 0)
			return -EINVAL;
		p += n;
		p += strspn(p, " \t");
		if (*p++ != '=')
			return -EINVAL;
		p += strspn(p, " \t");
		n = word_len(p);
		if (word_is(p, n, "return"))
			stop = true;
		/* merge joins group entries: for hosts it goes on like continue. */
		else if (word_is(p, n, "continue") || word_is(p, n, "merge"))
			stop = false;
		else
			return -EINVAL;
		p += n;
		for (int i = 0; s && i < NSS_N_STATUS; i++)
			if ((i == status) != negate)
				s->stop[i] = stop;
	}
	*pp = p + 1;
	return 0;
}

int nss_hosts_parse(const char *line, struct nss_hosts *h)
{
	struct nss_step *last = NULL;
	bool any_source = false;
	char skipped[256] = "";
	const char *p = line;
	size_t n, len = 0;

	h->n = 0;
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		if (*p == '[') {
			p++;
			if (!any_source || parse_criteria(&p, last))
				return -EINVAL;
			continue;
		}
		n = word_len(p);
		if (!n)
			return -EINVAL;
		any_source = true;
		last = NULL;
		if ((n == 5 && !strncmp(p, "files", 5)) || (n == 3 && !strncmp(p, "dns", 3))) {
			if (h->n == NSS_MAX_STEPS)
				return -EINVAL;
			last = &h->step[h->n++];
			*last = (struct nss_step){ .src = *p == 'f' ? NSS_FILES : NSS_DNS };
		} else if (len < sizeof(skipped)) {
			len += snprintf(skipped + len, sizeof(skipped) - len, " %.*s", (int)n, p);
		}
		p += n;
	}
	if (len)
		pr_info("hosts sources of nsswitch.conf not supported, skipped:%s\n", skipped);
	return 0;
}

void nss_hosts_read(const char *path, struct nss_hosts *h)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *p;
	bool found = false;
	size_t cap = 0;

	while (f && !found && getline(&line, &cap, f) >= 0) {
		if ((p = strchr(line, '#')))
			*p = '\0';
		p = line + strspn(line, " \t");
		if (strncmp(p, "hosts", 5))
			continue;
		p += 5 + strspn(p + 5, " \t");
		if (*p != ':')
			continue;
		found = true;
		if (nss_hosts_parse(p + 1, h)) {
			pr_warn("ignoring the malformed hosts line of %s\n", path);
			found = false;
			break;
		}
	}
	free(line);
	if (f)
		fclose(f);
	if (!found)
		*h = nss_default;
}

static unsigned int capped(const char *v, int max)
{
	int i = atoi(v);

	return i < 0 ? 0 : i < max ? i : max;
}

/* The timeout: and attempts: options in s (an options line, RES_OPTIONS), as glibc reads them. */
static void res_options(const char *s, unsigned int *timeout_s, unsigned int *attempts)
{
	while (*(s += strspn(s, " \t\r\n"))) {
		if (!strncmp(s, "timeout:", 8))
			*timeout_s = capped(s + 8, RES_MAX_TIMEOUT_S);
		else if (!strncmp(s, "attempts:", 9))
			*attempts = capped(s + 9, RES_MAX_ATTEMPTS);
		s += strcspn(s, " \t\r\n");
	}
}

void resolv_conf_read(const char *path, const char *env, struct resolv_conf *rc)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	*rc = (struct resolv_conf){ .timeout_s = RES_TIMEOUT_S, .attempts = RES_ATTEMPTS };
	while (f && getline(&line, &cap, f) >= 0) {
		if (!strncmp(line, "options", 7) && (line[7] == ' ' || line[7] == '\t'))
			res_options(line + 7, &rc->timeout_s, &rc->attempts);
		else if (!strncmp(line, "nameserver", 10) && (line[10] == ' ' || line[10] == '\t'))
			rc->nameservers++;
	}
	free(line);
	if (f)
		fclose(f);
	if (env)
		res_options(env, &rc->timeout_s, &rc->attempts);
	/* glibc waits at least a second and tries at least once; so does c-ares then. */
	rc->timeout_s = rc->timeout_s ?: 1;
	rc->attempts = rc->attempts ?: 1;
}

static int cmp_hosts_entry(const void *x, const void *y)
{
	const struct hosts_entry *a = x, *b = y;
	int c = strcasecmp(a->name, b->name);

	return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

int hosts_load(const char *path, struct hosts_file *h)
{
	FILE *f = fopen(path, "re");
	char *line, *next, *tok, *save;
	bool v6;
	size_t cap = 0, len = 0;
	struct in6_addr in6;
	struct in_addr in;

	memset(h, 0, sizeof(*h));
	if (!f) {
		h->unavail = true;
		return 0;
	}
	/* The whole file at once (up to a NUL byte, which no hosts file holds): names point in. */
	if (getdelim(&h->text, &len, '\0', f) < 0) {
		h->unavail = ferror(f);
		free(h->text);
		h->text = NULL;
	}
	fclose(f);
	for (line = h->text; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		/* Malformed lines are skipped, as glibc does. */
		tok = strtok_r(line, " \t\r", &save);
		if (!tok)
			continue;
		v6 = inet_pton(AF_INET, tok, &in) != 1;
		if (v6 && inet_pton(AF_INET6, tok, &in6) != 1)
			continue;
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			struct hosts_entry *e = h->e;

			if (h->n == cap) {
				cap = cap ? cap * 2 : 64;
				e = realloc(h->e, cap * sizeof(*e));
				if (!e) {
					hosts_free(h);
					return -ENOMEM;
				}
				h->e = e;
			}
			e[h->n] = (struct hosts_entry){ .name = tok, .v6 = v6, .seq = h->n };
			if (v6)
				e[h->n].addr6 = ip6_load(in6.s6_addr);
			else
				e[h->n].addr = ntohl(in.s_addr);
			h->n++;
		}
	}
	/* No entry leaves h->e NULL, which qsort() must not be given even for 0 of them. */
	if (h->n)
		qsort(h->e, h->n, sizeof(*h->e), cmp_hosts_entry);
	return 0;
}

void hosts_free(struct hosts_file *h)
{
	free(h->e);
	free(h->text);
	memset(h, 0, sizeof(*h));
}

/* Adds a to r->addrs (which has room) unless it is there: names have few addresses. */
static void add_addr(struct resolved *r, __u32 a)
{
	size_t i;

	for (i = 0; i < r->n && r->addrs[i] != a; i++)
		;
	if (i == r->n)
		r->addrs[r->n++] = a;
}

static void add_addr6(struct resolved *r, ip6_t a)
{
	size_t i;

	for (i = 0; i < r->n6 && r->addrs6[i] != a; i++)
		;
	if (i == r->n6)
		r->addrs6[r->n6++] = a;
}

/* Room for cap4 IPv4 and cap6 IPv6 addresses in r (one of each unless all): 0 or ARES_ENOMEM. */
static int alloc_addrs(struct resolved *r, size_t cap4, size_t cap6, bool all)
{
	if (cap4 && !(r->addrs = malloc((all ? cap4 : 1) * sizeof(*r->addrs))))
		return ARES_ENOMEM;
	if (cap6 && !(r->addrs6 = malloc((all ? cap6 : 1) * sizeof(*r->addrs6))))
		return ARES_ENOMEM;
	return ARES_SUCCESS;
}

static bool family_wanted(int family, bool v6)
{
	return family == AF_UNSPEC || family == (v6 ? AF_INET6 : AF_INET);
}

int hosts_lookup(const struct hosts_file *h, const char *name, bool all, int family,
		 struct resolved *r)
{
	size_t lo = 0, hi = h->n, end, cap4 = 0, cap6 = 0;

	memset(r, 0, sizeof(*r));
	if (h->unavail)
		return ARES_EFILE;
	/* The first entry of name: entries are sorted by name, then by their place in the file. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(h->e[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < h->n && !strcasecmp(h->e[end].name, name); end++) {
		cap4 += family_wanted(family, false) && !h->e[end].v6;
		cap6 += family_wanted(family, true) && h->e[end].v6;
	}
	if (!cap4 && !cap6)
		return ARES_ENOTFOUND;
	if (alloc_addrs(r, cap4, cap6, all))
		return ARES_ENOMEM;
	for (size_t i = lo; i < end; i++) {
		const struct hosts_entry *e = &h->e[i];

		if (!family_wanted(family, e->v6))
			continue;
		if (e->v6 && (all || !r->n6))
			add_addr6(r, e->addr6);
		else if (!e->v6 && (all || !r->n))
			add_addr(r, e->addr);
	}
	r->files = true;
	return ARES_SUCCESS;
}

/* One resolution of a batch: /etc/hosts read once, one c-ares channel for DNS. */
struct batch {
	ares_channel dns;
	struct hosts_file hosts;
	struct nss_hosts nss;
	char *const *names;
	struct resolved *out;
	bool all;
	int family;	/* AF_UNSPEC: both */
	bool cancelled; /* the channel is being torn down: finish every name at once */
	size_t next, done, inflight;
	int err; /* -ENOMEM once anything ran out of memory */
};

/* A name on its way through the hosts sources. */
struct job {
	struct batch *b;
	size_t idx;
	size_t step;
	int status; /* the failure that explains it best so far, ARES_SUCCESS before any */
	/*
	 * DNS answers of this step still out: one query per family asked, or an SRV name's
	 * target lookups (and itself).
	 */
	size_t pending;
	int status4, status6; /* the queries' outcomes (ARES_ENODATA for a family not asked) */
	/* An SRV name: the first failure of its targets' lookups, room in out's addrs. */
	size_t cap;
	int srv_status;
};

/* A job's query for one family: the answer must say which it was. */
struct query {
	struct job *j;
	bool v6;
};

/*
 * glibc's classes of outcome: its dns module maps a server failure or a timeout to TRYAGAIN, no
 * reachable server to UNAVAIL; its files module an unreadable file to UNAVAIL.
 */
enum nss_status nss_status_of(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		return NSS_NOTFOUND;
	case ARES_ECONNREFUSED:
	case ARES_EFILE:
		return NSS_UNAVAIL;
	default:
		return NSS_TRYAGAIN;
	}
}

static void finish(struct job *j, int status)
{
	struct batch *b = j->b;

	b->out[j->idx].status = status;
	if (status == ARES_SUCCESS && !b->all)
		resolved_prefer(&b->out[j->idx], route6_usable);
	if (status != ARES_SUCCESS)
		b->out[j->idx].reason = ares_strerror(status);
	if (status == ARES_ENOMEM)
		b->err = -ENOMEM;
	b->done++;
	b->inflight--;
	free(j);
}

/*
 * The addresses of an answer into r (the first of each family unless all): ARES_SUCCESS,
 * ARES_ENODATA if none, ARES_ENOMEM.
 */
static int take_addrs(struct resolved *r, const struct ares_addrinfo_node *nodes, bool all)
{
	const struct ares_addrinfo_node *nd;
	size_t cap4 = 0, cap6 = 0;

	for (nd = nodes; nd; nd = nd->ai_next) {
		cap4 += nd->ai_family == AF_INET;
		cap6 += nd->ai_family == AF_INET6;
	}
	if (!cap4 && !cap6)
		return ARES_ENODATA;
	if (alloc_addrs(r, cap4, cap6, all))
		return ARES_ENOMEM;
	/* The answer of the other family may be in r already: the lowest TTL of both. */
	if (!r->n && !r->n6)
		r->ttl = ~0U;
	for (nd = nodes; nd; nd = nd->ai_next) {
		bool v6 = nd->ai_family == AF_INET6;

		if ((nd->ai_family != AF_INET && !v6) || (!all && (v6 ? r->n6 : r->n)))
			continue;
		if (nd->ai_ttl >= 0 && (__u32)nd->ai_ttl < r->ttl)
			r->ttl = nd->ai_ttl;
		if (v6)
			add_addr6(r, ip6_load(((const struct sockaddr_in6 *)nd->ai_addr)
						      ->sin6_addr.s6_addr));
		else
			add_addr(r, ntohl(((const struct sockaddr_in *)nd->ai_addr)
						  ->sin_addr.s_addr));
	}
	return ARES_SUCCESS;
}

static void start_step(struct job *j);
static void step_done(struct job *j, int status);

bool is_srv_name(const char *name)
{
	const char *dot = strchr(name, '.');

	return name[0] == '_' && dot && dot[1] == '_';
}

/* The lowest TTL of the answer's SRV records (RFC 1035 4.1), which c-ares 1.18 does not give. */
static __u32 srv_ttl(const unsigned char *abuf, int alen)
{
	const unsigned char *p = abuf + HFIXEDSZ;
	unsigned int qd, an;
	__u32 ttl = ~0U;
	char *name;
	long len;

	if (alen < HFIXEDSZ)
		return 0;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	for (unsigned int i = 0; i < qd + an; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS)
			return ttl == ~0U ? 0 : ttl;
		ares_free_string(name);
		p += len;
		if (i < qd) {
			p += QFIXEDSZ;
			continue;
		}
		if (p + RRFIXEDSZ > abuf + alen)
			break;
		if ((p[0] << 8 | p[1]) == T_SRV) {
			__u32 t = (__u32)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];

			ttl = t < ttl ? t : ttl;
		}
		p += RRFIXEDSZ + (p[8] << 8 | p[9]);
		if (p > abuf + alen)
			break;
	}
	return ttl == ~0U ? 0 : ttl;
}

/* One SRV target's addresses, added to its name's. */
static void on_srv_target(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct job *j = arg;
	struct resolved *r = &j->b->out[j->idx];
	const struct ares_addrinfo_node *nd;

	(void)timeouts;
	for (nd = status == ARES_SUCCESS && ai ? ai->nodes : NULL; nd; nd = nd->ai_next) {
		if (nd->ai_family != AF_INET)
			continue;
		if (r->n == j->cap) {
			__u32 *a = realloc(r->addrs, (j->cap * 2 + 4) * sizeof(*a));

			if (!a) {
				j->srv_status = ARES_ENOMEM;
				break;
			}
			r->addrs = a;
			j->cap = j->cap * 2 + 4;
		}
		if (nd->ai_ttl >= 0 && (__u32)nd->ai_ttl < r->ttl)
			r->ttl = nd->ai_ttl;
		add_addr(r, ntohl(((const struct sockaddr_in *)nd->ai_addr)->sin_addr.s_addr));
	}
	if (status != ARES_SUCCESS && j->srv_status == ARES_SUCCESS)
		j->srv_status = status;
	if (ai)
		ares_freeaddrinfo(ai);
	if (--j->pending)
		return;
	if (j->srv_status == ARES_ENOMEM)
		step_done(j, ARES_ENOMEM);
	else
		step_done(j, r->n ? ARES_SUCCESS : j->srv_status ?: ARES_ENODATA);
}

/*
 * An SRV name (RFC 2782: _service._proto.name): its targets, each looked up as a name, make
 * its addresses, every one (the service is all of them, with or without -m); the answer is
 * kept as long as the shortest of the SRV and address TTLs.
 */
static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct ares_srv_reply *srv = NULL, *s;
	struct ares_addrinfo_hints hints = { .ai_family = AF_INET, .ai_flags = ARES_AI_NOSORT };
	struct job *j = arg;
	struct resolved *r = &j->b->out[j->idx];
	size_t n = 0;

	(void)timeouts;
	if (status == ARES_SUCCESS)
		status = ares_parse_srv_reply(abuf, alen, &srv);
	if (status != ARES_SUCCESS || j->b->cancelled) {
		ares_free_data(srv);
		step_done(j, status == ARES_SUCCESS ? ARES_ECANCELLED : status);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->ttl = srv_ttl(abuf, alen);
	j->srv_status = ARES_SUCCESS;
	/* "." is RFC 2782's "no such service here". */
	for (s = srv; s; s = s->next)
		n += s->host[0] && strcmp(s->host, ".");
	if (!n) {
		ares_free_data(srv);
		step_done(j, ARES_ENODATA);
		return;
	}
	/* Counted whole first: an answer may come back before the next query is sent. */
	j->pending = n + 1;
	for (s = srv; s; s = s->next)
		if (s->host[0] && strcmp(s->host, "."))
			ares_getaddrinfo(j->b->dns, s->host, NULL, &hints, on_srv_target, j);
	ares_free_data(srv);
	on_srv_target(j, ARES_SUCCESS, 0, NULL);
}

/* Where a source left the name: done, or on to the next source as the criteria say. */
static void step_done(struct job *j, int status)
{
	struct batch *b = j->b;
	enum nss_status ns = nss_status_of(status);

	if (status == ARES_SUCCESS || status == ARES_ENOMEM || b->cancelled) {
		finish(j, status);
		return;
	}
	/* An outage explains a failure better than "not found" from the next source. */
	if (j->status == ARES_SUCCESS || nss_status_of(j->status) == NSS_NOTFOUND)
		j->status = status;
	if (b->nss.step[j->step].stop[ns] || ++j->step == b->nss.n)
		finish(j, j->status);
	else
		start_step(j);
}

/*
 * The name's outcome from the answers of both families: found if either has addresses. With no
 * A record the AAAA query says whether the name exists; otherwise the A query's failure (an
 * outage) explains it, as it did when only A records were asked for.
 */
static int merged_status(int s4, int s6)
{
	if (s4 == ARES_ENOMEM || s6 == ARES_ENOMEM)
		return ARES_ENOMEM;
	if (s4 == ARES_SUCCESS || s6 == ARES_SUCCESS)
		return ARES_SUCCESS;
	return s4 == ARES_ENODATA ? s6 : s4;
}

static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct query *q = arg;
	struct job *j = q->j;

	(void)timeouts;
	if (status == ARES_SUCCESS) {
		status = take_addrs(&j->b->out[j->idx], ai->nodes, j->b->all);
		ares_freeaddrinfo(ai);
	}
	*(q->v6 ? &j->status6 : &j->status4) = status;
	free(q);
	if (--j->pending)
		return;
	step_done(j, merged_status(j->status4, j->status6));
}

/*
 * One query per family: c-ares 1.18 asking for both in one ares_getaddrinfo reports a refusing
 * server as a timeout, and says "no data" where one family has none.
 */
static void query(struct job *j, bool v6)
{
	struct query *q = malloc(sizeof(*q));
	/*
	 * No RFC 6724 sorting: it connects a socket per address to choose, and within a family
	 * the server's order (round-robin DNS) is what the owner of the name intends; between
	 * the families prefer.h chooses.
	 */
	struct ares_addrinfo_hints hints = { .ai_family = v6 ? AF_INET6 : AF_INET,
					     .ai_flags = ARES_AI_NOSORT };

	if (!q) {
		*(v6 ? &j->status6 : &j->status4) = ARES_ENOMEM;
		if (!--j->pending)
			step_done(j, ARES_ENOMEM);
		return;
	}
	*q = (struct query){ .j = j, .v6 = v6 };
	ares_getaddrinfo(j->b->dns, j->b->names[j->idx], NULL, &hints, on_answer, q);
}

/* The answer may come before this returns (files, a cached failure): j may be gone then. */
static void start_step(struct job *j)
{
	struct batch *b = j->b;
	bool ask4 = family_wanted(b->family, false), ask6 = family_wanted(b->family, true);

	if (b->nss.step[j->step].src == NSS_FILES) {
		step_done(j, hosts_lookup(&b->hosts, b->names[j->idx], b->all, b->family,
					  &b->out[j->idx]));
		return;
	}
	if (is_srv_name(b->names[j->idx])) {
		ares_query(b->dns, b->names[j->idx], C_IN, T_SRV, on_srv, j);
		return;
	}
	/* Both counted before either is sent: an answer may come before query() returns. */
	j->pending = ask4 + ask6;
	j->status4 = j->status6 = ARES_ENODATA;
	if (ask6)
		query(j, true);
	if (ask4)
		query(j, false);
}

static void start_next(struct batch *b)
{
	struct job *j = malloc(sizeof(*j));

	if (!j) {
		b->err = -ENOMEM;
		return;
	}
	*j = (struct job){ .b = b, .idx = b->next++, .status = ARES_SUCCESS };
	b->inflight++;
	start_step(j);
}

/*
 * Waits for the DNS channel's sockets or its next timeout, at most max_ms, and lets c-ares
 * process what happened. 0 or a negative errno; EINTR is not an error.
 */
static int wait_dns(ares_channel ch, int max_ms)
{
	struct timeval max = { .tv_sec = max_ms / 1000, .tv_usec = max_ms % 1000 * 1000 }, tv, *t;
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	/*
	 * Unsigned: c-ares' ARES_GETSOCK_WRITABLE() shifts 1 into the sign bit of an int for the
	 * 16th socket, which is undefined behaviour (UBSan stops there).
	 */
	unsigned int mask = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	int n = 0, ready;

	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = (mask & 1U << i ? POLLIN : 0) |
			   (mask & 1U << (i + ARES_GETSOCK_MAXNUM) ? POLLOUT : 0);

		if (ev)
			pfd[n++] = (struct pollfd){ .fd = socks[i], .events = ev };
	}
	t = ares_timeout(ch, &max, &tv);
	/* Rounded up: a timeout due in under a millisecond must not spin. */
	ready = poll(pfd, n, t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
	if (ready < 0)
		return errno == EINTR ? 0 : -errno;
	if (!ready) {
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		return 0;
	}
	for (int i = 0; i < n; i++)
		if (pfd[i].revents)
			ares_process_fd(ch, pfd[i].revents & ~POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD,
					pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
	return 0;
}

static void library_cleanup(void)
{
	pthread_mutex_lock(&ares_lib_lock);
	ares_library_cleanup();
	pthread_mutex_unlock(&ares_lib_lock);
}

/*
 * c-ares reads the servers, search list, ndots and rotate of resolv.conf itself. Not the
 * timeout: and attempts: options (1.18 knows only its own retrans:/retry:): those are passed.
 */
static int open_dns(struct batch *b)
{
	struct ares_options opt = { 0 };
	struct resolv_conf rc;
	char lookups[] = "b";
	int err, mask;

	pthread_mutex_lock(&ares_lib_lock);
	err = ares_library_init(ARES_LIB_INIT_ALL);
	pthread_mutex_unlock(&ares_lib_lock);
	if (err)
		goto fail;
	resolv_conf_read(RESOLV_CONF, getenv("RES_OPTIONS"), &rc);
	/* DNS only: /etc/hosts and the order of the two are ours, from nsswitch.conf. */
	opt.lookups = lookups;
	opt.timeout = rc.timeout_s * 1000;
	opt.tries = rc.attempts;
	/*
	 * c-ares answers a SERVFAIL, REFUSED or NOTIMP by asking the next server, and when none is
	 * left says "Could not contact DNS servers". With a single server (none listed means
	 * 127.0.0.1) there is no other to ask: let the answer through, so the message says what
	 * the server said.
	 */
	opt.flags = rc.nameservers <= 1 ? ARES_FLAG_NOCHECKRESP : 0;
	mask = ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
	err = ares_init_options(&b->dns, &opt, mask);
	if (!err)
		return 0;
	library_cleanup();
fail:
	pr_warn("cannot set up the resolver: %s\n", ares_strerror(err));
	return err == ARES_ENOMEM ? -ENOMEM : -EIO;
}

int resolve_names(char *const *names, size_t n, const struct resolve_opts *o,
		  struct resolved *out)
{
	struct batch b = { .names = names, .out = out, .all = o->all, .family = o->family };
	bool progress = o->progress && isatty(STDERR_FILENO), shown = false;
	__u64 start = mono_ns(), drawn = start, now;
	size_t done, failed = 0;
	int err = 0;

	memset(out, 0, n * sizeof(*out));
	if (!n)
		return 0;
	nss_hosts_read(NSSWITCH_CONF, &b.nss);
	if (!b.nss.n) {
		for (size_t i = 0; i < n; i++) {
			out[i].status = ARES_ENOTFOUND;
			out[i].reason = "no usable source in the hosts line of " NSSWITCH_CONF;
		}
		return 0;
	}
	err = hosts_load(HOSTS_FILE, &b.hosts) ?: open_dns(&b);
	if (err) {
		hosts_free(&b.hosts);
		return err;
	}

	while (!err && !b.err && b.done < n && !(o->stop && *o->stop)) {
		while (!b.err && b.next < n &&
		       b.inflight * (b.family == AF_UNSPEC ? 2 : 1) < RESOLVE_INFLIGHT)
			start_next(&b);
		if (b.done < n && !b.err)
			err = wait_dns(b.dns, 250);
		now = mono_ns();
		if (progress && now - drawn >= PROGRESS_NS && b.done < n) {
			fprintf(stderr, "\rresolving %zu/%zu names   ", b.done, n);
			drawn = now;
			shown = true;
		}
	}
	/*
	 * The loop ends early on an error or a stop request. The teardown calls back what is
	 * still in flight (and frees its job): count what was done before it.
	 */
	done = b.done;
	b.cancelled = true;
	ares_destroy(b.dns);
	library_cleanup();
	hosts_free(&b.hosts);
	if (shown)
		fputs("\r\033[K", stderr);

	if (err) {
		pr_warn("cannot wait for DNS answers: %s\n", strerror(-err));
	} else if (b.err) {
		err = b.err;
	} else if (done < n) {
		pr_warn("interrupted while resolving names (%zu of %zu done)\n", done, n);
		err = -EINTR;
	}
	if (err) {
		resolved_free(out, n);
		return err;
	}
	for (size_t i = 0; i < n; i++)
		failed += !out[i].n && !out[i].n6;
	now = mono_ns();
	pr_info("resolved %zu names in %.3f s (%.0f names/s), %zu failed\n", n,
		(now - start) / 1e9, n * 1e9 / (now - start ?: 1), failed);
	return 0;
}

void resolved_free(struct resolved *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].addrs);
		free(r[i].addrs6);
	}
	memset(r, 0, n * sizeof(*r));
}
