/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps of the reply matcher. The loader sets max_entries of results (the number of targets), of
 * events (ring size in bytes) and, in watch mode, of series and groups (the number of series)
 * before load; the values here are placeholders that load.
 */
#ifndef ECHOMAP_MAPS_H
#define ECHOMAP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "echomap_abi.h"

/* One slot per target index; user space mmaps it and reads results without syscalls. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct em_result);
	__uint(max_entries, 1);
} results SEC(".maps");

/*
 * IPv6 runs: the source of each target's first reply (the router's for an ICMPv6 error); sized to
 * the target count then, 1 otherwise.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct em_addr6);
	__uint(max_entries, 1);
} from6_addrs SEC(".maps");

/* struct em_event per reply, only written when cfg.flags has EM_CFG_EVENTS. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/*
 * EM_CFG_STREAM: word (index / 32) holds two bits per target, at 2 * (index % 32) its enum
 * em_stream_state. Sized to the target count, so its bound is the index's; user space mmaps it
 * for --all and resends.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} first_reply SEC(".maps");

/* Watch mode: one struct em_series per series; user space mmaps it and takes each round. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct em_series);
	__uint(max_entries, 1);
} series SEC(".maps");

/*
 * Watch mode with EM_CFG_AGGREGATE: prefix (address & agg_mask, network order) -> series index.
 * Filled by user space before attach, never changed after.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} groups SEC(".maps");

/* The same for IPv6 series with EM_CFG_AGGREGATE6: prefix (address & agg_mask6) -> series index. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct em_addr6);
	__type(value, __u32);
	__uint(max_entries, 1);
} groups6 SEC(".maps");

/* Counters indexed by enum em_counter; per CPU so that counting needs no atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, EM_CNT_MAX);
} stats SEC(".maps");

#endif /* ECHOMAP_MAPS_H */
