// SPDX-License-Identifier: GPL-2.0
/*
 * The reply matcher (bpf/echomap.bpf.c) against crafted frames, run with BPF_PROG_TEST_RUN: what
 * it drops and records, what it hands to the stack untouched, and how it counts. Table-driven:
 * each row is a frame, the verdict it must get and its effect on the maps, checked from a clean
 * state. Loading BPF needs root (CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON); without them every
 * test but the cookie vectors is skipped.
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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_test.h"
#include "echomap_abi.h"
#include "frames.h"
#include "lib/bpf_map.h"
#include "tx/cookie.h"

#include "echomap.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define N_TARGETS 16
#define REPLY_TTL 57
#define ROUTER_TTL 249
#define DELTA_NS 5000000ULL /* the RTT the frames claim: sent 5 ms before the test runs them */

/* 192.0.2.1 (us), 198.18.0.7 (target), 192.0.2.254 (router), 192.0.2.99 (someone else) */
#define US     htonl(0xc0000201)
#define TARGET htonl(0xc6120007)
#define ROUTER htonl(0xc00002fe)
#define OTHER  htonl(0xc0000263)

static const char *const counter_names[EM_CNT_MAX] = {
	[EM_CNT_SEEN] = "seen",
	[EM_CNT_MATCHED] = "matched",
	[EM_CNT_INVALID] = "invalid",
	[EM_CNT_DUPLICATE] = "duplicate",
	[EM_CNT_ICMP_ERROR] = "icmp_error",
	[EM_CNT_PASSED] = "passed",
	[EM_CNT_MALFORMED] = "malformed",
	[EM_CNT_LOST] = "lost",
};

struct fixture {
	struct echomap_bpf *skel;
	int prog_fd;
	const struct em_result *res;
	size_t res_len;
	__u32 n_targets;
	__u32 n_slots; /* results entries: one more than n_targets, see fixture_open() */
	__u64 key[2];
	int ncpu;
};

static void fixture_close(struct fixture *fx)
{
	if (fx->res)
		munmap((void *)fx->res, fx->res_len);
	fx->res = NULL;
	echomap_bpf__destroy(fx->skel);
	fx->skel = NULL;
}

/* Load the matcher configured as the loader would; 0 or -errno. */
static int fixture_open(struct fixture *fx, __u32 n_targets, __u32 saddr, __u32 flags,
			const __u64 key[2])
{
	int err;

	fx->n_targets = n_targets;
	/*
	 * The loader sizes results to n_targets exactly. A spare slot here means index n_targets
	 * is rejected by the program's own check, not by the map lookup behind it.
	 */
	fx->n_slots = n_targets + 1;
	fx->key[0] = key[0];
	fx->key[1] = key[1];
	fx->ncpu = libbpf_num_possible_cpus();
	if (fx->ncpu <= 0)
		return fx->ncpu ?: -EINVAL;
	fx->skel = echomap_bpf__open();
	if (!fx->skel)
		return -errno;
	fx->skel->rodata->cfg.key[0] = key[0];
	fx->skel->rodata->cfg.key[1] = key[1];
	fx->skel->rodata->cfg.saddr = saddr;
	fx->skel->rodata->cfg.n_targets = n_targets;
	fx->skel->rodata->cfg.flags = flags;
	bpf_map__set_max_entries(fx->skel->maps.results, fx->n_slots);
	err = echomap_bpf__load(fx->skel);
	if (err)
		goto fail;
	fx->prog_fd = bpf_program__fd(fx->skel->progs.echomap_xdp);
	fx->res = bpf_map_mmap(bpf_map__fd(fx->skel->maps.results),
			       (size_t)fx->n_slots * sizeof(struct em_result), PROT_READ,
			       &fx->res_len, "the results array");
	if (!fx->res) {
		err = -errno;
		goto fail;
	}
	return 0;
fail:
	fixture_close(fx);
	return err;
}

/* Setup of every BPF test: a matcher for N_TARGETS targets, with or without events. */
static int open_state(void **state, __u32 flags)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	__u64 key[2];
	int err;

	if (!fx)
		return -1;
	*state = fx;
	if (no_bpf[0])
		return 0;
	err = em_cookie_key(key);
	if (err) {
		print_error("# getrandom: %s\n", strerror(-err));
		return -1;
	}
	return bpf_setup_verdict(fixture_open(fx, N_TARGETS, US, flags, key), "the matcher");
}

static int setup(void **state)
{
	return open_state(state, 0);
}

static int setup_events(void **state)
{
	return open_state(state, EM_CFG_EVENTS);
}

static int setup_trace(void **state)
{
	return open_state(state, EM_CFG_TRACE | EM_CFG_EVENTS);
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

/* Zero every result slot and counter, as a fresh load would leave them. */
static void fixture_reset(const struct fixture *fx)
{
	int rfd = bpf_map__fd(fx->skel->maps.results), sfd = bpf_map__fd(fx->skel->maps.stats);
	struct em_result zero = { 0 };
	__u64 zeros[fx->ncpu];

	memset(zeros, 0, sizeof(zeros));
	for (__u32 i = 0; i < fx->n_slots; i++)
		assert_int_equal(bpf_map_update_elem(rfd, &i, &zero, BPF_ANY), 0);
	for (__u32 k = 0; k < EM_CNT_MAX; k++)
		assert_int_equal(bpf_map_update_elem(sfd, &k, zeros, BPF_ANY), 0);
}

static void read_counters(const struct fixture *fx, __u64 out[EM_CNT_MAX])
{
	int fd = bpf_map__fd(fx->skel->maps.stats);
	__u64 vals[fx->ncpu];

	for (__u32 k = 0; k < EM_CNT_MAX; k++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &k, vals), 0);
		out[k] = 0;
		for (int c = 0; c < fx->ncpu; c++)
			out[k] += vals[c];
	}
}

/* A probe from us to TARGET with the fixture's key, sent DELTA_NS before now. */
static struct probe probe_at(const struct fixture *fx, __u32 index, __u32 round, __u64 now)
{
	struct probe pr = {
		.key = { fx->key[0], fx->key[1] },
		.us = US,
		.target = TARGET,
		.tx_ns = now - DELTA_NS,
		.index = index,
		.round = round,
	};

	return pr;
}

struct run {
	__u32 verdict;
	bool unchanged; /* the frame came out byte for byte as it went in */
	__u64 t0, t1;	/* CLOCK_MONOTONIC around the run */
};

