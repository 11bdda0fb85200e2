/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF test programs share: skipping for want of privilege, libbpf's messages as TAP
 * comments, program sizes. Include after <cmocka.h>.
 */
#ifndef ECHOMAP_BPF_TEST_H
#define ECHOMAP_BPF_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* mono_ns() is the clock of bpf_ktime_get_ns(), so tx_ns can be set a known time in the past. */
#include "lib/clock.h"

/* Why BPF tests skip, once the first of them found out: one failed load is enough noise. */
static char no_bpf[160];

/*
 * A setup's verdict on its fixture's load (err: 0 or -errno): 0 to go on, loaded or to skip for
 * want of privilege (the reason kept in no_bpf); -1 to fail, after saying why.
 */
static inline int bpf_setup_verdict(int err, const char *what)
{
	if (err == -EPERM || err == -EACCES) {
		snprintf(no_bpf, sizeof(no_bpf),
			 "loading BPF needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON (run as root): %s",
			 strerror(-err));
		return 0;
	}
	if (err)
		print_error("# cannot load %s: %s\n", what, strerror(-err));
	return err ? -1 : 0;
}

/* Skips the running test, saying why, unless its fixture loaded. */
static inline void need_loaded(const void *loaded)
{
	if (!loaded) {
		print_message("# skipped: %s\n", no_bpf);
		skip();
	}
}

/* libbpf's messages (verifier logs among them) as TAP comments, never mistaken for results. */
static inline int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg, *line, *save;

	if (level == LIBBPF_DEBUG || vasprintf(&msg, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "# %s\n", line);
	free(msg);
	return 0;
}

/*
 * The program's size, for the record; a budget catches a change that makes the verifier work.
 * Returns false (after saying why) when the info cannot be read or a budget is exceeded.
 */
static inline bool prog_size_ok(int prog_fd, const char *what, __u32 max_insns, __u32 max_verified)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		fprintf(stderr, "# %s: no program info\n", what);
		return false;
	}
	printf("# %s: %u instructions, %u verified\n", what, info.xlated_prog_len / 8,
	       info.verified_insns);
	return info.xlated_prog_len / 8 >= 1 && info.xlated_prog_len / 8 <= max_insns &&
	       info.verified_insns >= 1 && info.verified_insns <= max_verified;
}

#endif
