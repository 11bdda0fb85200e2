/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe generator's lifecycle (bpf/generator.bpf.c, include/echomap_gen.h): check that the
 * kernel and the driver can run it, configure and load it, and run it in live-frames mode.
 */
#ifndef ECHOMAP_KERNEL_GENERATOR_H
#define ECHOMAP_KERNEL_GENERATOR_H

#include <stdbool.h>
#include <linux/types.h>

#include "echomap_gen.h"
#include "kernel/matcher.h"
#include "targets/permute.h"
#include "targets/targets.h"
#include "tx/frame.h"

/* Frames per batch of a run: the kernel's limit (TEST_XDP_MAX_BATCH) and veth's ring. */
#define GEN_BATCH_MAX 256

struct generator;

struct gen_opts {
	const char *ifname;
	int ifindex; /* 0: load only, nothing checked (tests run it with BPF_PROG_RUN) */
	struct frame_tmpl tmpl;
	__u64 key[2];
	const struct target_set *ts; /* walk mode; NULL: list mode */
	__u32 probes;		     /* walk mode: rounds per index */
	/*
	 * A trace (tmpl.fixed_csum, tmpl.ttl 0): its walk is over units x n_ttl TTLs from
	 * min_ttl, flows units per target (include/echomap_trace.h), probes 1.
	 */
	__u32 flows, min_ttl, n_ttl;
	/*
	 * The attached matcher to run the generator through, with its gen_marker: runs then cost
	 * no change of the kernel's XDP dispatcher (see bpf/echomap.bpf.c). NULL: run it directly.
	 */
	const struct matcher *entry;
	__u64 marker;
	__u32 slot; /* the matcher's slot for this generator (< EM_GEN_SLOTS): one per route */
};

/*
 * Loads the generator and checks, before anything is sent, that the kernel runs XDP programs in
 * live-frames mode (Linux >= 5.18) on ifname and that its driver transmits XDP frames. 0 or
 * -errno after one line saying what is missing: pr_warn, or pr_info when quiet_fail (the caller
 * has a fallback and says so).
 */
int gen_open(struct generator **g, const struct gen_opts *o, bool quiet_fail);
void gen_close(struct generator *g);

/*
 * One BPF_PROG_RUN in live-frames mode: repeat runs of the program, batch (<= GEN_BATCH_MAX)
 * frames transmitted at a time, as if received on rx queue `queue`. 0 or -errno.
 */
int gen_run(struct generator *g, __u32 repeat, __u32 batch, __u32 queue);

/* Walk mode: CPU cpu's slice, shared with the program (read sent and left from it). */
volatile struct em_gen_walk *gen_walk(struct generator *g, int cpu);
/* Walk mode: gives CPU cpu the walk pm, for `probes` rounds per index. */
void gen_set_walk(struct generator *g, int cpu, const struct permutation *pm, __u32 probes);

/* List mode: the next n <= EM_GEN_LIST_MAX runs send these probes. */
void gen_set_list(struct generator *g, const struct em_gen_probe *p, unsigned int n);
/* List mode: sends n <= EM_GEN_LIST_MAX probes now. 0 or -errno. */
int gen_send_list(struct generator *g, const struct em_gen_probe *p, unsigned int n);

/* For tests: the program and what it runs over (a trace's room, then the template frame). */
int gen_prog_fd(const struct generator *g);
const void *gen_template(const struct generator *g, __u32 *len);

#endif
