/* SPDX-License-Identifier: GPL-2.0 */
/* Maps of the reply matcher; sizes of results and events are set by the loader. */
#ifndef ECHOMAP_MAPS_H
#define ECHOMAP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "echomap_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct em_result);
	__uint(max_entries, 1);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, EM_CNT_MAX);
} stats SEC(".maps");

#endif
