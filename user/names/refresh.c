// SPDX-License-Identifier: GPL-2.0
#include "lib/clock.h"
#include "names/refresh.h"


__u32 refresh_ttl(__u32 ttl_s)
{
	return ttl_s < REFRESH_TTL_MIN_S ? REFRESH_TTL_MIN_S :
	       ttl_s > REFRESH_TTL_MAX_S ? REFRESH_TTL_MAX_S :
					   ttl_s;
}

bool refresh_update(struct name_sched *s, enum name_outcome o, __u32 ttl_s, __u64 now_ns)
{
	enum name_state old = s->state;

	switch (o) {
	case OUTCOME_DNS:
		s->state = NAME_RESOLVED;
		s->retry_s = 0;
		s->due_ns = now_ns + refresh_ttl(ttl_s) * NSEC_PER_SEC;
		break;
	case OUTCOME_FILES:
		s->state = NAME_STATIC;
		s->retry_s = 0;
		s->due_ns = REFRESH_NEVER;
		break;
	case OUTCOME_TRYAGAIN:
	case OUTCOME_NOTFOUND:
		s->state = o == OUTCOME_TRYAGAIN ? NAME_FAILING : NAME_GONE;
		/* One backoff for both: a name can flap between them while a zone is repaired. */
		s->retry_s = !s->retry_s			 ? REFRESH_RETRY_MIN_S :
			     s->retry_s >= REFRESH_RETRY_MAX_S / 2 ? REFRESH_RETRY_MAX_S :
								 s->retry_s * 2;
		s->due_ns = now_ns + s->retry_s * NSEC_PER_SEC;
		break;
	}
	return s->state != old;
}
