/*
 * The worker loop: accept FastCGI requests, build a struct req, route
 * it, write the answer, free everything.  One request at a time.
 */
#include <sys/epoll.h>
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
 * nginx keeps connections alive (fastcgi_keep_conn), and a worker waits
 * (epoll) on every connection it holds together with the listening
 * socket, serving whichever has a request.  So an idle kept connection
 * never pins a worker while requests wait on a new one, and under load
 * requests flow over kept connections without a connect/accept/close
 * each.
 */
#define CONN_MAX	32
#define LISTENER	CONN_MAX	/* epoll's data of the listening socket */

struct conns {
	FCGX_Request	 rq[CONN_MAX];
	int		 watched[CONN_MAX];	/* the fd epoll has of rq[i], or -1 */
	int		 ep;		/* epoll: the listener and every rq[i] */
	int		 lfd;		/* the listening socket */
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

/*
 * Reads the next request on slot rq (its kept connection, or a new one
 * when it has none) and serves it.  libfcgi, finding a kept connection
 * closed, would accept a new one in its place, likely under the same
 * descriptor number, which epoll no longer watches (a close leaves the
 * set): a slot with a connection is given no listening socket, so its
 * descriptor only ever goes away, and a new one comes only into an
 * empty slot (watch()).
 */
static void
serve_next(FCGX_Request *rq, struct conns *c)
{
	rq->listen_sock = rq->ipcFd >= 0 ? -1 : c->lfd;
	if (FCGX_Accept_r(rq) >= 0)
		serve(rq, c);
}

/*
 * Keeps epoll's set equal to the slots' connections after slot i was
 * served: a connection libfcgi closed left the set with its close(), a
 * new one (accepted into the slot) joins it.
 */
static void
watch(struct conns *c, int i)
{
	struct epoll_event	ev;
	int			fd = c->rq[i].ipcFd;

	if (c->watched[i] == fd)
		return;		/* the same connection (serve_next()) */
	c->watched[i] = -1;
	if (fd < 0)
		return;		/* closed: gone from the set with it */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)i;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		/* Unwatched, it would never be served: close it (nginx retries). */
		log_warn("epoll_ctl");
		close(fd);
		c->rq[i].ipcFd = -1;
		return;
	}
	c->watched[i] = fd;
}

static void
drop(struct conns *c, int i)
{
	if (c->rq[i].ipcFd >= 0) {
		close(c->rq[i].ipcFd);
		c->rq[i].ipcFd = -1;
	}
	c->watched[i] = -1;
}

/*
 * A slot for a new connection: a free one, else one whose connection was
 * idle in this poll round (closed; nginx reconnects).  NULL when every
 * connection had a request: this worker is busy and others may accept.
 */
static int
free_slot(struct conns *c, const int *busy)
{
	int	i;

	for (i = 0; i < CONN_MAX; i++)
		if (c->rq[i].ipcFd < 0)
			return i;
	for (i = 0; i < CONN_MAX; i++)
		if (!busy[i]) {
			drop(c, i);
			return i;
		}
	return -1;
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
wait_work(struct conns *c, struct epoll_event *ev, int max)
{
	int	ready;

	ready = epoll_pwait(c->ep, ev, max, 0, &c->waitmask);
	if (ready == 0 || mono_ms() - c->flushed_ms >= LOG_FLUSH_MS) {
		log_flush();
		c->flushed_ms = mono_ms();
	}
	if (ready == 0)
		ready = epoll_pwait(c->ep, ev, max, -1, &c->waitmask);
	if (ready == -1) {
		if (errno == EINTR && !stopping)
			return 0;
		if (errno != EINTR)
			log_warn("epoll_wait");
		return -1;
	}
	return ready;
}

/*
 * One round: waits for work, serves it.  -1 when stopping.  epoll rather
 * than poll: a worker holds up to CONN_MAX connections, and poll() looked
 * at each of them on every round (a tenth of a validate's CPU time).
 */
static int
round_serve(struct conns *c)
{
	struct epoll_event ev[CONN_MAX + 1];
	int		 busy[CONN_MAX] = { 0 };
	int		 i, n, slot, listener = 0;

	if (stopping)
		return -1;
	if ((n = wait_work(c, ev, CONN_MAX + 1)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == LISTENER) {
			listener = 1;
			continue;
		}
		slot = (int)ev[i].data.u32;
		busy[slot] = 1;
		serve_next(&c->rq[slot], c);
		watch(c, slot);
	}
	if (listener && (slot = free_slot(c, busy)) >= 0) {
		serve_next(&c->rq[slot], c);
		watch(c, slot);
	}
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
		drop(c, i);
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

/* An epoll set with the listening socket in it: the set, or -1 (logged). */
static int
listen_epoll(int lfd)
{
	struct epoll_event	ev;
	int			ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("epoll_create1");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = LISTENER;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
		log_warn("epoll_ctl listener");
		close(ep);
		return -1;
	}
	return ep;
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
	for (i = 0; i < CONN_MAX; i++) {
		FCGX_InitRequest(&c.rq[i], lfd, FCGI_FAIL_ACCEPT_ON_INTR);
		c.watched[i] = -1;
	}
	c.lfd = lfd;
	if ((c.ep = listen_epoll(lfd)) == -1) {
		handlers_free();
		store_close(c.db);
		return 1;
	}
	log_info("%s worker ready", wclass_names[wc]);
	log_buffer(1);
	while (round_serve(&c) == 0)
		;
	drain_conns(&c);
	close(c.ep);
	log_buffer(0);
	handlers_free();
	store_close(c.db);
	return 0;
}
