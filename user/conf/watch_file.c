// SPDX-License-Identifier: GPL-2.0
/* watch --config: the YAML document (libyaml's loader) into groups, every field checked. */
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml.h>

#include "conf/watch_file.h"
#include "conf/yaml_doc.h"
#include "config.h"
#include "echomap_abi.h"
#include "lib/log.h"

#define INTERVAL_MIN_MS 100
#define INTERVAL_MAX_MS 86400000U
#define DEFAULT_INTERVAL_MS 10000

struct loader {
	struct yaml_src y;
	struct watch_file *wf;
};

static int parse_uint(const struct loader *ld, const yaml_node_t *n, const char *what,
		      unsigned int min, unsigned int max, unsigned int *out)
{
	const char *s;
	char *end;
	unsigned long v;
	int err = yaml_want_scalar(&ld->y, n, what, &s);

	if (err)
		return err;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *s == '+')
		return yaml_bad(&ld->y, n, "%s: '%s' is not a number", what, s);
	if (v < min || v > max)
		return yaml_bad(&ld->y, n, "%s %lu out of range %u..%u", what, v, min, max);
	*out = v;
	return 0;
}

/* A Prometheus duration of one unit: 500ms, 10s, 1m, 1h. */
static int parse_duration(const struct loader *ld, const yaml_node_t *n, const char *what,
			  unsigned int *ms)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	unsigned long long v;
	const char *s;
	char *end;
	int err = yaml_want_scalar(&ld->y, n, what, &s);

	if (err)
		return err;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-' || *s == '+')
		return yaml_bad(&ld->y, n, "%s: '%s' is not a duration (500ms, 10s, 1m, 1h)", what, s);
	if (!*end)
		return yaml_bad(&ld->y, n, "%s: '%s' needs a unit (ms, s, m, h)", what, s);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > UINT32_MAX / units[i].ms)
			return yaml_bad(&ld->y, n, "%s: '%s' is too long", what, s);
		*ms = v * units[i].ms;
		return 0;
	}
	return yaml_bad(&ld->y, n, "%s: '%s' has an unknown unit (ms, s, m, h)", what, s);
}

static char *dup_or_oom(const char *s, int *err)
{
	char *d = strdup(s);

	if (!d)
		*err = -ENOMEM;
	return d;
}

/* Only syntax and files here: what may be probed is the session's to say, with its options. */
static const struct target_opts check_opts = { .quiet = true, .allow_reserved = true };

/* One target of g, checked (and its @file read) here; n is where it was given. */
static int add_target(struct loader *ld, const yaml_node_t *n, struct watch_group *g,
		      const char *s, size_t len)
{
	struct target_spec sp;
	char **t = realloc(g->targets, (g->n_targets + 1) * sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	g->targets = t;
	t[g->n_targets] = strndup(s, len);
	if (!t[g->n_targets])
		return -ENOMEM;
	err = targets_parse(&sp, &t[g->n_targets++], 1, &check_opts);
	if (err)
		return err == -ENOMEM ? err :
					yaml_bad(&ld->y, n, "target '%s' refused", t[g->n_targets - 1]);
	target_spec_free(&sp);
	return 0;
}

/* targets: a list of target strings, or one. */
static int parse_targets(struct loader *ld, const yaml_node_t *n, struct watch_group *g)
{
	const yaml_node_item_t *it;
	const char *s;
	int err;

	if (n->type != YAML_SEQUENCE_NODE)
		return yaml_want_scalar(&ld->y, n, "a target", &s) ?: add_target(ld, n, g, s, strlen(s));
	if (n->data.sequence.items.start == n->data.sequence.items.top)
		return yaml_bad(&ld->y, n, "targets of group '%s' is empty", g->name);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		err = yaml_want_scalar(&ld->y, yaml_node(&ld->y, *it), "a target", &s) ?:
		      add_target(ld, yaml_node(&ld->y, *it), g, s, strlen(s));
		if (err)
			return err;
	}
	return 0;
}

/* What tells g's series from the others': its targets, read once more as a whole. */
static int group_finish(struct loader *ld, const yaml_node_t *n, struct watch_group *g)
{
	int err = g->n_targets ? targets_parse(&g->spec, g->targets, g->n_targets, &check_opts) : 0;

	return err == -ENOMEM ? err : err ? yaml_bad(&ld->y, n, "the targets changed while read") : 0;
}

