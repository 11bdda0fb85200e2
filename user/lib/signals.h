/* SPDX-License-Identifier: GPL-2.0 */
/* The requests signals make: every loop polls these flags, no handler does more than set one. */
#ifndef ECHOMAP_LIB_SIGNALS_H
#define ECHOMAP_LIB_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t stop_requested;   /* SIGINT, SIGTERM */
extern volatile sig_atomic_t reload_requested; /* SIGHUP, when asked for */

/* SIGINT and SIGTERM request a stop, SIGPIPE is ignored; with reload, SIGHUP requests one. */
void signals_install(bool reload);

#endif