static bool run_frame(const struct fixture *fx, const struct frame *f, struct run *r)
{
	__u8 out[FRAME_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	r->t0 = mono_ns();
	if (bpf_prog_test_run_opts(fx->prog_fd, &opts)) {
		print_error("# BPF_PROG_TEST_RUN of a %u-byte frame: %s\n", f->len,
			    strerror(errno));
		return false;
	}
	r->t1 = mono_ns();
	r->verdict = opts.retval;
	r->unchanged = opts.data_size_out == f->len && !memcmp(out, f->buf, f->len);
	return true;
}

static const char *verdict_name(__u32 v)
{
	return v == XDP_DROP ? "XDP_DROP" : v == XDP_PASS ? "XDP_PASS" : "another verdict";
}

/* What a frame must do: its verdict and the counters it moves. */
enum outcome {
	PASS,		/* to the stack, counted only as passed */
	PASS_INVALID,	/* to the stack, failed the cookie */
	PASS_MALFORMED, /* to the stack, inconsistent or index out of range */
	MATCH,		/* an echo reply of ours: recorded, dropped */
	MATCH_ERROR,	/* an ICMP error quoting a probe of ours: recorded, dropped */
};

static const char *const outcome_names[] = {
	[PASS] = "pass",
	[PASS_INVALID] = "pass as invalid",
	[PASS_MALFORMED] = "pass as malformed",
	[MATCH] = "match",
	[MATCH_ERROR] = "match as ICMP error",
};

static void add_outcome(__u64 want[EM_CNT_MAX], enum outcome o)
{
	want[EM_CNT_SEEN]++;
	if (o >= MATCH)
		want[EM_CNT_MATCHED]++;
	else
		want[EM_CNT_PASSED]++;
	if (o == PASS_INVALID)
		want[EM_CNT_INVALID]++;
	if (o == PASS_MALFORMED)
		want[EM_CNT_MALFORMED]++;
	if (o == MATCH_ERROR)
		want[EM_CNT_ICMP_ERROR]++;
}

static bool check_counters(const struct fixture *fx, const __u64 want[EM_CNT_MAX], const char *what)
{
	__u64 got[EM_CNT_MAX];
	bool ok = true;

	read_counters(fx, got);
	for (int k = 0; k < EM_CNT_MAX; k++) {
		if (got[k] == want[k])
			continue;
		print_error("# %s: counter %s is %llu, want %llu\n", what, counter_names[k],
			    (unsigned long long)got[k], (unsigned long long)want[k]);
		ok = false;
	}
	return ok;
}

/* Every slot but except (or every slot, with except UINT32_MAX) still zero. */
static bool check_untouched(const struct fixture *fx, __u32 except, const char *what)
{
	static const struct em_result zero;
	bool ok = true;

	for (__u32 i = 0; i < fx->n_slots; i++) {
		if (i == except || !memcmp(&fx->res[i], &zero, sizeof(zero)))
			continue;
		print_error("# %s: slot %u was written (replies %u, errors %u, dups %u)\n", what, i,
			    fx->res[i].replies, fx->res[i].errors, fx->res[i].dups);
		ok = false;
	}
	return ok;
}

/*
 * The fields of a slot a test expects of its one kind of reply: the first echo reply's, or
 * with another status the latest error's (replies and rounds_seen then stand for errors and
 * err_rounds_seen); the other kind must be empty.
 */
struct want_slot {
	__u8 status, type, code, ttl;
	__u32 from;
	__u32 replies, dups, rounds_seen;
	__u64 rtt_lo, rtt_hi; /* rtt_first_ns must fall in [rtt_lo, rtt_hi] */
};

#define CHECK_FIELD(got, want, name, fmt)                                                          \
	do {                                                                                       \
		if ((got) != (want)) {                                                             \
			print_error("# %s: slot %u " name " is " fmt ", want " fmt "\n", what,     \
				    index, got, want);                                             \
			ok = false;                                                                \
		}                                                                                  \
	} while (0)

static bool check_slot(const struct fixture *fx, __u32 index, const struct want_slot *w,
		       const char *what)
{
	const struct em_result *s = &fx->res[index];
	char got_from[INET_ADDRSTRLEN], want_from[INET_ADDRSTRLEN];
	bool ok = true;

	bool echo = w->status == EM_ST_ECHOREPLY;
	__u32 from = echo ? s->from : s->err_from, rtt = echo ? s->rtt_first_ns : s->err_rtt_ns;

	CHECK_FIELD(em_result_status(s), w->status, "status", "%u");
	if (!echo) {
		CHECK_FIELD(s->err_type, w->type, "err_type", "%u");
		CHECK_FIELD(s->err_code, w->code, "err_code", "%u");
	}
	CHECK_FIELD(echo ? s->ttl : s->err_ttl, w->ttl, "ttl", "%u");
	CHECK_FIELD(echo ? s->replies : s->errors, w->replies, "replies (of its kind)", "%u");
	CHECK_FIELD(echo ? s->errors : s->replies, 0U, "replies of the other kind", "%u");
	CHECK_FIELD(s->dups, w->dups, "dups", "%u");
	CHECK_FIELD(echo ? s->rounds_seen : s->err_rounds_seen, w->rounds_seen, "rounds_seen",
		    "%#x");
	if (from != w->from) {
		inet_ntop(AF_INET, &from, got_from, sizeof(got_from));
		inet_ntop(AF_INET, &w->from, want_from, sizeof(want_from));
		print_error("# %s: slot %u from is %s, want %s\n", what, index, got_from,
			    want_from);
		ok = false;
	}
	if (rtt < w->rtt_lo || rtt > w->rtt_hi) {
		print_error("# %s: slot %u rtt is %u, want %llu..%llu\n", what, index, rtt,
			    (unsigned long long)w->rtt_lo, (unsigned long long)w->rtt_hi);
		ok = false;
	}
	if (s->rtt_min_ns > s->rtt_first_ns || s->rtt_max_ns < s->rtt_first_ns) {
		print_error("# %s: slot %u rtt min/first/max %u/%u/%u out of order\n", what, index,
			    s->rtt_min_ns, s->rtt_first_ns, s->rtt_max_ns);
		ok = false;
	}
	return ok;
}

/* The RTT window of a frame sent at tx_ns and run during r. */
static void rtt_window(struct want_slot *w, __u64 tx_ns, const struct run *r)
{
	w->rtt_lo = r->t0 - tx_ns;
	w->rtt_hi = r->t1 - tx_ns;
}

/* Run one frame on a clean matcher and check verdict, data, slots and counters. */
static bool check_frame(const struct fixture *fx, const struct frame *f, const struct probe *pr,
			enum outcome o, const struct want_slot *w, const char *what)
{
	__u64 want[EM_CNT_MAX] = { 0 };
	__u32 want_verdict = o >= MATCH ? XDP_DROP : XDP_PASS;
	struct want_slot ws;
	struct run r;
	bool ok = true;

	fixture_reset(fx);
	if (!run_frame(fx, f, &r))
		return false;
	if (r.verdict != want_verdict) {
		print_error("# %s: verdict %s, want %s (%s)\n", what, verdict_name(r.verdict),
			    verdict_name(want_verdict), outcome_names[o]);
		ok = false;
	}
	if (o < MATCH && !r.unchanged) {
		print_error("# %s: passed frame was modified\n", what);
		ok = false;
	}
	if (o >= MATCH) {
		ws = *w;
		rtt_window(&ws, pr->tx_ns, &r);
		ok &= check_slot(fx, pr->index, &ws, what);
		ok &= check_untouched(fx, pr->index, what);
	} else {
		ok &= check_untouched(fx, UINT32_MAX, what);
	}
	add_outcome(want, o);
	ok &= check_counters(fx, want, what);
	return ok;
}

/*
 * A table row: an echo reply (or another ICMP type in its place) or an ICMP error quoting a probe
 * to TARGET, of the given shape, optionally edited before (probe) and after (frame) building,
 * and the outcome it must have.
 */
struct frame_case {
	const char *desc;
	__u8 type, code;
	struct shape shape;
	void (*probe_edit)(struct probe *pr);
	void (*frame_edit)(struct frame *f);
	enum outcome outcome;
};

/* ICMP types built as errors quoting our probe; only the first two are ours to match. */
static bool is_error(__u8 type)
{
	return type == EM_ICMP_DEST_UNREACH || type == EM_ICMP_TIME_EXCEEDED ||
	       type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT || type == ICMP_PARAMETERPROB;
}

static void build_case(const struct frame_case *c, struct frame *f, struct probe *pr)
{
	struct shape s = c->shape;

	if (!s.ttl)
		s.ttl = is_error(c->type) ? ROUTER_TTL : REPLY_TTL;
	if (c->probe_edit)
		c->probe_edit(pr);
	if (is_error(c->type))
		frame_error(f, pr, ROUTER, c->type, c->code, &s);
	else
		frame_echo(f, pr, c->type, &s);
	if (c->frame_edit)
		c->frame_edit(f);
}

static bool run_case(const struct fixture *fx, const struct frame_case *c)
{
	struct probe pr = probe_at(fx, 3, 7, mono_ns());
	struct want_slot w = { .replies = 1, .rounds_seen = 1U << 7 };
	struct frame f;

	build_case(c, &f, &pr);
	w.type = c->type;
	w.code = c->code;
	w.ttl = c->shape.ttl ?: is_error(c->type) ? ROUTER_TTL : REPLY_TTL;
	w.from = is_error(c->type) ? ROUTER : TARGET;
	if (c->type == EM_ICMP_ECHOREPLY)
		w.status = EM_ST_ECHOREPLY;
	else if (c->type == EM_ICMP_DEST_UNREACH)
		w.status = EM_ST_UNREACH;
	else
		w.status = EM_ST_TIMXCEED;
	return check_frame(fx, &f, &pr, c->outcome, &w, c->desc);
}

static void run_cases(void **state, const struct frame_case *cases, size_t n)
{
	struct fixture *fx = need_bpf(state);
	size_t failed = 0;

	for (size_t i = 0; i < n; i++)
		failed += !run_case(fx, &cases[i]);
	if (failed)
		fail_msg("%zu of %zu frames misjudged", failed, n);
}

/* Frame edits. Each names what it makes of the frame. */
static void set_u8(struct frame *f, __u32 off, __u8 v)
{
	f->buf[off] = v;
}

static void set_be16(struct frame *f, __u32 off, __u16 v)
{
	__be16 be = htons(v);

	memcpy(f->buf + off, &be, sizeof(be));
}

static void set_u32(struct frame *f, __u32 off, __u32 v)
{
	memcpy(f->buf + off, &v, sizeof(v));
}

static void to_udp(struct frame *f)
{
	set_u8(f, f->ip + offsetof(struct iphdr, protocol), IPPROTO_UDP);
	frame_refresh(f);
}

static void to_ipv6_ethertype(struct frame *f)
{
	set_be16(f, offsetof(struct w_eth, proto), ETH_P_IPV6);
}

static void to_arp_ethertype(struct frame *f)
{
	set_be16(f, offsetof(struct w_eth, proto), ETH_P_ARP);
}

/* A second tag inside the first: QinQ, which the matcher does not parse. */
static void add_inner_tag(struct frame *f)
{
	__u32 at = sizeof(struct w_eth) + sizeof(struct w_vlan);
	struct w_vlan inner = { .tci = htons(7), .proto = htons(ETH_P_IP) };

	memmove(f->buf + at + sizeof(inner), f->buf + at, f->len - at);
	memcpy(f->buf + at, &inner, sizeof(inner));
	set_be16(f, sizeof(struct w_eth) + offsetof(struct w_vlan, proto), ETH_P_8021Q);
	f->len += sizeof(inner);
}

static void set_more_fragments(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, frag_off), 0x2000);
	frame_refresh(f);
}

