// SPDX-License-Identifier: GPL-2.0
/*
 * The reply matcher's IPv6 path (bpf/parse_ipv6.h, match6() in bpf/echomap.bpf.c) against
 * crafted frames run with BPF_PROG_TEST_RUN: ICMPv6 echo replies and errors behind every chain
 * of extension headers up to the bound and past it, every truncation, forged cookies, and
 * neighbour discovery, which must pass untouched; in watch mode (EM_CFG_WATCH), ICMPv6 replies
 * in time fill their series, late ones and duplicates are counted apart, and a /64 prefix
 * (EM_CFG_AGGREGATE6) gathers its targets. Needs root, as test_matcher does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_test.h"
#include "echomap_abi.h"
#include "echomap_hist.h"
#include "lib/bpf_map.h"
#include "tx/cookie.h"
#include "tx/frame6.h"

#include "echomap.skel.h"

#define N_TARGETS 8
#define FRAME_MAX 640
#define DELTA_NS  5000000ULL
#define HOP_LIMIT 57
#define MAX_EXT	  4 /* the matcher's EM_IPV6_MAX_EXT */

/* 2001:db8::1 (us), 2001:db8:1::7 (target), 2001:db8::fe (router), 2001:db8::99 (other) */
static const __u8 US[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const __u8 TARGET[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x07 };
static const __u8 ROUTER[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe };
static const __u8 OTHER[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };

struct w_ip6 {
	__be32 vtc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
} __attribute__((packed));

struct w_icmp6 {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be16 id;
	__be16 seq;
} __attribute__((packed));

struct frame {
	__u8 buf[FRAME_MAX];
	__u32 len;
	__u32 pl; /* offset of the payload */
};

struct fixture {
	struct echomap_bpf *skel;
	int prog_fd;
	__u64 key[2];
	int ncpu;
	volatile struct em_series *series; /* watch mode: the series array */
	size_t series_len;
	__u32 n_series;
};

/* Watch mode's timeout, and with /64 aggregation series 0 is 2001:db8::/64, 1 TARGET's /64. */
#define TIMEOUT_NS    1000000000ULL
#define TARGET_SERIES 1
static const __u8 agg_prefixes[2][16] = { { 0x20, 0x01, 0x0d, 0xb8 },
					  { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } };

/* An extension-header chain: kinds in order, IPPROTO_* values; 0 ends it. */
struct chain {
	__u8 kind[MAX_EXT + 2];
	__u8 n;
};

/* Writes the chain at off, each header naming the next and the last naming last; its length. */
static __u32 put_chain(struct frame *f, __u32 off, const struct chain *c, __u8 last)
{
	__u32 start = off;

	for (int i = 0; i < c->n; i++) {
		__u8 next = i + 1 < c->n ? c->kind[i + 1] : last;
		/* Options padded with PadN; a longer routing header to vary the lengths. */
		__u32 len = c->kind[i] == IPPROTO_ROUTING ? 24 : 8;

		memset(f->buf + off, 0, len);
		f->buf[off] = next;
		if (c->kind[i] == IPPROTO_FRAGMENT) {
			f->buf[off + 4] = 0x12; /* identification; offset 0, M clear: atomic */
		} else {
			f->buf[off + 1] = len / 8 - 1;
			if (c->kind[i] != IPPROTO_ROUTING) {
				f->buf[off + 2] = 1; /* PadN */
				f->buf[off + 3] = len - 4;
			} else {
				f->buf[off + 2] = 4; /* type 4 (segment routing), segments left 0 */
			}
		}
		off += len;
	}
	return off - start;
}

static __u32 put_ip6(struct frame *f, __u32 off, const __u8 *src, const __u8 *dst, __u8 hl,
		     __u8 nexthdr, __u32 payload)
{
	struct w_ip6 ip = {
		.vtc_flow = htonl(6U << 28),
		.payload_len = htons(payload),
		.nexthdr = nexthdr,
		.hop_limit = hl,
	};

	memcpy(ip.saddr, src, 16);
	memcpy(ip.daddr, dst, 16);
	memcpy(f->buf + off, &ip, sizeof(ip));
	return sizeof(ip);
}

struct probe6 {
	const __u64 *key;
	const __u8 *target;
	__u64 tx_ns;
	__u32 index, round;
};

static __u32 put_echo(struct frame *f, __u32 off, const struct probe6 *pr, __u8 type)
{
	__u32 daddr[4];
	__u64 mac;
	struct w_icmp6 icmp = { .type = type };
	struct em_payload pl = { .tx_ns = pr->tx_ns, .index = pr->index, .round = pr->round };

	memcpy(daddr, pr->target, 16);
	mac = em_cookie6(pr->key[0], pr->key[1], daddr, pr->tx_ns, pr->index, pr->round);
	icmp.id = htons(mac & 0xffff);
	icmp.seq = htons((mac >> 16) & 0xffff);
	pl.mac = mac;
	memcpy(f->buf + off, &icmp, sizeof(icmp));
	memcpy(f->buf + off + sizeof(icmp), &pl, sizeof(pl));
	f->pl = off + sizeof(icmp);
	return sizeof(icmp) + sizeof(pl);
}

static __u32 put_eth(struct frame *f)
{
	static const __u8 hdr[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd };

	memcpy(f->buf, hdr, sizeof(hdr));
	return sizeof(hdr);
}

/* The target's echo reply to pr, to us, behind the chain c. */
static void frame_reply(struct frame *f, const struct probe6 *pr, const struct chain *c)
{
	__u32 ip, ext, icmp_len;

	memset(f, 0, sizeof(*f));
	ip = put_eth(f);
	ext = put_chain(f, ip + sizeof(struct w_ip6), c, IPPROTO_ICMPV6);
	icmp_len = put_echo(f, ip + sizeof(struct w_ip6) + ext, pr, 129);
	put_ip6(f, ip, pr->target, US, HOP_LIMIT, c->n ? c->kind[0] : IPPROTO_ICMPV6,
		ext + icmp_len);
	f->len = ip + sizeof(struct w_ip6) + ext + icmp_len;
}

/* The router's error (type, code) quoting pr as sent (the chain qc in the quote), behind oc. */
static void frame_error(struct frame *f, const struct probe6 *pr, __u8 type, __u8 code,
			const struct chain *oc, const struct chain *qc)
{
	__u32 ip, oext, icmp, qip, qext, echo, payload;

	memset(f, 0, sizeof(*f));
	ip = put_eth(f);
	oext = put_chain(f, ip + sizeof(struct w_ip6), oc, IPPROTO_ICMPV6);
	icmp = ip + sizeof(struct w_ip6) + oext;
	f->buf[icmp] = type;
	f->buf[icmp + 1] = code;
	qip = icmp + sizeof(struct w_icmp6);
	qext = put_chain(f, qip + sizeof(struct w_ip6), qc, IPPROTO_ICMPV6);
	echo = put_echo(f, qip + sizeof(struct w_ip6) + qext, pr, 128);
	put_ip6(f, qip, US, pr->target, 1, qc->n ? qc->kind[0] : IPPROTO_ICMPV6, qext + echo);
	payload = oext + sizeof(struct w_icmp6) + sizeof(struct w_ip6) + qext + echo;
	put_ip6(f, ip, ROUTER, US, HOP_LIMIT, oc->n ? oc->kind[0] : IPPROTO_ICMPV6, payload);
	f->len = ip + sizeof(struct w_ip6) + payload;
}

/* The matcher as the loader sets it up for a sweep, or in watch mode (EM_CFG_WATCH: flags). */
static int fixture_open(struct fixture *fx, __u32 flags)
{
	bool agg = flags & EM_CFG_AGGREGATE6;
	int err;

	err = em_cookie_key(fx->key);
	if (err)
		return err;
	fx->ncpu = libbpf_num_possible_cpus();
	fx->skel = echomap_bpf__open();
	if (!fx->skel)
		return -errno;
	fx->skel->rodata->cfg.key[0] = fx->key[0];
	fx->skel->rodata->cfg.key[1] = fx->key[1];
	fx->skel->rodata->cfg.n_targets = N_TARGETS;
	fx->skel->rodata->cfg.flags = flags;
	fx->skel->rodata->cfg.timeout_ns = TIMEOUT_NS;
	memcpy((void *)fx->skel->rodata->cfg.saddr6, US, 16);
	/* /64: the first two words all ones, the rest zero. */
	for (int i = 0; agg && i < 2; i++)
		fx->skel->rodata->cfg.agg_mask6[i] = ~0U;
	fx->n_series = agg ? 2 : N_TARGETS;
	bpf_map__set_max_entries(fx->skel->maps.first_reply, (N_TARGETS + 31) / 32);
	bpf_map__set_max_entries(fx->skel->maps.results, N_TARGETS);
	bpf_map__set_max_entries(fx->skel->maps.from6_addrs, N_TARGETS);
	bpf_map__set_max_entries(fx->skel->maps.series, fx->n_series);
	if (agg)
		bpf_map__set_max_entries(fx->skel->maps.groups6, fx->n_series);
	err = echomap_bpf__load(fx->skel);
	if (err)
		return err;
	for (__u32 i = 0; agg && i < fx->n_series; i++)
		if (bpf_map_update_elem(bpf_map__fd(fx->skel->maps.groups6), agg_prefixes[i], &i,
					BPF_NOEXIST))
			return -errno;
	fx->prog_fd = bpf_program__fd(fx->skel->progs.echomap_xdp);
	if (!(flags & EM_CFG_WATCH))
		return 0;
	fx->series = bpf_map_mmap(bpf_map__fd(fx->skel->maps.series),
				  fx->n_series * sizeof(struct em_series), PROT_READ | PROT_WRITE,
				  &fx->series_len, "the series array");
	return fx->series ? 0 : -errno;
}

static int open_state(void **state, __u32 flags)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int err;

	if (!fx)
		return -1;
	*state = fx;
	if (no_bpf[0])
		return 0;
	err = fixture_open(fx, flags);
	if (err) {
		echomap_bpf__destroy(fx->skel);
		fx->skel = NULL;
	}
	return bpf_setup_verdict(err, "the matcher");
}

