/*
 * authctl user: accounts (SPEC §10).  Every change goes through the same
 * store functions as the HTTP API, so the same rules hold: the §3
 * validation, the last-active-ADMIN guard, sessions ended and the token
 * generation moved on by a password change, a deactivation or a
 * deletion.  USER is an id, an email or a username.
 *
 * Each change the operator makes is one audit line on stderr
 * (lib/audit.h, actor "authctl"): the event and the affected account's
 * id, never a secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit.h"
#include "config.h"
#include "ctl.h"
#include "handlers.h"
#include "log.h"
#include "pwhash.h"
#include "store.h"
#include "util.h"
#include "validate.h"

/* The throttle bucket of failed logins per account (handlers/throttle.c). */
#define B_LOGIN_USER	"login_user"
/* Longest password line read from stdin, in bytes (as the API's cap). */
#define PASSWORD_MAX	4096
/* Characters of a generated password: about 119 bits from [A-Za-z0-9]. */
#define GEN_LEN		20
/*
 * Users read by user list's first call; the rest comes in one more call
 * sized by the first one's total (each call sorts every match: paging
 * through thousands of users by OFFSET would sort them again per page).
 */
#define PAGE		200

static const char usage_user[] =
"usage: authctl user SUBCOMMAND [ARGS...]   (USER: id, email or username)\n"
"\n"
"  add --email E --username U [--role ROLE] [--verified] [--password-stdin]\n"
"  list [--q TEXT] [--role ROLE]\n"
"  show USER\n"
"  set-password USER [--password-stdin]\n"
"  role USER ROLE                   ADMIN, MODERATOR or REGULAR\n"
"  activate USER | deactivate USER\n"
"  verify USER                      mark the email verified\n"
"  unlock USER                      end a login lockout\n"
"  delete USER                      the soft delete with anonymisation\n"
"  sessions USER\n"
"  revoke USER [SESSION_ID]         one session, or every session\n"
"\n"
"authctl user SUBCOMMAND --help for one of them.  --json anywhere: JSON.\n";

static const char usage_add[] =
"usage: authctl user add --email E --username U [--role ROLE] [--verified]\n"
"                        [--password-stdin]\n"
"\n"
"Creates an account.  The email, username and password follow the rules\n"
"of the registration (reserved usernames are allowed to the operator).\n"
"Without --password-stdin a strong password is generated and printed\n"
"once; with it, the first line of stdin is the password.  --role defaults\n"
"to REGULAR; --verified marks the email verified.\n";

static const char usage_list[] =
"usage: authctl user list [--q TEXT] [--role ROLE]\n"
"\n"
"Lists every account (deactivated and deleted ones too) in creation\n"
"order; --q keeps those whose email or username contains TEXT, --role\n"
"those of that role.\n";

static const char usage_show[] =
"usage: authctl user show USER\n"
"\n"
"One account: its fields, whether it is locked out, its live sessions.\n";

static const char usage_setpw[] =
"usage: authctl user set-password USER [--password-stdin]\n"
"\n"
"Sets a new password (generated and printed once, or the first line of\n"
"stdin), ends every session of the user, refuses the access tokens\n"
"issued before, and lifts a login lockout.\n";

static const char usage_role[] =
"usage: authctl user role USER ROLE\n"
"\n"
"Sets the role: ADMIN, MODERATOR or REGULAR (any case).  The last active\n"
"ADMIN cannot be demoted.\n";

static const char usage_activate[] =
"usage: authctl user activate USER\n"
"       authctl user deactivate USER\n"
"\n"
"Deactivation ends every session and refuses the user's tokens; the last\n"
"active ADMIN cannot be deactivated.\n";

static const char usage_verify[] =
"usage: authctl user verify USER\n"
"\n"
"Marks the user's email verified.\n";

static const char usage_unlock[] =
"usage: authctl user unlock USER\n"
"\n"
"Ends a lockout after repeated failed logins and forgets the failures.\n";

