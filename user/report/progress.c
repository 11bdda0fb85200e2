// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <unistd.h>

#include "lib/clock.h"
#include "report/progress.h"

void progress_init(struct progress *p, bool quiet, __u64 start_ns)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->start_ns = p->last_ns = start_ns;
	p->last_sent = 0;
}

bool progress_due(const struct progress *p, __u64 now)
{
	return p->enabled && now - p->last_ns >= NSEC_PER_SEC;
}

void progress_update(struct progress *p, __u64 now, __u64 sent, __u64 total, __u64 replies)
{
	double dt = (now - p->last_ns) / 1e9, rate, eta;

	rate = (sent - p->last_sent) / dt;
	eta = rate > 0 && total > sent ? (total - sent) / rate : 0;
	fprintf(stderr, "\r%5.0fs sent %llu/%llu (%.0f pps) replies %llu (%.2f%%) ETA %.0fs   ",
		(now - p->start_ns) / 1e9, (unsigned long long)sent, (unsigned long long)total, rate,
		(unsigned long long)replies, sent ? 100.0 * replies / sent : 0.0, eta);
	p->last_ns = now;
	p->last_sent = sent;
}

void progress_done(struct progress *p)
{
	if (p->enabled && p->last_ns != p->start_ns)
		fputs("\r\033[K", stderr);
}
