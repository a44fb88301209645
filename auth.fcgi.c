/*
 * auth.fcgi: the authd FastCGI application.
 *
 * One binary, two roles.  This file is the entry point: the command
 * line, the configuration, migrations, and the listening sockets.  The
 * master and the worker loop live in server/ (server/server.h says how
 * the two worker classes divide the work).
 *
 * Sockets: the fast one is fd 0 (spawn-fcgi, or systemd's
 * StandardInput=socket) or --listen PATH; the hashing one is --hash-fd N
 * (an inherited descriptor: spawn/authd-spawn nests two spawn-fcgi) or
 * --hash-listen PATH.  Under systemd with two socket units both come as
 * LISTEN_FDS, named "fast" and "hash" (FileDescriptorName=).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "handlers.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "server.h"
#include "store.h"
#include "util.h"

/* What the command line asked for. */
struct opts {
	const char	*listen[WC__MAX];	/* --listen, --hash-listen */
	int		 hash_fd;		/* --hash-fd, else -1 */
	int		 single;		/* --single */
	enum wclass	 wc;			/* --class, with --single */
	int		 wc_given;
	int		 check;			/* --check */
};

static const char usage_text[] =
    "usage: auth.fcgi [--listen PATH] [--hash-listen PATH | --hash-fd N]\n"
    "       auth.fcgi --single [--class fast|hash] [--listen PATH]\n"
    "       auth.fcgi --check | --help | --version\n"
    "\n"
    "The authd FastCGI application.  By default it is the master of a\n"
    "pre-forked pool: AUTH_WORKERS fast workers accept on the socket on\n"
    "standard input (as spawn-fcgi or systemd give it) or on --listen\n"
    "PATH, and AUTH_HASH_WORKERS hashing workers (login, register,\n"
    "password change and reset), at nice AUTH_HASH_NICE, accept on the\n"
    "socket of --hash-fd N or --hash-listen PATH.  SIGHUP reloads the\n"
    "configuration and replaces the workers one by one; SIGTERM drains\n"
    "and stops.\n"
    "\n"
    "  --listen PATH       open the fast socket at PATH (mode 0660)\n"
    "  --hash-listen PATH  open the hashing socket at PATH (mode 0660)\n"
    "  --hash-fd N         the hashing socket is inherited as descriptor N\n"
    "  --single            be one plain worker (spawn-fcgi -F N), no master\n"
    "  --class fast|hash   the class of that worker (default fast)\n"
    "  --check             check the configuration, apply migrations, exit\n"
    "  --help              print this help and exit\n"
    "  --version           print the version and exit\n"
    "\n"
    "Configuration: environment variables, optionally from the .env file\n"
    "named by AUTH_ENV_FILE (see README.md).\n";

/* A bad command line: the synopsis (the first three lines) on stderr. */
static void
usage(void)
{
	const char	*p = usage_text;
	int		 i;

	for (i = 0; i < 3; i++)
		p = strchr(p, '\n') + 1;
	fprintf(stderr, "%.*sRun auth.fcgi --help for more.\n",
	    (int)(p - usage_text), usage_text);
	exit(2);
}

static int
parse_fd(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

static void
parse_args(int argc, char *argv[], struct opts *o)
{
	int	i;

	memset(o, 0, sizeof(*o));
	o->hash_fd = -1;
	o->wc = WC_FAST;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("auth.fcgi (authd) %s\n", AUTHD_VERSION);
			exit(0);
		} else if (strcmp(argv[i], "--single") == 0)
			o->single = 1;
		else if (strcmp(argv[i], "--check") == 0)
			o->check = 1;
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			o->listen[WC_FAST] = argv[++i];
		else if (strcmp(argv[i], "--hash-listen") == 0 && i + 1 < argc)
			o->listen[WC_HASH] = argv[++i];
		else if (strcmp(argv[i], "--hash-fd") == 0 && i + 1 < argc) {
			if ((o->hash_fd = parse_fd(argv[++i])) < 0)
				usage();
		} else if (strcmp(argv[i], "--class") == 0 && i + 1 < argc) {
			i++;
			o->wc_given = 1;
			if (strcmp(argv[i], wclass_names[WC_FAST]) == 0)
				o->wc = WC_FAST;
			else if (strcmp(argv[i], wclass_names[WC_HASH]) == 0)
				o->wc = WC_HASH;
			else
				usage();
		} else
			usage();
	}
	if (o->hash_fd >= 0 && o->listen[WC_HASH] != NULL)
		usage();
	if (o->single && (o->hash_fd >= 0 || o->listen[WC_HASH] != NULL))
		usage();
	if (o->wc_given && !o->single)
		usage();
}

