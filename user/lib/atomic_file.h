/* SPDX-License-Identifier: GPL-2.0 */
/* A small file replaced whole: written beside it, fsync'ed, renamed over it. */
#ifndef ECHOMAP_LIB_ATOMIC_FILE_H
#define ECHOMAP_LIB_ATOMIC_FILE_H

#include <stdio.h>

/*
 * Writes path (mode 0644) with fill(f, arg): a crash leaves the old file or the new one, never
 * a part. 0, or -errno after one "cannot write PATH" line; then nothing is left beside path.
 */
int atomic_file_write(const char *path, void (*fill)(FILE *f, const void *arg), const void *arg);

#endif
