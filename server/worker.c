/*
 * The worker loop: accept FastCGI requests, build a struct req, route
 * it, write the answer, free everything.  One request at a time.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "store.h"
#include "util.h"

const char *const wclass_names[WC__MAX] = {
	"fast",						/* WC_FAST */
	"hash",						/* WC_HASH */
};

static volatile sig_atomic_t	 stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * A worker serves several FastCGI connections, one request at a time:
 * nginx keeps connections alive (fastcgi_keep_conn), and a worker polls
 * every connection it holds together with the listening socket, serving
 * whichever has a request.  So an idle kept connection never pins a
 * worker while requests wait on a new one, and under load requests flow
 * over kept connections without a connect/accept/close each.
 */
#define CONN_MAX	32

struct conns {
	FCGX_Request	 rq[CONN_MAX];
	struct store	*db;
	const struct config *cfg;	/* handed to every request */
	enum wclass	 wc;
	sigset_t	 waitmask;	/* the mask while waiting for work */
	int64_t		 flushed_ms;	/* mono_ms() of the last log flush */
};

/* Longest a busy worker keeps its request log lines buffered. */
#define LOG_FLUSH_MS	1000

/* Milliseconds since the epoch, the clock of nginx's $msec. */
static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A hashing request that waited longer than HASH_QUEUE_TIMEOUT_MS for a
 * worker is refused at once rather than hashed late: its client has
 * likely given up, and hashing it would make every request behind it
 * wait longer still.  So a flood drains at the speed of reading
 * requests, and every answer comes within the timeout and one hash.
 */
static int
late(const struct conns *c, int64_t start, int64_t *waited)
{
	if (c->wc != WC_HASH || c->cfg->hash_queue_timeout_ms == 0 ||
	    start == 0)
		return 0;
	*waited = wall_ms() - start;
	return *waited > c->cfg->hash_queue_timeout_ms;
}

static void
refuse_late(struct req *r, struct resp *out, int64_t waited)
{
	char	path[160], ip[64];

	metrics_count(MET_HASH_QUEUE_TIMEOUT);
	resp_detail(out, 503, "Service temporarily unavailable. Please try "
	    "again later.");
	resp_headerf(out, "Retry-After", "%d",
	    (r->cfg->hash_queue_timeout_ms + 999) / 1000);
	log_escape(r->path, path, sizeof(path));
	log_escape(r->ip, ip, sizeof(ip));
	log_info("req=%s ip=%s %s %s status=503 ms=0 user=- queued_ms=%lld "
	    "(over HASH_QUEUE_TIMEOUT_MS)", r->reqid, ip,
	    method_name(r->method), path, (long long)waited);
}

/* Builds, routes and answers the request just read on rq. */
static void
serve(FCGX_Request *rq, struct conns *c)
{
	struct req	r;
	struct resp	out;
	int64_t		start, waited;

	start = fcgi_req_build(rq, &r, c->db);
	r.cfg = c->cfg;
	resp_init(&out);
	if (late(c, start, &waited))
		refuse_late(&r, &out, waited);
	else
		router_dispatch(&r, &out);
	fcgi_resp_write(rq, &r, &out);
	resp_free(&out);
	req_free(&r);
	FCGX_Finish_r(rq);
}

/* Reads the next request on slot rq (kept connection or a new one) and serves it. */
static void
serve_next(FCGX_Request *rq, struct conns *c)
{
	if (FCGX_Accept_r(rq) >= 0)
		serve(rq, c);
}

static void
drop(FCGX_Request *rq)
{
	if (rq->ipcFd >= 0) {
		close(rq->ipcFd);
		rq->ipcFd = -1;
	}
}

/*
 * A slot for a new connection: a free one, else one whose connection was
 * idle in this poll round (closed; nginx reconnects).  NULL when every
 * connection had a request: this worker is busy and others may accept.
 */
static FCGX_Request *
free_slot(struct conns *c, const int *busy)
{
	int	i;

	for (i = 0; i < CONN_MAX; i++)
		if (c->rq[i].ipcFd < 0)
			return &c->rq[i];
	for (i = 0; i < CONN_MAX; i++)
		if (!busy[i]) {
			drop(&c->rq[i]);
			return &c->rq[i];
		}
	return NULL;
}

/*
 * Polls pf: at once, and when nothing is ready, writes the request log
 * lines buffered so far and then waits.  So a busy worker writes its log
 * in blocks (the buffer's size, or at least every LOG_FLUSH_MS) rather
 * than one write per request, and an idle one never holds a line back.
 * SIGTERM and SIGINT are blocked but while polling here.  0, or -1 when
 * stopping.
 */
static int
wait_work(struct conns *c, struct pollfd *pf, nfds_t n)
{
	const struct timespec	 now = { 0, 0 };
	int			 ready;

	ready = ppoll(pf, n, &now, &c->waitmask);
	if (ready == 0 || mono_ms() - c->flushed_ms >= LOG_FLUSH_MS) {
		log_flush();
		c->flushed_ms = mono_ms();
	}
	if (ready == 0)
		ready = ppoll(pf, n, NULL, &c->waitmask);
	if (ready == -1) {
		if (errno == EINTR)
			return stopping ? -1 : 0;
		log_warn("poll");
		return -1;
	}
	return 0;
}

