// SPDX-License-Identifier: GPL-2.0
/* The guard that detaches from libxdp's dispatcher what a killed echomap left attached. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "kernel/xdp_guard.h"
#include "lib/log.h"

#define GUARD_MAX 64

struct guard_msg {
	int ifindex;
	__u32 prog_id;
	__u32 attached;
};

static int guard_fd = -1;
static pid_t guard_pid;

/* Detaches prog_id from ifindex's dispatcher, if it is still there. */
static void detach_left(int ifindex, __u32 prog_id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;

	if (libxdp_get_error(mp))
		return;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
		if (xdp_program__id(p) != prog_id)
			continue;
		if (!xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0))
			pr_info("guard: detached program %u that echomap left on ifindex %d\n",
				prog_id, ifindex);
		break;
	}
	xdp_multiprog__close(mp);
}

static void guard_main(int fd)
{
	struct guard_msg left[GUARD_MAX], msg;
	unsigned int n = 0, i;

	/* Whatever stops echomap (a terminal's ^C, a unit's SIGTERM) must not stop us first. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "echomap-guard");
	while (read(fd, &msg, sizeof(msg)) == sizeof(msg)) {
		for (i = 0; i < n; i++)
			if (left[i].ifindex == msg.ifindex && left[i].prog_id == msg.prog_id)
				break;
		if (msg.attached && i == n && n < GUARD_MAX)
			left[n++] = msg;
		else if (!msg.attached && i < n)
			left[i] = left[--n];
	}
	for (i = 0; i < n; i++)
		detach_left(left[i].ifindex, left[i].prog_id);
	_exit(0);
}

static int guard_start(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	guard_pid = fork();
	if (guard_pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (!guard_pid) {
		close(p[1]);
		/* Only the pipe and stderr: no output file, socket or map stays open through us. */
		dup2(p[0], 3);
		close_range(4, ~0U, 0);
		close(0);
		close(1);
		guard_main(3);
	}
	close(p[0]);
	guard_fd = p[1];
	return 0;
}

static void guard_send(int ifindex, __u32 prog_id, bool attached)
{
	struct guard_msg msg = { .ifindex = ifindex, .prog_id = prog_id, .attached = attached };

	if (guard_fd < 0)
		return;
	/* A pipe write this small is atomic; the guard reads faster than we attach. */
	if (write(guard_fd, &msg, sizeof(msg)) != sizeof(msg))
		pr_warn("cannot reach the guard: a kill -9 would leave program %u attached\n",
			prog_id);
}

void xdp_guard_watch(int ifindex, __u32 prog_id)
{
	int err;

	if (guard_fd < 0) {
		err = guard_start();
		if (err) {
			pr_warn("cannot start the guard (%s): a kill -9 would leave program %u "
				"attached\n", strerror(-err), prog_id);
			return;
		}
	}
	guard_send(ifindex, prog_id, true);
}

void xdp_guard_forget(int ifindex, __u32 prog_id)
{
	guard_send(ifindex, prog_id, false);
}

void xdp_guard_stop(void)
{
	if (guard_fd < 0)
		return;
	close(guard_fd);
	guard_fd = -1;
	while (waitpid(guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
}
