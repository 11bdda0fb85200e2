// SPDX-License-Identifier: GPL-2.0
/* Skeleton lifecycle of the reply matcher, in the libbpf-bootstrap manner. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <sched.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "echomap_abi.h"
#include "kernel/matcher.h"
#include "kernel/xdp_hook.h"
#include "lib/bpf_map.h"
#include "lib/log.h"

#include "echomap.skel.h"

#define EVENTS_BYTES (1U << 22)

/* libbpf's own messages (verifier logs and the like) only with -v / -vv. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBBPF_WARN && log_level >= LOG_INFO) || log_level >= LOG_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/*
 * libxdp loads the object itself, without the skeleton's mappings: map the .bss (watch_round)
 * over the skeleton's copy, as the skeleton's own load would.
 */
static int map_bss(struct matcher *m)
{
	struct bpf_map *map = m->skel->maps.bss;
	size_t page = sysconf(_SC_PAGESIZE);
	size_t len = (bpf_map__value_size(map) + page - 1) / page * page;

	if (mmap(m->skel->bss, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 bpf_map__fd(map), 0) == MAP_FAILED) {
		int err = -errno;

		pr_warn("cannot map the matcher's data: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* Loads the program: as a component of libxdp's dispatcher when the hook is shared. */
static int load(struct matcher *m, const struct matcher_opts *o)
{
	struct bpf_program *prog = m->skel->progs.echomap_xdp;
	int shared = o->ifindex ? xdp_hook_shareable(o->ifindex) : 0, err;

	if (shared < 0)
		return shared;
	if (shared) {
		err = xdp_hook_join(&m->hook, m->skel->obj, prog, o->ifindex, o->mode);
		return err ?: map_bss(m);
	}
	err = echomap_bpf__load(m->skel);
	if (err) {
		pr_warn("cannot load the BPF program: %s%s\n", strerror(-err), bpf_perm_hint(err));
		return err;
	}
	return o->ifindex ? xdp_hook_link(&m->hook, prog, o->ifindex, o->mode) : 0;
}

/* Maps the series array and files each aggregated series under its prefix. */
static int watch_maps(struct matcher *m, const struct matcher_watch *w)
{
	int fd = bpf_map__fd(m->skel->maps.groups), err;

	m->series = bpf_map_mmap(bpf_map__fd(m->skel->maps.series),
				 (size_t)w->n_series * sizeof(struct em_series), PROT_READ | PROT_WRITE,
				 &m->series_len, "the series array");
	if (!m->series)
		return -errno;
	for (__u32 i = 0; w->aggregate && i < w->n_series4; i++) {
		__u32 key = htonl(w->prefixes[i]);

		if (bpf_map_update_elem(fd, &key, &i, BPF_NOEXIST))
			goto fail;
	}
	fd = bpf_map__fd(m->skel->maps.groups6);
	for (__u32 i = w->n_series4; w->aggregate6 && i < w->n_series; i++) {
		struct em_addr6 key;

		ip6_store(w->prefixes6[i], (__u8 *)key.a);
		if (bpf_map_update_elem(fd, &key, &i, BPF_NOEXIST))
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	pr_warn("cannot fill the prefix map: %s\n", strerror(-err));
	return err;
}

int matcher_open(struct matcher *m, const struct matcher_opts *o)
{
	size_t page = sysconf(_SC_PAGESIZE);
	/* Stream mode keeps no slots: results is one placeholder slot that nothing writes. */
	__u64 slots = o->stream ? 1 : o->n_targets;
	int prot, err;

	memset(m, 0, sizeof(*m));
	m->hook.link_fd = -1;
	libbpf_set_print(libbpf_print);

	m->skel = echomap_bpf__open();
	if (!m->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s\n", strerror(errno));
		return err;
	}
	m->skel->rodata->cfg.key[0] = o->key[0];
	m->skel->rodata->cfg.key[1] = o->key[1];
	m->skel->rodata->cfg.saddr = o->saddr;
	memcpy((void *)m->skel->rodata->cfg.saddr6, o->saddr6, sizeof(o->saddr6));
	/* Stream mode never reads it (2^32 targets would not fit): the bitmap bounds indices. */
	m->skel->rodata->cfg.n_targets = o->n_targets > UINT32_MAX ? UINT32_MAX : o->n_targets;
	m->skel->rodata->cfg.flags = o->stream ? EM_CFG_STREAM : o->on_event ? EM_CFG_EVENTS : 0;
	if (o->trace)
		m->skel->rodata->cfg.flags |= EM_CFG_TRACE;
	m->skel->rodata->gen_marker = o->gen_marker;
	bpf_map__set_max_entries(m->skel->maps.results, slots);
	if (o->ipv6)
		bpf_map__set_max_entries(m->skel->maps.from6_addrs, slots);
	if (o->stream)
		bpf_map__set_max_entries(m->skel->maps.first_reply, (o->n_targets + 31) / 32);
	if (o->watch) {
		m->skel->rodata->cfg.flags |= EM_CFG_WATCH;
		m->skel->rodata->cfg.timeout_ns = o->watch->timeout_ns;
		bpf_map__set_max_entries(m->skel->maps.series, o->watch->n_series);
		if (o->watch->aggregate) {
			m->skel->rodata->cfg.flags |= EM_CFG_AGGREGATE;
			m->skel->rodata->cfg.agg_mask = htonl(o->watch->agg_mask);
			bpf_map__set_max_entries(m->skel->maps.groups, o->watch->n_series);
		}
		if (o->watch->aggregate6) {
			__u8 mask[16];

			m->skel->rodata->cfg.flags |= EM_CFG_AGGREGATE6;
			ip6_store(ip6_prefix_lo(~(ip6_t)0, o->watch->agg_len6), mask);
			memcpy((void *)m->skel->rodata->cfg.agg_mask6, mask, sizeof(mask));
			bpf_map__set_max_entries(m->skel->maps.groups6, o->watch->n_series);
		}
	}
	/* Without events the ring buffer is never written: keep it one page. */
	bpf_map__set_max_entries(m->skel->maps.events,
				 o->stream ? o->stream_ring : o->on_event ? EVENTS_BYTES : page);

	err = load(m, o);
	if (err)
		goto fail;

	/* Watch mode clears the slots after each round; the other commands only read them. */
	prot = o->watch ? PROT_READ | PROT_WRITE : PROT_READ;
	m->results = bpf_map_mmap(bpf_map__fd(m->skel->maps.results),
				  slots * sizeof(struct em_result), prot, &m->results_len,
				  "the results array");
	if (!m->results) {
		err = -errno;
		goto fail;
	}
	if (o->ipv6) {
		m->from6 = bpf_map_mmap(bpf_map__fd(m->skel->maps.from6_addrs),
					slots * sizeof(struct em_addr6), PROT_READ, &m->from6_len,
					"the IPv6 reply sources");
		if (!m->from6) {
			err = -errno;
			goto fail;
		}
	}
	if (o->stream) {
		m->first_reply = bpf_map_mmap(bpf_map__fd(m->skel->maps.first_reply),
					      (o->n_targets + 31) / 32 * sizeof(__u64), PROT_READ,
					      &m->first_reply_len, "the first-reply bitmap");
		if (!m->first_reply) {
			err = -errno;
			goto fail;
		}
	}

	if (o->watch) {
		err = watch_maps(m, o->watch);
		if (err)
			goto fail;
	}

	if (o->on_event) {
		m->events = ring_buffer__new(bpf_map__fd(m->skel->maps.events), o->on_event, o->ctx,
					     NULL);
		if (!m->events) {
			err = -errno;
			pr_warn("cannot open the event ring buffer: %s\n", strerror(errno));
			goto fail;
		}
	}

	return 0;

fail:
	matcher_close(m);
	return err;
}

int matcher_take_over(struct matcher *m, struct matcher *old)
{
	int prog_fd = bpf_program__fd(m->skel->progs.echomap_xdp);
	struct xdp_hook *more = NULL;
	size_t n = m->n_more + old->n_more;

	/* Before any swap: nothing may fail once the first link runs m. */
	if (n) {
		more = realloc(m->more, n * sizeof(*more));
		if (!more)
			return -ENOMEM;
		m->more = more;
	}
	if (bpf_link_update(old->hook.link_fd, prog_fd, NULL)) {
		int err = -errno;

		pr_warn("cannot replace the reply matcher: %s\n", strerror(-err));
		return err;
	}
	for (unsigned int i = 0; i < old->n_more; i++) {
		if (bpf_link_update(old->more[i].link_fd, prog_fd, NULL)) {
			int err = -errno;

			pr_warn("cannot replace the reply matcher: %s\n", strerror(-err));
			return err;
		}
	}
	m->hook = old->hook;
	old->hook.link_fd = -1;
	if (old->n_more)
		memcpy(more + m->n_more, old->more, old->n_more * sizeof(*more));
	m->n_more = n;
	free(old->more);
	old->more = NULL;
	old->n_more = 0;
	return 0;
}

void matcher_set_round(struct matcher *m, __u32 first, __u32 count)
{
	volatile struct em_watch_round *r = &m->skel->bss->watch_round;
	__u32 *busy = &m->skel->bss->watch_busy[r->count ? (r->first / r->count) & 1 : 0];

	/*
	 * count is the same for every round of a run, so moving on to the next round is the one
	 * 32-bit store to first, which the program sees whole.
	 */
	r->count = count;
	__atomic_store_n(&r->first, first, __ATOMIC_SEQ_CST);
	/*
	 * A reply judged in time against the round before may still be inside the program on
	 * another CPU, its counts half added: wait for it (a program run takes microseconds), or
	 * the caller's take would split it across two rounds. See watch_enter().
	 */
	while (__atomic_load_n(busy, __ATOMIC_SEQ_CST))
		sched_yield();
}

void matcher_close(struct matcher *m)
{
	xdp_hook_leave(&m->hook);
	for (unsigned int i = 0; i < m->n_more; i++)
		xdp_hook_leave(&m->more[i]);
	free(m->more);
	m->more = NULL;
	m->n_more = 0;
	ring_buffer__free(m->events);
	m->events = NULL;
	if (m->results)
		munmap((void *)m->results, m->results_len);
	m->results = NULL;
	if (m->series)
		munmap((void *)m->series, m->series_len);
	m->series = NULL;
	if (m->first_reply)
		munmap((void *)m->first_reply, m->first_reply_len);
	if (m->from6)
		munmap((void *)m->from6, m->from6_len);
	m->from6 = NULL;
	m->first_reply = NULL;
	echomap_bpf__destroy(m->skel);
	m->skel = NULL;
}

int matcher_attach_also(struct matcher *m, int ifindex, enum xdp_mode mode)
{
	struct bpf_program *prog = m->skel->progs.echomap_xdp;
	int shared = xdp_hook_shareable(ifindex), err;
	struct xdp_hook *h;

	if (shared < 0)
		return shared;
	if (shared != matcher_shared(m)) {
		pr_warn("cannot attach the reply matcher to every interface of the routes: the "
			"hook of one is shared through libxdp's dispatcher, another's cannot be\n");
		return -EINVAL;
	}
	h = realloc(m->more, (m->n_more + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	m->more = h;
	h = &m->more[m->n_more];
	memset(h, 0, sizeof(*h));
	err = shared ? xdp_hook_join_loaded(h, prog, ifindex, mode) :
		       xdp_hook_link(h, prog, ifindex, mode);
	if (!err)
		m->n_more++;
	return err;
}

bool matcher_shared(const struct matcher *m)
{
	return m->hook.xprog;
}

int matcher_entry_fd(const struct matcher *m)
{
	return xdp_hook_entry_fd(&m->hook, m->skel->progs.echomap_xdp);
}

int matcher_stats(const struct matcher *m, __u64 *out)
{
	int err = 0;

	for (__u32 k = 0; k < EM_CNT_MAX && !err; k++)
		err = bpf_percpu_sum(bpf_map__fd(m->skel->maps.stats), k, &out[k]);
	return err;
}
