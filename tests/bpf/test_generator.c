// SPDX-License-Identifier: GPL-2.0
/*
 * The probe generator (bpf/generator.bpf.c) run with BPF_PROG_TEST_RUN, without live frames, so
 * each frame it builds comes back to be checked: addresses in user/permute.c's order through the
 * target intervals, each index its rounds in a row, valid IPv4 and ICMP checksums, the payload
 * and a cookie the matcher accepts (the reply built from the frame is recorded). Loading BPF
 * needs root; without it every test is skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_test.h"
#include "echomap_abi.h"
#include "echomap_trace.h"
#include "kernel/generator.h"
#include "targets/permute.h"
#include "targets/targets.h"
#include "tx/cookie.h"
#include "tx/frame.h"

#include "echomap.skel.h"

#define US	 htonl(0xc0000201) /* 192.0.2.1 */
#define SEED	 77
#define PROBES	 3
#define CPU	 0
#define OUT_MAX	 2048
#define LIST_LEN 5

static char *const target_args[] = { "198.18.0.1-198.18.0.10", "198.18.1.0/30", "198.18.5.5",
				     "198.19.200.0/29" };

struct fixture {
	struct target_set ts;
	struct generator *gen;
	struct frame_tmpl tmpl;
	__u64 key[2];
	struct echomap_bpf *matcher;
};

/* A trace over the set: its flows per target, its TTLs. */
#define FLOWS	3
#define MIN_TTL 2
#define N_TTL	5

static int open_gen(void **state, bool list, __u16 payload_len, __u32 n_saddr, bool trace)
{
	struct target_opts topts = { .allow_reserved = true, .quiet = true };
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct gen_opts go = { .ifname = "none", .probes = PROBES };
	cpu_set_t set;
	int unresolved = 0;

	if (!fx)
		return -1;
	*state = fx;
	/* Runs happen on this CPU, and the walk lives in its slot. */
	CPU_ZERO(&set);
	CPU_SET(CPU, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	if (targets_build(&fx->ts, target_args, 4, &topts, &unresolved))
		return -1;
	if (em_cookie_key(fx->key))
		return -1;
	fx->tmpl = (struct frame_tmpl){ .src_mac = { 2, 0, 0, 0, 0, 1 },
					.dst_mac = { 2, 0, 0, 0, 0, 2 },
					.saddr = US,
					.n_saddr = n_saddr,
					.ttl = trace ? 0 : 64,
					.payload_len = payload_len,
					.fixed_csum = trace };
	if (no_bpf[0])
		return 0;
	go.tmpl = fx->tmpl;
	go.ts = list ? NULL : &fx->ts;
	if (trace) {
		go.probes = 1;
		go.flows = FLOWS;
		go.min_ttl = MIN_TTL;
		go.n_ttl = N_TTL;
	}
	memcpy(go.key, fx->key, sizeof(go.key));
	return bpf_setup_verdict(gen_open(&fx->gen, &go, false), "the generator");
}

static int setup_walk(void **state)
{
	return open_gen(state, false, EM_PAYLOAD_LEN, 0, false);
}

static int setup_walk_padded(void **state)
{
	return open_gen(state, false, 100, 0, false);
}

static int setup_list(void **state)
{
	return open_gen(state, true, EM_PAYLOAD_LEN, 0, false);
}

/* -S with 5 sources: each probe from US + its index mod 5. */
static int setup_walk_sources(void **state)
{
	return open_gen(state, false, EM_PAYLOAD_LEN, 5, false);
}

static int setup_list_sources(void **state)
{
	return open_gen(state, true, EM_PAYLOAD_LEN, 5, false);
}

/* Trace probes, padded beyond the compensation's 2 bytes, from 5 sources. */
static int setup_trace_walk(void **state)
{
	return open_gen(state, false, EM_PAYLOAD_LEN + 10, 5, true);
}

static int setup_trace_list(void **state)
{
	return open_gen(state, true, EM_PAYLOAD_LEN + 2, 0, true);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (!fx)
		return 0;
	gen_close(fx->gen);
	echomap_bpf__destroy(fx->matcher);
	targets_free(&fx->ts);
	free(fx);
	return 0;
}

static struct fixture *need_bpf(void **state)
{
	struct fixture *fx = *state;

	need_loaded(fx->gen);
	return fx;
}

/* One run of the generator: its verdict, and the frame it left. */
static __u32 run_once(const struct fixture *fx, __u8 *out, __u32 *len)
{
	__u32 tlen;
	const void *tmpl = gen_template(fx->gen, &tlen);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = tmpl, .data_size_in = tlen,
		    .data_out = out, .data_size_out = OUT_MAX, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(gen_prog_fd(fx->gen), &opts), 0);
	*len = opts.data_size_out;
	return opts.retval;
}

