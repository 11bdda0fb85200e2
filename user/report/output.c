// SPDX-License-Identifier: GPL-2.0
/* Text, CSV and JSON lines writers; field names follow zmap where zmap has the field. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio_ext.h>
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

void host_result_of_slot(struct host_result *r, __u32 addr, const volatile struct em_result *slot)
{
	memset(r, 0, sizeof(*r));
	r->addr = addr;
	r->status = em_result_status(slot);
	r->replies = slot->replies;
	r->dups = slot->dups;
	r->errors = slot->errors;
	if (r->errors) {
		r->err_from = slot->err_from;
		r->err_status = slot->err_status;
		r->err_type = slot->err_type;
		r->err_code = slot->err_code;
	}
	if (r->status == EM_ST_ECHOREPLY) {
		r->rtt_ns = slot->rtt_first_ns;
		r->ttl = slot->ttl;
		r->from = slot->from;
	} else if (r->status != EM_ST_NONE) {
		r->rtt_ns = slot->err_rtt_ns;
		r->ttl = slot->err_ttl;
		r->from = r->err_from;
		r->icmp_type = r->err_type;
		r->icmp_code = r->err_code;
	}
}

void host_result_of_slot6(struct host_result *r, const __u8 addr6[16],
			  const volatile struct em_result *slot,
			  const volatile struct em_addr6 *from6)
{
	struct em_addr6 src;

	host_result_of_slot(r, 0, slot);
	memcpy(&src, (const void *)from6, sizeof(src));
	r->v6 = true;
	/* The slot keeps no echo reply's type: ICMPv6's is 129, not IPv4's 0. */
	if (r->status == EM_ST_ECHOREPLY)
		r->icmp_type = 129;
	memcpy(r->addr6, addr6, 16);
	memcpy(r->from6, &src, 16);
	r->err_from6_known = r->errors && !r->replies;
	if (r->err_from6_known)
		memcpy(r->err_from6, &src, 16);
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
		      "from,errors,error_type,error_code,error_from\n",
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

/*
 * Lines are built in a buffer by hand: a streamed sweep writes one per reply, and printf's
 * float and address formatting was most of the cost (400 k JSON lines/s). The output is the
 * same byte for byte: an RTT in µs is an integer of ns with three decimals, exactly.
 */
#define LINE_MAX_LEN 2048 /* a 253-byte name escaped 6-fold, and the rest */

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_u(char *p, __u64 v)
{
	char t[20];
	int n = 0;

	do
		t[n++] = '0' + v % 10;
	while (v /= 10);
	while (n)
		*p++ = t[--n];
	return p;
}

static char *put_ip(char *p, __u32 net)
{
	const unsigned char *b = (const unsigned char *)&net;

	for (int i = 0; i < 4; i++) {
		p = put_u(p, b[i]);
		if (i < 3)
			*p++ = '.';
	}
	return p;
}

static char *put_ip6(char *p, const __u8 a[16])
{
	char buf[INET6_ADDRSTRLEN];

	return put_str(p, inet_ntop(AF_INET6, a, buf, sizeof(buf)));
}

static char *put_target(char *p, const struct host_result *r)
{
	return r->v6 ? put_ip6(p, r->addr6) : put_ip(p, r->addr);
}

static char *put_from(char *p, const struct host_result *r)
{
	return r->v6 ? put_ip6(p, r->from6) : put_ip(p, r->from);
}

static char *put_err_from(char *p, const struct host_result *r)
{
	return r->v6 ? put_ip6(p, r->err_from6) : put_ip(p, r->err_from);
}

static const char *scope_of(const struct host_result *r)
{
	return r->v6 ? addr_scope6(ip6_load(r->addr6)) : addr_scope(ntohl(r->addr));
}

/* ns as µs with three decimals: what "%.3f" prints of ns / 1000.0. */
static char *put_us(char *p, __u32 ns)
{
	__u32 r = ns % 1000;

	p = put_u(p, ns / 1000);
	*p++ = '.';
	*p++ = '0' + r / 100;
	*p++ = '0' + r / 10 % 10;
	*p++ = '0' + r % 10;
	return p;
}

