/*
 * authctl: the operator's command of SPEC §10.  It reads the same
 * configuration as the service (environment, .env) and works on the
 * database directly, which is safe while the service runs (WAL, busy
 * timeout, the same BEGIN IMMEDIATE transactions as the workers).
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "mail.h"
#include "store.h"
#include "util.h"

/* need_secret: the command signs or checks tokens (config_load's flag). */
static const struct cmd {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	int		 need_secret;
	const char	*help;
} cmds[] = {
	{ "user",	ctl_user,	0, "manage accounts (add, list, show, set-password, ...)" },
	{ "import",	ctl_import,	0, "import users (fastapi PATH, flask-json PATH)" },
	{ "mail",	ctl_mail,	0, "the mail spool (list, retry, retry-failed, purge-failed)" },
	{ "backup",	ctl_backup,	0, "a consistent copy of the database (backup PATH)" },
	{ "key",	ctl_key,	1, "the signing keys (key rotate, key list)" },
	{ "check",	ctl_check,	1, "check the configuration and migrate, as auth.fcgi --check" },
};

static int
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: authctl [--json] [--force] COMMAND [ARGS...]\n"
	    "       authctl COMMAND --help\n\n"
	    "  --json   JSON for scripts instead of tables\n"
	    "  --force  run as root on a state directory owned by another "
	    "user\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	return f == stdout ? CTL_OK : CTL_USAGE;
}

/*
 * The database as the service sees it.  Migrations are applied only when
 * the schema is older than this program: the check is a read, so a busy
 * service does not make every authctl run wait for the write lock.
 */
struct store *
ctl_store(struct ctl *c)
{
	const char	*where;
	int		 rc;

	if (c->db != NULL)
		return c->db;
	/* PostgreSQL: the driver's messages name the server, never the URL. */
	where = c->cfg->database_url != NULL ? "of DATABASE_URL" :
	    c->cfg->database_path;
	if (store_open(c->cfg->database_path, c->cfg, &c->db) == -1) {
		fprintf(stderr, "authctl: cannot open the database %s\n", where);
		c->db = NULL;
		return NULL;
	}
	if ((rc = store_schema_current(c->db)) == 1)
		return c->db;
	if (rc < 0 || store_migrate(c->cfg->database_path, c->cfg) == -1) {
		fprintf(stderr, "authctl: cannot bring the database %s to the "
		    "current schema (see the message above; a database locked "
		    "by another process past the busy timeout also ends "
		    "here)\n", where);
		store_close(c->db);
		c->db = NULL;
	}
	return c->db;
}

/*
 * An id is looked up as an id, anything with an '@' as an email, the
 * rest as a username; an upper-case UUID is still an id.
 */
int
ctl_user_find(struct ctl *c, const char *ref, struct user **u)
{
	char	*low, shown[128];
	size_t	 i;
	int	 rc;

	*u = NULL;
	if (ctl_store(c) == NULL)
		return CTL_ERR;
	low = xstrdup(ref);
	for (i = 0; low[i] != '\0'; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] = (char)(low[i] - 'A' + 'a');
	if (ctl_uuid_shaped(low))
		rc = store_user_by_id(c->db, low, u);
	else
		rc = store_user_by_login(c->db, low, NULL, u);
	free(low);
	if (rc < 0)
		return ctl_store_error(rc, "finding the user");
	if (rc == 0) {
		log_escape(ref, shown, sizeof(shown));
		fprintf(stderr, "authctl: no user '%s' (give an id, an email "
		    "or a username)\n", shown);
		return CTL_ERR;
	}
	return CTL_OK;
}

/*
 * authctl check: the configuration (loaded by main), the database
 * created or migrated, the spool directories created; says "configuration
 * ok", or {"ok": true} with --json.  CTL_OK or CTL_ERR (main reports
 * output that could not be written).
 */
int
ctl_check(struct ctl *c, int argc, char **argv)
{
	struct json_object	*j;

	if (argc > 1)
		return ctl_usage("usage: authctl check\n\nChecks the "
		    "configuration, creates or migrates the database and the "
		    "mail spool,\nas auth.fcgi --check does.\n",
		    ctl_wants_help(argc, argv));
	if (ctl_store(c) == NULL || spool_init(c->cfg->spool_dir) == -1)
		return CTL_ERR;
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, "ok", json_object_new_boolean(1));
		return ctl_json_print(j);
	}
	printf("configuration ok\n");
	return CTL_OK;
}


/*
 * The owner of path, or of the directory that would hold it when it does
 * not exist yet.  0 with *uid, -1 when neither exists.
 */
