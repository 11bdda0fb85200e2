// SPDX-License-Identifier: GPL-2.0
/* The matcher on the XDP hook: a component of libxdp's dispatcher, or a bpf_link of its own. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <xdp/libxdp.h>

#include "kernel/xdp_guard.h"
#include "kernel/xdp_hook.h"
#include "lib/log.h"

#define DISPATCHER_NAME "xdp_dispatcher"

/* libxdp's messages only with -v / -vv, as libbpf's. */
static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBXDP_WARN && log_level >= LOG_INFO) || log_level >= LOG_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static const char *bpf_hint(int err)
{
	if (err == -EPERM || err == -EACCES)
		return ": need root or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON";
	return "";
}

static const char *bpffs_path(void)
{
	return secure_getenv("LIBXDP_BPFFS") ?: "/sys/fs/bpf";
}

/*
 * A bpffs where libxdp looks for one, and that we may pin in: not a read-only /sys (systemd's
 * ProtectKernelTunables=), not root's 0700 directory without CAP_DAC_OVERRIDE (DynamicUser=).
 */
static bool bpffs_usable(void)
{
	struct statfs st;

	return !statfs(bpffs_path(), &st) && st.f_type == BPF_FS_MAGIC &&
	       !faccessat(AT_FDCWD, bpffs_path(), W_OK | X_OK, AT_EACCESS);
}

/* The program attached to ifindex's hook (0: none) and its name. */
static __u32 holder(int ifindex, char *name, size_t len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info), id;
	int fd;

	snprintf(name, len, "?");
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	id = q.drv_prog_id ?: q.skb_prog_id ?: q.hw_prog_id;
	fd = id ? bpf_prog_get_fd_by_id(id) : -1;
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(name, len, "%s", info.name);
	if (fd >= 0)
		close(fd);
	return id;
}

int xdp_hook_shareable(int ifindex)
{
	char ifname[IF_NAMESIZE] = "?", name[BPF_OBJ_NAME_LEN];
	__u32 id = holder(ifindex, name, sizeof(name));
	bool bpffs = bpffs_usable();

	if_indextoname(ifindex, ifname);
	if (!id)
		return bpffs;
	if (strcmp(name, DISPATCHER_NAME)) {
		pr_warn("cannot attach XDP to %s: its hook is held by program %u (%s), attached "
			"without libxdp's dispatcher, which cannot share it\n", ifname, id, name);
		return -EBUSY;
	}
	if (!bpffs) {
		pr_warn("cannot attach XDP to %s: its hook is held by libxdp's dispatcher "
			"(program %u), and joining it needs a bpffs we can write at %s\n", ifname, id,
			bpffs_path());
		return -EBUSY;
	}
	return 1;
}

/* The mode of a dispatcher already on ifindex, or XDP_MODE_UNSPEC. */
static enum xdp_attach_mode present_mode(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	enum xdp_attach_mode m;

	if (libxdp_get_error(mp))
		return XDP_MODE_UNSPEC;
	m = xdp_multiprog__attach_mode(mp);
	xdp_multiprog__close(mp);
	return m;
}

/*
 * libxdp falls back to attaching our program alone, by netlink, where the kernel cannot run its
 * dispatcher (no freplace programs): that would outlive us. Take it off and attach our program,
 * loaded now, by a bpf_link of its own instead.
 */
static int alone(struct xdp_hook *h, struct bpf_program *prog, enum xdp_mode mode,
		 const char *name)
{
	int err = xdp_multiprog__detach(h->mp);

	xdp_multiprog__close(h->mp);
	xdp_program__close(h->xprog);
	h->mp = NULL;
	h->xprog = NULL;
	if (err) {
		pr_warn("cannot detach what libxdp attached to %s: %s\n", name, strerror(-err));
		return err;
	}
	pr_info("libxdp's dispatcher is unavailable on this kernel: the hook of %s is not shared\n",
		name);
	return xdp_hook_link(h, prog, h->ifindex, mode);
}