/* Names come from files and DNS: escape what would break a JSON string. */
static char *put_json_string(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = c;
		} else if (c < 0x20) {
			p = put_str(p, "\\u00");
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = c;
		}
	}
	*p++ = '"';
	return p;
}

static char *put_json_fields(char *p, const struct host_result *r)
{
	bool answered = r->status != EM_ST_NONE;

	p = put_str(p, "\"saddr\":\"");
	p = put_target(p, r);
	p = put_str(p, "\",\"name\":");
	p = r->name ? put_json_string(p, r->name) : put_str(p, "null");
	if (answered) {
		p = put_str(p, ",\"rtt_us\":");
		p = put_us(p, r->rtt_ns);
		p = put_str(p, ",\"ttl\":");
		p = put_u(p, r->ttl);
	} else {
		p = put_str(p, ",\"rtt_us\":null,\"ttl\":null");
	}
	p = put_str(p, ",\"classification\":\"");
	p = put_str(p, status_name(r->status));
	p = put_str(p, r->status == EM_ST_ECHOREPLY ? "\",\"success\":true" :
						       "\",\"success\":false");
	p = put_str(p, r->dups ? ",\"repeat\":true" : ",\"repeat\":false");
	p = put_str(p, ",\"replies\":");
	p = put_u(p, r->replies);
	p = put_str(p, ",\"scope\":\"");
	p = put_str(p, scope_of(r));
	p = put_str(p, "\"");
	if (answered) {
		p = put_str(p, ",\"icmp_type\":");
		p = put_u(p, r->icmp_type);
		p = put_str(p, ",\"icmp_code\":");
		p = put_u(p, r->icmp_code);
		p = put_str(p, ",\"from\":\"");
		p = put_from(p, r);
		p = put_str(p, "\"");
	} else {
		p = put_str(p, ",\"icmp_type\":null,\"icmp_code\":null,\"from\":null");
	}
	p = put_str(p, ",\"errors\":");
	p = put_u(p, r->errors);
	if (r->errors) {
		p = put_str(p, ",\"error_type\":");
		p = put_u(p, r->err_type);
		p = put_str(p, ",\"error_code\":");
		p = put_u(p, r->err_code);
		if (r->v6 && !r->err_from6_known) {
			p = put_str(p, ",\"error_from\":null");
			return p;
		}
		p = put_str(p, ",\"error_from\":\"");
		p = put_err_from(p, r);
		p = put_str(p, "\"");
	} else {
		p = put_str(p, ",\"error_type\":null,\"error_code\":null,\"error_from\":null");
	}
	return p;
}

static char *put_csv(char *p, const struct host_result *r)
{
	bool answered = r->status != EM_ST_NONE;

	/* Names cannot hold commas or quotes (RFC 1123), so no quoting is needed. */
	p = put_target(p, r);
	*p++ = ',';
	p = put_str(p, r->name ? r->name : "");
	*p++ = ',';
	if (answered) {
		p = put_us(p, r->rtt_ns);
		*p++ = ',';
		p = put_u(p, r->ttl);
		*p++ = ',';
	} else {
		p = put_str(p, ",,");
	}
	p = put_str(p, status_name(r->status));
	p = put_str(p, r->status == EM_ST_ECHOREPLY ? ",1," : ",0,");
	p = put_str(p, r->dups ? "1," : "0,");
	p = put_str(p, scope_of(r));
	*p++ = ',';
	if (answered) {
		p = put_u(p, r->icmp_type);
		*p++ = ',';
		p = put_u(p, r->icmp_code);
		*p++ = ',';
		p = put_from(p, r);
	} else {
		p = put_str(p, ",,");
	}
	*p++ = ',';
	p = put_u(p, r->errors);
	*p++ = ',';
	if (r->errors) {
		p = put_u(p, r->err_type);
		*p++ = ',';
		p = put_u(p, r->err_code);
		*p++ = ',';
		if (!r->v6 || r->err_from6_known)
			p = put_err_from(p, r);
	} else {
		p = put_str(p, ",,");
	}
	*p++ = '\n';
	return p;
}