static __u16 be16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

/* The frame is the probe (daddr, index, round) the matcher expects, sent between t0 and t1. */
static void check_probe(const struct fixture *fx, const __u8 *f, __u32 len, __u32 daddr,
			__u32 index, __u32 round, __u64 t0, __u64 t1)
{
	const __u8 *ip = f + EM_ETH_LEN, *icmp = ip + EM_IP_LEN;
	struct em_payload pl;
	__u32 saddr;
	__u64 mac;

	assert_int_equal(len, EM_PROBE_HDR_LEN + fx->tmpl.payload_len);
	assert_memory_equal(f, fx->tmpl.dst_mac, 6);
	assert_memory_equal(f + 6, fx->tmpl.src_mac, 6);
	assert_int_equal(be16(f + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(be16(ip + 2), EM_IP_LEN + EM_ICMP_LEN + fx->tmpl.payload_len);
	assert_int_equal(be16(ip + 6), 0); /* no DF, not a fragment */
	assert_int_equal(ip[8], fx->tmpl.ttl);
	assert_int_equal(ip[9], 1);
	saddr = htonl(ntohl(fx->tmpl.saddr) +
		      (fx->tmpl.n_saddr > 1 ? index % fx->tmpl.n_saddr : 0));
	assert_memory_equal(ip + 12, &saddr, 4);
	assert_memory_equal(ip + 16, &daddr, 4);
	/* A valid checksum sums (with itself) to zero. */
	assert_int_equal(inet_csum(ip, EM_IP_LEN), 0);
	assert_int_equal(inet_csum(icmp, EM_ICMP_LEN + fx->tmpl.payload_len), 0);
	assert_int_equal(icmp[0], 8);
	assert_int_equal(icmp[1], 0);
	memcpy(&pl, icmp + EM_ICMP_LEN, sizeof(pl));
	assert_int_equal(pl.index, index);
	assert_int_equal(pl.round, round);
	assert_true(pl.tx_ns >= t0 && pl.tx_ns <= t1);
	mac = em_cookie(fx->key[0], fx->key[1], daddr, pl.tx_ns, index, round);
	assert_true(pl.mac == mac);
	assert_int_equal(be16(icmp + 4), mac & 0xffff);
	assert_int_equal(be16(icmp + 6), (mac >> 16) & 0xffff);
	for (__u32 i = EM_PROBE_HDR_LEN + EM_PAYLOAD_LEN; i < len; i++)
		assert_int_equal(f[i], 0);
}

/*
 * Every index of the walk, in perm_next()'s order, each PROBES times in a row, then nothing
 * (XDP_DROP) once the walk is done; the walk's counter says how many were built.
 */
static void walk_matches_permutation(struct fixture *fx, __u64 seed, __u32 shards, __u32 shard)
{
	struct permutation pm, ref;
	__u8 out[OUT_MAX];
	__u64 idx, n = 0;
	__u32 len;

	assert_int_equal(perm_init(&pm, fx->ts.count, seed, shards, shard), 0);
	ref = pm;
	gen_set_walk(fx->gen, CPU, &pm, PROBES);
	while (perm_next(&ref, &idx)) {
		__u32 daddr = htonl(targets_addr(&fx->ts, idx));

		for (__u32 r = 0; r < PROBES; r++) {
			__u64 t0 = mono_ns(), t1;

			assert_int_equal(run_once(fx, out, &len), XDP_TX);
			t1 = mono_ns();
			check_probe(fx, out, len, daddr, idx, r, t0, t1);
			n++;
		}
	}
	assert_int_equal(run_once(fx, out, &len), XDP_DROP);
	assert_int_equal(gen_walk(fx->gen, CPU)->sent, n);
}

static void test_walk_order(void **state)
{
	struct fixture *fx = need_bpf(state);

	/* 10 + 4 + 1 + 8 targets in four intervals: every interval and both ends of each. */
	assert_int_equal(fx->ts.count, 23);
	walk_matches_permutation(fx, SEED, 1, 0);
}

static void test_walk_shards(void **state)
{
	struct fixture *fx = need_bpf(state);

	for (__u32 k = 0; k < 3; k++)
		walk_matches_permutation(fx, SEED, 3, k);
}

static void test_walk_padded(void **state)
{
	walk_matches_permutation(need_bpf(state), SEED, 1, 0);
}

/*
 * A template page that came back as a reply (live frames recycle pages as they are): the next
 * probe built on it is a clean probe again.
 */
static void test_rewrites_whole_header(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct permutation pm, ref;
	__u8 out[OUT_MAX], in[OUT_MAX];
	__u64 idx, t0, t1;
	__u32 len, tlen;
	const void *tmpl;

	assert_int_equal(perm_init(&pm, fx->ts.count, SEED, 1, 0), 0);
	ref = pm;
	assert_true(perm_next(&ref, &idx));
	gen_set_walk(fx->gen, CPU, &pm, 1);
	tmpl = gen_template(fx->gen, &tlen);
	memcpy(in, tmpl, tlen);
	/* Everything the responder changes, and more. */
	memset(in, 0xa5, EM_PROBE_HDR_LEN);
	{
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = tlen,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		t0 = mono_ns();
		assert_int_equal(bpf_prog_test_run_opts(gen_prog_fd(fx->gen), &opts), 0);
		t1 = mono_ns();
		assert_int_equal(opts.retval, XDP_TX);
		len = opts.data_size_out;
	}
	check_probe(fx, out, len, htonl(targets_addr(&fx->ts, idx)), idx, 0, t0, t1);
}

/*
 * The probe of a walk over more indices than the set has: built for an index of the set, to
 * its address, or not at all (XDP_DROP); false when dropped.
 */
static bool probe_in_set(const struct fixture *fx, __u64 idx)
{
	__u8 out[OUT_MAX];
	__u32 len, verdict = run_once(fx, out, &len);
	struct em_payload pl;
	__u32 daddr;

	if (idx >= fx->ts.count) {
		assert_int_equal(verdict, XDP_DROP);
		return false;
	}
	assert_int_equal(verdict, XDP_TX);
	/* Copied out: the payload is not 8-byte aligned in the frame (UBSan stops there). */
	memcpy(&pl, out + EM_PROBE_HDR_LEN, sizeof(pl));
	memcpy(&daddr, out + EM_OFF_DADDR, sizeof(daddr));
	assert_int_equal(pl.index, idx);
	assert_int_equal(ntohl(daddr), targets_addr(&fx->ts, idx));
	return true;
}

/*
 * p above 2^32 takes the split multiplication: the walk still follows perm_next(), and of its
 * indices only the 23 of the set become probes.
 */
static void test_walk_large_prime(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct permutation pm, ref;
	__u64 idx;

	assert_int_equal(perm_init(&pm, 1ULL << 32, SEED, 1, 0), 0);
	assert_true(pm.p > 1ULL << 32);
	ref = pm;
	gen_set_walk(fx->gen, CPU, &pm, 1);
	for (int i = 0; i < 2000; i++) {
		assert_true(perm_next(&ref, &idx));
		probe_in_set(fx, idx);
		assert_true(gen_walk(fx->gen, CPU)->cur == ref.cur);
	}
}

/*
 * A walk whose n exceeds the set (the blocklist is a promise, kept at the last point): every
 * index of the set is sent its rounds, nothing else leaves, and the walk still ends.
 */
static void test_walk_beyond_set(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct permutation pm, ref;
	__u64 idx, sent = 0;

	assert_int_equal(perm_init(&pm, 1000, SEED, 1, 0), 0);
	ref = pm;
	gen_set_walk(fx->gen, CPU, &pm, PROBES);
	while (perm_next(&ref, &idx)) {
		if (idx >= fx->ts.count) {
			probe_in_set(fx, idx);
			continue;
		}
		for (__u32 r = 0; r < PROBES; r++)
			sent += probe_in_set(fx, idx);
	}
	assert_int_equal(probe_in_set(fx, fx->ts.count), false);
	assert_int_equal(sent, fx->ts.count * PROBES);
	assert_int_equal(gen_walk(fx->gen, CPU)->sent, sent);
	assert_true(gen_walk(fx->gen, CPU)->left == 0);
}

/* List mode: the staged probes in order, then drops. */
static void test_list(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct em_gen_probe list[LIST_LEN];
	__u8 out[OUT_MAX];
	__u32 len;

	for (__u32 i = 0; i < LIST_LEN; i++)
		list[i] = (struct em_gen_probe){ .daddr = htonl(0xc6120000 + 7 * i),
						 .index = 40 + i,
						 .round = 1000 + i };
	gen_set_list(fx->gen, list, LIST_LEN);
	for (__u32 i = 0; i < LIST_LEN; i++) {
		__u64 t0 = mono_ns(), t1;

		assert_int_equal(run_once(fx, out, &len), XDP_TX);
		t1 = mono_ns();
		check_probe(fx, out, len, list[i].daddr, list[i].index, list[i].round, t0, t1);
	}
	assert_int_equal(run_once(fx, out, &len), XDP_DROP);
}

/* The target's echo reply to a generated probe, as the XDP responder fixture makes it. */
static void make_reply(__u8 *f, __u32 len)
{
	__u8 *ip = f + EM_ETH_LEN, *icmp = ip + EM_IP_LEN, tmp[6];
	__u16 sum = 0;

	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = 61;
	memcpy(ip + 10, &sum, 2);
	sum = inet_csum(ip, EM_IP_LEN);
	memcpy(ip + 10, &sum, 2);
	icmp[0] = 0;
	sum = 0;
	memcpy(icmp + 2, &sum, 2);
	sum = inet_csum(icmp, len - EM_ETH_LEN - EM_IP_LEN);
	memcpy(icmp + 2, &sum, 2);
}

/* The matcher, with the generator's key, records the reply to every generated probe. */
static void test_matcher_accepts(void **state)
{
	struct fixture *fx = need_bpf(state);
	size_t page = sysconf(_SC_PAGESIZE), res_len;
	const struct em_result *res;
	struct permutation pm;
	__u8 out[OUT_MAX];
	__u32 len;

	fx->matcher = echomap_bpf__open();
	assert_non_null(fx->matcher);
	fx->matcher->rodata->cfg.key[0] = fx->key[0];
	fx->matcher->rodata->cfg.key[1] = fx->key[1];
	fx->matcher->rodata->cfg.saddr = US;
	fx->matcher->rodata->cfg.n_targets = fx->ts.count;
	bpf_map__set_max_entries(fx->matcher->maps.results, fx->ts.count);
	assert_int_equal(echomap_bpf__load(fx->matcher), 0);
	res_len = (fx->ts.count * sizeof(*res) + page - 1) & ~(page - 1);
	res = mmap(NULL, res_len, PROT_READ, MAP_SHARED,
		   bpf_map__fd(fx->matcher->maps.results), 0);
	assert_true(res != MAP_FAILED);

	assert_int_equal(perm_init(&pm, fx->ts.count, SEED, 1, 0), 0);
	gen_set_walk(fx->gen, CPU, &pm, 1);
	while (run_once(fx, out, &len) == XDP_TX) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = out, .data_size_in = len,
			    .repeat = 1);

		make_reply(out, len);
		assert_int_equal(
			bpf_prog_test_run_opts(bpf_program__fd(fx->matcher->progs.echomap_xdp),
					       &opts),
			0);
		assert_int_equal(opts.retval, XDP_DROP);
	}
	for (__u64 i = 0; i < fx->ts.count; i++) {
		assert_int_equal(em_result_status(&res[i]), EM_ST_ECHOREPLY);
		assert_int_equal(res[i].replies, 1);
		assert_int_equal(res[i].ttl, 61);
		assert_int_equal(res[i].from, htonl(targets_addr(&fx->ts, i)));
	}
	munmap((void *)res, res_len);
}

