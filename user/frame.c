// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <string.h>

#include "frame.h"

static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (__u32)p[0] << 8 | p[1];
	if (len)
		sum += (__u32)p[0] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

__u16 inet_csum(const void *data, size_t len)
{
	return fold(sum16(data, len, 0));
}

size_t frame_build_ip(__u8 *ip, size_t cap, const struct frame_tmpl *t)
{
	size_t len = IP4_LEN + ICMP_HDR_LEN + t->payload_len;
	__u16 tot = htons(len);

	if (cap < len)
		return 0;
	memset(ip, 0, len);
	ip[0] = 0x45; /* version 4, ihl 5 */
	memcpy(ip + 2, &tot, 2);
	ip[8] = t->ttl;
	ip[9] = 1; /* ICMP */
	memcpy(ip + 12, &t->saddr, 4);
	ip[IP4_LEN] = 8; /* echo request */
	return len;
}

size_t frame_build_template(__u8 *buf, size_t cap, const struct frame_tmpl *t)
{
	size_t len;

	if (cap < ETH_LEN)
		return 0;
	len = frame_build_ip(buf + ETH_LEN, cap - ETH_LEN, t);
	if (!len)
		return 0;
	memcpy(buf, t->dst_mac, 6);
	memcpy(buf + 6, t->src_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	return ETH_LEN + len;
}

/*
 * Everything after the payload struct is zero, so the ICMP checksum only covers the header
 * and our 24 bytes; the IP checksum is recomputed over its 20 bytes.
 */
void frame_patch_ip(__u8 *ip, __u32 daddr, __u16 ip_id,
		    const struct em_payload *pl)
{
	__u8 *icmp = ip + IP4_LEN;
	__u16 id = htons(ip_id), csum = 0;
	__u16 qid = htons(pl->mac & 0xffff), qseq = htons((pl->mac >> 16) & 0xffff);

	memcpy(ip + 4, &id, 2);
	memcpy(ip + 10, &csum, 2);
	memcpy(ip + 16, &daddr, 4);
	csum = inet_csum(ip, IP4_LEN);
	memcpy(ip + 10, &csum, 2);

	memcpy(icmp + 2, "\0\0", 2);
	memcpy(icmp + 4, &qid, 2);
	memcpy(icmp + 6, &qseq, 2);
	memcpy(icmp + ICMP_HDR_LEN, pl, sizeof(*pl));
	csum = inet_csum(icmp, ICMP_HDR_LEN + sizeof(*pl));
	memcpy(icmp + 2, &csum, 2);
}

void frame_patch(__u8 *frame, __u32 daddr, __u16 ip_id,
		 const struct em_payload *pl)
{
	frame_patch_ip(frame + ETH_LEN, daddr, ip_id, pl);
}
