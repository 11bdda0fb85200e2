/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities are per thread on Linux: a long-running watch keeps in its prober's thread only
 * what a reload needs, and its other threads (HTTP, reporting, names, file watching), which
 * read what others send, run with none.
 */
#ifndef ECHOMAP_LIB_CAPS_H
#define ECHOMAP_LIB_CAPS_H

#include <linux/capability.h>
#include <linux/types.h>

#define CAP_BIT(c) (1ULL << (c))

/*
 * Limits the calling thread's effective, permitted and inheritable capabilities to those in
 * keep (CAP_BIT()s) that it has; threads it starts from then on inherit the rest. 0 or -errno.
 */
int caps_limit_thread(__u64 keep);

#endif
