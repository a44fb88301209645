/*
 * What authctl's subcommands share that needs neither the database nor
 * the configuration: usage and error messages, small checks, and the
 * output (aligned tables for people, JSON for scripts).  Kept apart from
 * main() so the unit tests link it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "store.h"
#include "util.h"

/* See ctl.h; a "--" ends the options, so a file named --help can be given. */
int
ctl_wants_help(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

/* See ctl.h. */
int
ctl_usage(const char *text, int help)
{
	fputs(text, help ? stdout : stderr);
	return help ? CTL_OK : CTL_USAGE;
}

/*
 * See ctl.h.  The messages say what happened to the data as well, since
 * that is what the operator needs to know next.
 */
int
ctl_store_error(int rc, const char *what)
{
	const char	*why;

	switch (rc) {
	case STORE_EBUSY:
		why = "the database is locked by another process (still busy "
		    "after the busy timeout, SQLITE_BUSY_TIMEOUT_MS); nothing "
		    "was changed, try again";
		break;
	case STORE_EUNAVAIL:
		why = "the database server cannot be reached; nothing was "
		    "changed, try again";
		break;
	case STORE_EFULL:
		why = "no space left on the device; nothing was written";
		break;
	case STORE_ELASTADMIN:
		why = "cannot remove the last administrator";
		break;
	default:
		why = "database error (see the message above); nothing was "
		    "changed";
		break;
	}
	fprintf(stderr, "authctl: %s: %s\n", what, why);
	return CTL_ERR;
}

/* See ctl.h: checked before an id becomes part of a path or a query. */
int
ctl_uuid_shaped(const char *s)
{
	size_t	i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[36] == '\0';
}

/* See ctl.h. */
const char *
ctl_time(int64_t t, char buf[21])
{
	if (t == 0)
		snprintf(buf, 21, "-");
	else
		rfc3339(t, buf);
	return buf;
}

struct ctl_table {
	size_t	  ncols;
	size_t	  nrows;		/* the header included */
	char	**cells;		/* nrows x ncols, row by row */
	size_t	 *width;		/* per column, in characters */
};

/*
 * The UTF-8 sequence starting at s (at most n bytes): returns its length
 * (1 for a byte that starts no valid sequence) and sets *ok when it is
 * valid and printable.  C0 and C1 controls and DEL are not printable: a
 * terminal would act on them.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, int *ok)
{
	size_t		len, i;
	unsigned	cp;

	*ok = 0;
	if (s[0] < 0x80) {
		*ok = s[0] >= 0x20 && s[0] != 0x7f;
		return 1;
	}
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
		return 1;
	if (len > n)
		return 1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 1;
	*ok = !(cp >= 0x80 && cp <= 0x9f);
	return len;
}

/* A printable copy of s ("-" for NULL) and its width in characters. */
static char *
clean(const char *s, size_t *width)
{
	const unsigned char	*p;
	char			*out, *o;
	size_t			 n, len;
	int			 ok;

	if (s == NULL)
		s = "-";
	n = strlen(s);
	o = out = xmalloc(n + 1);
	*width = 0;
	for (p = (const unsigned char *)s; n > 0; p += len, n -= len) {
		len = utf8_seq(p, n, &ok);
		if (ok) {
			memcpy(o, p, len);
			o += len;
		} else
			*o++ = '?';
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

/* See ctl.h. */
size_t
ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows - 1;
}

/* See ctl.h; NULL-safe. */
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

/* See ctl.h: the last column is not padded, so no line ends in blanks. */
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

/* See ctl.h. */
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