/*
 * A trace frame is the one user space builds (tx/frame.c) for the same probe: the template
 * patched with the frame's own IP id, stamp and cookie, byte for byte; and the probe is
 * (daddr, unit, ttl), sent between t0 and t1, with its unit's flow checksum.
 */
static void check_trace_probe(const struct fixture *fx, const __u8 *f, __u32 len, __u32 daddr,
			      __u32 unit, __u32 ttl, __u64 t0, __u64 t1)
{
	__u8 want[OUT_MAX];
	struct em_payload pl;
	size_t wlen = frame_build_template(want, sizeof(want), &fx->tmpl);
	__u16 ip_id;

	assert_int_equal(len, wlen);
	memcpy(&pl, f + EM_OFF_PAYLOAD, sizeof(pl));
	memcpy(&ip_id, f + EM_OFF_IP_ID, 2);
	assert_int_equal(pl.index, unit);
	assert_int_equal(pl.round, ttl);
	assert_true(pl.tx_ns >= t0 && pl.tx_ns <= t1);
	assert_true(pl.mac == em_cookie(fx->key[0], fx->key[1], daddr, pl.tx_ns, unit, ttl));
	frame_patch(want, &fx->tmpl, daddr, ntohs(ip_id), &pl);
	assert_memory_equal(f, want, len);
	assert_int_equal(f[EM_OFF_IP_TTL], ttl);
	assert_memory_equal(f + EM_OFF_ICMP + 2, &(__u16){ em_flow_csum(unit) }, 2);
	assert_int_equal(inet_csum(f + EM_ETH_LEN, EM_IP_LEN), 0);
	assert_int_equal(inet_csum(f + EM_OFF_ICMP, len - EM_OFF_ICMP), 0);
}