static int setup(void **state)
{
	return open_state(state, 0);
}

static int setup_watch(void **state)
{
	return open_state(state, EM_CFG_WATCH);
}

static int setup_stream(void **state)
{
	return open_state(state, EM_CFG_STREAM);
}

static int setup_watch_agg(void **state)
{
	return open_state(state, EM_CFG_WATCH | EM_CFG_AGGREGATE6);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx && fx->series)
		munmap((void *)fx->series, fx->series_len);
	if (fx)
		echomap_bpf__destroy(fx->skel);
	free(fx);
	return 0;
}

static struct fixture *need_bpf(void **state)
{
	struct fixture *fx = *state;

	need_loaded(fx->skel);
	return fx;
}

static void reset(const struct fixture *fx)
{
	int rfd = bpf_map__fd(fx->skel->maps.results), sfd = bpf_map__fd(fx->skel->maps.stats);
	int afd = bpf_map__fd(fx->skel->maps.from6_addrs);
	struct em_result zero = { 0 };
	struct em_addr6 zero6 = { { 0 } };
	__u64 zeros[fx->ncpu];

	memset(zeros, 0, sizeof(zeros));
	for (__u32 i = 0; i < N_TARGETS; i++) {
		assert_int_equal(bpf_map_update_elem(rfd, &i, &zero, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(afd, &i, &zero6, BPF_ANY), 0);
	}
	for (__u32 k = 0; k < EM_CNT_MAX; k++)
		assert_int_equal(bpf_map_update_elem(sfd, &k, zeros, BPF_ANY), 0);
}

static __u64 counter(const struct fixture *fx, __u32 k)
{
	__u64 vals[fx->ncpu], sum = 0;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.stats), &k, vals), 0);
	for (int c = 0; c < fx->ncpu; c++)
		sum += vals[c];
	return sum;
}

