/* SPDX-License-Identifier: GPL-2.0 */
/* Logging in the xdp-tools manner: pr_warn always, pr_info with -v, pr_debug with -vv. */
#ifndef ECHOMAP_LOG_H
#define ECHOMAP_LOG_H

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern enum log_level log_level;

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