/*
 * labels: a mapping of names to values, onto g's. n_own: how many of g's are the group's own,
 * which a file_sd entry's labels replace; a label given twice in one mapping is refused.
 */
static int parse_labels(struct loader *ld, const yaml_node_t *n, struct watch_group *g)
{
	unsigned int n_own = g->n_labels;
	const yaml_node_pair_t *p;
	struct prom_label *l;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE)
		return yaml_bad(&ld->y, n, "labels must be a mapping of names to values");
	l = realloc(g->labels, (g->n_labels + n->data.mapping.pairs.top -
				n->data.mapping.pairs.start + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	g->labels = l;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_node(&ld->y, p->key), *v = yaml_node(&ld->y, p->value);
		const char *name, *value, *why;

		err = yaml_want_scalar(&ld->y, k, "a label name", &name) ?:
		      yaml_want_scalar(&ld->y, v, "a label value", &value);
		if (err)
			return err;
		why = prom_label_name_problem(name);
		if (why)
			return yaml_bad(&ld->y, k, "label name '%s' %s", name, why);
		for (unsigned int i = n_own; i < g->n_labels; i++)
			if (!strcmp(g->labels[i].name, name))
				return yaml_bad(&ld->y, k, "label '%s' given twice", name);
		for (unsigned int i = 0; i < n_own; i++) {
			if (strcmp(g->labels[i].name, name))
				continue;
			free(g->labels[i].value);
			g->labels[i].value = dup_or_oom(value, &err);
			name = NULL;
			break;
		}
		if (!name || err)
			continue;
		l = &g->labels[g->n_labels];
		l->name = dup_or_oom(name, &err);
		l->value = dup_or_oom(value, &err);
		if (err) {
			free(l->name);
			free(l->value);
		}
		g->n_labels += !err;
	}
	return err;
}

/* dscp: a number or the name of a per-hop behaviour (RFC 2474, 2597, 3246, 5865, 8622). */
static int parse_dscp(const struct loader *ld, const yaml_node_t *n, unsigned int *tos)
{
	static const struct {
		const char *name;
		unsigned int dscp;
	} named[] = { { "ef", 46 }, { "va", 44 }, { "le", 1 } };
	const char *s = yaml_scalar(n);
	unsigned int v;

	if (s && strlen(s) == 3 && !strncasecmp(s, "cs", 2) && s[2] >= '0' && s[2] <= '7') {
		*tos = (s[2] - '0') << 5;
		return 0;
	}
	if (s && strlen(s) == 4 && !strncasecmp(s, "af", 2) && s[2] >= '1' && s[2] <= '4' &&
	    s[3] >= '1' && s[3] <= '3') {
		*tos = (8 * (s[2] - '0') + 2 * (s[3] - '0')) << 2;
		return 0;
	}
	for (size_t i = 0; s && i < sizeof(named) / sizeof(named[0]); i++) {
		if (!strcasecmp(s, named[i].name)) {
			*tos = named[i].dscp << 2;
			return 0;
		}
	}
	if (s && (*s < '0' || *s > '9'))
		return yaml_bad(&ld->y, n, "dscp: '%s' is neither 0..63 nor CS0..CS7, AF11..AF43, "
			   "EF, VA, LE", s);
	if (parse_uint(ld, n, "dscp", 0, 63, &v))
		return -EINVAL;
	*tos = v << 2;
	return 0;
}

static int parse_bool(const struct loader *ld, const yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s;
	int err = yaml_want_scalar(&ld->y, n, what, &s);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return yaml_bad(&ld->y, n, "%s: '%s' is not true or false", what, s);
}

