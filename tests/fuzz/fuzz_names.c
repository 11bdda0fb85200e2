// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the resolver's configuration (user/names/resolve.c): by the first byte,
 * the input is an /etc/nsswitch.conf, an /etc/resolv.conf (its last line also as RES_OPTIONS)
 * or an /etc/hosts, which is then looked up by the names it holds and by others.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "names/resolve.h"
#include "lib/log.h"
#include "fuzz_input.h"

/* Every whitespace-separated word of text looked up, all addresses or the first, of family. */
static void lookup_words(const struct hosts_file *h, const char *text, bool all, int family)
{
	char *copy = strdup(text), *save, *w;
	struct resolved r = { 0 };
	int n = 0;

	if (!copy)
		return;
	for (w = strtok_r(copy, " \t\n", &save); w && n < 64; w = strtok_r(NULL, " \t\n", &save)) {
		hosts_lookup(h, w, all, family, &r);
		resolved_free(&r, 1);
		n++;
	}
	hosts_lookup(h, "localhost", all, family, &r);
	resolved_free(&r, 1);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolv_conf rc;
	struct hosts_file h;
	struct nss_hosts nh;
	char path[64], *text;
	const char *env;
	int fd;

	log_level = LOG_WARN;
	if (!size)
		return 0;
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	fd = input_file(data + 1, size - 1, path, sizeof(path));
	switch (data[0] % 3) {
	case 0:
		nss_hosts_read(path, &nh);
		nss_hosts_parse(text, &nh);
		break;
	case 1:
		env = strrchr(text, '\n');
		resolv_conf_read(path, env ? env + 1 : text, &rc);
		break;
	default:
		if (!hosts_load(path, &h)) {
			lookup_words(&h, text, data[0] & 4,
				     data[0] & 8 ? AF_INET : data[0] & 16 ? AF_INET6 : AF_UNSPEC);
			hosts_free(&h);
		}
		break;
	}
	close(fd);
	free(text);
	return 0;
}