/* Attaches h->xprog to ifindex's dispatcher; on failure h->xprog is closed. */
static int join(struct xdp_hook *h, struct bpf_program *prog, int ifindex, enum xdp_mode mode)
{
	char name[IF_NAMESIZE] = "?";
	enum xdp_attach_mode m;
	int err;

	if_indextoname(ifindex, name);
	xdp_program__set_run_prio(h->xprog, XDP_HOOK_RUN_PRIO);

	/* A dispatcher runs in one mode for all its programs: join it in its own. */
	m = present_mode(ifindex);
	if (m == XDP_MODE_UNSPEC)
		m = mode == XDPM_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	if ((mode == XDPM_NATIVE && m != XDP_MODE_NATIVE) ||
	    (mode == XDPM_GENERIC && m != XDP_MODE_SKB)) {
		pr_warn("cannot attach XDP to %s in %s mode: its dispatcher runs in %s mode\n", name,
			mode == XDPM_NATIVE ? "native" : "generic",
			m == XDP_MODE_NATIVE ? "native" : "generic");
		err = -EEXIST;
		goto fail;
	}
	err = xdp_program__attach(h->xprog, ifindex, m, 0);
	if (err && m == XDP_MODE_NATIVE && mode == XDPM_AUTO && present_mode(ifindex) ==
	    XDP_MODE_UNSPEC) {
		pr_info("native XDP unavailable on %s (%s), falling back to generic\n", name,
			strerror(-err));
		m = XDP_MODE_SKB;
		err = xdp_program__attach(h->xprog, ifindex, m, 0);
	}
	if (err) {
		pr_warn("cannot attach XDP to %s through libxdp's dispatcher: %s%s\n", name,
			strerror(-err), bpf_hint(err));
		goto fail;
	}
	h->mode = m;
	h->mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(h->mp);
	if (err) {
		h->mp = NULL;
		pr_warn("cannot read the dispatcher back from %s: %s\n", name, strerror(-err));
		xdp_hook_leave(h);
		return err;
	}
	if (xdp_multiprog__is_legacy(h->mp))
		return alone(h, prog, mode, name);
	xdp_guard_watch(ifindex, xdp_program__id(h->xprog));
	pr_info("reply matcher attached to %s in %s mode, through libxdp's dispatcher\n", name,
		m == XDP_MODE_NATIVE ? "native" : "generic");
	return 0;
fail:
	xdp_program__close(h->xprog);
	h->xprog = NULL;
	return err;
}

static int wrap(struct xdp_hook *h, struct xdp_program *xprog, int ifindex)
{
	int err = libxdp_get_error(xprog);

	libxdp_set_print(libxdp_print);
	h->ifindex = ifindex;
	h->link_fd = -1;
	h->xprog = err ? NULL : xprog;
	if (err)
		pr_warn("cannot prepare the matcher for libxdp: %s\n", strerror(-err));
	return err;
}

int xdp_hook_join(struct xdp_hook *h, struct bpf_object *obj, struct bpf_program *prog,
		  int ifindex, enum xdp_mode mode)
{
	return wrap(h, xdp_program__from_bpf_obj(obj, bpf_program__section_name(prog)), ifindex) ?:
	       join(h, prog, ifindex, mode);
}

int xdp_hook_join_loaded(struct xdp_hook *h, struct bpf_program *prog, int ifindex,
			 enum xdp_mode mode)
{
	int fd = dup(bpf_program__fd(prog));

	if (fd < 0)
		return -errno;
	return wrap(h, xdp_program__from_fd(fd), ifindex) ?: join(h, prog, ifindex, mode);
}

int xdp_hook_link(struct xdp_hook *h, struct bpf_program *prog, int ifindex, enum xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int prog_fd = bpf_program__fd(prog);
	char name[IF_NAMESIZE] = "?";

	if_indextoname(ifindex, name);
	h->ifindex = ifindex;
	if (mode != XDPM_GENERIC) {
		opts.flags = XDP_FLAGS_DRV_MODE;
		h->link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		if (h->link_fd >= 0) {
			pr_info("reply matcher attached to %s in native mode\n", name);
			return 0;
		}
		if (mode == XDPM_NATIVE) {
			int err = -errno;

			pr_warn("cannot attach XDP in native mode to %s: %s\n", name, strerror(-err));
			return err;
		}
		pr_info("native XDP unavailable on %s (%s), falling back to generic\n", name,
			strerror(errno));
	}
	opts.flags = XDP_FLAGS_SKB_MODE;
	h->link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (h->link_fd < 0) {
		int err = -errno;

		pr_warn("cannot attach XDP to %s: %s%s\n", name, strerror(errno), bpf_hint(err));
		return err;
	}
	pr_info("reply matcher attached to %s in generic mode\n", name);
	return 0;
}

int xdp_hook_entry_fd(const struct xdp_hook *h, struct bpf_program *prog)
{
	/*
	 * Shared: the dispatcher is what the kernel has in its own XDP dispatcher; it runs the
	 * programs before ours (which pass a generator frame) and then ours. The one we joined
	 * keeps its links while we hold it, even after another process replaced it on the hook.
	 */
	if (h->mp)
		return xdp_program__fd(xdp_multiprog__main_prog(h->mp));
	return bpf_program__fd(prog);
}

void xdp_hook_leave(struct xdp_hook *h)
{
	if (h->xprog) {
		int err = xdp_program__detach(h->xprog, h->ifindex, h->mode, 0);

		if (err)
			pr_warn("cannot detach the matcher from libxdp's dispatcher: %s\n",
				strerror(-err));
		else
			xdp_guard_forget(h->ifindex, xdp_program__id(h->xprog));
		xdp_multiprog__close(h->mp);
		xdp_program__close(h->xprog);
	}
	/* Closing the link detaches the program; a killed process gets the same from the kernel. */
	if (h->link_fd >= 0)
		close(h->link_fd);
	h->link_fd = -1;
	h->xprog = NULL;
	h->mp = NULL;
}
