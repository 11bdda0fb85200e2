/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging in the xdp-tools manner: pr_warn always, pr_info with -v, pr_debug with -vv. pr_notice
 * is for what a long-running watch reports by itself (rounds, reloads) and shows by default.
 */
#ifndef ECHOMAP_LIB_LOG_H
#define ECHOMAP_LIB_LOG_H

#include <stdbool.h>

enum log_level { LOG_WARN = 0, LOG_NOTICE = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern enum log_level log_level;

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Daemon style, for watch: every line starts with a UTC timestamp, the pid and the level, and a
 * warning or notice repeated from one call site is shown at most LOG_BURST times a minute, the
 * rest summed up in one line when the next minute's first one comes. What -v and -vv ask for
 * is never held back.
 */
void log_daemon_style(void);

#define LOG_BURST 5

#define pr_warn(...)   log_msg(LOG_WARN, __VA_ARGS__)
#define pr_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
