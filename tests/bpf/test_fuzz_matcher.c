// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzes the reply matcher (bpf/echomap.bpf.c) through BPF_PROG_TEST_RUN, one frame per run:
 * random bytes, genuine echo replies and ICMP errors quoting our probes, and mutations of them
 * (bit flips, byte and length-field changes, truncations, extensions, VLAN tags inserted or
 * removed, IPv4 option bytes inserted). On every frame:
 *   - nothing is recorded (result slot, watch series, counters of matches) unless the frame
 *     holds a payload whose cookie is valid for that slot: mac = SipHash(key, the slot's target,
 *     tx_ns, index, round) with index the slot;
 *   - a frame that holds no such payload passes (XDP_PASS) byte for byte unchanged, and any
 *     frame the matcher passes is unchanged;
 *   - the verdict is XDP_PASS or XDP_DROP, and every unmutated genuine reply is dropped and
 *     recorded (else the fuzzer would be testing nothing).
 * Which counter a rejected frame lands in (invalid, malformed) is not checked here.
 *
 * FUZZ_FRAMES (default 240000) frames, half in sweep mode, half in watch mode; FUZZ_SEED
 * (default random) seeds everything, key included: the seed printed reproduces a run.
 * Loading BPF needs root; without it the tests are skipped.
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
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tx/cookie.h"
#include "echomap_abi.h"
#include "echomap.skel.h"
#include "bpf_test.h"
#include "frames.h"

#define N_TARGETS 64
#define POOL	  512	/* probes whose replies and errors the frames carry */
#define HASH_BITS 12	/* open-addressing table of the pool's macs */
#define CHECK_EVERY 4096 /* frames between two reads of the per-CPU counters */
/*
 * Of a watch series, the counters are compared frame by frame, not the histogram behind them:
 * every write adds to one of them, and the whole array is 100 KiB a frame (slow in a VM).
 */
#define SERIES_HEAD offsetof(struct em_series, buckets)

/* 192.0.2.1 (us), 198.18.0.0 + index (the targets), 192.0.2.254 (a router) */
#define US	htonl(0xc0000201)
#define TARGET0 0xc6120000U
#define ROUTER	htonl(0xc00002fe)

static __u64 rng;

