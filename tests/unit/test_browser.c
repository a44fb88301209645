/*
 * Unit tests for the pure parts of browser sign-in (SPEC §9): the rd
 * allow-list, the origin check, and the shared template code (escaping,
 * raw fragments, missing keys).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handlers.h"
#include "tmpl.h"
#include "util.h"
#include "t.h"

/* The configuration the requests carry, built here (config_free() at the end). */
static struct config	*conf;

static void
test_rd(void)
{
	struct req	r;
	static const char *const good[] = {
		"https://auth.example.com/",
		"https://auth.example.com:8443/x?y=1#z",
		"http://AUTH.EXAMPLE.COM/",
		"https://example.com/",
		"https://photos.example.com/a/b",
		"https://deep.sub.example.com",
		"https://wiki.other.org/page",
		"http://127.0.0.1:9000/app",
	};
	static const char *const bad[] = {
		"", "/relative", "//evil.example/", "/\\evil.example/",
		"javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x",
		"ftp://auth.example.com/", "https://evil.example/",
		"https://user@auth.example.com/", "https://evil.example\\@auth.example.com/",
		"https://auth.example.com.evil.example/", "https://evilexample.com/",
		"https://evil.example/?https://auth.example.com/",
		"https://evil.example#@auth.example.com/",
		"https://auth.example.com/\x01", "https://auth.example.com/ x",
		"https://auth.example.com\t/", "https://auth.example.com:80x/",
		"https://:443/", "https:///auth.example.com", "https://",
		"https://xexample.com/", "https://other.org/",
	};
	size_t	i;

	memset(&r, 0, sizeof(r));
	r.host = xstrdup("127.0.0.1:9000");
	r.cfg = conf;
	conf->public_url = xstrdup("https://auth.example.com");
	conf->cookie_domain = xstrdup("example.com");
	conf->redirect_hosts = xcalloc(2, sizeof(char *));
	conf->redirect_hosts[0] = xstrdup("wiki.other.org");
	conf->nredirect_hosts = 1;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		T_OK(rd_allowed(&r, good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_OK(!rd_allowed(&r, bad[i]), "allowed %s", bad[i]);
	T_OK(!rd_allowed(&r, NULL), "NULL");
	free(conf->cookie_domain);
	conf->cookie_domain = NULL;
	T_OK(!rd_allowed(&r, "https://photos.example.com/"),
	    "subdomain without COOKIE_DOMAIN");
	free(r.host);
}

static void
test_origin(void)
{
	struct req	r;

	memset(&r, 0, sizeof(r));
	r.host = xstrdup("127.0.0.1:9000");
	r.cfg = conf;
	T_OK(!origin_ok(&r), "no Origin, no Referer");
	r.origin = xstrdup("https://auth.example.com");
	T_OK(origin_ok(&r), "PUBLIC_URL's origin");
	free(r.origin);
	r.origin = xstrdup("http://127.0.0.1:9000");
	T_OK(origin_ok(&r), "the request's own scheme://Host");
	free(r.origin);
	r.origin = xstrdup("https://127.0.0.1:9000");
	T_OK(!origin_ok(&r), "https origin on a plain http request");
	free(r.origin);
	r.origin = xstrdup("https://auth.example.com.evil.example");
	T_OK(!origin_ok(&r), "a longer host");
	free(r.origin);
	r.origin = xstrdup("https://photos.example.com");
	T_OK(!origin_ok(&r), "a sibling subdomain");
	free(r.origin);
	r.origin = xstrdup("null");
	T_OK(origin_ok(&r), "Origin null alone (no-referrer over http)");
	r.fetch_site = xstrdup("cross-site");
	T_OK(!origin_ok(&r), "Origin null, Sec-Fetch-Site cross-site");
	free(r.fetch_site);
	r.fetch_site = xstrdup("same-origin");
	T_OK(origin_ok(&r), "Origin null, Sec-Fetch-Site same-origin");
	r.referer = xstrdup("https://evil.example/auth/login");
	T_OK(!origin_ok(&r), "Origin null, foreign Referer");
	free(r.referer);
	r.referer = xstrdup("https://auth.example.com/auth/login?x");
	T_OK(origin_ok(&r), "Origin null, own Referer");
	free(r.origin);
	r.origin = NULL;
	T_OK(origin_ok(&r), "own Referer only");
	free(r.referer);
	free(r.fetch_site);
	free(r.host);
}

static const char *
lookup(void *arg, const char *key)
{
	(void)arg;
	if (strcmp(key, "v") == 0)
		return "<a href=\"x\">&'";
	if (strcmp(key, "frag") == 0)
		return "<p>raw</p>";
	return NULL;
}

static void
test_tmpl(void)
{
	struct tbuf	b = { 0 };
	char		missing[16];

	T_OK(tmpl_subst(&b, "[{{v}}|{{&frag}}]", lookup, NULL, 1, NULL, 0) == 0,
	    "renders");
	T_STREQ(b.p, "[&lt;a href=&quot;x&quot;&gt;&amp;&#39;|<p>raw</p>]");
	tbuf_wipe(&b);
	T_OK(tmpl_subst(&b, "{{v}}", lookup, NULL, 0, NULL, 0) == 0, "text");
	T_STREQ(b.p, "<a href=\"x\">&'");
	tbuf_wipe(&b);
	T_OK(tmpl_subst(&b, "a {{nope}} b", lookup, NULL, 1, missing,
	    sizeof(missing)) == -1, "missing key");
	T_STREQ(missing, "nope");
	tbuf_wipe(&b);
	T_OK(tmpl_subst(&b, "no end {{v", lookup, NULL, 1, NULL, 0) == 0,
	    "unterminated placeholder kept as text");
	T_STREQ(b.p, "no end {{v");
	tbuf_wipe(&b);
}

int
main(void)
{
	conf = xcalloc(1, sizeof(*conf));
	test_rd();
	test_origin();
	test_tmpl();
	config_free(conf);
	return t_done("browser");
}