/* ns as ms with three decimals: what "%.3f" prints of ns / 1000.0 / 1000. */
static char *put_ms(char *p, __u32 ns)
{
	__u64 us = ((__u64)ns + 500) / 1000;

	/* A tie rounds as the double it is stored in does: leave it to printf. */
	if (ns % 1000 == 500)
		return p + sprintf(p, "%.3f", ns / 1000.0 / 1000);
	p = put_u(p, us / 1000);
	*p++ = '.';
	*p++ = '0' + us % 1000 / 100;
	*p++ = '0' + us % 100 / 10;
	*p++ = '0' + us % 10;
	return p;
}

static char *put_text(char *p, const struct host_result *r)
{
	if (r->name) {
		p = put_str(p, r->name);
		p = put_str(p, " (");
		p = put_target(p, r);
		*p++ = ')';
	} else {
		p = put_target(p, r);
	}
	if (r->status == EM_ST_NONE) {
		p = put_str(p, " timeout");
	} else {
		if (r->status != EM_ST_ECHOREPLY) {
			*p++ = ' ';
			p = put_str(p, status_name(r->status));
			p = put_str(p, " code=");
			p = put_u(p, r->icmp_code);
			p = put_str(p, " from=");
			p = put_from(p, r);
		}
		p = put_str(p, " rtt=");
		p = put_ms(p, r->rtt_ns);
		p = put_str(p, "ms ttl=");
		p = put_u(p, r->ttl);
	}
	/* An error beside an echo reply: the one above says it otherwise. */
	if (r->errors && r->status == EM_ST_ECHOREPLY) {
		p = put_str(p, " errors=");
		p = put_u(p, r->errors);
		p = put_str(p, " (");
		p = put_str(p, status_name(r->err_status));
		p = put_str(p, " code=");
		p = put_u(p, r->err_code);
		if (!r->v6 || r->err_from6_known) {
			p = put_str(p, " from=");
			p = put_err_from(p, r);
		}
		*p++ = ')';
	}
	if (r->dups) {
		p = put_str(p, " dup=");
		p = put_u(p, r->dups);
	}
	*p++ = '\n';
	return p;
}

void out_result(struct out_sink *o, const struct host_result *r)
{
	char line[LINE_MAX_LEN], *p = line;

	o->results++;
	if (o->ch) {
		ch_writer_add(o->ch, r); /* an error is kept and returned by out_commit */
		return;
	}
	switch (o->fmt) {
	case FMT_TEXT:
		p = put_text(p, r);
		break;
	case FMT_CSV:
		p = put_csv(p, r);
		break;
	case FMT_JSON:
		*p++ = '{';
		p = put_json_fields(p, r);
		*p++ = '}';
		*p++ = '\n';
		break;
	}
	/*
	 * Whole lines only: a buffer that fills mid-line would write half of one, and a kill -9
	 * then leaves a torn last line for whoever reads the file (a resumed sweep's first piece).
	 */
	if (__fpending(o->f) + (p - line) > __fbufsize(o->f))
		fflush(o->f);
	fwrite(line, 1, p - line, o->f);
}

void out_json_fields(FILE *f, const struct host_result *r)
{
	char line[LINE_MAX_LEN];

	fwrite(line, 1, put_json_fields(line, r) - line, f);
}

static int commit_clickhouse(struct out_sink *o)
{
	int err = ch_writer_finish(o->ch);

	/*
	 * A run that cannot be completed leaves no rows behind, as a file output leaves none; one
	 * completed into the spill file is complete, but not where it was asked to be.
	 */
	if (err < 0) {
		ch_writer_abort(o->ch);
		o->results = 0;
	}
	o->spilled = ch_writer_spilled(o->ch);
	ch_writer_close(o->ch);
	o->ch = NULL;
	return err > 0 ? -EIO : err;
}

static int commit_file(struct out_sink *o)
{
	int err = 0;

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

int out_commit(struct out_sink *o)
{
	int err;

	if (o->ch)
		return commit_clickhouse(o);
	err = commit_file(o);
	if (err)
		o->results = 0;
	return err;
}

void out_abort(struct out_sink *o)
{
	o->results = 0;
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