static const char usage_delete[] =
"usage: authctl user delete USER\n"
"\n"
"The soft delete of the API: email, username and phone anonymised (the\n"
"originals become free), password unusable, every session ended.  It\n"
"cannot be undone.  The last active ADMIN cannot be deleted.\n";

static const char usage_sessions[] =
"usage: authctl user sessions USER\n"
"\n"
"The user's live sessions: id, start, last use, expiry, address, client.\n";

static const char usage_revoke[] =
"usage: authctl user revoke USER [SESSION_ID]\n"
"\n"
"Ends one session (its refresh token and the access tokens issued for it\n"
"are refused from now on), or without SESSION_ID every session of the\n"
"user, which also refuses every access token issued before.\n";

/* One option of a subcommand; val is NULL for a flag. */
struct opt {
	const char	*name;
	int		 takes_value;
	int		 set;
	const char	*val;
};

/*
 * Reads argv[1..] into opts and up to maxpos positional arguments into
 * pos (at least minpos).  Returns 0, or -1 after a message (bad usage).
 */
static int
parse(int argc, char **argv, struct opt *opts, size_t nopts,
    const char **pos, int minpos, int maxpos)
{
	int	i, np = 0, rest = 0;
	size_t	k;

	for (i = 1; i < argc; i++) {
		if (!rest && strcmp(argv[i], "--") == 0) {
			rest = 1;
			continue;
		}
		if (!rest && argv[i][0] == '-' && argv[i][1] != '\0') {
			for (k = 0; k < nopts; k++)
				if (strcmp(argv[i], opts[k].name) == 0)
					break;
			if (k == nopts) {
				fprintf(stderr, "authctl: user %s: unknown "
				    "option '%s'\n", argv[0], argv[i]);
				return -1;
			}
			if (opts[k].takes_value) {
				if (i + 1 == argc) {
					fprintf(stderr, "authctl: user %s: %s "
					    "needs a value\n", argv[0],
					    argv[i]);
					return -1;
				}
				opts[k].val = argv[++i];
			}
			opts[k].set = 1;
			continue;
		}
		if (np == maxpos) {
			fprintf(stderr, "authctl: user %s: unexpected "
			    "argument '%s'\n", argv[0], argv[i]);
			return -1;
		}
		pos[np++] = argv[i];
	}
	if (np < minpos) {
		fprintf(stderr, "authctl: user %s: missing argument\n",
		    argv[0]);
		return -1;
	}
	for (; np < maxpos; np++)
		pos[np] = NULL;
	return 0;
}

/* "active", "inactive" or "deleted". */
static const char *
state_name(const struct user *u)
{
	if (u->deleted_at != 0)
		return "deleted";
	return u->is_active ? "active" : "inactive";
}

/* A role name given on the command line (any case): the role, or -1. */
static int
role_arg(const char *sub, const char *s)
{
	int	r = role_parse(s, 1);

	if (r < 0)
		fprintf(stderr, "authctl: user %s: unknown role '%s' (ADMIN, "
		    "MODERATOR or REGULAR)\n", sub, s);
	return r;
}

/*
 * A strong password: GEN_LEN characters of [A-Za-z0-9] drawn without
 * bias, redrawn in the rare case it misses a letter or a digit (the §3
 * rules).  Allocated; free_secret().
 */
static char *
generate_password(void)
{
	static const char	 abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 b;
	char			*pw = xmalloc(GEN_LEN + 1);
	size_t			 n;

	do {
		for (n = 0; n < GEN_LEN; ) {
			rand_bytes(&b, 1);
			if (b < 248)		/* 4 x 62: no modulo bias */
				pw[n++] = abc[b % 62];
		}
		pw[n] = '\0';
	} while (validate_password(pw, n) != NULL);
	return pw;
}

/*
 * The first line of stdin (without its line end) as the password; on a
 * terminal, asked for without echo.  Returns the allocated password or
 * NULL after a message.
 */
