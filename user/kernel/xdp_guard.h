/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libxdp pins its dispatcher and our program in it in bpffs, so they outlive a killed process.
 * A guard process, forked at the first attach, keeps the list of what we attached and detaches
 * whatever is left of it once our end of its pipe closes: when we exit, however we die.
 */
#ifndef ECHOMAP_KERNEL_XDP_GUARD_H
#define ECHOMAP_KERNEL_XDP_GUARD_H

#include <linux/types.h>

/* Our program prog_id is in the dispatcher on ifindex. Starts the guard the first time. */
void xdp_guard_watch(int ifindex, __u32 prog_id);
/* It is no more: detached by ourselves. */
void xdp_guard_forget(int ifindex, __u32 prog_id);
/* At exit: the guard detaches what is left and ends; waits for it. */
void xdp_guard_stop(void);

#endif
