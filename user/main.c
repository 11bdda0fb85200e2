// SPDX-License-Identifier: GPL-2.0
/* echomap: subcommand dispatch, signals, exit codes. */
#include <signal.h>
#include <string.h>

#include "cmd/commands.h"
#include "config.h"
#include "session.h"

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct config cfg;
	int err;

	err = cli_parse(argc, argv, &cfg);
	if (err)
		return err > 0 ? EXIT_ALL_UP : EXIT_USAGE;

	/* No SA_RESTART: sleeps and polls return early so the loops see the request. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	switch (cfg.cmd) {
	case CMD_MAP:
		return map_run(&cfg);
	case CMD_WATCH:
		/* A daemon's reload; the one-shot commands keep SIGHUP's default. */
		sigaction(SIGHUP, &sa, NULL);
		return watch_run(&cfg);
	case CMD_SWEEP:
		return sweep_run(&cfg);
	default:
		return ping_run(&cfg);
	}
}
