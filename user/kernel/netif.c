// SPDX-License-Identifier: GPL-2.0
/*
 * The probes' next hop over rtnetlink: route, interface and neighbour lookups on one socket per
 * call, one request and its single answer at a time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#include "kernel/netif.h"
#include "lib/clock.h"
#include "lib/log.h"

/* Room for a whole RTM_NEWLINK answer, statistics and all. */
#define NL_BUF_SIZE   32768
#define NL_REQ_SIZE   256
#define NEIGH_POLL_MS 5

struct nl {
	struct mnl_socket *sock;
	unsigned int portid, seq;
	char req[NL_REQ_SIZE] __attribute__((aligned(4))); /* the request being built */
	char buf[NL_BUF_SIZE];
};

static int nl_open(struct nl *nl)
{
	int err;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		goto fail;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(nl->sock);
		errno = err;
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return 0;
fail:
	err = -errno;
	pr_warn("cannot open an rtnetlink socket: %s\n", strerror(errno));
	return err;
}

/*
 * Starts the request nl holds: type, flags (NLM_F_REQUEST added) and a zeroed family header of
 * hdr_len bytes, which is returned; attributes follow with mnl_attr_put_*(*nlh, ...).
 */
static void *nl_request(struct nl *nl, __u16 type, __u16 flags, size_t hdr_len,
			struct nlmsghdr **nlh)
{
	*nlh = mnl_nlmsg_put_header(nl->req);
	(*nlh)->nlmsg_type = type;
	(*nlh)->nlmsg_flags = NLM_F_REQUEST | flags;
	return mnl_nlmsg_put_extra_header(*nlh, hdr_len);
}

static void nl_close(struct nl *nl)
{
	mnl_socket_close(nl->sock);
}

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/*
 * Our requests are never dumps, so each gets exactly one datagram back: the answer, or an
 * error, or (when asked for with NLM_F_ACK) an acknowledgement.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	ssize_t n;

	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return neg_errno();
	n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
	if (n < 0)
		return neg_errno();
	errno = 0;
	if (mnl_cb_run(nl->buf, n, req->nlmsg_seq, nl->portid, cb, data) < 0)
		return neg_errno();
	return 0;
}

struct link_info {
	int ifindex;
	unsigned int flags;
	char name[IF_NAMESIZE];
	__u8 mac[6];
	bool has_mac;
	__u64 tx_dropped, rx_missed;
	bool veth;
	int link;	   /* IFLA_LINK: a veth's peer */
	int link_netnsid; /* the peer's namespace, NO_NETNSID when it is ours */
};

#define NO_NETNSID (-1)

static int linkinfo_attr(const struct nlattr *a, void *data)
{
	struct link_info *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
		l->veth = !strcmp(mnl_attr_get_str(a), "veth");
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	struct link_info *l = data;
	size_t n;

	switch (mnl_attr_get_type(a)) {
	case IFLA_ADDRESS:
		l->has_mac = mnl_attr_get_payload_len(a) == 6;
		if (l->has_mac)
			memcpy(l->mac, mnl_attr_get_payload(a), 6);
		break;
	case IFLA_IFNAME:
		n = strnlen(mnl_attr_get_str(a), IF_NAMESIZE - 1);
		memcpy(l->name, mnl_attr_get_str(a), n);
		l->name[n] = '\0';
		break;
	case IFLA_STATS64:
		if (mnl_attr_get_payload_len(a) >= sizeof(struct rtnl_link_stats64)) {
			struct rtnl_link_stats64 st;

			memcpy(&st, mnl_attr_get_payload(a), sizeof(st));
			l->tx_dropped = st.tx_dropped;
			l->rx_missed = st.rx_missed_errors;
		}
		break;
	case IFLA_LINK:
		l->link = mnl_attr_get_u32(a);
		break;
	case IFLA_LINK_NETNSID:
		l->link_netnsid = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		return mnl_attr_parse_nested(a, linkinfo_attr, l);
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link_info *l = data;

	l->ifindex = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr, l);
}

/*
 * By index, or by name (alternative names too) when ifindex is 0; in the namespace netnsid (as
 * our namespace numbers it) unless that is NO_NETNSID.
 */
