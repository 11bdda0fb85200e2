// SPDX-License-Identifier: GPL-2.0
/*
 * Raw socket transmit engine: IP packets through the kernel's stack (IP_HDRINCL), batched
 * with sendmmsg. Slower than AF_XDP, but the kernel resolves neighbours, so it also serves
 * on-link targets and interfaces where AF_XDP cannot bind. IPv6 probes go whole, header and
 * checksum built here, on an IPPROTO_RAW socket (IPv6's IP_HDRINCL) bound to the route's
 * source: an ICMPv6 socket would have the kernel cork each message and checksum it again,
 * a quarter of the rate.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "tx/probe_tx.h"

#define PKT_MAX (20 + 8 + PAYLOAD_MAX)

struct raw_engine {
	struct tx_engine base;
	int fd;
	unsigned int pkt_len; /* IPv6: the packet's; IPv4 probes are as long as their shape */
	__u8 pkt[PROBE_BATCH][PKT_MAX];
	struct sockaddr_in dst[PROBE_BATCH];
	struct sockaddr_in6 dst6[PROBE_BATCH];
	__u8 frame6[EM_OFF6_ICMP + 8 + PAYLOAD_MAX]; /* an IPv6 probe built whole, then cut */
	struct iovec iov[PROBE_BATCH];
	struct mmsghdr msg[PROBE_BATCH];
};

/* Patches probes [from, n) with a send time taken now. */
static void raw_patch(struct raw_engine *r, const struct staged_probe *p, unsigned int from,
		      unsigned int n)
{
	__u64 tx_ns = mono_ns();
	struct em_payload pl;

	for (unsigned int i = from; i < n; i++) {
		probe_payload(&r->base, &p[i], tx_ns, &pl);
		if (r->base.tmpl6) {
			frame6_build(r->frame6, sizeof(r->frame6), r->base.tmpl6, p[i].daddr6, &pl);
			memcpy(r->pkt[i], r->frame6 + 14, r->pkt_len);
			memcpy(&r->dst6[i].sin6_addr, p[i].daddr6, 16);
			continue;
		}
		r->iov[i].iov_len = frame_patch_ip_shaped(r->pkt[i], r->base.tmpl,
							  &r->base.shapes[p[i].shape], p[i].daddr,
							  r->base.ip_id++, &pl);
		r->dst[i].sin_addr.s_addr = p[i].daddr;
	}
}

static int raw_send(struct tx_engine *e, const struct staged_probe *p, unsigned int n)
{
	struct raw_engine *r = (struct raw_engine *)e;
	unsigned int done = 0;

	raw_patch(r, p, 0, n);
	while (done < n) {
		/* Never blocks for a full send buffer: that wait would follow the stamp. */
		int sent = sendmmsg(r->fd, r->msg + done, n - done, MSG_DONTWAIT);

		if (sent < 0) {
			/*
			 * A full qdisc or send buffer or an unresolved neighbour is congestion, not
			 * failure. The probes not sent yet are stamped again after the wait: it is
			 * no part of their RTT.
			 */
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				usleep(50);
				raw_patch(r, p, done, n);
				continue;
			}
			if (errno == EHOSTUNREACH || errno == ENETUNREACH) {
				done++;
				continue;
			}
			return -errno;
		}
		done += sent;
	}
	return 0;
}

static void raw_close(struct tx_engine *e)
{
	struct raw_engine *r = (struct raw_engine *)e;

	close(r->fd);
	free(r);
}

static int raw6_socket(const struct probe_tx_opts *o)
{
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 };
	/* IPPROTO_RAW receives nothing: no receive buffer fills up behind it. */
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		return -errno;
	memcpy(&src.sin6_addr, o->tmpl6.saddr, 16);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int raw_engine_open(struct tx_engine **ep, const struct probe_tx_opts *o)
{
	struct raw_engine *r = calloc(1, sizeof(*r));
	struct frame_tmpl wide;
	int err;

	if (!r)
		return -ENOMEM;
	r->fd = o->v6 ? raw6_socket(o) : socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (r->fd < 0) {
		err = o->v6 ? r->fd : -errno;
		pr_warn("cannot open a raw socket: %s\n", strerror(-err));
		free(r);
		return err;
	}
	if (setsockopt(r->fd, SOL_SOCKET, SO_BINDTODEVICE, o->ifname, strlen(o->ifname) + 1)) {
		err = -errno;
		pr_warn("cannot bind raw socket to %s: %s\n", o->ifname, strerror(errno));
		raw_close(&r->base);
		return err;
	}
	/* Zero to the largest size: a shape's probe is as long as it says. */
	wide = o->tmpl;
	wide.payload_len = PAYLOAD_MAX;
	for (unsigned int i = 0; i < PROBE_BATCH; i++) {
		if (o->v6) {
			r->pkt_len = EM_IP6_LEN + 8 + o->tmpl6.payload_len;
			if (r->pkt_len > PKT_MAX) {
				raw_close(&r->base);
				return -EINVAL;
			}
			r->dst6[i].sin6_family = AF_INET6;
			r->msg[i].msg_hdr.msg_name = &r->dst6[i];
			r->msg[i].msg_hdr.msg_namelen = sizeof(r->dst6[i]);
			r->iov[i].iov_len = r->pkt_len;
		} else {
			if (!frame_build_ip(r->pkt[i], PKT_MAX, &wide)) {
				raw_close(&r->base);
				return -EINVAL;
			}
			r->dst[i].sin_family = AF_INET;
			r->msg[i].msg_hdr.msg_name = &r->dst[i];
			r->msg[i].msg_hdr.msg_namelen = sizeof(r->dst[i]);
		}
		r->iov[i].iov_base = r->pkt[i];
		r->msg[i].msg_hdr.msg_iov = &r->iov[i];
		r->msg[i].msg_hdr.msg_iovlen = 1;
	}
	r->base.name = "raw";
	r->base.send = raw_send;
	r->base.close = raw_close;
	*ep = &r->base;
	return 0;
}
