/* SPDX-License-Identifier: GPL-2.0 */
/* CLOCK_MONOTONIC in nanoseconds: the clock of send stamps, rates, deadlines and schedules. */
#ifndef ECHOMAP_LIB_CLOCK_H
#define ECHOMAP_LIB_CLOCK_H

#include <time.h>
#include <linux/types.h>

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

static inline __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

#endif
