// SPDX-License-Identifier: GPL-2.0
/* Command line → struct config: option tables, range checks, help text. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/version.h"
#include "config.h"
#include "echomap_abi.h"
#include "lib/log.h"
#include "map/map.h"
#include "report/clickhouse.h"

enum {
	OPT_TTL = 0x100,
	OPT_SIZE,
	OPT_XDP_MODE,
	OPT_ENGINE,
	OPT_THREADS,
	OPT_SEED,
	OPT_BLOCKLIST,
	OPT_ALLOWLIST,
	OPT_ALLOW_RESERVED,
	OPT_RESEND,
	OPT_SHARDS,
	OPT_SHARD,
	OPT_ALL,
	OPT_STREAM,
	OPT_REPEATS,
	OPT_METADATA,
	OPT_RESUME,
	OPT_PREFIX,
	OPT_TITLE,
	OPT_EVERY,
	OPT_AGGREGATE,
	OPT_BUCKETS,
	OPT_LISTEN,
	OPT_WEB_CONFIG,
	OPT_SNAPSHOT_DIR,
	OPT_KEEP,
	OPT_VERSION,
	OPT_CONFIG,
	OPT_MIN_TTL,
	OPT_MAX_TTL,
	OPT_FLOWS,
	OPT_PATHS,
	OPT_STOP_EARLY,
	OPT_CREATE_TABLE,
	OPT_RUN_ID,
	OPT_BATCH,
	OPT_RETRY,
	OPT_SPILL,
	OPT_VANTAGE,
	OPT_WHERE,
	OPT_IID,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'I' },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "source", required_argument, NULL, 'S' },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "format", required_argument, NULL, 'F' },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "all-addresses", no_argument, NULL, 'm' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "blocklist", required_argument, NULL, OPT_BLOCKLIST },
	{ "allowlist", required_argument, NULL, OPT_ALLOWLIST },
	{ "allow-reserved", no_argument, NULL, OPT_ALLOW_RESERVED },
	{ "rate", required_argument, NULL, 'r' },
	{ "probes", required_argument, NULL, 'n' },
	{ "wait", required_argument, NULL, 'w' },
	{ "resend", required_argument, NULL, OPT_RESEND },
	{ "shards", required_argument, NULL, OPT_SHARDS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "stream", no_argument, NULL, OPT_STREAM },
	{ "repeats", no_argument, NULL, OPT_REPEATS },
	{ "metadata", required_argument, NULL, OPT_METADATA },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "count", required_argument, NULL, 'c' },
	{ "period", required_argument, NULL, 'p' },
	{ "timeout", required_argument, NULL, 't' },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "aggregate", required_argument, NULL, OPT_AGGREGATE },
	{ "buckets", required_argument, NULL, OPT_BUCKETS },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
	{ "snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "min-ttl", required_argument, NULL, OPT_MIN_TTL },
	{ "max-ttl", required_argument, NULL, OPT_MAX_TTL },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "paths", no_argument, NULL, OPT_PATHS },
	{ "stop-early", no_argument, NULL, OPT_STOP_EARLY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "create-table", no_argument, NULL, OPT_CREATE_TABLE },
	{ "run-id", required_argument, NULL, OPT_RUN_ID },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "spill", required_argument, NULL, OPT_SPILL },
	{ "vantage", required_argument, NULL, OPT_VANTAGE },
	{ "where", required_argument, NULL, OPT_WHERE },
	{ "iid", required_argument, NULL, OPT_IID },
	{},
};

#define SWEEP  (1U << CMD_SWEEP)
#define PING   (1U << CMD_PING)
#define WATCH  (1U << CMD_WATCH)
#define MAP    (1U << CMD_MAP)
#define TRACE  (1U << CMD_TRACE)
#define PROBER (SWEEP | PING | WATCH)

/* The commands that take option c (getopt's value); an option is refused where it would be ignored. */
static unsigned int opt_cmds(int c)
{
	switch (c) {
	case 'v':
	case 'h':
	case OPT_VERSION:
		return PROBER | MAP | TRACE;
	case 'F':
	case 'o':
		return SWEEP | PING | MAP | TRACE;
	case OPT_SIZE:
		return PROBER | MAP | TRACE; /* the probes' size, or the image's */
	case 'w':
	case OPT_RESEND:
	case OPT_SHARDS:
	case OPT_SHARD:
		return SWEEP | TRACE;
	case OPT_THREADS:
	case OPT_ALL:
	case OPT_STREAM:
	case OPT_REPEATS:
	case OPT_METADATA:
	case OPT_RESUME:
	case OPT_CREATE_TABLE:
	case OPT_RUN_ID:
	case OPT_BATCH:
	case OPT_RETRY:
	case OPT_SPILL:
		return SWEEP;
	case 'n':
		return SWEEP | WATCH;
	case OPT_SEED:
	case 'r':
		return SWEEP | WATCH | TRACE;
	case 'c':
	case 'p':
		return PING;
	case '4':
	case '6':
	case OPT_IID:
		return SWEEP | PING; /* watch and trace follow names at their IPv4 addresses */
	case 't':
		return PING | WATCH;
	case OPT_EVERY:
	case OPT_AGGREGATE:
	case OPT_BUCKETS:
	case OPT_LISTEN:
	case OPT_WEB_CONFIG:
	case OPT_SNAPSHOT_DIR:
	case OPT_KEEP:
	case OPT_CONFIG:
	case OPT_VANTAGE:
		return WATCH;
	case OPT_WHERE:
	case OPT_PREFIX:
	case OPT_TITLE:
		return MAP;
	case OPT_MIN_TTL:
	case OPT_MAX_TTL:
	case OPT_FLOWS:
	case OPT_PATHS:
	case OPT_STOP_EARLY:
		return TRACE;
	case OPT_TTL: /* a trace's TTLs are --min-ttl..--max-ttl */
		return PROBER;
	default:
		return PROBER | TRACE;
	}
}

