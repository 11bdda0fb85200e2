// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define RL_WINDOW_S 60
#define RL_SITES    32

/* Notices are the watch daemon's; the one-shot commands keep their quiet default. */
enum log_level log_level = LOG_NOTICE;

static bool daemon_style;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Repeats per call site: the format string's address tells sites apart. */
static struct rl_site {
	const char *fmt;
	time_t window;
	unsigned int shown, suppressed;
} sites[RL_SITES];

static const char *const level_names[] = {
	[LOG_WARN] = "warn", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug"
};

void log_daemon_style(void)
{
	daemon_style = true;
}

static void stamp(enum log_level lvl)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ echomap[%d] %s: ", buf, ts.tv_nsec / 1000000, (int)getpid(),
		level_names[lvl]);
}

/*
 * Whether a message from fmt may be shown now. Past the burst it is counted instead; the count
 * is reported before the first message of a later window. A full table lets everything through:
 * there are far fewer call sites than slots.
 */
static bool rate_ok(enum log_level lvl, const char *fmt)
{
	time_t now = time(NULL);
	struct rl_site *s = NULL;

	for (int i = 0; i < RL_SITES && !s; i++)
		if (sites[i].fmt == fmt || !sites[i].fmt)
			s = &sites[i];
	if (!s)
		return true;
	if (s->fmt != fmt || now - s->window >= RL_WINDOW_S) {
		if (s->fmt == fmt && s->suppressed) {
			stamp(lvl);
			fprintf(stderr, "%u more messages like the next one were suppressed\n",
				s->suppressed);
		}
		s->fmt = fmt;
		s->window = now;
		s->shown = s->suppressed = 0;
	}
	if (s->shown < LOG_BURST) {
		s->shown++;
		return true;
	}
	s->suppressed++;
	return false;
}

/* Messages go to stderr prefixed with the program name, so they never mix with results. */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	pthread_mutex_lock(&lock);
	if (!daemon_style) {
		fputs("echomap: ", stderr);
	} else if (lvl > LOG_NOTICE || rate_ok(lvl, fmt)) {
		stamp(lvl);
	} else {
		pthread_mutex_unlock(&lock);
		return;
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&lock);
}
