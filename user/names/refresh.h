/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When watch asks for a name again: at the expiry of its answer (the lowest TTL of its records,
 * within REFRESH_TTL_MIN_S..REFRESH_TTL_MAX_S), never for an /etc/hosts answer (which has no
 * TTL: SIGHUP reads the file again), and after a failure with a backoff that doubles from
 * REFRESH_RETRY_MIN_S to REFRESH_RETRY_MAX_S. Pure functions of the outcome and the time.
 */
#ifndef ECHOMAP_NAMES_REFRESH_H
#define ECHOMAP_NAMES_REFRESH_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * TTL 0 means "do not cache": still, asking more than once a second is no use to a prober
 * whose rounds are at least a second apart (in practice a name is asked at most once a round).
 * A TTL of weeks (up to 2^31 s is legal) must not freeze a name: a day is what resolvers cap
 * their caches at (unbound's cache-max-ttl).
 */
#define REFRESH_TTL_MIN_S 1
#define REFRESH_TTL_MAX_S 86400

/*
 * A failing server is asked again soon (an outage is often short), then less and less often,
 * so that thousands of names do not keep a struggling server busy.
 */
#define REFRESH_RETRY_MIN_S 2
#define REFRESH_RETRY_MAX_S 300

#define REFRESH_NEVER (~0ULL)

enum name_state {
	NAME_RESOLVED, /* DNS answered: asked again when the answer expires */
	NAME_STATIC,   /* the hosts file answered: asked again only on SIGHUP */
	NAME_FAILING,  /* the last try failed, may not next time (SERVFAIL, timeout, no server) */
	NAME_GONE,     /* the name does not exist or has no IPv4 address (NXDOMAIN, NODATA) */
};

enum name_outcome {
	OUTCOME_DNS,	  /* addresses from DNS, with a TTL */
	OUTCOME_FILES,	  /* addresses from the hosts file */
	OUTCOME_TRYAGAIN, /* a failure that may pass */
	OUTCOME_NOTFOUND, /* the name does not exist */
};

struct name_sched {
	enum name_state state;
	__u64 due_ns;  /* CLOCK_MONOTONIC time to ask again, or REFRESH_NEVER */
	__u32 retry_s; /* the delay before the pending retry; 0 while answers come */
};

/* ttl_s within REFRESH_TTL_MIN_S..REFRESH_TTL_MAX_S. */
__u32 refresh_ttl(__u32 ttl_s);

/*
 * Moves s on after an outcome at now_ns (ttl_s: of an OUTCOME_DNS answer) and sets when to ask
 * again. True when the state changed: what a log line reports, once per change.
 */
bool refresh_update(struct name_sched *s, enum name_outcome o, __u32 ttl_s, __u64 now_ns);

/* Whether the name is to be asked again by horizon_ns. */
static inline bool refresh_due(const struct name_sched *s, __u64 horizon_ns)
{
	return s->due_ns <= horizon_ns;
}

#endif