static const char *opt_name(int c)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/*
 * Help: each option's line(s) tied to its getopt value, so `echomap COMMAND --help` lists
 * exactly the options opt_cmds() lets COMMAND take; `echomap --help` lists every section.
 * The man pages are checked against each (tests/packaging/man.bats).
 */
struct help_opt {
	int opt;	   /* 0: a note, printed with its section */
	const char *names; /* "-I, --interface IFACE" */
	const char *desc;  /* its lines, '\n' between them */
};

struct help_section {
	const char *title;
	int cmd; /* the command whose section it is, -1: common */
	const struct help_opt *opts;
	unsigned int n;
};

static const struct help_opt help_common[] = {
	{ 'I', "-I, --interface IFACE",
	  "send and listen on IFACE (default: route to the first target)" },
	{ 'S', "-S, --source ADDR[-LAST]",
	  "send from ADDR, or from ADDR..LAST spread over the targets\n"
	  "(addresses of the interface; at most 256)" },
	{ OPT_TTL, "--ttl N", "IP TTL of probes, 1..255 (default 64)" },
	{ OPT_SIZE, "--size BYTES", "ICMP data bytes, 24..1472 (default 24)" },
	{ 'F', "-F, --format FMT", "text, csv or json (one object per line)" },
	{ 'o', "-o, --output FILE", "write results to FILE (atomically, on success)" },
	{ 'q', "-q, --quiet", "no progress line" },
	{ 'v', "-v, --verbose", "say what is done and why (twice: debug)" },
	{ OPT_XDP_MODE, "--xdp-mode MODE",
	  "auto, native or generic attachment of the reply matcher" },
	{ OPT_ENGINE, "--engine ENGINE",
	  "afxdp (default), xdp-live (probes built in the kernel), raw\n"
	  "(kernel raw socket) or auto (xdp-live where it can run)" },
	{ OPT_THREADS, "--threads N", "xdp-live sweep: transmit threads (default: one per queue)" },
	{ OPT_SEED, "--seed N", "permutation seed (same seed, same order; default random)" },
	{ 'm', "-m, --all-addresses",
	  "probe every address of a name (A and AAAA), not just the\n"
	  "first (IPv6 if the system has a route to it, else IPv4)" },
	{ '4', "-4, --ipv4", "names: their IPv4 addresses only (A records)" },
	{ '6', "-6, --ipv6", "names: their IPv6 addresses only (AAAA records)" },
	{ OPT_IID, "--iid IID",
	  "ADDR/LEN-MAX: the address in each /MAX, low (::1, default),\n"
	  "zero, full, random (by --seed) or a suffix such as ::abcd" },
	{ OPT_BLOCKLIST, "--blocklist FILE", "also exclude these ranges" },
	{ OPT_ALLOWLIST, "--allowlist FILE", "only probe addresses inside these ranges" },
	{ OPT_ALLOW_RESERVED, "--allow-reserved",
	  "lift the default blocklist of special-purpose ranges" },
	{ 'h', "-h, --help", "this help (after a command: that command's options)" },
	{ OPT_VERSION, "--version", "version, git commit, libbpf and libxdp versions" },
};