static char *
read_password(void)
{
	struct termios	 old, quiet;
	char		 buf[PASSWORD_MAX + 3], *nl;
	int		 tty = isatty(STDIN_FILENO), echo_off = 0;
	size_t		 n;

	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		fputs("Password: ", stderr);
	}
	nl = fgets(buf, sizeof(buf), stdin);
	if (echo_off) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (nl == NULL) {
		fprintf(stderr, "authctl: no password on stdin\n");
		return NULL;
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(stdin)) {
		fprintf(stderr, "authctl: the password on stdin is longer than "
		    "%d bytes\n", PASSWORD_MAX);
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	nl = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return nl;
}

/*
 * The new password of add and set-password: from stdin, or generated
 * (*generated set).  Checked against §3.  Returns it allocated, or NULL
 * after a message.
 */
static char *
new_password(int from_stdin, int *generated)
{
	const char	*m;
	char		*pw;

	*generated = !from_stdin;
	if (!from_stdin)
		return generate_password();
	if ((pw = read_password()) == NULL)
		return NULL;
	if ((m = validate_password(pw, strlen(pw))) != NULL) {
		fprintf(stderr, "authctl: password: %s\n", m);
		free_secret(pw);
		return NULL;
	}
	return pw;
}

/* Prints the account as JSON (user_admin shape) or as a short line. */
static int
print_user(const struct ctl *c, const struct user *u, const char *what)
{
	if (c->json)
		return ctl_json_print(user_admin(u));
	printf("%s: %s (%s) %s %s%s\n", what, u->username, u->id,
	    role_name(u->role), state_name(u),
	    u->email_verified ? " verified" : "");
	return CTL_OK;
}

/* --- add --- */

/*
 * Whether the email and the username are free, before the password is
 * hashed (the insert checks again).  CTL_OK, or CTL_ERR with the reason
 * on stderr.
 */
static int
add_precheck(struct ctl *c, const char *email, const char *username)
{
	int	r;

	if ((r = store_email_taken(c->db, email)) != 0) {
		if (r > 0)
			fprintf(stderr, "authctl: Email already registered\n");
		return r > 0 ? CTL_ERR : ctl_store_error(r, "reading the users");
	}
	if ((r = store_username_available(c->db, username)) <= 0) {
		if (r == 0)
			fprintf(stderr, "authctl: Username already taken\n");
		return r == 0 ? CTL_ERR : ctl_store_error(r,
		    "reading the users");
	}
	return CTL_OK;
}

