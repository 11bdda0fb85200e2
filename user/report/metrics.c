// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "conf/web_config.h"
#include "lib/caps.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/metrics.h"

#define CONTENT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_HTML "text/html; charset=utf-8"
#define CONTENT_TEXT "text/plain; charset=utf-8"
#define STATUS_DOWN_MAX 50 /* series listed as down on the status page */

/* A growing text buffer; on allocation failure it stops growing and says so in oom. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

enum page_kind { PAGE_METRICS, PAGE_STATUS, N_PAGES };

/*
 * A rendered page. Responses send it from where it is (a copy of 20 MB per scrape costs more
 * than rendering it), so each holds a reference, as does the server while it is current.
 */
struct page {
	struct text t;
	struct text gz; /* t gzip-compressed, made at the first scrape that asks for it */
	bool gz_made;
	enum page_kind kind;
	unsigned int refs;
	struct metrics *m;
};

struct metrics {
	struct MHD_Daemon *d;
	pthread_mutex_t lock; /* guards the pages and their refs */
	struct page *cur[N_PAGES];
	/* A page nobody holds any more, kept to render the next one in: its memory is mapped
	 * already, and faulting 20 MB in every round would cost more than rendering. */
	struct page *spare[N_PAGES];
	__u64 alive_until; /* CLOCK_MONOTONIC ns, atomic */
	int fd;		    /* the listening socket */
	struct web_config web;
};

static bool reserve(struct text *t, size_t n)
{
	char *p;

	if (t->oom)
		return false;
	if (t->len + n < t->cap)
		return true;
	t->cap = (t->len + n) * 2;
	p = realloc(t->p, t->cap);
	if (!p) {
		t->oom = true;
		return false;
	}
	t->p = p;
	return true;
}

static void put(struct text *t, const char *s, size_t n)
{
	if (!reserve(t, n + 1))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) printf_(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(t, n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, n + 1, fmt, ap);
	va_end(ap);
	t->len += n;
}

/* A sample's value and its newline. Most of a large exposition: formatted without printf. */
static void put_u64(struct text *t, __u64 v)
{
	char buf[24], *p = buf + sizeof(buf);

	*--p = '\n';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	put(t, p, buf + sizeof(buf) - p);
}

/* A string and its length, so that the 250,000 lines of a large exposition need no strlen. */
struct str {
	const char *s;
	size_t n;
};

static struct str str(const char *s)
{
	return (struct str){ s, strlen(s) };
}

