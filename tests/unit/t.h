/*
 * A minimal unit-test harness.  Each test program includes this file,
 * calls the T_*() checks and ends main() with t_done(), which prints
 * "unit:<name>: N passed, N failed" and returns the exit code.  A check
 * counts once; a failing check prints file, line and the expression.
 * When T_PROGRESS names a file, each check also appends one byte to it
 * (p or f) as it is made, so tests/run can tell how many checks ran
 * before a binary that stopped early (a crash, a sanitizer abort, a
 * timeout) and how many did not.
 */
#ifndef AUTHD_T_H
#define AUTHD_T_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_pass, t_fail;
static int t_progress_fd = -2;

static inline void
t_mark(char c)
{
	const char	*p;

	if (t_progress_fd == -2) {
		p = getenv("T_PROGRESS");
		t_progress_fd = p == NULL ? -1 :
		    open(p, O_WRONLY | O_APPEND);
	}
	if (t_progress_fd >= 0 && write(t_progress_fd, &c, 1) != 1)
		t_progress_fd = -1;
}

#define T_OK(e, ...) do {						\
	if (e) {							\
		t_pass++;						\
		t_mark('p');						\
	} else {							\
		t_fail++;						\
		t_mark('f');						\
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
