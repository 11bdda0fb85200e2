// SPDX-License-Identifier: GPL-2.0
/*
 * echomap's probe generator, run by user space with BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES
 * over a frame template: each run builds the next echo request in place and returns XDP_TX,
 * which the kernel transmits on the interface given as the run's ingress device. See
 * include/echomap_gen.h for the modes and maps.
 *
 * Every byte the probe depends on is written on every run: live-frames mode recycles its pages
 * without restoring the template, and a responder that turned a page into its reply in place
 * (MACs and addresses swapped, type 0) hands it back that way. Only the zero padding after our
 * payload (--size) is left as the template set it; nothing on the path writes there.
 *
 * The frame's fields are written through pointers at fixed offsets: the IPv4 header sits 2 bytes
 * off a 4-byte boundary, as in every XDP program, which the verifier allows where the CPU reads
 * unaligned words cheaply.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "echomap_abi.h"
#include "echomap_cookie.h"
#include "echomap_csum.h"
#include "echomap_frame.h"
#include "echomap_gen.h"
#include "permute.h"

const volatile struct em_gen_config cfg = {};

/* Walk mode: one slice of the permutation per CPU, mmap'd by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct em_gen_walk);
	__uint(max_entries, 1); /* the number of possible CPUs, set by the loader */
} gen_walk SEC(".maps");

/* Walk mode: the target set's intervals, sorted by first index. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct em_gen_iv);
	__uint(max_entries, 1); /* cfg.n_iv, set by the loader */
} gen_iv SEC(".maps");

/* List mode, written by user space through the mmap'd .bss before each run. */
struct em_gen_probe gen_list[EM_GEN_LIST_MAX];
__u32 gen_list_len;
__u32 gen_list_pos; /* next probe; runs past gen_list_len drop */
__u32 gen_list_ip_id;
__u64 gen_list_sent;

/*
 * The address of index: in the last interval whose first index is <= index. false for an index
 * beyond that interval (and so beyond the set): whatever the walk says, no probe leaves the set.
 */
static __always_inline bool index_addr(__u32 index, __u32 *daddr)
{
	__u32 lo = 0, hi = cfg.n_iv, mid;
	struct em_gen_iv *iv;

	for (int i = 0; i < EM_GEN_SEARCH_STEPS && hi - lo > 1; i++) {
		mid = lo + (hi - lo) / 2;
		iv = bpf_map_lookup_elem(&gen_iv, &mid);
		if (!iv)
			return false;
		if (iv->first <= index)
			lo = mid;
		else
			hi = mid;
	}
	iv = bpf_map_lookup_elem(&gen_iv, &lo);
	if (!iv || index - iv->first > iv->hi - iv->lo)
		return false;
	*daddr = bpf_htonl(iv->lo + (index - iv->first));
	return true;
}

/* The next probe of this CPU's slice of the walk; false when there is none in this run. */
static __always_inline bool walk_probe(struct em_gen_probe *pr, __u16 *ip_id, const bool trace)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct em_gen_walk *w = bpf_map_lookup_elem(&gen_walk, &cpu);

	if (!w)
		return false;
	if (!w->rounds_left) {
		if (!em_walk_next(w, &w->index))
			return false;
		w->rounds_left = w->probes;
	}
	/* A trace walks units x TTLs, one probe each: the element names its unit and TTL. */
	if (!index_addr(trace ? em_trace_unit(w->index, cfg.n_ttl) / cfg.flows : w->index,
			&pr->daddr)) {
		/* Not a target: none of its rounds is sent, and the walk moves on. */
		w->rounds_left = 0;
		return false;
	}
	pr->index = trace ? em_trace_unit(w->index, cfg.n_ttl) : w->index;
	pr->round = trace ? em_trace_ttl(w->index, cfg.min_ttl, cfg.n_ttl) :
			    w->probes - w->rounds_left;
	w->rounds_left--;
	w->sent++;
	*ip_id = w->ip_id++;
	return true;
}

/* The next probe of the list; false past its end. */
static __always_inline bool list_probe(struct em_gen_probe *pr, __u16 *ip_id)
{
	__u32 i = __sync_fetch_and_add(&gen_list_pos, 1);

	if (i >= gen_list_len || i >= EM_GEN_LIST_MAX)
		return false;
	*pr = gen_list[i];
	*ip_id = __sync_fetch_and_add(&gen_list_ip_id, 1);
	__sync_fetch_and_add(&gen_list_sent, 1);
	return true;
}