/* 1 when fd is an open socket. */
static int
is_socket(int fd)
{
	struct stat	st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int
open_socket(const char *path)
{
	int	fd;

	unlink(path);
	if ((fd = FCGX_OpenSocket(path, 128)) < 0) {
		fprintf(stderr, "auth.fcgi: cannot listen on %s\n", path);
		return -1;
	}
	if (chmod(path, 0660) == -1)
		log_warn("chmod %s", path);
	return fd;
}

/*
 * systemd socket activation with two units: LISTEN_FDS descriptors from
 * 3 on, named by LISTEN_FDNAMES ("fast", "hash"; unnamed ones are taken
 * in that order).  Returns 0 when nothing was passed, 1 when lfd was
 * filled, -1 on a descriptor that is not a socket.
 */
static int
systemd_sockets(int lfd[WC__MAX])
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char	*names = getenv("LISTEN_FDNAMES"), *p;
	size_t		 len;
	int		 n, i;

	if (pid == NULL || fds == NULL || parse_fd(pid) != (int)getpid())
		return 0;
	if ((n = parse_fd(fds)) < 1 || n > WC__MAX) {
		fprintf(stderr, "auth.fcgi: LISTEN_FDS: expected 1 or 2 "
		    "sockets\n");
		return -1;
	}
	for (i = 0, p = names; i < n; i++) {
		len = p != NULL ? strcspn(p, ":") : 0;
		if (!is_socket(3 + i)) {
			fprintf(stderr, "auth.fcgi: descriptor %d from systemd "
			    "is not a socket\n", 3 + i);
			return -1;
		}
		if (len == 4 && strncmp(p, "hash", 4) == 0)
			lfd[WC_HASH] = 3 + i;
		else if (len == 4 && strncmp(p, "fast", 4) == 0)
			lfd[WC_FAST] = 3 + i;
		else
			lfd[i] = 3 + i;
		if (p != NULL)
			p = p[len] == ':' ? p + len + 1 : NULL;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (lfd[WC_FAST] < 0) {
		fprintf(stderr, "auth.fcgi: LISTEN_FDNAMES: no \"fast\" "
		    "socket\n");
		return -1;
	}
	return 1;
}

/* Finds or opens the listening sockets; lfd[WC_HASH] may stay -1. */
static int
sockets(const struct opts *o, int lfd[WC__MAX])
{
	int	rc;

	lfd[WC_FAST] = lfd[WC_HASH] = -1;
	if ((rc = systemd_sockets(lfd)) != 0)
		return rc == 1 ? 0 : -1;
	if (o->listen[WC_FAST] != NULL) {
		if ((lfd[WC_FAST] = open_socket(o->listen[WC_FAST])) < 0)
			return -1;
	} else if (is_socket(0))
		lfd[WC_FAST] = 0;
	else {
		fprintf(stderr, "auth.fcgi: standard input is not a socket: "
		    "start under spawn-fcgi or use --listen PATH\n");
		return -1;
	}
	if (o->hash_fd >= 0) {
		if (!is_socket(o->hash_fd)) {
			fprintf(stderr, "auth.fcgi: --hash-fd %d is not a "
			    "socket\n", o->hash_fd);
			return -1;
		}
		lfd[WC_HASH] = o->hash_fd;
	} else if (o->listen[WC_HASH] != NULL &&
	    (lfd[WC_HASH] = open_socket(o->listen[WC_HASH])) < 0)
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	struct config	*conf;
	char		 err[512];
	int		 lfd[WC__MAX], rc = 1;

	parse_args(argc, argv, &o);
	umask(0077);
	log_init("auth.fcgi", 0);
	if ((conf = config_load(1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "auth.fcgi: configuration: %s\n", err);
		return 2;
	}
	log_init(!o.single ? "auth.fcgi" : o.wc == WC_HASH ?
	    "auth.fcgi-hash-worker" : "auth.fcgi-worker", conf->debug);
	if (store_migrate(conf->database_path, conf) == -1 ||
	    spool_init(conf->spool_dir) == -1 || admin_bootstrap(conf) == -1)
		goto done;
	if (o.check) {
		printf("configuration ok\n");
		rc = 0;
		goto done;
	}
	if (sockets(&o, lfd) == -1)
		goto done;
	/* The shared counters, before any worker is forked. */
	(void)metrics_init(conf, nroutes);
	if (o.single) {
		started_at = now_s();
		rc = worker_main(lfd[WC_FAST], o.wc, conf);
	} else
		rc = master_main(lfd, &conf);
done:
	config_free(conf);
	return rc;
}
