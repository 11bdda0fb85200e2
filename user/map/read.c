// SPDX-License-Identifier: GPL-2.0
/* Sweep results (JSON lines or CSV, as sweep writes them) into the cells of a map. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "map/hilbert.h"
#include "map/map.h"
#include "map/space.h"

#define MAX_REPORTED  10    /* malformed lines named one by one; the rest are only counted */

/* What one result line says, whichever the format. */
struct fields {
	char addr[48], rtt[48], cls[48];
};

struct row {
	__u32 addr; /* host order; of an IPv6 map, the 32 bits it draws (space.h) */
	bool outside;
	bool alive;
	double rtt_us;
};

struct csv_cols {
	int n, addr, rtt, cls;
};

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Copies the JSON string at p (its opening quote) into buf, escapes undecoded: only plain
 * values (addresses, classifications) are looked at. An overlong value comes back empty, so
 * it cannot be cut down to something valid. Returns the end, or NULL when unterminated.
 */
static const char *json_string(const char *p, char *buf, size_t cap)
{
	size_t n = 0, run;
	bool overlong = false;

	for (p++; *p != '"'; p += run) {
		if (!*p)
			return NULL;
		/* An escape with its character, or the run up to the next quote or backslash. */
		run = *p == '\\' ? 1 + !!p[1] : strcspn(p, "\"\\");
		if (n + run < cap) {
			memcpy(buf + n, p, run);
			n += run;
		} else {
			overlong = true;
		}
	}
	buf[overlong ? 0 : n] = '\0';
	return p + 1;
}

/* A flat object, as echomap writes them; NULL, or why the line is not one. */
static const char *parse_json(const char *p, struct fields *f)
{
	char key[16], val[48], *dst;

	p = skip_ws(p);
	if (*p++ != '{')
		return "not a JSON object";
	p = skip_ws(p);
	while (*p != '}') {
		if (*p != '"' || !(p = json_string(p, key, sizeof(key))))
			return "expected a quoted key";
		p = skip_ws(p);
		if (*p++ != ':')
			return "expected ':' after a key";
		p = skip_ws(p);
		if (*p == '"') {
			if (!(p = json_string(p, val, sizeof(val))))
				return "unterminated string";
		} else {
			size_t n = strcspn(p, ",} \t");

			if (!n || *p == '{' || *p == '[')
				return "expected a string, number or literal value";
			if (n >= sizeof(val))
				return "value too long";
			memcpy(val, p, n);
			val[n] = '\0';
			p += n;
		}
		dst = !strcmp(key, "saddr")	       ? f->addr
		      : !strcmp(key, "rtt_us")	       ? f->rtt
		      : !strcmp(key, "classification") ? f->cls
						       : NULL;
		/* rtt_us is null for a timeout: the same as an empty CSV field. */
		if (dst)
			strcpy(dst, strcmp(val, "null") ? val : "");
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != '}')
			return "expected ',' or '}'";
	}
	return *skip_ws(p + 1) ? "text after the object" : NULL;
}

/* Column positions from the header line; -1 without a saddr column. */
static int csv_header(char *line, struct csv_cols *c)
{
	char *tok;

	*c = (struct csv_cols){ .addr = -1, .rtt = -1, .cls = -1 };
	while ((tok = strsep(&line, ","))) {
		if (!strcmp(tok, "saddr"))
			c->addr = c->n;
		else if (!strcmp(tok, "rtt_us"))
			c->rtt = c->n;
		else if (!strcmp(tok, "classification"))
			c->cls = c->n;
		c->n++;
	}
	return c->addr < 0 ? -1 : 0;
}

/* Names never hold commas (output.c), so a plain split is the whole of CSV needed here. */
static const char *parse_csv(char *line, const struct csv_cols *c, struct fields *f)
{
	char *tok, *dst;
	int i = 0;

	while ((tok = strsep(&line, ","))) {
		dst = i == c->addr ? f->addr : i == c->rtt ? f->rtt : i == c->cls ? f->cls : NULL;
		if (dst && strlen(tok) >= sizeof(f->addr))
			return "field too long";
		if (dst)
			strcpy(dst, tok);
		i++;
	}
	return i == c->n ? NULL : "field count differs from the header";
}

static const char *fields_to_row(const struct fields *f, const struct map_geom *g, struct row *r)
{
	const char *why;
	char *end;

	if (!f->addr[0])
		return "no saddr";
	if ((why = map_addr(g, f->addr, &r->addr, &r->outside)))
		return why;
	/* Unreachable and time-exceeded answers come from routers: the host itself was silent. */
	r->alive = f->cls[0] ? !strcmp(f->cls, "echoreply") : f->rtt[0] != '\0';
	if (!r->alive)
		return NULL;
	if (!f->rtt[0])
		return "echo reply without rtt_us";
	errno = 0;
	r->rtt_us = strtod(f->rtt, &end);
	if (errno || *end || !(r->rtt_us >= 0 && r->rtt_us < 1e9))
		return "rtt_us is not a number of microseconds";
	return NULL;
}

static void map_add(struct map *m, const struct row *r)
{
	const struct map_geom *g = &m->g;
	__u32 off = r->addr - g->net, x, y;
	float v = r->alive ? (float)r->rtt_us : INFINITY, *c;

	if (r->outside || (g->len && off >> (32 - g->len))) {
		m->outside++;
		return;
	}
	hilbert_d2xy(g->order, off >> g->cell_bits, &x, &y);
	c = &m->cell[(size_t)y * g->cols + x];
	if (isnan(*c) || v < *c)
		*c = v;
	m->probed++;
	m->alive += r->alive;
}

int map_read(struct map *m, FILE *in, const char *path)
{
	enum { UNKNOWN, JSON, CSV } kind = UNKNOWN;
	unsigned long lineno = 0;
	struct csv_cols cols = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		struct fields f = { 0 };
		struct row r;
		const char *why;

		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!*skip_ws(line))
			continue;
		if (kind == UNKNOWN) {
			if (*skip_ws(line) == '{') {
				kind = JSON;
			} else if (!csv_header(line, &cols)) {
				kind = CSV;
				continue;
			} else {
				pr_warn("%s:%lu: not echomap results (sweep -F json or -F csv)\n",
					path, lineno);
				err = -EINVAL;
				break;
			}
		}
		why = kind == JSON ? parse_json(line, &f) : parse_csv(line, &cols, &f);
		if (!why)
			why = fields_to_row(&f, &m->g, &r);
		if (!why) {
			map_add(m, &r);
		} else if (++m->malformed <= MAX_REPORTED) {
			pr_warn("%s:%lu: %s\n", path, lineno, why);
		}
	}
	free(line);
	if (ferror(in)) {
		pr_warn("cannot read %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (m->malformed > MAX_REPORTED)
		pr_warn("%s: %llu malformed lines skipped, the first %d shown\n", path,
			m->malformed, MAX_REPORTED);
	if (!err && !m->probed && !m->outside) {
		pr_warn("%s: no results to draw%s\n", path, lineno ? "" : " (empty file)");
		err = -EINVAL;
	}
	return err;
}
