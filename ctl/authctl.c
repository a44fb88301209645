/*
 * authctl: the operator's command of SPEC §10.  It reads the same
 * configuration as the service (environment, .env) and works on the
 * database directly, which is safe while the service runs (WAL, busy
 * timeout, the same BEGIN IMMEDIATE transactions as the workers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "mail.h"
#include "store.h"

static const struct cmd {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*help;
} cmds[] = {
	{ "user",	ctl_user,	"manage accounts (add, list, show, set-password, ...)" },
	{ "import",	ctl_import,	"import users (fastapi PATH, flask-json PATH)" },
	{ "mail",	ctl_mail,	"the mail spool (list, retry, retry-failed, purge-failed)" },
	{ "backup",	ctl_backup,	"a consistent copy of the database (backup PATH)" },
	{ "key",	ctl_key,	"the signing keys (key rotate)" },
	{ "check",	ctl_check,	"check the configuration and migrate, as auth.fcgi --check" },
};

static int
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: authctl [--json] [--force] COMMAND [ARGS...]\n"
	    "       authctl COMMAND --help\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	return f == stdout ? CTL_OK : CTL_USAGE;
}

struct store *
ctl_store(struct ctl *c)
{
	if (c->db != NULL)
		return c->db;
	if (store_migrate(cfg.database_path) == -1 ||
	    store_open(cfg.database_path, &c->db) == -1) {
		fprintf(stderr, "authctl: cannot open the database %s\n",
		    cfg.database_path);
		c->db = NULL;
	}
	return c->db;
}

int
ctl_check(struct ctl *c, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(argc > 1 && strcmp(argv[1], "--help") == 0 ?
		    stdout : stderr, "usage: authctl check\n");
		return strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
	}
	if (ctl_store(c) == NULL || spool_init(cfg.spool_dir) == -1)
		return CTL_ERR;
	printf("configuration ok\n");
	return CTL_OK;
}

int
main(int argc, char *argv[])
{
	struct ctl	 c;
	char		 err[512];
	size_t		 i;
	int		 a, rc;

	memset(&c, 0, sizeof(c));
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[a], "--force") == 0)
			c.force = 1;
		else if (strcmp(argv[a], "--help") == 0 ||
		    strcmp(argv[a], "-h") == 0)
			return usage(stdout);
		else
			return usage(stderr);
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
	umask(0077);
	log_init("authctl", 0);
	if (config_load(1, err, sizeof(err)) == -1) {
		fprintf(stderr, "authctl: configuration: %s\n", err);
		return CTL_ERR;
	}
	rc = cmds[i].fn(&c, argc - a, argv + a);
	if (c.db != NULL)
		store_close(c.db);
	config_free();
	return rc;
}