/*
 * A trace's walk: every (unit, TTL) of units x TTLs in perm_next()'s order, one probe each, to
 * the unit's target, then nothing; in every shard.
 */
static void test_trace_walk(void **state)
{
	struct fixture *fx = need_bpf(state);
	__u64 n_pairs = fx->ts.count * FLOWS * N_TTL;

	for (__u32 shards = 1; shards <= 2; shards++) {
		for (__u32 k = 0; k < shards; k++) {
			struct permutation pm, ref;
			__u8 out[OUT_MAX];
			__u64 e, n = 0;
			__u32 len;

			assert_int_equal(perm_init(&pm, n_pairs, SEED, shards, k), 0);
			ref = pm;
			gen_set_walk(fx->gen, CPU, &pm, 1);
			while (perm_next(&ref, &e)) {
				__u32 unit = e / N_TTL, ttl = MIN_TTL + e % N_TTL;
				__u32 daddr = htonl(targets_addr(&fx->ts, unit / FLOWS));
				__u64 t0 = mono_ns(), t1;

				assert_int_equal(run_once(fx, out, &len), XDP_TX);
				t1 = mono_ns();
				check_trace_probe(fx, out, len, daddr, unit, ttl, t0, t1);
				n++;
			}
			assert_int_equal(run_once(fx, out, &len), XDP_DROP);
			assert_int_equal(gen_walk(fx->gen, CPU)->sent, n);
		}
	}
}

