/* SPDX-License-Identifier: GPL-2.0 */
/* The token bucket every transmit loop paces itself by. */
#ifndef ECHOMAP_TX_RATE_H
#define ECHOMAP_TX_RATE_H

#include <linux/types.h>

/*
 * How many probes may leave now, at most cap, with `sent` sent since `start` (CLOCK_MONOTONIC
 * ns) at `rate` probes/s (0: unlimited, always cap). Sleeps while fewer than the tokens of one
 * `nap_ns` are due: waking once per nap instead of once per probe keeps a core from spinning
 * and sends fuller batches; the bucket counts from the start, so the rate stays exact over the
 * run. 0 when a stop was requested.
 */
__u64 rate_allowance(__u64 rate, __u64 start, __u64 sent, __u64 nap_ns, __u64 cap);

#endif
