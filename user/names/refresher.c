// SPDX-License-Identifier: GPL-2.0
#include <ares.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/caps.h"
#include "lib/log.h"
#include "names/refresher.h"

struct refresher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct name_batch *todo, *done; /* at most one of them is set, and only while busy */
	bool busy;
	volatile sig_atomic_t quit; /* also ends the resolution in progress */
};

static void *refresher_main(void *arg)
{
	struct refresher *rf = arg;
	/* watch follows names at their IPv4 addresses (A records) only, as it resolved them. */
	struct resolve_opts ro = { .all = true, .family = AF_INET, .stop = &rf->quit };
	struct name_batch *b;
	int err;

	/* It reads what name servers send: with no capability. */
	err = caps_limit_thread(0);
	if (err)
		pr_warn("cannot drop the capabilities of the resolver thread: %s\n", strerror(-err));

	pthread_mutex_lock(&rf->lock);
	for (;;) {
		while (!rf->todo && !rf->quit)
			pthread_cond_wait(&rf->cond, &rf->lock);
		if (rf->quit)
			break;
		b = rf->todo;
		rf->todo = NULL;
		pthread_mutex_unlock(&rf->lock);

		err = resolve_names(b->names, b->n, &ro, b->res);
		/* Resolver setup failed (logged): each name failed in a way that may pass. */
		for (size_t i = 0; err && err != -EINTR && i < b->n; i++) {
			b->res[i].status = ARES_ESERVFAIL;
			b->res[i].reason = "the resolver could not be set up";
		}

		pthread_mutex_lock(&rf->lock);
		rf->done = b;
	}
	pthread_mutex_unlock(&rf->lock);
	return NULL;
}

int refresher_start(struct refresher **rf)
{
	struct refresher *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	err = pthread_create(&r->thread, NULL, refresher_main, r);
	if (err) {
		pr_warn("cannot start the name refresher thread: %s\n", strerror(err));
		free(r);
		return -err;
	}
	*rf = r;
	return 0;
}

bool refresher_idle(struct refresher *rf)
{
	bool idle;

	pthread_mutex_lock(&rf->lock);
	idle = !rf->busy;
	pthread_mutex_unlock(&rf->lock);
	return idle;
}

void refresher_submit(struct refresher *rf, struct name_batch *b)
{
	pthread_mutex_lock(&rf->lock);
	rf->todo = b;
	rf->busy = true;
	pthread_cond_signal(&rf->cond);
	pthread_mutex_unlock(&rf->lock);
}

struct name_batch *refresher_take(struct refresher *rf)
{
	struct name_batch *b;

	pthread_mutex_lock(&rf->lock);
	b = rf->done;
	rf->done = NULL;
	if (b)
		rf->busy = false;
	pthread_mutex_unlock(&rf->lock);
	return b;
}

void refresher_stop(struct refresher *rf)
{
	if (!rf)
		return;
	pthread_mutex_lock(&rf->lock);
	rf->quit = 1;
	pthread_cond_signal(&rf->cond);
	pthread_mutex_unlock(&rf->lock);
	pthread_join(rf->thread, NULL);
	name_batch_free(rf->todo);
	name_batch_free(rf->done);
	pthread_cond_destroy(&rf->cond);
	pthread_mutex_destroy(&rf->lock);
	free(rf);
}