static void set_fragment_offset(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, frag_off), 0x0001);
	frame_refresh(f);
}

static void set_dont_fragment(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, frag_off), 0x4000);
	frame_refresh(f);
}

static void to_someone_else(struct frame *f)
{
	set_u32(f, f->ip + offsetof(struct iphdr, daddr), OTHER);
	frame_refresh(f);
}

static void set_version_6(struct frame *f)
{
	set_u8(f, f->ip, 0x60 | (f->buf[f->ip] & 0xf));
}

static void set_ihl(struct frame *f, __u8 ihl)
{
	set_u8(f, f->ip, 0x40 | ihl);
}

/* ihl beyond tot_len: the header would swallow the datagram. */
static void set_ihl_15(struct frame *f)
{
	set_ihl(f, 15);
}

static __u16 tot_len(const struct frame *f)
{
	return (__u16)f->buf[f->ip + 2] << 8 | f->buf[f->ip + 3];
}

static void set_tot_len_19(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, tot_len), 19);
}

static void set_tot_len_beyond_frame(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, tot_len), f->len - f->ip + 1);
}

/* tot_len one byte short of our payload, which stays in the frame as if it were padding. */
static void shorten_tot_len(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, tot_len), tot_len(f) - 1);
	frame_refresh(f);
}

/* The error's tot_len ends inside the quoted header; the rest stays in the frame as padding. */
static void end_in_quoted_header(struct frame *f)
{
	set_be16(f, f->ip + offsetof(struct iphdr, tot_len), f->qip - f->ip + 10);
	frame_refresh(f);
}

static void quote_udp(struct frame *f)
{
	set_u8(f, f->qip + offsetof(struct iphdr, protocol), IPPROTO_UDP);
	frame_refresh(f);
}

static void quote_echo_reply(struct frame *f)
{
	set_u8(f, f->probe, EM_ICMP_ECHOREPLY);
	frame_refresh(f);
}

static void quote_other_source(struct frame *f)
{
	set_u32(f, f->qip + offsetof(struct iphdr, saddr), OTHER);
	frame_refresh(f);
}

static void quote_not_ipv4(struct frame *f)
{
	set_u8(f, f->qip, 0x65);
	frame_refresh(f);
}

/* Probe edits. */
static void other_key(struct probe *pr)
{
	pr->key[0] ^= 1;
}

static void index_n_targets(struct probe *pr)
{
	pr->index = N_TARGETS;
}

static void index_max(struct probe *pr)
{
	pr->index = UINT32_MAX;
}

/* A forger's index out of range: the cookie fails before the index is looked at. */
static void forged_index_n_targets(struct probe *pr)
{
	other_key(pr);
	index_n_targets(pr);
}

static void forged_index_max(struct probe *pr)
{
	other_key(pr);
	index_max(pr);
}

static void last_index(struct probe *pr)
{
	pr->index = N_TARGETS - 1;
}

static void test_echo_replies(void **state)
{
	static const struct frame_case cases[] = {
		{ "echo reply", 0, 0, {}, NULL, NULL, MATCH },
		{ "echo reply, last index", 0, 0, {}, last_index, NULL, MATCH },
		{ "echo reply, DF set", 0, 0, {}, NULL, set_dont_fragment, MATCH },
		{ "echo reply, TTL 1", 0, 0, { .ttl = 1 }, NULL, NULL, MATCH },
		{ "echo reply, TTL 255", 0, 0, { .ttl = 255 }, NULL, NULL, MATCH },
		{ "echo reply, 802.1Q tag", 0, 0, { .vlan_tpid = ETH_P_8021Q }, NULL, NULL, MATCH },
		{ "echo reply, 802.1ad tag", 0, 0, { .vlan_tpid = ETH_P_8021AD }, NULL, NULL,
		  MATCH },
		{ "echo reply, 4 bytes of options", 0, 0, { .ip_opts = 1 }, NULL, NULL, MATCH },
		{ "echo reply, 40 bytes of options", 0, 0, { .ip_opts = 10 }, NULL, NULL, MATCH },
		{ "echo reply, tag and options", 0, 0, { .vlan_tpid = ETH_P_8021Q, .ip_opts = 3 },
		  NULL, NULL, MATCH },
		{ "echo reply, padded payload (--size)", 0, 0, { .extra = 200 }, NULL, NULL,
		  MATCH },
		{ "echo reply, Ethernet padding", 0, 0, { .trailer = 6 }, NULL, NULL, MATCH },
	};

	run_cases(state, cases, ARRAY_SIZE(cases));
}

static void test_icmp_errors(void **state)
{
	static const struct frame_case cases[] = {
		{ "host unreachable", 3, 1, {}, NULL, NULL, MATCH_ERROR },
		{ "port unreachable", 3, 3, {}, NULL, NULL, MATCH_ERROR },
		{ "fragmentation needed", 3, 4, {}, NULL, NULL, MATCH_ERROR },
		{ "administratively prohibited", 3, 13, {}, NULL, NULL, MATCH_ERROR },
		{ "TTL exceeded in transit", 11, 0, {}, NULL, NULL, MATCH_ERROR },
		{ "reassembly time exceeded", 11, 1, {}, NULL, NULL, MATCH_ERROR },
		{ "unreachable, 802.1ad tag", 3, 1, { .vlan_tpid = ETH_P_8021AD }, NULL, NULL,
		  MATCH_ERROR },
		{ "unreachable, outer IPv4 options", 3, 1, { .ip_opts = 4 }, NULL, NULL,
		  MATCH_ERROR },
		{ "time exceeded, quoted IPv4 options", 11, 0, { .qip_opts = 10 }, NULL, NULL,
		  MATCH_ERROR },
		{ "time exceeded, options both, tag", 11, 0,
		  { .vlan_tpid = ETH_P_8021Q, .ip_opts = 10, .qip_opts = 10 }, NULL, NULL,
		  MATCH_ERROR },
		{ "unreachable, quote of a padded probe (576-byte style)", 3, 1, { .extra = 200 },
		  NULL, NULL, MATCH_ERROR },
		{ "unreachable, quote ends right after our payload", 3, 1,
		  { .extra = 40, .quote = 52 }, NULL, NULL, MATCH_ERROR },
		{ "unreachable, Ethernet padding", 3, 1, { .trailer = 4 }, NULL, NULL,
		  MATCH_ERROR },
	};

	run_cases(state, cases, ARRAY_SIZE(cases));
}

static void test_not_ours(void **state)
{
	static const struct frame_case cases[] = {
		{ "UDP", 0, 0, {}, NULL, to_udp, PASS },
		/* An IPv4 datagram under the IPv6 EtherType: a version the header cannot have. */
		{ "IPv6 EtherType", 0, 0, {}, NULL, to_ipv6_ethertype, PASS_MALFORMED },
		{ "ARP EtherType", 0, 0, {}, NULL, to_arp_ethertype, PASS },
		{ "two VLAN tags", 0, 0, { .vlan_tpid = ETH_P_8021AD }, NULL, add_inner_tag, PASS },
		{ "echo request carrying our payload", EM_ICMP_ECHO, 0, {}, NULL, NULL, PASS },
		{ "timestamp request", 13, 0, {}, NULL, NULL, PASS },
		{ "timestamp reply", 14, 0, {}, NULL, NULL, PASS },
		{ "router advertisement", 9, 0, {}, NULL, NULL, PASS },
		{ "redirect quoting our probe", ICMP_REDIRECT, 1, {}, NULL, NULL, PASS },
		{ "source quench quoting our probe", ICMP_SOURCE_QUENCH, 0, {}, NULL, NULL, PASS },
		{ "parameter problem quoting our probe", ICMP_PARAMETERPROB, 0, {}, NULL, NULL,
		  PASS },
		{ "echo reply addressed to someone else", 0, 0, {}, NULL, to_someone_else, PASS },
		{ "unreachable addressed to someone else", 3, 1, {}, NULL, to_someone_else, PASS },
		{ "echo reply, first fragment", 0, 0, {}, NULL, set_more_fragments, PASS },
		{ "echo reply, later fragment", 0, 0, {}, NULL, set_fragment_offset, PASS },
		{ "echo reply, tot_len 1 byte short of our payload", 0, 0, { .trailer = 8 }, NULL,
		  shorten_tot_len, PASS },
		{ "unreachable, tot_len 1 byte short of our payload", 3, 1, { .trailer = 8 }, NULL,
		  shorten_tot_len, PASS },
		{ "unreachable, tot_len ends in the quoted header", 3, 1, {}, NULL,
		  end_in_quoted_header, PASS },
		{ "unreachable quoting 8 bytes of ICMP (RFC 792)", 3, 1, { .quote = 28 }, NULL,
		  NULL, PASS },
		{ "unreachable quoting UDP", 3, 3, {}, NULL, quote_udp, PASS },
		{ "unreachable quoting an echo reply", 3, 1, {}, NULL, quote_echo_reply, PASS },
		{ "unreachable quoting another source's probe", 3, 1, {}, NULL, quote_other_source,
		  PASS },
		{ "unreachable quoting a non-IPv4 header", 3, 1, {}, NULL, quote_not_ipv4, PASS },
		{ "echo reply under another key", 0, 0, {}, other_key, NULL, PASS_INVALID },
		{ "unreachable quoting another key's probe", 3, 1, {}, other_key, NULL,
		  PASS_INVALID },
		{ "time exceeded quoting another key's probe", 11, 0, {}, other_key, NULL,
		  PASS_INVALID },
		{ "echo reply under another key, index n_targets", 0, 0, {}, forged_index_n_targets,
		  NULL, PASS_INVALID },
		{ "echo reply under another key, index 2^32-1", 0, 0, {}, forged_index_max, NULL,
		  PASS_INVALID },
		{ "unreachable quoting another key's probe, index n_targets", 3, 1, {},
		  forged_index_n_targets, NULL, PASS_INVALID },
	};

	run_cases(state, cases, ARRAY_SIZE(cases));
}