enum outcome { PASS, PASS_INVALID, PASS_MALFORMED, MATCH, MATCH_ERROR };

static const char *const outcome_names[] = { "pass", "pass as invalid", "pass as malformed",
					     "match", "match as error" };

/*
 * Runs f from a clean state and checks its verdict, its counters, that a passed frame is
 * untouched and that only a match writes a slot. Returns false after saying why.
 */
static bool expect(const struct fixture *fx, const struct frame *f, enum outcome o,
		   const char *what)
{
	__u8 out[FRAME_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	__u64 want[EM_CNT_MAX] = { 0 };
	bool ok = true, match = o == MATCH || o == MATCH_ERROR;
	struct em_result res;

	reset(fx);
	if (bpf_prog_test_run_opts(fx->prog_fd, &opts)) {
		print_error("# %s: BPF_PROG_TEST_RUN: %s\n", what, strerror(errno));
		return false;
	}
	if (opts.retval != (match ? XDP_DROP : XDP_PASS)) {
		print_error("# %s: verdict %u, want %s\n", what, opts.retval, outcome_names[o]);
		ok = false;
	}
	if (!match && (opts.data_size_out != f->len || memcmp(out, f->buf, f->len))) {
		print_error("# %s: the frame was changed\n", what);
		ok = false;
	}
	want[EM_CNT_SEEN] = 1;
	want[match ? EM_CNT_MATCHED : EM_CNT_PASSED] = 1;
	want[EM_CNT_INVALID] = o == PASS_INVALID;
	want[EM_CNT_MALFORMED] = o == PASS_MALFORMED;
	want[EM_CNT_ICMP_ERROR] = o == MATCH_ERROR;
	for (__u32 k = 0; k < EM_CNT_MAX; k++) {
		__u64 got = counter(fx, k);

		if (got != want[k]) {
			print_error("# %s: counter %u is %llu, want %llu (%s)\n", what, k,
				    (unsigned long long)got, (unsigned long long)want[k],
				    outcome_names[o]);
			ok = false;
		}
	}
	for (__u32 i = 0; !match && i < N_TARGETS; i++) {
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.results), &i, &res),
				 0);
		if (res.replies || res.rounds_seen || res.dups) {
			print_error("# %s: slot %u written\n", what, i);
			ok = false;
		}
	}
	return ok;
}