static int link_get_in(struct nl *nl, int ifindex, const char *name, int netnsid,
		       struct link_info *l)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm = nl_request(nl, RTM_GETLINK, 0, sizeof(*ifm), &nlh);

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (!ifindex)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (netnsid != NO_NETNSID)
		mnl_attr_put_u32(nlh, IFLA_TARGET_NETNSID, netnsid);
	memset(l, 0, sizeof(*l));
	l->link_netnsid = NO_NETNSID;
	return nl_talk(nl, nlh, link_cb, l);
}

static int link_get(struct nl *nl, int ifindex, const char *name, struct link_info *l)
{
	return link_get_in(nl, ifindex, name, NO_NETNSID, l);
}

static int link_by_name(struct nl *nl, const char *name, struct link_info *l)
{
	/* The kernel would refuse an over-long name as malformed rather than unknown. */
	int err = strlen(name) < IF_NAMESIZE ? link_get(nl, 0, name, l) : -ENODEV;

	if (err == -ENODEV)
		pr_warn("unknown interface '%s'\n", name);
	else if (err)
		pr_warn("cannot read interface '%s': %s\n", name, strerror(-err));
	return err;
}

struct route_info {
	int oif;
	__u8 type;
	bool has_gateway, has_prefsrc;
	__u8 gateway[16], prefsrc[16]; /* 4 bytes for AF_INET, as in the header */
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct route_info *r = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		r->oif = mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
		if (len == 4 || len == 16) {
			memcpy(r->gateway, mnl_attr_get_payload(a), len);
			r->has_gateway = true;
		}
		break;
	case RTA_PREFSRC:
		if (len == 4 || len == 16) {
			memcpy(r->prefsrc, mnl_attr_get_payload(a), len);
			r->has_prefsrc = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_info *r = data;

	r->type = rtm->rtm_type;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_attr, r);
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/*
 * `ip route get daddr [oif X]` (daddr of family's length): the kernel's own output route. With
 * an oif that no route covers, the kernel answers with daddr on-link on that interface and a
 * source from its primary address (ip_route_output_key_hash_rcu), exactly what we want for a
 * forced interface, so that case needs no code of ours.
 */
static int route_get(struct nl *nl, int family, const void *daddr, int oif, struct route_info *r)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm = nl_request(nl, RTM_GETROUTE, 0, sizeof(*rtm), &nlh);

	rtm->rtm_family = family;
	rtm->rtm_dst_len = addr_len(family) * 8;
	mnl_attr_put(nlh, RTA_DST, addr_len(family), daddr);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	memset(r, 0, sizeof(*r));
	return nl_talk(nl, nlh, route_cb, r);
}

struct neigh_info {
	__u8 mac[6];
	bool has_mac;
	__u16 state;
};

static int neigh_attr(const struct nlattr *a, void *data)
{
	struct neigh_info *n = data;

	if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
		memcpy(n->mac, mnl_attr_get_payload(a), 6);
		n->has_mac = true;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh_info *n = data;

	n->state = ndm->ndm_state;
	return mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr, n);
}

/* An IPv4 (4 bytes) or IPv6 (16 bytes) neighbour address, as in the header. */
struct neigh_addr {
	int family;
	__u8 b[16];
};

static void put_neigh_dst(struct nlmsghdr *nlh, const struct neigh_addr *a)
{
	mnl_attr_put(nlh, NDA_DST, a->family == AF_INET6 ? 16 : 4, a->b);
}

/* -ENOENT when the table has no entry for (ifindex, addr). */
static int neigh_get(struct nl *nl, int ifindex, const struct neigh_addr *addr,
		     struct neigh_info *n)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm = nl_request(nl, RTM_GETNEIGH, 0, sizeof(*ndm), &nlh);

	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	put_neigh_dst(nlh, addr);
	memset(n, 0, sizeof(*n));
	return nl_talk(nl, nlh, neigh_cb, n);
}

