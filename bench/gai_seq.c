// SPDX-License-Identifier: GPL-2.0
/*
 * bench/names.sh's baseline: resolves the names of FILE (one per line) one after the other with
 * glibc's getaddrinfo, as a classic prober does, and prints "NAMES FAILED SECONDS".
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	/* SOCK_RAW: one result per address, as echomap asks c-ares for. */
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_RAW }, *res;
	unsigned long names = 0, failed = 0;
	struct timespec t0, t1;
	char line[512];
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: gai_seq FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		names++;
		if (getaddrinfo(line, NULL, &hints, &res)) {
			failed++;
			continue;
		}
		freeaddrinfo(res);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fclose(f);
	printf("%lu %lu %.6f\n", names, failed,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
