// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/log.h"

int atomic_file_write(const char *path, void (*fill)(FILE *f, const void *arg), const void *arg)
{
	FILE *f = NULL;
	char *tmp;
	int fd, err = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fchmod(fd, 0644);
	fill(f, arg);
	/* Whole on disk before it replaces the last one. */
	if (fflush(f) || ferror(f) || fsync(fd))
		err = -errno ?: -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err) {
		pr_warn("cannot write %s: %s\n", path, strerror(-err));
		unlink(tmp);
	}
	free(tmp);
	return err;
}
