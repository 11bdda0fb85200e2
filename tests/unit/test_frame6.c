// SPDX-License-Identifier: GPL-2.0
/*
 * user/tx/frame6.c: the ICMPv6 probe's layout and its checksum, checked against a byte-wise
 * sum over the RFC 8200 pseudo-header written out here, for random addresses and sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <cmocka.h>

#include "echomap_cookie.h"
#include "tx/frame6.h"

/* The checksum over buf's IPv6 header's pseudo-header and its ICMPv6 message: 0 when valid. */
static __u16 ref_check(const __u8 *f, size_t icmp_len)
{
	__u8 ph[40 + 65536] = { 0 };
	__u32 sum = 0;
	size_t n;

	memcpy(ph, f + 14 + 8, 32);
	ph[32] = icmp_len >> 24;
	ph[33] = icmp_len >> 16;
	ph[34] = icmp_len >> 8;
	ph[35] = icmp_len;
	ph[39] = 58;
	memcpy(ph + 40, f + EM_OFF6_ICMP, icmp_len);
	n = 40 + icmp_len;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)ph[i] << 8 | ph[i + 1];
	if (n & 1)
		sum += (__u32)ph[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void test_layout_and_checksum(void **state)
{
	static __u8 buf[14 + 40 + 8 + 2000];
	struct frame6_tmpl t = { .src_mac = { 2, 0, 0, 0, 0, 1 }, .dst_mac = { 2, 0, 0, 0, 0, 2 } };
	__u8 daddr[16];
	__u32 d[4];
	__u64 key[2];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		struct em_payload pl = { 0 };
		size_t len;

		assert_int_equal(getrandom(&pl, sizeof(pl), 0), sizeof(pl));
		assert_int_equal(getrandom(key, sizeof(key), 0), sizeof(key));
		assert_int_equal(getrandom(t.saddr, 16, 0), 16);
		assert_int_equal(getrandom(daddr, 16, 0), 16);
		t.hop_limit = i % 256;
		t.payload_len = EM_PAYLOAD_LEN + i % 1000;
		memcpy(d, daddr, 16);
		pl.mac = em_cookie6(key[0], key[1], d, pl.tx_ns, pl.index, pl.round);
		len = frame6_build(buf, sizeof(buf), &t, daddr, &pl);
		assert_int_equal(len, 14 + 40 + 8 + t.payload_len);
		assert_int_equal(buf[12] << 8 | buf[13], 0x86dd);
		assert_int_equal(buf[14] >> 4, 6);
		assert_int_equal(buf[18] << 8 | buf[19], 8 + t.payload_len);
		assert_int_equal(buf[20], 58);
		assert_int_equal(buf[21], t.hop_limit);
		assert_memory_equal(buf + 22, t.saddr, 16);
		assert_memory_equal(buf + 38, daddr, 16);
		assert_int_equal(buf[EM_OFF6_ICMP], 128);
		assert_int_equal(buf[EM_OFF6_ICMP + 1], 0);
		assert_int_equal(buf[EM_OFF6_ICMP + 4] << 8 | buf[EM_OFF6_ICMP + 5], pl.mac & 0xffff);
		assert_int_equal(buf[EM_OFF6_ICMP + 6] << 8 | buf[EM_OFF6_ICMP + 7],
				 (pl.mac >> 16) & 0xffff);
		assert_memory_equal(buf + EM_OFF6_PAYLOAD, &pl, sizeof(pl));
		assert_int_equal(ref_check(buf, 8 + t.payload_len), 0);
	}
}

static void test_bounds(void **state)
{
	static __u8 buf[14 + 40 + 8 + 65535];
	struct frame6_tmpl t = { .hop_limit = 64, .payload_len = EM_PAYLOAD_LEN - 1 };
	struct em_payload pl = { 0 };
	__u8 daddr[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	(void)state;
	assert_int_equal(frame6_build(buf, sizeof(buf), &t, daddr, &pl), 0);
	t.payload_len = 65535 - 8;
	assert_int_equal(frame6_build(buf, sizeof(buf), &t, daddr, &pl), 14 + 40 + 65535);
	t.payload_len = 65535 - 7;
	assert_int_equal(frame6_build(buf, sizeof(buf), &t, daddr, &pl), 0);
	t.payload_len = EM_PAYLOAD_LEN;
	assert_int_equal(frame6_build(buf, 14 + 40 + 8 + EM_PAYLOAD_LEN - 1, &t, daddr, &pl), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_checksum),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
