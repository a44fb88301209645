/*
 * Unit tests of store/admin.c on a fresh database: listing with q, paging
 * and total; patches and the last-administrator rule; the soft delete's
 * anonymisation, revocation and freeing of the email, username and phone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pwhash.h"
#include "store.h"
#include "util.h"
#include "t.h"

/* The configuration handed to the store (store_open()), built here. */
static struct config	cfg;
static char	dir[] = "/tmp/authd-admin-XXXXXX";

/* A user of the given role; its id is copied to id (37 bytes). */
static void
mk(struct store *st, const char *email, const char *name, const char *phone,
    enum role role, char *id)
{
	struct user_new	 n;
	struct user	*u = NULL;
	int		 rc;

	memset(&n, 0, sizeof(n));
	n.email = email;
	n.username = name;
	n.phone = phone;
	n.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
	n.role = role;
	rc = store_user_create(st, &n, &u);
	T_OK(rc == 1, "create %s: %d", name, rc);
	snprintf(id, 37, "%s", u ? u->id : "");
	user_free(u);
}

static void
test_list(struct store *st)
{
	struct user	**v;
	size_t		  n;
	long		  total;
	char		  id[37];
	int		  i;
	char		  e[64], u[32];

	for (i = 0; i < 5; i++) {
		snprintf(e, sizeof(e), "list%d@example.com", i);
		snprintf(u, sizeof(u), "Lister_%d", i);
		mk(st, e, u, NULL, ROLE_REGULAR, id);
	}
	mk(st, "per%cent@example.com", "percent_user", NULL, ROLE_REGULAR, id);

	T_OK(store_users_list(st, "LISTER", 2, 0, &v, &n, &total) == 1, "list");
	T_OK(total == 5 && n == 2, "total %ld n %zu", total, n);
	if (n == 2) {
		T_STREQ(v[0]->username, "Lister_0");
		T_STREQ(v[1]->username, "Lister_1");
	}
	users_free(v, n);

	T_OK(store_users_list(st, "list", 10, 4, &v, &n, &total) == 1, "page");
	T_OK(total == 5 && n == 1, "total %ld n %zu", total, n);
	if (n == 1)
		T_STREQ(v[0]->username, "Lister_4");
	users_free(v, n);

	/* LIKE wildcards are plain characters to q. */
	T_OK(store_users_list(st, "%", 10, 0, &v, &n, &total) == 1, "%%");
	T_OK(total == 1 && n == 1, "%% matches the one with %% only: %ld",
	    total);
	users_free(v, n);
	T_OK(store_users_list(st, "_", 10, 0, &v, &n, &total) == 1, "_");
	T_OK(total == 6, "_ matches the names with _: %ld", total);
	users_free(v, n);

	T_OK(store_users_list(st, NULL, 100, 0, &v, &n, &total) == 1, "all");
	T_OK(total == 6 && n == 6, "all: %ld", total);
	users_free(v, n);
	T_OK(store_users_list(st, "", 100, 0, &v, &n, &total) == 1, "empty q");
	T_OK(total == 6, "empty q is no filter: %ld", total);
	users_free(v, n);
}

