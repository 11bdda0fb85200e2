/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host names to IPv4 and IPv6 addresses (A and AAAA records), many at once. c-ares sends the
 * DNS queries in parallel (UDP, TCP when an answer is truncated) with the servers, search list,
 * ndots, timeout and attempts of /etc/resolv.conf; /etc/hosts is read once per batch and looked
 * up in memory (a blocklist hosts file can have 100,000 lines); the hosts line of
 * /etc/nsswitch.conf decides, as it does for glibc, in which order the two ("files", "dns") are
 * asked and when to stop.
 */
#ifndef ECHOMAP_NAMES_RESOLVE_H
#define ECHOMAP_NAMES_RESOLVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "targets/ip6set.h"

enum nss_source { NSS_FILES, NSS_DNS };

/* The unsuccessful outcomes a [STATUS=ACTION] criterion can name (SUCCESS always returns). */
enum nss_status { NSS_NOTFOUND, NSS_UNAVAIL, NSS_TRYAGAIN, NSS_N_STATUS };

#define NSS_MAX_STEPS 8

struct nss_hosts {
	struct nss_step {
		enum nss_source src;
		bool stop[NSS_N_STATUS]; /* "return" on this status; default "continue" */
	} step[NSS_MAX_STEPS];
	size_t n; /* 0: no supported source, nothing resolves */
};

/*
 * The sources after "hosts:" (line, without the comment). files and dns are used; any other
 * source (myhostname, mdns4_minimal, resolve, ...) is skipped together with its criteria, and
 * named in one pr_info line. Criteria are glibc's: [[!]STATUS=ACTION ...], case-insensitive,
 * actions return, continue and merge (as continue). 0, or -EINVAL on a syntax error.
 */
int nss_hosts_parse(const char *line, struct nss_hosts *h);

/*
 * The first hosts line of the file at path; glibc's "dns [!UNAVAIL=return] files" when the file
 * or the line is missing, or the line is malformed (then after a pr_warn).
 */
void nss_hosts_read(const char *path, struct nss_hosts *h);

struct resolv_conf {
	unsigned int timeout_s; /* per try, >= 1 */
	unsigned int attempts;	/* >= 1 */
	unsigned int nameservers;
};

/*
 * What c-ares 1.18 does not read in the resolv.conf at path: glibc's timeout:N (seconds, at
 * most 30) and attempts:N (at most 5), from its options lines then from env (the RES_OPTIONS
 * variable, may be NULL), as glibc applies them, else glibc's 5 s and 2; and how many
 * nameserver lines it has.
 */
void resolv_conf_read(const char *path, const char *env, struct resolv_conf *rc);

struct resolved {
	__u32 *addrs;	    /* IPv4, host order, deduplicated, in the resolver's order; malloc'd */
	size_t n;	    /* IPv4 addresses */
	ip6_t *addrs6;	    /* IPv6, the same way */
	size_t n6;	    /* n + n6 >= 1, or both 0 when the name failed */
	__u32 ttl;	    /* seconds the answer may be kept (lowest record TTL; 0 from files) */
	bool files;	    /* the answer came from the hosts file, which gives no TTL */
	int status;	    /* ARES_SUCCESS, or the c-ares status that explains the failure */
	const char *reason; /* why the name failed (ares_strerror), NULL on success */
};

/*
 * glibc's class of a c-ares status: NSS_NOTFOUND when the name does not exist (NXDOMAIN, no
 * address), NSS_UNAVAIL when no source could be asked, NSS_TRYAGAIN for a failure that may pass
 * (SERVFAIL, timeout).
 */
enum nss_status nss_status_of(int status);

/* The IPv4 and IPv6 entries of a hosts file, read once and sorted for lookups. */
struct hosts_file {
	struct hosts_entry {
		const char *name; /* into text */
		bool v6;
		__u32 addr;  /* IPv4 */
		ip6_t addr6; /* IPv6 */
		size_t seq; /* place in the file */
	} *e;		  /* sorted by name (case-insensitive), then seq */
	size_t n;
	char *text;
	bool unavail; /* the file could not be read */
};

/* 0, or -ENOMEM. A file that cannot be read leaves an empty table marked unavail. */
int hosts_load(const char *path, struct hosts_file *h);
/*
 * The addresses of name (any of a line's names, case-insensitive) of family (AF_INET, AF_INET6,
 * or AF_UNSPEC: both) in file order, deduplicated, only the first of each family unless all,
 * into r (overwritten). 0 (ARES_SUCCESS) or a c-ares status: ARES_ENOTFOUND, ARES_EFILE
 * (unavail), ARES_ENOMEM.
 */
int hosts_lookup(const struct hosts_file *h, const char *name, bool all, int family,
		 struct resolved *r);
void hosts_free(struct hosts_file *h);

struct resolve_opts {
	bool all;			  /* every address of a name, not only the first */
	int family;			  /* AF_INET (-4), AF_INET6 (-6), AF_UNSPEC: both */
	bool progress;			  /* "resolving N/M names" on stderr, if it is a terminal */
	const volatile sig_atomic_t *stop; /* abandon the batch once *stop is set; may be NULL */
};

/*
 * A name of RFC 2782's form _service._proto.name: looked up in DNS as an SRV record, every
 * address of its targets its own (with or without all), kept as long as the shortest TTL of
 * the records; not in the hosts file, which has no SRV records.
 */
bool is_srv_name(const char *name);

/*
 * Resolves names[0..n) into out[0..n) with the system's configuration, read again on every
 * call, so it can be called again to refresh a batch. Without o->all, a name with addresses of
 * both families keeps the one names/prefer.h picks. A name that fails has its reason set and
 * does not stop the others. Safe to call from several threads at once. Returns 0; -ENOMEM,
 * -EIO (resolver setup failed), or -EINTR when *o->stop was set; then out[] is freed and zeroed.
 */
int resolve_names(char *const *names, size_t n, const struct resolve_opts *o,
		  struct resolved *out);
void resolved_free(struct resolved *r, size_t n);

#endif
