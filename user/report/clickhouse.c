// SPDX-License-Identifier: GPL-2.0
/*
 * ClickHouse over HTTP (libcurl). ClickHouse 18.16 (Debian 12) deduplicates inserts only into
 * Replicated tables and knows no insert_deduplication_token, so a batch whose outcome is unknown
 * (the connection broke, the server died or answered too late) is not sent again blindly: every
 * row carries (run_id, shard, batch) and every insert the query id of its batch; before a retry
 * we wait until no query with that id runs any more, then count the batch's rows. An insert of
 * one batch is one block, written as one part or not at all, so the count is all or nothing.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echomap_abi.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/clickhouse.h"
#include "report/output.h"
#include "targets/scope.h"

#define CH_DEFAULT_PORT	  8123
#define CH_BATCH_BYTES	  (8U << 20)
#define CH_ROW_MAX	  (64 + 2 * 256) /* fixed fields, name and scope with their lengths */
#define CH_BATCH_AGE_NS	  NSEC_PER_SEC
#define CH_BACKOFF_MS	  100
#define CH_BACKOFF_MAX_MS 5000
#define CH_REQUEST_S	  30

/* The order of the RowBinary fields in put_row. */
#define CH_COLUMNS                                                                                 \
	"time, run_id, shard, shards, batch, saddr, name, status, rtt_ns, ttl, icmp_type, "        \
	"icmp_code, router, replies, dups, scope"

struct ch_http {
	CURL *curl;
	struct ch_url u;
	char err[CURL_ERROR_SIZE];
	char *resp; /* the last answer, NUL-terminated */
	size_t resp_len, resp_cap;
	long status; /* HTTP status of the last answer, 0: none */
};

struct ch_writer {
	struct ch_http h;
	struct ch_writer_opts o;
	char *table; /* db.table, quoted */
	unsigned char *buf;
	size_t len;
	unsigned int batch_rows_now;
	__u32 batch;
	__u64 first_ns; /* when the batch got its first row */
	__u64 rows; /* in the table */
	struct out_sink spill; /* --spill: where the rows go once the server is given up */
	__u64 spilled; /* rows there */
	__u32 unsure_batch; /* the first one there: it may be in the table too */
	bool spilling;
	int err; /* sticky: the run cannot go on */
};

bool ch_is_url(const char *s)
{
	return s && !strncmp(s, CH_SCHEME, strlen(CH_SCHEME));
}

void ch_url_free(struct ch_url *u)
{
	free(u->base);
	free(u->user);
	free(u->password);
	free(u->db);
	free(u->table);
	free(u->shown);
	memset(u, 0, sizeof(*u));
}

/* A database or table name we can put in SQL unquoted: letters, digits, underscores. */
static bool plain_name(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
		      ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			return false;
	return true;
}

int ch_url_parse(const char *s, struct ch_url *u)
{
	const char *p = s + strlen(CH_SCHEME), *at, *slash, *dot, *colon, *host;
	unsigned long port = CH_DEFAULT_PORT;
	char *end;

	memset(u, 0, sizeof(*u));
	if (!ch_is_url(s))
		goto bad;
	slash = strchr(p, '/');
	if (!slash)
		goto bad;
	at = memrchr(p, '@', slash - p);
	host = at ? at + 1 : p;
	if (at) {
		colon = memchr(p, ':', at - p);
		u->user = strndup(p, (colon ? colon : at) - p);
		if (colon)
			u->password = strndup(colon + 1, at - colon - 1);
	}
	colon = memchr(host, ':', slash - host);
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || end != slash || !port || port > 65535)
			goto bad;
	}
	if ((colon ? colon : slash) == host)
		goto bad;
	dot = strchr(slash + 1, '.');
	if (!dot || !plain_name(slash + 1, dot - slash - 1) ||
	    !plain_name(dot + 1, strlen(dot + 1)))
		goto bad;
	u->db = strndup(slash + 1, dot - slash - 1);
	u->table = strdup(dot + 1);
	if (asprintf(&u->base, "http://%.*s:%lu/", (int)((colon ? colon : slash) - host), host,
		     port) < 0)
		u->base = NULL;
	if (asprintf(&u->shown, "clickhouse://%s%s%.*s:%lu/%s.%s", u->user ?: "",
		     u->user ? "@" : "", (int)((colon ? colon : slash) - host), host, port, u->db,
		     u->table) < 0)
		u->shown = NULL;
	if (!u->db || !u->table || !u->base || !u->shown || (at && !u->user)) {
		ch_url_free(u);
		pr_warn("out of memory\n");
		return -ENOMEM;
	}
	return 0;