static const struct help_opt help_sweep[] = {
	{ 'r', "-r, --rate PPS", "probes per second (default 10000; 0 = unlimited)" },
	{ 'n', "-n, --probes N", "probes per target, 1..16 (default 1)" },
	{ 'w', "-w, --wait MS", "wait for replies after the last probe (default 1000)" },
	{ OPT_RESEND, "--resend N",
	  "when the interface dropped frames, probe the targets without\n"
	  "an answer again, up to N passes (default 3; 0: only report)" },
	{ OPT_SHARDS, "--shards S --shard K", "probe slice K (0-based) of S disjoint slices" },
	{ OPT_ALL, "--all", "also print targets that did not answer" },
	{ OPT_STREAM, "--stream", "print each reply as it arrives (always above 2^27 targets)" },
	{ OPT_REPEATS, "--repeats", "streaming: also print repeat replies, flagged" },
	{ OPT_METADATA, "--metadata FILE", "write the run's metadata (JSON) to FILE" },
	{ OPT_RESUME, "--resume FILE",
	  "checkpoint the walk to FILE every second; if FILE holds one,\n"
	  "go on from it (afxdp or raw, one transmit thread)" },
	{ 0, NULL, "-o clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB.TABLE: rows into ClickHouse" },
	{ OPT_CREATE_TABLE, "--create-table", "create DB.TABLE when it is missing" },
	{ OPT_RUN_ID, "--run-id N",
	  "the rows' run id (default random; the same on every shard\n"
	  "of one sweep joins them)" },
	{ OPT_BATCH, "--batch ROWS", "rows per insert, 1..1000000 (default 65536)" },
	{ OPT_RETRY, "--retry SECONDS",
	  "how long a batch is retried, 1..86400 (default 300); then\n"
	  "the run fails and takes its rows back, or with --spill" },
	{ OPT_SPILL, "--spill FILE", "the rest of the rows go to FILE, to load later" },
};

static const struct help_opt help_ping[] = {
	{ 'c', "-c, --count N", "probes per host (default 5; 0 = until interrupted)" },
	{ 'p', "-p, --period MS", "time between probes to a host (default 1000)" },
	{ 't', "-t, --timeout MS", "time a reply may take (default 1000)" },
};

static const struct help_opt help_watch[] = {
	{ 'r', "-r, --rate PPS",
	  "at most PPS probes per second (default 0, no cap: a round\n"
	  "spreads its probes over --every less the timeout)" },
	{ 'n', "-n, --probes N", "probes per target and round, 1..16 (default 1)" },
	{ 't', "-t, --timeout MS",
	  "time a reply may take, at most half of --every (default\n"
	  "1000 or that half)" },
	{ OPT_EVERY, "--every SECONDS", "a round every SECONDS, 1..86400 (default 10)" },
	{ OPT_AGGREGATE, "--aggregate /N[,/M]",
	  "one series per IPv4 /N prefix (and IPv6 /M prefix) instead of one per target" },
	{ OPT_BUCKETS, "--buckets LIST",
	  "exported histogram bounds in seconds (default 1-3 from\n"
	  "0.0001 to 10, less those not below the longest timeout)" },
	{ OPT_LISTEN, "--listen ADDR:PORT",
	  "serve /metrics (Prometheus), / and /-/healthy; ADDR may be\n"
	  "empty (all IPv4 addresses) or [IPv6]" },
	{ OPT_WEB_CONFIG, "--web.config.file FILE",
	  "serve over TLS and/or ask for basic authentication, as\n"
	  "Prometheus exporters do (tls_server_config, basic_auth_users)" },
	{ OPT_SNAPSHOT_DIR, "--snapshot-dir DIR",
	  "after each round, a JSON lines file of per-target results" },
	{ OPT_KEEP, "--keep N", "snapshots kept in DIR, 0 = all (default 60)" },
	{ OPT_VANTAGE, "--vantage NAME", "label every series vantage=\"NAME\" (where it runs)" },
	{ OPT_CONFIG, "--config FILE",
	  "groups of targets, each with its labels, interval, probes,\n"
	  "spacing, timeout and file_sd files (YAML; instead of TARGETs)" },
	{ 0, NULL, "SIGHUP or POST /-/reload reloads the config file, target files and names;" },
	{ 0, NULL, "SIGTERM or SIGINT stop it (exit 0)" },
};

static const struct help_opt help_trace[] = {
	{ 'r', "-r, --rate PPS", "probes per second (default 10000; 0 = unlimited)" },
	{ 'w', "-w, --wait MS", "wait for replies after the last probe (default 1000)" },
	{ OPT_RESEND, "--resend N",
	  "when the interface dropped frames, probe the hops without\n"
	  "an answer again, up to N passes (default 3; 0: only report)" },
	{ OPT_SHARDS, "--shards S --shard K",
	  "probe slice K (0-based) of S disjoint slices of the\n(target, TTL) pairs" },
	{ OPT_SIZE, "--size BYTES", "ICMP data bytes, 26..1472 (default 26)" },
	{ OPT_MIN_TTL, "--min-ttl N", "first TTL probed, 1..32 (default 1)" },
	{ OPT_MAX_TTL, "--max-ttl N", "last TTL probed, 1..32 (default 32)" },
	{ OPT_FLOWS, "--flows N",
	  "flow ids per target, 1..16 (default 1): each keeps its ICMP\n"
	  "checksum across TTLs, so per-flow load balancers keep it on\n"
	  "one path (Paris traceroute); several reveal parallel paths" },
	{ OPT_PATHS, "--paths", "one reconstructed path per target and flow (* silent hops)" },
	{ OPT_STOP_EARLY, "--stop-early", "skip a target's TTLs beyond the one its answer came from" },
	{ 0, NULL, "every (target, flow, TTL) in one random order (--seed as in sweep)" },
};

