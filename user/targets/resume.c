// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/log.h"
#include "targets/resume.h"

#define MAGIC "echomap-resume 1"

__u64 targets_digest(const struct target_set *ts)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < ts->n_iv; i++) {
		const unsigned char *b = (const unsigned char *)&ts->iv[i];

		for (size_t k = 0; k < sizeof(ts->iv[i]); k++)
			h = (h ^ b[k]) * 0x100000001b3ULL;
	}
	return h;
}

int resume_read(const char *path, struct resume_state *st)
{
	char magic[32] = "";
	unsigned int complete;
	FILE *f = fopen(path, "r");
	int n;

	if (!f) {
		if (errno == ENOENT)
			return -ENOENT;
		pr_warn("cannot read %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	n = fscanf(f, "%31[^\n]\nseed %llu\nshards %u\nshard %u\nprobes %u\ntargets %llu\n"
		      "digest %llx\nwalk %llu %llu %llu %llu %llu\ncomplete %u\n",
		   magic, (unsigned long long *)&st->seed, &st->shards, &st->shard, &st->probes,
		   (unsigned long long *)&st->targets, (unsigned long long *)&st->digest,
		   (unsigned long long *)&st->pm.n, (unsigned long long *)&st->pm.p,
		   (unsigned long long *)&st->pm.g, (unsigned long long *)&st->pm.cur,
		   (unsigned long long *)&st->pm.left, &complete);
	fclose(f);
	if (n != 13 || strcmp(magic, MAGIC) || st->pm.n != st->targets) {
		pr_warn("%s is not an echomap resume state\n", path);
		return -EINVAL;
	}
	st->complete = complete;
	return 0;
}

static void put_state(FILE *f, const void *arg)
{
	const struct resume_state *st = arg;

	fprintf(f, MAGIC "\nseed %llu\nshards %u\nshard %u\nprobes %u\ntargets %llu\n"
		      "digest %016llx\nwalk %llu %llu %llu %llu %llu\ncomplete %u\n",
		(unsigned long long)st->seed, st->shards, st->shard, st->probes,
		(unsigned long long)st->targets, (unsigned long long)st->digest,
		(unsigned long long)st->pm.n, (unsigned long long)st->pm.p,
		(unsigned long long)st->pm.g, (unsigned long long)st->pm.cur,
		(unsigned long long)st->pm.left, st->complete);
}

/* Atomic: a crash keeps the last checkpoint or this one. */
int resume_write(const char *path, const struct resume_state *st)
{
	return atomic_file_write(path, put_state, st);
}