/* splitmix64: one 64-bit state, every value of it a good seed. */
static __u64 rnd(void)
{
	__u64 z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 below(__u32 n)
{
	return (__u32)(rnd() % n);
}

static bool chance(__u32 percent)
{
	return below(100) < percent;
}

struct fixture {
	struct echomap_bpf *skel;
	int prog_fd;
	bool watch;
	struct em_result *res;
	size_t res_len;
	struct em_series *series;
	size_t series_len;
	__u64 key[2];
	int ncpu;
	struct probe pool[POOL];
	__u32 hash[1 << HASH_BITS]; /* pool index + 1, 0 empty */
};

static __u32 target_of(__u32 index)
{
	return htonl(TARGET0 + index);
}

static __u32 mac_hash(__u64 mac)
{
	return (__u32)((mac * 0x9e3779b97f4a7c15ULL) >> (64 - HASH_BITS));
}

/*
 * The probes the frames are built from: most to a target of the set, some with an index just
 * past it or far out (their cookie is valid, but there is no such slot).
 */
static void pool_fill(struct fixture *fx)
{
	memset(fx->hash, 0, sizeof(fx->hash));
	for (__u32 i = 0; i < POOL; i++) {
		struct probe *pr = &fx->pool[i];
		__u32 index = chance(90) ? below(N_TARGETS) : chance(50) ? N_TARGETS + below(4) : (__u32)rnd();
		__u64 mac;
		__u32 h;

		*pr = (struct probe){
			.key = { fx->key[0], fx->key[1] },
			.us = US,
			.target = index < N_TARGETS ? target_of(index) : (__u32)rnd(),
			.tx_ns = 1 + below(1000000),
			.index = index,
			.round = chance(80) ? below(40) : (__u32)rnd(),
		};
		mac = em_cookie(fx->key[0], fx->key[1], pr->target, pr->tx_ns, pr->index, pr->round);
		for (h = mac_hash(mac); fx->hash[h]; h = (h + 1) & ((1 << HASH_BITS) - 1))
			;
		fx->hash[h] = i + 1;
	}
}

/*
 * The oracle: the slots for which the frame holds a payload with a valid cookie, as a mask. A
 * payload anywhere counts, so the oracle never depends on how the frame parses. A mac that is
 * not one of the pool's is taken as invalid: another valid one would be a SipHash forgery.
 */
static __u64 valid_slots(const struct fixture *fx, const __u8 *buf, __u32 len)
{
	struct em_payload pl;
	__u64 mask = 0;

	for (__u32 o = 0; o + sizeof(pl) <= len; o++) {
		memcpy(&pl.mac, buf + o + offsetof(struct em_payload, mac), sizeof(pl.mac));
		for (__u32 h = mac_hash(pl.mac); fx->hash[h]; h = (h + 1) & ((1 << HASH_BITS) - 1)) {
			const struct probe *pr = &fx->pool[fx->hash[h] - 1];

			memcpy(&pl, buf + o, sizeof(pl));
			if (pl.index >= N_TARGETS || pl.index != pr->index || pl.tx_ns != pr->tx_ns ||
			    pl.round != pr->round)
				continue;
			if (em_cookie(fx->key[0], fx->key[1], target_of(pl.index), pl.tx_ns, pl.index, pl.round) ==
			    pl.mac)
				mask |= 1ULL << pl.index;
		}
	}
	return mask;
}

/* A genuine frame: a probe's echo reply or a router's error about it. Returns whether the
 * matcher must record it. */
static bool build_genuine(const struct fixture *fx, struct frame *f)
{
	static const __u8 error_types[] = { EM_ICMP_DEST_UNREACH, EM_ICMP_TIME_EXCEEDED, EM_ICMP_DEST_UNREACH,
					    EM_ICMP_TIME_EXCEEDED, ICMP_SOURCE_QUENCH, ICMP_REDIRECT,
					    ICMP_PARAMETERPROB };
	static const __u16 tpids[] = { ETH_P_8021Q, ETH_P_8021AD };
	struct probe pr = fx->pool[below(POOL)];
	struct shape s = {
		.vlan_tpid = chance(20) ? tpids[below(2)] : 0,
		.ip_opts = chance(30) ? below(11) : 0,
		.qip_opts = chance(20) ? below(11) : 0,
		.ttl = 1 + below(255),
		.extra = chance(50) ? below(65) : 0,
		.trailer = chance(30) ? below(47) : 0,
	};
	__u32 probe_len = sizeof(struct w_icmp) + sizeof(struct em_payload) + s.extra;
	__u32 qhlen = sizeof(struct iphdr) + 4 * s.qip_opts;
	__u8 type;

	if (chance(5))
		pr.key[1] ^= 1ULL << below(64); /* someone else's cookie */
	if (chance(50)) {
		frame_echo(f, &pr, chance(95) ? EM_ICMP_ECHOREPLY : below(256), &s);
		type = f->buf[f->icmp];
		return type == EM_ICMP_ECHOREPLY && pr.key[1] == fx->key[1] && pr.index < N_TARGETS;
	}
	type = error_types[below(sizeof(error_types))];
	/* RFC 792 routers quote 8 bytes, RFC 1812 ones as much as fits. */
	if (chance(20))
		s.quote = qhlen + below(probe_len + 1);
	frame_error(f, &pr, ROUTER, type, below(16), &s);
	return (type == EM_ICMP_DEST_UNREACH || type == EM_ICMP_TIME_EXCEEDED) &&
	       pr.key[1] == fx->key[1] && pr.index < N_TARGETS &&
	       (!s.quote || s.quote >= qhlen + sizeof(struct w_icmp) + sizeof(struct em_payload));
}

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* n bytes of room at off, shifting the rest of the frame (what falls off FRAME_MAX is lost). */
static bool make_room(struct frame *f, __u32 off, __u32 n)
{
	if (off > f->len || f->len + n > FRAME_MAX)
		return false;
	memmove(f->buf + off + n, f->buf + off, f->len - off);
	f->len += n;
	return true;
}

/* A value a length field may be tested with: edges, near the truth, or anything. */
static __u16 length_value(const struct frame *f, __u32 hdr)
{
	switch (below(6)) {
	case 0:
		return below(2) ? 0 : 0xffff;
	case 1:
		return 19 + below(3);
	case 2:
		return f->len - hdr + below(3) - 1;
	case 3:
		return f->len - hdr - below(40);
	default:
		return (__u16)rnd();
	}
}

/* One mutation, of the kind a broken or hostile sender makes. */
static void mutate(struct frame *f)
{
	static const __u8 option_bytes[] = { 0, 1, 7, 0x44, 0x82, 0x94, 0xff };
	__u32 hdr = below(2) ? f->ip : f->qip ?: f->ip;
	__u32 at, n;

	switch (below(10)) {
	case 0: /* bit flips */
		for (n = 1 + below(4); n--;)
			f->buf[below(f->len)] ^= 1 << below(8);
		break;
	case 1: /* a byte anywhere */
		f->buf[below(f->len)] = (__u8)rnd();
		break;
	case 2: /* a byte of a header the matcher reads: version/ihl, frag_off, protocol, type */
		at = hdr + (__u32[]){ 0, 0, 6, 7, 9 }[below(5)];
		if (at < f->len)
			f->buf[at] = below(2) ? (__u8)rnd() : f->buf[at] ^ (1 << below(8));
		break;
	case 3: /* tot_len */
		if (hdr + 4 <= f->len)
			put_be16(f->buf + hdr + 2, length_value(f, hdr));
		break;
	case 4: /* ihl */
		if (hdr < f->len)
			f->buf[hdr] = (f->buf[hdr] & 0xf0) | below(16);
		break;
	case 5: /* truncation, at least the Ethernet header BPF_PROG_RUN requires */
		f->len = ETH_HLEN + below(f->len - ETH_HLEN + 1);
		break;
	case 6: /* bytes appended */
		n = below(FRAME_MAX - f->len + 1);
		for (__u32 i = 0; i < n && f->len < FRAME_MAX; i++)
			f->buf[f->len++] = chance(50) ? 0 : (__u8)rnd();
		break;
	case 7: /* a VLAN tag inserted after the addresses: one more, or a first */
		if (make_room(f, 2 * ETH_ALEN, 4)) {
			put_be16(f->buf + 2 * ETH_ALEN, below(2) ? ETH_P_8021Q : ETH_P_8021AD);
			put_be16(f->buf + 2 * ETH_ALEN + 2, below(4096));
		}
		break;
	case 8: /* four bytes after the addresses removed: a tag, or the EtherType, gone */
		if (f->len >= 2 * ETH_ALEN + 4 + ETH_HLEN) {
			memmove(f->buf + 2 * ETH_ALEN, f->buf + 2 * ETH_ALEN + 4,
				f->len - 2 * ETH_ALEN - 4);
			f->len -= 4;
		}
		break;
	default: /* IPv4 option bytes inserted after a header's fixed part, ihl and tot_len or not */
		n = 4 * (1 + below(4));
		if (hdr + sizeof(struct iphdr) > f->len ||
		    !make_room(f, hdr + sizeof(struct iphdr), n))
			break;
		for (__u32 i = 0; i < n; i++)
			f->buf[hdr + sizeof(struct iphdr) + i] =
				option_bytes[below(sizeof(option_bytes))];
		if (chance(70))
			f->buf[hdr] = (f->buf[hdr] & 0xf0) | ((f->buf[hdr] + n / 4) & 0xf);
		if (chance(70))
			put_be16(f->buf + hdr + 2,
				 ((f->buf[hdr + 2] << 8) | f->buf[hdr + 3]) + n);
		break;
	}
}

/* Random bytes, often made to look like IPv4/ICMP to us so that they get past the first checks. */
static void build_random(struct frame *f)
{
	static const __u8 types[] = { EM_ICMP_ECHOREPLY, EM_ICMP_DEST_UNREACH, EM_ICMP_TIME_EXCEEDED };
	__u32 ip = ETH_HLEN;

	memset(f, 0, sizeof(*f));
	f->len = ETH_HLEN + below(FRAME_MAX - ETH_HLEN + 1);
	for (__u32 i = 0; i < f->len; i++)
		f->buf[i] = chance(30) ? 0 : (__u8)rnd();
	f->ip = f->icmp = ip;
	if (chance(30) || f->len < ip + sizeof(struct iphdr) + sizeof(struct w_icmp))
		return;
	put_be16(f->buf + 2 * ETH_ALEN, ETH_P_IP);
	f->buf[ip] = 0x45;
	put_be16(f->buf + ip + 2, chance(50) ? f->len - ip : length_value(f, ip));
	f->buf[ip + 6] = 0;
	f->buf[ip + 9] = IPPROTO_ICMP;
	memcpy(f->buf + ip + 16, &(__u32){ US }, 4);
	f->buf[ip + 20] = types[below(sizeof(types))];
	f->icmp = ip + 20;
}

struct tally {
	__u64 frames, dropped, passed, genuine, genuine_matched, mutated_matched, recorded;
	__u64 verdicts_drop, verdicts_pass; /* since the last counter check */
	__u64 cnt[EM_CNT_MAX];		    /* counters at the last check */
};

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

static void dump_frame(const struct frame *f)
{
	for (__u32 i = 0; i < f->len; i += 16) {
		print_message("# %04x:", i);
		for (__u32 j = i; j < i + 16 && j < f->len; j++)
			print_message(" %02x", f->buf[j]);
		print_message("\n");
	}
}

/* The counters moved as the verdicts since the last check say, and matches only by drops. */
static bool counters_agree(const struct fixture *fx, struct tally *t)
{
	__u64 now[EM_CNT_MAX], d[EM_CNT_MAX];
	bool ok;

	read_counters(fx, now);
	for (int k = 0; k < EM_CNT_MAX; k++)
		d[k] = now[k] - t->cnt[k];
	ok = d[EM_CNT_SEEN] == t->verdicts_drop + t->verdicts_pass &&
	     d[EM_CNT_MATCHED] == t->verdicts_drop && d[EM_CNT_PASSED] == t->verdicts_pass &&
	     d[EM_CNT_DUPLICATE] <= d[EM_CNT_MATCHED] && d[EM_CNT_ICMP_ERROR] <= d[EM_CNT_MATCHED] &&
	     d[EM_CNT_INVALID] + d[EM_CNT_MALFORMED] <= d[EM_CNT_PASSED];
	if (!ok)
		print_error("# counters moved seen +%llu matched +%llu passed +%llu duplicate +%llu "
			    "icmp_error +%llu invalid +%llu malformed +%llu for %llu drops and %llu "
			    "passes\n",
			    (unsigned long long)d[EM_CNT_SEEN], (unsigned long long)d[EM_CNT_MATCHED],
			    (unsigned long long)d[EM_CNT_PASSED],
			    (unsigned long long)d[EM_CNT_DUPLICATE],
			    (unsigned long long)d[EM_CNT_ICMP_ERROR],
			    (unsigned long long)d[EM_CNT_INVALID],
			    (unsigned long long)d[EM_CNT_MALFORMED],
			    (unsigned long long)t->verdicts_drop, (unsigned long long)t->verdicts_pass);
	memcpy(t->cnt, now, sizeof(now));
	t->verdicts_drop = t->verdicts_pass = 0;
	return ok;
}

/* Slots (result, or watch series) written by the last frame that it had no valid cookie for. */
static bool writes_allowed(const struct fixture *fx, const struct em_result *res_before,
			   const struct em_series *series_before, __u64 valid, struct tally *t)
{
	bool ok = true;

	/* Slot N_TARGETS is a spare one past the set: no cookie is ever valid for it. */
	for (__u32 i = 0; i <= N_TARGETS; i++) {
		bool res_changed = memcmp(&res_before[i], &fx->res[i], sizeof(fx->res[i]));
		bool series_changed = fx->series && memcmp(&series_before[i], &fx->series[i],
							   SERIES_HEAD);

		if (!res_changed && !series_changed)
			continue;
		t->recorded++;
		if (i < N_TARGETS && valid >> i & 1)
			continue;
		print_error("# slot %u: %s written without a valid cookie for it\n", i,
			    res_changed ? "result" : "series");
		ok = false;
	}
	return ok;
}

/* One frame through the matcher, every invariant checked. */
static bool run_one(const struct fixture *fx, const struct frame *f, bool must_match,
		    bool mutated, struct tally *t, struct em_result *res_before,
		    struct em_series *series_before)
{
	__u8 out[FRAME_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	__u64 valid = valid_slots(fx, f->buf, f->len);
	bool ok = true;

	memcpy(res_before, fx->res, (N_TARGETS + 1) * sizeof(*res_before));
	for (__u32 i = 0; fx->series && i <= N_TARGETS; i++)
		memcpy(&series_before[i], &fx->series[i], SERIES_HEAD);
	if (bpf_prog_test_run_opts(fx->prog_fd, &opts)) {
		print_error("# BPF_PROG_TEST_RUN of a %u-byte frame: %s\n", f->len,
			    strerror(errno));
		return false;
	}
	t->frames++;
	if (opts.retval == XDP_DROP) {
		t->dropped++;
		t->verdicts_drop++;
		if (!valid) {
			print_error("# dropped a frame without a valid cookie\n");
			ok = false;
		}
		if (mutated)
			t->mutated_matched++;
	} else if (opts.retval == XDP_PASS) {
		t->passed++;
		t->verdicts_pass++;
		if (opts.data_size_out != f->len || memcmp(out, f->buf, f->len)) {
			print_error("# passed a frame changed (%u bytes in, %u out)\n", f->len,
				    opts.data_size_out);
			ok = false;
		}
	} else {
		print_error("# verdict %u, neither XDP_PASS nor XDP_DROP\n", opts.retval);
		ok = false;
	}
	if (must_match) {
		t->genuine++;
		if (opts.retval == XDP_DROP)
			t->genuine_matched++;
		else {
			print_error("# a genuine reply to slot %u was passed\n",
				    __builtin_ctzll(valid | 1ULL << 63));
			ok = false;
		}
	}
	ok &= writes_allowed(fx, res_before, series_before, valid, t);
	return ok;
}

static void fixture_close(struct fixture *fx)
{
	if (fx->series)
		munmap(fx->series, fx->series_len);
	if (fx->res)
		munmap(fx->res, fx->res_len);
	echomap_bpf__destroy(fx->skel);
	free(fx);
}

static void *map_mmap(struct bpf_map *map, size_t len)
{
	void *mem = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);

	return mem == MAP_FAILED ? NULL : mem;
}

static size_t page_round(size_t n)
{
	size_t page = sysconf(_SC_PAGESIZE);

	return (n + page - 1) & ~(page - 1);
}

static char no_bpf[160];

/*
 * The matcher as the loader sets it up, for N_TARGETS targets, with one spare slot past the set
 * (a write to it is a write without a valid cookie). NULL if it cannot be loaded.
 */
static struct fixture *fixture_open(bool watch)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int err;

	assert_non_null(fx);
	fx->watch = watch;
	fx->key[0] = rnd();
	fx->key[1] = rnd();
	fx->ncpu = libbpf_num_possible_cpus();
	assert_true(fx->ncpu > 0);
	pool_fill(fx);
	fx->skel = echomap_bpf__open();
	assert_non_null(fx->skel);
	fx->skel->rodata->cfg.key[0] = fx->key[0];
	fx->skel->rodata->cfg.key[1] = fx->key[1];
	fx->skel->rodata->cfg.saddr = US;
	fx->skel->rodata->cfg.n_targets = N_TARGETS;
	fx->skel->rodata->cfg.flags = watch ? EM_CFG_WATCH : 0;
	/* Every reply in time: the pool's tx_ns are the first ms after boot. */
	fx->skel->rodata->cfg.timeout_ns = ~0ULL;
	bpf_map__set_max_entries(fx->skel->maps.results, N_TARGETS + 1);
	bpf_map__set_max_entries(fx->skel->maps.series, N_TARGETS + 1);
	err = echomap_bpf__load(fx->skel);
	if (err == -EPERM || err == -EACCES) {
		snprintf(no_bpf, sizeof(no_bpf),
			 "loading BPF needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON (run as root): %s",
			 strerror(-err));
		fixture_close(fx);
		return NULL;
	}
	if (err)
		fail_msg("cannot load the matcher: %s", strerror(-err));
	fx->prog_fd = bpf_program__fd(fx->skel->progs.echomap_xdp);
	/* Rounds 0..31 in progress, so that most of the pool's replies are in time. */
	fx->skel->bss->watch_round.first = 0;
	fx->skel->bss->watch_round.count = 32;
	fx->res_len = page_round((N_TARGETS + 1) * sizeof(struct em_result));
	fx->res = map_mmap(fx->skel->maps.results, fx->res_len);
	assert_non_null(fx->res);
	if (watch) {
		fx->series_len = page_round((N_TARGETS + 1) * sizeof(struct em_series));
		fx->series = map_mmap(fx->skel->maps.series, fx->series_len);
		assert_non_null(fx->series);
	}
	return fx;
}

