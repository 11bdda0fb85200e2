// SPDX-License-Identifier: GPL-2.0
/* Native-order checksum words, as in frame.c: the one's complement sum ignores byte order. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echomap_csum.h"
#include "tx/frame.h"
#include "tx/frame6.h"

/* The largest ICMPv6 message in an IPv6 payload without a jumbogram. */
#define ICMP6_MAX 0xffff

size_t frame6_build(__u8 *buf, size_t cap, const struct frame6_tmpl *t, const __u8 daddr[16],
		    const struct em_payload *pl)
{
	size_t icmp_len = 8 + (size_t)t->payload_len, len = EM_OFF6_ICMP + icmp_len;
	__u16 plen = htons(icmp_len), id = htons(pl->mac & 0xffff);
	__u16 seq = htons((pl->mac >> 16) & 0xffff), csum;
	__u8 *ip = buf + 14, *icmp = buf + EM_OFF6_ICMP;
	__u32 vtc = htonl(6U << 28);
	__u64 sum;

	if (t->payload_len < EM_PAYLOAD_LEN || icmp_len > ICMP6_MAX || cap < len)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, t->dst_mac, 6);
	memcpy(buf + 6, t->src_mac, 6);
	buf[12] = EM_ETH_P_IPV6 >> 8;
	buf[13] = EM_ETH_P_IPV6 & 0xff;
	memcpy(ip, &vtc, 4);
	memcpy(ip + 4, &plen, 2);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = t->hop_limit;
	memcpy(ip + 8, t->saddr, 16);
	memcpy(ip + 24, daddr, 16);
	icmp[0] = EM_ICMP6_ECHO;
	memcpy(icmp + 4, &id, 2);
	memcpy(icmp + 6, &seq, 2);
	memcpy(icmp + 8, pl, sizeof(*pl));
	/* Pseudo-header: both addresses, the upper-layer length, the next header; then ICMPv6. */
	sum = inet_sum(ip + 8, 32) + htons(icmp_len >> 16) + htons(icmp_len & 0xffff) +
	      htons(IPPROTO_ICMPV6) + inet_sum(icmp, icmp_len);
	csum = csum_fold64(sum);
	memcpy(icmp + 2, &csum, 2);
	return len;
}
