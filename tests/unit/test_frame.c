// SPDX-License-Identifier: GPL-2.0
/*
 * Probe frames against an independent, byte-wise RFC 1071 checksum and the field layout of
 * include/echomap_abi.h, over many random probes and template sizes.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "echomap_trace.h"
#include "tx/frame.h"

#define ROUNDS	 2000
#define BUF_SIZE 2048

/* xorshift64*: reproducible inputs without touching the libc generator's state. */
static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Deliberately written from the RFC rather than shared with frame.c: big-endian byte pairs. */
static unsigned int ref_sum(const __u8 *p, size_t len)
{
	unsigned long sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (unsigned long)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* A region whose checksum field is filled in sums to 0xffff (RFC 1071 verification). */
static bool csum_ok(const __u8 *p, size_t len)
{
	return ref_sum(p, len) == 0xffff;
}

static unsigned int be16(const __u8 *p)
{
	return p[0] << 8 | p[1];
}

static __u32 be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void random_tmpl(struct frame_tmpl *t, __u16 payload_len)
{
	__u64 r = rnd();

	*t = (struct frame_tmpl){ 0 };
	memcpy(t->src_mac, &r, 6);
	r = rnd();
	memcpy(t->dst_mac, &r, 6);
	t->saddr = rnd();
	/* One in three with -S: 1..256 sources. */
	t->n_saddr = rnd() % 3 ? 0 : 1 + rnd() % 256;
	t->ttl = 1 + rnd() % 255;
	t->payload_len = payload_len;
}

static void random_payload(struct em_payload *pl)
{
	pl->tx_ns = rnd();
	pl->index = rnd();
	pl->round = rnd();
	pl->mac = rnd();
}

static const struct probe_shape no_shape;

/* Every field of a patched IPv4 packet (no Ethernet header) where the ABI puts it, shaped by sh. */
static void check_ip_shaped(const __u8 *ip, size_t len, const struct frame_tmpl *t,
			    const struct probe_shape *sh, __u32 daddr, __u16 ip_id,
			    const struct em_payload *pl)
{
	const __u8 *icmp = ip + EM_IP_LEN, *data = icmp + EM_ICMP_LEN;
	__u32 mac32 = pl->mac & 0xffffffff, saddr;
	__u16 payload_len = sh->payload_len ?: t->payload_len;

	assert_int_equal(len, EM_IP_LEN + EM_ICMP_LEN + payload_len);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], sh->tos);
	assert_int_equal(be16(ip + 2), len);
	assert_int_equal(be16(ip + 4), ip_id);
	assert_int_equal(be16(ip + 6), sh->df ? 0x4000 : 0); /* no fragment offset */
	/* 0: trace, the TTL is the round */
	assert_int_equal(ip[8], sh->ttl ?: t->ttl ?: pl->round & 0xff);
	assert_int_equal(ip[9], 1);
	/* -S FIRST-LAST: target index i from FIRST + i mod n, as the address counts up. */
	saddr = htonl(ntohl(t->saddr) + (t->n_saddr > 1 ? pl->index % t->n_saddr : 0));
	/* A watch group's own source replaces them. */
	saddr = sh->saddr ?: saddr;
	assert_memory_equal(ip + 12, &saddr, 4);
	assert_memory_equal(ip + 16, &daddr, 4);
	assert_true(csum_ok(ip, EM_IP_LEN));

	assert_int_equal(icmp[0], 8);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(be16(icmp + 4), mac32 & 0xffff);
	assert_int_equal(be16(icmp + 6), mac32 >> 16);
	assert_int_equal(be32(icmp + 4), (mac32 & 0xffff) << 16 | mac32 >> 16);
	assert_memory_equal(data, pl, sizeof(*pl));
	/* With fixed_csum the first 2 bytes of padding compensate. */
	for (size_t i = EM_PAYLOAD_LEN + (t->fixed_csum ? 2 : 0); i < payload_len; i++)
		assert_int_equal(data[i], 0);
	assert_true(csum_ok(icmp, EM_ICMP_LEN + payload_len));
	if (t->fixed_csum)
		assert_memory_equal(icmp + 2, &(__u16){ em_flow_csum(pl->index) }, 2);
}

static void check_ip(const __u8 *ip, size_t len, const struct frame_tmpl *t, __u32 daddr,
		     __u16 ip_id, const struct em_payload *pl)
{
	check_ip_shaped(ip, len, t, &no_shape, daddr, ip_id, pl);
}

