/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch --config FILE: groups of targets, each probed on its own schedule and labelled on its
 * own, in YAML (libyaml). Read whole and checked before anything is used, so that a broken file
 * changes nothing: at start it is refused, on SIGHUP the running configuration stays.
 *
 *   groups:
 *     - name: voice                  # optional, unique; "group N" (from 1) by default
 *       targets: [198.18.0.1, 198.18.1.0/30, db1.lab, "@voice.txt"]
 *       labels: {site: par1}         # added to every series of the group
 *       interval: 10s                # ms, s, m, h; 100ms..24h; default 10s
 *       probes: 5                    # per target and round, 1..16; default 1
 *       spacing: 20ms                # between a target's probes (burst); default: spread
 *       timeout: 500ms               # at most half the interval; default min(1s, half)
 *       size: 24                     # ICMP data bytes, 24..1472; default --size's
 *       ttl: 64                      # 1..255; default --ttl's
 *       dscp: ef                     # 0..63, or CS0..CS7, AF11..AF43, EF, VA, LE; or
 *                                    # tos: 0..255, the whole byte (ECN bits too)
 *       df: true                     # don't fragment; default false
 *       source: 192.0.2.5            # an address of this host; default the route's
 *     - name: lab
 *       file_sd: ["lab/a*.json"]     # Prometheus file_sd files (JSON or YAML), relative to
 *                                    # this file: each {targets, labels} entry is a group with
 *                                    # this one's schedule and labels, and its own labels
 *
 * A group without targets of its own (only file_sd) probes nothing itself.
 */
#ifndef ECHOMAP_CONF_WATCH_FILE_H
#define ECHOMAP_CONF_WATCH_FILE_H

#include "report/series.h"
#include "targets/targets.h"

#define GROUP_PROBES_MAX 16

struct watch_group {
	char *name;
	char **targets; /* as on the command line: addresses, prefixes, ranges, names, @files */
	int n_targets;
	struct prom_label *labels;
	unsigned int n_labels;
	unsigned int interval_ms, probes, spacing_ms, timeout_ms;
	/* Its probes' header: 0 (false) for the session's template (--size, --ttl, the route). */
	unsigned int size, ttl, tos;
	bool df;
	__u32 source; /* network order */
	unsigned int line;	/* where the group starts in its file */
	bool from_sd;		/* an entry of a file_sd file, named "GROUP:FILE:N" */
	struct target_spec spec; /* its targets read, to tell which series are its own */
};

struct watch_file {
	char *path;
	struct watch_group *g;
	unsigned int n, cap;
	char **targets;		/* every group's targets, in order: the set the session builds */
	int n_targets;
	char **sd_paths; /* the file_sd paths, as patterns, absolute or from the working folder */
	unsigned int n_sd_paths;
};

/*
 * Reads and checks path. 0; -EINVAL after one line "path:LINE: reason" (a target's own error
 * comes on the line before); -ENOENT after one line when the file cannot be read; -ENOMEM.
 * On failure wf is left empty.
 */
int watch_file_load(struct watch_file *wf, const char *path);
void watch_file_free(struct watch_file *wf);
/*
 * The group of the target index of the set built from wf->targets: the first that lists its
 * address (as an address, a prefix, a range, in a @file, or by a name it resolved from); group 0
 * for one that none lists any more (a @file edited between the two readings).
 */
unsigned int watch_file_group_of(const struct watch_file *wf, const struct target_set *ts,
				 __u64 index);

#endif
