// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "conf/file_watch.h"
#include "lib/caps.h"
#include "lib/log.h"
#include "lib/signals.h"

#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)

struct file_watch {
	pthread_t thread;
	int in_fd, stop_fd[2];
	char *const *patterns;
	unsigned int n;
	int *wd; /* per pattern: the watch of its folder */
};

/* Whether the file name of an event in the folder of watch wd matches one of ours. */
static bool ours(const struct file_watch *fw, int wd, const char *name)
{
	for (unsigned int i = 0; i < fw->n; i++) {
		const char *slash = strrchr(fw->patterns[i], '/');

		if (fw->wd[i] == wd && !fnmatch(slash ? slash + 1 : fw->patterns[i], name, 0))
			return true;
	}
	return false;
}

static void *watch_main(void *arg)
{
	struct file_watch *fw = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd[2] = { { .fd = fw->in_fd, .events = POLLIN },
				 { .fd = fw->stop_fd[0], .events = POLLIN } };

	if (caps_limit_thread(0))
		pr_warn("cannot drop the capabilities of the file_sd watcher\n");
	for (;;) {
		ssize_t len;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		len = read(fw->in_fd, buf, sizeof(buf));
		if (len <= 0)
			continue;
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len && ours(fw, ev->wd, ev->name)) {
				pr_info("file_sd: %s changed: reloading\n", ev->name);
				reload_requested = 1;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	return NULL;
}

int file_watch_start(struct file_watch **fwp, char *const *patterns, unsigned int n)
{
	struct file_watch *fw;
	int err;

	*fwp = NULL;
	if (!n)
		return 0;
	fw = calloc(1, sizeof(*fw));
	if (!fw || !(fw->wd = calloc(n, sizeof(*fw->wd)))) {
		free(fw);
		return -ENOMEM;
	}
	fw->patterns = patterns;
	fw->n = n;
	fw->stop_fd[0] = fw->stop_fd[1] = -1;
	fw->in_fd = inotify_init1(IN_CLOEXEC);
	if (fw->in_fd < 0 || pipe2(fw->stop_fd, O_CLOEXEC))
		goto fail;
	for (unsigned int i = 0; i < n; i++) {
		char dir[PATH_MAX];
		const char *slash = strrchr(patterns[i], '/');

		if (!slash)
			strcpy(dir, ".");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - patterns[i]) ?: 1,
				 patterns[i]);
		fw->wd[i] = inotify_add_watch(fw->in_fd, dir, WATCH_EVENTS);
		if (fw->wd[i] < 0) {
			err = -errno;
			pr_warn("cannot watch %s for file_sd changes: %s\n", dir, strerror(errno));
			goto close;
		}
	}
	err = -pthread_create(&fw->thread, NULL, watch_main, fw);
	if (err) {
		pr_warn("cannot start the file_sd watcher: %s\n", strerror(-err));
		goto close;
	}
	*fwp = fw;
	return 0;
fail:
	err = -errno;
	pr_warn("cannot watch the file_sd files: %s\n", strerror(errno));
close:
	if (fw->in_fd >= 0)
		close(fw->in_fd);
	if (fw->stop_fd[0] >= 0) {
		close(fw->stop_fd[0]);
		close(fw->stop_fd[1]);
	}
	free(fw->wd);
	free(fw);
	return err;
}

void file_watch_stop(struct file_watch *fw)
{
	if (!fw)
		return;
	if (write(fw->stop_fd[1], "", 1) < 0)
		pr_warn("cannot stop the file_sd watcher: %s\n", strerror(errno));
	pthread_join(fw->thread, NULL);
	close(fw->in_fd);
	close(fw->stop_fd[0]);
	close(fw->stop_fd[1]);
	free(fw->wd);
	free(fw);
}