static void test_malformed(void **state)
{
	static const struct frame_case cases[] = {
		{ "echo reply, index n_targets", 0, 0, {}, index_n_targets, NULL, PASS_MALFORMED },
		{ "echo reply, index 2^32-1", 0, 0, {}, index_max, NULL, PASS_MALFORMED },
		{ "unreachable, index n_targets", 3, 1, {}, index_n_targets, NULL, PASS_MALFORMED },
		{ "IPv4 EtherType, version 6", 0, 0, {}, NULL, set_version_6, PASS_MALFORMED },
		{ "ihl 15, beyond tot_len and frame", 0, 0, {}, NULL, set_ihl_15, PASS_MALFORMED },
		{ "ihl 15, beyond tot_len, within the frame", 0, 0, { .trailer = 20 }, NULL,
		  set_ihl_15, PASS_MALFORMED },
		{ "tot_len 19", 0, 0, {}, NULL, set_tot_len_19, PASS_MALFORMED },
		{ "tot_len 1 byte beyond the frame", 0, 0, {}, NULL, set_tot_len_beyond_frame,
		  PASS_MALFORMED },
		{ "unreachable, tot_len beyond the frame", 3, 1, {}, NULL, set_tot_len_beyond_frame,
		  PASS_MALFORMED },
	};

	run_cases(state, cases, ARRAY_SIZE(cases));
}

/* Every ihl: below 5 malformed, 5 to 15 (with that many option words) matched. */
static void test_every_ihl(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct frame_case cases[11];
	static char names[11][32];
	bool ok = true;

	for (__u8 ihl = 0; ihl < 5; ihl++) {
		struct probe pr = probe_at(fx, 1, 0, mono_ns());
		struct frame f;
		char what[32];

		frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
		set_ihl(&f, ihl);
		snprintf(what, sizeof(what), "ihl %u", ihl);
		ok &= check_frame(fx, &f, &pr, PASS_MALFORMED, NULL, what);
	}
	assert_true(ok);
	for (int i = 0; i < 11; i++) {
		snprintf(names[i], sizeof(names[i]), "ihl %d", 5 + i);
		cases[i] = (struct frame_case){ names[i], 0, 0, { .ip_opts = i }, NULL, NULL,
						MATCH };
	}
	run_cases(state, cases, 11);
}

/*
 * Every single-bit change of every field the cookie covers must fail it: invalid, also where a
 * flip takes the index out of [0, n_targets), since the cookie is checked first.
 */
struct field {
	const char *name;
	__u32 off; /* offset in the frame */
	__u32 len; /* bytes */
};

static bool flip_fields(const struct fixture *fx, const struct frame *f, const struct probe *pr,
			const struct field *fields, size_t n, const char *desc)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		for (__u32 bit = 0; bit < fields[i].len * 8; bit++) {
			struct frame t = *f;
			char what[96];

			t.buf[fields[i].off + bit / 8] ^= 1U << (bit % 8);
			frame_refresh(&t);
			snprintf(what, sizeof(what), "%s, bit %u of %s flipped", desc, bit,
				 fields[i].name);
			ok &= check_frame(fx, &t, pr, PASS_INVALID, NULL, what);
		}
	}
	return ok;
}

static void test_flipped_bits(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct probe pr = probe_at(fx, 2, 5, mono_ns());
	struct frame reply, unreach;
	bool ok;

	frame_echo(&reply, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	frame_error(&unreach, &pr, ROUTER, EM_ICMP_DEST_UNREACH, 1,
		    &(struct shape){ .ttl = ROUTER_TTL, .qip_opts = 1 });
	const struct field reply_fields[] = {
		{ "daddr (reply source)", reply.ip + offsetof(struct iphdr, saddr), 4 },
		{ "tx_ns", reply.pl + offsetof(struct em_payload, tx_ns), 8 },
		{ "index", reply.pl + offsetof(struct em_payload, index), 4 },
		{ "round", reply.pl + offsetof(struct em_payload, round), 4 },
		{ "mac", reply.pl + offsetof(struct em_payload, mac), 8 },
		{ "id", reply.probe + offsetof(struct w_icmp, id), 2 },
		{ "seq", reply.probe + offsetof(struct w_icmp, seq), 2 },
	};
	const struct field unreach_fields[] = {
		{ "quoted daddr", unreach.qip + offsetof(struct iphdr, daddr), 4 },
		{ "quoted tx_ns", unreach.pl + offsetof(struct em_payload, tx_ns), 8 },
		{ "quoted index", unreach.pl + offsetof(struct em_payload, index), 4 },
		{ "quoted round", unreach.pl + offsetof(struct em_payload, round), 4 },
		{ "quoted mac", unreach.pl + offsetof(struct em_payload, mac), 8 },
		{ "quoted id", unreach.probe + offsetof(struct w_icmp, id), 2 },
		{ "quoted seq", unreach.probe + offsetof(struct w_icmp, seq), 2 },
	};

	ok = flip_fields(fx, &reply, &pr, reply_fields, ARRAY_SIZE(reply_fields), "echo reply");
	ok &= flip_fields(fx, &unreach, &pr, unreach_fields, ARRAY_SIZE(unreach_fields),
			  "unreachable");
	assert_true(ok);
}

/*
 * Every prefix of a matched frame. The kernel refuses test frames shorter than an Ethernet header
 * (EINVAL), so those are only checked to be refused or passed. A prefix that ends inside the
 * Ethernet header or tag passes uncounted; any longer one claims IPv4 and is cut short of its
 * tot_len: malformed.
 */
static void test_truncated(void **state)
{
	static const struct frame_case bases[] = {
		{ "echo reply", 0, 0, {}, NULL, NULL, MATCH },
		{ "echo reply with tag", 0, 0, { .vlan_tpid = ETH_P_8021Q }, NULL, NULL, MATCH },
		{ "echo reply with options", 0, 0, { .ip_opts = 2 }, NULL, NULL, MATCH },
		{ "unreachable", 3, 1, {}, NULL, NULL, MATCH_ERROR },
		{ "time exceeded with options and tag", 11, 0,
		  { .vlan_tpid = ETH_P_8021AD, .ip_opts = 1, .qip_opts = 1 }, NULL, NULL,
		  MATCH_ERROR },
	};
	struct fixture *fx = need_bpf(state);
	size_t failed = 0, runs = 0;

	for (size_t b = 0; b < ARRAY_SIZE(bases); b++) {
		struct probe pr = probe_at(fx, 4, 0, mono_ns());
		struct frame f;

		build_case(&bases[b], &f, &pr);
		for (__u32 len = 0; len < f.len; len++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.buf, .data_size_in = len,
				    .repeat = 1);
			struct frame t = f;
			char what[96];

			snprintf(what, sizeof(what), "%s cut to %u of %u bytes", bases[b].desc, len,
				 f.len);
			runs++;
			if (len < ETH_HLEN) {
				if (bpf_prog_test_run_opts(fx->prog_fd, &opts) == 0 &&
				    opts.retval != XDP_PASS) {
					print_error("# %s: verdict %s\n", what,
						    verdict_name(opts.retval));
					failed++;
				}
				continue;
			}
			t.len = len;
			failed += !check_frame(fx, &t, &pr, len < f.ip ? PASS : PASS_MALFORMED,
					       NULL, what);
		}
	}
	if (failed)
		fail_msg("%zu of %zu truncated frames misjudged", failed, runs);
}

/*
 * An error quoting our datagram up to any byte short of the end of our payload cannot be
 * attributed; quoting it to the end (52 bytes with a plain IPv4 header) can.
 */
static void test_short_quotes(void **state)
{
	enum { FULL = sizeof(struct iphdr) + sizeof(struct w_icmp) + sizeof(struct em_payload) };
	struct frame_case cases[FULL];
	static char names[FULL][48];

	for (int q = 1; q <= FULL; q++) {
		snprintf(names[q - 1], sizeof(names[q - 1]), "unreachable quoting %d bytes", q);
		cases[q - 1] = (struct frame_case){ names[q - 1], 3, 1, { .quote = q }, NULL, NULL,
						    q == FULL ? MATCH_ERROR : PASS };
	}
	run_cases(state, cases, FULL);
}