bad:
	ch_url_free(u);
	/* Not the credentials, though. */
	at = strrchr(s, '@');
	pr_warn("'%s%s' is not a ClickHouse URL: "
		"clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB.TABLE\n",
		at ? CH_SCHEME "...@" : "", at ? at + 1 : s);
	return -EINVAL;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct ch_http *h = ctx;
	size_t len = size * n;

	if (h->resp_len + len + 1 > h->resp_cap) {
		size_t cap = (h->resp_len + len + 1) * 2;
		char *p = realloc(h->resp, cap);

		if (!p)
			return 0;
		h->resp = p;
		h->resp_cap = cap;
	}
	memcpy(h->resp + h->resp_len, data, len);
	h->resp_len += len;
	h->resp[h->resp_len] = '\0';
	return len;
}

static int http_open(struct ch_http *h, const char *url)
{
	int err;

	memset(h, 0, sizeof(*h));
	err = ch_url_parse(url, &h->u);
	if (err)
		return err;
	h->curl = curl_easy_init();
	if (!h->curl) {
		pr_warn("cannot set up libcurl\n");
		ch_url_free(&h->u);
		return -ENOMEM;
	}
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, (long)CH_REQUEST_S);
	curl_easy_setopt(h->curl, CURLOPT_PROXY, "");
	/*
	 * libcurl sends a request again by itself when a reused connection dies before an answer:
	 * an insert the server took could go in twice. A connection per request (one per batch
	 * of up to 65536 rows) leaves every resend to send_batch.
	 */
	curl_easy_setopt(h->curl, CURLOPT_FORBID_REUSE, 1L);
	if (h->u.user) {
		/* A password in the URL is in ps's output: the environment keeps it to us. */
		const char *pw = h->u.password ?: getenv("CLICKHOUSE_PASSWORD");

		curl_easy_setopt(h->curl, CURLOPT_USERNAME, h->u.user);
		curl_easy_setopt(h->curl, CURLOPT_PASSWORD, pw ?: "");
	}
	return 0;
}

static void http_close(struct ch_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->resp);
	ch_url_free(&h->u);
	memset(h, 0, sizeof(*h));
}

/*
 * POSTs body; with query, the query goes in the URL and body is its data. 0 on HTTP 200,
 * -EIO when no answer came (h->err says why), -EPROTO on an error answer (h->status, h->resp).
 */