/* name{labels[,extra]} and the space before the value */
static void sample_start(struct text *t, struct str name, struct str labels, struct str extra)
{
	if (!reserve(t, name.n + labels.n + extra.n + 4))
		return;
	memcpy(t->p + t->len, name.s, name.n);
	t->len += name.n;
	t->p[t->len++] = '{';
	memcpy(t->p + t->len, labels.s, labels.n);
	t->len += labels.n;
	memcpy(t->p + t->len, extra.s, extra.n);
	t->len += extra.n;
	t->p[t->len++] = '}';
	t->p[t->len++] = ' ';
	t->p[t->len] = '\0';
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	printf_(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_histograms(struct text *t, const struct round_report *r)
{
	struct str bucket = str("echomap_rtt_seconds_bucket"), sum = str("echomap_rtt_seconds_sum");
	struct str count = str("echomap_rtt_seconds_count"), none = str("");
	struct str le[EXPORT_BOUNDS_MAX + 1];
	char le_buf[EXPORT_BOUNDS_MAX + 1][40];
	size_t nb = r->eb->n;

	for (size_t j = 0; j <= nb; j++) {
		if (j < nb)
			snprintf(le_buf[j], sizeof(le_buf[j]), ",le=\"%g\"", r->eb->le[j]);
		else
			snprintf(le_buf[j], sizeof(le_buf[j]), ",le=\"+Inf\"");
		le[j] = str(le_buf[j]);
	}
	family(t, "echomap_rtt_seconds", "histogram",
	       "Round-trip time of the echo replies that came in time.");
	for (__u32 i = 0; i < r->ss->n; i++) {
		const struct series_state *st = &r->st[i];
		struct str labels = str(r->ss->v[i].labels);
		__u64 cum = 0;

		for (size_t j = 0; j <= nb; j++) {
			cum += st->buckets[j];
			sample_start(t, bucket, labels, le[j]);
			put_u64(t, cum);
		}
		sample_start(t, sum, labels, none);
		printf_(t, "%.9f\n", st->total.sum_ns / 1e9);
		sample_start(t, count, labels, none);
		put_u64(t, cum);
	}
}

static const struct counter_family {
	const char *name, *help;
	size_t offset; /* in struct series_counts */
} counters[] = {
	{ "echomap_probes_sent_total", "Echo requests sent.",
	  offsetof(struct series_counts, sent) },
	{ "echomap_replies_total", "Echo replies that came in time, one per probe.",
	  offsetof(struct series_counts, replies) },
	{ "echomap_late_replies_total",
	  "Replies that came after their round closed or after the timeout.",
	  offsetof(struct series_counts, late) },
	{ "echomap_duplicates_total", "Further replies to a probe that had one.",
	  offsetof(struct series_counts, dups) },
	{ "echomap_icmp_errors_total",
	  "ICMP destination unreachable and time exceeded quoting a probe, in time.",
	  offsetof(struct series_counts, errors) },
	{ "echomap_lost_total",
	  "Probes without an echo reply within their timeout: sent - replies, of closed rounds.",
	  offsetof(struct series_counts, lost) },
};

/* An RFC 1812 host starts a reply at one of these TTLs: the smallest not below it is its. */
static unsigned int hops_of(__u8 ttl)
{
	static const unsigned int initial[] = { 32, 64, 128, 255 };

	for (size_t i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
		if (ttl <= initial[i])
			return initial[i] - ttl;
	return 0;
}

/* The per-series gauges and counters that are not integers; NAN values are left out. */
static void render_real(struct text *t, const struct round_report *r, const char *name,
			const char *type, const char *help, size_t offset, double scale)
{
	struct str n = str(name), none = str("");

	family(t, name, type, help);
	for (__u32 i = 0; i < r->ss->n; i++) {
		double v = *(const double *)((const char *)&r->st[i] + offset);

		if (isnan(v))
			continue;
		sample_start(t, n, str(r->ss->v[i].labels), none);
		printf_(t, "%.9g\n", v * scale);
	}
}

static void render_metrics(struct text *t, const struct round_report *r)
{
	const struct series_set *ss = r->ss;
	char ifname[2 * IF_NAMESIZE];
	struct str none = str(""), up = str("echomap_up"), ttl = str("echomap_ttl");

	render_histograms(t, r);
	for (size_t f = 0; f < sizeof(counters) / sizeof(counters[0]); f++) {
		struct str name = str(counters[f].name);

		family(t, counters[f].name, "counter", counters[f].help);
		for (__u32 i = 0; i < ss->n; i++) {
			const char *total = (const char *)&r->st[i].total;

			sample_start(t, name, str(ss->v[i].labels), none);
			put_u64(t, *(const __u64 *)(total + counters[f].offset));
		}
	}
	family(t, up.s, "gauge", "1 if the series answered in the last round, else 0.");
	for (__u32 i = 0; i < ss->n; i++) {
		sample_start(t, up, str(ss->v[i].labels), none);
		put_u64(t, r->st[i].round.replies > 0);
	}
	family(t, ttl.s, "gauge", "IPv4 TTL of the latest echo reply.");
	for (__u32 i = 0; i < ss->n; i++) {
		if (!r->st[i].ttl)
			continue;
		sample_start(t, ttl, str(ss->v[i].labels), none);
		put_u64(t, r->st[i].ttl);
	}
	family(t, "echomap_reply_hops", "gauge",
	       "Routers the latest echo reply crossed: the smallest of 32, 64, 128, 255 not below "
	       "its TTL, less the TTL.");
	for (__u32 i = 0; i < ss->n; i++) {
		if (!r->st[i].ttl)
			continue;
		sample_start(t, str("echomap_reply_hops"), str(ss->v[i].labels), none);
		put_u64(t, hops_of(r->st[i].ttl));
	}
	family(t, "echomap_outage_seconds_total", "counter",
	       "Time without replies, as fping -o counts it: each lost probe stands for its share "
	       "of the round (interval / probes).");
	for (__u32 i = 0; i < ss->n; i++) {
		sample_start(t, str("echomap_outage_seconds_total"), str(ss->v[i].labels), none);
		printf_(t, "%.9g\n", r->st[i].total.outage_ns / 1e9);
	}
	render_real(t, r, "echomap_rtt_jitter_seconds", "gauge",
		    "RFC 3550 interarrival jitter of the echo replies: J += (|D| - J) / 16 over "
		    "consecutive replies, D the difference of their RTTs.",
		    offsetof(struct series_state, jitter_ns), 1e-9);
	render_real(t, r, "echomap_rtt_mdev_seconds", "gauge",
		    "Standard deviation of the RTTs of the last round's echo replies (ping's mdev).",
		    offsetof(struct series_state, mdev_ns), 1e-9);
	family(t, "echomap_invalid_replies_total", "counter",
	       "Replies that failed the cookie check; they name no target, so have no labels.");
	printf_(t, "echomap_invalid_replies_total %llu\n", (unsigned long long)r->invalid);
	family(t, "echomap_interface_dropped_frames_total", "counter",
	       "Frames lost on our side of the probing interface since start (its tx_dropped "
	       "and rx_missed_errors, a veth peer's tx_dropped): losses that are ours.");
	prom_escape(ifname, sizeof(ifname), r->ifname);
	printf_(t, "echomap_interface_dropped_frames_total{interface=\"%s\"} %llu\n", ifname,
		(unsigned long long)r->if_drops);
	family(t, "echomap_round_duration_seconds", "gauge",
	       "Time from the first probe of the last round to its close.");
	printf_(t, "echomap_round_duration_seconds %.6f\n", r->duration_s);
	family(t, "echomap_rounds_total", "counter", "Rounds closed.");
	printf_(t, "echomap_rounds_total %llu\n", (unsigned long long)r->rounds);
	family(t, "echomap_targets", "gauge", "Addresses watched.");
	printf_(t, "echomap_targets %llu\n", (unsigned long long)r->ts->count);
}

static void html_escape(struct text *t, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			puts_(t, "&lt;");
			break;
		case '>':
			puts_(t, "&gt;");
			break;
		case '&':
			puts_(t, "&amp;");
			break;
		case '"':
			puts_(t, "&quot;");
			break;
		default:
			put(t, s, 1);
		}
	}
}

static void render_status(struct text *t, const struct round_report *r)
{
	char when[32];
	struct tm tm;
	__u32 shown = 0;

	gmtime_r(&r->closed.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf_(t,
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>echomap watch</title>"
		"</head>\n<body><h1>echomap watch</h1>\n<p>Interface %s, %llu targets in %u "
		"series, %u probe(s) per target and round.</p>\n<p>Round %u closed at %s after "
		"%.3f s: <b>%u of %u series up</b>, %llu invalid replies since start.</p>\n"
		"<p><a href=\"/metrics\">/metrics</a> &middot; "
		"<a href=\"/-/healthy\">/-/healthy</a></p>\n",
		r->ifname, (unsigned long long)r->ts->count, r->ss->n, r->probes, r->round, when,
		r->duration_s, r->up, r->ss->n, (unsigned long long)r->invalid);
	if (r->up < r->ss->n)
		puts_(t, "<h2>Down</h2>\n<ul>\n");
	for (__u32 i = 0; i < r->ss->n && shown < STATUS_DOWN_MAX; i++) {
		if (r->st[i].round.replies)
			continue;
		puts_(t, "<li>");
		html_escape(t, r->ss->v[i].id);
		puts_(t, "</li>\n");
		shown++;
	}
	if (r->up < r->ss->n)
		printf_(t, "</ul>\n%s", r->ss->n - r->up > shown ? "<p>and more.</p>\n" : "");
	puts_(t, "</body></html>\n");
}

static void page_free(struct page *p)
{
	if (p) {
		free(p->t.p);
		free(p->gz.p);
	}
	free(p);
}

/* Called with the lock held. */
static void page_release(struct page *p)
{
	struct metrics *m = p->m;

	if (--p->refs)
		return;
	if (!m->spare[p->kind])
		m->spare[p->kind] = p;
	else
		page_free(p);
}

/* An empty page to render into: the spare one if there is one. */
static struct page *page_new(struct metrics *m, enum page_kind kind)
{
	struct page *p;

	pthread_mutex_lock(&m->lock);
	p = m->spare[kind];
	m->spare[kind] = NULL;
	pthread_mutex_unlock(&m->lock);
	if (!p && !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->t.len = 0;
	p->t.oom = false;
	p->gz.len = 0;
	p->gz.oom = false;
	p->gz_made = false;
	p->kind = kind;
	p->m = m;
	return p;
}

/* Makes a rendered page the one served; the previous goes when its last response is sent. */
static void page_publish(struct metrics *m, struct page *p)
{
	struct page *old;

	if (p->t.oom) {
		pr_warn("out of memory rendering a page: serving the previous one\n");
		page_free(p);
		return;
	}
	p->refs = 1;
	pthread_mutex_lock(&m->lock);
	old = m->cur[p->kind];
	m->cur[p->kind] = p;
	if (old)
		page_release(old);
	pthread_mutex_unlock(&m->lock);
}

void metrics_publish(struct metrics *m, const struct round_report *r)
{
	struct page *p = page_new(m, PAGE_METRICS);

	if (p) {
		render_metrics(&p->t, r);
		page_publish(m, p);
	}
	p = page_new(m, PAGE_STATUS);
	if (p) {
		render_status(&p->t, r);
		page_publish(m, p);
	}
}

void metrics_alive_until(struct metrics *m, __u64 until_ns)
{
	__atomic_store_n(&m->alive_until, until_ns, __ATOMIC_RELAXED);
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int code, const char *type,
			       const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void response_done(void *cls)
{
	struct page *p = cls;
	struct metrics *m = p->m;

	pthread_mutex_lock(&m->lock);
	page_release(p);
	pthread_mutex_unlock(&m->lock);
}

/*
 * gzip of the page, as a scraper asks with Accept-Encoding: on the HTTP server's one thread, so
 * a page is compressed once, by the first scrape that wants it, not by every round (100,000
 * targets: 0.4 s of CPU in every round of a second). Level 1: 3.6 times as fast per byte as the
 * default level, and no larger here (under 100 bytes per target). false: serve it plain.
 */
static bool page_gzip(struct page *p)
{
	z_stream z = { 0 };
	int ret;

	if (p->gz_made)
		return !p->gz.oom;
	p->gz_made = true;
	/* 16 + 15: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY)) {
		p->gz.oom = true;
		return false;
	}
	if (!reserve(&p->gz, deflateBound(&z, p->t.len))) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = (Bytef *)p->t.p;
	z.avail_in = p->t.len;
	z.next_out = (Bytef *)p->gz.p;
	z.avail_out = p->gz.cap;
	ret = deflate(&z, Z_FINISH);
	p->gz.len = z.total_out;
	deflateEnd(&z);
	if (ret != Z_STREAM_END)
		p->gz.oom = true;
	return !p->gz.oom;
}

/* Whether Accept-Encoding takes gzip (and not with q=0). */
static bool wants_gzip(struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *g = ae ? strstr(ae, "gzip") : NULL;

	return g && strncmp(g + 4, ";q=0", 4) && strncmp(g + 4, "; q=0", 5);
}

static enum MHD_Result serve_page(struct metrics *m, struct MHD_Connection *c,
				  enum page_kind kind, const char *type)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct page *p;
	bool gz;

	pthread_mutex_lock(&m->lock);
	p = m->cur[kind];
	p->refs++;
	pthread_mutex_unlock(&m->lock);
	gz = wants_gzip(c) && page_gzip(p);
	resp = MHD_create_response_from_buffer_with_free_callback_cls(
		gz ? p->gz.len : p->t.len, gz ? p->gz.p : p->t.p, response_done, p);
	if (!resp) {
		response_done(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool authorized(struct metrics *m, struct MHD_Connection *c)
{
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	bool ok = user && pass && web_config_allows(&m->web, user, pass);

	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result ask_credentials(struct MHD_Connection *c)
{
	static const char denied[] = "authentication required\n";
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		sizeof(denied) - 1, (void *)denied, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TEXT);
	ret = MHD_queue_basic_auth_fail_response(c, "echomap", resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	static const char healthy[] = "OK\n", overdue[] = "rounds are overdue\n";
	static const char reloading[] = "reload requested: done when the rounds in progress close\n";
	struct metrics *m = cls;

	(void)version;
	(void)upload;
	if (m->web.n_users && !authorized(m, c))
		return ask_credentials(c);
	if (!strcmp(url, "/-/reload") && !strcmp(method, MHD_HTTP_METHOD_POST)) {
		/* Called again for every piece of a body, and once more at its end to answer. */
		if (!*req) {
			*req = m;
			return MHD_YES;
		}
		if (*upload_len) {
			*upload_len = 0;
			return MHD_YES;
		}
		reload_requested = 1;
		return respond(c, MHD_HTTP_OK, CONTENT_TEXT, reloading, sizeof(reloading) - 1);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, CONTENT_TEXT, "GET or HEAD\n", 12);
	if (!strcmp(url, "/metrics"))
		return serve_page(m, c, PAGE_METRICS, CONTENT_PROM);
	if (!strcmp(url, "/"))
		return serve_page(m, c, PAGE_STATUS, CONTENT_HTML);
	if (!strcmp(url, "/-/healthy")) {
		if (mono_ns() < __atomic_load_n(&m->alive_until, __ATOMIC_RELAXED))
			return respond(c, MHD_HTTP_OK, CONTENT_TEXT, healthy, sizeof(healthy) - 1);
		return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, CONTENT_TEXT, overdue,
			       sizeof(overdue) - 1);
	}
	return respond(c, MHD_HTTP_NOT_FOUND, CONTENT_TEXT, "not found\n", 10);
}

/* libmicrohttpd's own complaints (a client gone mid-response and the like): -v only. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_info("http: %s\n", msg);
}

/* The socket is ours, so that its errors are ours to tell, with the errno that says why. */
static int listen_on(const struct config *cfg)
{
	int fd, one = 1;

	fd = socket(cfg->listen_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* A restart must not wait for the last run's connections to leave TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&cfg->listen_addr, cfg->listen_len) ||
	    listen(fd, 64))
		goto fail;
	return fd;
fail:
	pr_warn("cannot listen on %s: %s\n", cfg->listen, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void *start_daemon(void *arg)
{
	struct metrics *m = arg;
	int err = caps_limit_thread(0);

	if (err) {
		pr_warn("cannot drop the capabilities of the HTTP server: %s\n", strerror(-err));
		return NULL;
	}
	/* libmicrohttpd's thread takes its name from this one's. */
	pthread_setname_np(pthread_self(), "echomap-http");
	if (m->web.cert_pem)
		m->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
						MHD_USE_TLS,
					0, NULL, NULL, handle, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
					NULL, MHD_OPTION_LISTEN_SOCKET, m->fd,
					MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_HTTPS_MEM_CERT,
					m->web.cert_pem, MHD_OPTION_HTTPS_MEM_KEY, m->web.key_pem,
					MHD_OPTION_END);
	else
		m->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
					NULL, handle, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					MHD_OPTION_LISTEN_SOCKET, m->fd,
					MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_END);
	return NULL;
}

int metrics_start(struct metrics **mp, const struct config *cfg)
{
	static const char first[] = "# HELP echomap_rounds_total Rounds closed.\n"
				    "# TYPE echomap_rounds_total counter\n"
				    "echomap_rounds_total 0\n";
	static const char starting[] = "<!DOCTYPE html>\n<html><head><title>echomap watch</title>"
				       "</head><body><h1>echomap watch</h1><p>The first round is "
				       "in progress.</p></body></html>\n";
	struct metrics *m = calloc(1, sizeof(*m));
	pthread_t starter;
	struct page *p;
	int fd, err;

	if (!m) {
		pr_warn("out of memory\n");
		return EXIT_SYSTEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	if (cfg->web_config) {
		err = web_config_load(&m->web, cfg->web_config);
		if (err) {
			free(m);
			return err == -ENOMEM ? EXIT_SYSTEM : EXIT_USAGE;
		}
		if (m->web.cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			pr_warn("%s: this libmicrohttpd has no TLS\n", cfg->web_config);
			web_config_free(&m->web);
			free(m);
			return EXIT_SYSTEM;
		}
	}
	/* Until the first round closes: no series yet, and a status page that says so. */
	for (int k = 0; k < N_PAGES; k++) {
		p = page_new(m, k);
		if (!p)
			goto fail;
		puts_(&p->t, k == PAGE_METRICS ? first : starting);
		page_publish(m, p);
	}
	fd = listen_on(cfg);
	if (fd < 0)
		goto fail;
	m->fd = fd;
	/* The server's thread is started by one that has given up every capability: it has none. */
	if (pthread_create(&starter, NULL, start_daemon, m) || pthread_join(starter, NULL))
		m->d = NULL;
	if (!m->d) {
		pr_warn("cannot start the HTTP server on %s%s\n", cfg->listen,
			m->web.cert_pem ? " (is the key the certificate's?)" : "");
		close(fd);
		goto fail;
	}
	*mp = m;
	return 0;
fail:
	metrics_stop(m);
	return EXIT_SYSTEM;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	/* Stopped first: it ends every response, and so releases every page they held. */
	if (m->d)
		MHD_stop_daemon(m->d);
	for (int k = 0; k < N_PAGES; k++) {
		page_free(m->cur[k]);
		page_free(m->spare[k]);
	}
	pthread_mutex_destroy(&m->lock);
	web_config_free(&m->web);
	free(m);
}
