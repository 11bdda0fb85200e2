// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for target specifications (user/targets/targets.c): the input is, by its
 * first byte, a list of arguments (one a line: addresses, CIDRs, ranges, names, @file), the
 * lines of an @file, or a --blocklist/--allowlist file. What parses is assembled into a target
 * set (names count as unresolved) and walked at its ends.
 */
#include <stdint.h>
#include <string.h>

#include "targets/targets.h"
#include "lib/log.h"
#include "fuzz_input.h"

#define MAX_ARGS 32

/* Index i's address, of either family. */
static void at(const struct target_set *ts, __u64 i)
{
	__u8 a6[16];

	if (i >= ts->count)
		return;
	if (targets_is6(ts, i))
		targets_addr6(ts, i, a6);
	else
		targets_addr(ts, i);
}

static void walk(const struct target_spec *sp, const struct target_opts *o)
{
	struct resolved *res = calloc(sp->n_names ?: 1, sizeof(*res));
	struct target_set ts;

	if (!res)
		return;
	if (!targets_assemble(&ts, sp, res, o)) {
		at(&ts, 0);
		at(&ts, ts.count - 1);
		at(&ts, ts.count / 2);
		at(&ts, ts.count - ts.count6);
		targets_free(&ts);
	}
	free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_opts o = { .allow_reserved = true, .quiet = true };
	char path[64], arg[80], *args[MAX_ARGS], *text, *save, *tok;
	struct target_spec sp;
	int fd = -1, n = 0;

	log_level = LOG_WARN;
	if (!size)
		return 0;
	o.allow_reserved = data[0] & 4;
	switch (data[0] % 4) {
	case 0: /* arguments, one a line; "-" (stdin) left out */
		text = strndup((const char *)data + 1, size - 1);
		if (!text)
			return 0;
		for (tok = strtok_r(text, "\n", &save); tok && n < MAX_ARGS;
		     tok = strtok_r(NULL, "\n", &save))
			if (strcmp(tok, "-"))
				args[n++] = tok;
		if (n && !targets_parse(&sp, args, n, &o)) {
			walk(&sp, &o);
			target_spec_free(&sp);
		}
		free(text);
		return 0;
	case 1: /* an @file */
		fd = input_file(data + 1, size - 1, path, sizeof(path));
		snprintf(arg, sizeof(arg), "@%s", path);
		args[n++] = arg;
		break;
	case 2: /* a blocklist */
		fd = input_file(data + 1, size - 1, path, sizeof(path));
		o.blocklist_file = path;
		args[n++] = (char *)"10.0.0.0/8";
		break;
	default: /* an allowlist */
		fd = input_file(data + 1, size - 1, path, sizeof(path));
		o.allowlist_file = path;
		args[n++] = (char *)"10.0.0.0/8";
		break;
	}
	if (!targets_parse(&sp, args, n, &o)) {
		walk(&sp, &o);
		target_spec_free(&sp);
	}
	close(fd);
	return 0;
}