/* source: an IPv4 address this host has, to which the replies can come back. */
static int parse_source(const struct loader *ld, const yaml_node_t *n, __u32 *out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *s;
	int err = yaml_want_scalar(&ld->y, n, "source", &s), fd;

	if (err)
		return err;
	if (inet_pton(AF_INET, s, &sa.sin_addr) != 1)
		return yaml_bad(&ld->y, n, "source: '%s' is not an IPv4 address", s);
	if (!sa.sin_addr.s_addr)
		return yaml_bad(&ld->y, n, "source: 0.0.0.0 is no address to send from");
	/* Binding to it tells whether it is ours, as the kernel sees it here. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return yaml_bad(&ld->y, n, "source: cannot check '%s': %s", s, strerror(errno));
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	close(fd);
	if (err == EADDRNOTAVAIL)
		return yaml_bad(&ld->y, n, "source %s is not an address of this host", s);
	if (err && err != EADDRINUSE)
		return yaml_bad(&ld->y, n, "source: cannot check '%s': %s", s, strerror(err));
	*out = sa.sin_addr.s_addr;
	return 0;
}

/* One group of the file; *file_sd its file_sd: node, or NULL. */
static int parse_group(struct loader *ld, const yaml_node_t *n, struct watch_group *g,
		       unsigned int idx, const yaml_node_t **file_sd)
{
	const yaml_node_t *targets = NULL, *timeout = NULL, *dscp = NULL, *tos = NULL;
	const yaml_node_pair_t *p;
	char defname[32];
	int err = 0;

	g->line = n->start_mark.line + 1;
	g->interval_ms = DEFAULT_INTERVAL_MS;
	g->probes = 1;
	if (n->type != YAML_MAPPING_NODE)
		return yaml_bad(&ld->y, n, "a group must be a mapping (name, targets, labels, ...)");
	/* The name first: the other fields' messages use it. */
	snprintf(defname, sizeof(defname), "group %u", idx + 1);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = yaml_scalar(yaml_node(&ld->y, p->key)), *v;

		if (k && !strcmp(k, "name")) {
			err = yaml_want_scalar(&ld->y, yaml_node(&ld->y, p->value), "name", &v);
			if (err)
				return err;
			if (!*v)
				return yaml_bad(&ld->y, yaml_node(&ld->y, p->value), "name is empty");
			g->name = dup_or_oom(v, &err);
		}
	}
	if (!g->name)
		g->name = dup_or_oom(defname, &err);
	if (err)
		return err;
	for (p = n->data.mapping.pairs.start; !err && p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = yaml_node(&ld->y, p->key), *v = yaml_node(&ld->y, p->value);
		const char *k = yaml_scalar(kn);

		if (!k)
			err = yaml_bad(&ld->y, kn, "a key must be a plain value");
		else if (!strcmp(k, "name"))
			continue;
		else if (!strcmp(k, "targets"))
			targets = v;
		else if (!strcmp(k, "file_sd"))
			*file_sd = v;
		else if (!strcmp(k, "labels"))
			err = parse_labels(ld, v, g);
		else if (!strcmp(k, "interval"))
			err = parse_duration(ld, v, "interval", &g->interval_ms);
		else if (!strcmp(k, "probes"))
			err = parse_uint(ld, v, "probes", 1, GROUP_PROBES_MAX, &g->probes);
		else if (!strcmp(k, "spacing"))
			err = parse_duration(ld, v, "spacing", &g->spacing_ms);
		else if (!strcmp(k, "timeout"))
			timeout = v;
		else if (!strcmp(k, "size"))
			err = parse_uint(ld, v, "size", EM_PAYLOAD_LEN, PAYLOAD_MAX, &g->size);
		else if (!strcmp(k, "ttl"))
			err = parse_uint(ld, v, "ttl", 1, 255, &g->ttl);
		else if (!strcmp(k, "dscp"))
			err = parse_dscp(ld, dscp = v, &g->tos);
		else if (!strcmp(k, "tos"))
			err = parse_uint(ld, tos = v, "tos", 0, 255, &g->tos);
		else if (!strcmp(k, "df"))
			err = parse_bool(ld, v, "df", &g->df);
		else if (!strcmp(k, "source"))
			err = parse_source(ld, v, &g->source);
		else
			err = yaml_bad(&ld->y, kn, "unknown key '%s' in group '%s' (name, targets, labels, "
				  "file_sd, interval, probes, spacing, timeout, size, ttl, "
				  "dscp, tos, df, source)", k, g->name);
	}
	if (err)
		return err;
	if (dscp && tos)
		return yaml_bad(&ld->y, dscp->start_mark.line > tos->start_mark.line ? dscp : tos,
			   "group '%s': dscp and tos both set the TOS byte: give one", g->name);
	if (g->interval_ms < INTERVAL_MIN_MS || g->interval_ms > INTERVAL_MAX_MS)
		return yaml_bad(&ld->y, n, "interval of group '%s' out of range 100ms..24h", g->name);
	g->timeout_ms = g->interval_ms / 2 < 1000 ? g->interval_ms / 2 : 1000;
	if (timeout && (err = parse_duration(ld, timeout, "timeout", &g->timeout_ms)))
		return err;
	if (!g->timeout_ms || g->timeout_ms > g->interval_ms / 2)
		return yaml_bad(&ld->y, timeout ?: n, "timeout of group '%s' must be 1ms..%ums, half its "
			   "interval", g->name, g->interval_ms / 2);
	/* The last probe of a target leaves a timeout before its round ends. */
	if ((__u64)g->spacing_ms * (g->probes - 1) >= g->interval_ms - g->timeout_ms)
		return yaml_bad(&ld->y, n, "group '%s': %u probes %ums apart do not fit in its interval less "
			   "its timeout (%ums)", g->name, g->probes, g->spacing_ms,
			   g->interval_ms - g->timeout_ms);
	if (!targets && !*file_sd)
		return yaml_bad(&ld->y, n, "group '%s' has no targets (targets: or file_sd:)", g->name);
	return (targets ? parse_targets(ld, targets, g) : 0) ?: group_finish(ld, n, g);
}

