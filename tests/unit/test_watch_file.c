// SPDX-License-Identifier: GPL-2.0
/*
 * watch --config files (conf/watch_file.c): every field read as written, defaults, and every
 * refusal as one line naming the file, the line and the reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf/watch_file.h"

static char path[64], msg[8192];

/* Writes text to a fresh file and loads it; what was said on stderr goes to msg. */
static int load(struct watch_file *wf, const char *text)
{
	FILE *f, *cap = tmpfile();
	int saved = dup(2), fd, err;
	size_t len;

	strcpy(path, "/tmp/test_watch_file.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_non_null(cap);
	assert_true(dup2(fileno(cap), 2) == 2);
	err = watch_file_load(wf, path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	len = fread(msg, 1, sizeof(msg) - 1, cap);
	msg[len] = '\0';
	fclose(cap);
	unlink(path);
	for (const char *l = msg, *e; (e = strchr(l, '\n')); l = e + 1)
		printf("# stderr: %.*s\n", (int)(e - l), l);
	return err;
}

/* The file is refused with "echomap: FILE:LINE: ..." holding why as the last line. */
static void refused(const char *text, unsigned int line, const char *why)
{
	struct watch_file wf;
	char want[256];
	const char *last;
	size_t n = strlen(msg);

	assert_int_equal(load(&wf, text), -EINVAL);
	assert_null(wf.g);
	n = strlen(msg);
	assert_true(n > 0 && msg[n - 1] == '\n');
	msg[n - 1] = '\0';
	last = strrchr(msg, '\n');
	last = last ? last + 1 : msg;
	snprintf(want, sizeof(want), "echomap: %s:%u: ", path, line);
	if (strncmp(last, want, strlen(want)) || !strstr(last, why))
		fail_msg("said '%s', want '%s...%s'", last, want, why);
}

static void test_every_field(void **state)
{
	struct watch_file wf;
	const struct watch_group *g;

	assert_int_equal(load(&wf, "# two groups\n"
				   "groups:\n"
				   "  - name: voice\n"
				   "    targets: [198.18.0.1, 198.18.1.0/30, \"198.18.2.1-198.18.2.3\"]\n"
				   "    labels: {site: par1, role: \"core \\\"a\\\"\"}\n"
				   "    interval: 10s\n"
				   "    probes: 5\n"
				   "    spacing: 20ms\n"
				   "    timeout: 500ms\n"
				   "    size: 64\n"
				   "    ttl: 32\n"
				   "    dscp: ef\n"
				   "    df: true\n"
				   "    source: 127.0.0.1\n"
				   "  - targets: db1.lab\n"
				   "    interval: 1m\n"
				   "    size: 100\n"
				   "    tos: 16\n"),
			 0);
	assert_string_equal(msg, "");
	assert_int_equal(wf.n, 2);
	g = &wf.g[0];
	/* Each group's own probe header. */
	assert_int_equal(g->size, 64);
	assert_int_equal(g->ttl, 32);
	assert_int_equal(g->tos, 46 << 2);
	assert_true(g->df);
	assert_int_equal(g->source, htonl(0x7f000001));
	assert_int_equal(wf.g[1].size, 100);
	assert_int_equal(wf.g[1].ttl, 0);
	assert_int_equal(wf.g[1].tos, 16);
	assert_false(wf.g[1].df);
	assert_int_equal(wf.g[1].source, 0);
	assert_string_equal(g->name, "voice");
	assert_int_equal(g->line, 3);
	assert_int_equal(g->n_targets, 3);
	assert_string_equal(g->targets[1], "198.18.1.0/30");
	assert_int_equal(g->n_labels, 2);
	assert_string_equal(g->labels[0].name, "site");
	assert_string_equal(g->labels[0].value, "par1");
	assert_string_equal(g->labels[1].name, "role");
	assert_string_equal(g->labels[1].value, "core \"a\"");
	assert_int_equal(g->interval_ms, 10000);
	assert_int_equal(g->probes, 5);
	assert_int_equal(g->spacing_ms, 20);
	assert_int_equal(g->timeout_ms, 500);
	assert_true(ipset_contains(&g->spec.set, 0xc6120102));
	assert_true(ipset_contains(&g->spec.set, 0xc6120203));
	assert_false(ipset_contains(&g->spec.set, 0xc6120204));
	/* Defaults, and a name for a group without one. */
	g = &wf.g[1];
	assert_string_equal(g->name, "group 2");
	assert_int_equal(g->n_targets, 1);
	assert_int_equal(g->spec.n_names, 1);
	assert_string_equal(g->spec.names[0], "db1.lab");
	assert_int_equal(g->interval_ms, 60000);
	assert_int_equal(g->probes, 1);
	assert_int_equal(g->spacing_ms, 0);
	assert_int_equal(g->timeout_ms, 1000);
	assert_int_equal(wf.n_targets, 4);
	assert_string_equal(wf.targets[3], "db1.lab");
	watch_file_free(&wf);
}

static void test_defaults(void **state)
{
	struct watch_file wf;

	assert_int_equal(load(&wf, "groups:\n- targets: [198.18.0.1]\n- targets: [198.18.0.2]\n"
				   "  interval: 500ms\n"),
			 0);
	/* 0: the session's --size, --ttl, route; TOS 0, DF clear. */
	assert_int_equal(wf.g[0].size, 0);
	assert_int_equal(wf.g[0].ttl, 0);
	assert_int_equal(wf.g[0].tos, 0);
	assert_false(wf.g[0].df);
	assert_int_equal(wf.g[0].source, 0);
	assert_int_equal(wf.g[0].interval_ms, 10000);
	assert_int_equal(wf.g[0].timeout_ms, 1000);
	/* Half the interval when that is shorter than a second. */
	assert_int_equal(wf.g[1].timeout_ms, 250);
	watch_file_free(&wf);
}

static void test_targets_from_file(void **state)
{
	char list[] = "/tmp/test_watch_file_list.XXXXXX", text[256];
	struct watch_file wf;
	int fd = mkstemp(list);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "198.18.5.0/24 # lab\n", 20), 20);
	close(fd);
	snprintf(text, sizeof(text), "groups:\n  - targets: [\"@%s\"]\n", list);
	assert_int_equal(load(&wf, text), 0);
	assert_true(ipset_contains(&wf.g[0].spec.set, 0xc6120580));
	watch_file_free(&wf);
	unlink(list);
	/* A list file that cannot be read: its error, then where the file names it. */
	refused(text, 2, "target '@");
	assert_non_null(strstr(msg, "cannot open"));
}