/* A number from the environment, or dflt when unset; false when it is not a number. */
static bool env_u64(const char *name, __u64 dflt, __u64 *out)
{
	const char *v = getenv(name);
	char *end;

	*out = dflt;
	if (!v || !*v)
		return true;
	errno = 0;
	*out = strtoull(v, &end, 0);
	return !errno && !*end;
}

static __u64 seed, frames_total;

static void fuzz(bool watch)
{
	struct em_result res_before[N_TARGETS + 1];
	struct em_series *series_before = calloc(N_TARGETS + 1, sizeof(*series_before));
	__u64 frames = frames_total / 2, t0;
	struct tally t = { 0 };
	struct fixture *fx;
	struct frame f;
	bool ok = true;

	assert_non_null(series_before);
	rng = seed ^ (watch ? 0x77617463680aULL : 0);
	fx = fixture_open(watch);
	if (!fx) {
		free(series_before);
		print_message("# skipped: %s\n", no_bpf);
		skip();
	}
	read_counters(fx, t.cnt);
	t0 = mono_ns();
	for (__u64 i = 0; i < frames && ok; i++) {
		bool must_match = false, mutated = false;
		__u32 kind = below(100);

		if (kind < 15) {
			build_random(&f);
			mutated = true;
		} else {
			must_match = build_genuine(fx, &f);
			if (kind >= 35) {
				for (__u32 n = 1 + (chance(70) ? 0 : below(4)); n--;)
					mutate(&f);
				mutated = true;
				must_match = false;
			}
		}
		ok = run_one(fx, &f, must_match, mutated, &t, res_before, series_before);
		if (ok && (i + 1) % CHECK_EVERY == 0)
			ok = counters_agree(fx, &t);
		if (!ok) {
			print_error("# frame %llu of %s mode with FUZZ_SEED=%#llx broke an invariant:\n",
				    (unsigned long long)i, watch ? "watch" : "sweep",
				    (unsigned long long)seed);
			dump_frame(&f);
		}
	}
	if (ok)
		ok = counters_agree(fx, &t);
	t0 = mono_ns() - t0;
	print_message("# %s mode: %llu frames in %.1f s (%.0f/s): %llu dropped, %llu passed "
		      "unchanged; %llu of %llu genuine and %llu mutated frames recorded; %llu "
		      "slot writes, each with its cookie\n",
		      watch ? "watch" : "sweep", (unsigned long long)t.frames, t0 / 1e9,
		      t.frames / (t0 / 1e9), (unsigned long long)t.dropped,
		      (unsigned long long)t.passed, (unsigned long long)t.genuine_matched,
		      (unsigned long long)t.genuine, (unsigned long long)t.mutated_matched,
		      (unsigned long long)t.recorded);
	fixture_close(fx);
	free(series_before);
	if (!ok)
		fail_msg("an invariant broke (FUZZ_SEED=%#llx reproduces it)",
			 (unsigned long long)seed);
	assert_true(t.genuine_matched > 0 && t.frames == frames);
}

static void test_fuzz_sweep(void **state)
{
	fuzz(false);
}

static void test_fuzz_watch(void **state)
{
	fuzz(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_sweep),
		cmocka_unit_test(test_fuzz_watch),
	};

	libbpf_set_print(print_libbpf);
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = mono_ns();
	if (!env_u64("FUZZ_SEED", seed, &seed) || !env_u64("FUZZ_FRAMES", 240000, &frames_total)) {
		fprintf(stderr, "test_fuzz_matcher: FUZZ_SEED and FUZZ_FRAMES must be numbers\n");
		return 3;
	}
	printf("# FUZZ_SEED=%#llx FUZZ_FRAMES=%llu\n", (unsigned long long)seed,
	       (unsigned long long)frames_total);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
