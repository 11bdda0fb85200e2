// SPDX-License-Identifier: GPL-2.0
/*
 * The reply matcher in watch mode (EM_CFG_WATCH), run with BPF_PROG_TEST_RUN on crafted frames:
 * replies in time land in their series' histogram bucket and counters, replies of another round
 * or slower than the timeout only count as late, and prefixes (EM_CFG_AGGREGATE) gather their
 * targets. Loading BPF needs root; without it every test is skipped.
 */
#include <errno.h>
#include <pthread.h>
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_test.h"
#include "echomap_abi.h"
#include "echomap_hist.h"
#include "frames.h"
#include "kernel/matcher.h"
#include "lib/bpf_map.h"
#include "tx/cookie.h"

#include "echomap.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define N_TARGETS  16
#define REPLY_TTL  57
#define ROUTER_TTL 249
#define TIMEOUT_NS 1000000000ULL

/* 192.0.2.1 (us), 198.18.0.7 (target), 192.0.2.254 (router) */
#define US     htonl(0xc0000201)
#define TARGET htonl(0xc6120007)
#define ROUTER htonl(0xc00002fe)

/* With --aggregate /24: series 0 is 198.17.255.0/24, series 1 198.18.0.0/24 (TARGET's). */
#define AGG_MASK      0xffffff00U
#define TARGET_SERIES 1
static const __u32 agg_prefixes[] = { 0xc611ff00, 0xc6120000 };

struct fixture {
	struct echomap_bpf *skel;
	int prog_fd;
	volatile struct em_series *series;
	size_t series_len;
	const struct em_result *res;
	size_t res_len;
	__u32 n_series;
	__u64 key[2];
	int ncpu;
};

static void fixture_close(struct fixture *fx)
{
	if (fx->series)
		munmap((void *)fx->series, fx->series_len);
	if (fx->res)
		munmap((void *)fx->res, fx->res_len);
	fx->series = NULL;
	fx->res = NULL;
	echomap_bpf__destroy(fx->skel);
	fx->skel = NULL;
}

/* The matcher in watch mode as the loader sets it up: per target, or per /24 with aggregate. */
static int fixture_open(struct fixture *fx, bool aggregate)
{
	int err;

	fx->ncpu = libbpf_num_possible_cpus();
	if (fx->ncpu <= 0)
		return fx->ncpu ?: -EINVAL;
	err = em_cookie_key(fx->key);
	if (err)
		return err;
	fx->skel = echomap_bpf__open();
	if (!fx->skel)
		return -errno;
	fx->n_series = aggregate ? ARRAY_SIZE(agg_prefixes) : N_TARGETS;
	fx->skel->rodata->cfg.key[0] = fx->key[0];
	fx->skel->rodata->cfg.key[1] = fx->key[1];
	fx->skel->rodata->cfg.saddr = US;
	fx->skel->rodata->cfg.n_targets = N_TARGETS;
	fx->skel->rodata->cfg.flags = EM_CFG_WATCH | (aggregate ? EM_CFG_AGGREGATE : 0);
	fx->skel->rodata->cfg.agg_mask = aggregate ? htonl(AGG_MASK) : 0;
	fx->skel->rodata->cfg.timeout_ns = TIMEOUT_NS;
	bpf_map__set_max_entries(fx->skel->maps.results, N_TARGETS);
	bpf_map__set_max_entries(fx->skel->maps.series, fx->n_series);
	if (aggregate)
		bpf_map__set_max_entries(fx->skel->maps.groups, fx->n_series);
	err = echomap_bpf__load(fx->skel);
	if (err)
		goto fail;
	for (__u32 i = 0; aggregate && i < fx->n_series; i++) {
		__u32 k = htonl(agg_prefixes[i]);

		if (bpf_map_update_elem(bpf_map__fd(fx->skel->maps.groups), &k, &i, BPF_NOEXIST)) {
			err = -errno;
			goto fail;
		}
	}
	fx->prog_fd = bpf_program__fd(fx->skel->progs.echomap_xdp);
	fx->series = bpf_map_mmap(bpf_map__fd(fx->skel->maps.series),
				  fx->n_series * sizeof(struct em_series), PROT_READ | PROT_WRITE,
				  &fx->series_len, "the series array");
	fx->res = bpf_map_mmap(bpf_map__fd(fx->skel->maps.results),
			       N_TARGETS * sizeof(struct em_result), PROT_READ | PROT_WRITE,
			       &fx->res_len, "the results array");
	if (!fx->series || !fx->res) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	fixture_close(fx);
	return err;
}

