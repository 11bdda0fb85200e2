// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

enum log_level log_level = LOG_WARN;

/* Messages go to stderr prefixed with the program name, so they never mix with results. */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	fputs("echomap: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