static void test_refusals(void **state)
{
	refused("", 1, "the file is empty");
	refused("groups: [\n", 2, "did not find expected");
	refused("- a\n", 1, "expected a mapping with 'groups:'");
	refused("group:\n  - targets: [198.18.0.1]\n", 1, "unknown key 'group'");
	refused("other: 1\n", 1, "unknown key 'other'");
	refused("groups: []\n", 1, "at least one group");
	refused("groups: {a: 1}\n", 1, "at least one group");
	refused("groups:\n  - 198.18.0.1\n", 2, "a group must be a mapping");
	refused("groups:\n  - name: a\n", 2, "group 'a' has no targets");
	refused("groups:\n  - name: [a]\n    targets: 198.18.0.1\n", 2, "name must be a plain");
	refused("groups:\n  - name: ''\n    targets: 198.18.0.1\n", 2, "name is empty");
	refused("groups:\n  - targets: []\n", 2, "targets of group 'group 1' is empty");
	refused("groups:\n  - targets: [198.18.0.1, {a: b}]\n", 2, "a target must be a plain");
	refused("groups:\n  - name: x\n    targets:\n      - 198.18.0.1\n      - 198.18.0.300\n", 5,
		"target '198.18.0.300' refused");
	refused("groups:\n  - targets: 198.18.0.1\n    intervall: 10s\n", 3,
		"unknown key 'intervall' in group 'group 1'");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: 10\n", 3,
		"interval: '10' needs a unit");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: 10d\n", 3, "unknown unit");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: -1s\n", 3, "not a duration");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: 99999999999h\n", 3, "too long");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: 50ms\n", 2,
		"interval of group 'group 1' out of range");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: 25h\n", 2, "out of range");
	refused("groups:\n  - targets: 198.18.0.1\n    probes: 17\n", 3, "probes 17 out of range 1..16");
	refused("groups:\n  - targets: 198.18.0.1\n    probes: 0\n", 3, "out of range");
	refused("groups:\n  - targets: 198.18.0.1\n    probes: five\n", 3, "'five' is not a number");
	refused("groups:\n  - targets: 198.18.0.1\n    timeout: 6s\n", 3,
		"timeout of group 'group 1' must be 1ms..5000ms");
	refused("groups:\n  - targets: 198.18.0.1\n    timeout: 0ms\n", 3, "must be 1ms");
	refused("groups:\n  - targets: 198.18.0.1\n    interval: 1s\n    timeout: 500ms\n"
		"    probes: 5\n    spacing: 200ms\n", 2, "5 probes 200ms apart do not fit");
	refused("groups:\n  - targets: 198.18.0.1\n    size: 23\n", 3, "size 23 out of range");
	refused("groups:\n  - targets: 198.18.0.1\n    size: 1473\n", 3, "out of range 24..1472");
	refused("groups:\n  - targets: 198.18.0.1\n    ttl: 0\n", 3, "ttl 0 out of range 1..255");
	refused("groups:\n  - targets: 198.18.0.1\n    ttl: 256\n", 3,
		"ttl 256 out of range 1..255");
	refused("groups:\n  - targets: 198.18.0.1\n    dscp: 64\n", 3,
		"dscp 64 out of range 0..63");
	refused("groups:\n  - targets: 198.18.0.1\n    dscp: af44\n", 3,
		"dscp: 'af44' is neither 0..63 nor CS0..CS7, AF11..AF43, EF, VA, LE");
	refused("groups:\n  - targets: 198.18.0.1\n    dscp: cs8\n", 3, "is neither 0..63");
	refused("groups:\n  - targets: 198.18.0.1\n    dscp: -1\n", 3, "is neither 0..63");
	refused("groups:\n  - targets: 198.18.0.1\n    tos: 0x10\n", 3,
		"tos: '0x10' is not a number");
	refused("groups:\n  - targets: 198.18.0.1\n    tos: 256\n", 3,
		"tos 256 out of range 0..255");
	refused("groups:\n  - targets: 198.18.0.1\n    tos: 8\n    dscp: cs1\n", 4,
		"group 'group 1': dscp and tos both set the TOS byte: give one");
	refused("groups:\n  - targets: 198.18.0.1\n    df: maybe\n", 3,
		"df: 'maybe' is not true or false");
	refused("groups:\n  - targets: 198.18.0.1\n    source: 127.0.0\n", 3,
		"source: '127.0.0' is not an IPv4 address");
	refused("groups:\n  - targets: 198.18.0.1\n    source: 0.0.0.0\n", 3,
		"no address to send from");
	/* TEST-NET-3: documentation only, never an address of a test machine. */
	refused("groups:\n  - targets: 198.18.0.1\n    source: 203.0.113.77\n", 3,
		"source 203.0.113.77 is not an address of this host");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: [a]\n", 3, "labels must be a mapping");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: {1a: x}\n", 3,
		"label name '1a' must start with a letter");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: {a-b: x}\n", 3,
		"only letters, digits");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: {__x: x}\n", 3, "Prometheus reserves");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: {target: x}\n", 3,
		"one echomap sets itself");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: {le: x}\n", 3, "sets itself");
	refused("groups:\n  - targets: 198.18.0.1\n    labels:\n      a: x\n      a: y\n", 5,
		"label 'a' given twice");
	refused("groups:\n  - targets: 198.18.0.1\n    labels: {a: [x]}\n", 3,
		"a label value must be a plain");
	refused("groups:\n  - name: a\n    targets: 198.18.0.1\n  - name: a\n    targets: 198.18.0.2\n",
		4, "a second group named 'a'");
}