static int
user_add(struct ctl *c, int argc, char **argv)
{
	struct opt	 o[] = {
		{ "--email", 1, 0, NULL }, { "--username", 1, 0, NULL },
		{ "--role", 1, 0, NULL }, { "--verified", 0, 0, NULL },
		{ "--password-stdin", 0, 0, NULL },
	};
	struct user_new	 n;
	struct user	*u = NULL;
	struct json_object *j;
	const char	*m;
	char		*email = NULL, *pw = NULL, *hash = NULL;
	int		 role = ROLE_REGULAR, gen = 0, rc = CTL_ERR, r;

	if (parse(argc, argv, o, 5, NULL, 0, 0) == -1 || !o[0].set ||
	    !o[1].set) {
		if (!o[0].set || !o[1].set)
			fprintf(stderr, "authctl: user add: --email and "
			    "--username are required\n");
		return ctl_usage(usage_add, 0);
	}
	if (o[2].set && (role = role_arg("add", o[2].val)) < 0)
		return ctl_usage(usage_add, 0);
	if ((m = validate_email(o[0].val, strlen(o[0].val), &email)) != NULL) {
		fprintf(stderr, "authctl: email: %s\n", m);
		goto done;
	}
	/* Like ADMIN_USERNAME: the operator may give a reserved name. */
	if ((m = validate_username(o[1].val, strlen(o[1].val))) != NULL &&
	    strcmp(m, "This username is reserved and cannot be used.") != 0) {
		fprintf(stderr, "authctl: username: %s\n", m);
		goto done;
	}
	if ((pw = new_password(o[4].set, &gen)) == NULL)
		goto done;
	if (ctl_store(c) == NULL)
		goto done;
	/* The costly hash only for an add that can succeed. */
	if ((r = add_precheck(c, email, o[1].val)) != CTL_OK)
		goto done;
	if ((hash = pwhash_hash(&c->cfg->pw, pw, strlen(pw))) == NULL) {
		fprintf(stderr, "authctl: cannot hash the password\n");
		goto done;
	}
	memset(&n, 0, sizeof(n));
	n.email = email;
	n.username = o[1].val;
	n.password_hash = hash;
	n.role = (enum role)role;
	n.email_verified = o[3].set;
	if ((r = store_user_create(c->db, &n, &u)) == STORE_EEMAIL ||
	    r == STORE_EUSERNAME) {
		fprintf(stderr, "authctl: %s\n", r == STORE_EEMAIL ?
		    "Email already registered" : "Username already taken");
		goto done;
	}
	if (r < 0) {
		rc = ctl_store_error(r, "creating the user");
		goto done;
	}
	audit_event(AUDIT_ACCOUNT_CREATE, "authctl", u->id, "role=%s",
	    role_name(u->role));
	if (c->json) {
		j = user_admin(u);
		if (gen)
			json_object_object_add(j, "password",
			    json_object_new_string(pw));
		rc = ctl_json_print(j);
	} else {
		rc = print_user(c, u, "created");
		if (gen)
			printf("password (shown once): %s\n", pw);
		if (fflush(stdout) == EOF || ferror(stdout))
			rc = CTL_ERR;
	}
	if (rc != CTL_OK && gen)
		fprintf(stderr, "authctl: the user %s was created but its "
		    "generated password could not be written out: set one "
		    "with authctl user set-password %s\n", u->id, u->id);
done:
	user_free(u);
	free(email);
	free_secret(pw);
	free_secret(hash);
	return rc;
}

/* --- list --- */

static int
user_list(struct ctl *c, int argc, char **argv)
{
	struct opt	  o[] = { { "--q", 1, 0, NULL }, { "--role", 1, 0, NULL } };
	struct user	**v = NULL;
	struct ctl_table *t = NULL;
	struct json_object *items = NULL, *j;
	char		  t1[21];
	size_t		  n, i, shown = 0;
	long		  total, off = 0, lim = PAGE;
	int		  role = -1, r, rc = CTL_ERR;

	if (parse(argc, argv, o, 2, NULL, 0, 0) == -1)
		return ctl_usage(usage_list, 0);
	if (o[1].set && (role = role_arg("list", o[1].val)) < 0)
		return ctl_usage(usage_list, 0);
	if (ctl_store(c) == NULL)
		return CTL_ERR;
	if (c->json)
		items = json_object_new_array();
	else
		t = ctl_table_new(7, "ID", "EMAIL", "USERNAME", "ROLE",
		    "STATE", "VERIFIED", "CREATED");
	for (;;) {
		if ((r = store_users_list(c->db, o[0].val, lim, off, &v, &n,
		    &total)) < 0) {
			rc = ctl_store_error(r, "listing the users");
			goto done;
		}
		for (i = 0; i < n; i++) {
			if (role >= 0 && v[i]->role != (enum role)role)
				continue;
			shown++;
			if (items != NULL)
				json_object_array_add(items, user_admin(v[i]));
			else
				ctl_table_row(t, v[i]->id, v[i]->email,
				    v[i]->username, role_name(v[i]->role),
				    state_name(v[i]),
				    v[i]->email_verified ? "yes" : "no",
				    ctl_time(v[i]->created_at, t1));
		}
		users_free(v, n);
		v = NULL;
		off += (long)n;
		if (n < (size_t)lim)
			break;
		/* Whatever is left in one go, and room for newcomers. */
		lim = (total > off ? total - off : 0) + PAGE;
	}
	if (items != NULL) {
		j = json_object_new_object();
		json_object_object_add(j, "items", items);
		json_object_object_add(j, "total",
		    json_object_new_int64((int64_t)shown));
		items = NULL;
		rc = ctl_json_print(j);
	} else {
		rc = ctl_table_print(t);
		t = NULL;
	}
done:
	json_object_put(items);
	ctl_table_free(t);
	return rc;
}