/*
 * Starts resolution: RTM_NEWNEIGH with NTF_USE (and NLM_F_CREATE) makes the kernel create the
 * entry if needed and run neigh_event_send() on it, as if a packet were waiting, so it goes
 * INCOMPLETE and solicits with the kernel's own retries and timers. Unlike a UDP datagram sent
 * to provoke it, this puts nothing but ARP on the wire, cannot be diverted by policy routing
 * or dropped by an output firewall, and acts on exactly the (interface, address) entry we poll.
 */
static int neigh_use(struct nl *nl, int ifindex, const struct neigh_addr *addr)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm = nl_request(nl, RTM_NEWNEIGH, NLM_F_ACK | NLM_F_CREATE, sizeof(*ndm), &nlh);

	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_flags = NTF_USE;
	put_neigh_dst(nlh, addr);
	return nl_talk(nl, nlh, NULL, NULL);
}

/*
 * Neighbour states whose MAC the kernel itself would send to; NOARP is the interface's own MAC on
 * links that do not resolve.
 */
#define NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)

static int neigh_resolve(struct nl *nl, int ifindex, const char *ifname,
			 const struct neigh_addr *addr, int timeout_ms, __u8 mac[6])
{
	long long deadline = mono_ns() / NSEC_PER_MSEC + timeout_ms;
	struct neigh_info n;
	char a[INET6_ADDRSTRLEN];
	int err;

	inet_ntop(addr->family, addr->b, a, sizeof(a));
	for (;;) {
		long long left;

		err = neigh_get(nl, ifindex, addr, &n);
		if (!err && n.has_mac && (n.state & NUD_USABLE)) {
			memcpy(mac, n.mac, 6);
			return 0;
		}
		if (err && err != -ENOENT) {
			pr_warn("cannot read the neighbour table for %s on %s: %s\n", a, ifname,
				strerror(-err));
			return err;
		}
		/* INCOMPLETE is being resolved already; a missing or FAILED entry needs a start. */
		if (err || !(n.state & NUD_INCOMPLETE)) {
			err = neigh_use(nl, ifindex, addr);
			if (err) {
				pr_warn("cannot resolve %s on %s: %s\n", a, ifname,
					strerror(-err));
				return err;
			}
		}
		left = deadline - (long long)(mono_ns() / NSEC_PER_MSEC);
		if (left <= 0)
			break;
		if (left > NEIGH_POLL_MS)
			left = NEIGH_POLL_MS;
		nanosleep(&(struct timespec){ .tv_nsec = left * 1000000 }, NULL);
	}
	if (addr->family == AF_INET6)
		pr_warn("no neighbour advertisement from %s on %s\n", a, ifname);
	else
		pr_warn("no ARP reply from %s on %s\n", a, ifname);
	return -EHOSTUNREACH;
}

/* The route to daddr (family's length), its interface, source and resolved gateway. */
static int next_hop(int family, const void *daddr, const char *ifname, int timeout_ms,
		    struct next_hop *nh)
{
	static const __u8 zero[16];
	bool v6 = family == AF_INET6;
	struct link_info l = { 0 };
	char a[INET6_ADDRSTRLEN];
	struct route_info r;
	struct nl nl;
	int err;

