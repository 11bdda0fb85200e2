/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resolves batches of names in a thread of its own, one batch at a time, so that a watch's
 * rounds go on while a server takes its time (resolv.conf's timeout × attempts: 10 s by
 * default, longer than a round).
 */
#ifndef ECHOMAP_NAMES_REFRESHER_H
#define ECHOMAP_NAMES_REFRESHER_H

#include <stdbool.h>

#include "names/names.h"

struct refresher;

/* The thread inherits the caller's signal mask: block signals around this. 0 or -errno. */
int refresher_start(struct refresher **rf);
/* Whether a batch may be submitted: none is being resolved or waiting to be taken. */
bool refresher_idle(struct refresher *rf);
/* Hands b over to be resolved (every address of each name); rf must be idle. */
void refresher_submit(struct refresher *rf, struct name_batch *b);
/* The batch resolved, or NULL while there is none. The caller frees it. */
struct name_batch *refresher_take(struct refresher *rf);
/* Abandons the batch in progress and ends the thread. rf may be NULL. */
void refresher_stop(struct refresher *rf);

#endif
