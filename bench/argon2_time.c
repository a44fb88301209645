/*
 * bench/argon2_time: how long one password hash takes with the
 * configured argon2id parameters (the defaults unless ARGON2_* say
 * otherwise), the cost of every register, login and password change.
 *
 *	argon2_time [N]		N hashes (default 5); prints the median
 *
 * Run by bench/argon2 natively and, for the Pi, as the aarch64 build
 * under qemu-user.  A measurement, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "pwhash.h"

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	char	 err[256], *h;
	double	*ms = NULL, t0;
	long	 n = 5, i;
	int	 rc = 1;

	if (argc > 1 && ((n = strtol(argv[1], NULL, 10)) < 1 || n > 1000)) {
		fprintf(stderr, "usage: argon2_time [N]\n");
		return 2;
	}
	if (config_load(0, err, sizeof(err)) == -1) {
		fprintf(stderr, "argon2_time: %s\n", err);
		return 1;
	}
	if ((ms = calloc((size_t)n, sizeof(*ms))) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		t0 = now_ms();
		h = pwhash_hash(&cfg.pw, "correct horse battery", 21);
		ms[i] = now_ms() - t0;
		if (h == NULL)
			goto done;
		free(h);
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("argon2id t=%u m=%u KiB p=%u: median %.1f ms, min %.1f ms, "
	    "max %.1f ms over %ld hashes\n", cfg.pw.t_cost, cfg.pw.m_cost,
	    cfg.pw.parallelism, ms[n / 2], ms[0], ms[n - 1], n);
	rc = 0;
done:
	free(ms);
	config_free();
	return rc;
}
