/*
 * authctl: the operator's command (SPEC §10).  A second program built
 * from lib/ and store/; it adds no SQL of its own outside store/.
 *
 * Each subcommand is one function in its own file, called with the
 * arguments after its name (argv[0] is the subcommand's name).  It
 * returns the exit code: CTL_OK, CTL_ERR (an error, after a message on
 * stderr naming the problem) or CTL_USAGE (bad usage, after its usage
 * text).  Output for people goes to stdout as aligned tables; with
 * --json, JSON for scripts.
 */
#ifndef AUTHD_CTL_H
#define AUTHD_CTL_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct json_object;
struct store;
struct user;

#define CTL_OK		0
#define CTL_ERR		1
#define CTL_USAGE	2

/* Options that come before the subcommand, and the state they share. */
struct ctl {
	int		 json;		/* --json: JSON for scripts */
	int		 force;		/* --force: root on another user's state dir */
	struct store	*db;		/* opened by ctl_store(), closed by main */
	const struct config *cfg;	/* loaded by main (NULL for --help) */
};

/*
 * Opens the database named by the configuration (applying migrations,
 * as the service does at start), once per run.  Returns the store, or
 * NULL after a message on stderr.
 */
struct store	*ctl_store(struct ctl *);

int	 ctl_user(struct ctl *, int argc, char **argv);	/* ctl/user.c */
int	 ctl_import(struct ctl *, int argc, char **argv);	/* ctl/import.c */
int	 ctl_mail(struct ctl *, int argc, char **argv);	/* ctl/mail.c */
int	 ctl_backup(struct ctl *, int argc, char **argv);	/* ctl/backup.c */
int	 ctl_key(struct ctl *, int argc, char **argv);	/* ctl/key.c */
int	 ctl_check(struct ctl *, int argc, char **argv);	/* ctl/authctl.c */

/*
 * How main calls a subcommand: --json and --force are taken out of argv
 * wherever they stand (before a "--"), so "authctl user list --json"
 * and "authctl --json user list" are the same.  When the arguments hold
 * --help or -h, the subcommand runs before the configuration is loaded
 * and before any check: it must answer the help first (ctl_wants_help).
 */

/* --- helpers shared by the subcommands (ctl/common.c; ctl_user_find: ctl/authctl.c) --- */

/* 1 when argv[1..] holds --help or -h (before a "--"). */
int	 ctl_wants_help(int argc, char **argv);
/*
 * Prints usage text: to stdout for --help (returns CTL_OK), else to
 * stderr (returns CTL_USAGE).
 */
int	 ctl_usage(const char *text, int help);
/*
 * Prints "authctl: <what>: <why>" for a store result (STORE_EBUSY: the
 * database stayed locked past the busy timeout; STORE_EFULL: the disk
 * is full; others: a database error) and returns CTL_ERR.
 */
int	 ctl_store_error(int rc, const char *what);
/*
 * Finds a user by id, email (any case) or username (any case).  Returns
 * CTL_OK with *u (user_free()), or CTL_ERR after a message on stderr
 * (unknown user, database error).
 */
int	 ctl_user_find(struct ctl *, const char *ref, struct user **u);
/* RFC 3339 UTC of t into buf (21 bytes); "-" for 0.  Returns buf. */
const char *ctl_time(int64_t t, char buf[21]);
/* 1 when s is a lower-case UUID (36 characters). */
int	 ctl_uuid_shaped(const char *s);

/*
 * Aligned tables for people: a header line in capitals, then one line a
 * row, columns padded to their widest cell (counted in characters), two
 * spaces apart, no trailing blanks.  Cells are copied; NULL prints "-";
 * control characters and invalid UTF-8 print as '?', so a hostile value
 * (a User-Agent, say) cannot drive the terminal.
 *
 *	struct ctl_table *t = ctl_table_new(3, "ID", "EMAIL", "ROLE");
 *	ctl_table_row(t, u->id, u->email, role_name(u->role));
 *	return ctl_table_print(t);	(prints and frees)
 */
struct ctl_table;
struct ctl_table *ctl_table_new(size_t ncols, ...);
void	 ctl_table_row(struct ctl_table *, ...);
/* Number of rows so far. */
size_t	 ctl_table_rows(const struct ctl_table *);
/* Prints to stdout and frees the table: CTL_OK, or CTL_ERR when stdout fails. */
int	 ctl_table_print(struct ctl_table *);
void	 ctl_table_free(struct ctl_table *);

/*
 * JSON for scripts: prints o pretty-printed with a final newline to
 * stdout and releases it (takes the reference).  CTL_OK, or CTL_ERR when
 * stdout fails.
 */
int	 ctl_json_print(struct json_object *o);

#endif