/* The slot and from6 entry of index after a match. */
static bool expect_slot(const struct fixture *fx, __u32 index, __u8 status, __u8 type, __u8 code,
			const __u8 *from, const char *what)
{
	struct em_result res;
	struct em_addr6 a;
	bool ok = true;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.results), &index, &res), 0);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.from6_addrs), &index, &a),
			 0);
	/* Echo replies and errors have fields of their own (the reply policy). */
	if (status == EM_ST_ECHOREPLY &&
	    (res.replies != 1 || res.errors || res.ttl != HOP_LIMIT || res.from != 0 ||
	     type != 129 || code != 0 || res.rtt_first_ns < DELTA_NS)) {
		print_error("# %s: slot %u: replies %u errors %u ttl %u from %x rtt %u ns\n", what,
			    index, res.replies, res.errors, res.ttl, res.from, res.rtt_first_ns);
		ok = false;
	}
	if (status != EM_ST_ECHOREPLY &&
	    (res.errors != 1 || res.replies || res.err_status != status || res.err_type != type ||
	     res.err_code != code || res.err_ttl != HOP_LIMIT || res.err_from != 0 ||
	     res.err_rtt_ns < DELTA_NS)) {
		print_error("# %s: slot %u: errors %u replies %u status %u type %u code %u ttl %u "
			    "from %x rtt %u ns\n",
			    what, index, res.errors, res.replies, res.err_status, res.err_type,
			    res.err_code, res.err_ttl, res.err_from, res.err_rtt_ns);
		ok = false;
	}
	if (memcmp(a.a, from, 16)) {
		print_error("# %s: from6 is not the expected address\n", what);
		ok = false;
	}
	return ok;
}

static struct probe6 probe_now(const struct fixture *fx, __u32 index)
{
	struct probe6 pr = {
		.key = fx->key,
		.target = TARGET,
		.tx_ns = mono_ns() - DELTA_NS,
		.index = index,
		.round = 3,
	};

	return pr;
}

static const __u8 kinds[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
			      IPPROTO_FRAGMENT };

/* Every chain of n headers over the four kinds, numbered 0 .. 4^n - 1. */
static struct chain chain_of(int n, unsigned int code)
{
	struct chain c = { .n = n };

	for (int i = 0; i < n; i++, code /= 4)
		c.kind[i] = kinds[code % 4];
	return c;
}

static void test_replies(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct frame f;
	char what[96];
	bool ok = true;
	int cases = 0;

	for (int n = 0; n <= MAX_EXT + 1; n++) {
		for (unsigned int code = 0; code < (1U << (2 * n)); code++) {
			struct chain c = chain_of(n, code);
			struct probe6 pr = probe_now(fx, code % N_TARGETS);

			frame_reply(&f, &pr, &c);
			snprintf(what, sizeof(what), "echo reply, %d extension headers (%u)", n,
				 code);
			if (n <= MAX_EXT) {
				ok &= expect(fx, &f, MATCH, what);
				ok &= expect_slot(fx, pr.index, EM_ST_ECHOREPLY, 129, 0, TARGET,
						  what);
			} else {
				ok &= expect(fx, &f, PASS, what);
			}
			cases++;
		}
	}
	print_message("# %d echo replies\n", cases);
	assert_true(ok);
}

static void test_errors(void **state)
{
	static const struct {
		__u8 type, code, status;
	} errs[] = {
		{ 1, 0, EM_ST_UNREACH }, { 1, 4, EM_ST_UNREACH }, { 2, 0, EM_ST_UNREACH },
		{ 3, 0, EM_ST_TIMXCEED }, { 3, 1, EM_ST_TIMXCEED },
	};
	struct fixture *fx = need_bpf(state);
	struct chain none = { .n = 0 };
	struct frame f;
	char what[96];
	bool ok = true;

	for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
		for (int n = 0; n <= MAX_EXT + 1; n++) {
			for (unsigned int code = 0; code < (1U << (2 * n)); code++) {
				struct chain c = chain_of(n, code);
				struct probe6 pr = probe_now(fx, 1);
				bool in = n <= MAX_EXT;

				/* The chain in the quote, then in the router's own header. */
				frame_error(&f, &pr, errs[e].type, errs[e].code, &none, &c);
				snprintf(what, sizeof(what), "error %u/%u, %d quoted headers (%u)",
					 errs[e].type, errs[e].code, n, code);
				ok &= expect(fx, &f, in ? MATCH_ERROR : PASS, what);
				if (in)
					ok &= expect_slot(fx, 1, errs[e].status, errs[e].type,
							  errs[e].code, ROUTER, what);
				frame_error(&f, &pr, errs[e].type, errs[e].code, &c, &none);
				snprintf(what, sizeof(what), "error %u/%u, %d outer headers (%u)",
					 errs[e].type, errs[e].code, n, code);
				ok &= expect(fx, &f, in ? MATCH_ERROR : PASS, what);
			}
		}
	}
	assert_true(ok);
}