/*
 * Writes the whole probe: constant head, IPv4 id, addresses, checksums, ICMP header, payload;
 * a trace probe also its TTL (the round) and the compensation that holds its unit's checksum.
 */
static __always_inline void build(void *f, const struct em_gen_probe *pr, __u16 ip_id,
				  const bool trace)
{
	struct em_payload pl = {
		.tx_ns = bpf_ktime_get_ns(),
		.index = pr->index,
		.round = pr->round,
	};
	__u32 saddr = em_probe_saddr(cfg.saddr, cfg.n_saddr, pr->index);
	__u16 id = bpf_htons(ip_id), qid, qseq, sum, comp;
	__u64 icmp_sum;

	pl.mac = em_cookie(cfg.key[0], cfg.key[1], pr->daddr, pl.tx_ns, pl.index, pl.round);
	qid = bpf_htons(pl.mac & 0xffff);
	qseq = bpf_htons((pl.mac >> 16) & 0xffff);

	*(__u64 *)f = *(const volatile __u64 *)&cfg.head[0];
	*(__u64 *)(f + 8) = *(const volatile __u64 *)&cfg.head[8];
	*(__u64 *)(f + 16) = *(const volatile __u64 *)&cfg.head[16];
	*(__u16 *)(f + EM_OFF_IP_ID) = id;
	*(__u32 *)(f + EM_OFF_SADDR) = saddr;
	*(__u32 *)(f + EM_OFF_DADDR) = pr->daddr;
	/* A trace's head has TTL 0: the word TTL/protocol gains the TTL's byte. */
	if (trace)
		*(__u8 *)(f + EM_OFF_IP_TTL) = pr->round;
	*(__u16 *)(f + EM_OFF_IP_SUM) =
		csum_fold64((__u64)cfg.ip_sum + id + (__u64)saddr + pr->daddr +
			    (trace ? bpf_htons((pr->round & 0xff) << 8) : 0));

	icmp_sum = bpf_htons(EM_ICMP_ECHO << 8) + qid + qseq + (pl.tx_ns & 0xffffffff) +
		   (pl.tx_ns >> 32) + pl.index + pl.round + (pl.mac & 0xffffffff) + (pl.mac >> 32);
	if (trace) {
		comp = em_csum_compensation(icmp_sum, em_flow_csum(pl.index));
		*(__u16 *)(f + EM_OFF_FLOW_COMP) = comp;
		icmp_sum += comp;
	}
	sum = csum_fold64(icmp_sum);
	/* type 8, code 0, checksum, id, seq as they lie in memory (little-endian word). */
	*(__u64 *)(f + EM_OFF_ICMP) =
		EM_ICMP_ECHO | (__u64)sum << 16 | (__u64)qid << 32 | (__u64)qseq << 48;
	*(__u64 *)(f + EM_OFF_TX_NS) = pl.tx_ns;
	*(__u32 *)(f + EM_OFF_INDEX) = pl.index;
	*(__u32 *)(f + EM_OFF_ROUND) = pl.round;
	*(__u64 *)(f + EM_OFF_MAC) = pl.mac;
}

static __always_inline int generate(struct xdp_md *ctx, const bool trace)
{
	void *data, *end;
	struct em_gen_probe pr;
	__u16 ip_id;

	/* Entered from the matcher, the frame carries its marker: it must not leave with it. */
	if ((void *)(long)ctx->data_meta < (void *)(long)ctx->data &&
	    bpf_xdp_adjust_meta(ctx, EM_GEN_META_LEN))
		return XDP_ABORTED;
	if (trace && bpf_xdp_adjust_head(ctx, EM_GEN_TRACE_ROOM))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + (trace ? EM_GEN_TRACE_LEN : EM_GEN_HDR_LEN) > end)
		return XDP_ABORTED;
	if (cfg.list_mode ? !list_probe(&pr, &ip_id) : !walk_probe(&pr, &ip_id, trace))
		return XDP_DROP;
	build(data, &pr, ip_id, trace);
	return XDP_TX;
}

/*
 * Two programs of one body, the loader keeps the one it needs: a sweep's probes pay nothing for
 * what a trace's add.
 */
SEC("xdp")
int echomap_gen(struct xdp_md *ctx)
{
	return generate(ctx, false);
}

SEC("xdp")
int echomap_gen_trace(struct xdp_md *ctx)
{
	return generate(ctx, true);
}

char LICENSE[] SEC("license") = "GPL";
