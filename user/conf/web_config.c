// SPDX-License-Identifier: GPL-2.0
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/web_config.h"
#include "conf/yaml_doc.h"
#include "lib/log.h"

#define PEM_MAX (1 << 20)

/* path, relative to the config file's folder unless absolute, read whole into *out. */
static int read_pem(const struct yaml_src *y, const yaml_node_t *n, const char *what, char **out)
{
	const char *v, *slash = strrchr(y->path, '/');
	char *path = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int err;

	err = yaml_want_scalar(y, n, what, &v);
	if (err)
		return err;
	if (v[0] == '/' || !slash)
		path = strdup(v);
	else if (asprintf(&path, "%.*s/%s", (int)(slash - y->path), y->path, v) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;
	f = fopen(path, "r");
	buf = malloc(PEM_MAX + 1);
	if (!f || !buf) {
		err = f ? -ENOMEM : yaml_bad(y, n, "%s '%s': %s", what, path, strerror(errno));
		goto out;
	}
	len = fread(buf, 1, PEM_MAX + 1, f);
	if (len == 0 || len > PEM_MAX || ferror(f)) {
		err = yaml_bad(y, n, "%s '%s': %s", what, path,
			       len > PEM_MAX ? "larger than 1 MiB" : "empty or unreadable");
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	if (f)
		fclose(f);
	free(buf);
	free(path);
	return err;
}

static int parse_tls(const struct yaml_src *y, const yaml_node_t *n, struct web_config *wc)
{
	const yaml_node_pair_t *p;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE)
		return yaml_bad(y, n, "tls_server_config must be a mapping");
	for (p = n->data.mapping.pairs.start; !err && p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_node(y, p->key), *v = yaml_node(y, p->value);
		const char *key = yaml_scalar(k) ?: "";

		if (!strcmp(key, "cert_file") && !wc->cert_pem)
			err = read_pem(y, v, "cert_file", &wc->cert_pem);
		else if (!strcmp(key, "key_file") && !wc->key_pem)
			err = read_pem(y, v, "key_file", &wc->key_pem);
		else if (!strcmp(key, "cert_file") || !strcmp(key, "key_file"))
			err = yaml_bad(y, k, "%s given twice", key);
		else
			err = yaml_bad(y, k, "tls_server_config: '%s' is not supported (cert_file and "
					     "key_file are)", key);
	}
	if (!err && (!wc->cert_pem || !wc->key_pem))
		err = yaml_bad(y, n, "tls_server_config needs both cert_file and key_file");
	return err;
}

/* A hash crypt(3) can check: bcrypt ($2a$, $2b$, $2y$), as the exporter-toolkit requires. */
static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$';
}

static int parse_users(const struct yaml_src *y, const yaml_node_t *n, struct web_config *wc)
{
	const yaml_node_pair_t *p;
	size_t max = n->type == YAML_MAPPING_NODE ?
			     (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) :
			     0;
	int err = 0;

	if (n->type != YAML_MAPPING_NODE || !max)
		return yaml_bad(y, n, "basic_auth_users must map user names to bcrypt hashes");
	wc->users = calloc(max, sizeof(*wc->users));
	if (!wc->users)
		return -ENOMEM;
	for (p = n->data.mapping.pairs.start; !err && p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_node(y, p->key), *v = yaml_node(y, p->value);
		const char *name, *hash;

		err = yaml_want_scalar(y, k, "a user name", &name) ?:
		      yaml_want_scalar(y, v, "a password hash", &hash);
		if (err)
			break;
		if (!*name || strchr(name, ':'))
			err = yaml_bad(y, k, "user name '%s' must be non-empty, without ':'", name);
		else if (!is_bcrypt(hash))
			err = yaml_bad(y, v, "the password of '%s' must be a bcrypt hash ($2y$...)",
				       name);
		for (size_t i = 0; !err && i < wc->n_users; i++)
			if (!strcmp(wc->users[i].name, name))
				err = yaml_bad(y, k, "user '%s' given twice", name);
		if (err)
			break;
		wc->users[wc->n_users].name = strdup(name);
		wc->users[wc->n_users].hash = strdup(hash);
		if (!wc->users[wc->n_users].name || !wc->users[wc->n_users].hash)
			err = -ENOMEM;
		wc->n_users++;
	}
	return err;
}

int web_config_load(struct web_config *wc, const char *path)
{
	struct yaml_src y = { .path = path };
	const yaml_node_t *root;
	const yaml_node_pair_t *p;
	int err;

	memset(wc, 0, sizeof(*wc));
	err = yaml_load(&y, "web config file");
	if (err)
		return err;
	root = yaml_document_get_root_node(&y.doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		err = yaml_bad(&y, root, "expected tls_server_config and/or basic_auth_users");
		goto out;
	}
	for (p = root->data.mapping.pairs.start; !err && p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_node(&y, p->key), *v = yaml_node(&y, p->value);
		const char *key = yaml_scalar(k) ?: "";

		if (!strcmp(key, "tls_server_config") && !wc->cert_pem)
			err = parse_tls(&y, v, wc);
		else if (!strcmp(key, "basic_auth_users") && !wc->users)
			err = parse_users(&y, v, wc);
		else if (!strcmp(key, "tls_server_config") || !strcmp(key, "basic_auth_users"))
			err = yaml_bad(&y, k, "%s given twice", key);
		else
			err = yaml_bad(&y, k, "'%s' is not supported (tls_server_config and "
					      "basic_auth_users are)", key);
	}
out:
	yaml_document_delete(&y.doc);
	if (err)
		web_config_free(wc);
	else
		pthread_mutex_init(&wc->lock, NULL);
	return err;
}

void web_config_free(struct web_config *wc)
{
	for (size_t i = 0; i < wc->n_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->accepted);
	memset(wc, 0, sizeof(*wc));
}

/* Compared in time independent of where they differ. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= a[i] ^ b[i];
	return !d;
}

bool web_config_allows(struct web_config *wc, const char *name, const char *password)
{
	const struct web_user *u = NULL;
	struct crypt_data *cd;
	char *cred = NULL;
	const char *h;
	bool ok = false;

	for (size_t i = 0; i < wc->n_users && !u; i++)
		if (!strcmp(wc->users[i].name, name))
			u = &wc->users[i];
	if (!u || asprintf(&cred, "%s:%s", name, password) < 0)
		return false;
	pthread_mutex_lock(&wc->lock);
	ok = wc->accepted && same(wc->accepted, cred);
	pthread_mutex_unlock(&wc->lock);
	/* crypt_data is 32 KiB: not on the stack of libmicrohttpd's thread. */
	if (!ok && (cd = calloc(1, sizeof(*cd)))) {
		h = crypt_r(password, u->hash, cd);
		ok = h && h[0] != '*' && same(h, u->hash);
		free(cd);
	}
	if (ok) {
		pthread_mutex_lock(&wc->lock);
		free(wc->accepted);
		wc->accepted = cred;
		cred = NULL;
		pthread_mutex_unlock(&wc->lock);
	}
	free(cred);
	return ok;
}
