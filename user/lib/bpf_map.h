/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What user space does with BPF in more than one place: mmap an array, sum a per-CPU value, say
 * which privileges a refused call wanted.
 */
#ifndef ECHOMAP_LIB_BPF_MAP_H
#define ECHOMAP_LIB_BPF_MAP_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Maps the first len bytes of the BPF_F_MMAPABLE array map_fd, rounded up to whole pages
 * (*mapped: the length to munmap); prot as for mmap(2). Returns the address, or NULL after a
 * pr_warn naming what (e.g. "the results array") with errno kept.
 */
void *bpf_map_mmap(int map_fd, size_t len, int prot, size_t *mapped, const char *what);

/* What to add to a message about a BPF call that failed with err: how to get the right, if that is it. */
const char *bpf_perm_hint(int err);

/* The sum over possible CPUs of the __u64 at key of a per-CPU array; 0 or -errno. */
int bpf_percpu_sum(int map_fd, __u32 key, __u64 *sum);

#endif
