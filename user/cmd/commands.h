/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: each returns an enum em_exit code. */
#ifndef ECHOMAP_CMD_COMMANDS_H
#define ECHOMAP_CMD_COMMANDS_H

#include "config.h"

int sweep_run(const struct config *cfg);
int ping_run(const struct config *cfg);
int watch_run(const struct config *cfg);
int map_run(const struct config *cfg);
int trace_run(const struct config *cfg);

#endif