/* A new, zeroed group at the end of wf->g: pointers into wf->g do not survive it. */
static struct watch_group *group_new(struct watch_file *wf)
{
	struct watch_group *g;

	if (wf->n == wf->cap) {
		g = realloc(wf->g, (wf->cap ? wf->cap * 2 : 8) * sizeof(*g));
		if (!g)
			return NULL;
		wf->g = g;
		wf->cap = wf->cap ? wf->cap * 2 : 8;
	}
	g = &wf->g[wf->n++];
	memset(g, 0, sizeof(*g));
	return g;
}

static void group_free(struct watch_group *g)
{
	for (int j = 0; j < g->n_targets; j++)
		free(g->targets[j]);
	for (unsigned int j = 0; j < g->n_labels; j++) {
		free(g->labels[j].name);
		free(g->labels[j].value);
	}
	free(g->targets);
	free(g->labels);
	free(g->name);
	target_spec_free(&g->spec);
}

/* host:port as Prometheus writes targets: the port means nothing to ICMP. */
static size_t without_port(const char *s)
{
	const char *colon = strrchr(s, ':');

	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		return colon - s;
	return strlen(s);
}

/*
 * One file_sd file (Prometheus' format: a list of {targets: [...], labels: {...}}, JSON or
 * YAML): each entry becomes a group with parent's schedule and labels, and its own labels.
 */
