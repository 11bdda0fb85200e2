/* SPDX-License-Identifier: GPL-2.0 */
/* The probe cookie: SipHash-2-4 keyed per run, see include/echomap_abi.h. */
#ifndef ECHOMAP_COOKIE_H
#define ECHOMAP_COOKIE_H

#include <linux/types.h>

/* daddr in network order; the other fields as stored in struct em_payload. */
__u64 em_cookie(const __u64 key[2], __u32 daddr, __u64 tx_ns, __u32 index, __u32 round);

/* Fill key with 128 random bits from getrandom(2); returns 0 or -errno. */
int em_cookie_key(__u64 key[2]);

#endif
