// SPDX-License-Identifier: GPL-2.0
#include <time.h>

#include "lib/clock.h"
#include "lib/signals.h"
#include "tx/rate.h"

#define NAP_SLACK 50000ULL /* ns */

__u64 rate_allowance(__u64 rate, __u64 start, __u64 sent, __u64 nap_ns, __u64 cap)
{
	__u64 least = rate * nap_ns / NSEC_PER_SEC;

	if (!rate)
		return stop_requested ? 0 : cap;
	least = least < 1 ? 1 : least > cap ? cap : least;
	while (!stop_requested) {
		__u64 now = mono_ns();
		__u64 due = (unsigned __int128)(now - start) * rate / NSEC_PER_SEC + 1;
		__u64 next = start + (unsigned __int128)(sent + least - 1) * NSEC_PER_SEC / rate;

		if (due >= sent + least)
			return due - sent < cap ? due - sent : cap;
		/* nanosleep overshoots by tens of µs: wake that much early, spin the rest. */
		if (next > now + NAP_SLACK) {
			__u64 d = next - now - NAP_SLACK;
			struct timespec ts = { .tv_sec = d / NSEC_PER_SEC, .tv_nsec = d % NSEC_PER_SEC };

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
