/*
 * The pages of browser sign-in (SPEC §9), shared by handlers/pages.c
 * (the signed-out pages) and handlers/pages_account.c (the account).
 *
 * A page POST decodes its form, checks the CSRF token and the origin,
 * then hands the fields to the API handler that does the work (login,
 * register, reset, ...), so the rules, messages, throttling and timing
 * are the API's; the page only turns that handler's answer into HTML.
 */
#ifndef AUTHD_PAGES_H
#define AUTHD_PAGES_H

#include "handlers.h"

/* Key/value pairs of a template, NULL-terminated: { "k", "v", ..., NULL }. */
typedef const char *const page_kv[];

/*
 * Renders templates/<name>.html with kv into the layout under title and
 * answers it with status and the pages' headers (CSP, no-store, ...).
 * Keys without a value render empty.  Returns status.
 */
int	 page_render(const struct req *, struct resp *, int status,
	    const char *title, const char *name, const char *const *kv);
/* A short page: a message and one link. */
int	 page_message(const struct req *, struct resp *, int status,
	    const char *title, const char *msg, const char *link,
	    const char *link_text);
/* 303 to location (an allowed URL or a path of authd), with the pages' headers. */
int	 page_redirect(struct resp *, const char *location);
/* The stylesheet. */
int	 page_style(struct resp *);
/*
 * Renders fragment name with kv and returns it allocated (for {{&key}}
 * placeholders of a page).
 */
char	*page_fragment(const char *name, const char *const *kv);
/* The field error fragment for field with msg, allocated. */
char	*page_field_error(const char *field, const char *msg);

/*
 * The start of every form POST: decodes the form into r->json (without
 * its csrf field) after checking the CSRF token and the origin.
 * Returns 0, or the status of the page it answered (403 for a failed
 * check, 400 for an undecodable form).
 */
int	 page_form(struct req *, struct resp *);
/* A string field of the decoded form, or NULL. */
const char *page_field(const struct req *, const char *name);
/*
 * Copies the headers of an API handler's answer that a page keeps
 * (Set-Cookie, Retry-After) from src to dst.
 */
void	 page_keep_headers(struct resp *dst, const struct resp *src);
/*
 * The message of a field in a 422 answer of an API handler (without
 * the "Value error, " prefix), or NULL.  Borrowed from src.
 */
const char *page_422_msg(const struct resp *src, const char *field);
/*
 * The message to show next to field after a 422 of an API handler:
 * empty_msg when the form left the field empty or out, else the
 * handler's own message (an over-long value, say); NULL when the 422
 * does not concern the field.
 */
const char *page_422_field(const struct req *, const struct resp *src,
	    const char *field, const char *empty_msg);

/* 429 page (Retry-After kept from src). */
int	 page_throttled(const struct req *, struct resp *,
	    const struct resp *src);
/* The answer for an API handler's unexpected status (5xx and the like). */
int	 page_failed(const struct req *, struct resp *, int status);
/*
 * The answer for an API handler's refusal in src that its page has no
 * form for: 429 the throttled page, anything else page_failed(), with
 * src's Retry-After kept (a 503 that could not record an attempt).
 */
int	 page_refused(const struct req *, struct resp *, int status,
	    const struct resp *src);

#endif
