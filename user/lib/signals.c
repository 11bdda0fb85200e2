// SPDX-License-Identifier: GPL-2.0
#include "lib/signals.h"

volatile sig_atomic_t stop_requested;
volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

void signals_install(bool reload)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: sleeps and polls return early so the loops see the request. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (reload)
		sigaction(SIGHUP, &sa, NULL);
}