static void test_duplicate(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct probe pr = probe_at(fx, 9, 3, mono_ns());
	struct want_slot w = {
		.status = EM_ST_ECHOREPLY,
		.ttl = REPLY_TTL,
		.from = TARGET,
		.replies = 1,
		.dups = 1,
		.rounds_seen = 1U << 3,
	};
	__u64 want[EM_CNT_MAX] = { 0 };
	struct run first, second;
	struct frame f;

	fixture_reset(fx);
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &first));
	/* The copy a second path delivers later, or the same reply echoed twice. */
	usleep(2000);
	assert_true(run_frame(fx, &f, &second));
	assert_int_equal(first.verdict, XDP_DROP);
	assert_int_equal(second.verdict, XDP_DROP);
	rtt_window(&w, pr.tx_ns, &first);
	assert_true(check_slot(fx, pr.index, &w, "reply seen twice"));
	assert_int_equal(fx->res[pr.index].rtt_max_ns, fx->res[pr.index].rtt_first_ns);
	add_outcome(want, MATCH);
	add_outcome(want, MATCH);
	want[EM_CNT_DUPLICATE] = 1;
	assert_true(check_counters(fx, want, "reply seen twice"));
}

/*
 * The reply policy: one target's echo replies and ICMP errors, in every order, within a round
 * and across rounds. A target that answered an echo is alive with its first echo reply's RTT,
 * TTL and source; its errors are kept beside it (the latest one's type, code and router);
 * duplicates are per kind per round.
 */
#define ROUTER2 htonl(0xc00002fd)

struct policy_step {
	__u32 round;
	__u8 type, code; /* EM_ICMP_ECHOREPLY or an error */
	__u32 router;
};

struct policy_case {
	const char *desc;
	struct policy_step steps[3];
	int n_steps;
	__u8 status;	   /* em_result_status() */
	int echo_step;	   /* the step whose RTT is rtt_first_ns; -1: none */
	__u32 replies, errors, dups;
	__u8 err_status, err_type, err_code;
	__u32 err_from;
};

static bool run_policy_case(const struct fixture *fx, const struct policy_case *c)
{
	const struct em_result *s = &fx->res[5];
	__u64 want[EM_CNT_MAX] = { 0 };
	struct run r[3];
	struct probe pr[3];
	const char *what = c->desc;
	__u32 index = 5;
	struct frame f;
	bool ok = true;

	fixture_reset(fx);
	for (int i = 0; i < c->n_steps; i++) {
		const struct policy_step *st = &c->steps[i];

		pr[i] = probe_at(fx, 5, st->round, mono_ns());
		if (st->type == EM_ICMP_ECHOREPLY)
			frame_echo(&f, &pr[i], EM_ICMP_ECHOREPLY,
				   &(struct shape){ .ttl = REPLY_TTL });
		else
			frame_error(&f, &pr[i], st->router, st->type, st->code,
				    &(struct shape){ .ttl = ROUTER_TTL + i });
		if (!run_frame(fx, &f, &r[i]))
			return false;
		CHECK_FIELD(r[i].verdict, (__u32)XDP_DROP, "verdict", "%u");
		add_outcome(want, st->type == EM_ICMP_ECHOREPLY ? MATCH : MATCH_ERROR);
	}
	want[EM_CNT_DUPLICATE] = c->dups;
	CHECK_FIELD(em_result_status(s), c->status, "status", "%u");
	CHECK_FIELD(s->replies, c->replies, "replies", "%u");
	CHECK_FIELD(s->errors, c->errors, "errors", "%u");
	CHECK_FIELD(s->dups, c->dups, "dups", "%u");
	if (c->echo_step >= 0) {
		const struct run *er = &r[c->echo_step];
		__u64 tx = pr[c->echo_step].tx_ns;

		CHECK_FIELD(s->from, TARGET, "from", "%#x");
		CHECK_FIELD(s->ttl, REPLY_TTL, "ttl", "%u");
		if (s->rtt_first_ns < er->t0 - tx || s->rtt_first_ns > er->t1 - tx) {
			print_error("# %s: rtt_first_ns %u is not its first echo reply's\n", what,
				    s->rtt_first_ns);
			ok = false;
		}
	}
	if (c->errors) {
		CHECK_FIELD(s->err_status, c->err_status, "err_status", "%u");
		CHECK_FIELD(s->err_type, c->err_type, "err_type", "%u");
		CHECK_FIELD(s->err_code, c->err_code, "err_code", "%u");
		CHECK_FIELD(s->err_from, c->err_from, "err_from", "%#x");
	}
	ok &= check_untouched(fx, 5, what);
	ok &= check_counters(fx, want, what);
	return ok;
}

#define UNR(r, code) { r, EM_ICMP_DEST_UNREACH, code, ROUTER }
#define TEX(r)	     { r, EM_ICMP_TIME_EXCEEDED, 0, ROUTER2 }
#define ECHO(r)	     { r, EM_ICMP_ECHOREPLY, 0, 0 }

static void test_reply_policy(void **state)
{
	const struct policy_case cases[] = {
		{ "error, then a reply in the next round", { UNR(0, 1), ECHO(1) }, 2,
		  EM_ST_ECHOREPLY, 1, 1, 1, 0, EM_ST_UNREACH, 3, 1, ROUTER },
		{ "a reply, then an error in the next round", { ECHO(0), UNR(1, 1) }, 2,
		  EM_ST_ECHOREPLY, 0, 1, 1, 0, EM_ST_UNREACH, 3, 1, ROUTER },
		{ "error and reply in one round", { UNR(0, 1), ECHO(0) }, 2, EM_ST_ECHOREPLY, 1,
		  1, 1, 0, EM_ST_UNREACH, 3, 1, ROUTER },
		{ "reply and error in one round", { ECHO(0), UNR(0, 1) }, 2, EM_ST_ECHOREPLY, 0,
		  1, 1, 0, EM_ST_UNREACH, 3, 1, ROUTER },
		{ "two errors in two rounds: the latest kept", { UNR(0, 1), TEX(1) }, 2,
		  EM_ST_TIMXCEED, -1, 0, 2, 0, EM_ST_TIMXCEED, 11, 0, ROUTER2 },
		{ "two errors in one round: one duplicate", { UNR(0, 1), UNR(0, 3) }, 2,
		  EM_ST_UNREACH, -1, 0, 1, 1, EM_ST_UNREACH, 3, 1, ROUTER },
		{ "error, reply, error across three rounds", { UNR(0, 1), ECHO(1), TEX(2) }, 3,
		  EM_ST_ECHOREPLY, 1, 1, 2, 0, EM_ST_TIMXCEED, 11, 0, ROUTER2 },
		{ "error and reply in one round, reply again: one duplicate",
		  { UNR(0, 1), ECHO(0), ECHO(0) }, 3, EM_ST_ECHOREPLY, 1, 1, 1, 1, EM_ST_UNREACH, 3, 1,
		  ROUTER },
	};
	struct fixture *fx = need_bpf(state);
	size_t failed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		failed += !run_policy_case(fx, &cases[i]);
	if (failed)
		fail_msg("%zu of %zu reply orders misjudged", failed, ARRAY_SIZE(cases));
}

#define RACE_RUNS  20000 /* runs of one frame per BPF_PROG_TEST_RUN of a racer */
#define RACE_CALLS 25