/* --- show --- */

static int
user_show(struct ctl *c, int argc, char **argv)
{
	struct user	*u = NULL;
	struct json_object *sess = NULL, *j;
	struct ctl_table *t;
	const char	*pos[1];
	char		 t1[21], nsess[24];
	int64_t		 until = 0;
	int		 r, locked, rc = CTL_ERR;

	if (parse(argc, argv, NULL, 0, pos, 1, 1) == -1)
		return ctl_usage(usage_show, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if ((locked = store_lockout_get(c->db, u->id, &until)) < 0 ||
	    (r = store_sessions_list(c->db, u->id, &sess)) < 0) {
		rc = ctl_store_error(locked < 0 ? locked : r,
		    "reading the user");
		goto done;
	}
	if (c->json) {
		j = user_admin(u);
		json_object_object_add(j, "locked_until", locked ?
		    json_object_new_string(ctl_time(until, t1)) : NULL);
		json_object_object_add(j, "sessions", sess);
		sess = NULL;
		rc = ctl_json_print(j);
		goto done;
	}
	snprintf(nsess, sizeof(nsess), "%zu",
	    json_object_array_length(sess));
	t = ctl_table_new(2, "FIELD", "VALUE");
	ctl_table_row(t, "id", u->id);
	ctl_table_row(t, "email", u->email);
	ctl_table_row(t, "username", u->username);
	ctl_table_row(t, "phone", u->phone);
	ctl_table_row(t, "role", role_name(u->role));
	ctl_table_row(t, "subscription", u->pro ? "PRO" : "FREE");
	ctl_table_row(t, "state", state_name(u));
	ctl_table_row(t, "email_verified", u->email_verified ? "yes" : "no");
	ctl_table_row(t, "locked_until", locked ? ctl_time(until, t1) : "-");
	ctl_table_row(t, "sessions", nsess);
	ctl_table_row(t, "created_at", ctl_time(u->created_at, t1));
	ctl_table_row(t, "updated_at", ctl_time(u->updated_at, t1));
	ctl_table_row(t, "deleted_at", ctl_time(u->deleted_at, t1));
	rc = ctl_table_print(t);
done:
	json_object_put(sess);
	user_free(u);
	return rc;
}

/* --- set-password --- */

/*
 * Forgets the account's failed logins and ends its lockout.  Two
 * idempotent statements: after a failure a second run finishes the job.
 * Returns 1 when a lockout ended, 0 when there was none, <0.
 */
static int
unlock(struct store *db, const char *id)
{
	int	rc;

	if ((rc = store_throttle_clear(db, B_LOGIN_USER, id)) < 0)
		return rc;
	return store_lockout_clear(db, id);
}

static int
user_set_password(struct ctl *c, int argc, char **argv)
{
	struct opt	 o[] = { { "--password-stdin", 0, 0, NULL } };
	struct user	*u = NULL;
	struct json_object *j;
	const char	*pos[1];
	char		*pw = NULL, *hash = NULL;
	int64_t		 gen;
	int		 generated, r, rc = CTL_ERR;

	if (parse(argc, argv, o, 1, pos, 1, 1) == -1)
		return ctl_usage(usage_setpw, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if (!u->is_active || u->deleted_at != 0) {
		fprintf(stderr, "authctl: user %s is %s: activate it first\n",
		    u->id, state_name(u));
		goto done;
	}
	if ((pw = new_password(o[0].set, &generated)) == NULL)
		goto done;
	if ((hash = pwhash_hash(&c->cfg->pw, pw, strlen(pw))) == NULL) {
		fprintf(stderr, "authctl: cannot hash the password\n");
		goto done;
	}
	/*
	 * A generated password is written out before it is set: should the
	 * output fail (a full disk), nothing changes.
	 */
	if (generated) {
		if (c->json) {
			j = json_object_new_object();
			json_object_object_add(j, "id",
			    json_object_new_string(u->id));
			json_object_object_add(j, "password",
			    json_object_new_string(pw));
			if (ctl_json_print(j) != CTL_OK)
				goto done;
		} else {
			printf("password (shown once): %s\n", pw);
			if (fflush(stdout) == EOF || ferror(stdout)) {
				perror("authctl: cannot write the password");
				goto done;
			}
		}
	}
	if ((r = store_user_set_password(c->db, u->id, hash, &gen)) < 0) {
		rc = ctl_store_error(r, "setting the password (it was NOT "
		    "changed)");
		goto done;
	}
	if (r == 0) {
		fprintf(stderr, "authctl: user %s is no longer active; the "
		    "password was not changed\n", u->id);
		goto done;
	}
	/*
	 * Here goes the store's "password changed by any route" function
	 * (voiding the user's reset tokens) once it exists.
	 */
	audit_event(AUDIT_PASSWORD_CHANGE, "authctl", u->id, "by=authctl");
	/* As after a reset: the new password works at once. */
	if ((r = unlock(c->db, u->id)) < 0) {
		rc = ctl_store_error(r, "password set, but lifting the "
		    "lockout (run authctl user unlock)");
		goto done;
	}
	if (c->json && !generated) {
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(u->id));
		rc = ctl_json_print(j);
	} else {
		/* A generated password's JSON is out already. */
		if (!c->json)
			printf("password of %s (%s) set; every session "
			    "ended\n", u->username, u->id);
		rc = CTL_OK;
	}
done:
	user_free(u);
	free_secret(pw);
	free_secret(hash);
	return rc;
}

/* --- role, activate, deactivate --- */

/* Applies a patch and reports it; used by role, activate and deactivate. */
static int
patch(struct ctl *c, const char *ref, const struct user_patch *p,
    const char *what)
{
	struct user	*u = NULL, *nu = NULL;
	int		 r, rc = CTL_ERR;

	if (ctl_user_find(c, ref, &u) != CTL_OK)
		return CTL_ERR;
	if ((r = store_user_patch(c->db, u->id, p, &nu)) == STORE_ELASTADMIN) {
		fprintf(stderr, "authctl: Cannot remove the last administrator "
		    "(%s is the only active ADMIN)\n", u->id);
		goto done;
	}
	if (r < 0) {
		rc = ctl_store_error(r, what);
		goto done;
	}
	if (r == 0) {
		fprintf(stderr, "authctl: user %s is deleted\n", u->id);
		goto done;
	}
	if (p->set_role)
		audit_event(AUDIT_ROLE_CHANGE, "authctl", nu->id,
		    "role=%s from=%s", role_name(nu->role), role_name(u->role));
	else
		audit_event(AUDIT_ACTIVITY_CHANGE, "authctl", nu->id,
		    "active=%s", p->active ? "true" : "false");
	rc = print_user(c, nu, p->set_role ? "role set" : p->active ?
	    "activated" : "deactivated");
done:
	user_free(u);
	user_free(nu);
	return rc;
}

static int
user_role(struct ctl *c, int argc, char **argv)
{
	struct user_patch	 p;
	const char		*pos[2];
	int			 role;

	if (parse(argc, argv, NULL, 0, pos, 2, 2) == -1)
		return ctl_usage(usage_role, 0);
	if ((role = role_arg("role", pos[1])) < 0)
		return ctl_usage(usage_role, 0);
	memset(&p, 0, sizeof(p));
	p.set_role = 1;
	p.role = (enum role)role;
	return patch(c, pos[0], &p, "setting the role");
}

static int
user_activity(struct ctl *c, int argc, char **argv)
{
	struct user_patch	 p;
	const char		*pos[1];
	int			 on = strcmp(argv[0], "activate") == 0;

	if (parse(argc, argv, NULL, 0, pos, 1, 1) == -1)
		return ctl_usage(usage_activate, 0);
	memset(&p, 0, sizeof(p));
	p.set_active = 1;
	p.active = on;
	return patch(c, pos[0], &p, on ? "activating the user" :
	    "deactivating the user");
}

/* --- verify, unlock, delete --- */

static int
user_verify(struct ctl *c, int argc, char **argv)
{
	struct user	*u = NULL, *nu = NULL;
	const char	*pos[1];
	int		 r, rc = CTL_ERR;

	if (parse(argc, argv, NULL, 0, pos, 1, 1) == -1)
		return ctl_usage(usage_verify, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if ((r = store_user_verify(c->db, u->id)) < 0) {
		rc = ctl_store_error(r, "verifying the email");
		goto done;
	}
	if (r == 0) {
		fprintf(stderr, "authctl: user %s is deleted\n", u->id);
		goto done;
	}
	audit_event(AUDIT_EMAIL_VERIFY, "authctl", u->id, "by=authctl");
	if ((r = store_user_by_id(c->db, u->id, &nu)) <= 0) {
		rc = ctl_store_error(r < 0 ? r : STORE_EDB, "reading the user");
		goto done;
	}
	rc = print_user(c, nu, "verified");
done:
	user_free(u);
	user_free(nu);
	return rc;
}

static int
user_unlock(struct ctl *c, int argc, char **argv)
{
	struct user	*u = NULL;
	struct json_object *j;
	const char	*pos[1];
	int		 r, rc = CTL_ERR;

	if (parse(argc, argv, NULL, 0, pos, 1, 1) == -1)
		return ctl_usage(usage_unlock, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if ((r = unlock(c->db, u->id)) < 0) {
		rc = ctl_store_error(r, "lifting the lockout");
		goto done;
	}
	audit_event(AUDIT_UNLOCK, "authctl", u->id, "by=authctl");
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(u->id));
		json_object_object_add(j, "was_locked",
		    json_object_new_boolean(r > 0));
		rc = ctl_json_print(j);
	} else {
		printf("%s (%s): %s\n", u->username, u->id, r > 0 ?
		    "lockout ended" : "was not locked out; failures cleared");
		rc = CTL_OK;
	}
done:
	user_free(u);
	return rc;
}

static int
user_delete(struct ctl *c, int argc, char **argv)
{
	struct user	*u = NULL;
	struct json_object *j;
	const char	*pos[1];
	int		 r, rc = CTL_ERR;

	if (parse(argc, argv, NULL, 0, pos, 1, 1) == -1)
		return ctl_usage(usage_delete, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if ((r = store_user_delete(c->db, u->id)) == STORE_ELASTADMIN) {
		fprintf(stderr, "authctl: Cannot remove the last administrator "
		    "(%s is the only active ADMIN)\n", u->id);
		goto done;
	}
	if (r < 0) {
		rc = ctl_store_error(r, "deleting the user");
		goto done;
	}
	if (r == 0) {
		fprintf(stderr, "authctl: user %s is already deleted\n", u->id);
		goto done;
	}
	audit_event(AUDIT_ACCOUNT_DELETE, "authctl", u->id, "by=authctl");
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(u->id));
		json_object_object_add(j, "deleted", json_object_new_boolean(1));
		rc = ctl_json_print(j);
	} else {
		printf("deleted %s (%s)\n", u->username, u->id);
		rc = CTL_OK;
	}
done:
	user_free(u);
	return rc;
}

