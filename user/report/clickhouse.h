/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sweep results into a ClickHouse table over its HTTP interface: RowBinary batches bounded in
 * rows, bytes and age, each retried with backoff until it is known to be in the table once.
 */
#ifndef ECHOMAP_REPORT_CLICKHOUSE_H
#define ECHOMAP_REPORT_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define CH_SCHEME "clickhouse://"

struct host_result;
struct ch_writer;

/* clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DB.TABLE, split up; strings are owned. */
struct ch_url {
	char *base;	       /* http://HOST:PORT/ */
	char *user, *password; /* NULL: the server's default user */
	char *db, *table;
	char *shown; /* the URL without the password, for messages */
};

struct ch_writer_opts {
	__u64 run_id;
	__u16 shard, shards;
	__u32 time; /* the run's start, Unix seconds: the time column and the partition */
	bool create_table;
	unsigned int batch_rows; /* a batch is sent at this many rows, at 8 MiB or 1 s old */
	unsigned int retry_s; /* a batch not in the table after this long gives the server up */
	const char *spill_path; /* then the rest goes here; NULL: the run fails */
};

bool ch_is_url(const char *s);
/* 0 or -EINVAL after one line naming what is wrong. */
int ch_url_parse(const char *s, struct ch_url *u);
void ch_url_free(struct ch_url *u);

/*
 * Checks the server, the credentials and the table (creating it with create_table) before
 * anything is probed; 0 or -errno after one line.
 */
int ch_writer_open(struct ch_writer **w, const char *url, const struct ch_writer_opts *o);
/* Appends a row, sending the batch when it is due; 0 or -errno once the run cannot go on. */
int ch_writer_add(struct ch_writer *w, const struct host_result *r);
/*
 * Sends what is left and says how many rows the run wrote; 0, 1 when some went to the spill
 * file (the summary says how to load them), or -errno.
 */
int ch_writer_finish(struct ch_writer *w);
/* An interrupted run: deletes its rows from the table (a mutation) and says so. */
void ch_writer_abort(struct ch_writer *w);
/* Rows that went to the spill file (after ch_writer_finish). */
__u64 ch_writer_spilled(const struct ch_writer *w);
void ch_writer_close(struct ch_writer *w);

/*
 * SELECT for map: rows of URL's table matching where (SQL, or NULL) as JSON lines with the
 * field names of sweep -F json, in a stream to read; NULL after one line.
 */
FILE *ch_select_results(const char *url, const char *where);

#endif