static int
owner_of(const char *path, uid_t *uid)
{
	struct stat	 sb;
	char		*dir;
	int		 rc;

	if (stat(path, &sb) == 0) {
		*uid = sb.st_uid;
		return 0;
	}
	dir = xstrdup(path);
	rc = stat(dirname(dir), &sb);
	free(dir);
	if (rc == -1)
		return -1;
	*uid = sb.st_uid;
	return 0;
}

/*
 * Root working on state that belongs to another user (the service's)
 * would create files there the service cannot open: a database -shm or
 * -wal, a spool directory, a secret key.  Refused unless --force.  The
 * paths are read before the configuration is loaded, because loading it
 * already creates the state and spool directories.  0 to go on, -1
 * refused (after a message).
 */
static int
owner_check(const struct ctl *c)
{
	const char	*names[3] = { "AUTH_STATE_DIR", "DATABASE_PATH",
			    "MAIL_SPOOL_DIR" };
	char		*paths[3], err[256];
	const char	*envfile;
	struct passwd	*pw;
	uid_t		 uid;
	size_t		 i;
	int		 rc = 0;

	if (geteuid() != 0 || c->force)
		return 0;
	/* The .env file may name the paths; config_load() reads it again. */
	envfile = getenv("AUTH_ENV_FILE");
	(void)env_file_load(envfile != NULL ? envfile : "./.env", err,
	    sizeof(err));
	paths[0] = xstrdup(getenv("AUTH_STATE_DIR") != NULL ?
	    getenv("AUTH_STATE_DIR") : "./var");
	paths[1] = getenv("DATABASE_PATH") != NULL ?
	    xstrdup(getenv("DATABASE_PATH")) :
	    xasprintf("%s/auth.db", paths[0]);
	paths[2] = getenv("MAIL_SPOOL_DIR") != NULL ?
	    xstrdup(getenv("MAIL_SPOOL_DIR")) :
	    xasprintf("%s/spool", paths[0]);
	for (i = 0; i < 3 && rc == 0; i++) {
		if (owner_of(paths[i], &uid) == -1 || uid == 0)
			continue;
		pw = getpwuid(uid);
		fprintf(stderr, "authctl: %s %s belongs to %s (uid %ld), not "
		    "root: running as root would leave files there that the "
		    "service cannot open.\nRun authctl as that user (sudo -u "
		    "%s authctl ...), or pass --force.\n", names[i], paths[i],
		    pw != NULL ? pw->pw_name : "another user", (long)uid,
		    pw != NULL ? pw->pw_name : "<user>");
		rc = -1;
	}
	for (i = 0; i < 3; i++)
		free(paths[i]);
	return rc;
}

/*
 * Takes --json and --force out of the subcommand's arguments (up to a
 * "--"), setting them in c.  Returns the new argc.
 */
static int
take_global_options(struct ctl *c, int argc, char **argv)
{
	int	i, n = 1, rest = 0;

	for (i = 1; i < argc; i++) {
		if (!rest && strcmp(argv[i], "--") == 0)
			rest = 1;
		if (!rest && strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if (!rest && strcmp(argv[i], "--force") == 0)
			c->force = 1;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int
main(int argc, char *argv[])
{
	struct ctl	 c;
	struct config	*conf;
	char		 err[512];
	size_t		 i;
	int		 a, n, rc;

	memset(&c, 0, sizeof(c));
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[a], "--force") == 0)
			c.force = 1;
		else if (strcmp(argv[a], "--help") == 0 ||
		    strcmp(argv[a], "-h") == 0)
			return usage(stdout);
		else {
			fprintf(stderr, "authctl: unknown option '%s'\n",
			    argv[a]);
			return usage(stderr);
		}
	}
	if (a == argc)
		return usage(stderr);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, argv[a]) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "authctl: unknown command '%s'\n", argv[a]);
		return usage(stderr);
	}
	n = take_global_options(&c, argc - a, argv + a);
	if (ctl_wants_help(n, argv + a))
		return cmds[i].fn(&c, n, argv + a);
	umask(0077);
	log_init("authctl", 0);
	if (owner_check(&c) == -1)
		return CTL_ERR;
	if ((conf = config_load(cmds[i].need_secret, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "authctl: configuration: %s\n", err);
		return CTL_ERR;
	}
	c.cfg = conf;
	rc = cmds[i].fn(&c, n, argv + a);
	if (c.db != NULL)
		store_close(c.db);
	config_free(conf);
	/* Output that did not reach its file is a failure (a full disk). */
	if (rc == CTL_OK && (fflush(stdout) == EOF || ferror(stdout))) {
		fprintf(stderr, "authctl: cannot write the output: %s\n",
		    strerror(errno));
		rc = CTL_ERR;
	}
	return rc;
}