/* --- sessions, revoke --- */

/* A string member of a session object, or NULL. */
static const char *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static int
user_sessions(struct ctl *c, int argc, char **argv)
{
	struct user	*u = NULL;
	struct json_object *sess = NULL, *s;
	struct ctl_table *t;
	const char	*pos[1];
	size_t		 i;
	int		 r, rc = CTL_ERR;

	if (parse(argc, argv, NULL, 0, pos, 1, 1) == -1)
		return ctl_usage(usage_sessions, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if ((r = store_sessions_list(c->db, u->id, &sess)) < 0) {
		rc = ctl_store_error(r, "listing the sessions");
		goto done;
	}
	if (c->json) {
		rc = ctl_json_print(sess);
		sess = NULL;
		goto done;
	}
	t = ctl_table_new(6, "ID", "CREATED", "LAST_USED", "EXPIRES", "IP",
	    "USER_AGENT");
	for (i = 0; i < json_object_array_length(sess); i++) {
		s = json_object_array_get_idx(sess, i);
		ctl_table_row(t, member(s, "id"), member(s, "created_at"),
		    member(s, "last_used_at"), member(s, "expires_at"),
		    member(s, "ip"), member(s, "user_agent"));
	}
	rc = ctl_table_print(t);
done:
	json_object_put(sess);
	user_free(u);
	return rc;
}

static int
user_revoke(struct ctl *c, int argc, char **argv)
{
	struct user	*u = NULL;
	struct json_object *j;
	const char	*pos[2];
	char		 shown[64];
	int		 r, rc = CTL_ERR;

	if (parse(argc, argv, NULL, 0, pos, 1, 2) == -1)
		return ctl_usage(usage_revoke, 0);
	if (ctl_user_find(c, pos[0], &u) != CTL_OK)
		return CTL_ERR;
	if (pos[1] != NULL && !ctl_uuid_shaped(pos[1])) {
		log_escape(pos[1], shown, sizeof(shown));
		fprintf(stderr, "authctl: '%s' is not a session id (see "
		    "authctl user sessions %s)\n", shown, u->id);
		goto done;
	}
	if (pos[1] != NULL)
		r = store_session_revoke(c->db, u->id, pos[1]);
	else
		r = store_user_revoke_all(c->db, u->id);
	if (r < 0) {
		rc = ctl_store_error(r, "ending the sessions");
		goto done;
	}
	if (r == 0) {
		fprintf(stderr, "authctl: user %s has no live session %s\n",
		    u->id, pos[1] != NULL ? pos[1] : "");
		goto done;
	}
	if (pos[1] != NULL)
		audit_event(AUDIT_SESSION_END, "authctl", u->id,
		    "reason=revoked session=%s", pos[1]);
	else
		audit_event(AUDIT_SESSION_END, "authctl", u->id,
		    "reason=revoked_all");
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(u->id));
		json_object_object_add(j, "session", pos[1] != NULL ?
		    json_object_new_string(pos[1]) : NULL);
		rc = ctl_json_print(j);
	} else {
		if (pos[1] != NULL)
			printf("session %s of %s ended\n", pos[1], u->id);
		else
			printf("every session of %s (%s) ended\n", u->username,
			    u->id);
		rc = CTL_OK;
	}
