// SPDX-License-Identifier: GPL-2.0
/*
 * The checksums are computed on native-order words: the one's complement sum does not depend
 * on byte order (RFC 1071 2.B), so a sum of words as they lie in memory, folded and stored
 * back natively, is the right checksum on any host, without byte swaps in the per-probe path.
 */
#include <arpa/inet.h>
#include <string.h>

#include "echomap_csum.h"
#include "echomap_trace.h"
#include "tx/frame.h"

#define IP_TOT_MAX 0xffff

__u64 inet_sum(const void *data, size_t len)
{
	const __u8 *p = data;
	__u64 sum = 0;
	__u16 w;

	for (; len > 1; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	/* A trailing odd byte counts as if followed by a zero byte. */
	if (len) {
		w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

__u16 inet_csum(const void *data, size_t len)
{
	return csum_fold64(inet_sum(data, len));
}

static size_t ip_len(const struct frame_tmpl *t)
{
	return EM_IP_LEN + EM_ICMP_LEN + t->payload_len;
}

/*
 * The IP header words that never change between probes of one shape: version/ihl/tos, tot_len,
 * flags, ttl/proto and saddr (id, checksum and daddr are zero in this sum). A handful of adds,
 * cheap enough per probe that the template needs no cached state that could go stale.
 */
static __u64 ip_const_sum(__u16 tot, __u8 tos, bool df, __u8 ttl, __u32 saddr)
{
	return htons(0x4500 | tos) + htons(tot) + htons(df ? 0x4000 : 0) +
	       htons(ttl << 8 | IPPROTO_ICMP) + (__u64)saddr;
}

size_t frame_build_ip(__u8 *ip, size_t cap, const struct frame_tmpl *t)
{
	size_t len = ip_len(t);
	__u16 tot = htons(len);

	if (t->payload_len < EM_PAYLOAD_LEN + (t->fixed_csum ? 2 : 0) || len > IP_TOT_MAX ||
	    cap < len)
		return 0;
	memset(ip, 0, len);
	ip[0] = 0x45; /* version 4, ihl 5; tos 0, id 0, no DF */
	memcpy(ip + 2, &tot, 2);
	ip[8] = t->ttl;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, &t->saddr, 4);
	ip[EM_IP_LEN] = EM_ICMP_ECHO; /* code 0 */
	return len;
}

size_t frame_build_template(__u8 *buf, size_t cap, const struct frame_tmpl *t)
{
	size_t len;

	if (cap < EM_ETH_LEN)
		return 0;
	len = frame_build_ip(buf + EM_ETH_LEN, cap - EM_ETH_LEN, t);
	if (!len)
		return 0;
	memcpy(buf, t->dst_mac, 6);
	memcpy(buf + 6, t->src_mac, 6);
	buf[12] = 0x08; /* IPv4 */
	buf[13] = 0x00;
	return EM_ETH_LEN + len;
}

/*
 * The padding after the payload struct is zero and adds nothing, so the ICMP sum covers the
 * header and the struct's six 32-bit words, taken from the struct itself rather than
 * re-read from the frame.
 */
size_t frame_patch_ip_shaped(__u8 *ip, const struct frame_tmpl *t, const struct probe_shape *sh,
			     __u32 daddr, __u16 ip_id, const struct em_payload *pl)
{
	__u8 *icmp = ip + EM_IP_LEN;
	__u16 id = htons(ip_id), csum;
	__u16 qid = htons(pl->mac & 0xffff), qseq = htons((pl->mac >> 16) & 0xffff);
	__u16 len = EM_IP_LEN + EM_ICMP_LEN + (sh->payload_len ?: t->payload_len);
	__u16 tot = htons(len), frag = htons(sh->df ? 0x4000 : 0);
	__u32 saddr = sh->saddr ?: em_probe_saddr(t->saddr, t->n_saddr, pl->index);
	__u8 ttl = sh->ttl ?: t->ttl ?: pl->round;
	__u64 sum;

	ip[1] = sh->tos;
	memcpy(ip + 2, &tot, 2);
	memcpy(ip + 4, &id, 2);
	memcpy(ip + 6, &frag, 2);
	ip[8] = ttl;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	csum = csum_fold64(ip_const_sum(len, sh->tos, sh->df, ttl, saddr) + id + (__u64)daddr);
	memcpy(ip + 10, &csum, 2);

	sum = htons(8 << 8) + qid + qseq;
	sum += (pl->tx_ns & 0xffffffff) + (pl->tx_ns >> 32) + pl->index + pl->round +
	       (pl->mac & 0xffffffff) + (pl->mac >> 32);
	if (t->fixed_csum) {
		__u16 comp = em_csum_compensation(sum, em_flow_csum(pl->index));

		memcpy(icmp + EM_ICMP_LEN + EM_PAYLOAD_LEN, &comp, 2);
		sum += comp;
	}
	csum = csum_fold64(sum);
	memcpy(icmp + 2, &csum, 2);
	memcpy(icmp + 4, &qid, 2);
	memcpy(icmp + 6, &qseq, 2);
	memcpy(icmp + EM_ICMP_LEN, pl, sizeof(*pl));
	return len;
}

static const struct probe_shape template_shape;

void frame_patch_ip(__u8 *ip, const struct frame_tmpl *t, __u32 daddr, __u16 ip_id,
		    const struct em_payload *pl)
{
	frame_patch_ip_shaped(ip, t, &template_shape, daddr, ip_id, pl);
}

size_t frame_patch_shaped(__u8 *frame, const struct frame_tmpl *t, const struct probe_shape *sh,
			  __u32 daddr, __u16 ip_id, const struct em_payload *pl)
{
	return EM_ETH_LEN + frame_patch_ip_shaped(frame + EM_ETH_LEN, t, sh, daddr, ip_id, pl);
}

void frame_patch(__u8 *frame, const struct frame_tmpl *t, __u32 daddr, __u16 ip_id,
		 const struct em_payload *pl)
{
	frame_patch_shaped(frame, t, &template_shape, daddr, ip_id, pl);
}