static void check_frame(const __u8 *f, size_t len, const struct frame_tmpl *t, __u32 daddr,
			__u16 ip_id, const struct em_payload *pl)
{
	assert_int_equal(len, EM_PROBE_HDR_LEN + t->payload_len);
	assert_memory_equal(f, t->dst_mac, 6);
	assert_memory_equal(f + 6, t->src_mac, 6);
	assert_int_equal(be16(f + 12), 0x0800);
	check_ip(f + EM_ETH_LEN, len - EM_ETH_LEN, t, daddr, ip_id, pl);
}

static __u16 pick_size(unsigned int i)
{
	static const __u16 fixed[] = { EM_PAYLOAD_LEN, 25, 56, 57, 1000, 1472, 1473 };

	if (i < sizeof(fixed) / sizeof(fixed[0]))
		return fixed[i];
	return EM_PAYLOAD_LEN + rnd() % (BUF_SIZE - EM_PROBE_HDR_LEN - EM_PAYLOAD_LEN - 1);
}

static void test_rfc1071_vector(void **state)
{
	/* RFC 1071 section 3: these bytes sum to 0xddf2. */
	static const __u8 v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	assert_int_equal(ref_sum(v, sizeof(v)), 0xddf2);
	assert_int_equal(ntohs(inet_csum(v, sizeof(v))), 0xffff - 0xddf2);
}

static void test_inet_csum_random(void **state)
{
	__u8 buf[BUF_SIZE + 1];

	for (unsigned int i = 0; i < ROUNDS; i++) {
		size_t len = rnd() % BUF_SIZE, off = rnd() % 2;
		__u16 c;

		for (size_t j = 0; j < len; j++)
			buf[off + j] = rnd();
		c = inet_csum(buf + off, len);
		assert_int_equal(ntohs(c), 0xffff - ref_sum(buf + off, len));
	}
}

static void test_patch_random(void **state)
{
	/* Odd offsets too: nothing may assume an aligned buffer. */
	__u8 raw[BUF_SIZE + 8];

	for (unsigned int i = 0; i < ROUNDS; i++) {
		__u8 *buf = raw + rnd() % 8;
		struct frame_tmpl t;
		struct em_payload pl;
		__u32 daddr = rnd();
		__u16 id = rnd();
		size_t len;

		random_tmpl(&t, pick_size(i));
		random_payload(&pl);
		memset(raw, 0xa5, sizeof(raw));
		len = frame_build_template(buf, BUF_SIZE, &t);
		assert_int_equal(len, EM_PROBE_HDR_LEN + t.payload_len);
		frame_patch(buf, &t, daddr, id, &pl);
		check_frame(buf, len, &t, daddr, id, &pl);
		/* Nothing written past the frame. */
		assert_int_equal(buf[len], 0xa5);
	}
}

static void test_patch_ip_random(void **state)
{
	__u8 raw[BUF_SIZE + 8];

	for (unsigned int i = 0; i < ROUNDS; i++) {
		__u8 *buf = raw + rnd() % 8;
		struct frame_tmpl t;
		struct em_payload pl;
		__u32 daddr = rnd();
		__u16 id = rnd();
		size_t len;

		random_tmpl(&t, pick_size(i));
		random_payload(&pl);
		memset(raw, 0xa5, sizeof(raw));
		len = frame_build_ip(buf, BUF_SIZE, &t);
		assert_int_equal(len, EM_IP_LEN + EM_ICMP_LEN + t.payload_len);
		frame_patch_ip(buf, &t, daddr, id, &pl);
		check_ip(buf, len, &t, daddr, id, &pl);
		assert_int_equal(buf[len], 0xa5);
	}
}

/*
 * watch's groups: one buffer, built zero to the largest size, patched by shape after shape
 * (longer, shorter, another source, TTL, TOS, DF) as an engine's frames are reused.
 */