done:
	user_free(u);
	return rc;
}

static const struct sub {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;
} subs[] = {
	{ "add",		user_add,		usage_add },
	{ "list",		user_list,		usage_list },
	{ "show",		user_show,		usage_show },
	{ "set-password",	user_set_password,	usage_setpw },
	{ "role",		user_role,		usage_role },
	{ "activate",		user_activity,		usage_activate },
	{ "deactivate",		user_activity,		usage_activate },
	{ "verify",		user_verify,		usage_verify },
	{ "unlock",		user_unlock,		usage_unlock },
	{ "delete",		user_delete,		usage_delete },
	{ "sessions",		user_sessions,		usage_sessions },
	{ "revoke",		user_revoke,		usage_revoke },
};

/*
 * authctl user SUBCOMMAND ...: dispatches to the subcommand with argv[0]
 * its name.
 */
int
ctl_user(struct ctl *c, int argc, char **argv)
{
	size_t	i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return ctl_usage(usage_user, argc >= 2);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i].name, argv[1]) == 0)
			break;
	if (i == sizeof(subs) / sizeof(subs[0])) {
		fprintf(stderr, "authctl: user: unknown subcommand '%s'\n",
		    argv[1]);
		return ctl_usage(usage_user, 0);
	}
	if (ctl_wants_help(argc - 1, argv + 1))
		return ctl_usage(subs[i].usage, 1);
	return subs[i].fn(c, argc - 1, argv + 1);
}
