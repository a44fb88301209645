/*
 * Unit tests of store/token.c on a fresh database: single-use reset and
 * verification tokens, voiding, expiry, inactive users, the per-account
 * count and the pruning of old rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "store.h"
#include "util.h"
#include "t.h"

/* The configuration handed to the store (store_open()), built here. */
static struct config	cfg;
static char	dir[] = "/tmp/authd-token-XXXXXX";
static char	*dbpath;

static struct user *
mkuser(struct store *st, const char *email, const char *name)
{
	struct user_new	 n;
	struct user	*u = NULL;

	memset(&n, 0, sizeof(n));
	n.email = email;
	n.username = name;
	n.password_hash = "$argon2id$old";
	n.role = ROLE_REGULAR;
	if (store_user_create(st, &n, &u) != 1)
		return NULL;
	return u;
}

/* Runs SQL on a second connection, the way an operator or a test would. */
static int
exec_sql(const char *q)
{
	sqlite3	*db;
	int	 rc;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 1000);
	rc = sqlite3_exec(db, q, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* A single integer from SQL on a second connection, -1 on error. */
static long long
query_int(const char *q)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	long long	 v = -1;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static void
newtok(unsigned char h[32])
{
	free_secret(token_new(h));
}

static void
test_reset(struct store *st)
{
	struct user	*u, *v = NULL;
	unsigned char	 h1[32], h2[32], h3[32], hs[32];
	char		 sid[37], *q;
	int64_t		 gen0;

	u = mkuser(st, "r@example.com", "rita");
	T_OK(u != NULL, "user");
	if (u == NULL)
		return;
	gen0 = u->token_gen;
	newtok(h1);
	newtok(h2);
	newtok(h3);
	newtok(hs);
	T_OK(store_session_start(st, u->id, "ua", "::1", hs, 3600, sid) == 1,
	    "a session to be revoked");
	T_OK(store_token_count_since(st, u->id, "reset", 0) == 0, "no tokens");
	T_OK(store_token_create(st, u->id, "reset", h1, 900) == 1, "create 1");
	T_OK(store_token_create(st, u->id, "reset", h2, 900) == 1, "create 2");
	T_OK(store_token_create(st, u->id, "verify", h3, 900) == 1,
	    "create a verify token");
	T_OK(store_token_count_since(st, u->id, "reset", now_s() - 3600) == 2,
	    "two reset tokens this hour");
	T_OK(store_token_count_since(st, u->id, "verify", now_s() - 3600) == 1,
	    "one verify token");
	T_OK(store_token_count_since(st, u->id, "reset", now_s() + 10) == 0,
	    "none in the future");

	T_OK(store_token_verify_email(st, h1) == 0,
	    "a reset token does not verify");
	T_OK(store_token_reset_password(st, h3, "$argon2id$x", NULL) == 0,
	    "a verify token does not reset");
	T_OK(store_token_reset_password(st, h2, "$argon2id$new", NULL) == 1,
	    "reset with the second token");
	T_OK(store_token_reset_password(st, h2, "$argon2id$again", NULL) == 0,
	    "the token is spent");
	T_OK(store_token_reset_password(st, h1, "$argon2id$again", NULL) == 0,
	    "the first token was voided");
	T_OK(store_user_by_id(st, u->id, &v) == 1 && v != NULL, "reload");
	if (v != NULL) {
		T_STREQ(v->password_hash, "$argon2id$new");
		T_OK(v->token_gen == gen0 + 1, "generation bumped: %lld",
		    (long long)v->token_gen);
		T_OK(v->email_verified == 1, "a reset proves the address");
	}
	user_free(v);
	q = xasprintf("SELECT count(*) FROM sessions WHERE user_id = '%s' "
	    "AND revoked_at IS NULL", u->id);
	T_OK(query_int(q) == 0, "every session revoked");
	free(q);
	T_OK(store_token_count_since(st, u->id, "reset", now_s() - 3600) == 2,
	    "spent tokens still count toward the hourly limit");
	T_OK(store_token_verify_email(st, h3) == 1,
	    "the verify token lives on after a reset");
	user_free(u);
}

static void
test_expiry_and_inactive(struct store *st)
{
	struct user	*u, *v = NULL;
	unsigned char	 h1[32], h2[32], h3[32];
	char		*q;

	u = mkuser(st, "e@example.com", "eve");
	T_OK(u != NULL, "user");
	if (u == NULL)
		return;
	newtok(h1);
	newtok(h2);
	newtok(h3);
	T_OK(store_token_create(st, u->id, "reset", h1, 1) == 1, "1 s token");
	T_OK(store_token_create(st, u->id, "verify", h2, 1) == 1, "1 s token");
	/* Two seconds later: both expired (no waiting for them). */
	q = xasprintf("UPDATE user_tokens SET expires_at = expires_at - 2 "
	    "WHERE user_id = '%s'", u->id);
	T_OK(exec_sql(q) == 0, "move the tokens' expiry back");
	free(q);
	T_OK(store_token_reset_password(st, h1, "$argon2id$x", NULL) == 0,
	    "expired reset token refused");
	T_OK(store_token_verify_email(st, h2) == 0,
	    "expired verify token refused");
	T_OK(store_user_by_id(st, u->id, &v) == 1 && v != NULL &&
	    strcmp(v->password_hash, "$argon2id$old") == 0 &&
	    !v->email_verified, "nothing changed");
	user_free(v);

	T_OK(store_token_create(st, u->id, "verify", h3, 3600) == 1, "create");
	q = xasprintf("UPDATE users SET is_active = 0 WHERE id = '%s'", u->id);
	T_OK(exec_sql(q) == 0, "deactivate");
	free(q);
	T_OK(store_token_verify_email(st, h3) == 0,
	    "an inactive account's token is refused");
	q = xasprintf("UPDATE users SET is_active = 1 WHERE id = '%s'", u->id);
	T_OK(exec_sql(q) == 0, "reactivate");
	free(q);
	T_OK(store_token_verify_email(st, h3) == 1, "verify");
	T_OK(store_token_verify_email(st, h3) == 0, "only once");
	T_OK(store_user_by_id(st, u->id, &v) == 1 && v != NULL &&
	    v->email_verified, "email verified");
	user_free(v);
	T_OK(store_token_reset_password(st, (const unsigned char *)
	    "0123456789abcdef0123456789abcdef", "$argon2id$x", NULL) == 0,
	    "unknown token");
	user_free(u);
}

static void
test_prune(struct store *st)
{
	struct user	*u;
	unsigned char	 h[32];
	char		*q;

	u = mkuser(st, "p@example.com", "pete");
	T_OK(u != NULL, "user");
	if (u == NULL)
		return;
	newtok(h);
	T_OK(store_token_create(st, u->id, "reset", h, 900) == 1, "create");
	newtok(h);
	T_OK(store_token_create(st, u->id, "reset", h, 900) == 1, "create");
	/* Two days old and expired, never used. */
	q = xasprintf("UPDATE user_tokens SET created_at = created_at - "
	    "172800, expires_at = expires_at - 172800 WHERE user_id = '%s'",
	    u->id);
	T_OK(exec_sql(q) == 0, "age the rows");
	free(q);
	newtok(h);
	T_OK(store_token_create(st, u->id, "reset", h, 900) == 1,
	    "a new token prunes the old rows");
	q = xasprintf("SELECT count(*) FROM user_tokens WHERE user_id = '%s'",
	    u->id);
	T_OK(query_int(q) == 1, "only the new row is left: %lld",
	    query_int(q));
	free(q);
	user_free(u);
}

int
main(void)
{
	struct store	*st = NULL;
	char		*p;

	if (mkdtemp(dir) == NULL)
		return 1;
	cfg.busy_timeout_ms = 1000;
	dbpath = xasprintf("%s/t.db", dir);
	T_OK(store_migrate(dbpath, &cfg) == 0 && store_open(dbpath, &cfg, &st) == 0,
	    "open");
	if (st != NULL) {
		test_reset(st);
		test_expiry_and_inactive(st);
		test_prune(st);
		store_close(st);
	}
	free(dbpath);
	p = xasprintf("rm -rf %s", dir);
	if (system(p) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(p);
	return t_done("token");
}
