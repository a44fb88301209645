/*
 * The master: pre-forks the workers of both classes, respawns a worker
 * that dies (with back-off against crash loops), replaces the workers
 * one by one with a reloaded configuration on SIGHUP, and drains and
 * stops on SIGTERM or SIGINT.  It never serves a request.
 *
 * Workers are forked in one place (spawn_worker, called by fill) and a
 * death is noticed in one place (reap).
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "util.h"

#define WORKERS_MAX	512
#define BACKOFF_MAX_MS	5000

struct worker {
	pid_t		 pid;
	enum wclass	 wc;
	int64_t		 started_ms;
	int64_t		 respawn_at_ms;	/* when a dead slot may be refilled */
	int		 failures;	/* consecutive quick deaths */
	int		 retiring;	/* being replaced or stopped */
};

struct pool {
	struct worker	 w[WORKERS_MAX];
	int		 n;		/* slots in use: fast ones, then hashing */
	int		 lfd[WC__MAX];
	pid_t		 master;
	struct config	**cfg;		/* the caller's: the one in use */
	sigset_t	 sigs;		/* taken with sigtimedwait */
	int		 stop_asked;	/* SIGTERM or SIGINT seen, wherever */
	int		 reload_asked;	/* SIGHUP seen, wherever (even mid-reload) */
};

static pid_t
spawn_worker(struct pool *p, enum wclass wc)
{
	pid_t	pid;
	int	rc;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0) {
		/* Named at once: ps and pgrep tell the classes apart. */
		prctl(PR_SET_NAME, wc == WC_HASH ? "auth.fcgi-hash" :
		    "auth.fcgi-fast");
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != p->master)
			_exit(0);
		log_init(wc == WC_HASH ? "auth.fcgi-hash-worker" :
		    "auth.fcgi-worker", (*p->cfg)->debug);
		rc = worker_main(p->lfd[wc], wc, *p->cfg);
		config_free(*p->cfg);
		_exit(rc);
	}
	return pid;
}

static struct worker *
slot_of(struct pool *p, pid_t pid)
{
	int	i;

	for (i = 0; i < p->n; i++)
		if (p->w[i].pid == pid)
			return &p->w[i];
	return NULL;
}

/* Records deaths; a quick one delays the respawn with a growing back-off. */
static void
reap(struct pool *p)
{
	struct worker	*s;
	pid_t		 pid;
	int		 status;
	int64_t		 now = mono_ms(), delay;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((s = slot_of(p, pid)) == NULL)
			continue;
		s->pid = 0;
		if (s->retiring) {
			s->retiring = 0;
			continue;
		}
		metrics_worker_restart();
		if (WIFSIGNALED(status))
			log_warnx("%s worker %d killed by signal %d",
			    wclass_names[s->wc], (int)pid, WTERMSIG(status));
		else
			log_warnx("%s worker %d exited with %d",
			    wclass_names[s->wc], (int)pid, WEXITSTATUS(status));
		s->failures = now - s->started_ms < 1000 ? s->failures + 1 : 0;
		delay = s->failures == 0 ? 0 : 100L << (s->failures > 6 ? 6 :
		    s->failures);
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		s->respawn_at_ms = now + delay;
	}
}

/* Fills empty slots that are due; returns ms until the next one is due, or -1. */
static int64_t
fill(struct pool *p)
{
	struct worker	*s;
	int64_t		 now = mono_ms(), next = -1;
	int		 i;

	for (i = 0; i < p->n; i++) {
		s = &p->w[i];
		if (s->pid != 0)
			continue;
		if (s->respawn_at_ms > now) {
			if (next == -1 || s->respawn_at_ms - now < next)
				next = s->respawn_at_ms - now;
			continue;
		}
		if ((s->pid = spawn_worker(p, s->wc)) == -1) {
			s->pid = 0;
			s->respawn_at_ms = now + 1000;
			next = 1000;
			continue;
		}
		s->started_ms = now;
	}
	return next;
}

static int
wait_signal(struct pool *p, int64_t ms)
{
	struct timespec	ts;
	int		sig;

	if (ms < 0)
		ms = 1000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	sig = sigtimedwait(&p->sigs, NULL, &ts);
	if (sig == SIGTERM || sig == SIGINT)
		p->stop_asked = 1;
	else if (sig == SIGHUP)
		p->reload_asked = 1;	/* also while a reload runs */
	return sig;
}

