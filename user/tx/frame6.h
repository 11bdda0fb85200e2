/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ICMPv6 probe frames: Ethernet + IPv6 + ICMPv6 echo request (128) carrying struct em_payload,
 * the checksum over the RFC 8200 pseudo-header. Built whole per probe, like frame.h's template
 * and patch in one.
 */
#ifndef ECHOMAP_TX_FRAME6_H
#define ECHOMAP_TX_FRAME6_H

#include <stddef.h>
#include <linux/types.h>

#include "echomap_abi.h"

#define EM_IP6_LEN	  40
#define EM_ICMP6_ECHO	  128
#define EM_ETH_P_IPV6	  0x86dd
#define EM_OFF6_ICMP	  (14 + EM_IP6_LEN)
#define EM_OFF6_PAYLOAD	  (EM_OFF6_ICMP + 8)

struct frame6_tmpl {
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u8 saddr[16];
	__u8 hop_limit;
	__u16 payload_len; /* ICMPv6 data bytes, >= EM_PAYLOAD_LEN; the rest is zero padding */
};

/*
 * The probe to daddr with payload pl (its mac from em_cookie6() over daddr) into buf: ICMPv6
 * id/seq from pl->mac as for IPv4. Returns the frame length, or 0 if cap is too short or
 * payload_len is out of [EM_PAYLOAD_LEN, 65527].
 */
size_t frame6_build(__u8 *buf, size_t cap, const struct frame6_tmpl *t, const __u8 daddr[16],
		    const struct em_payload *pl);

#endif
