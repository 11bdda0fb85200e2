// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netif.h"

/* One request, one answer (or an error) on a fresh socket; cb parses the answer. */
static int nl_request(struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	unsigned int portid, seq = time(NULL);
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	/* Not a dump: the answer is a single message (or an error). */
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret <= 0)
		ret = ret < 0 ? -errno : -EIO;
	else
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data) < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

struct route_info {
	int oif;
	__u32 gateway, prefsrc;
	__u8 type;
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct route_info *r = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		r->oif = mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
		r->gateway = mnl_attr_get_u32(a);
		break;
	case RTA_PREFSRC:
		r->prefsrc = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_info *r = data;

	r->type = rtm->rtm_type;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_attr, data);
}

static int route_get(__u32 daddr, int oif, struct route_info *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, daddr);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return nl_request(nlh, route_cb, r);
}

struct link_info {
	struct next_hop *nh;
};

static int link_attr(const struct nlattr *a, void *data)
{
	struct next_hop *nh = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == 6)
			memcpy(nh->src_mac, mnl_attr_get_payload(a), 6);
		break;
	case IFLA_IFNAME:
		strncpy(nh->ifname, mnl_attr_get_str(a), IF_NAMESIZE - 1);
		break;
	case IFLA_NUM_TX_QUEUES:
		nh->tx_queues = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr, data);
}

static int link_get(struct next_hop *nh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = nh->ifindex;
	return nl_request(nlh, link_cb, nh);
}

struct neigh_info {
	__u8 mac[6];
	bool have_mac;
	__u16 state;
};

static int neigh_attr(const struct nlattr *a, void *data)
{
	struct neigh_info *n = data;

	if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
		memcpy(n->mac, mnl_attr_get_payload(a), 6);
		n->have_mac = true;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh_info *n = data;

	n->state = ndm->ndm_state;
	return mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr, data);
}

static int neigh_get(int ifindex, __u32 addr, struct neigh_info *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, addr);
	memset(n, 0, sizeof(*n));
	return nl_request(nlh, neigh_cb, n);
}

/*
 * A datagram to the discard port makes the kernel resolve the neighbour the normal way (ARP
 * with its retries and timers), which writing an incomplete entry ourselves would not.
 */
static void neigh_trigger(const char *ifname, __u32 addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	sa.sin_addr.s_addr = addr;
	setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1);
	sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}

static int neigh_resolve(const struct next_hop *nh, __u32 addr, int timeout_ms, __u8 mac[6])
{
	const __u16 usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
			     NUD_NOARP;
	struct timespec tick = { 0, 5000000 };
	struct neigh_info n;
	char a[INET_ADDRSTRLEN];

	for (int waited = 0;; waited += 5) {
		if (!neigh_get(nh->ifindex, addr, &n) && n.have_mac && (n.state & usable)) {
			memcpy(mac, n.mac, 6);
			return 0;
		}
		if (waited >= timeout_ms)
			break;
		if (waited % 250 == 0)
			neigh_trigger(nh->ifname, addr);
		nanosleep(&tick, NULL);
	}
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	pr_warn("no ARP reply from %s on %s\n", a, nh->ifname);
	return -EHOSTUNREACH;
}

int netif_next_hop(__u32 daddr, const char *ifname, int timeout_ms, struct next_hop *nh)
{
	struct route_info r = { 0 };
	char a[INET_ADDRSTRLEN];
	int oif = 0, err;

	memset(nh, 0, sizeof(*nh));
	inet_ntop(AF_INET, &daddr, a, sizeof(a));
	if (ifname) {
		oif = if_nametoindex(ifname);
		if (!oif) {
			pr_warn("unknown interface '%s'\n", ifname);
			return -ENODEV;
		}
	}
	err = route_get(daddr, oif, &r);
	if (err || r.type != RTN_UNICAST || !r.oif) {
		pr_warn("no route to %s%s%s\n", a, ifname ? " via " : "", ifname ?: "");
		return err ?: -ENETUNREACH;
	}
	nh->ifindex = r.oif;
	nh->gateway = r.gateway;
	nh->on_link = !r.gateway;
	nh->saddr = r.prefsrc;
	err = link_get(nh);
	if (err) {
		pr_warn("cannot read interface %d: %s\n", r.oif, strerror(-err));
		return err;
	}
	if (!nh->saddr) {
		pr_warn("no IPv4 source address on %s\n", nh->ifname);
		return -EADDRNOTAVAIL;
	}
	if (nh->on_link)
		return 0;
	return neigh_resolve(nh, nh->gateway, timeout_ms, nh->dst_mac);
}
