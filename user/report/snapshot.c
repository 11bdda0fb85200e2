// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "report/output.h"
#include "report/snapshot.h"

#define PREFIX "echomap-"
#define SUFFIX ".jsonl"
#define LATEST "latest" SUFFIX

int snapshot_check(const char *dir)
{
	struct stat st;
	char *path;
	int fd, err;

	if (stat(dir, &st))
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	/* Permissions alone do not tell (root, read-only mounts): try. */
	if (asprintf(&path, "%s/.echomap-check.XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkstemp(path);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(path);
	if (fd >= 0)
		return 0;
fail:
	err = -errno;
	pr_warn("cannot write snapshots to %s: %s\n", dir, strerror(errno));
	return err;
}

static void write_row(FILE *f, const struct round_report *r, __u64 i, const char *time)
{
	const struct em_result *slot = &r->res[i];
	bool per_target = r->ss->agg_len < 0 && r->ss->agg_len6 < 0;
	__u32 si = per_target ? i : series_of(r->ss, i);
	const struct series_state *st = &r->st[si];
	struct host_result h;
	/* Only echo replies make a target less lost. */
	__u32 got = slot->replies < r->probes ? slot->replies : r->probes;
	__u32 addr;
	__u8 a6[16];

	if (targets_is6(r->ts, i) && r->from6) {
		targets_addr6(r->ts, i, a6);
		host_result_of_slot6(&h, a6, slot, &r->from6[i]);
		h.name = targets_name6(r->ts, a6);
	} else {
		addr = targets_addr(r->ts, i);
		host_result_of_slot(&h, htonl(addr), slot);
		h.name = targets_name(r->ts, addr);
	}

	fputc('{', f);
	out_json_fields(f, &h);
	fprintf(f, ",\"round\":%u,\"time\":\"%s\",\"sent\":%u,\"loss\":%.4g", r->round, time,
		r->probes, 1.0 - (double)got / r->probes);
	for (int q = 0; q < N_QUANTILES; q++) {
		fprintf(f, ",\"rtt_p%g_us\":", watch_quantiles[q] * 100);
		if (isnan(st->q_ns[q]))
			fputs("null", f);
		else
			fprintf(f, "%.3f", st->q_ns[q] / 1000);
	}
	if (isnan(st->mdev_ns))
		fputs(",\"rtt_mdev_us\":null", f);
	else
		fprintf(f, ",\"rtt_mdev_us\":%.3f", st->mdev_ns / 1000);
	fprintf(f, ",\"jitter_us\":%.3f", st->jitter_ns / 1000);
	if (series_is_prefix(r->ss, si))
		fprintf(f, ",\"series\":\"%s\"", r->ss->v[si].id);
	fputs("}\n", f);
}

/* DIR/latest.jsonl -> name, replaced atomically so that readers never miss it. */
static void link_latest(const char *dir, const char *name)
{
	char *tmp = NULL, *latest = NULL;

	if (asprintf(&tmp, "%s/.%s.tmp", dir, LATEST) < 0 ||
	    asprintf(&latest, "%s/%s", dir, LATEST) < 0)
		goto out;
	unlink(tmp);
	if (symlink(name, tmp) || rename(tmp, latest))
		pr_warn("cannot link %s to %s: %s\n", latest, name, strerror(errno));
out:
	free(tmp);
	free(latest);
}

static int is_snapshot(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return !strncmp(d->d_name, PREFIX, strlen(PREFIX)) && n > strlen(SUFFIX) &&
	       !strcmp(d->d_name + n - strlen(SUFFIX), SUFFIX);
}

/* Names sort by time, so the oldest come first. */
static void prune(const char *dir, unsigned int keep)
{
	struct dirent **list;
	int n = scandir(dir, &list, is_snapshot, alphasort);

	for (int i = 0; i < n; i++) {
		char *path;

		if ((unsigned int)(n - i) <= keep ||
		    asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			free(list[i]);
			continue;
		}
		if (unlink(path) && errno != ENOENT)
			pr_warn("cannot remove old snapshot %s: %s\n", path, strerror(errno));
		free(path);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
}

int snapshot_write(const char *dir, unsigned int keep, const struct round_report *r)
{
	char stamp[32], time[40], name[64], *path;
	struct out_sink o;
	struct tm tm;
	int err;

	gmtime_r(&r->closed.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(time + strlen(time), sizeof(time) - strlen(time), ".%03ldZ",
		 r->closed.tv_nsec / 1000000);
	snprintf(name, sizeof(name), PREFIX "%s-%06u" SUFFIX, stamp, r->round);
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	err = out_open(&o, path, FMT_JSON);
	if (!err) {
		for (__u64 i = 0; i < r->ts->count; i++)
			write_row(o.f, r, i, time);
		err = out_commit(&o);
	}
	free(path);
	if (err)
		return err;
	link_latest(dir, name);
	if (keep)
		prune(dir, keep);
	return 0;
}
