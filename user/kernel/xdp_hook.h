/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the matcher gets onto an interface's XDP hook. Shared: as one program of libxdp's
 * multi-program dispatcher (the xdp-tools convention), beside other libxdp programs and other
 * echomap processes; libxdp pins the dispatcher in bpffs. Exclusive: a bpf_link of its own, where
 * no bpffs is mounted and the hook is free.
 */
#ifndef ECHOMAP_KERNEL_XDP_HOOK_H
#define ECHOMAP_KERNEL_XDP_HOOK_H

#include <stdbool.h>
#include <bpf/libbpf.h>

#include "config.h"

/* Before the dispatcher's default (50): our replies are dropped before others see them. */
#define XDP_HOOK_RUN_PRIO 10

struct xdp_hook {
	int ifindex;
	int link_fd;		    /* exclusive: our bpf_link; -1 otherwise */
	struct xdp_program *xprog;  /* shared: our program in the dispatcher; NULL otherwise */
	struct xdp_multiprog *mp;   /* shared: the dispatcher we joined, held for runs through it */
	int mode;		    /* shared: libxdp's enum xdp_attach_mode */
};

/*
 * Can ifindex's hook be shared? 1: through libxdp's dispatcher (free, or held by the dispatcher,
 * and bpffs mounted); 0: only by a bpf_link of our own (free, no bpffs). -EBUSY after one
 * pr_warn line naming the program that holds it when it cannot be shared.
 */
int xdp_hook_shareable(int ifindex);
/*
 * Shared: loads prog of obj (opened, not loaded) as a dispatcher component and attaches it.
 * Exclusive: attaches prog (loaded) by bpf_link. 0 or -errno after one pr_warn line.
 */
int xdp_hook_join(struct xdp_hook *h, struct bpf_object *obj, struct bpf_program *prog,
		  int ifindex, enum xdp_mode mode);
/* Shared: prog, already loaded as a component (by xdp_hook_join elsewhere), joins ifindex's too. */
int xdp_hook_join_loaded(struct xdp_hook *h, struct bpf_program *prog, int ifindex,
			 enum xdp_mode mode);
int xdp_hook_link(struct xdp_hook *h, struct bpf_program *prog, int ifindex, enum xdp_mode mode);
/* What BPF_PROG_RUN runs to reach prog through the attached hook (see bpf/echomap.bpf.c). */
int xdp_hook_entry_fd(const struct xdp_hook *h, struct bpf_program *prog);
void xdp_hook_leave(struct xdp_hook *h);

#endif