static int read_sd_file(struct loader *parent, unsigned int pi, const char *path)
{
	struct loader ld = { .y.path = path, .wf = parent->wf };
	const yaml_node_item_t *it;
	const yaml_node_t *root;
	unsigned int idx = 0;
	int err = yaml_load(&ld.y, "file_sd file");

	if (err)
		return err;
	root = yaml_document_get_root_node(&ld.y.doc);
	/* An empty file is an empty list, as Prometheus reads it. */
	if (root && root->type != YAML_SEQUENCE_NODE)
		err = yaml_bad(&ld.y, root, "a file_sd file is a list of {targets: [...], labels: {...}}");
	for (it = root ? root->data.sequence.items.start : NULL; !err && root &&
	     root->type == YAML_SEQUENCE_NODE && it < root->data.sequence.items.top; it++) {
		const yaml_node_t *e = yaml_node(&ld.y, *it), *targets = NULL, *labels = NULL;
		const struct watch_group *pg;
		struct watch_group *g;
		const yaml_node_pair_t *p;
		const yaml_node_item_t *t;

		idx++;
		if (e->type != YAML_MAPPING_NODE) {
			err = yaml_bad(&ld.y, e, "an entry must be a mapping {targets: [...], labels: {...}}");
			break;
		}
		for (p = e->data.mapping.pairs.start; !err && p < e->data.mapping.pairs.top; p++) {
			const char *k = yaml_scalar(yaml_node(&ld.y, p->key));

			if (k && !strcmp(k, "targets"))
				targets = yaml_node(&ld.y, p->value);
			else if (k && !strcmp(k, "labels"))
				labels = yaml_node(&ld.y, p->value);
			else
				err = yaml_bad(&ld.y, yaml_node(&ld.y, p->key), "unknown key '%s' (targets, labels)",
					  k ? k : "?");
		}
		if (err)
			break;
		if (!targets || targets->type != YAML_SEQUENCE_NODE) {
			err = yaml_bad(&ld.y, e, "an entry needs targets: a list");
			break;
		}
		g = group_new(ld.wf);
		if (!g) {
			err = -ENOMEM;
			break;
		}
		pg = &ld.wf->g[pi];
		g->line = e->start_mark.line + 1;
		g->interval_ms = pg->interval_ms;
		g->probes = pg->probes;
		g->spacing_ms = pg->spacing_ms;
		g->timeout_ms = pg->timeout_ms;
		g->size = pg->size;
		g->ttl = pg->ttl;
		g->tos = pg->tos;
		g->df = pg->df;
		g->source = pg->source;
		g->from_sd = true;
		if (asprintf(&g->name, "%s:%s:%u", pg->name, path, idx) < 0) {
			g->name = NULL;
			err = -ENOMEM;
			break;
		}
		for (unsigned int i = 0; !err && i < pg->n_labels; i++) {
			struct prom_label *l = realloc(g->labels, (i + 1) * sizeof(*l));

			if (!l) {
				err = -ENOMEM;
				break;
			}
			g->labels = l;
			l[i].name = strdup(pg->labels[i].name);
			l[i].value = strdup(pg->labels[i].value);
			g->n_labels++;
			if (!l[i].name || !l[i].value)
				err = -ENOMEM;
		}
		if (!err && labels)
			err = parse_labels(&ld, labels, g);
		for (t = targets->data.sequence.items.start;
		     !err && t < targets->data.sequence.items.top; t++) {
			const char *v;

			err = yaml_want_scalar(&ld.y, yaml_node(&ld.y, *t), "a target", &v) ?:
			      add_target(&ld, yaml_node(&ld.y, *t), g, v, without_port(v));
		}
		if (!err)
			err = group_finish(&ld, e, g);
	}
	yaml_document_delete(&ld.y.doc);
	return err;
}

/*
 * file_sd: a path or a list of paths (relative to the config file's folder; '*' and the like in
 * the file name as Prometheus has them), kept for the watcher, each file read.
 */
static int parse_file_sd(struct loader *ld, const yaml_node_t *n, unsigned int pi)
{
	const yaml_node_item_t *it = NULL;
	struct watch_file *wf = ld->wf;
	const char *slash = strrchr(ld->y.path, '/');
	int err = 0;

	if (n->type == YAML_SEQUENCE_NODE && n->data.sequence.items.start ==
	    n->data.sequence.items.top)
		return yaml_bad(&ld->y, n, "file_sd of group '%s' is empty", wf->g[pi].name);
	if (n->type == YAML_SEQUENCE_NODE)
		it = n->data.sequence.items.start;
	for (;;) {
		const yaml_node_t *pn = it ? yaml_node(&ld->y, *it) : n;
		char **pats = realloc(wf->sd_paths, (wf->n_sd_paths + 1) * sizeof(*pats)), *pat;
		const char *v;
		glob_t gl;
		int r;

		if (!pats)
			return -ENOMEM;
		wf->sd_paths = pats;
		err = yaml_want_scalar(&ld->y, pn, "a file_sd path", &v);
		if (err)
			return err;
		if (!*v)
			return yaml_bad(&ld->y, pn, "a file_sd path is empty");
		if (*v == '/' || !slash)
			pat = strdup(v);
		else if (asprintf(&pat, "%.*s/%s", (int)(slash - ld->y.path), ld->y.path, v) < 0)
			pat = NULL;
		if (!pat)
			return -ENOMEM;
		wf->sd_paths[wf->n_sd_paths++] = pat;
		r = glob(pat, 0, NULL, &gl);
		if (r && r != GLOB_NOMATCH)
			return yaml_bad(&ld->y, pn, "cannot list '%s'", pat);
		for (size_t i = 0; !r && !err && i < gl.gl_pathc; i++) {
			err = read_sd_file(ld, pi, gl.gl_pathv[i]);
			if (err && err != -ENOMEM)
				err = yaml_bad(&ld->y, pn, "file_sd file '%s' refused", gl.gl_pathv[i]);
		}
		if (!r)
			globfree(&gl);
		if (err || !it || ++it == n->data.sequence.items.top)
			return err;
	}
}