static const struct help_opt help_map[] = {
	{ 'o', "-o, --output FILE", "the image to write (required)" },
	{ OPT_PREFIX, "--prefix CIDR",
	  "the part of the address space to draw (default 0.0.0.0/0),\n"
	  "IPv4 or IPv6 (2001:db8::/32: cells of /56, of /48 at --size 256)" },
	{ OPT_SIZE, "--size PIXELS", "longer side of the map, 16..8192 (default 4096)" },
	{ 'F', "-F, --format FMT", "png (default) or svg (up to 65536 cells)" },
	{ OPT_TITLE, "--title TEXT", "title above the map" },
	{ OPT_WHERE, "--where SQL", "RESULTS from clickhouse://: only the rows matching SQL" },
};

#define HELP_SECTION(title, cmd, opts) { title, cmd, opts, sizeof(opts) / sizeof(opts[0]) }

static const struct help_section help_sections[] = {
	HELP_SECTION("common options:\n", -1, help_common),
	HELP_SECTION("sweep:\n", CMD_SWEEP, help_sweep),
	HELP_SECTION("ping:\n", CMD_PING, help_ping),
	HELP_SECTION("watch:\n", CMD_WATCH, help_watch),
	HELP_SECTION("map (RESULTS: output of sweep -F json or -F csv, - for stdin, or\n"
		     "     clickhouse://HOST:PORT/DB.TABLE):\n",
		     CMD_MAP, help_map),
	HELP_SECTION("trace:\n", CMD_TRACE, help_trace),
};

static const char *const help_usage[] = {
	[CMD_SWEEP] = "echomap sweep [OPTIONS] TARGET...   "
		      "one pass over a target set, as fast as allowed\n",
	[CMD_PING] = "echomap ping  [OPTIONS] HOST...     "
		     "fping-like repeated probes of a few hosts\n",
	[CMD_WATCH] = "echomap watch [OPTIONS] TARGET...   "
		      "rounds until stopped, Prometheus, snapshots\n",
	[CMD_MAP] = "echomap map   [OPTIONS] RESULTS     draw results as a PNG latency map\n",
	[CMD_TRACE] = "echomap trace [OPTIONS] TARGET...   "
		      "the routers on the way to every target\n",
};

/* Whether command cmd's own section has a line for option opt. */
static bool own_section_has(int cmd, int opt)
{
	for (unsigned int s = 0; s < sizeof(help_sections) / sizeof(help_sections[0]); s++)
		for (unsigned int i = 0; help_sections[s].cmd == cmd && i < help_sections[s].n; i++)
			if (help_sections[s].opts[i].opt == opt)
				return true;
	return false;
}

/* One option's lines: names from column 2 (6 without a short form), descriptions from 26. */
static void print_opt(FILE *f, const struct help_opt *o)
{
	const char *d = o->desc, *nl;
	int col;

	if (!o->names) {
		fprintf(f, "    %s\n", d);
		return;
	}
	col = fprintf(f, "%s%s", o->names[1] == '-' ? "      " : "  ", o->names);
	for (;; col = 0) {
		nl = strchrnul(d, '\n');
		fprintf(f, "%*s%.*s\n", col < 24 ? 26 - col : 2, "", (int)(nl - d), d);
		if (!*nl)
			break;
		d = nl + 1;
	}
}

/*
 * The whole help (cmd < 0), or one command's: the common options it takes, except those its
 * own section describes for it (watch's -r, map's -o), then its own section.
 */
static void print_help(FILE *f, int cmd)
{
	const unsigned int n_sec = sizeof(help_sections) / sizeof(help_sections[0]);

	for (int c = CMD_SWEEP; c <= CMD_TRACE; c++)
		if (cmd < 0 || c == cmd)
			fprintf(f, "%s%s", c == CMD_SWEEP || cmd >= 0 ? "usage: " : "       ",
				help_usage[c]);
	if (cmd < 0)
		fputs("       echomap --version\n", f);
	if (cmd != CMD_MAP)
		fputs("\nTARGET: 198.18.0.1, 198.18.0.0/16, 198.18.0.1-198.18.3.255, 2001:db8::1, "
		      "2001:db8::/120,\n        2001:db8::1-2001:db8::ff, host.name, @file, "
		      "- (stdin)\n",
		      f);
	fputs("\n", f);
	for (unsigned int s = 0; s < n_sec; s++) {
		const struct help_section *sec = &help_sections[s];
		bool titled = false;

		if (cmd >= 0 && sec->cmd >= 0 && sec->cmd != cmd)
			continue;
		for (unsigned int i = 0; i < sec->n; i++) {
			int opt = sec->opts[i].opt;

			if (cmd >= 0 && opt &&
			    (!(opt_cmds(opt) & (1U << cmd)) ||
			     (sec->cmd < 0 && own_section_has(cmd, opt))))
				continue;
			if (!titled)
				fputs(sec->title, f);
			titled = true;
			print_opt(f, &sec->opts[i]);
		}
	}
	fputs("\nexit: 0 all answered (sweep: completed), 1 some did not, 2 a name did not "
	      "resolve,\n      3 bad usage, 4 system error\n",
	      f);
}

