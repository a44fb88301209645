/*
 * Templates shared by the mailer (mail/render.c) and the pages of
 * browser sign-in (handlers/pages.c): a growing buffer that wipes what
 * it held (rendered text may carry links with tokens), HTML escaping,
 * and the {{key}} substitution.
 *
 * Placeholders: {{key}} is replaced by the value, HTML-escaped when the
 * template is HTML; {{&key}} inserts the value as it is, for fragments
 * the caller rendered (and escaped) itself.
 */
#ifndef AUTHD_TMPL_H
#define AUTHD_TMPL_H

#include <stddef.h>

/* A growing output buffer; p is always NUL-terminated once written. */
struct tbuf {
	char	*p;
	size_t	 len, cap;
};

/* Appends; grows without realloc(), wiping the old copy.  Aborts on OOM. */
void	 tbuf_add(struct tbuf *, const char *, size_t);
void	 tbuf_puts(struct tbuf *, const char *);
void	 tbuf_printf(struct tbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Wipes and frees the buffer's bytes; the buffer is empty again. */
void	 tbuf_wipe(struct tbuf *);

/* Appends s with & < > " ' escaped. */
void	 tmpl_escape_html(struct tbuf *, const char *s);

/* The value of a placeholder, or NULL when it has none. */
typedef const char *(*tmpl_lookup)(void *arg, const char *key);

/*
 * Appends t to b with every placeholder replaced (escaped when html).
 * Returns 0, or -1 with the placeholder that has no value in missing
 * (missinglen bytes, may be 0).
 */
int	 tmpl_subst(struct tbuf *b, const char *t, tmpl_lookup, void *arg,
	    int html, char *missing, size_t missinglen);

#endif