static int open_state(void **state, bool aggregate)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	if (no_bpf[0])
		return 0;
	return bpf_setup_verdict(fixture_open(fx, aggregate), "the matcher in watch mode");
}

static int setup(void **state)
{
	return open_state(state, false);
}

static int setup_aggregate(void **state)
{
	return open_state(state, true);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx)
		fixture_close(fx);
	free(fx);
	return 0;
}

static struct fixture *need_bpf(void **state)
{
	struct fixture *fx = *state;

	need_loaded(fx->skel);
	return fx;
}

/* Payload rounds [first, first + count) are in progress, as user space sets them. */
static void set_round(struct fixture *fx, __u32 first, __u32 count)
{
	fx->skel->bss->watch_round.first = first;
	fx->skel->bss->watch_round.count = count;
}

static __u64 counter(const struct fixture *fx, __u32 k)
{
	__u64 vals[fx->ncpu], sum = 0;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.stats), &k, vals), 0);
	for (int c = 0; c < fx->ncpu; c++)
		sum += vals[c];
	return sum;
}

/* An answer to a probe to TARGET with index and payload round, sent delta_ns before the run. */
struct shot {
	__u32 verdict;
	__u64 rtt_lo, rtt_hi; /* the RTT the program saw is in here */
};

static struct shot fire(const struct fixture *fx, __u32 index, __u32 round, __u64 delta_ns,
			__u8 type)
{
	struct probe pr = { .key = { fx->key[0], fx->key[1] }, .us = US, .target = TARGET,
			    .index = index, .round = round };
	__u8 out[FRAME_MAX + 256];
	struct shape s = { 0 };
	struct frame f;
	struct shot r;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_out = out, .data_size_out = sizeof(out),
		    .repeat = 1);
	__u64 t0;

	t0 = mono_ns();
	pr.tx_ns = t0 - delta_ns;
	if (type == EM_ICMP_ECHOREPLY) {
		s.ttl = REPLY_TTL;
		frame_echo(&f, &pr, type, &s);
	} else {
		s.ttl = ROUTER_TTL;
		frame_error(&f, &pr, ROUTER, type, 1, &s);
	}
	opts.data_in = f.buf;
	opts.data_size_in = f.len;
	assert_int_equal(bpf_prog_test_run_opts(fx->prog_fd, &opts), 0);
	r.verdict = opts.retval;
	r.rtt_lo = delta_ns;
	r.rtt_hi = mono_ns() - pr.tx_ns;
	return r;
}

static __u32 hist_total(const volatile struct em_series *s)
{
	__u32 n = 0;

	for (__u32 b = 0; b < EM_HIST_BUCKETS; b++)
		n += s->buckets[b];
	return n;
}

/* The only filled bucket is one an RTT in [lo, hi] falls in, and it holds n. */
static void assert_bucket(const volatile struct em_series *s, __u64 lo, __u64 hi, __u32 n)
{
	__u32 b_lo = em_hist_bucket(lo), b_hi = em_hist_bucket(hi);

	for (__u32 b = 0; b < EM_HIST_BUCKETS; b++) {
		if (!s->buckets[b])
			continue;
		if (b < b_lo || b > b_hi || s->buckets[b] != n)
			fail_msg("bucket %u holds %u; want %u in one of buckets %u..%u "
				 "(RTT %llu..%llu ns)",
				 b, s->buckets[b], n, b_lo, b_hi, (unsigned long long)lo,
				 (unsigned long long)hi);
		return;
	}
	fail_msg("no bucket filled, want %u in buckets %u..%u", n, b_lo, b_hi);
}

