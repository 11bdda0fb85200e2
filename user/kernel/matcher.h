/* SPDX-License-Identifier: GPL-2.0 */
/* The reply matcher's lifecycle: open skeleton, set config, size maps, load, attach (xdp_hook.h). */
#ifndef ECHOMAP_KERNEL_MATCHER_H
#define ECHOMAP_KERNEL_MATCHER_H

#include <bpf/libbpf.h>
#include <stdbool.h>

#include "config.h"
#include "echomap_abi.h"
#include "kernel/xdp_hook.h"
#include "targets/ip6set.h"

struct matcher {
	struct echomap_bpf *skel;
	struct xdp_hook hook;
	struct xdp_hook *more; /* the other interfaces the targets' routes leave by */
	unsigned int n_more;
	volatile struct em_result *results; /* mmap of the results array (writable in watch mode) */
	size_t results_len;
	volatile struct em_series *series;  /* watch mode: mmap of the series array */
	size_t series_len;
	struct ring_buffer *events;
	const volatile __u64 *first_reply; /* stream mode: mmap of the first-reply bitmap */
	size_t first_reply_len;
	const volatile struct em_addr6 *from6; /* IPv6 targets: mmap of from6_addrs, or NULL */
	size_t from6_len;
};

/* Stream mode: target index i's state (safe while replies arrive). */
static inline enum em_stream_state matcher_stream_state(const struct matcher *m, __u64 i)
{
	return em_stream_state(__atomic_load_n(&m->first_reply[i / 32], __ATOMIC_RELAXED), i);
}

/* Stream mode: whether target index i has a line (its event may still be on its way). */
static inline bool matcher_has_line(const struct matcher *m, __u64 i)
{
	enum em_stream_state st = matcher_stream_state(m, i);

	return st == EM_SS_ECHO || st == EM_SS_ERROR;
}

/* Watch mode: what the program needs to sort replies into series and rounds. */
struct matcher_watch {
	__u64 timeout_ns;
	__u32 n_series;
	bool aggregate;		/* IPv4 series are prefixes: */
	__u32 agg_mask;		/* their netmask (host order) */
	const __u32 *prefixes;	/* and their addresses (host order), one per series */
	__u32 n_series4;	/* series [0, n_series4) are IPv4's, the rest IPv6's */
	bool aggregate6;	/* IPv6 series are prefixes: */
	unsigned int agg_len6;	/* of this length */
	const ip6_t *prefixes6; /* and their addresses, one per series (those of IPv6 used) */
};

struct matcher_opts {
	int ifindex;		/* 0: load only; matcher_take_over() attaches */
	enum xdp_mode mode;
	__u64 key[2];
	__u32 saddr;	 /* network order */
	__u64 n_targets;
	bool ipv6;	     /* some targets are IPv6: from6_addrs gets a slot per target */
	__u8 saddr6[16];     /* replies to IPv6 probes must be addressed to it; zero: any */
	/*
	 * Sweep streaming (EM_CFG_STREAM): no result slots, two bits per target, every reply an
	 * event to on_event (required) through a ring of stream_ring bytes.
	 */
	bool stream;
	__u32 stream_ring;
	ring_buffer_sample_fn on_event; /* NULL: no per-reply events */
	void *ctx;
	const struct matcher_watch *watch; /* NULL: sweep or ping */
	bool trace; /* rounds are TTLs: EM_CFG_TRACE */
	__u64 gen_marker; /* xdp-live: metadata of generator runs (see bpf/echomap.bpf.c), or 0 */
};

/* 0 or -errno after one pr_warn line; on failure nothing stays loaded or attached. */
int matcher_open(struct matcher *m, const struct matcher_opts *o);
/* Attaches the matcher to ifindex too, in the way of its first hook. 0 or -errno (logged). */
int matcher_attach_also(struct matcher *m, int ifindex, enum xdp_mode mode);
/* Joined libxdp's dispatcher (xdp_hook.h): replaced by opening a successor, not by take-over. */
bool matcher_shared(const struct matcher *m);
/* What a BPF_PROG_RUN that reaches the matcher (and the generator behind it) runs. */
int matcher_entry_fd(const struct matcher *m);
/*
 * Exclusive hook only: swaps m's program (opened with ifindex 0) in for old's on each of old's
 * bpf_links, atomically: an interface is never without a matcher and never has two. m then owns
 * the links, beside those it attached itself (matcher_attach_also: interfaces old was not on);
 * old can be closed. 0 or -errno after one pr_warn line.
 */
int matcher_take_over(struct matcher *m, struct matcher *old);
/*
 * Watch mode: the round replies are counted in from now on (see struct em_watch_round). Returns
 * once no reply judged against the round before is still being counted: the caller can take
 * that round's counts whole.
 */
void matcher_set_round(struct matcher *m, __u32 first, __u32 count);
void matcher_close(struct matcher *m);
/* Sums the per-CPU counters into out[EM_CNT_MAX]. */
int matcher_stats(const struct matcher *m, __u64 *out);

#endif
