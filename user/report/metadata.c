// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/log.h"
#include "report/metadata.h"
#include "targets/resume.h"

#define FNV_BASIS 0xcbf29ce484222325ULL

static __u64 fnv1a(__u64 h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The file's bytes, or 0 when there is none (the default blocklist is in the binary). */
static __u64 file_digest(const char *path)
{
	char buf[4096];
	__u64 h = FNV_BASIS;
	FILE *f;
	size_t n;

	if (!path || !(f = fopen(path, "r")))
		return 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		h = fnv1a(h, buf, n);
	fclose(f);
	return h;
}

static void utc(FILE *f, const char *key, const struct timespec *t)
{
	struct tm tm;
	char s[32];

	gmtime_r(&t->tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"%s\":\"%s.%03ldZ\",", key, s, t->tv_nsec / 1000000);
}

static void write_json(FILE *f, const void *arg)
{
	const struct run_meta *m = arg;
	struct utsname u;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	fprintf(f, "{\"echomap_version\":\"%s\",\"commit\":\"%s\",\"kernel\":\"%s %s\","
		   "\"engine\":\"%s\","
		   "\"interface\":\"%s\",\"seed\":\"%llu\",\"shards\":%u,\"shard\":%u,"
		   "\"probes_per_target\":%u,\"stream\":%s,",
		m->version, m->commit, u.sysname, u.release, m->engine, m->ifname,
		(unsigned long long)m->seed, m->shards, m->shard, m->probes_per_target,
		m->stream ? "true" : "false");
	fprintf(f, "\"targets\":%llu,\"target_intervals\":%zu,\"targets_digest\":\"%016llx\","
		   "\"allow_reserved\":%s,\"blocklist_file\":",
		(unsigned long long)m->ts->count, m->ts->n_iv,
		(unsigned long long)targets_digest(m->ts), m->allow_reserved ? "true" : "false");
	if (m->blocklist)
		fprintf(f, "\"%s\",\"blocklist_digest\":\"%016llx\",", m->blocklist,
			(unsigned long long)file_digest(m->blocklist));
	else
		fputs("null,\"blocklist_digest\":null,", f);
	fprintf(f, "\"rate_asked\":%llu,\"rate_achieved\":%.0f,", (unsigned long long)m->rate_asked,
		m->rate_achieved);
	utc(f, "start", &m->start);
	utc(f, "end", &m->end);
	fprintf(f, "\"duration_s\":%.3f,", (m->end.tv_sec - m->start.tv_sec) +
						   (m->end.tv_nsec - m->start.tv_nsec) / 1e9);
	fprintf(f, "\"probes\":%llu,\"resent\":%llu,\"replies\":%llu,\"alive\":%llu,"
		   "\"duplicates\":%llu,\"invalid\":%llu,\"lost\":%llu,\"interface_drops\":%llu,"
		   "\"results_written\":%llu,\"results_spilled\":%llu,\"interrupted\":%s,"
		   "\"complete\":%s}\n",
		(unsigned long long)m->probes, (unsigned long long)m->resent,
		(unsigned long long)m->replies, (unsigned long long)m->alive,
		(unsigned long long)m->dups, (unsigned long long)m->invalid,
		(unsigned long long)m->lost, (unsigned long long)m->drops,
		(unsigned long long)m->written, (unsigned long long)m->spilled,
		m->interrupted ? "true" : "false", m->interrupted ? "false" : "true");
}

int metadata_write(const char *path, const struct run_meta *m)
{
	return atomic_file_write(path, write_json, m);
}