/* Strict unsigned parse: digits only, within [min, max]. */
static int parse_u64(const char *opt, const char *s, __u64 min, __u64 max, __u64 *out)
{
	char *end;
	__u64 v;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	pr_warn("bad value '%s' for %s: expected an integer in %" PRIu64 "..%" PRIu64 "\n", s, opt,
		(uint64_t)min, (uint64_t)max);
	return -EINVAL;
}

static int parse_uint(const char *opt, const char *s, __u64 min, __u64 max, unsigned int *out)
{
	__u64 v;
	int err = parse_u64(opt, s, min, max, &v);

	if (!err)
		*out = (unsigned int)v;
	return err;
}

/*
 * --aggregate /N[,/M]: IPv4 targets per /N prefix, IPv6 targets per /M (each target its own series
 * without M). A /32 or /128 prefix is a target.
 */
static int parse_aggregate(const char *arg, struct config *cfg)
{
	const char *comma = strchr(arg, ',');
	char v4[8] = "";
	unsigned int u = 0;
	int err;

	if (comma && (size_t)(comma - arg) < sizeof(v4))
		memcpy(v4, arg, comma - arg);
	err = parse_uint("--aggregate", comma ? v4 + (*v4 == '/') : arg + (*arg == '/'), 0, 32,
			 &u);
	if (err)
		return err;
	cfg->aggregate = u == 32 ? -1 : (int)u;
	cfg->aggregate6 = -1;
	if (!comma)
		return 0;
	comma++;
	err = parse_uint("--aggregate (IPv6)", comma + (*comma == '/'), 0, 128, &u);
	cfg->aggregate6 = u == 128 ? -1 : (int)u;
	return err;
}

/* Index of s in names[], or -EINVAL after an error naming the option. */
static int parse_enum(const char *opt, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	pr_warn("bad value '%s' for %s\n", s, opt);
	return -EINVAL;
}

/* -S ADDR or ADDR-LAST: consecutive source addresses, LAST not below ADDR. */
static int parse_sources(const char *s, struct config *cfg)
{
	char first[INET_ADDRSTRLEN] = "";
	const char *dash = strchr(s, '-');
	struct in_addr a, b;
	size_t n = dash ? (size_t)(dash - s) : strlen(s);

	if (n < sizeof(first))
		memcpy(first, s, n);
	if (n >= sizeof(first) || inet_pton(AF_INET, first, &a) != 1 ||
	    (dash && inet_pton(AF_INET, dash + 1, &b) != 1)) {
		pr_warn("bad value '%s' for --source: expected ADDR or ADDR-LAST (IPv4)\n", s);
		return -EINVAL;
	}
	if (!dash)
		b = a;
	if (ntohl(b.s_addr) < ntohl(a.s_addr) ||
	    (__u64)ntohl(b.s_addr) - ntohl(a.s_addr) >= SOURCES_MAX) {
		pr_warn("bad value '%s' for --source: LAST must not be below ADDR, and at most %u "
			"addresses\n", s, SOURCES_MAX);
		return -EINVAL;
	}
	cfg->source = a.s_addr;
	cfg->n_sources = ntohl(b.s_addr) - ntohl(a.s_addr) + 1;
	return 0;
}

/* A.B.C.D/LEN or an IPv6 ADDR/LEN for map --prefix; host bits are ignored, as in targets. */
static int parse_prefix(const char *s, struct config *cfg)
{
	const char *slash = strchr(s, '/');
	char buf[INET6_ADDRSTRLEN];
	struct in_addr a;

	if (!slash || slash - s >= (long)sizeof(buf))
		goto bad;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	cfg->map6 = inet_pton(AF_INET6, buf, cfg->map_net6) == 1;
	if (cfg->map6)
		return parse_uint("--prefix length", slash + 1, 0, 128, &cfg->map_len);
	if (inet_pton(AF_INET, buf, &a) != 1)
		goto bad;
	cfg->map_net = ntohl(a.s_addr);
	return parse_uint("--prefix length", slash + 1, 0, 32, &cfg->map_len);
bad:
	pr_warn("bad value '%s' for --prefix: expected A.B.C.D/LEN or an IPv6 ADDR/LEN\n", s);
	return -EINVAL;
}

/*
 * ADDR:PORT for --listen: an IPv4 address, [IPv6] or nothing (every IPv4 address). Numeric only:
 * a listening address is configuration, not something to look up.
 */
