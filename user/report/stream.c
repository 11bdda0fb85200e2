// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "echomap_abi.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "report/stream.h"

#define POLL_MS	       100
#define FLUSH_EVERY_NS (100 * NSEC_PER_MSEC)

int stream_event(void *ctx, void *data, size_t size)
{
	struct stream_out *so = ctx;
	const struct em_event *ev = data;
	struct host_result r = { 0 };

	bool error = ev->status != EM_ST_ECHOREPLY, repeat = ev->duplicate;

	if (size < sizeof(*ev))
		return 0;
	/* The kernel told firsts from repeats (enum em_stream_state). */
	if (repeat) {
		so->repeats_seen++;
		if (!so->repeats)
			return 0;
	} else {
		so->firsts++;
		so->alive += !error;
	}
	if (targets_is6(so->ts, ev->index) && size >= sizeof(struct em_event6)) {
		const struct em_event6 *ev6 = data;

		r.v6 = true;
		targets_addr6(so->ts, ev->index, r.addr6);
		r.name = targets_name6(so->ts, r.addr6);
		memcpy(r.from6, ev6->from6, sizeof(r.from6));
		memcpy(r.err_from6, ev6->from6, sizeof(r.err_from6));
		r.err_from6_known = error;
	} else {
		r.addr = htonl(targets_addr(so->ts, ev->index));
		r.name = targets_name(so->ts, ntohl(r.addr));
	}
	r.rtt_ns = ev->rtt_ns > UINT32_MAX ? UINT32_MAX : ev->rtt_ns;
	r.ttl = ev->ttl;
	r.from = ev->from;
	r.replies = !error;
	r.dups = repeat;
	r.status = ev->status;
	r.icmp_type = ev->icmp_type;
	r.icmp_code = ev->icmp_code;
	if (error) {
		r.errors = 1;
		r.err_from = ev->from;
		r.err_status = ev->status;
		r.err_type = ev->icmp_type;
		r.err_code = ev->icmp_code;
	}
	out_result(so->out, &r);
	return 0;
}

static void flush_due(struct stream_out *so, bool idle)
{
	__u64 now = mono_ns();

	if (!idle && now - so->last_flush_ns < FLUSH_EVERY_NS)
		return;
	/* Whoever reads the lines went away (head, a consumer that crashed): stop as on SIGINT. */
	if (fflush(so->out->f) && errno == EPIPE && !so->closed) {
		so->closed = true;
		pr_warn("the output was closed: stopping\n");
		stop_requested = 1;
	}
	so->last_flush_ns = now;
}

static void *stream_main(void *arg)
{
	struct stream_out *so = arg;
	int n;

	while (!so->stop) {
		n = so->poll(so->poll_ctx, POLL_MS);
		flush_due(so, n <= 0);
	}
	/* The sweep is over: take what is left, then the last flush. */
	while (so->poll(so->poll_ctx, 0) > 0)
		;
	fflush(so->out->f);
	return NULL;
}

int stream_start(struct stream_out *so)
{
	int err;

	so->stop = false;
	so->last_flush_ns = mono_ns();
	err = pthread_create(&so->thread, NULL, stream_main, so);
	if (err) {
		pr_warn("cannot start the output thread: %s\n", strerror(err));
		return -err;
	}
	return 0;
}

void stream_stop(struct stream_out *so)
{
	__atomic_store_n(&so->stop, true, __ATOMIC_RELEASE);
	pthread_join(so->thread, NULL);
}
