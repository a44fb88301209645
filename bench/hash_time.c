/*
 * bench/hash_time: the time one password hash takes with the configured
 * ARGON2_* parameters (the same code the workers run), for the login
 * ceiling of bench/run: hashing workers / one hash time.
 *
 * usage: bench/hash_time [N]   (default 20 hashes after one warm-up)
 * Prints "hash wall_ms=W cpu_ms=C n=N": the medians of the wall-clock
 * and of the CPU time of one hash.  The buffer is allocated as a worker
 * allocates it (mmap for every block over 128 KiB, given back when
 * freed), so the time includes its page faults, as a worker's does.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "pwhash.h"

#define RUNS_MAX	1000

static double
ms_of(clockid_t clk)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	static double	 wall[RUNS_MAX], cpu[RUNS_MAX];
	struct config	*conf;
	char		 err[256], *h;
	double		 w0, c0;
	int		 n = argc > 1 ? atoi(argv[1]) : 20, i;

	if (n < 1 || n > RUNS_MAX) {
		fprintf(stderr, "usage: hash_time [1..%d]\n", RUNS_MAX);
		return 2;
	}
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);	/* as server/worker.c */
	if ((conf = config_load(0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "hash_time: configuration: %s\n", err);
		return 2;
	}
	for (i = -1; i < n; i++) {
		w0 = ms_of(CLOCK_MONOTONIC);
		c0 = ms_of(CLOCK_PROCESS_CPUTIME_ID);
		if ((h = pwhash_hash(&conf->pw, "bench-password", 14)) == NULL)
			return 1;
		free(h);
		if (i < 0)
			continue;	/* the warm-up */
		wall[i] = ms_of(CLOCK_MONOTONIC) - w0;
		cpu[i] = ms_of(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	qsort(wall, (size_t)n, sizeof(double), cmp);
	qsort(cpu, (size_t)n, sizeof(double), cmp);
	printf("hash wall_ms=%.2f cpu_ms=%.2f n=%d t=%u m=%u p=%u\n",
	    wall[n / 2], cpu[n / 2], n, conf->pw.t_cost, conf->pw.m_cost,
	    conf->pw.parallelism);
	config_free(conf);
	return 0;
}