static int parse_listen(const char *s, struct config *cfg)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM },
			*res;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	unsigned int port;
	size_t len;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		goto bad;
	len = colon - s;
	memcpy(host, s, len);
	host[len] = '\0';
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	} else if (strchr(host, ':')) {
		goto bad; /* an IPv6 address needs its brackets */
	}
	port = strspn(colon + 1, "0123456789") == strlen(colon + 1) ? atoi(colon + 1) : 0;
	if (port < 1 || port > 65535 || strlen(colon + 1) > 5)
		goto bad;
	if (!len)
		hints.ai_family = AF_INET;
	if (getaddrinfo(len ? host : NULL, colon + 1, &hints, &res))
		goto bad;
	memcpy(&cfg->listen_addr, res->ai_addr, res->ai_addrlen);
	cfg->listen_len = res->ai_addrlen;
	freeaddrinfo(res);
	cfg->listen = s;
	return 0;
bad:
	pr_warn("bad value '%s' for --listen: expected ADDR:PORT (127.0.0.1:9100, [::1]:9100, "
		":9100)\n",
		s);
	return -EINVAL;
}

/* A Prometheus label value we write unescaped, and a name people type. */
static int parse_vantage(const char *arg, struct config *cfg)
{
	size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-");

	if (!*arg || arg[n] || n > 64) {
		pr_warn("--vantage '%s': 1..64 letters, digits and _ . : -\n", arg);
		return -EINVAL;
	}
	cfg->vantage = arg;
	return 0;
}

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ttl = 64;
	cfg->size = EM_PAYLOAD_LEN;
	cfg->rate = 10000;
	cfg->probes = 1;
	cfg->wait_ms = 1000;
	cfg->resend = 3;
	cfg->shards = 1;
	cfg->count = 5;
	cfg->period_ms = 1000;
	cfg->timeout_ms = 1000;
	cfg->map_size = 4096; /* the whole space at one /24 per pixel */
	cfg->every_s = 10;
	cfg->aggregate = -1;
	cfg->aggregate6 = -1;
	cfg->keep = 60;
	cfg->min_ttl = 1;
	cfg->max_ttl = 32;
	cfg->flows = 1;
	cfg->batch_rows = 65536;
	cfg->retry_s = 300;
}

