/* SPDX-License-Identifier: GPL-2.0 */
/* What the BPF test programs share: the clock, libbpf's messages as TAP comments, sizes. */
#ifndef ECHOMAP_BPF_TEST_H
#define ECHOMAP_BPF_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The clock of bpf_ktime_get_ns(), so tx_ns can be set a known time in the past. */
static inline __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
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
