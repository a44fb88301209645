/*
 * The template code shared by the mailer and the pages (see tmpl.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "tmpl.h"
#include "util.h"

void
tbuf_add(struct tbuf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (b->len + n + 1 > cap)
			cap *= 2;
		np = xmalloc(cap);
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			OPENSSL_cleanse(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
tbuf_puts(struct tbuf *b, const char *s)
{
	tbuf_add(b, s, strlen(s));
}

void
tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		log_warnx("out of memory");
		abort();
	}
	tbuf_add(b, s, (size_t)n);
	free(s);
}

void
tbuf_wipe(struct tbuf *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

void
tmpl_escape_html(struct tbuf *b, const char *s)
{
	const char	*run = s;

	for (; *s != '\0'; s++) {
		const char	*e;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		tbuf_add(b, run, (size_t)(s - run));
		tbuf_puts(b, e);
		run = s + 1;
	}
	tbuf_add(b, run, (size_t)(s - run));
}

int
tmpl_subst(struct tbuf *b, const char *t, tmpl_lookup lookup, void *arg,
    int html, char *missing, size_t missinglen)
{
	const char	*p, *e, *v;
	char		 key[64];
	size_t		 n;
	int		 raw;

	while ((p = strstr(t, "{{")) != NULL &&
	    (e = strstr(p + 2, "}}")) != NULL) {
		tbuf_add(b, t, (size_t)(p - t));
		raw = p[2] == '&';
		n = (size_t)(e - p - 2 - raw);
		if (n >= sizeof(key))
			n = sizeof(key) - 1;
		memcpy(key, p + 2 + raw, n);
		key[n] = '\0';
		if ((v = lookup(arg, key)) == NULL) {
			if (missinglen > 0)
				snprintf(missing, missinglen, "%s", key);
			return -1;
		}
		if (html && !raw)
			tmpl_escape_html(b, v);
		else
			tbuf_puts(b, v);
		t = e + 2;
	}
	tbuf_puts(b, t);
	return 0;
}