static int parse_opt(int c, const char *arg, struct config *cfg)
{
	static const char *const fmts[] = { "text", "csv", "json" };
	static const char *const map_fmts[] = { "png", "svg" };
	static const char *const modes[] = { "auto", "native", "generic" };
	static const char *const engines[] = { "afxdp", "raw", "xdp-live", "auto" };
	int v;

	switch (c) {
	case 'I':
		cfg->ifname = arg;
		return 0;
	case 'S':
		return parse_sources(arg, cfg);
	case OPT_TTL:
		return parse_uint("--ttl", arg, 1, 255, &cfg->ttl);
	case OPT_SIZE:
		if (cfg->cmd == CMD_MAP) /* the image's size, not the probes' */
			return parse_uint("--size", arg, MAP_SIZE_MIN, MAP_SIZE_MAX,
					  &cfg->map_size);
		/* A trace's probes carry 2 bytes that hold their checksum (tx/frame.h). */
		return parse_uint("--size", arg, EM_PAYLOAD_LEN + (cfg->cmd == CMD_TRACE) * 2,
				  PAYLOAD_MAX, &cfg->size);
	case 'F':
		if (cfg->cmd == CMD_MAP) {
			v = parse_enum("--format", arg, map_fmts, 2);
			cfg->map_fmt = v;
			return v < 0 ? v : 0;
		}
		v = parse_enum("--format", arg, fmts, 3);
		cfg->fmt = v;
		return v < 0 ? v : 0;
	case 'o':
		cfg->output = arg;
		return 0;
	case 'q':
		cfg->quiet = true;
		return 0;
	case 'v':
		if (log_level < LOG_DEBUG)
			log_level++;
		return 0;
	case OPT_XDP_MODE:
		v = parse_enum("--xdp-mode", arg, modes, 3);
		cfg->xdp_mode = v;
		return v < 0 ? v : 0;
	case OPT_ENGINE:
		v = parse_enum("--engine", arg, engines, 4);
		cfg->engine = v;
		return v < 0 ? v : 0;
	case OPT_THREADS:
		return parse_uint("--threads", arg, 1, 64, &cfg->threads);
	case OPT_SEED:
		return parse_u64("--seed", arg, 0, UINT64_MAX, &cfg->seed);
	case 'm':
		cfg->all_addresses = true;
		return 0;
	case '4':
	case '6':
		if (cfg->family && cfg->family != (c == '4' ? AF_INET : AF_INET6)) {
			pr_warn("-4 and -6 do not go together\n");
			return -EINVAL;
		}
		cfg->family = c == '4' ? AF_INET : AF_INET6;
		return 0;
	case OPT_IID:
		if (!iid_parse(arg, &cfg->iid))
			return 0;
		pr_warn("bad value '%s' for --iid: expected low, zero, full, random or a suffix "
			"such as ::abcd\n", arg);
		return -EINVAL;
	case OPT_BLOCKLIST:
		cfg->blocklist = arg;
		return 0;
	case OPT_ALLOWLIST:
		cfg->allowlist = arg;
		return 0;
	case OPT_ALLOW_RESERVED:
		cfg->allow_reserved = true;
		return 0;
	case 'r':
		return parse_u64("--rate", arg, 0, 1000000000, &cfg->rate);
	case 'n':
		return parse_uint("--probes", arg, 1, 16, &cfg->probes);
	case 'w':
		return parse_uint("--wait", arg, 0, 3600000, &cfg->wait_ms);
	case OPT_RESEND:
		return parse_uint("--resend", arg, 0, 16, &cfg->resend);
	case OPT_SHARDS:
		return parse_uint("--shards", arg, 1, 65535, &cfg->shards);
	case OPT_SHARD:
		return parse_uint("--shard", arg, 0, 65534, &cfg->shard);
	case OPT_ALL:
		cfg->all = true;
		return 0;
	case OPT_STREAM:
		cfg->stream = true;
		return 0;
	case OPT_REPEATS:
		cfg->repeats = true;
		return 0;
	case OPT_METADATA:
		cfg->metadata = arg;
		return 0;
	case OPT_RESUME:
		cfg->resume = arg;
		return 0;
	case OPT_PREFIX:
		return parse_prefix(arg, cfg);
	case OPT_TITLE:
		cfg->title = arg;
		return 0;
	case 'c':
		return parse_uint("--count", arg, 0, 1000000000, &cfg->count);
	case 'p':
		return parse_uint("--period", arg, 1, 3600000, &cfg->period_ms);
	case 't':
		return parse_uint("--timeout", arg, 1, 3600000, &cfg->timeout_ms);
	case OPT_EVERY:
		return parse_uint("--every", arg, 1, 86400, &cfg->every_s);
	case OPT_AGGREGATE:
		return parse_aggregate(arg, cfg);
	case OPT_BUCKETS:
		cfg->buckets = arg;
		return 0;
	case OPT_LISTEN:
		return parse_listen(arg, cfg);
	case OPT_WEB_CONFIG:
		cfg->web_config = arg;
		return 0;
	case OPT_SNAPSHOT_DIR:
		cfg->snapshot_dir = arg;
		return 0;
	case OPT_KEEP:
		return parse_uint("--keep", arg, 0, 1000000, &cfg->keep);
	case OPT_CONFIG:
		cfg->config_file = arg;
		return 0;
	case OPT_MIN_TTL:
		return parse_uint("--min-ttl", arg, 1, 32, &cfg->min_ttl);
	case OPT_MAX_TTL:
		return parse_uint("--max-ttl", arg, 1, 32, &cfg->max_ttl);
	case OPT_FLOWS:
		return parse_uint("--flows", arg, 1, 16, &cfg->flows);
	case OPT_PATHS:
		cfg->paths = true;
		return 0;
	case OPT_STOP_EARLY:
		cfg->stop_early = true;
		return 0;
	case OPT_CREATE_TABLE:
		cfg->create_table = true;
		return 0;
	case OPT_RUN_ID:
		return parse_u64("--run-id", arg, 1, ~0ULL >> 1, &cfg->run_id);
	case OPT_BATCH:
		return parse_uint("--batch", arg, 1, 1000000, &cfg->batch_rows);
	case OPT_RETRY:
		return parse_uint("--retry", arg, 1, 86400, &cfg->retry_s);
	case OPT_SPILL:
		cfg->spill = arg;
		return 0;
	case OPT_VANTAGE:
		return parse_vantage(arg, cfg);
	case OPT_WHERE:
		cfg->where = arg;
		return 0;
	default:
		return -EINVAL; /* getopt already named the problem */
	}
}

/* A round must leave time to send before its replies are due: the timeout is half of it at most. */
static int check_watch(struct config *cfg)
{
	unsigned int half = cfg->every_s * 500;

	if (cfg->web_config && !cfg->listen) {
		pr_warn("--web.config.file is for the HTTP server: give --listen too\n");
		return -EINVAL;
	}
	if (!cfg->timeout_ms)
		cfg->timeout_ms = half < 1000 ? half : 1000;
	if (cfg->timeout_ms > half) {
		pr_warn("--timeout %u ms is too long for rounds every %u s: at most %u ms\n",
			cfg->timeout_ms, cfg->every_s, half);
		return -EINVAL;
	}
	return 0;
}