	memset(nh, 0, sizeof(*nh));
	inet_ntop(family, daddr, a, sizeof(a));
	err = nl_open(&nl);
	if (err)
		return err;
	if (ifname) {
		err = link_by_name(&nl, ifname, &l);
		if (err)
			goto out;
		/* Checked here because the kernel would only say there is no route. */
		if (!(l.flags & IFF_UP)) {
			pr_warn("interface %s is down\n", l.name);
			err = -ENETDOWN;
			goto out;
		}
	}
	err = route_get(&nl, family, daddr, l.ifindex, &r);
	if (!err && r.type == RTN_LOCAL) {
		pr_warn("%s is a local address\n", a);
		err = -EINVAL;
		goto out;
	}
	/* Unreachable, prohibit and blackhole routes all mean the same to us. */
	if (err || r.type != RTN_UNICAST || !r.oif) {
		pr_warn("no route to %s\n", a);
		err = -ENETUNREACH;
		goto out;
	}
	err = link_get(&nl, r.oif, NULL, &l);
	if (err) {
		pr_warn("cannot read interface %d: %s\n", r.oif, strerror(-err));
		goto out;
	}
	if (!l.has_mac) {
		pr_warn("%s is not an Ethernet interface\n", l.name);
		err = -EOPNOTSUPP;
		goto out;
	}
	if (!r.has_prefsrc || !memcmp(r.prefsrc, zero, addr_len(family))) {
		if (v6)
			pr_warn("no IPv6 address on %s to reach %s from\n", l.name, a);
		else
			pr_warn("no IPv4 address on %s\n", l.name);
		err = -EADDRNOTAVAIL;
		goto out;
	}
	nh->v6 = v6;
	nh->ifindex = l.ifindex;
	memcpy(nh->ifname, l.name, sizeof(nh->ifname));
	memcpy(nh->src_mac, l.mac, 6);
	memcpy(v6 ? (void *)nh->saddr6 : (void *)&nh->saddr, r.prefsrc, addr_len(family));
	nh->on_link = !r.has_gateway;
	/*
	 * On-link targets each need their own neighbour: the caller decides how to reach them.
	 * A link-local IPv6 gateway is a neighbour of the route's interface like any other.
	 */
	if (!nh->on_link) {
		struct neigh_addr gw = { .family = family };

		memcpy(gw.b, r.gateway, addr_len(family));
		memcpy(nh->gateway, r.gateway, addr_len(family));
		err = neigh_resolve(&nl, nh->ifindex, nh->ifname, &gw, timeout_ms, nh->dst_mac);
	}
out:
	nl_close(&nl);
	return err;
}

int netif_gateway_mac(const struct next_hop *nh, __u8 mac[6])
{
	struct neigh_addr gw = { .family = nh->v6 ? AF_INET6 : AF_INET };
	struct neigh_info n;
	struct nl nl;
	int err;

	memcpy(gw.b, nh->gateway, sizeof(gw.b));
	err = nl_open(&nl);
	if (err)
		return err;
	err = neigh_get(&nl, nh->ifindex, &gw, &n);
	nl_close(&nl);
	if (err)
		return err;
	if (!n.has_mac || !(n.state & NUD_USABLE))
		return -ENOENT;
	memcpy(mac, n.mac, 6);
	return 0;
}

int netif_next_hop(__u32 daddr, const char *ifname, int timeout_ms, struct next_hop *nh)
{
	return next_hop(AF_INET, &daddr, ifname, timeout_ms, nh);
}

int netif_next_hop6(const __u8 daddr[16], const char *ifname, int timeout_ms,
		    struct next_hop *nh)
{
	return next_hop(AF_INET6, daddr, ifname, timeout_ms, nh);
}

static bool has_addr(const struct ifaddrs *all, const char *ifname, __u32 addr)
{
	for (const struct ifaddrs *a = all; a; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET &&
		    !strcmp(a->ifa_name, ifname) &&
		    ((const struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr == addr)
			return true;
	return false;
}

int netif_lacks_addr(const char *ifname, const __u32 *addrs, unsigned int n)
{
	struct ifaddrs *all;
	unsigned int i;

	if (getifaddrs(&all))
		return -errno;
	for (i = 0; i < n && has_addr(all, ifname, addrs[i]); i++)
		;
	freeifaddrs(all);
	return i;
}

int netif_ifindex(const char *ifname)
{
	struct link_info l;
	struct nl nl;
	int err;

	err = nl_open(&nl);
	if (err)
		return err;
	err = link_by_name(&nl, ifname, &l);
	nl_close(&nl);
	return err ?: l.ifindex;
}

int netif_drops(int ifindex, __u64 *drops)
{
	struct link_info l, peer;
	struct nl nl;
	int err;

	err = nl_open(&nl);
	if (err)
		return err;
	err = link_get(&nl, ifindex, NULL, &l);
	if (!err) {
		*drops = l.tx_dropped + l.rx_missed;
		/* veth counts a frame our ring had no room for at the sending end: the peer's. */
		if (l.veth && l.link && !link_get_in(&nl, l.link, NULL, l.link_netnsid, &peer))
			*drops += peer.tx_dropped;
	}
	nl_close(&nl);
	return err;
}