static int parse_root(struct loader *ld)
{
	const yaml_node_t *root = yaml_document_get_root_node(&ld->y.doc), *groups = NULL;
	struct watch_file *wf = ld->wf;
	const yaml_node_pair_t *p;
	const yaml_node_item_t *it;
	unsigned int given = 0;
	int err;

	if (!root)
		return yaml_bad(&ld->y, NULL, "the file is empty: expected 'groups:'");
	if (root->type != YAML_MAPPING_NODE)
		return yaml_bad(&ld->y, root, "expected a mapping with 'groups:'");
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_node(&ld->y, p->key);

		if (!yaml_scalar(k) || strcmp(yaml_scalar(k), "groups"))
			return yaml_bad(&ld->y, k, "unknown key '%s' (expected 'groups')",
				   yaml_scalar(k) ? yaml_scalar(k) : "?");
		groups = yaml_node(&ld->y, p->value);
	}
	if (!groups)
		return yaml_bad(&ld->y, root, "no 'groups:'");
	if (groups->type != YAML_SEQUENCE_NODE ||
	    groups->data.sequence.items.start == groups->data.sequence.items.top)
		return yaml_bad(&ld->y, groups, "groups must be a list of at least one group");
	for (it = groups->data.sequence.items.start; it < groups->data.sequence.items.top; it++) {
		const yaml_node_t *file_sd = NULL;
		struct watch_group *g = group_new(wf);
		unsigned int gi = wf->n - 1;

		if (!g)
			return -ENOMEM;
		err = parse_group(ld, yaml_node(&ld->y, *it), g, given++, &file_sd);
		if (err)
			return err;
		for (unsigned int i = 0; i < gi; i++)
			if (!wf->g[i].from_sd && !strcmp(wf->g[i].name, g->name))
				return yaml_bad(&ld->y, yaml_node(&ld->y, *it), "a second group named '%s'", g->name);
		if (file_sd && (err = parse_file_sd(ld, file_sd, gi)))
			return err;
	}
	for (unsigned int i = 0; i < wf->n; i++)
		wf->n_targets += wf->g[i].n_targets;
	wf->targets = calloc(wf->n_targets ?: 1, sizeof(*wf->targets));
	if (!wf->targets)
		return -ENOMEM;
	wf->n_targets = 0;
	for (unsigned int i = 0; i < wf->n; i++)
		for (int j = 0; j < wf->g[i].n_targets; j++)
			wf->targets[wf->n_targets++] = wf->g[i].targets[j];
	return 0;
}

int watch_file_load(struct watch_file *wf, const char *path)
{
	struct loader ld = { .y.path = path, .wf = wf };
	int err;

	memset(wf, 0, sizeof(*wf));
	err = yaml_load(&ld.y, "config file");
	if (err)
		return err;
	err = parse_root(&ld);
	yaml_document_delete(&ld.y.doc);
	if (!err && !(wf->path = strdup(path)))
		err = -ENOMEM;
	if (err == -ENOMEM)
		pr_warn("out of memory reading '%s'\n", path);
	if (err)
		watch_file_free(wf);
	return err;
}

void watch_file_free(struct watch_file *wf)
{
	for (unsigned int i = 0; wf->g && i < wf->n; i++)
		group_free(&wf->g[i]);
	for (unsigned int i = 0; i < wf->n_sd_paths; i++)
		free(wf->sd_paths[i]);
	free(wf->sd_paths);
	free(wf->g);
	free(wf->targets);
	free(wf->path);
	memset(wf, 0, sizeof(*wf));
}

unsigned int watch_file_group_of(const struct watch_file *wf, const struct target_set *ts,
				 __u64 index)
{
	bool v6 = targets_is6(ts, index);
	__u32 addr = v6 ? 0 : targets_addr(ts, index);
	const char *name;
	__u8 a6[16];

	if (v6)
		targets_addr6(ts, index, a6);
	name = v6 ? targets_name6(ts, a6) : targets_name(ts, addr);
	for (unsigned int i = 0; i < wf->n; i++) {
		const struct target_spec *sp = &wf->g[i].spec;

		if (v6 ? ip6set_contains(&sp->set6, ip6_load(a6)) : ipset_contains(&sp->set, addr))
			return i;
		for (size_t j = 0; name && j < sp->n_names; j++)
			if (!strcasecmp(sp->names[j], name))
				return i;
	}
	return 0;
}
