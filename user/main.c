// SPDX-License-Identifier: GPL-2.0
/* echomap: subcommand dispatch, signals, exit codes. */
#include "cmd/commands.h"
#include "config.h"
#include "lib/signals.h"

int main(int argc, char **argv)
{
	struct config cfg;
	int err;

	err = cli_parse(argc, argv, &cfg);
	if (err)
		return err > 0 ? EXIT_ALL_UP : EXIT_USAGE;

	/* A daemon's reload; the one-shot commands keep SIGHUP's default. */
	signals_install(cfg.cmd == CMD_WATCH);
	switch (cfg.cmd) {
	case CMD_MAP:
		return map_run(&cfg);
	case CMD_WATCH:
		return watch_run(&cfg);
	case CMD_SWEEP:
		return sweep_run(&cfg);
	case CMD_TRACE:
		return trace_run(&cfg);
	default:
		return ping_run(&cfg);
	}
}