/* Writes text to dir/name. */
static void put_file(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Prometheus file_sd files, JSON and YAML, from the config file's folder and by pattern. */
static void test_file_sd(void **state)
{
	char dir[] = "/tmp/test_watch_file_sd.XXXXXX", text[512], cmd[300];
	const struct watch_group *g;
	struct watch_file wf;

	assert_non_null(mkdtemp(dir));
	put_file(dir, "a.json",
		 "[\n  {\"targets\": [\"198.18.1.1:9100\", \"198.18.1.2\"],\n"
		 "   \"labels\": {\"env\": \"prod\", \"site\": \"ams\"}},\n"
		 "  {\"targets\": [\"db1.lab\"]}\n]\n");
	put_file(dir, "b.yml", "- targets: [198.18.2.0/30]\n  labels: {env: lab}\n");
	put_file(dir, "empty.json", "");
	put_file(dir, "ignored.txt", "not: [a list\n");
	snprintf(text, sizeof(text),
		 "groups:\n"
		 "  - name: sd\n"
		 "    interval: 2s\n"
		 "    probes: 3\n"
		 "    labels: {site: par, team: net}\n"
		 "    file_sd: [\"%s/*.json\", \"%s/b.yml\", \"%s/none-*.json\"]\n"
		 "  - targets: [198.18.0.1]\n",
		 dir, dir, dir);
	assert_int_equal(load(&wf, text), 0);
	/* sd itself (no targets of its own), then its 3 entries, then group 2. */
	assert_int_equal(wf.n, 5);
	assert_int_equal(wf.n_sd_paths, 3);
	assert_int_equal(wf.g[0].n_targets, 0);
	g = &wf.g[1];
	assert_true(g->from_sd);
	assert_int_equal(g->interval_ms, 2000);
	assert_int_equal(g->probes, 3);
	assert_int_equal(g->line, 2);
	assert_int_equal(g->n_targets, 2);
	assert_string_equal(g->targets[0], "198.18.1.1");
	assert_string_equal(g->targets[1], "198.18.1.2");
	/* The entry's site replaces the group's; team is the group's; env the entry's. */
	assert_int_equal(g->n_labels, 3);
	assert_string_equal(g->labels[0].name, "site");
	assert_string_equal(g->labels[0].value, "ams");
	assert_string_equal(g->labels[1].name, "team");
	assert_string_equal(g->labels[2].name, "env");
	assert_string_equal(g->labels[2].value, "prod");
	g = &wf.g[2];
	assert_string_equal(g->targets[0], "db1.lab");
	assert_int_equal(g->n_labels, 2);
	g = &wf.g[3];
	assert_true(ipset_contains(&g->spec.set, 0xc6120203));
	assert_string_equal(g->labels[2].value, "lab");
	assert_int_equal(wf.n_targets, 5);
	watch_file_free(&wf);

	/* A relative path is the config file's folder's. */
	snprintf(text, sizeof(text), "%s/watch.yaml", dir);
	put_file(dir, "watch.yaml", "groups:\n  - file_sd: b.yml\n");
	assert_int_equal(watch_file_load(&wf, text), 0);
	assert_int_equal(wf.n, 2);
	assert_int_equal(wf.g[1].n_targets, 1);
	watch_file_free(&wf);

	/* Errors in a file_sd file: its FILE:LINE, then where the config names it. */
	put_file(dir, "bad.json", "[\n  {\"targets\": [\"198.18.1.1\"],\n   \"labels\": {\"a-b\": \"x\"}}\n]\n");
	snprintf(text, sizeof(text), "groups:\n  - file_sd: [\"%s/bad.json\"]\n", dir);
	refused(text, 2, "file_sd file '");
	assert_non_null(strstr(msg, "bad.json:3: label name 'a-b' may hold only"));
	put_file(dir, "bad.json", "{\"targets\": []}\n");
	refused(text, 2, "file_sd file '");
	assert_non_null(strstr(msg, "bad.json:1: a file_sd file is a list"));
	put_file(dir, "bad.json", "[{\"labels\": {}}]\n");
	refused(text, 2, "file_sd file '");
	assert_non_null(strstr(msg, "bad.json:1: an entry needs targets: a list"));
	put_file(dir, "bad.json", "[{\"targets\": [], \"source\": 1}]\n");
	refused(text, 2, "file_sd file '");
	assert_non_null(strstr(msg, "unknown key 'source' (targets, labels)"));
	put_file(dir, "bad.json", "[{\"targets\": [\"300.1.1.1\"]}]\n");
	refused(text, 2, "file_sd file '");
	assert_non_null(strstr(msg, "bad.json:1: target '300.1.1.1' refused"));
	put_file(dir, "bad.json", "[{\"targets\": [\"198.18.1.1\"\n");
	refused(text, 2, "file_sd file '");
	refused("groups:\n  - name: x\n", 2, "has no targets (targets: or file_sd:)");
	refused("groups:\n  - file_sd: []\n", 2, "file_sd of group 'group 1' is empty");
	snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_unreadable(void **state)
{
	struct watch_file wf;

	assert_int_equal(watch_file_load(&wf, "/nonexistent/echomap.yaml"), -ENOENT);
	assert_null(wf.g);
}

/* Which group an address is in: the first listing it, by address, prefix or name. */
static void test_group_of(void **state)
{
	struct target_set ts = { 0 };
	struct target_name names[] = { { 0xc6120909, "db1.lab" } };
	struct watch_file wf;

	assert_int_equal(load(&wf, "groups:\n  - targets: [198.18.0.0/24]\n"
				   "  - targets: [198.18.0.5, 198.18.1.0/24, DB1.lab]\n"),
			 0);
	/* One interval from 198.18.0.0: a target's index is its offset from there. */
	struct ip_interval iv = { 0xc6120000, 0xc6120aff };
	__u64 before = 0;

	ts.iv = &iv;
	ts.n_iv = 1;
	ts.before = &before;
	ts.count = 0xb00;
	ts.names = names;
	ts.n_names = 1;
	assert_int_equal(watch_file_group_of(&wf, &ts, 0x005), 0);
	assert_int_equal(watch_file_group_of(&wf, &ts, 0x105), 1);
	assert_int_equal(watch_file_group_of(&wf, &ts, 0x909), 1);
	/* Listed nowhere (a list file edited between two readings): the first group. */
	assert_int_equal(watch_file_group_of(&wf, &ts, 0xa01), 0);
	watch_file_free(&wf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field),   cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_targets_from_file), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_file_sd),	      cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_group_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