/* A malformed ClickHouse URL is bad usage, found before anything is set up. */
static int check_clickhouse(const struct config *cfg)
{
	const char *url = cfg->cmd == CMD_MAP ? cfg->targets[0] : cfg->output;
	struct ch_url u;

	if (cfg->cmd != CMD_SWEEP && ch_is_url(cfg->output)) {
		pr_warn("only sweep writes to ClickHouse\n");
		return -EINVAL;
	}
	if (cfg->where && !ch_is_url(url)) {
		pr_warn("--where needs RESULTS from clickhouse://HOST:PORT/DB.TABLE\n");
		return -EINVAL;
	}
	if ((cfg->create_table || cfg->run_id || cfg->batch_rows != 65536 || cfg->retry_s != 300 ||
	     cfg->spill) &&
	    !ch_is_url(url)) {
		pr_warn("--create-table, --run-id, --batch, --retry and --spill need -o "
			"clickhouse://HOST:PORT/DB.TABLE\n");
		return -EINVAL;
	}
	if (!ch_is_url(url))
		return 0;
	if (ch_url_parse(url, &u))
		return -EINVAL;
	ch_url_free(&u);
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg)
{
	int c, err;

	set_defaults(cfg);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_help(argc < 2 ? stderr : stdout, -1);
		return argc < 2 ? -EINVAL : 1;
	}
	if (!strcmp(argv[1], "--version")) {
		version_print(stdout);
		return 1;
	}
	if (!strcmp(argv[1], "sweep")) {
		cfg->cmd = CMD_SWEEP;
	} else if (!strcmp(argv[1], "ping")) {
		cfg->cmd = CMD_PING;
	} else if (!strcmp(argv[1], "watch")) {
		cfg->cmd = CMD_WATCH;
		cfg->timeout_ms = 0; /* derived from --every unless given */
		cfg->rate = 0;	     /* the round spreads its probes: a cap only when given */
	} else if (!strcmp(argv[1], "map")) {
		cfg->cmd = CMD_MAP;
	} else if (!strcmp(argv[1], "trace")) {
		cfg->cmd = CMD_TRACE;
		cfg->ttl = 0; /* each probe's own, from its round (tx/frame.h) */
		cfg->size = EM_PAYLOAD_LEN + 2;
	} else {
		pr_warn("unknown command '%s' (try: echomap --help)\n", argv[1]);
		return -EINVAL;
	}

	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "I:S:F:o:qvm46r:n:w:c:p:t:h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			print_help(stdout, cfg->cmd);
			return 1;
		}
		if (c == OPT_VERSION) {
			version_print(stdout);
			return 1;
		}
		if (c != '?' && !(opt_cmds(c) & (1U << cfg->cmd))) {
			pr_warn("%s does not take --%s (try: echomap %s --help)\n", argv[0], opt_name(c),
				argv[0]);
			return -EINVAL;
		}
		err = parse_opt(c, optarg, cfg);
		if (err)
			return err;
		/* What a group of the file sets for itself. */
		if (cfg->cmd == CMD_WATCH && (c == OPT_EVERY || c == 'n' || c == 't' ||
					      c == OPT_TTL || c == OPT_SIZE))
			cfg->group_opt = opt_name(c);
	}
	if (cfg->shard >= cfg->shards) {
		pr_warn("--shard %u out of range: must be below --shards %u\n", cfg->shard, cfg->shards);
		return -EINVAL;
	}
	/* Shards on several machines must walk one order: a random seed would differ on each. */
	if (cfg->shards > 1 && !cfg->seed) {
		pr_warn("--shards needs --seed N (the same on every shard)\n");
		return -EINVAL;
	}
	/* A resumed piece does not know which of the silent targets the others probed. */
	if (cfg->resume && cfg->all) {
		pr_warn("--resume and --all do not go together: a piece cannot list the silent "
			"targets of the whole sweep\n");
		return -EINVAL;
	}
	if (cfg->resume && cfg->engine == ENGINE_XDP_LIVE) {
		pr_warn("--resume sends from one thread: use the afxdp or raw engine\n");
		return -EINVAL;
	}
	if (cfg->cmd == CMD_WATCH && check_watch(cfg))
		return -EINVAL;
	if (cfg->min_ttl > cfg->max_ttl) {
		pr_warn("--min-ttl %u is above --max-ttl %u\n", cfg->min_ttl, cfg->max_ttl);
		return -EINVAL;
	}
	/* The generator walks in the kernel: it does not learn of answers while it sends. */
	if (cfg->cmd == CMD_TRACE && cfg->engine == ENGINE_XDP_LIVE && cfg->stop_early) {
		pr_warn("--stop-early does not run on the xdp-live engine: use afxdp or raw\n");
		return -EINVAL;
	}
	if (cfg->cmd == CMD_TRACE && cfg->engine == ENGINE_AUTO)
		cfg->engine = ENGINE_AFXDP;
	cfg->targets = argv + optind;
	cfg->n_targets = argc - optind;
	if (cfg->config_file && cfg->n_targets) {
		pr_warn("targets are given either in the --config file or on the command line\n");
		return -EINVAL;
	}
	if (cfg->config_file && cfg->group_opt) {
		pr_warn("--%s is set per group in the --config file\n", cfg->group_opt);
		return -EINVAL;
	}
	if (cfg->config_file)
		return 0;
	if (cfg->cmd == CMD_MAP && (cfg->n_targets != 1 || !cfg->output)) {
		pr_warn("map takes one RESULTS file and -o FILE (try: echomap map --help)\n");
		return -EINVAL;
	}
	if (check_clickhouse(cfg))
		return -EINVAL;
	if (!cfg->n_targets) {
		pr_warn("no targets given (try: echomap %s --help)\n", argv[0]);
		return -EINVAL;
	}
	return 0;
}