/* Every cut of a reply and of an error: never a match; malformed once the header lies. */
static void test_truncated(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct chain c = { .kind = { IPPROTO_HOPOPTS, IPPROTO_FRAGMENT }, .n = 2 };
	struct probe6 pr = probe_now(fx, 2);
	struct frame whole, f;
	char what[96];
	bool ok = true;

	for (int kind = 0; kind < 2; kind++) {
		if (kind)
			frame_error(&whole, &pr, 3, 0, &c, &c);
		else
			frame_reply(&whole, &pr, &c);
		/* BPF_PROG_TEST_RUN takes no frame shorter than Ethernet's header. */
		for (__u32 len = ETH_HLEN; len < whole.len; len++) {
			f = whole;
			f.len = len;
			snprintf(what, sizeof(what), "%s cut to %u of %u bytes",
				 kind ? "error" : "reply", len, whole.len);
			/* payload_len now claims more than the frame has. */
			ok &= expect(fx, &f, PASS_MALFORMED, what);
			/* The same cut with payload_len telling the truth: not ours, not bad. */
			if (len >= 14 + sizeof(struct w_ip6)) {
				__u16 pl = htons(len - 14 - sizeof(struct w_ip6));

				memcpy(f.buf + 14 + offsetof(struct w_ip6, payload_len), &pl, 2);
				snprintf(what, sizeof(what), "%s cut to %u of %u bytes, consistent",
					 kind ? "error" : "reply", len, whole.len);
				ok &= expect(fx, &f, PASS, what);
			}
		}
	}
	/* Ethernet padding after the datagram is allowed. */
	frame_reply(&f, &pr, &c);
	f.len += 18;
	ok &= expect(fx, &f, MATCH, "reply with 18 bytes of padding");
	assert_true(ok);
}

static void test_forged(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct chain none = { .n = 0 };
	struct probe6 pr = probe_now(fx, 4);
	__u64 other_key[2] = { fx->key[0] ^ 1, fx->key[1] };
	struct frame f;
	bool ok = true;

	/* A genuine probe's reply replayed from another address: the cookie covers the target. */
	frame_reply(&f, &pr, &none);
	memcpy(f.buf + 14 + offsetof(struct w_ip6, saddr), OTHER, 16);
	ok &= expect(fx, &f, PASS_INVALID, "reply replayed from another address");
	/* A router quoting a probe to another target, with this one's payload. */
	frame_error(&f, &pr, 3, 0, &none, &none);
	memcpy(f.buf + 14 + 40 + 8 + offsetof(struct w_ip6, daddr), OTHER, 16);
	ok &= expect(fx, &f, PASS_INVALID, "error quoting a probe to another target");
	pr.key = other_key;
	frame_reply(&f, &pr, &none);
	ok &= expect(fx, &f, PASS_INVALID, "reply under another key");
	pr.key = fx->key;
	for (__u32 b = 0; b < sizeof(struct em_payload) * 8; b++) {
		char what[64];

		frame_reply(&f, &pr, &none);
		f.buf[f.pl + b / 8] ^= 1 << (b % 8);
		snprintf(what, sizeof(what), "payload bit %u flipped", b);
		ok &= expect(fx, &f, PASS_INVALID, what);
	}
	for (__u32 b = 0; b < 32; b++) {
		char what[64];

		frame_reply(&f, &pr, &none);
		f.buf[f.pl - 4 + b / 8] ^= 1 << (b % 8);
		snprintf(what, sizeof(what), "id/seq bit %u flipped", b);
		ok &= expect(fx, &f, PASS_INVALID, what);
	}
	/* Valid, but an index the run does not have. */
	pr.index = N_TARGETS;
	frame_reply(&f, &pr, &none);
	ok &= expect(fx, &f, PASS_MALFORMED, "index out of range");
	assert_true(ok);
}

