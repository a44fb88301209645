/*
 * The request headers browser sign-in reads (SPEC §9), copied out of the
 * FastCGI environment in one pass.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "util.h"

#define COOKIE_MAX	8192
#define HDR_MAX		2048

/* A copy of at most max bytes, or NULL when empty. */
static char *
copy(const char *v, size_t max)
{
	if (*v == '\0')
		return NULL;
	return xstrndup(v, strnlen(v, max));
}

static int
is(const char *e, const char *name, const char **v)
{
	size_t	n = strlen(name);

	if (strncmp(e, name, n) != 0 || e[n] != '=')
		return 0;
	*v = e + n + 1;
	return 1;
}

void
req_browser_env(struct req *r, char *const *envp)
{
	const char	*v;

	for (; envp != NULL && *envp != NULL; envp++) {
		if (strncmp(*envp, "HTTP", 4) != 0)
			continue;
		if (r->cookie == NULL && is(*envp, "HTTP_COOKIE", &v))
			r->cookie = copy(v, COOKIE_MAX);
		else if (r->referer == NULL && is(*envp, "HTTP_REFERER", &v))
			r->referer = copy(v, HDR_MAX);
		else if (r->host == NULL && is(*envp, "HTTP_HOST", &v))
			r->host = copy(v, 256);
		else if (r->fetch_site == NULL &&
		    is(*envp, "HTTP_SEC_FETCH_SITE", &v))
			r->fetch_site = copy(v, 32);
		else if (r->original_url == NULL &&
		    is(*envp, "HTTP_X_AUTHD_ORIGINAL_URL", &v))
			r->original_url = copy(v, HDR_MAX);
		else if (is(*envp, "HTTP_ACCEPT", &v))
			r->api_client |= strstr(v, "application/json") != NULL;
		else if (is(*envp, "HTTPS", &v))
			r->https |= strcasecmp(v, "on") == 0;
		else if (is(*envp, "HTTP_X_FORWARDED_PROTO", &v))
			r->https |= strcasecmp(v, "https") == 0;
	}
}