/* One of two threads running one frame again and again, each on a CPU of its own. */
struct racer {
	const struct fixture *fx;
	struct frame f;
	int cpu; /* -1: wherever the scheduler puts it */
	int err;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = r->f.buf, .data_size_in = r->f.len,
		    .repeat = RACE_RUNS);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	if (r->cpu >= 0 && pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		r->err = errno;
	for (int i = 0; i < RACE_CALLS && !r->err; i++)
		if (bpf_prog_test_run_opts(r->fx->prog_fd, &opts) || opts.retval != XDP_DROP)
			r->err = errno ?: EPROTO;
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
 * Replies of rounds r and r + 16 on two CPUs at once: each clears the other's bit of the window
 * as it sets its own. Were that two atomic operations, both bits could end cleared, the slot
 * would look unanswered, and a later reply would take over the first reply's fields.
 */
static void test_window_race(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct probe pr = probe_at(fx, 4, 0, mono_ns());
	struct racer racers[2] = { { .fx = fx }, { .fx = fx } };
	const struct em_result *s = &fx->res[4];
	pthread_t t[2];
	int cpu[2];
	struct frame f;
	struct run r;

	fixture_reset(fx);
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	two_cpus(cpu);
	for (int i = 0; i < 2; i++) {
		struct probe rp = probe_at(fx, 4, 16 * i, mono_ns());

		/* TTLs 1 and 2: a racer that took over the first reply's fields would show. */
		frame_echo(&racers[i].f, &rp, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = 1 + i });
		racers[i].cpu = cpu[i];
		assert_int_equal(pthread_create(&t[i], NULL, race, &racers[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(racers[i].err, 0);
	}
	assert_int_equal(s->ttl, REPLY_TTL);
	assert_true(s->rounds_seen == 1U || s->rounds_seen == 1U << 16);
}

/* Rounds of one target: first, min and max over them; round numbers wrap modulo 32. */
static void test_rounds(void **state)
{
	static const struct {
		__u32 round;
		__u64 delta_ns;
		bool dup;
	} rounds[] = {
		{ 0, 5000000, false }, { 1, 2000000, false }, { 2, 9000000, false },
		{ 33, 1000000, true }, /* bit 1 again: a duplicate of round 1, its RTT not counted */
		{ 31, 3000000, false },
		{ 17, 4000000, false }, /* clears bit 1 (= 17 + 16): the window has moved on */
		{ 33, 6000000, false }, /* so round 33 is new now */
	};
	struct fixture *fx = need_bpf(state);
	const struct em_result *s = &fx->res[6];
	/* Each counted RTT lies within its run's bounds; so do the first, min and max of them. */
	__u64 first_lo = 0, first_hi = 0, min_lo = UINT64_MAX, min_hi = UINT64_MAX, max_lo = 0,
	      max_hi = 0;

	fixture_reset(fx);
	for (size_t i = 0; i < ARRAY_SIZE(rounds); i++) {
		struct probe pr = probe_at(fx, 6, rounds[i].round, 0);
		struct frame f;
		struct run r;
		__u64 lo, hi;

		pr.tx_ns = mono_ns() - rounds[i].delta_ns;
		frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
		assert_true(run_frame(fx, &f, &r));
		assert_int_equal(r.verdict, XDP_DROP);
		if (rounds[i].dup)
			continue;
		lo = r.t0 - pr.tx_ns;
		hi = r.t1 - pr.tx_ns;
		if (!i) {
			first_lo = lo;
			first_hi = hi;
		}
		min_lo = lo < min_lo ? lo : min_lo;
		min_hi = hi < min_hi ? hi : min_hi;
		max_lo = lo > max_lo ? lo : max_lo;
		max_hi = hi > max_hi ? hi : max_hi;
	}
	assert_int_equal(s->replies, 6);
	assert_int_equal(s->dups, 1);
	assert_int_equal(s->rounds_seen, 0x80000007);
	assert_in_range(s->rtt_first_ns, first_lo, first_hi);
	assert_in_range(s->rtt_min_ns, min_lo, min_hi);
	assert_in_range(s->rtt_max_ns, max_lo, max_hi);
}

/* RTTs beyond 32 bits saturate; a timestamp from the future counts as 0. */
static void test_rtt_limits(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct probe old = probe_at(fx, 0, 0, 0), future = probe_at(fx, 1, 0, 0);
	struct frame f;
	struct run r;

	fixture_reset(fx);
	/* A probe older than 2^32 ns needs a clock past that: wait in a freshly booted VM. */
	if (mono_ns() < 5000000000ULL)
		usleep((5000000000ULL - mono_ns()) / 1000);
	old.tx_ns = mono_ns() - 5000000000ULL;
	frame_echo(&f, &old, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(fx->res[0].rtt_first_ns, UINT32_MAX);

	future.tx_ns = mono_ns() + 10000000000ULL;
	frame_echo(&f, &future, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(fx->res[1].rtt_first_ns, 0);
	assert_int_equal(fx->res[1].replies, 1);
}

struct events {
	struct em_event ev[16];
	size_t n;
	size_t bad_len;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct events *e = ctx;

	if (len != sizeof(struct em_event)) {
		e->bad_len++;
		return 0;
	}
	if (e->n < ARRAY_SIZE(e->ev))
		memcpy(&e->ev[e->n], data, len);
	e->n++;
	return 0;
}

static bool check_event(const struct em_event *ev, __u32 index, __u32 round, __u8 status,
			__u32 from, __u8 ttl, bool dup, __u64 rtt_lo, __u64 rtt_hi, size_t i)
{
	static const __u8 zero_pad[sizeof(ev->pad)];
	bool ok = ev->index == index && ev->round == round && ev->status == status &&
		  ev->from == from && ev->ttl == ttl && ev->duplicate == dup &&
		  ev->rtt_ns >= rtt_lo && ev->rtt_ns <= rtt_hi &&
		  !memcmp(ev->pad, zero_pad, sizeof(zero_pad));

	if (!ok)
		print_error("# event %zu: index %u round %u status %u from %#x ttl %u dup %u "
			    "rtt %llu; want index %u round %u status %u from %#x ttl %u dup %u "
			    "rtt %llu..%llu, zero padding\n",
			    i, ev->index, ev->round, ev->status, ev->from, ev->ttl, ev->duplicate,
			    (unsigned long long)ev->rtt_ns, index, round, status, from, ttl, dup,
			    (unsigned long long)rtt_lo, (unsigned long long)rtt_hi);
	return ok;
}

/* One event per matched reply, duplicates flagged; nothing for passed frames. */
static void test_events(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct events got = { 0 };
	struct ring_buffer *rb;
	struct probe pr[4], stranger;
	struct run r[6];
	struct frame f;
	bool ok = true;

	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event, &got, NULL);
	assert_non_null(rb);
	for (int i = 0; i < 3; i++) {
		pr[i] = probe_at(fx, i, 10 + i, mono_ns());
		frame_echo(&f, &pr[i], EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
		assert_true(run_frame(fx, &f, &r[i]));
	}
	assert_true(run_frame(fx, &f, &r[3])); /* pr[2] again */
	pr[3] = probe_at(fx, 5, 1, mono_ns());
	frame_error(&f, &pr[3], ROUTER, EM_ICMP_TIME_EXCEEDED, 0, &(struct shape){ .ttl = 250 });
	assert_true(run_frame(fx, &f, &r[4]));
	stranger = probe_at(fx, 6, 1, mono_ns());
	stranger.key[1] ^= 1;
	frame_echo(&f, &stranger, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r[5]));
	assert_int_equal(r[5].verdict, XDP_PASS);

	assert_int_equal(ring_buffer__consume(rb), 5);
	ring_buffer__free(rb);
	assert_int_equal(got.bad_len, 0);
	assert_int_equal(got.n, 5);
	for (int i = 0; i < 3; i++)
		ok &= check_event(&got.ev[i], i, 10 + i, EM_ST_ECHOREPLY, TARGET, REPLY_TTL, false,
				  r[i].t0 - pr[i].tx_ns, r[i].t1 - pr[i].tx_ns, i);
	ok &= check_event(&got.ev[3], 2, 12, EM_ST_ECHOREPLY, TARGET, REPLY_TTL, true,
			  r[3].t0 - pr[2].tx_ns, r[3].t1 - pr[2].tx_ns, 3);
	ok &= check_event(&got.ev[4], 5, 1, EM_ST_TIMXCEED, ROUTER, 250, false,
			  r[4].t0 - pr[3].tx_ns, r[4].t1 - pr[3].tx_ns, 4);
	assert_true(ok);
	assert_int_equal(got.ev[4].icmp_type, EM_ICMP_TIME_EXCEEDED);
	assert_int_equal(got.ev[4].icmp_code, 0);
}

/*
 * Trace rounds are the probes' TTLs, 1..32, in any order: every one of the 32 is told apart
 * from a copy of itself for the whole run. (The sliding window of 16 rounds would forget TTL 1
 * once TTL 17 answered, and report its copy as a hop reply of its own.)
 */
static void test_trace_ttls(void **state)
{
	struct fixture *fx = need_bpf(state);
	const struct em_result *s = &fx->res[4];
	struct events got = { 0 };
	struct ring_buffer *rb;
	size_t dups = 0;

	fixture_reset(fx);
	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event, &got, NULL);
	assert_non_null(rb);
	for (int pass = 0; pass < 2; pass++) {
		for (__u32 ttl = 1; ttl <= 32; ttl++) {
			struct probe pr = probe_at(fx, 4, ttl, mono_ns());
			struct frame f;
			struct run r;

			if (ttl == 32)
				frame_echo(&f, &pr, EM_ICMP_ECHOREPLY,
					   &(struct shape){ .ttl = REPLY_TTL });
			else
				frame_error(&f, &pr, ROUTER, EM_ICMP_TIME_EXCEEDED, 0,
					    &(struct shape){ .ttl = ROUTER_TTL });
			assert_true(run_frame(fx, &f, &r));
			assert_int_equal(r.verdict, XDP_DROP);
			/* Drained as trace drains it, so the 16 events of the copy fit. */
			ring_buffer__consume(rb);
		}
	}
	ring_buffer__free(rb);
	assert_int_equal(got.n, 64);
	for (size_t i = 0; i < ARRAY_SIZE(got.ev); i++)
		dups += got.ev[i].duplicate;
	assert_int_equal(dups, 0); /* the first 16 events are of the first pass */
	/* TTL 32 (bit 0) brought the echo reply, TTLs 1..31 time exceeded: each in its window. */
	assert_int_equal(s->replies, 1);
	assert_int_equal(s->errors, 31);
	assert_int_equal(s->dups, 32);
	assert_int_equal(s->rounds_seen, 1);
	assert_int_equal(s->err_rounds_seen, 0xfffffffe);
}

/* A forged time exceeded (a quote our key did not sign) is passed, never recorded as a hop. */
static void test_trace_forged(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct events got = { 0 };
	struct ring_buffer *rb;
	__u64 c[EM_CNT_MAX];
	struct probe pr;
	struct frame f;
	struct run r;

	fixture_reset(fx);
	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event, &got, NULL);
	assert_non_null(rb);
	for (__u32 ttl = 1; ttl <= 32; ttl++) {
		pr = probe_at(fx, 2, ttl, mono_ns());
		pr.key[ttl % 2] ^= 1ULL << (ttl % 64);
		frame_error(&f, &pr, ROUTER, EM_ICMP_TIME_EXCEEDED, 0,
			    &(struct shape){ .ttl = ROUTER_TTL });
		assert_true(run_frame(fx, &f, &r));
		assert_int_equal(r.verdict, XDP_PASS);
		assert_true(r.unchanged);
	}
	/* Right cookie, wrong target: the quote names another destination than the one signed. */
	pr = probe_at(fx, 2, 3, mono_ns());
	pr.target = OTHER;
	frame_error(&f, &pr, ROUTER, EM_ICMP_TIME_EXCEEDED, 0, &(struct shape){ .ttl = ROUTER_TTL });
	set_u32(&f, f.qip + offsetof(struct iphdr, daddr), TARGET);
	frame_refresh(&f);
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_PASS);
	assert_int_equal(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
	assert_int_equal(fx->res[2].replies, 0);
	assert_int_equal(fx->res[2].rounds_seen, 0);
	read_counters(fx, c);
	assert_int_equal(c[EM_CNT_INVALID], 33);
	assert_int_equal(c[EM_CNT_MATCHED], 0);
}

/* Stream mode: STREAM_TARGETS targets in a two-word first-reply bitmap, a one-page ring. */
#define STREAM_TARGETS 100

static int setup_stream(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int err;

	if (!fx)
		return -1;
	*state = fx;
	if (no_bpf[0])
		return 0;
	err = em_cookie_key(fx->key);
	if (err)
		return -1;
	fx->n_targets = STREAM_TARGETS;
	fx->ncpu = libbpf_num_possible_cpus();
	fx->skel = echomap_bpf__open();
	if (!fx->skel)
		return bpf_setup_verdict(-errno, "the matcher");
	fx->skel->rodata->cfg.key[0] = fx->key[0];
	fx->skel->rodata->cfg.key[1] = fx->key[1];
	fx->skel->rodata->cfg.saddr = US;
	fx->skel->rodata->cfg.n_targets = STREAM_TARGETS;
	fx->skel->rodata->cfg.flags = EM_CFG_STREAM;
	bpf_map__set_max_entries(fx->skel->maps.first_reply, (STREAM_TARGETS + 31) / 32);
	bpf_map__set_max_entries(fx->skel->maps.events, sysconf(_SC_PAGESIZE));
	err = echomap_bpf__load(fx->skel);
	if (!err)
		fx->prog_fd = bpf_program__fd(fx->skel->progs.echomap_xdp);
	return bpf_setup_verdict(err, "the matcher in stream mode");
}

/* The target's enum em_stream_state, as the kernel keeps it. */
static enum em_stream_state stream_state(const struct fixture *fx, __u32 index)
{
	__u32 word = index / 32;
	__u64 w = 0;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.first_reply), &word, &w),
			 0);
	return em_stream_state(w, index);
}