/* Neighbour discovery, echo requests, other traffic: to the stack byte for byte. */
static void test_not_ours(void **state)
{
	static const __u8 types[] = { 133, 134, 135, 136, 137, 128, 4, 143 };
	struct fixture *fx = need_bpf(state);
	struct chain none = { .n = 0 };
	struct chain frag = { .kind = { IPPROTO_FRAGMENT }, .n = 1 };
	struct probe6 pr = probe_now(fx, 5);
	struct frame f;
	char what[64];
	bool ok = true;

	for (size_t i = 0; i < sizeof(types); i++) {
		frame_reply(&f, &pr, &none);
		f.buf[14 + 40] = types[i];
		snprintf(what, sizeof(what), "ICMPv6 type %u", types[i]);
		ok &= expect(fx, &f, PASS, what);
	}
	/* A neighbour solicitation as the kernel sends it: to a solicited-node group, hop 255. */
	frame_reply(&f, &pr, &none);
	f.buf[14 + 40] = 135;
	f.buf[14 + 7] = 255;
	memcpy(f.buf + 14 + 24, (const __u8[16]){ 0xff, 2, [11] = 1, 0xff, 0, 0, 7 }, 16);
	ok &= expect(fx, &f, PASS, "neighbour solicitation to ff02::1:ff00:7");
	frame_reply(&f, &pr, &none);
	memcpy(f.buf + 14 + 24, OTHER, 16);
	ok &= expect(fx, &f, PASS, "reply to another address");
	frame_reply(&f, &pr, &none);
	f.buf[14 + 6] = IPPROTO_UDP;
	ok &= expect(fx, &f, PASS, "UDP");
	/* Fragments other than an atomic one: offset set, or more to come. */
	frame_reply(&f, &pr, &frag);
	f.buf[14 + 40 + 3] = 1;
	ok &= expect(fx, &f, PASS, "first fragment of several");
	frame_reply(&f, &pr, &frag);
	f.buf[14 + 40 + 2] = 0x01;
	ok &= expect(fx, &f, PASS, "fragment at offset 32");
	/* A quote of a fragment other than the first has no ICMPv6 header of ours. */
	frame_error(&f, &pr, 3, 1, &none, &frag);
	f.buf[14 + 40 + 8 + 40 + 2] = 0x01;
	ok &= expect(fx, &f, PASS, "error quoting a later fragment");
	frame_reply(&f, &pr, &none);
	f.buf[14] = 0x40;
	ok &= expect(fx, &f, PASS_MALFORMED, "version 4 under the IPv6 EtherType");
	assert_true(ok);
}

/*
 * user/tx/frame6.c's probe, answered as a host answers it (addresses swapped, type 129) and as
 * a router quotes it: the sender's cookie is the matcher's.
 */
static void test_builder_probe(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct frame6_tmpl t = { .hop_limit = 1, .payload_len = EM_PAYLOAD_LEN + 16 };
	struct em_payload pl = { .tx_ns = mono_ns() - DELTA_NS, .index = 6, .round = 9 };
	__u8 probe[256];
	struct frame f = { .len = 0 };
	__u32 d[4];
	size_t len;
	bool ok = true;

	memcpy(t.saddr, US, 16);
	memcpy(d, TARGET, 16);
	pl.mac = em_cookie6(fx->key[0], fx->key[1], d, pl.tx_ns, pl.index, pl.round);
	len = frame6_build(probe, sizeof(probe), &t, TARGET, &pl);
	assert_int_not_equal(len, 0);

	memcpy(f.buf, probe, len);
	memcpy(f.buf + 14 + 8, TARGET, 16);
	memcpy(f.buf + 14 + 24, US, 16);
	f.buf[14 + 7] = HOP_LIMIT;
	f.buf[EM_OFF6_ICMP] = 129;
	f.len = len;
	ok &= expect(fx, &f, MATCH, "echo reply to frame6_build's probe");
	ok &= expect_slot(fx, 6, EM_ST_ECHOREPLY, 129, 0, TARGET, "echo reply to frame6_build's probe");

	memset(&f, 0, sizeof(f));
	memcpy(f.buf, probe, 14);
	put_ip6(&f, 14, ROUTER, US, HOP_LIMIT, IPPROTO_ICMPV6, 8 + len - 14);
	f.buf[14 + 40] = 3;
	memcpy(f.buf + 14 + 40 + 8, probe + 14, len - 14);
	f.len = 14 + 40 + 8 + len - 14;
	ok &= expect(fx, &f, MATCH_ERROR, "time exceeded quoting frame6_build's probe");
	ok &= expect_slot(fx, 6, EM_ST_TIMXCEED, 3, 0, ROUTER, "time exceeded quoting it");
	assert_true(ok);
}

/* Watch mode: payload rounds [first, first + count) are in progress, as user space sets them. */
static void set_round(const struct fixture *fx, __u32 first, __u32 count)
{
	fx->skel->bss->watch_round.first = first;
	fx->skel->bss->watch_round.count = count;
}

