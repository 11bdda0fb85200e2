/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watch snapshots: after each round, DIR/echomap-<UTC time>-<round>.jsonl with one JSON line
 * per target (the fields of sweep -F json, then round, time, sent, loss, quantiles), written
 * atomically; DIR/latest.jsonl links to the newest, and only the newest KEEP are kept.
 */
#ifndef ECHOMAP_REPORT_SNAPSHOT_H
#define ECHOMAP_REPORT_SNAPSHOT_H

#include "report/round.h"

/* dir is a directory we can create files in: 0, or -errno after one pr_warn line. */
int snapshot_check(const char *dir);
/* 0 or -errno after one pr_warn line. keep 0 keeps every snapshot. */
int snapshot_write(const char *dir, unsigned int keep, const struct round_report *r);

#endif