/* The targets that got their first line from an event, in STREAM_TARGETS bits. */
static int on_first_event(void *ctx, void *data, size_t len)
{
	const struct em_event *ev = data;
	bool *first = ctx;

	if (len == sizeof(*ev) && !ev->duplicate && ev->index < STREAM_TARGETS)
		first[ev->index] = true;
	return 0;
}

/*
 * Stream mode: every validated reply is an event, flagged as a repeat unless it is its target's
 * first echo reply or first error, whatever its round: an echo reply after an error is a first,
 * an error after an echo reply is not; strangers and indices past the map pass.
 */
static void test_stream(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct events got = { 0 };
	struct probe pr, stranger, past;
	__u64 c[EM_CNT_MAX];
	struct ring_buffer *rb;
	struct run r;
	struct frame f;

	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event, &got, NULL);
	assert_non_null(rb);
	pr = probe_at(fx, 70, 0, mono_ns());
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_int_equal(stream_state(fx, 70), EM_SS_NONE);
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stream_state(fx, 70), EM_SS_ECHO);
	assert_int_equal(stream_state(fx, 6), EM_SS_NONE);
	pr = probe_at(fx, 70, 1, mono_ns()); /* an error after an echo reply: a repeat */
	frame_error(&f, &pr, ROUTER, EM_ICMP_DEST_UNREACH, 1, &(struct shape){ .ttl = 250 });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(stream_state(fx, 70), EM_SS_ECHO);
	pr = probe_at(fx, 70, 2, mono_ns()); /* another round: still a repeat */
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	pr = probe_at(fx, 71, 0, mono_ns()); /* a first error, then its target's first echo */
	frame_error(&f, &pr, ROUTER, EM_ICMP_TIME_EXCEEDED, 0, &(struct shape){ .ttl = 250 });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(stream_state(fx, 71), EM_SS_ERROR);
	frame_error(&f, &pr, ROUTER, EM_ICMP_TIME_EXCEEDED, 0, &(struct shape){ .ttl = 250 });
	assert_true(run_frame(fx, &f, &r));
	pr = probe_at(fx, 71, 1, mono_ns());
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(stream_state(fx, 71), EM_SS_ECHO);
	stranger = probe_at(fx, 3, 0, mono_ns());
	stranger.key[0] ^= 4;
	frame_echo(&f, &stranger, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_PASS);
	past = probe_at(fx, 128, 0, mono_ns()); /* the cookie holds, the map ends at 127 */
	frame_echo(&f, &past, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_PASS);

	assert_int_equal(ring_buffer__consume(rb), 6);
	ring_buffer__free(rb);
	assert_int_equal(got.n, 6);
	assert_true(check_event(&got.ev[0], 70, 0, EM_ST_ECHOREPLY, TARGET, REPLY_TTL, false, 0,
				~0ULL, 0));
	assert_true(check_event(&got.ev[1], 70, 1, EM_ST_UNREACH, ROUTER, 250, true, 0, ~0ULL,
				1));
	assert_true(check_event(&got.ev[2], 70, 2, EM_ST_ECHOREPLY, TARGET, REPLY_TTL, true, 0,
				~0ULL, 2));
	assert_true(check_event(&got.ev[3], 71, 0, EM_ST_TIMXCEED, ROUTER, 250, false, 0, ~0ULL,
				3));
	assert_true(check_event(&got.ev[4], 71, 0, EM_ST_TIMXCEED, ROUTER, 250, true, 0, ~0ULL,
				4));
	assert_true(check_event(&got.ev[5], 71, 1, EM_ST_ECHOREPLY, TARGET, REPLY_TTL, false, 0,
				~0ULL, 5));
	read_counters(fx, c);
	assert_int_equal(c[EM_CNT_MATCHED], 6);
	assert_int_equal(c[EM_CNT_DUPLICATE], 3);
	assert_int_equal(c[EM_CNT_ICMP_ERROR], 3);
	assert_int_equal(c[EM_CNT_INVALID], 1);
	assert_int_equal(c[EM_CNT_MALFORMED], 1);
	assert_int_equal(c[EM_CNT_LOST], 0);
}

/*
 * Stream mode, the ring full: each reply it could not take is counted lost (events + lost =
 * replies), and every target left without its first line is LOST, to be probed again; the one
 * whose line got out is ECHO whatever was lost after it. Then a reply with room gives each LOST
 * target its first line.
 */
static void test_stream_ring_full(void **state)
{
	struct fixture *fx = need_bpf(state);
	bool first[STREAM_TARGETS] = { 0 };
	__u64 c[EM_CNT_MAX];
	struct ring_buffer *rb;
	__u32 lost_targets = 0;
	struct probe pr;
	struct run r;
	struct frame f;
	int n;

	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_first_event, first, NULL);
	assert_non_null(rb);
	/* A page holds about 100 events: target 0's 200 replies fill it, the others find it full. */
	for (__u32 i = 0; i < 300; i++) {
		pr = probe_at(fx, i < 200 ? 0 : i - 200, i, mono_ns());
		frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
		assert_true(run_frame(fx, &f, &r));
		assert_int_equal(r.verdict, XDP_DROP);
	}
	n = ring_buffer__consume(rb);
	read_counters(fx, c);
	assert_true(n > 0 && c[EM_CNT_LOST] > 0);
	assert_int_equal(n + c[EM_CNT_LOST], 300);
	assert_int_equal(c[EM_CNT_MATCHED], 300);
	for (__u32 t = 0; t < STREAM_TARGETS; t++) {
		assert_int_equal(stream_state(fx, t), first[t] ? EM_SS_ECHO : EM_SS_LOST);
		lost_targets += !first[t];
	}
	assert_true(first[0]);
	assert_int_equal(lost_targets, STREAM_TARGETS - 1);

	for (__u32 t = 0; t < STREAM_TARGETS; t++) {
		if (first[t])
			continue;
		pr = probe_at(fx, t, 300 + t, mono_ns());
		frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
		assert_true(run_frame(fx, &f, &r));
		assert_int_equal(ring_buffer__consume(rb), 1);
		assert_true(first[t]);
		assert_int_equal(stream_state(fx, t), EM_SS_ECHO);
	}
	ring_buffer__free(rb);
}