/* Runs an echo reply (type 129) or a time exceeded (3) to a probe to target, sent delta_ns ago. */
static __u32 fire6(const struct fixture *fx, const __u8 *target, __u32 index, __u32 round,
		   __u64 delta_ns, __u8 type, __u64 *rtt_lo, __u64 *rtt_hi)
{
	struct probe6 pr = { .key = fx->key, .target = target, .index = index, .round = round };
	struct chain none = { .n = 0 };
	__u8 out[FRAME_MAX + 256];
	struct frame f;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_out = out, .data_size_out = sizeof(out),
		    .repeat = 1);

	pr.tx_ns = mono_ns() - delta_ns;
	if (type == 129)
		frame_reply(&f, &pr, &none);
	else
		frame_error(&f, &pr, type, 0, &none, &none);
	opts.data_in = f.buf;
	opts.data_size_in = f.len;
	assert_int_equal(bpf_prog_test_run_opts(fx->prog_fd, &opts), 0);
	if (rtt_lo)
		*rtt_lo = delta_ns;
	if (rtt_hi)
		*rtt_hi = mono_ns() - pr.tx_ns;
	return opts.retval;
}

static __u32 hist_total(const volatile struct em_series *s)
{
	__u32 n = 0;

	for (__u32 b = 0; b < EM_HIST_BUCKETS; b++)
		n += s->buckets[b];
	return n;
}

/* An ICMPv6 echo reply in time: its series' bucket, sum, hop limit; the slot and from6 too. */
static void test_watch_in_time(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[3];
	__u64 lo, hi;
	__u32 b;

	set_round(fx, 40, 1);
	assert_int_equal(fire6(fx, TARGET, 3, 40, DELTA_NS, 129, &lo, &hi), XDP_DROP);
	assert_int_equal(s->replies, 1);
	assert_int_equal(s->late + s->dups + s->errors, 0);
	assert_int_equal(s->ttl, HOP_LIMIT);
	assert_in_range(s->sum_ns, lo, hi);
	assert_int_equal(hist_total(s), 1);
	for (b = 0; !s->buckets[b]; b++)
		;
	assert_in_range(b, em_hist_bucket(lo), em_hist_bucket(hi));
	assert_true(expect_slot(fx, 3, EM_ST_ECHOREPLY, 129, 0, TARGET, "watch: reply in time"));
	for (__u32 i = 0; i < fx->n_series; i++)
		if (i != 3)
			assert_int_equal(fx->series[i].replies + hist_total(&fx->series[i]), 0);
}

/* Of a closed round, or slower than the timeout: late, and nothing else, as for IPv4. */
static void test_watch_late(void **state)
{
	static const __u32 rounds[] = { 39, 42, 0xffffffff };
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[5];

	set_round(fx, 40, 2);
	for (size_t i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++)
		assert_int_equal(fire6(fx, TARGET, 5, rounds[i], DELTA_NS, 129, NULL, NULL),
				 XDP_DROP);
	assert_int_equal(fire6(fx, TARGET, 5, 41, TIMEOUT_NS + DELTA_NS, 129, NULL, NULL),
			 XDP_DROP);
	assert_int_equal(s->late, 4);
	assert_int_equal(s->replies + s->dups + s->errors + hist_total(s), 0);
	assert_int_equal(s->sum_ns, 0);
	assert_int_equal(counter(fx, EM_CNT_MATCHED), 4);
	/* Just in time still counts. */
	assert_int_equal(fire6(fx, TARGET, 5, 41, TIMEOUT_NS - DELTA_NS, 129, NULL, NULL),
			 XDP_DROP);
	assert_int_equal(s->replies, 1);
	assert_int_equal(s->late, 4);
}

/* --probes 2: each payload round answered once, then again: a duplicate; an error apart. */
static void test_watch_duplicates_errors(void **state)
{
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[2];

	set_round(fx, 10, 2);
	assert_int_equal(fire6(fx, TARGET, 2, 10, DELTA_NS, 129, NULL, NULL), XDP_DROP);
	assert_int_equal(fire6(fx, TARGET, 2, 11, DELTA_NS, 129, NULL, NULL), XDP_DROP);
	assert_int_equal(fire6(fx, TARGET, 2, 11, DELTA_NS, 129, NULL, NULL), XDP_DROP);
	assert_int_equal(s->replies, 2);
	assert_int_equal(s->dups, 1);
	assert_int_equal(hist_total(s), 2);
	assert_int_equal(counter(fx, EM_CNT_DUPLICATE), 1);
	assert_int_equal(fire6(fx, TARGET, 2, 10, DELTA_NS, 3, NULL, NULL), XDP_DROP);
	assert_int_equal(s->errors, 1);
	assert_int_equal(s->replies, 2);
	assert_int_equal(counter(fx, EM_CNT_ICMP_ERROR), 1);
}