/* One round: waits for work, serves it.  -1 when stopping. */
static int
round_serve(struct conns *c, int lfd)
{
	struct pollfd	 pf[CONN_MAX + 1];
	FCGX_Request	*slot;
	int		 idx[CONN_MAX + 1], busy[CONN_MAX] = { 0 };
	int		 i, n = 1, rc;

	pf[0].fd = lfd;
	pf[0].events = POLLIN;
	for (i = 0; i < CONN_MAX; i++)
		if (c->rq[i].ipcFd >= 0) {
			pf[n].fd = c->rq[i].ipcFd;
			pf[n].events = POLLIN;
			idx[n++] = i;
		}
	if (stopping)
		return -1;
	if ((rc = wait_work(c, pf, (nfds_t)n)) != 0)
		return rc;
	for (i = 1; i < n; i++)
		if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			busy[idx[i]] = 1;
			serve_next(&c->rq[idx[i]], c);
		}
	if ((pf[0].revents & POLLIN) && (slot = free_slot(c, busy)) != NULL)
		serve_next(slot, c);
	return stopping ? -1 : 0;
}

/* On stop: answers requests already sent on kept connections, then closes them. */
static void
drain_conns(struct conns *c)
{
	struct pollfd	pf;
	int		i;

	for (i = 0; i < CONN_MAX; i++) {
		if (c->rq[i].ipcFd < 0)
			continue;
		pf.fd = c->rq[i].ipcFd;
		pf.events = POLLIN;
		if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN))
			serve_next(&c->rq[i], c);
		drop(&c->rq[i]);
		FCGX_Free(&c->rq[i], 0);
	}
}

/*
 * SIGTERM and SIGINT stay blocked except inside ppoll(): one that comes
 * while the worker starts or serves a request is taken when it next
 * waits for work, so it can never slip in just before a wait and be
 * lost.
 */
static void
worker_signals(struct conns *c)
{
	struct sigaction sa;
	sigset_t	 stop;

	sigemptyset(&c->waitmask);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_SETMASK, &stop, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
}

/*
 * Linux's autogroup scheduling (CONFIG_SCHED_AUTOGROUP, on in Debian's
 * kernels) shares the CPUs fairly between sessions first, and a task's
 * nice weighs only against the tasks of its own session.  A hashing
 * worker at nice 10 in the master's session took a whole session's share
 * against nginx's and the clients', and the token check waited behind it
 * (bench/run, mixed case: validate p99 50-200 ms).  So a hashing worker
 * starts a session of its own (it stays the master's child, and the
 * master's death still ends it: PR_SET_PDEATHSIG) and gives that
 * session's autogroup the same nice.  Without autogroup support the file
 * is missing and the task's nice alone does the job.  The kernel takes
 * one autogroup change per 100 ms from an unprivileged process: workers
 * starting together retry.
 */
static void
hash_autogroup(int nice)
{
	const struct timespec	 pause = { 0, 50 * 1000 * 1000 };
	char			 buf[16];
	int			 fd, len, tries;
	ssize_t			 n;

	/* spawn-fcgi -F starts each worker in a session of its own already. */
	if (getsid(0) != getpid() && setsid() == -1) {
		log_debug("setsid: %s", strerror(errno));
		return;
	}
	if ((fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC)) == -1)
		return;
	len = snprintf(buf, sizeof(buf), "%d\n", nice);
	for (tries = 0; tries < 40; tries++) {
		if ((n = write(fd, buf, (size_t)len)) == len)
			break;
		if (n == -1 && errno != EAGAIN) {
			log_warn("/proc/self/autogroup");
			break;
		}
		nanosleep(&pause, NULL);
	}
	close(fd);
}

int
worker_main(int lfd, enum wclass wc, const struct config *conf)
{
	struct conns	 c;
	int		 i, fl;

	/*
	 * Large blocks (the argon2 buffer above all) come from mmap and go
	 * back to the system when freed, so a worker's RSS stays small.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	memset(&c, 0, sizeof(c));
	c.wc = wc;
	c.cfg = conf;
	worker_signals(&c);
	/* The process name ps and pgrep show (15 bytes at most). */
	prctl(PR_SET_NAME, wc == WC_HASH ? "auth.fcgi-hash" : "auth.fcgi-fast");
	/* Hashing yields the CPU to the fast path (and to nginx). */
	if (wc == WC_HASH && conf->hash_nice != 0) {
		hash_autogroup(conf->hash_nice);
		if (setpriority(PRIO_PROCESS, 0, conf->hash_nice) == -1)
			log_warn("setpriority %d", conf->hash_nice);
	}
	/*
	 * Every worker polls the listening socket and several may wake for
	 * one connection: accept must not block the losers.
	 */
	if ((fl = fcntl(lfd, F_GETFL)) == -1 ||
	    fcntl(lfd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("listening socket");
		return 1;
	}
	if (store_open(conf->database_path, conf, &c.db) == -1)
		return 1;
	if (handlers_init(conf) == -1) {
		store_close(c.db);
		return 1;
	}
	if (FCGX_Init() != 0) {
		log_warnx("FCGX_Init failed");
		handlers_free();
		store_close(c.db);
		return 1;
	}
	for (i = 0; i < CONN_MAX; i++)
		FCGX_InitRequest(&c.rq[i], lfd, FCGI_FAIL_ACCEPT_ON_INTR);
	log_info("%s worker ready", wclass_names[wc]);
	log_buffer(1);
	while (round_serve(&c, lfd) == 0)
		;
	drain_conns(&c);
	log_buffer(0);
	handlers_free();
	store_close(c.db);
	return 0;
}
