/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe frame both transmit paths build: Ethernet, IPv4 without options, ICMP echo request,
 * struct em_payload, then zero padding. User space writes it (user/tx/frame.c), the generator
 * rewrites it in place (bpf/generator.bpf.c), the matcher finds it quoted in ICMP errors.
 */
#ifndef ECHOMAP_FRAME_H
#define ECHOMAP_FRAME_H

#include <stddef.h>

#include "echomap_abi.h"

/* <linux/icmp.h> pulls in libc socket headers that do not build for -target bpf. */
#define EM_ICMP_ECHOREPLY     0
#define EM_ICMP_DEST_UNREACH  3
#define EM_ICMP_ECHO	      8
#define EM_ICMP_TIME_EXCEEDED 11

#define EM_ETH_LEN	 14
#define EM_IP_LEN	 20
#define EM_ICMP_LEN	 8
#define EM_PROBE_HDR_LEN (EM_ETH_LEN + EM_IP_LEN + EM_ICMP_LEN)

/* Offsets in the frame of the fields written per probe. */
#define EM_OFF_IP_ID   (EM_ETH_LEN + 4)
#define EM_OFF_IP_TTL  (EM_ETH_LEN + 8)
#define EM_OFF_IP_SUM  (EM_ETH_LEN + 10)
#define EM_OFF_SADDR   (EM_ETH_LEN + 12)
#define EM_OFF_DADDR   (EM_ETH_LEN + 16)
#define EM_OFF_ICMP    (EM_ETH_LEN + EM_IP_LEN)
#define EM_OFF_PAYLOAD (EM_OFF_ICMP + EM_ICMP_LEN)
#define EM_OFF_TX_NS   (EM_OFF_PAYLOAD + offsetof(struct em_payload, tx_ns))
#define EM_OFF_INDEX   (EM_OFF_PAYLOAD + offsetof(struct em_payload, index))
#define EM_OFF_ROUND   (EM_OFF_PAYLOAD + offsetof(struct em_payload, round))
#define EM_OFF_MAC     (EM_OFF_PAYLOAD + offsetof(struct em_payload, mac))

_Static_assert(EM_OFF_IP_SUM == 24 && EM_OFF_DADDR == 30 && EM_OFF_ICMP == 34,
	       "IPv4 header fields at their RFC 791 offsets after Ethernet");
_Static_assert(EM_OFF_TX_NS == EM_PROBE_HDR_LEN &&
		   EM_OFF_MAC + 8 == EM_PROBE_HDR_LEN + EM_PAYLOAD_LEN,
	       "the payload follows the ICMP header, its fields in order");

/*
 * The source address of the probes to target index i when a run sends from n consecutive
 * addresses from first on (network order; n <= 1: first alone, as without -S): spread evenly
 * over the targets, the same for every probe of one target, so a reply or a NAT entry of one
 * target always concerns one of them.
 */
static inline __u32 em_probe_saddr(__u32 first, __u32 n, __u32 index)
{
	if (n <= 1)
		return first;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(__builtin_bswap32(first) + index % n);
#else
	return first + index % n;
#endif
}

#endif /* ECHOMAP_FRAME_H */
