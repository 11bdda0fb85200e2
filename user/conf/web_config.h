/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch --web.config.file: TLS and basic authentication for /metrics, in the Prometheus
 * exporter-toolkit's format (tls_server_config: cert_file, key_file; basic_auth_users: name to
 * bcrypt hash), so one file serves echomap and the exporters beside it.
 */
#ifndef ECHOMAP_CONF_WEB_CONFIG_H
#define ECHOMAP_CONF_WEB_CONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name, *hash;
};

struct web_config {
	char *cert_pem, *key_pem; /* both or neither: NULL serves plain HTTP */
	struct web_user *users;	  /* none: no authentication */
	size_t n_users;
	/*
	 * The last credentials bcrypt accepted ("name:password"): a scraper sends the same every
	 * few seconds, and bcrypt costs tens of milliseconds by design.
	 */
	pthread_mutex_t lock;
	char *accepted;
};

/* 0, or -EINVAL/-ENOENT/-ENOMEM after one "FILE:LINE: why" line; nothing to free on error. */
int web_config_load(struct web_config *wc, const char *path);
void web_config_free(struct web_config *wc);
/* Whether name and password are those of a user of the file (thread-safe). */
bool web_config_allows(struct web_config *wc, const char *name, const char *password);

#endif
