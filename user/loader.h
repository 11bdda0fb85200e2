/* SPDX-License-Identifier: GPL-2.0 */
/* The reply matcher's lifecycle: open skeleton, set config, size maps, load, attach by bpf_link. */
#ifndef ECHOMAP_LOADER_H
#define ECHOMAP_LOADER_H

#include <bpf/libbpf.h>
#include <stdbool.h>

#include "config.h"
#include "echomap_abi.h"

struct matcher {
	struct echomap_bpf *skel;
	int link_fd;
	const volatile struct em_result *results; /* mmap of the results array */
	size_t results_len;
	struct ring_buffer *events;
	bool native;
};

struct matcher_opts {
	int ifindex;
	enum xdp_mode mode;
	__u64 key[2];
	__u32 saddr;	 /* network order */
	__u32 n_targets;
	ring_buffer_sample_fn on_event; /* NULL: no per-reply events */
	void *ctx;
};

/* 0 or -errno after one pr_warn line; on failure nothing stays loaded or attached. */
int matcher_open(struct matcher *m, const struct matcher_opts *o);
void matcher_close(struct matcher *m);
/* Sums the per-CPU counters into out[EM_CNT_MAX]. */
int matcher_stats(const struct matcher *m, __u64 *out);

#endif