static void test_patch_shaped(void **state)
{
	__u8 raw[BUF_SIZE + 8];
	struct frame_tmpl t, wide;

	random_tmpl(&t, EM_PAYLOAD_LEN);
	wide = t;
	wide.payload_len = 1472;
	for (unsigned int ip = 0; ip < 2; ip++) {
		__u8 *buf = raw + ip;
		size_t hdr = ip ? 0 : EM_ETH_LEN;

		memset(raw, 0xa5, sizeof(raw));
		assert_int_equal(ip ? frame_build_ip(buf, BUF_SIZE, &wide) :
				      frame_build_template(buf, BUF_SIZE, &wide),
				 hdr + EM_IP_LEN + EM_ICMP_LEN + 1472);
		for (unsigned int i = 0; i < ROUNDS; i++) {
			struct probe_shape sh = { 0 };
			struct em_payload pl;
			__u32 daddr = rnd();
			__u16 id = rnd();
			size_t len;

			if (rnd() % 2)
				sh.saddr = rnd();
			if (rnd() % 2)
				sh.payload_len = EM_PAYLOAD_LEN +
						 rnd() % (1472 - EM_PAYLOAD_LEN + 1);
			if (rnd() % 2)
				sh.ttl = 1 + rnd() % 255;
			sh.tos = rnd() % 2 ? rnd() : 0;
			sh.df = rnd() % 2;
			random_payload(&pl);
			len = ip ? frame_patch_ip_shaped(buf, &t, &sh, daddr, id, &pl) :
				   frame_patch_shaped(buf, &t, &sh, daddr, id, &pl);
			assert_int_equal(len, hdr + EM_IP_LEN + EM_ICMP_LEN +
						      (sh.payload_len ?: t.payload_len));
			if (!ip)
				assert_memory_equal(buf, t.dst_mac, 6);
			check_ip_shaped(buf + hdr, len - hdr, &t, &sh, daddr, id, &pl);
		}
		assert_int_equal(buf[hdr + EM_IP_LEN + EM_ICMP_LEN + 1472], 0xa5);
	}
}

/* Checksum corner cases: all-zero and all-ones inputs, where folding carries matter most. */
static void test_patch_extremes(void **state)
{
	static const __u64 vals[] = { 0, ~0ULL, 0xffff0000ffff0000ULL, 0x0000ffff0000ffffULL };
	__u8 buf[BUF_SIZE];

	for (unsigned int i = 0; i < 4; i++) {
		for (unsigned int j = 0; j < 4; j++) {
			struct frame_tmpl t = { .saddr = vals[i], .ttl = vals[i] };
			struct em_payload pl = { vals[j], vals[j], vals[j], vals[j] };
			size_t len;

			t.payload_len = 57;
			len = frame_build_template(buf, sizeof(buf), &t);

			frame_patch(buf, &t, vals[j], vals[j], &pl);
			check_ip(buf + EM_ETH_LEN, len - EM_ETH_LEN, &t, vals[j], vals[j],
				 &pl);
		}
	}
}

/* Patching a used buffer must give exactly the bytes of a fresh template patched once. */
static void test_repatch(void **state)
{
	__u8 a[BUF_SIZE], b[BUF_SIZE];

	for (unsigned int i = 0; i < ROUNDS; i++) {
		struct frame_tmpl t;
		struct em_payload p1, p2;
		__u32 d1 = rnd(), d2 = rnd();
		__u16 id1 = rnd(), id2 = rnd();
		size_t len;

		random_tmpl(&t, pick_size(i));
		random_payload(&p1);
		random_payload(&p2);
		len = frame_build_template(a, sizeof(a), &t);
		frame_patch(a, &t, d1, id1, &p1);
		frame_patch(a, &t, d2, id2, &p2);
		assert_int_equal(frame_build_template(b, sizeof(b), &t), len);
		frame_patch(b, &t, d2, id2, &p2);
		assert_memory_equal(a, b, len);
		check_frame(a, len, &t, d2, id2, &p2);

		len = frame_build_ip(a, sizeof(a), &t);
		frame_patch_ip(a, &t, d1, id1, &p1);
		frame_patch_ip(a, &t, d2, id2, &p2);
		frame_build_ip(b, sizeof(b), &t);
		frame_patch_ip(b, &t, d2, id2, &p2);
		assert_memory_equal(a, b, len);
	}
}

