// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int resume_write(const char *path, const struct resume_state *st)
{
	char *tmp;
	FILE *f = NULL;
	int fd, err = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fchmod(fd, 0644);
	fprintf(f, MAGIC "\nseed %llu\nshards %u\nshard %u\nprobes %u\ntargets %llu\n"
		      "digest %016llx\nwalk %llu %llu %llu %llu %llu\ncomplete %u\n",
		(unsigned long long)st->seed, st->shards, st->shard, st->probes,
		(unsigned long long)st->targets, (unsigned long long)st->digest,
		(unsigned long long)st->pm.n, (unsigned long long)st->pm.p,
		(unsigned long long)st->pm.g, (unsigned long long)st->pm.cur,
		(unsigned long long)st->pm.left, st->complete);
	/* Whole on disk before it replaces the last one: a crash keeps one or the other. */
	if (fflush(f) || ferror(f) || fsync(fd))
		err = -errno ?: -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err) {
		pr_warn("cannot write %s: %s\n", path, strerror(-err));
		unlink(tmp);
	}
	free(tmp);
	return err;
}
