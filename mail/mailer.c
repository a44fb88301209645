/*
 * auth-mailer: the long-running process that owns the mail spool.
 *
 *	auth-mailer [-dho] [-t template_dir]
 *
 * Configuration comes from the environment and .env like the service
 * (SPEC §7).  It wakes on inotify events in new/ and at least once a
 * second (the fallback rescan, and the next due retry), delivers, and on
 * SIGTERM or SIGINT finishes the message in hand and exits 0.  Signals
 * are blocked and read from a signalfd, so there is no handler and no
 * race between checking for a stop and going to sleep.
 */
#include <sys/inotify.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "paths.h"	/* MAIL_TEMPLATE_FALLBACK */
#include "util.h"

#define RESCAN_MS	1000

struct stop {
	int	fd;	/* signalfd for SIGTERM, SIGINT */
	int	stop;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: auth-mailer [-dho] [-t template_dir]\n"
	    "  -d  debug logging (as AUTH_DEBUG=1)\n"
	    "  -h  this help\n"
	    "  -o  once: deliver what is in new/ and due in retry/, exit\n"
	    "  -t  template directory (default MAIL_TEMPLATE_DIR, else\n"
	    "      <executable dir>/mail/templates, else\n"
	    "      <executable dir>/../share/authd/templates, else\n"
	    "      " MAIL_TEMPLATE_FALLBACK ")\n");
	exit(2);
}

/* Reads pending signals without blocking; 1 once a stop was asked. */
static int
stop_check(void *arg)
{
	struct stop		*s = arg;
	struct signalfd_siginfo	 si;

	while (!s->stop && read(s->fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping after the message in hand",
		    si.ssi_signo);
		s->stop = 1;
	}
	return s->stop;
}

static void
drain(int fd)
{
	char	buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * The spool's directories went away under the running mailer (removed by
 * hand, a cleaned /var): recreate them and watch new/ again, so the
 * mailer neither spins on a missing directory nor misses new mail.
 * Returns the inotify descriptor to use from now on (-1: rescans only).
 */
static int
spool_restore(const char *spool, const char *newdir, int ifd, int *missing)
{
	if (!*missing)
		log_warnx("spool %s is missing or not writable: recreating "
		    "it", spool);
	*missing = 1;
	if (spool_init(spool) == -1)
		return ifd;
	*missing = 0;
	log_info("spool %s recreated", spool);
	if (ifd != -1 && inotify_add_watch(ifd, newdir, IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_ONLYDIR) == -1) {
		log_warn("inotify on %s, falling back to rescans", newdir);
		close(ifd);
		ifd = -1;
	}
	return ifd;
}

/*
 * Start-up may exit (bad configuration, templates or spool: status 1,
 * bad usage: 2); after that nothing ends the loop but SIGTERM or SIGINT
 * (status 0), or a failing poll(2) (status 1).  Failures of single
 * messages are handled, logged and retried inside mailer_run().
 */
int
main(int argc, char *argv[])
{
	struct mailer		 m;
	struct config		*conf = NULL;
	struct mail_tmpls	*tmpls = NULL;
	struct stop		 st = { -1, 0 };
	struct pollfd		 pfd[2];
	sigset_t		 mask;
	char			 err[512], *tdir = NULL, *newdir = NULL;
	int			 ch, dflag = 0, once = 0, ifd = -1, rc = 1;
	int			 curl_up = 0, nfd, missing = 0;
	uint64_t		 base_sent = 0, base_failed = 0, base_retried = 0;
	unsigned long		 written[3] = { 0, 0, 0 };

	while ((ch = getopt(argc, argv, "dhot:")) != -1) {
		switch (ch) {
		case 'd':
			dflag = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 't':
			free(tdir);
			tdir = xstrdup(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((conf = config_load(0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "auth-mailer: %s\n", err);
		goto done;
	}
	log_init("auth-mailer", conf->debug || dflag);
	if (spool_init(conf->spool_dir) == -1)
		goto done;
	if (strcmp(conf->mail_transport, "file") == 0 &&
	    mail_mkdirs(conf->outbox_dir) == -1) {
		log_warn("MAIL_OUTBOX_DIR: mkdir %s", conf->outbox_dir);
		goto done;
	}
	if (tdir == NULL)
		tdir = mail_tmpl_dir();
	if ((tmpls = mail_tmpls_load(tdir, err, sizeof(err))) == NULL) {
		log_warnx("templates: %s", err);
		goto done;
	}
	log_info("templates from %s", tdir);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_warnx("curl_global_init failed");
		goto done;
	}
	curl_up = 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (st.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_warn("signalfd");
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);

	if (mailer_recover(conf->spool_dir) == -1)
		goto done;
	newdir = xasprintf("%s/new", conf->spool_dir);
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(ifd, newdir, IN_MOVED_TO | IN_CLOSE_WRITE |
	    IN_ONLYDIR) == -1) {
		log_warn("inotify on %s, falling back to rescans", newdir);
		if (ifd != -1)
			close(ifd);
		ifd = -1;
	}

	memset(&m, 0, sizeof(m));
	m.cfg = conf;
	m.tmpls = tmpls;
	m.stopping = stop_check;
	m.stop_arg = &st;
	/* Totals for /metrics go on from the last run's (lib/metrics.h). */
	(void)metrics_mail_stats_read(conf->spool_dir, &base_sent, &base_failed,
	    &base_retried);
	log_info("started: transport %s, spool %s, templates %s, "
	    "max attempts %ld, retry scale %g", conf->mail_transport,
	    conf->spool_dir, tdir, conf->mail_max_attempts,
	    conf->mail_retry_scale);

	for (;;) {
		if (!spool_ready(conf->spool_dir))
			ifd = spool_restore(conf->spool_dir, newdir, ifd,
			    &missing);
		if (!missing)
			mailer_run(&m);
		if (m.sent != written[0] || m.failed != written[1] ||
		    m.retried != written[2]) {
			written[0] = m.sent;
			written[1] = m.failed;
			written[2] = m.retried;
			(void)metrics_mail_stats_write(conf->spool_dir,
			    base_sent + m.sent, base_failed + m.failed,
			    base_retried + m.retried);
		}
		if (stop_check(&st) || once)
			break;
		pfd[0].fd = st.fd;
		pfd[0].events = POLLIN;
		nfd = 1;
		if (ifd != -1) {
			pfd[1].fd = ifd;
			pfd[1].events = POLLIN;
			nfd = 2;
		}
		if (poll(pfd, (nfds_t)nfd, missing ? RESCAN_MS :
		    mailer_timeout_ms(&m, RESCAN_MS)) == -1 && errno != EINTR) {
			log_warn("poll");
			goto done;
		}
		if (ifd != -1)
			drain(ifd);
	}
	log_info("stopped: %lu sent, %lu retried, %lu failed", m.sent,
	    m.retried, m.failed);
	rc = 0;
done:
	if (ifd != -1)
		close(ifd);
	if (st.fd != -1)
		close(st.fd);
	if (curl_up)
		curl_global_cleanup();
	mail_tmpls_free(tmpls);
	free(tdir);
	free(newdir);
	config_free(conf);
	return rc;
}