/*
 * A trace runs over EM_GEN_TRACE_ROOM bytes before its frame, which it cuts off: whatever a
 * reply grown in place left there, the probe is the same.
 */
static void test_trace_room(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct permutation pm, ref;
	__u8 out[OUT_MAX], in[OUT_MAX];
	__u64 e, t0, t1;
	__u32 tlen, unit;
	const void *tmpl = gen_template(fx->gen, &tlen);

	assert_int_equal(tlen, EM_GEN_TRACE_ROOM + EM_PROBE_HDR_LEN + fx->tmpl.payload_len);
	memcpy(in, tmpl, tlen);
	memset(in, 0xa5, EM_GEN_TRACE_ROOM + EM_PROBE_HDR_LEN);
	assert_int_equal(perm_init(&pm, fx->ts.count * FLOWS * N_TTL, SEED, 1, 0), 0);
	ref = pm;
	assert_true(perm_next(&ref, &e));
	gen_set_walk(fx->gen, CPU, &pm, 1);
	{
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = tlen,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		t0 = mono_ns();
		assert_int_equal(bpf_prog_test_run_opts(gen_prog_fd(fx->gen), &opts), 0);
		t1 = mono_ns();
		assert_int_equal(opts.retval, XDP_TX);
		unit = e / N_TTL;
		check_trace_probe(fx, out, opts.data_size_out,
				  htonl(targets_addr(&fx->ts, unit / FLOWS)), unit,
				  MIN_TTL + e % N_TTL, t0, t1);
	}
}