static void test_in_time(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[3];
	struct shot r;

	set_round(fx, 40, 1);
	r = fire(fx, 3, 40, 5000000, EM_ICMP_ECHOREPLY);
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(s->replies, 1);
	assert_int_equal(s->late + s->dups + s->errors, 0);
	assert_int_equal(s->ttl, REPLY_TTL);
	assert_in_range(s->sum_ns, r.rtt_lo, r.rtt_hi);
	assert_bucket(s, r.rtt_lo, r.rtt_hi, 1);
	/* The per-target slot is kept as in a sweep: snapshots read it. */
	assert_int_equal(fx->res[3].replies, 1);
	assert_int_equal(em_result_status(&fx->res[3]), EM_ST_ECHOREPLY);
	assert_int_equal(counter(fx, EM_CNT_MATCHED), 1);
	for (__u32 i = 0; i < fx->n_series; i++)
		if (i != 3)
			assert_int_equal(fx->series[i].replies + hist_total(&fx->series[i]), 0);
}

/* Replies to a closed round (or one not begun) are dropped as ours, counted late, nothing else. */
static void test_late_round(void **state)
{
	static const __u32 rounds[] = { 39, 0, 42, 0xffffffff };
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[5];

	set_round(fx, 40, 2);
	for (size_t i = 0; i < ARRAY_SIZE(rounds); i++)
		assert_int_equal(fire(fx, 5, rounds[i], 5000000, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(s->late, ARRAY_SIZE(rounds));
	assert_int_equal(s->replies + s->dups + s->errors + hist_total(s), 0);
	assert_int_equal(s->sum_ns, 0);
	assert_int_equal(fx->res[5].replies + fx->res[5].rounds_seen, 0);
	assert_int_equal(counter(fx, EM_CNT_MATCHED), ARRAY_SIZE(rounds));
	assert_int_equal(counter(fx, EM_CNT_DUPLICATE), 0);
}

static void test_late_timeout(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[2];

	set_round(fx, 7, 1);
	assert_int_equal(fire(fx, 2, 7, TIMEOUT_NS + 1000000, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(s->late, 1);
	assert_int_equal(s->replies + hist_total(s), 0);
	/* Just in time still counts. */
	assert_int_equal(fire(fx, 2, 7, TIMEOUT_NS - 1000000, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(s->replies, 1);
	assert_int_equal(s->late, 1);
}

/* watch --config: a series' own timeout (a group's) replaces the program's, shorter or longer. */
static void test_series_timeout(void **state)
{
	struct fixture *fx = need_bpf(state);
	volatile struct em_series *s = &fx->series[2], *other = &fx->series[3];

	s->timeout_us = 100000; /* 100 ms */
	other->timeout_us = 3000000; /* 3 s */
	set_round(fx, 7, 1);
	assert_int_equal(fire(fx, 2, 7, 150000000, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(s->late, 1);
	assert_int_equal(s->replies, 0);
	assert_int_equal(fire(fx, 2, 7, 50000000, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(s->replies, 1);
	/* 2 s: late by the program's 1 s, in time by the series' 3 s. */
	assert_int_equal(fire(fx, 3, 7, 2 * TIMEOUT_NS, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(other->replies, 1);
	assert_int_equal(other->late, 0);
}

/*
 * RFC 3550's jitter as its appendix A.8 keeps it (16 J, J += (|D| - J) / 16) and the sum of
 * squares, over replies of 10, 14 and 8 ms (each a few us longer: the run's own time).
 */
static void test_jitter_and_squares(void **state)
{
	static const __u64 ms[] = { 10, 14, 8 };
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[2];
	__u64 lo[3], hi[3], sq_lo = 0, sq_hi = 0;
	double d_lo[2], d_hi[2];

	set_round(fx, 0, 3);
	for (int i = 0; i < 3; i++) {
		struct shot r = fire(fx, 2, i, ms[i] * 1000000, EM_ICMP_ECHOREPLY);

		assert_int_equal(r.verdict, XDP_DROP);
		lo[i] = r.rtt_lo;
		hi[i] = r.rtt_hi;
		sq_lo += (lo[i] / 1000) * (lo[i] / 1000);
		sq_hi += (hi[i] / 1000) * (hi[i] / 1000);
	}
	assert_in_range(s->sum_sq_us2, sq_lo, sq_hi);
	assert_in_range(s->last_rtt_ns, lo[2], hi[2]);
	/*
	 * |D| of the two pairs: 4 ms, then 6 ms, each within what the runs allow; 16 J is then
	 * 4 + 6 - 0.25 = 9.75 ms, give or take what the runs took.
	 */
	for (int i = 1; i < 3; i++) {
		d_lo[i - 1] = lo[i] > lo[i - 1] ? (double)lo[i] - hi[i - 1] : (double)lo[i - 1] - hi[i];
		d_hi[i - 1] = lo[i] > lo[i - 1] ? (double)hi[i] - lo[i - 1] : (double)hi[i - 1] - lo[i];
	}
	assert_in_range(s->jitter16_ns, (__u64)(d_lo[0] * 15 / 16 + d_lo[1] - 1),
			(__u64)(d_hi[0] * 15 / 16 + d_hi[1] + 1));
}

/* --probes 3: three payload rounds per round, each answered once, then a duplicate. */
static void test_probes_and_duplicates(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[9];
	__u64 lo = 0, hi = 0;

	set_round(fx, 30, 3);
	for (__u32 p = 0; p < 3; p++) {
		struct shot r = fire(fx, 9, 30 + p, 2000000, EM_ICMP_ECHOREPLY);

		assert_int_equal(r.verdict, XDP_DROP);
		lo += r.rtt_lo;
		hi += r.rtt_hi;
	}
	assert_int_equal(fire(fx, 9, 31, 2000000, EM_ICMP_ECHOREPLY).verdict, XDP_DROP);
	assert_int_equal(s->replies, 3);
	assert_int_equal(s->dups, 1);
	assert_int_equal(hist_total(s), 3);
	assert_in_range(s->sum_ns, lo, hi);
	assert_int_equal(fx->res[9].replies, 3);
	assert_int_equal(fx->res[9].dups, 1);
	assert_int_equal(counter(fx, EM_CNT_DUPLICATE), 1);
}

/* An ICMP error in time is counted apart: it has no RTT to the target. */
static void test_icmp_error(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[4];

	set_round(fx, 0, 1);
	assert_int_equal(fire(fx, 4, 0, 1000000, EM_ICMP_DEST_UNREACH).verdict, XDP_DROP);
	assert_int_equal(s->errors, 1);
	assert_int_equal(s->replies + hist_total(s), 0);
	assert_int_equal(s->ttl, 0);
	assert_int_equal(em_result_status(&fx->res[4]), EM_ST_UNREACH);
	assert_int_equal(counter(fx, EM_CNT_ICMP_ERROR), 1);
}

/* RTTs across the histogram's range each land in their own bucket. */
static void test_buckets(void **state)
{
	static const __u64 deltas[] = {
		20000, 150000, 999000, 1000000, 1500000, 7300000, 20000000, 64000000, 333000000,
	};
	struct fixture *fx = need_bpf(state);
	volatile struct em_series *s = &fx->series[0];

	set_round(fx, 0, 1);
	for (size_t i = 0; i < ARRAY_SIZE(deltas); i++) {
		struct shot r = fire(fx, 0, 0, deltas[i], EM_ICMP_ECHOREPLY);

		assert_int_equal(r.verdict, XDP_DROP);
		assert_bucket(s, r.rtt_lo, r.rtt_hi, 1);
		/* Cleared the way user space takes a round: the next reply is new again. */
		memset((void *)s, 0, sizeof(*s));
		memset((void *)&fx->res[0], 0, sizeof(fx->res[0]));
	}
}

/* With --aggregate /24 a target counts in its prefix's series. */
static void test_aggregate(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[TARGET_SERIES];
	struct shot a, b;

	set_round(fx, 0, 1);
	a = fire(fx, 3, 0, 3000000, EM_ICMP_ECHOREPLY);
	b = fire(fx, 11, 0, 4000000, EM_ICMP_ECHOREPLY);
	assert_int_equal(a.verdict, XDP_DROP);
	assert_int_equal(b.verdict, XDP_DROP);
	assert_int_equal(s->replies, 2);
	assert_int_equal(hist_total(s), 2);
	assert_in_range(s->sum_ns, a.rtt_lo + b.rtt_lo, a.rtt_hi + b.rtt_hi);
	assert_int_equal(fx->series[0].replies + hist_total(&fx->series[0]), 0);
	assert_int_equal(fx->res[3].replies, 1);
	assert_int_equal(fx->res[11].replies, 1);
}

/* A prefix user space did not map: nothing to count it in, so it is passed as malformed. */
static void test_aggregate_unmapped(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct probe pr = { .key = { fx->key[0], fx->key[1] }, .us = US,
			    .target = htonl(0xc6130007), .index = 1, .tx_ns = mono_ns() - 1000000 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 1);
	struct frame f;

	set_round(fx, 0, 1);
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	opts.data_in = f.buf;
	opts.data_size_in = f.len;
	assert_int_equal(bpf_prog_test_run_opts(fx->prog_fd, &opts), 0);
	assert_int_equal(opts.retval, XDP_PASS);
	assert_int_equal(counter(fx, EM_CNT_MALFORMED), 1);
	for (__u32 i = 0; i < fx->n_series; i++)
		assert_int_equal(fx->series[i].replies + fx->series[i].late, 0);
	assert_int_equal(fx->res[1].replies, 0);
}

#define CLOSES	   1500
#define COUNT	   64  /* payload rounds per round, answered in turn: fresh replies */
#define REPEAT	   100 /* runs of one reply per BPF_PROG_TEST_RUN: duplicates after the first */

/*
 * A thread answering the probes of the round in progress, again and again: those of target 0
 * in even rounds, of target 1 in odd ones, so that a reply counted in the wrong round shows
 * in the series that had none.
 */
struct replier {
	const struct fixture *fx;
	__u32 round;	/* the round in progress, as the closer last said */
	bool done;
	int cpu;	/* -1: wherever the scheduler puts it */
	__u64 runs;	/* replies run through the program */
	int err;
};

static void *reply_loop(void *arg)
{
	struct replier *r = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (r->cpu >= 0 && pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		r->err = errno;
		return NULL;
	}

	for (__u32 k = 0; !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE); k++) {
		__u32 round = __atomic_load_n(&r->round, __ATOMIC_ACQUIRE);
		struct probe pr = { .key = { r->fx->key[0], r->fx->key[1] }, .us = US,
				    .target = TARGET, .index = round & 1,
				    .round = round * COUNT + k % COUNT };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = REPEAT);
		struct frame f;

		pr.tx_ns = mono_ns() - 1000000;
		frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
		opts.data_in = f.buf;
		opts.data_size_in = f.len;
		if (bpf_prog_test_run_opts(r->fx->prog_fd, &opts) || opts.retval != XDP_DROP) {
			r->err = errno ?: EPROTO;
			return NULL;
		}
		__atomic_add_fetch(&r->runs, REPEAT, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Two CPUs this thread may run on, or -1 each when there is only one. */
static void two_cpus(int cpu[2])
{
	cpu_set_t set;
	int n = 0;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[n++] = c;
	if (n < 2)
		cpu[0] = cpu[1] = -1;
}

/*
 * Takes a series' counts as watch does, one exchange per field, and checks them as counts of
 * round `round` (a negative round: what is left at the end, unchecked). Returns the replies,
 * duplicates and late replies taken, each one run of the program.
 */
static __u64 take_checked(const struct fixture *fx, __u32 i, long round)
{
	volatile struct em_series *k = &fx->series[i];
	__u32 replies = __atomic_exchange_n(&k->replies, 0, __ATOMIC_RELAXED);
	__u32 late = __atomic_exchange_n(&k->late, 0, __ATOMIC_RELAXED);
	__u32 dups = __atomic_exchange_n(&k->dups, 0, __ATOMIC_RELAXED);
	__u32 n = 0;

	__atomic_exchange_n(&k->sum_ns, 0, __ATOMIC_RELAXED);
	for (__u32 b = 0; b < EM_HIST_BUCKETS; b++)
		n += __atomic_exchange_n(&k->buckets[b], 0, __ATOMIC_RELAXED);
	if (round >= 0 && n != replies)
		fail_msg("round %ld, series %u: %u replies, %u in the histogram", round, i, replies,
			 n);
	/* Late replies of the round before are expected; only its straggler would be more. */
	if (round >= 0 && (round & 1) != i && replies + dups)
		fail_msg("round %ld, series %u: %u replies, %u duplicates of another round", round,
			 i, replies, dups);
	return (__u64)replies + late + dups;
}

/*
 * Rounds closed while a thread answers the round in progress: a reply the program judged in
 * time before the close may still be inside it. Each reply must be counted once, whole (its
 * bucket with its reply) and in its own round; the close waits for such stragglers.
 */
static void test_close_race(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct replier r = { .fx = fx };
	struct matcher m = { .skel = fx->skel };
	__u64 counted = 0, seen = 0;
	cpu_set_t set, was;
	pthread_t t;
	int cpu[2];

	/* The closer on one CPU, the replier on another. */
	assert_int_equal(sched_getaffinity(0, sizeof(was), &was), 0);
	two_cpus(cpu);
	r.cpu = cpu[1];
	if (cpu[0] >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu[0], &set);
		assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	}
	/*
	 * Attached (to the loopback of a namespace of our own), the program is in the kernel's
	 * XDP dispatcher already, and a run costs no RCU grace period to put it there.
	 */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_int_equal(bpf_xdp_attach(1, fx->prog_fd, XDP_FLAGS_SKB_MODE, NULL), 0);
	matcher_set_round(&m, 0, COUNT);
	assert_int_equal(pthread_create(&t, NULL, reply_loop, &r), 0);
	for (long c = 0; c < CLOSES; c++) {
		/* Some replies of the round first: the race is with the close, not its start. */
		while (__atomic_load_n(&r.runs, __ATOMIC_ACQUIRE) < seen + REPEAT &&
		       !__atomic_load_n(&r.err, __ATOMIC_RELAXED))
			sched_yield();
		seen = __atomic_load_n(&r.runs, __ATOMIC_ACQUIRE);
		matcher_set_round(&m, (c + 1) * COUNT, COUNT);
		for (__u32 i = 0; i < fx->n_series; i++)
			counted += take_checked(fx, i, c);
		memset((void *)fx->res, 0, N_TARGETS * sizeof(*fx->res));
		/* As in watch, the next round's probes leave only once this one is closed. */
		__atomic_store_n(&r.round, c + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&r.done, true, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(was), &was), 0);
	assert_int_equal(bpf_xdp_detach(1, XDP_FLAGS_SKB_MODE, NULL), 0);
	assert_int_equal(r.err, 0);
	for (__u32 i = 0; i < fx->n_series; i++)
		counted += take_checked(fx, i, -1);
	assert_int_equal(counted, r.runs);
	print_message("# %llu replies over %d closes\n", (unsigned long long)r.runs, CLOSES);
}

/*
 * The verifier must not explode on the histogram path. Most of what it verifies is the IPv6
 * path's extension headers, as in a sweep's program (test_matcher's bound).
 */
static void test_program_size(void **state)
{
	assert_true(prog_size_ok(need_bpf(state)->prog_fd, "echomap_xdp (watch)", 2500, 250000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_program_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jitter_and_squares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probes_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buckets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aggregate, setup_aggregate, teardown),
		cmocka_unit_test_setup_teardown(test_aggregate_unmapped, setup_aggregate, teardown),
	};

	libbpf_set_print(print_libbpf);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
