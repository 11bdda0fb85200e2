// SPDX-License-Identifier: GPL-2.0
/* Text, CSV and JSON lines writers; field names follow zmap where zmap has the field. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "echomap_abi.h"
#include "lib/log.h"
#include "report/clickhouse.h"
#include "report/output.h"
#include "targets/scope.h"

const char *status_name(__u8 status)
{
	switch (status) {
	case EM_ST_ECHOREPLY:
		return "echoreply";
	case EM_ST_UNREACH:
		return "unreach";
	case EM_ST_TIMXCEED:
		return "timxceed";
	default:
		return "timeout";
	}
}

int out_open(struct out_sink *o, const char *path, enum out_fmt fmt)
{
	struct stat st;
	int fd, err;

	memset(o, 0, sizeof(*o));
	o->fmt = fmt;
	o->path = path;
	if (ch_is_url(path)) {
		pr_warn("only sweep writes to ClickHouse\n");
		return -EINVAL;
	}
	if (!path) {
		o->f = stdout;
	} else if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		/*
		 * /dev/null, a FIFO, a terminal: written in place. A rename over them would
		 * replace the device node with a regular file (and a partial write to them
		 * cannot be taken back anyway).
		 */
		o->f = fopen(path, "w");
		if (!o->f) {
			err = -errno;
			pr_warn("cannot write %s: %s\n", path, strerror(errno));
			return err;
		}
	} else {
		if (asprintf(&o->tmp_path, "%s.tmp.XXXXXX", path) < 0)
			return -ENOMEM;
		fd = mkstemp(o->tmp_path);
		if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
			err = -errno;
			pr_warn("cannot write %s: %s\n", path, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(o->tmp_path);
			}
			free(o->tmp_path);
			o->tmp_path = NULL;
			return err;
		}
		/* mkstemp creates 0600; give the result the mode a plain open would. */
		mode_t um = umask(0);

		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	if (fmt == FMT_CSV)
		fputs("saddr,name,rtt_us,ttl,classification,success,repeat,scope,icmp_type,icmp_code,"
		      "from\n",
		      o->f);
	return 0;
}

int out_open_clickhouse(struct out_sink *o, const struct config *cfg)
{
	struct ch_writer_opts co = { .run_id = cfg->run_id, .shard = cfg->shard,
				     .shards = cfg->shards, .time = time(NULL),
				     .create_table = cfg->create_table,
				     .batch_rows = cfg->batch_rows, .retry_s = cfg->retry_s,
				     .spill_path = cfg->spill };

	memset(o, 0, sizeof(*o));
	o->path = cfg->output;
	/* Unique per run unless --run-id gives the shards of one sweep a common one. */
	while (!co.run_id)
		if (getrandom(&co.run_id, sizeof(co.run_id), 0) != sizeof(co.run_id))
			co.run_id = (__u64)time(NULL) << 20 ^ getpid();
	co.run_id &= ~0ULL >> 1; /* fits a signed 64-bit integer too (JSON, SQL tools) */
	return ch_writer_open(&o->ch, cfg->output, &co);
}

/* Names come from files and DNS: escape what would break a JSON string. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void out_result(struct out_sink *o, const struct host_result *r)
{
	char addr[INET_ADDRSTRLEN], from[INET_ADDRSTRLEN] = "";
	const char *cls = status_name(r->status);
	const char *scope = addr_scope(ntohl(r->addr));
	double rtt_us = r->rtt_ns / 1000.0;
	bool answered = r->status != EM_ST_NONE;

	if (o->ch) {
		ch_writer_add(o->ch, r); /* an error is kept and returned by out_commit */
		return;
	}
	inet_ntop(AF_INET, &r->addr, addr, sizeof(addr));
	if (answered)
		inet_ntop(AF_INET, &r->from, from, sizeof(from));

	switch (o->fmt) {
	case FMT_TEXT:
		if (r->name)
			fprintf(o->f, "%s (%s)", r->name, addr);
		else
			fputs(addr, o->f);
		if (!answered)
			fputs(" timeout", o->f);
		else if (r->status != EM_ST_ECHOREPLY)
			fprintf(o->f, " %s code=%u from=%s rtt=%.3fms ttl=%u", cls, r->icmp_code, from,
				rtt_us / 1000, r->ttl);
		else
			fprintf(o->f, " rtt=%.3fms ttl=%u", rtt_us / 1000, r->ttl);
		if (r->dups)
			fprintf(o->f, " dup=%u", r->dups);
		fputc('\n', o->f);
		break;
	case FMT_CSV:
		/* Names cannot hold commas or quotes (RFC 1123), so no quoting is needed. */
		fprintf(o->f, "%s,%s,", addr, r->name ? r->name : "");
		if (answered)
			fprintf(o->f, "%.3f,%u,", rtt_us, r->ttl);
		else
			fputs(",,", o->f);
		fprintf(o->f, "%s,%d,%d,%s,", cls, r->status == EM_ST_ECHOREPLY, r->dups > 0, scope);
		if (answered)
			fprintf(o->f, "%u,%u,%s\n", r->icmp_type, r->icmp_code, from);
		else
			fputs(",,\n", o->f);
		break;
	case FMT_JSON:
		fputc('{', o->f);
		out_json_fields(o->f, r);
		fputs("}\n", o->f);
		break;
	}
}