/* With /64 aggregation two targets of one /64 share its series; an unmapped /64 is malformed. */
static void test_watch_aggregate(void **state)
{
	static const __u8 second[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [14] = 0xab, [15] = 0xcd };
	static const __u8 unmapped[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x07 };
	struct fixture *fx = need_bpf(state);
	const volatile struct em_series *s = &fx->series[TARGET_SERIES];

	set_round(fx, 0, 1);
	assert_int_equal(fire6(fx, TARGET, 3, 0, DELTA_NS, 129, NULL, NULL), XDP_DROP);
	assert_int_equal(fire6(fx, second, 4, 0, DELTA_NS, 129, NULL, NULL), XDP_DROP);
	assert_int_equal(s->replies, 2);
	assert_int_equal(hist_total(s), 2);
	assert_int_equal(fx->series[0].replies + hist_total(&fx->series[0]), 0);
	assert_int_equal(fire6(fx, unmapped, 5, 0, DELTA_NS, 129, NULL, NULL), XDP_PASS);
	assert_int_equal(counter(fx, EM_CNT_MALFORMED), 1);
	assert_int_equal(s->replies + fx->series[0].replies, 2);
}

static __u32 run(const struct fixture *fx, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf, .data_size_in = f->len,
		    .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(fx->prog_fd, &opts), 0);
	return opts.retval;
}

struct got6 {
	struct em_event6 ev[4];
	size_t size[4];
	int n;
};

static int on_event6(void *ctx, void *data, size_t size)
{
	struct got6 *g = ctx;

	if (g->n < 4) {
		memcpy(&g->ev[g->n], data, size < sizeof(g->ev[0]) ? size : sizeof(g->ev[0]));
		g->size[g->n++] = size;
	}
	return 0;
}

/*
 * Stream mode: an ICMPv6 echo reply and a router's error become em_event6 events with their
 * sources; a second echo reply is a repeat; a forged one no event at all.
 */
static void test_stream(void **state)
{
	struct fixture *fx = need_bpf(state);
	struct ring_buffer *rb;
	struct got6 got = { .n = 0 };
	struct probe6 pr = probe_now(fx, 6);
	struct chain none = { .n = 0 };
	struct frame f;

	rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event6, &got, NULL);
	assert_non_null(rb);
	reset(fx);
	frame_error(&f, &pr, 3, 0, &none, &none);
	assert_int_equal(run(fx, &f), XDP_DROP);
	frame_reply(&f, &pr, &none);
	assert_int_equal(run(fx, &f), XDP_DROP);
	assert_int_equal(run(fx, &f), XDP_DROP);
	f.buf[f.pl + 20] ^= 1; /* the mac's last byte: forged */
	assert_int_equal(run(fx, &f), XDP_PASS);
	assert_int_equal(counter(fx, EM_CNT_MATCHED), 3);
	assert_int_equal(counter(fx, EM_CNT_DUPLICATE), 1);
	assert_int_equal(counter(fx, EM_CNT_ICMP_ERROR), 1);
	assert_int_equal(counter(fx, EM_CNT_INVALID), 1);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	assert_int_equal(got.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(got.size[i], sizeof(struct em_event6));
		assert_int_equal(got.ev[i].ev.index, 6);
		assert_int_equal(got.ev[i].ev.from, 0);
		assert_int_equal(got.ev[i].ev.ttl, HOP_LIMIT);
		assert_in_range(got.ev[i].ev.rtt_ns, DELTA_NS, DELTA_NS + 1000000000ULL);
	}
	assert_int_equal(got.ev[0].ev.status, EM_ST_TIMXCEED);
	assert_memory_equal(got.ev[0].from6, ROUTER, 16);
	assert_int_equal(got.ev[1].ev.status, EM_ST_ECHOREPLY);
	assert_int_equal(got.ev[1].ev.icmp_type, 129);
	assert_false(got.ev[1].ev.duplicate);
	assert_memory_equal(got.ev[1].from6, TARGET, 16);
	assert_true(got.ev[2].ev.duplicate);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_builder_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup_stream, teardown),
		cmocka_unit_test_setup_teardown(test_watch_in_time, setup_watch, teardown),
		cmocka_unit_test_setup_teardown(test_watch_late, setup_watch, teardown),
		cmocka_unit_test_setup_teardown(test_watch_duplicates_errors, setup_watch, teardown),
		cmocka_unit_test_setup_teardown(test_watch_aggregate, setup_watch_agg, teardown),
	};

	libbpf_set_print(print_libbpf);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
