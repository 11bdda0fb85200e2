// SPDX-License-Identifier: GPL-2.0
/*
 * watch --web.config.file (conf/web_config.c): the exporter-toolkit's fields read, every refusal
 * one line naming the file, the line and why; passwords checked against bcrypt hashes, a wrong
 * one never let through by the cache of the last accepted one.
 */
#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/web_config.h"

static char dir[64], path[128], msg[4096], hash[128];

static void put(const char *name, const char *text)
{
	char p[192];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Writes text as the config file (in dir, beside its PEM files) and loads it; stderr to msg. */
static int load(struct web_config *wc, const char *text)
{
	FILE *cap = tmpfile();
	int saved = dup(2), err;
	size_t len;

	put("web.yml", text);
	assert_non_null(cap);
	assert_true(dup2(fileno(cap), 2) == 2);
	err = web_config_load(wc, path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	len = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[len] = '\0';
	fclose(cap);
	return err;
}

static void refused(const char *text, unsigned int line, const char *why)
{
	struct web_config wc;
	char want[256];

	assert_int_equal(load(&wc, text), -EINVAL);
	assert_null(wc.users);
	assert_null(wc.cert_pem);
	snprintf(want, sizeof(want), "echomap: %s:%u: ", path, line);
	if (strncmp(msg, want, strlen(want)) || !strstr(msg, why) ||
	    strchr(msg, '\n') != strrchr(msg, '\n'))
		fail_msg("said '%s', want one line '%s...%s'", msg, want, why);
}

static int setup(void **state)
{
	char salt[64];
	struct crypt_data cd = { 0 };
	const char *h;

	strcpy(dir, "/tmp/test_web_config.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	/* The cheapest bcrypt cost: the check is the same at any. */
	if (!crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)))
		return -1;
	h = crypt_r("s3cret", salt, &cd);
	if (!h || h[0] == '*')
		return -1;
	strcpy(hash, h);
	put("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	put("key.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static void test_fields(void **state)
{
	struct web_config wc;
	char text[512];

	snprintf(text, sizeof(text),
		 "# relative paths are the config file's folder's\n"
		 "tls_server_config:\n  cert_file: cert.pem\n  key_file: %s/key.pem\n"
		 "basic_auth_users:\n  prom: '%s'\n  other: '%s'\n",
		 dir, hash, hash);
	assert_int_equal(load(&wc, text), 0);
	assert_string_equal(msg, "");
	assert_non_null(strstr(wc.cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(wc.key_pem, "BEGIN PRIVATE KEY"));
	assert_int_equal(wc.n_users, 2);
	assert_string_equal(wc.users[0].name, "prom");
	assert_string_equal(wc.users[1].hash, hash);
	web_config_free(&wc);

	/* Either part alone. */
	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: %s\n", hash);
	assert_int_equal(load(&wc, text), 0);
	assert_null(wc.cert_pem);
	web_config_free(&wc);
	assert_int_equal(load(&wc, "tls_server_config: {cert_file: cert.pem, key_file: key.pem}\n"),
			 0);
	assert_int_equal(wc.n_users, 0);
	web_config_free(&wc);
}

static void test_passwords(void **state)
{
	struct web_config wc;
	char text[512];

	snprintf(text, sizeof(text), "basic_auth_users:\n  prom: %s\n  b: %s\n", hash, hash);
	assert_int_equal(load(&wc, text), 0);
	assert_false(web_config_allows(&wc, "prom", "wrong"));
	assert_false(web_config_allows(&wc, "nobody", "s3cret"));
	assert_false(web_config_allows(&wc, "prom", ""));
	assert_true(web_config_allows(&wc, "prom", "s3cret"));
	/* Now cached: the cache holds the name and the whole password, nothing less. */
	assert_true(web_config_allows(&wc, "prom", "s3cret"));
	assert_false(web_config_allows(&wc, "prom", "s3cre"));
	assert_false(web_config_allows(&wc, "prom", "s3cret2"));
	assert_false(web_config_allows(&wc, "b", "wrong"));
	assert_true(web_config_allows(&wc, "b", "s3cret"));
	web_config_free(&wc);
}

static void test_refused(void **state)
{
	char text[512];

	refused("- a\n- b\n", 1, "expected tls_server_config and/or basic_auth_users");
	refused("http_server_config:\n  http2: true\n", 1, "'http_server_config' is not supported");
	refused("tls_server_config:\n  cert_file: cert.pem\n", 2,
		"needs both cert_file and key_file");
	refused("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		"  client_ca_file: ca.pem\n",
		4, "'client_ca_file' is not supported");
	refused("tls_server_config:\n  cert_file: nothere.pem\n  key_file: key.pem\n", 2,
		"nothere.pem': No such file or directory");
	refused("basic_auth_users:\n  prom: plaintext\n", 2, "must be a bcrypt hash");
	refused("basic_auth_users: []\n", 1, "must map user names to bcrypt hashes");
	snprintf(text, sizeof(text), "basic_auth_users:\n  'a:b': %s\n", hash);
	refused(text, 2, "without ':'");
	snprintf(text, sizeof(text), "basic_auth_users:\n  a: %s\n  a: %s\n", hash, hash);
	refused(text, 3, "user 'a' given twice");
	refused("tls_server_config: [\n", 2, "");
}

static void test_missing(void **state)
{
	struct web_config wc;

	assert_int_equal(web_config_load(&wc, "/nonexistent/web.yml"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
