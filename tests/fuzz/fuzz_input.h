/* SPDX-License-Identifier: GPL-2.0 */
/* What the libFuzzer harnesses share: an input as a file, for parsers that read paths. */
#ifndef ECHOMAP_FUZZ_INPUT_H
#define ECHOMAP_FUZZ_INPUT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * data as the contents of a memfd; its path (/proc/self/fd/N) goes into path. Returns the fd,
 * to be closed after the parser ran; aborts when the kernel refuses: that is no finding.
 */
static inline int input_file(const void *data, size_t size, char *path, size_t cap)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
