/*
 * Unit tests for the key ring's reload (lib/keyring.c): a worker that
 * looked at the key ring file earlier in the same second as a rotation
 * must still take a token signed with the new key (another worker, or
 * the next login, signs with it at once), and a token no key takes
 * does not make it read the file on every request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "jwt.h"
#include "keyring.h"
#include "util.h"
#include "t.h"

static char	 dir[] = "/tmp/authd-keyring-XXXXXX";

static struct config *
load(void)
{
	struct config	*c;
	char		 err[256];

	if ((c = config_load(1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "config_load: %s\n", err);
		exit(1);
	}
	return c;
}

static char *
token(const struct config *signer, int64_t now)
{
	struct jwt_claims	cl;

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.sub, sizeof(cl.sub), "6f1c0000-0000-4000-8000-000000000001");
	snprintf(cl.type, sizeof(cl.type), "access");
	snprintf(cl.jti, sizeof(cl.jti), "j-%lld", (long long)now);
	snprintf(cl.role, sizeof(cl.role), "REGULAR");
	snprintf(cl.username, sizeof(cl.username), "someone");
	cl.iat = now;
	cl.exp = now + 600;
	return keyring_sign(signer, &cl, now);
}

/* A rotation within the second of the worker's last look. */
static void
test_rotation_same_second(void)
{
	struct config		*worker, *ctl, *after;
	struct jwt_claims	 c;
	char			 newkid[JWT_KID_MAX + 1], oldkid[JWT_KID_MAX + 1];
	char			 err[256], *tok;
	int64_t			 now = now_s();

	worker = load();
	(void)keyring_current(worker, now);	/* it looks now */
	ctl = load();
	T_OK(keyring_rotate(ctl, now, 60, newkid, oldkid, err,
	    sizeof(err)) == 0, "rotate: %s", err);
	after = load();				/* signs with the new key */
	tok = token(after, now);
	T_OK(tok != NULL, "a token of the new key");
	if (tok != NULL) {
		T_OK(keyring_verify(worker, tok, strlen(tok), now, &c, NULL) ==
		    0, "the worker takes it within the same second");
		T_STREQ(keyring_current(worker, now)->k[0].jk.kid, newkid);
	}
	free(tok);
	config_free(worker);
	config_free(ctl);
	config_free(after);
}

/* A token of an unknown key: refused, and no look at the file for it. */
static void
test_unknown_key(void)
{
	struct config		*worker, *ctl, *after;
	struct jwt_claims	 c;
	char			 newkid[JWT_KID_MAX + 1], oldkid[JWT_KID_MAX + 1];
	char			 err[256], *tok, *bad;
	int64_t			 now = now_s();

	worker = load();
	(void)keyring_current(worker, now);
	bad = jwt_sign_kid(&(struct jwt_claims){ .type = "access",
	    .sub = "x", .exp = now + 600 }, "0123456789abcdef",
	    (const unsigned char *)"not-a-key-of-the-ring", 21);
	T_OK(keyring_verify(worker, bad, strlen(bad), now, &c, NULL) == -1,
	    "a token of an unknown key is refused");
	/* A rotation right after: the refused token just made the look. */
	ctl = load();
	T_OK(keyring_rotate(ctl, now, 60, newkid, oldkid, err,
	    sizeof(err)) == 0, "rotate: %s", err);
	after = load();
	tok = token(after, now);
	T_OK(keyring_verify(worker, bad, strlen(bad), now, &c, NULL) == -1,
	    "still refused");
	T_OK(strcmp(keyring_current(worker, now)->k[0].jk.kid, newkid) != 0,
	    "and the file was not read again for it within 100 ms");
	free(tok);
	free(bad);
	config_free(worker);
	config_free(ctl);
	config_free(after);
}

int
main(void)
{
	char	*cmd;

	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("AUTH_STATE_DIR", dir, 1);
	setenv("AUTH_ENV_FILE", "/dev/null", 1);
	unsetenv("SECRET_KEY");
	unsetenv("SECRET_KEY_FILE");
	test_rotation_same_second();
	test_unknown_key();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return t_done("keyring");
}
