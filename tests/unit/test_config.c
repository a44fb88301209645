/*
 * Unit tests for the configuration as a value (lib/config.h): a load
 * builds a new value and leaves any other alone, a reload swaps the
 * pointer (a holder of the old one sees the old values until it asks
 * again), a reload that fails validation keeps the running value and
 * names the variable, and a reload reads the .env file afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "util.h"
#include "t.h"

static char	 dir[] = "/tmp/authd-config-XXXXXX";
static char	*envfile;

/* Replaces the .env file with one line (or an empty file). */
static void
env_write(const char *line)
{
	FILE	*f;

	if ((f = fopen(envfile, "w")) == NULL) {
		perror(envfile);
		exit(1);
	}
	if (line != NULL)
		fprintf(f, "%s\n", line);
	fclose(f);
}

/* Two values side by side: a new load leaves the first one as it was. */
static void
test_values(void)
{
	struct config	*a, *b;
	char		 err[256];

	env_write("ACCESS_TOKEN_EXPIRE_MINUTES=5");
	a = config_load(0, err, sizeof(err));
	T_OK(a != NULL, "load: %s", err);
	env_write("APP_NAME=second");
	b = config_load(0, err, sizeof(err));
	T_OK(b != NULL && a != NULL && b != a, "a second, distinct value");
	if (a == NULL || b == NULL)
		goto done;
	T_OK(a->access_ttl == 300, "the first keeps its 5 minutes: %lld",
	    (long long)a->access_ttl);
	T_STREQ(a->app_name, "authd");
	T_OK(b->access_ttl == 1800, "the file read afresh: back to the "
	    "default 30 minutes: %lld", (long long)b->access_ttl);
	T_STREQ(b->app_name, "second");
done:
	config_free(a);
	config_free(b);
}

/*
 * A request in progress holds the configuration it started with (r->cfg)
 * while the running one is swapped; it sees the new one when it asks
 * again.  A failed reload changes nothing.
 */
static void
test_reload(void)
{
	struct config	*cur, *old = NULL;
	struct req	 r;
	char		 err[256];

	memset(&r, 0, sizeof(r));
	env_write("ACCESS_TOKEN_EXPIRE_MINUTES=5");
	if ((cur = config_load(0, err, sizeof(err))) == NULL) {
		T_OK(0, "load: %s", err);
		return;
	}
	r.cfg = cur;

	env_write("ACCESS_TOKEN_EXPIRE_MINUTES=7");
	T_OK(config_reload(&cur, &old, 0, err, sizeof(err)) == 0,
	    "reload: %s", err);
	T_OK(cur != r.cfg && old == r.cfg, "the pointer swapped, the old "
	    "value handed back");
	T_OK(cur->access_ttl == 420, "the new value: %lld",
	    (long long)cur->access_ttl);
	T_OK(r.cfg->access_ttl == 300, "the holder still sees the old "
	    "value: %lld", (long long)r.cfg->access_ttl);
	T_STREQ(r.cfg->app_name, "authd");
	r.cfg = cur;			/* it asks again */
	T_OK(r.cfg->access_ttl == 420, "and the new one when it asks again");
	config_free(old);		/* nothing uses it any more */

	env_write("ACCESS_TOKEN_EXPIRE_MINUTES=soon");
	err[0] = '\0';
	old = cur;
	T_OK(config_reload(&cur, &old, 0, err, sizeof(err)) == -1,
	    "a bad value is refused");
	T_OK(strstr(err, "ACCESS_TOKEN_EXPIRE_MINUTES") != NULL,
	    "the message names the variable: %s", err);
	T_OK(old == NULL, "no old value to free");
	T_OK(cur == r.cfg && cur->access_ttl == 420, "the running value "
	    "stays");

	/* A value invalid late in the load (after the paths and numbers). */
	env_write("EMAILS_FROM_EMAIL=not-an-address");
	T_OK(config_reload(&cur, &old, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "EMAILS_FROM_EMAIL") != NULL, "validated whole: %s",
	    err);
	T_OK(cur == r.cfg && cur->access_ttl == 420, "still the running "
	    "value");
	config_free(cur);
}

int
main(void)
{
	char	*state, *cmd;

	if (mkdtemp(dir) == NULL)
		return 1;
	envfile = xasprintf("%s/env", dir);
	state = xasprintf("%s/state", dir);
	setenv("AUTH_ENV_FILE", envfile, 1);
	setenv("AUTH_STATE_DIR", state, 1);
	unsetenv("ACCESS_TOKEN_EXPIRE_MINUTES");
	unsetenv("APP_NAME");
	unsetenv("EMAILS_FROM_EMAIL");
	test_values();
	test_reload();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	free(envfile);
	free(state);
	return t_done("config");
}