static void test_template_limits(void **state)
{
	static __u8 buf[70000];
	struct frame_tmpl t = { .ttl = 64, .payload_len = 100 };
	size_t need = EM_PROBE_HDR_LEN + 100;

	assert_int_equal(frame_build_template(buf, need - 1, &t), 0);
	assert_int_equal(frame_build_template(buf, need, &t), need);
	assert_int_equal(frame_build_template(buf, 10, &t), 0);
	assert_int_equal(frame_build_ip(buf, need - EM_ETH_LEN - 1, &t), 0);
	assert_int_equal(frame_build_ip(buf, need - EM_ETH_LEN, &t), need - EM_ETH_LEN);

	t.payload_len = EM_PAYLOAD_LEN - 1;
	assert_int_equal(frame_build_template(buf, sizeof(buf), &t), 0);
	assert_int_equal(frame_build_ip(buf, sizeof(buf), &t), 0);

	/* The IPv4 total length is 16 bits: 65535 - 20 - 8 bytes of payload at most. */
	t.payload_len = 65507;
	assert_int_equal(frame_build_ip(buf, sizeof(buf), &t), 65535);
	assert_int_equal(frame_build_template(buf, sizeof(buf), &t), 65535 + EM_ETH_LEN);
	t.payload_len = 65508;
	assert_int_equal(frame_build_ip(buf, sizeof(buf), &t), 0);
	assert_int_equal(frame_build_template(buf, sizeof(buf), &t), 0);
}

/* The largest frame's checksums, where the padding is longest. */
static void test_patch_max(void **state)
{
	static __u8 buf[70000];
	struct frame_tmpl t;
	struct em_payload pl;
	size_t len;

	random_tmpl(&t, 65507);
	random_payload(&pl);
	len = frame_build_template(buf, sizeof(buf), &t);
	frame_patch(buf, &t, 0x010012c6, 0xbeef, &pl);
	check_frame(buf, len, &t, 0x010012c6, 0xbeef, &pl);
}

/*
 * Trace probes: the TTL is the round, and every probe of one index has the same ICMP checksum
 * (em_flow_csum), whatever its round, stamp and cookie, while staying a valid checksum.
 */
static void test_fixed_csum(void **state)
{
	__u8 buf[BUF_SIZE];
	__u16 seen[8];

	for (unsigned int i = 0; i < ROUNDS; i++) {
		struct frame_tmpl t;
		struct em_payload pl;
		__u32 daddr = rnd();
		size_t len;

		random_tmpl(&t, EM_PAYLOAD_LEN + 2 + (i % 3 ? rnd() % 100 : 0));
		t.ttl = 0;
		t.fixed_csum = true;
		len = frame_build_template(buf, sizeof(buf), &t);
		assert_int_equal(len, EM_PROBE_HDR_LEN + t.payload_len);
		random_payload(&pl);
		pl.index = i % 8;
		pl.round = 1 + rnd() % 32;
		frame_patch(buf, &t, daddr, rnd(), &pl);
		check_frame(buf, len, &t, daddr, be16(buf + EM_OFF_IP_ID), &pl);
		if (i < 8)
			memcpy(&seen[i], buf + EM_OFF_ICMP + 2, 2);
		else
			assert_memory_equal(buf + EM_OFF_ICMP + 2, &seen[i % 8], 2);
	}
	/* The flows of one target hash apart: no two of the first indices share a checksum. */
	for (unsigned int a = 0; a < 64; a++)
		for (unsigned int b = a + 1; b < 64; b++)
			assert_int_not_equal(em_flow_csum(a), em_flow_csum(b));
	for (unsigned int a = 0; a < 1000000; a++)
		assert_int_not_equal(em_flow_csum(a), 0xffff);
}

/* The compensation needs its 2 bytes of padding. */
static void test_fixed_csum_room(void **state)
{
	struct frame_tmpl t = { .payload_len = EM_PAYLOAD_LEN + 1, .fixed_csum = true };
	__u8 buf[BUF_SIZE];

	assert_int_equal(frame_build_template(buf, sizeof(buf), &t), 0);
	t.payload_len++;
	assert_int_equal(frame_build_template(buf, sizeof(buf), &t), EM_PROBE_HDR_LEN + 26);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_vector),
		cmocka_unit_test(test_inet_csum_random),
		cmocka_unit_test(test_patch_random),
		cmocka_unit_test(test_patch_ip_random),
		cmocka_unit_test(test_patch_shaped),
		cmocka_unit_test(test_patch_extremes),
		cmocka_unit_test(test_repatch),
		cmocka_unit_test(test_template_limits),
		cmocka_unit_test(test_patch_max),
		cmocka_unit_test(test_fixed_csum),
		cmocka_unit_test(test_fixed_csum_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