void out_json_fields(FILE *f, const struct host_result *r)
{
	char addr[INET_ADDRSTRLEN], from[INET_ADDRSTRLEN] = "";
	bool answered = r->status != EM_ST_NONE;

	inet_ntop(AF_INET, &r->addr, addr, sizeof(addr));
	if (answered)
		inet_ntop(AF_INET, &r->from, from, sizeof(from));
	fprintf(f, "\"saddr\":\"%s\",\"name\":", addr);
	if (r->name)
		json_string(f, r->name);
	else
		fputs("null", f);
	if (answered)
		fprintf(f, ",\"rtt_us\":%.3f,\"ttl\":%u", r->rtt_ns / 1000.0, r->ttl);
	else
		fputs(",\"rtt_us\":null,\"ttl\":null", f);
	fprintf(f, ",\"classification\":\"%s\",\"success\":%s,\"repeat\":%s,\"replies\":%u,"
		   "\"scope\":\"%s\"",
		status_name(r->status), r->status == EM_ST_ECHOREPLY ? "true" : "false",
		r->dups ? "true" : "false", r->replies, addr_scope(ntohl(r->addr)));
	if (answered)
		fprintf(f, ",\"icmp_type\":%u,\"icmp_code\":%u,\"from\":\"%s\"", r->icmp_type,
			r->icmp_code, from);
	else
		fputs(",\"icmp_type\":null,\"icmp_code\":null,\"from\":null", f);
}

static int commit_clickhouse(struct out_sink *o)
{
	int err = ch_writer_finish(o->ch);

	/*
	 * A run that cannot be completed leaves no rows behind, as a file output leaves none; one
	 * completed into the spill file is complete, but not where it was asked to be.
	 */
	if (err < 0)
		ch_writer_abort(o->ch);
	ch_writer_close(o->ch);
	o->ch = NULL;
	return err > 0 ? -EIO : err;
}

int out_commit(struct out_sink *o)
{
	int err = 0;

	if (o->ch)
		return commit_clickhouse(o);
	if (fflush(o->f) || ferror(o->f))
		err = -errno ?: -EIO;
	if (!o->path)
		return err;
	if (!o->tmp_path) {
		if (fclose(o->f) && !err)
			err = -errno;
		o->f = NULL;
		if (err)
			pr_warn("cannot write %s: %s\n", o->path, strerror(-err));
		return err;
	}
	if (!err && fsync(fileno(o->f)))
		err = -errno;
	fclose(o->f);
	o->f = NULL;
	if (!err && rename(o->tmp_path, o->path))
		err = -errno;
	if (err) {
		pr_warn("cannot write %s: %s\n", o->path, strerror(-err));
		unlink(o->tmp_path);
	}
	free(o->tmp_path);
	o->tmp_path = NULL;
	return err;
}

void out_abort(struct out_sink *o)
{
	if (o->ch) {
		ch_writer_abort(o->ch);
		ch_writer_close(o->ch);
		o->ch = NULL;
		return;
	}
	if (!o->path || !o->f)
		return;
	fclose(o->f);
	o->f = NULL;
	if (!o->tmp_path)
		return;
	unlink(o->tmp_path);
	free(o->tmp_path);
	o->tmp_path = NULL;
}