/* Without EM_CFG_EVENTS the ring stays empty. */
static void test_no_events_by_default(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct probe pr = probe_at(fx, 0, 0, mono_ns());
	struct events got = { 0 };
	struct ring_buffer *rb;
	struct frame f;
	struct run r;

	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event, &got, NULL);
	assert_non_null(rb);
	frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = REPLY_TTL });
	assert_true(run_frame(fx, &f, &r));
	assert_int_equal(r.verdict, XDP_DROP);
	assert_int_equal(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
}

static __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * User space and the BPF program must compute the same cookie for every input: 40 random keys
 * (each a fresh load, the key being read-only config), 256 random (daddr, tx_ns, index, round)
 * each, also with a random saddr. The same reply with one bit of its payload flipped must pass.
 * ECHOMAP_TEST_SEED reproduces a run.
 */
#define AGREE_KEYS     40
#define AGREE_PER_KEY  256
#define AGREE_TARGETS  (1U << 16)

static void test_cookie_agreement(void **state)
{
	const char *env = getenv("ECHOMAP_TEST_SEED");
	__u64 seed, s;
	size_t failed = 0;

	need_bpf(state);
	if (env)
		seed = strtoull(env, NULL, 0);
	else
		assert_int_equal(getrandom(&seed, sizeof(seed), 0), sizeof(seed));
	s = seed;
	for (int k = 0; k < AGREE_KEYS; k++) {
		struct fixture fx = { 0 };
		__u64 key[2] = { splitmix64(&s), splitmix64(&s) };
		__u32 us = splitmix64(&s) | 1;

		assert_int_equal(fixture_open(&fx, AGREE_TARGETS, us, 0, key), 0);
		for (int i = 0; i < AGREE_PER_KEY; i++) {
			__u64 r = splitmix64(&s);
			struct probe pr = {
				.key = { key[0], key[1] },
				.us = us,
				.target = splitmix64(&s),
				.tx_ns = splitmix64(&s),
				.index = r % AGREE_TARGETS,
				.round = r >> 32,
			};
			__u32 bit = splitmix64(&s) % (8 * sizeof(struct em_payload));
			struct frame f;
			struct run run;

			frame_echo(&f, &pr, EM_ICMP_ECHOREPLY, &(struct shape){ .ttl = 64 });
			if (!run_frame(&fx, &f, &run) || run.verdict != XDP_DROP) {
				print_error("# seed %#llx: key %016llx%016llx daddr %#x tx_ns %llu "
					    "index %u round %u: %s, want XDP_DROP\n",
					    (unsigned long long)seed, (unsigned long long)key[0],
					    (unsigned long long)key[1], pr.target,
					    (unsigned long long)pr.tx_ns, pr.index, pr.round,
					    verdict_name(run.verdict));
				failed++;
			}
			f.buf[f.pl + bit / 8] ^= 1U << (bit % 8);
			if (!run_frame(&fx, &f, &run) || run.verdict != XDP_PASS) {
				print_error("# seed %#llx: payload bit %u flipped: %s\n",
					    (unsigned long long)seed, bit,
					    verdict_name(run.verdict));
				failed++;
			}
		}
		fixture_close(&fx);
	}
	if (failed)
		fail_msg("%zu of %d cookies disagree (ECHOMAP_TEST_SEED=%#llx)", failed,
			 2 * AGREE_KEYS * AGREE_PER_KEY, (unsigned long long)seed);
}

/* Byte-wise SipHash-2-4 as the paper specifies it, for any message length. */
static __u64 ref_rotl(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void ref_round(__u64 v[4])
{
	v[0] += v[1], v[1] = ref_rotl(v[1], 13), v[1] ^= v[0], v[0] = ref_rotl(v[0], 32);
	v[2] += v[3], v[3] = ref_rotl(v[3], 16), v[3] ^= v[2];
	v[0] += v[3], v[3] = ref_rotl(v[3], 21), v[3] ^= v[0];
	v[2] += v[1], v[1] = ref_rotl(v[1], 17), v[1] ^= v[2], v[2] = ref_rotl(v[2], 32);
}

static __u64 ref_siphash(const __u8 k[16], const __u8 *msg, size_t len)
{
	__u64 k0 = 0, k1 = 0, m, v[4];
	size_t i, j;

	for (i = 0; i < 8; i++) {
		k0 |= (__u64)k[i] << (8 * i);
		k1 |= (__u64)k[8 + i] << (8 * i);
	}
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i <= len / 8; i++) {
		m = i == len / 8 ? (__u64)(len & 0xff) << 56 : 0;
		for (j = 0; j < 8 && 8 * i + j < len; j++)
			m |= (__u64)msg[8 * i + j] << (8 * j);
		v[3] ^= m;
		ref_round(v);
		ref_round(v);
		v[0] ^= m;
	}
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		ref_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * em_cookie against the SipHash-2-4 reference: vectors_sip64[0..20] of the authors' vectors.h
 * (key 00..0f, message 00..len-1, tags as little-endian words) check the byte-wise reference, and
 * [20] is em_cookie's own 20-byte message; then random inputs against the reference.
 */
static void test_cookie_vectors(void **state)
{
	static const __u64 vectors_sip64[21] = {
		0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
		0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
		0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
		0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
		0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
		0xbed65cf21aa2ee98,
	};
	__u8 k[16], msg[EM_COOKIE_MSG_LEN];
	__u64 key[2], seed;
	bool ok = true;

	(void)state;
	for (int i = 0; i < 16; i++)
		k[i] = i;
	for (int i = 0; i < EM_COOKIE_MSG_LEN; i++)
		msg[i] = i;
	for (size_t len = 0; len <= EM_COOKIE_MSG_LEN; len++) {
		__u64 got = ref_siphash(k, msg, len);

		if (got != vectors_sip64[len]) {
			print_error("# reference, %zu bytes: %016llx, want %016llx\n", len,
				    (unsigned long long)got,
				    (unsigned long long)vectors_sip64[len]);
			ok = false;
		}
	}
	assert_true(ok);

	/* daddr 00 01 02 03, tx_ns 04..0b, index 0c..0f, round 10..13, all little-endian here. */
	memcpy(key, k, sizeof(key));
	assert_int_equal(em_cookie(key[0], key[1], 0x03020100, 0x0b0a090807060504ULL, 0x0f0e0d0c, 0x13121110),
			 vectors_sip64[20]);

	assert_int_equal(getrandom(&seed, sizeof(seed), 0), sizeof(seed));
	for (int i = 0; i < 100000; i++) {
		__u32 daddr, index, round;
		__u64 tx_ns;

		for (size_t b = 0; b < sizeof(msg); b += 8) {
			__u64 r = splitmix64(&seed);

			memcpy(msg + b, &r, sizeof(msg) - b < 8 ? sizeof(msg) - b : 8);
		}
		key[0] = splitmix64(&seed);
		key[1] = splitmix64(&seed);
		memcpy(k, key, sizeof(k));
		memcpy(&daddr, msg, 4);
		memcpy(&tx_ns, msg + 4, 8);
		memcpy(&index, msg + 12, 4);
		memcpy(&round, msg + 16, 4);
		assert_int_equal(em_cookie(key[0], key[1], daddr, tx_ns, index, round),
				 ref_siphash(k, msg, sizeof(msg)));
	}
}

/* em_cookie6 against the reference over its 32-byte message: daddr | tx_ns | index | round. */
static void test_cookie6_vectors(void **state)
{
	__u8 k[16], msg[EM_COOKIE6_MSG_LEN];
	__u64 key[2], seed, tx_ns;
	__u32 daddr[4], index, round;

	(void)state;
	assert_int_equal(getrandom(&seed, sizeof(seed), 0), sizeof(seed));
	for (int i = 0; i < 100000; i++) {
		for (size_t b = 0; b < sizeof(msg); b += 8) {
			__u64 r = splitmix64(&seed);

			memcpy(msg + b, &r, 8);
		}
		key[0] = splitmix64(&seed);
		key[1] = splitmix64(&seed);
		memcpy(k, key, sizeof(k));
		memcpy(daddr, msg, 16);
		memcpy(&tx_ns, msg + 16, 8);
		memcpy(&index, msg + 24, 4);
		memcpy(&round, msg + 28, 4);
		assert_int_equal(em_cookie6(key[0], key[1], daddr, tx_ns, index, round),
				 ref_siphash(k, msg, sizeof(msg)));
	}
}

static void test_program_size(void **state)
{
	assert_true(prog_size_ok(need_bpf(state)->prog_fd, "echomap_xdp", 2500, 250000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_vectors),
		cmocka_unit_test(test_cookie6_vectors),
		cmocka_unit_test_setup_teardown(test_program_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_ihl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_quotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtt_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup_events, teardown),
		cmocka_unit_test_setup_teardown(test_no_events_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_ttls, setup_trace, teardown),
		cmocka_unit_test_setup_teardown(test_trace_forged, setup_trace, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_stream_ring_full, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_agreement, setup, teardown),
	};

	libbpf_set_print(print_libbpf);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