static int http_post(struct ch_http *h, const char *query, const void *body, size_t len,
		     const char *query_id)
{
	char *url = NULL, *q = NULL;
	CURLcode rc;
	int err;

	h->resp_len = 0;
	h->status = 0;
	h->err[0] = '\0';
	if (h->resp)
		h->resp[0] = '\0';
	if (query && !(q = curl_easy_escape(h->curl, query, 0)))
		return -ENOMEM;
	/* Every statement names its database: the URL's may not exist yet. */
	if (asprintf(&url, "%s?query_id=%s%s%s", h->u.base, query_id ?: "", q ? "&query=" : "",
		     q ?: "") < 0) {
		curl_free(q);
		return -ENOMEM;
	}
	curl_free(q);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(h->curl);
	free(url);
	if (rc != CURLE_OK) {
		if (!h->err[0])
			snprintf(h->err, sizeof(h->err), "%s", curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
	err = h->status == 200 ? 0 : -EPROTO;
	return err;
}

/*
 * What the server said, in one line: "Code: 60, e.displayText() = DB::Exception: Table em.x
 * doesn't exist., e.what() = DB::Exception" (18.16) or "Code: 60. DB::Exception: ... (version
 * ...)" (newer) become "Table em.x doesn't exist".
 */
static const char *server_says(struct ch_http *h)
{
	char *m = h->resp, *p;

	if (!h->status)
		return h->err;
	if (!m || !*m)
		return "no message";
	p = strstr(m, "Exception: ");
	if (p)
		m = p + strlen("Exception: ");
	m[strcspn(m, "\n")] = '\0';
	if ((p = strstr(m, ", e.what()")) || (p = strstr(m, " (version ")))
		*p = '\0';
	p = m + strlen(m);
	while (p > m && (p[-1] == '.' || p[-1] == ' '))
		*--p = '\0';
	return m;
}

/* A query whose answer is one number; 0 or -errno (the answer's text left in h->resp). */
static int query_u64(struct ch_http *h, const char *sql, __u64 *v)
{
	char *end;
	int err = http_post(h, NULL, sql, strlen(sql), NULL);

	if (err)
		return err;
	errno = 0;
	*v = strtoull(h->resp ?: "", &end, 10);
	return errno || end == h->resp || (*end && *end != '\n') ? -EPROTO : 0;
}

static void put(struct ch_writer *w, const void *p, size_t n)
{
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* Little-endian, as RowBinary wants; x86 and arm64 are. */
#define PUT(w, type, v)                                                                            \
	do {                                                                                       \
		type v_ = (v);                                                                     \
		put((w), &v_, sizeof(v_));                                                         \
	} while (0)

/* A String: LEB128 length, then the bytes (at most 255 here). */
static void put_string(struct ch_writer *w, const char *s)
{
	size_t n = s ? strnlen(s, 255) : 0;

	if (n > 0x7f) {
		w->buf[w->len++] = 0x80 | (n & 0x7f);
		w->buf[w->len++] = n >> 7;
	} else {
		w->buf[w->len++] = n;
	}
	if (n) /* a target without a name: s is NULL, and memcpy's source must not be */
		put(w, s, n);
}

static void put_row(struct ch_writer *w, const struct host_result *r)
{
	bool answered = r->status != EM_ST_NONE;

	PUT(w, __u32, w->o.time);
	PUT(w, __u64, w->o.run_id);
	PUT(w, __u16, w->o.shard);
	PUT(w, __u16, w->o.shards);
	PUT(w, __u32, w->batch);
	PUT(w, __u32, ntohl(r->addr));
	put_string(w, r->name);
	PUT(w, __s8, r->status);
	PUT(w, __u32, answered ? r->rtt_ns : 0);
	PUT(w, __u8, answered ? r->ttl : 0);
	PUT(w, __u8, answered ? r->icmp_type : 0);
	PUT(w, __u8, answered ? r->icmp_code : 0);
	PUT(w, __u32, answered ? ntohl(r->from) : 0);
	PUT(w, __u32, r->replies);
	PUT(w, __u32, r->dups);
	put_string(w, addr_scope(ntohl(r->addr)));
}

static void pause_ms(unsigned int ms)
{
	struct timespec t = { 0, 50 * 1000000L };

	for (unsigned int i = 0; i < ms / 50 && !stop_requested; i++)
		nanosleep(&t, NULL);
}

/*
 * Whether an earlier attempt of the batch is in the table: 1 yes, 0 no, -EAGAIN not known yet
 * (the server is unreachable or still runs that insert), -EPROTO it is there in part.
 */
static int batch_landed(struct ch_writer *w, const char *qid)
{
	char sql[512];
	__u64 n;

	snprintf(sql, sizeof(sql), "SELECT count() FROM system.processes WHERE query_id = '%s'",
		 qid);
	if (query_u64(&w->h, sql, &n) || n)
		return -EAGAIN;
	/* The partition key first: only the run's day is read. */
	snprintf(sql, sizeof(sql),
		 "SELECT count() FROM %s WHERE time = toDateTime(%u) AND run_id = %llu AND "
		 "shard = %u AND batch = %u",
		 w->table, w->o.time, (unsigned long long)w->o.run_id, w->o.shard, w->batch);
	if (query_u64(&w->h, sql, &n))
		return -EAGAIN;
	if (n == w->batch_rows_now)
		return 1;
	return n ? -EPROTO : 0;
}

static int send_batch(struct ch_writer *w)
{
	__u64 deadline = mono_ns() + (__u64)w->o.retry_s * NSEC_PER_SEC;
	unsigned int backoff = CH_BACKOFF_MS, attempt;
	char qid[96], sql[256];
	int err = 0;

	if (!w->batch_rows_now)
		return 0;
	snprintf(qid, sizeof(qid), "echomap-%llu-%u-%u", (unsigned long long)w->o.run_id,
		 w->o.shard, w->batch);
	snprintf(sql, sizeof(sql), "INSERT INTO %s (" CH_COLUMNS ") FORMAT RowBinary", w->table);
	for (attempt = 0;; attempt++) {
		int landed = attempt ? batch_landed(w, qid) : 0;

		if (landed == 1)
			break;
		if (landed == -EPROTO) {
			pr_warn("%s: batch %u of run %llu is in the table in part: the table is "
				"not echomap's alone\n",
				w->h.u.shown, w->batch, (unsigned long long)w->o.run_id);
			return -EPROTO;
		}
		if (!landed) {
			err = http_post(&w->h, sql, w->buf, w->len, qid);
			if (!err)
				break;
			/* A refusal (credentials, table, columns) does not get better. */
			if (w->h.status >= 400 && w->h.status < 500) {
				pr_warn("%s: %s\n", w->h.u.shown, server_says(&w->h));
				return -EPROTO;
			}
			if (!attempt)
				pr_warn("%s: batch %u not written (%s): retrying\n", w->h.u.shown,
					w->batch, server_says(&w->h));
		}
		if (stop_requested)
			return -EINTR;
		if (mono_ns() > deadline) {
			pr_warn("%s: batch %u still not written after %u s: %llu rows of run %llu "
				"written\n",
				w->h.u.shown, w->batch, w->o.retry_s, (unsigned long long)w->rows,
				(unsigned long long)w->o.run_id);
			return -ETIMEDOUT;
		}
		pause_ms(backoff);
		backoff = backoff * 2 > CH_BACKOFF_MAX_MS ? CH_BACKOFF_MAX_MS : backoff * 2;
	}
	if (attempt)
		pr_warn("%s: batch %u written after %u retries\n", w->h.u.shown, w->batch, attempt);
	w->rows += w->batch_rows_now;
	w->batch++;
	w->batch_rows_now = 0;
	w->len = 0;
	return 0;
}

/* The typed address column where the server has it (not 18.16), UInt32 otherwise. */
static const char *addr_type(struct ch_http *h)
{
	static const char sql[] = "SELECT toIPv4('198.18.0.1')";

	return http_post(h, NULL, sql, strlen(sql), NULL) ? "UInt32" : "IPv4";
}

static int create_table(struct ch_writer *w)
{
	const char *addr = addr_type(&w->h);
	char *sql = NULL;
	int err;

	if (asprintf(&sql, "CREATE DATABASE IF NOT EXISTS %s", w->h.u.db) < 0)
		return -ENOMEM;
	err = http_post(&w->h, NULL, sql, strlen(sql), NULL);
	free(sql);
	if (err)
		return err;
	if (asprintf(&sql,
		     "CREATE TABLE IF NOT EXISTS %s (time DateTime, run_id UInt64, shard UInt16, "
		     "shards UInt16, batch UInt32, saddr %s, name String, status Enum8('timeout' "
		     "= 0, 'echoreply' = 1, 'unreach' = 2, 'timxceed' = 3), rtt_ns UInt32, ttl "
		     "UInt8, icmp_type UInt8, icmp_code UInt8, router %s, replies UInt32, dups "
		     "UInt32, scope String) ENGINE = MergeTree PARTITION BY toYYYYMMDD(time) "
		     "ORDER BY (saddr, run_id, shard)",
		     w->table, addr, addr) < 0)
		return -ENOMEM;
	err = http_post(&w->h, NULL, sql, strlen(sql), NULL);
	free(sql);
	return err;
}

/* The table exists (or is created) and has our columns; 0 or -errno after one line. */
static int check_table(struct ch_writer *w)
{
	char sql[512];
	__u64 n;
	int err;

	snprintf(sql, sizeof(sql), "EXISTS TABLE %s", w->table);
	err = query_u64(&w->h, sql, &n);
	if (!err && !n && w->o.create_table) {
		err = create_table(w);
		n = !err;
	}
	if (err) {
		pr_warn("%s: %s\n", w->h.u.shown, server_says(&w->h));
		return err;
	}
	if (!n) {
		pr_warn("%s: no table %s (--create-table creates it)\n", w->h.u.shown, w->table);
		return -ENOENT;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT name FROM system.columns WHERE database = '%s' AND table = '%s' FORMAT "
		 "TSV",
		 w->h.u.db, w->h.u.table);
	err = http_post(&w->h, NULL, sql, strlen(sql), NULL);
	if (err) {
		pr_warn("%s: %s\n", w->h.u.shown, server_says(&w->h));
		return err;
	}
	/* Every column of our inserts, by name: the answer is one name per line. */
	for (const char *c = CH_COLUMNS; *c; c += strspn(c, ", ")) {
		size_t len = strcspn(c, ", ");
		const char *p = w->h.resp;
		bool found = false;

		for (; p && *p && !found; p += strcspn(p, "\n"), p += *p == '\n')
			found = !strncmp(p, c, len) && (p[len] == '\n' || !p[len]);
		if (!found) {
			pr_warn("%s: table %s has no column %.*s (see docs/clickhouse.md for the "
				"schema)\n",
				w->h.u.shown, w->table, (int)len, c);
			return -EINVAL;
		}
		c += len;
	}
	return 0;
}

int ch_writer_open(struct ch_writer **out, const char *url, const struct ch_writer_opts *o)
{
	static const char ping[] = "SELECT 1";
	struct ch_writer *w;
	int err;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->o = *o;
	err = http_open(&w->h, url);
	if (err) {
		free(w);
		return err;
	}
	w->buf = malloc(CH_BATCH_BYTES + CH_ROW_MAX);
	if (!w->buf || asprintf(&w->table, "%s.%s", w->h.u.db, w->h.u.table) < 0) {
		w->table = NULL;
		pr_warn("out of memory\n");
		ch_writer_close(w);
		return -ENOMEM;
	}
	err = http_post(&w->h, NULL, ping, strlen(ping), NULL);
	if (err) {
		pr_warn("%s: %s%s\n", w->h.u.shown,
			w->h.status ? "" : "cannot reach the server: ", server_says(&w->h));
		ch_writer_close(w);
		return err;
	}
	err = check_table(w);
	/* An unwritable spill file is found before probing too; unused, it is dropped. */
	if (!err && o->spill_path && out_open(&w->spill, o->spill_path, FMT_TEXT))
		err = -EIO;
	if (err) {
		ch_writer_close(w);
		return err;
	}
	*out = w;
	return 0;
}

/*
 * The batch (and every one after it) into the spill file. The first may have landed before
 * the server went away: the file is loadable once that batch is deleted (a no-op if absent).
 */
static int spill_batch(struct ch_writer *w)
{
	if (!w->spilling) {
		w->spilling = true;
		w->unsure_batch = w->batch;
	}
	if (fwrite(w->buf, 1, w->len, w->spill.f) != w->len) {
		pr_warn("cannot write %s: %s\n", w->o.spill_path, strerror(errno));
		return -EIO;
	}
	w->spilled += w->batch_rows_now;
	w->batch++;
	w->batch_rows_now = 0;
	w->len = 0;
	return 0;
}

/* Sends the batch; when the server stays away, it and the rest go to --spill if given. */
static int flush_batch(struct ch_writer *w)
{
	int err = w->spilling ? 0 : send_batch(w);

	if ((err == -ETIMEDOUT && w->spill.f) || w->spilling)
		err = spill_batch(w);
	return err;
}

int ch_writer_add(struct ch_writer *w, const struct host_result *r)
{
	__u64 now;

	/* An interrupted run is taken back (ch_writer_abort): no more rows for it. */
	if (stop_requested && !w->err)
		w->err = -EINTR;
	if (w->err)
		return w->err;
	if (!w->batch_rows_now)
		w->first_ns = mono_ns();
	put_row(w, r);
	w->batch_rows_now++;
	now = w->batch_rows_now >= w->o.batch_rows || w->len >= CH_BATCH_BYTES ? 0 : mono_ns();
	if (!now || now - w->first_ns >= CH_BATCH_AGE_NS)
		w->err = flush_batch(w);
	return w->err;
}

int ch_writer_finish(struct ch_writer *w)
{
	if (!w->err && w->batch_rows_now)
		w->err = flush_batch(w);
	if (!w->err && w->spilling && !(w->err = out_commit(&w->spill))) {
		pr_warn("%llu rows written to %s (run %llu, shard %u of %u), %llu rows to %s: load "
			"them with clickhouse-client --query 'ALTER TABLE %s DELETE WHERE run_id = "
			"%llu AND shard = %u AND batch = %u' && clickhouse-client --query 'INSERT "
			"INTO %s (" CH_COLUMNS ") FORMAT RowBinary' < %s\n",
			(unsigned long long)w->rows, w->h.u.shown, (unsigned long long)w->o.run_id,
			w->o.shard, w->o.shards, (unsigned long long)w->spilled, w->o.spill_path,
			w->table, (unsigned long long)w->o.run_id, w->o.shard, w->unsure_batch,
			w->table, w->o.spill_path);
		return 1;
	}
	if (!w->err)
		pr_warn("%llu rows written to %s (run %llu, shard %u of %u)\n",
			(unsigned long long)w->rows, w->h.u.shown, (unsigned long long)w->o.run_id,
			w->o.shard, w->o.shards);
	return w->err;
}

__u64 ch_writer_spilled(const struct ch_writer *w)
{
	return w->spilled;
}

void ch_writer_abort(struct ch_writer *w)
{
	char sql[256];

	if (w->spill.f)
		out_abort(&w->spill);
	if (!w->rows && !w->batch)
		return;
	snprintf(sql, sizeof(sql), "ALTER TABLE %s DELETE WHERE run_id = %llu AND shard = %u",
		 w->table, (unsigned long long)w->o.run_id, w->o.shard);
	if (http_post(&w->h, NULL, sql, strlen(sql), NULL))
		pr_warn("%s: cannot delete the %llu rows of run %llu written so far: %s\n",
			w->h.u.shown, (unsigned long long)w->rows, (unsigned long long)w->o.run_id,
			server_says(&w->h));
	else
		pr_warn("%s: the %llu rows of run %llu written so far are being deleted\n",
			w->h.u.shown, (unsigned long long)w->rows, (unsigned long long)w->o.run_id);
}

void ch_writer_close(struct ch_writer *w)
{
	if (!w)
		return;
	if (w->spill.f)
		out_abort(&w->spill);
	http_close(&w->h);
	free(w->buf);
	free(w->table);
	free(w);
}

FILE *ch_select_results(const char *url, const char *where)
{
	struct ch_http h;
	char *sql = NULL;
	FILE *f = NULL;

	if (http_open(&h, url))
		return NULL;
	if (asprintf(&sql,
		     "SELECT IPv4NumToString(toUInt32(a)) AS saddr, if(s = 'timeout', NULL, "
		     "r / 1000) AS rtt_us, toString(s) AS classification FROM (SELECT saddr AS a, "
		     "rtt_ns AS r, status AS s FROM %s.%s%s%s) FORMAT JSONEachRow",
		     h.u.db, h.u.table, where ? " WHERE " : "", where ?: "") < 0) {
		http_close(&h);
		return NULL;
	}
	if (http_post(&h, NULL, sql, strlen(sql), NULL))
		pr_warn("%s: %s%s\n", h.u.shown,
			h.status ? "" : "cannot reach the server: ", server_says(&h));
	else if (!(f = tmpfile()))
		pr_warn("cannot make a temporary file: %s\n", strerror(errno));
	if (f && (fwrite(h.resp ?: "", 1, h.resp_len, f) != h.resp_len || fseek(f, 0, SEEK_SET))) {
		pr_warn("cannot write a temporary file: %s\n", strerror(errno));
		fclose(f);
		f = NULL;
	}
	free(sql);
	http_close(&h);
	return f;
}
