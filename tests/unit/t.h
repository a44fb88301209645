/*
 * A minimal unit-test harness.  Each test program includes this file,
 * calls the T_*() checks and ends main() with t_done(), which prints
 * "unit:<name>: N passed, N failed" and returns the exit code.  A check
 * counts once; a failing check prints file, line and the expression.
 */
#ifndef AUTHD_T_H
#define AUTHD_T_H

#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define T_OK(e, ...) do {						\
	if (e) t_pass++;						\
	else {								\
		t_fail++;						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #e); \
		fprintf(stderr, " " __VA_ARGS__);			\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* Compares two strings that may be NULL. */
#define T_STREQ(a, b) do {						\
	const char *t_a = (a), *t_b = (b);				\
	int t_eq = (t_a == NULL && t_b == NULL) ||			\
	    (t_a != NULL && t_b != NULL && strcmp(t_a, t_b) == 0);	\
	T_OK(t_eq, "got \"%s\", want \"%s\"", t_a ? t_a : "(null)",	\
	    t_b ? t_b : "(null)");					\
} while (0)

static inline int
t_done(const char *name)
{
	printf("unit:%s: %d passed, %d failed\n", name, t_pass, t_fail);
	return t_fail != 0;
}

#endif
