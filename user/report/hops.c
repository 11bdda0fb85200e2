// SPDX-License-Identifier: GPL-2.0
/* Hop replies and reconstructed paths of a trace, in text, CSV and JSON lines. */
#include <arpa/inet.h>

#include "echomap_abi.h"
#include "report/hops.h"
#include "report/output.h"

static const char *const path_end_names[] = {
	[PATH_REACHED] = "reached",
	[PATH_UNREACHABLE] = "unreachable",
	[PATH_INCOMPLETE] = "incomplete",
};

__u32 hops_path_last(const struct hop_path *p, enum path_end *end)
{
	__u32 last = p->min_ttl - 1;

	for (__u32 t = p->min_ttl; t <= p->max_ttl; t++) {
		const struct hop *h = &p->hop[t - p->min_ttl];

		if (h->status == EM_ST_ECHOREPLY || h->status == EM_ST_UNREACH) {
			*end = h->status == EM_ST_ECHOREPLY ? PATH_REACHED : PATH_UNREACHABLE;
			return t;
		}
		if (h->status != EM_ST_NONE)
			last = t;
	}
	*end = PATH_INCOMPLETE;
	return last;
}

void hops_header(FILE *f, enum out_fmt fmt, bool paths)
{
	if (fmt != FMT_CSV)
		return;
	if (paths)
		fputs("target,flow,status,hops,path\n", f);
	else
		fputs("target,flow,ttl,from,rtt_us,classification,icmp_type,icmp_code,reply_ttl\n",
		      f);
}

static void write_reply(FILE *f, enum out_fmt fmt, const char *target, __u32 flow, bool flows,
			__u32 ttl, const struct hop *h)
{
	char from[INET_ADDRSTRLEN];
	double rtt_us = h->rtt_ns / 1000.0;

	inet_ntop(AF_INET, &h->from, from, sizeof(from));
	switch (fmt) {
	case FMT_TEXT:
		fprintf(f, "%s ttl=%u from=%s rtt=%.3fms %s code=%u", target, ttl, from,
			rtt_us / 1000, status_name(h->status), h->icmp_code);
		if (flows)
			fprintf(f, " flow=%u", flow);
		fputc('\n', f);
		break;
	case FMT_CSV:
		fprintf(f, "%s,%u,%u,%s,%.3f,%s,%u,%u,%u\n", target, flow, ttl, from, rtt_us,
			status_name(h->status), h->icmp_type, h->icmp_code, h->reply_ttl);
		break;
	case FMT_JSON:
		fprintf(f,
			"{\"target\":\"%s\",\"flow\":%u,\"ttl\":%u,\"from\":\"%s\",\"rtt_us\":%.3f,"
			"\"classification\":\"%s\",\"icmp_type\":%u,\"icmp_code\":%u,"
			"\"reply_ttl\":%u}\n",
			target, flow, ttl, from, rtt_us, status_name(h->status), h->icmp_type,
			h->icmp_code, h->reply_ttl);
		break;
	}
}

void hops_write_replies(FILE *f, enum out_fmt fmt, const struct hop_path *p, bool flows)
{
	char target[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &p->target, target, sizeof(target));
	for (__u32 t = p->min_ttl; t <= p->max_ttl; t++) {
		const struct hop *h = &p->hop[t - p->min_ttl];

		if (h->status != EM_ST_NONE)
			write_reply(f, fmt, target, p->flow, flows, t, h);
	}
}

void hops_write_path(FILE *f, enum out_fmt fmt, const struct hop_path *p, bool flows)
{
	char target[INET_ADDRSTRLEN], from[INET_ADDRSTRLEN];
	enum path_end end;
	__u32 last = hops_path_last(p, &end);
	const char *sep = fmt == FMT_JSON ? "," : " ";

	inet_ntop(AF_INET, &p->target, target, sizeof(target));
	switch (fmt) {
	case FMT_TEXT:
		fprintf(f, "%s", target);
		if (flows)
			fprintf(f, " flow=%u", p->flow);
		fprintf(f, " %s hops=%u:", path_end_names[end], last + 1 - p->min_ttl);
		sep = " ";
		break;
	case FMT_CSV:
		fprintf(f, "%s,%u,%s,%u,", target, p->flow, path_end_names[end],
			last + 1 - p->min_ttl);
		break;
	case FMT_JSON:
		fprintf(f, "{\"target\":\"%s\",\"flow\":%u,\"status\":\"%s\",\"hops\":%u,\"path\":[",
			target, p->flow, path_end_names[end], last + 1 - p->min_ttl);
		break;
	}
	for (__u32 t = p->min_ttl; t <= last; t++) {
		const struct hop *h = &p->hop[t - p->min_ttl];
		bool first = t == p->min_ttl;

		if (fmt != FMT_CSV || !first)
			fputs(first && fmt == FMT_JSON ? "" : sep, f);
		if (h->status == EM_ST_NONE) {
			fputs(fmt == FMT_JSON ? "null" : "*", f);
			continue;
		}
		inet_ntop(AF_INET, &h->from, from, sizeof(from));
		fprintf(f, fmt == FMT_JSON ? "\"%s\"" : "%s", from);
	}
	fputs(fmt == FMT_JSON ? "]}\n" : "\n", f);
}
