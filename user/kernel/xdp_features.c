// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's XDP features over generic netlink: resolve the "netdev" family, then ask for one
 * device (NETDEV_CMD_DEV_GET). One socket per call, one request and its answer at a time.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <string.h>
#include <time.h>

#include "kernel/xdp_features.h"

/* <linux/netdev.h> (Linux 6.3 uapi) */
#define NETDEV_FAMILY_NAME	   "netdev"
#define NETDEV_CMD_DEV_GET	   1
#define NETDEV_A_DEV_IFINDEX	   1
#define NETDEV_A_DEV_XDP_FEATURES 3

struct answer {
	__u16 family;
	__u64 features;
	bool found;
};

static int on_family_attr(const struct nlattr *a, void *data)
{
	struct answer *ans = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && !mnl_attr_validate(a, MNL_TYPE_U16)) {
		ans->family = mnl_attr_get_u16(a);
		ans->found = true;
	}
	return MNL_CB_OK;
}

static int on_dev_attr(const struct nlattr *a, void *data)
{
	struct answer *ans = data;

	if (mnl_attr_get_type(a) == NETDEV_A_DEV_XDP_FEATURES &&
	    !mnl_attr_validate(a, MNL_TYPE_U64)) {
		ans->features = mnl_attr_get_u64(a);
		ans->found = true;
	}
	return MNL_CB_OK;
}

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), on_family_attr, data);
}

static int on_dev(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), on_dev_attr, data);
}

static int talk(struct mnl_socket *sock, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(sock);
	ssize_t n;

	if (mnl_socket_sendto(sock, req, req->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	errno = 0;
	if (mnl_cb_run(buf, n, req->nlmsg_seq, portid, cb, data) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static struct nlmsghdr *genl_request(char *buf, __u16 type, __u8 cmd, __u32 seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

int xdp_features(int ifindex, __u64 *features)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct answer ans = { 0 };
	struct mnl_socket *sock;
	struct nlmsghdr *nlh;
	__u32 seq = time(NULL);
	int err;

	sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!sock)
		return -errno;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	nlh = genl_request(req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NETDEV_FAMILY_NAME);
	err = talk(sock, nlh, on_family, &ans);
	/* No such family: a kernel from before XDP features were reported. */
	if (err == -ENOENT || (!err && !ans.found)) {
		err = -EOPNOTSUPP;
		goto out;
	}
	if (err)
		goto out;
	ans.found = false;
	nlh = genl_request(req, ans.family, NETDEV_CMD_DEV_GET, seq + 1);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, ifindex);
	err = talk(sock, nlh, on_dev, &ans);
	if (!err && !ans.found)
		err = -EOPNOTSUPP;
	if (!err)
		*features = ans.features;
out:
	mnl_socket_close(sock);
	return err;
}
