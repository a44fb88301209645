/*
 * The FastCGI adapter (server/fcgi.c): a struct req from a FastCGI
 * environment, with the maximum lengths, the fallbacks and nginx's
 * request start time (AUTHD_REQUEST_START, $msec).
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "server.h"
#include "util.h"
#include "t.h"

static int64_t
start_of(const char *v)
{
	char		*env[3], *p;
	struct req	 r;
	int64_t		 ms;

	p = xasprintf("AUTHD_REQUEST_START=%s", v);
	env[0] = (char *)(uintptr_t)"REQUEST_METHOD=POST";
	env[1] = p;
	env[2] = NULL;
	ms = fcgi_req_env(env, &r, NULL);
	req_free(&r);
	free(p);
	return ms;
}

static void
test_start(void)
{
	T_OK(start_of("1764087000.123") == 1764087000123LL);
	T_OK(start_of("1764087000.1") == 1764087000100LL);
	T_OK(start_of("1764087000") == 1764087000000LL);
	T_OK(start_of("0.005") == 5);
	T_OK(start_of("") == 0);
	T_OK(start_of(".5") == 0);
	T_OK(start_of("1764087000.1234") == 0);
	T_OK(start_of("1764087000.12.3") == 0);
	T_OK(start_of("-1764087000.123") == 0);
	T_OK(start_of("17640870001234567890.123") == 0);
	T_OK(start_of("1764087000.12x") == 0);
	T_OK(start_of("1e9") == 0);
}

static void
test_env(void)
{
	char		*env[] = {
		(char *)(uintptr_t)"REQUEST_METHOD=GET",
		(char *)(uintptr_t)"NOEQUALS",
		(char *)(uintptr_t)"DOCUMENT_URI=/fallback",
		(char *)(uintptr_t)"PATH_INFO=/api/v1/auth/validate",
		(char *)(uintptr_t)"PATH_INFO=/second",
		(char *)(uintptr_t)"REMOTE_ADDR=10.0.0.1",
		(char *)(uintptr_t)"HTTP_X_REQUEST_ID=bad id!",
		(char *)(uintptr_t)"HTTP_AUTHORIZATION=Bearer x",
		(char *)(uintptr_t)"QUERY_STRING=",
		NULL
	};
	char		*env2[] = {
		(char *)(uintptr_t)"DOCUMENT_URI=/fallback",
		(char *)(uintptr_t)"HTTP_X_REAL_IP=192.0.2.7",
		(char *)(uintptr_t)"REMOTE_ADDR=10.0.0.1",
		(char *)(uintptr_t)"HTTP_X_REQUEST_ID=abc-123_X",
		NULL
	};
	char		*big, *env3[2];
	struct req	 r;

	T_OK(fcgi_req_env(env, &r, NULL) == 0);
	T_OK(r.method == M_GET);
	T_STREQ(r.path, "/api/v1/auth/validate");
	T_STREQ(r.query, "");
	T_STREQ(r.ctype, "");
	T_STREQ(r.authz, "Bearer x");
	T_STREQ(r.ip, "10.0.0.1");
	/* A request id that is not [A-Za-z0-9_-] is replaced by a UUID. */
	T_OK(r.reqid != NULL && strlen(r.reqid) == 36);
	T_OK(r.body == NULL && r.bodylen == 0);
	req_free(&r);

	fcgi_req_env(env2, &r, NULL);
	T_OK(r.method == M_OTHER);
	T_STREQ(r.path, "/fallback");
	T_STREQ(r.ip, "192.0.2.7");
	T_STREQ(r.reqid, "abc-123_X");
	T_OK(r.authz == NULL && r.ua == NULL && r.origin == NULL);
	req_free(&r);

	/* Values are cut at their maximum (2048 bytes for the path). */
	big = xmalloc(5000);
	memcpy(big, "PATH_INFO=/", 11);
	memset(big + 11, 'a', 4000);
	big[4011] = '\0';
	env3[0] = big;
	env3[1] = NULL;
	fcgi_req_env(env3, &r, NULL);
	T_OK(r.path != NULL && strlen(r.path) == 2048);
	T_STREQ(r.ip, "unknown");
	req_free(&r);
	free(big);
}

int
main(void)
{
	test_start();
	test_env();
	return t_done("fcgi");
}