static int
count_alive(const struct pool *p)
{
	int	i, c = 0;

	for (i = 0; i < p->n; i++)
		c += p->w[i].pid != 0;
	return c;
}

static void
stop_all(struct pool *p)
{
	int	i;
	int64_t	deadline = mono_ms() + 30000;

	for (i = 0; i < p->n; i++)
		if (p->w[i].pid != 0) {
			p->w[i].retiring = 1;
			kill(p->w[i].pid, SIGTERM);
		}
	while (count_alive(p) > 0 && mono_ms() < deadline) {
		(void)wait_signal(p, 200);
		reap(p);
	}
	for (i = 0; i < p->n; i++)
		if (p->w[i].pid != 0)
			kill(p->w[i].pid, SIGKILL);
}

/*
 * Loads a new configuration beside the running one and swaps the
 * pointer; one that fails validation is freed and the running one stays.
 * The master serves no request, so nothing in it holds the old value:
 * it is freed at once (the workers still running have their own copy,
 * made by fork, until they are replaced).
 */
static int
reload_config(struct pool *p)
{
	struct config	*old;
	char		 err[256];

	if (config_reload(p->cfg, &old, 1, err, sizeof(err)) == -1) {
		log_warnx("reload refused, keeping the running "
		    "configuration: %s", err);
		return -1;
	}
	config_free(old);
	return 0;
}

/*
 * SIGHUP: reload the configuration, then replace the workers one at a
 * time (the fast ones first), each one stopped, then its successor
 * started in its slot.  The pool sizes stay those of the start.
 */
static void
reload(struct pool *p)
{
	struct worker	*s;
	pid_t		 old;
	int		 i;
	int64_t		 deadline;

	if (reload_config(p) == -1)
		return;
	log_info("reloading %d workers", count_alive(p));
	for (i = 0; i < p->n; i++) {
		s = &p->w[i];
		if ((old = s->pid) == 0)
			continue;
		s->retiring = 1;
		kill(old, SIGTERM);
		deadline = mono_ms() + 30000;
		while (s->pid == old && mono_ms() < deadline) {
			(void)wait_signal(p, 100);
			reap(p);
		}
		if (s->pid == old)
			log_warnx("worker %d did not stop within 30 s", (int)old);
		if (p->stop_asked)
			return;		/* the master stops the rest */
		s->failures = 0;
		s->respawn_at_ms = 0;
		(void)fill(p);
	}
}

/* Lays out the slots: AUTH_WORKERS fast ones, then the hashing ones. */
static void
pool_init(struct pool *p, const int lfd[WC__MAX], struct config **conf)
{
	int	i, nfast, nhash;

	memset(p, 0, sizeof(*p));
	p->master = getpid();
	p->cfg = conf;
	p->lfd[WC_FAST] = lfd[WC_FAST];
	p->lfd[WC_HASH] = lfd[WC_HASH];
	nfast = (*conf)->workers;
	nhash = lfd[WC_HASH] >= 0 ? (*conf)->hash_workers : 0;
	if (nfast + nhash > WORKERS_MAX)
		nhash = WORKERS_MAX - nfast;
	p->n = nfast + nhash;
	for (i = 0; i < p->n; i++)
		p->w[i].wc = i < nfast ? WC_FAST : WC_HASH;
	if (lfd[WC_HASH] < 0)
		log_warnx("no hashing socket (--hash-fd, --hash-listen): the "
		    "%d workers also hash passwords", nfast);
	log_info("master %d starting %d workers and %d hashing workers "
	    "(nice %d)", (int)p->master, nfast, nhash, (*conf)->hash_nice);
}

int
master_main(const int lfd[WC__MAX], struct config **conf)
{
	static struct pool	 p;
	int64_t			 next;

	pool_init(&p, lfd, conf);
	sigemptyset(&p.sigs);
	sigaddset(&p.sigs, SIGCHLD);
	sigaddset(&p.sigs, SIGTERM);
	sigaddset(&p.sigs, SIGINT);
	sigaddset(&p.sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &p.sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		next = fill(&p);
		(void)wait_signal(&p, next);
		/* A SIGHUP taken while a reload ran asks for another. */
		while (p.reload_asked && !p.stop_asked) {
			p.reload_asked = 0;
			reload(&p);
		}
		if (p.stop_asked) {
			log_info("stopping: draining %d workers",
			    count_alive(&p));
			stop_all(&p);
			log_info("stopped");
			return 0;
		}
		reap(&p);
	}
}
