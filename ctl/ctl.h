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

struct store;

#define CTL_OK		0
#define CTL_ERR		1
#define CTL_USAGE	2

/* Options that come before the subcommand, and the state they share. */
struct ctl {
	int		 json;		/* --json: JSON for scripts */
	int		 force;		/* --force: root on another user's state dir */
	struct store	*db;		/* opened by ctl_store(), closed by main */
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

#endif