static void
test_patch(struct store *st)
{
	struct user_patch	 p;
	struct user		*u = NULL;
	char			 a[37], b[37];
	int			 rc;

	mk(st, "admin1@example.com", "admin_one", NULL, ROLE_ADMIN, a);
	mk(st, "reg1@example.com", "reg_one", NULL, ROLE_REGULAR, b);

	memset(&p, 0, sizeof(p));
	p.set_role = 1;
	p.role = ROLE_REGULAR;
	T_OK(store_user_patch(st, a, &p, &u) == STORE_ELASTADMIN,
	    "last admin demoted");
	T_OK(u == NULL, "nothing allocated");
	memset(&p, 0, sizeof(p));
	p.set_active = 1;
	p.active = 0;
	T_OK(store_user_patch(st, a, &p, &u) == STORE_ELASTADMIN,
	    "last admin deactivated");
	T_OK(store_user_delete(st, a) == STORE_ELASTADMIN, "last admin deleted");

	/* Keeping the role while changing something else is fine. */
	memset(&p, 0, sizeof(p));
	p.set_role = 1;
	p.role = ROLE_ADMIN;
	p.set_pro = 1;
	p.pro = 1;
	p.set_sub_expires = 1;
	p.sub_expires = 1900000000;
	T_OK(store_user_patch(st, a, &p, &u) == 1, "patch admin");
	T_OK(u != NULL && u->pro && u->sub_expires == 1900000000 &&
	    u->role == ROLE_ADMIN, "patched");
	user_free(u);
	u = NULL;

	memset(&p, 0, sizeof(p));
	p.set_sub_expires = 1;
	p.sub_expires = 0;
	T_OK(store_user_patch(st, a, &p, &u) == 1, "clear expiry");
	T_OK(u != NULL && u->sub_expires == 0 && u->pro, "expiry cleared only");
	user_free(u);
	u = NULL;

	/* A second admin makes the first removable. */
	memset(&p, 0, sizeof(p));
	p.set_role = 1;
	p.role = ROLE_ADMIN;
	T_OK(store_user_patch(st, b, &p, &u) == 1, "promote");
	T_OK(u != NULL && u->token_gen == 0, "a promotion keeps the tokens");
	user_free(u);
	u = NULL;
	p.role = ROLE_MODERATOR;
	T_OK(store_user_patch(st, a, &p, &u) == 1, "demote one of two");
	T_OK(u != NULL && u->role == ROLE_MODERATOR, "demoted");
	/* The role is a claim of access tokens: older ones must go. */
	T_OK(u != NULL && u->token_gen == 1, "a demotion bumps the "
	    "generation");
	user_free(u);
	u = NULL;
	T_OK(store_user_patch(st, b, &p, &u) == STORE_ELASTADMIN,
	    "now b is the last");

	/* Deactivation bumps the generation once more; reactivation does not. */
	memset(&p, 0, sizeof(p));
	p.set_active = 1;
	p.active = 0;
	T_OK(store_user_patch(st, a, &p, &u) == 1, "deactivate");
	T_OK(u != NULL && !u->is_active && u->token_gen == 2, "gen %lld",
	    u ? (long long)u->token_gen : -1LL);
	user_free(u);
	u = NULL;
	T_OK(store_user_patch(st, a, &p, &u) == 1, "deactivate again");
	T_OK(u != NULL && u->token_gen == 2, "no second bump");
	user_free(u);
	u = NULL;
	p.active = 1;
	T_OK(store_user_patch(st, a, &p, &u) == 1, "reactivate");
	T_OK(u != NULL && u->is_active && u->token_gen == 2, "active");
	user_free(u);
	u = NULL;

	rc = store_user_patch(st, "6f1c2d4e-0000-4000-8000-000000000000", &p,
	    &u);
	T_OK(rc == 0 && u == NULL, "unknown user: %d", rc);
}

static void
test_delete(struct store *st)
{
	struct user_patch	 p;
	struct user		*u = NULL;
	unsigned char		 h[32];
	char			 id[37], again[37], sid[37], want[80];
	int			 rc;

	mk(st, "gone@example.com", "Gone_User", "+48111222333", ROLE_REGULAR, id);
	rand_bytes(h, sizeof(h));
	T_OK(store_session_start(st, id, "ua", "127.0.0.1", h, 3600, sid) == 1,
	    "session");
	T_OK(store_user_delete(st, id) == 1, "delete");
	T_OK(store_user_by_id(st, id, &u) == 1, "still there");
	if (u != NULL) {
		snprintf(want, sizeof(want), "deleted_%s@anonymized.local", id);
		T_STREQ(u->email, want);
		T_OK(strncmp(u->username, "DeletedUser_", 12) == 0 &&
		    strlen(u->username) == 20 &&
		    strspn(u->username + 12, "0123456789abcdef") == 8,
		    "username %s", u->username);
		T_OK(u->phone == NULL, "phone cleared");
		T_STREQ(u->password_hash, PWHASH_UNUSABLE);
		T_OK(!u->is_active && u->deleted_at != 0 && u->token_gen == 1,
		    "inactive, deleted, generation moved");
	}
	user_free(u);
	u = NULL;
	T_OK(store_session_logout(st, h, 0) == 0, "session revoked");
	T_OK(store_user_delete(st, id) == 0, "second delete: not found");
	memset(&p, 0, sizeof(p));
	p.set_active = 1;
	p.active = 1;
	rc = store_user_patch(st, id, &p, &u);
	T_OK(rc == 0 && u == NULL, "a deleted user cannot be patched: %d", rc);

	/* The email, username (any case) and phone are free again. */
	mk(st, "gone@example.com", "gone_user", "+48111222333", ROLE_REGULAR,
	    again);
	T_OK(strcmp(id, again) != 0, "a new account");
}

int
main(void)
{
	struct store	*st = NULL;
	char		*p, *cmd;

	if (mkdtemp(dir) == NULL)
		return 1;
	cfg.busy_timeout_ms = 1000;
	p = xasprintf("%s/auth.db", dir);
	T_OK(store_migrate(p, &cfg) == 0 && store_open(p, &cfg, &st) == 0,
	    "open");
	if (st != NULL) {
		test_list(st);
		test_patch(st);
		test_delete(st);
		store_close(st);
	}
	free(p);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return t_done("admin");
}