/* List mode builds trace probes too (what trace sends again): index the unit, round the TTL. */
static void test_trace_list(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct em_gen_probe list[LIST_LEN];
	__u8 out[OUT_MAX];
	__u32 len;

	for (__u32 i = 0; i < LIST_LEN; i++)
		list[i] = (struct em_gen_probe){ .daddr = htonl(0xc6120000 + 7 * i),
						 .index = 3 * i,
						 .round = 1 + 7 * i };
	gen_set_list(fx->gen, list, LIST_LEN);
	for (__u32 i = 0; i < LIST_LEN; i++) {
		__u64 t0 = mono_ns(), t1;

		assert_int_equal(run_once(fx, out, &len), XDP_TX);
		t1 = mono_ns();
		check_trace_probe(fx, out, len, list[i].daddr, list[i].index, list[i].round, t0,
				  t1);
	}
	assert_int_equal(run_once(fx, out, &len), XDP_DROP);
}

static __u32 xlated_insns(int prog_fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
	return info.xlated_prog_len / 8;
}

/*
 * A sweep loads the program without the trace's code (echomap_gen, not echomap_gen_trace): it
 * is shorter by at least the compensation's and the TTL's instructions.
 */
static void test_trace_pruned(void **state)
{
	struct fixture *fx = need_bpf(state);
	void *sweep_state = NULL;
	__u32 trace_insns = xlated_insns(gen_prog_fd(fx->gen)), sweep_insns;

	assert_int_equal(setup_walk(&sweep_state), 0);
	sweep_insns = xlated_insns(gen_prog_fd(((struct fixture *)sweep_state)->gen));
	teardown(&sweep_state);
	printf("# generator: %u instructions for a sweep, %u for a trace\n", sweep_insns,
	       trace_insns);
	assert_true(sweep_insns + 10 < trace_insns);
}

static void test_program_size(void **state)
{
	assert_true(prog_size_ok(gen_prog_fd(need_bpf(state)->gen), "echomap_gen", 2000, 60000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_program_size, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_walk_order, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_walk_shards, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_walk_padded, setup_walk_padded, teardown),
		cmocka_unit_test_setup_teardown(test_rewrites_whole_header, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_walk_large_prime, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_walk_beyond_set, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup_list, teardown),
		cmocka_unit_test_setup_teardown(test_walk_order, setup_walk_sources, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup_list_sources, teardown),
		cmocka_unit_test_setup_teardown(test_matcher_accepts, setup_walk, teardown),
		cmocka_unit_test_setup_teardown(test_trace_walk, setup_trace_walk, teardown),
		cmocka_unit_test_setup_teardown(test_trace_list, setup_trace_list, teardown),
		cmocka_unit_test_setup_teardown(test_trace_room, setup_trace_walk, teardown),
		cmocka_unit_test_setup_teardown(test_trace_pruned, setup_trace_walk, teardown),
		cmocka_unit_test_setup_teardown(test_program_size, setup_trace_walk, teardown),
	};

	libbpf_set_print(print_libbpf);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
