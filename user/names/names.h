/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names of a watch and the addresses each is probed at, followed as they change: an answer
 * that expires is asked for again (refresh.h says when), a new address set replaces the old one,
 * a failure that may pass (SERVFAIL, timeout) keeps the last known addresses, a name that no
 * longer exists (NXDOMAIN) loses its addresses. Each change is logged once.
 */
#ifndef ECHOMAP_NAMES_NAMES_H
#define ECHOMAP_NAMES_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "names/refresh.h"
#include "names/resolve.h"
#include "targets/targets.h"

struct name_table {
	struct target_spec spec;
	struct resolved *res;	  /* spec.n_names: where each name is probed now */
	struct name_sched *sched; /* spec.n_names */
	bool all;		  /* every address of a name (-m), not only the first */
	bool dirty;		  /* addresses changed since the target set was last built */
};

/* Names to ask for again, and then their answers. */
struct name_batch {
	__u64 gen;	     /* set by the caller: answers for a table replaced since are void */
	size_t n;
	size_t *idx;	     /* into the table */
	char **names;	     /* copies: the table may be replaced meanwhile */
	struct resolved *res; /* n, filled by whoever resolves them */
};

/*
 * A table of spec (its names resolved into res at now_ns, as targets_resolve left them): both
 * are taken over, also on failure. With old (the table a SIGHUP replaces), a name that failed
 * in a way that may pass keeps the addresses it had there. 0 or -ENOMEM.
 */
int names_init(struct name_table *t, struct target_spec *spec, struct resolved *res, bool all,
	       const struct name_table *old, __u64 now_ns);

/* The names due by horizon_ns, or NULL when there is none (or no memory: tried again later). */
struct name_batch *names_due(const struct name_table *t, __u64 horizon_ns);

/*
 * The answers of b (taken from t), received at now_ns, into t: logs what changed and sets
 * t->dirty when some name's addresses did. The answers are moved out of b.
 */
void names_apply(struct name_table *t, struct name_batch *b, __u64 now_ns);

void name_batch_free(struct name_batch *b);
void names_free(struct name_table *t);

#endif
