/*
 * authctl's output: aligned tables for people, JSON for scripts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "util.h"

struct ctl_table {
	size_t	  ncols;
	size_t	  nrows;		/* the header included */
	char	**cells;		/* nrows x ncols, row by row */
	size_t	 *width;		/* per column, in characters */
};

/*
 * Length of the UTF-8 sequence starting at s (at most n bytes) when it
 * is valid and printable, else 0.  C0 and C1 controls and DEL are not
 * printable: a terminal would act on them.
 */
static size_t
printable_seq(const unsigned char *s, size_t n)
{
	size_t		len, i;
	unsigned	cp;

	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

/* A printable copy of s ("-" for NULL) and its width in characters. */
static char *
clean(const char *s, size_t *width)
{
	const unsigned char	*p;
	char			*out, *o;
	size_t			 n, len;

	if (s == NULL)
		s = "-";
	n = strlen(s);
	o = out = xmalloc(n + 1);
	*width = 0;
	for (p = (const unsigned char *)s; n > 0; p += len, n -= len) {
		if ((len = printable_seq(p, n)) == 0) {
			*o++ = '?';
			len = 1;
		} else {
			memcpy(o, p, len);
			o += len;
		}
		(*width)++;
	}
	*o = '\0';
	return out;
}

static void
add_row(struct ctl_table *t, va_list ap)
{
	size_t	i, w;
	char	*cell;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols *
	    sizeof(char *));
	for (i = 0; i < t->ncols; i++) {
		cell = clean(va_arg(ap, const char *), &w);
		t->cells[t->nrows * t->ncols + i] = cell;
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

/* See ctl.h: ncols header strings follow. */
struct ctl_table *
ctl_table_new(size_t ncols, ...)
{
	struct ctl_table	*t;
	va_list			 ap;

	t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof(size_t));
	va_start(ap, ncols);
	add_row(t, ap);
	va_end(ap);
	return t;
}

/* See ctl.h: ncols cell strings follow (NULL for "-"). */
void
ctl_table_row(struct ctl_table *t, ...)
{
	va_list	ap;

	va_start(ap, t);
	add_row(t, ap);
	va_end(ap);
}

size_t
ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows - 1;
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

/* Width in characters of a cleaned cell (valid UTF-8 by now). */
static size_t
chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
ctl_table_print(struct ctl_table *t)
{
	size_t		 r, i, pad;
	const char	*cell;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			cell = t->cells[r * t->ncols + i];
			fputs(cell, stdout);
			if (i + 1 == t->ncols)
				break;
			for (pad = chars(cell); pad < t->width[i] + 2; pad++)
				putchar(' ');
		}
		putchar('\n');
	}
	ctl_table_free(t);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("authctl: cannot write the output");
		return CTL_ERR;
	}
	return CTL_OK;
}

int
ctl_json_print(struct json_object *o)
{
	const char	*s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	fputs(s, stdout);
	putchar('\n');
	json_object_put(o);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("authctl: cannot write the output");
		return CTL_ERR;
	}
	return CTL_OK;
}
