/*
 * auth.fcgi: the authd FastCGI application.
 *
 * One binary, two roles.  The master loads and checks the configuration,
 * applies migrations, then pre-forks AUTH_WORKERS workers that accept on
 * the inherited socket (fd 0 under spawn-fcgi, or its own with --listen).
 * It respawns a worker that dies (with back-off against crash loops),
 * drains and stops on SIGTERM, and replaces the workers one by one with a
 * reloaded configuration on SIGHUP.  With --single it is one plain worker,
 * for spawn-fcgi -F N.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "config.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

#define WORKERS_MAX	256
#define BACKOFF_MAX_MS	5000

static volatile sig_atomic_t	 stopping;

struct worker {
	pid_t	 pid;
	int64_t	 started_ms;
	int64_t	 respawn_at_ms;	/* when a dead slot may be refilled */
	int	 failures;	/* consecutive quick deaths */
	int	 retiring;	/* being replaced on SIGHUP */
};

static void
usage(void)
{
	fprintf(stderr, "usage: auth.fcgi [--single] [--listen PATH] "
	    "[--check]\n");
	exit(2);
}

/* ---- the worker ---- */

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * The FastCGI parameters a request uses, found in one pass over the
 * environment (FCGX_GetParam() would scan it once per name), each with
 * the most bytes a request may bring in it.
 */
enum {
	E_METHOD,
	E_PATH,
	E_DOCURI,
	E_QUERY,
	E_CTYPE,
	E_CLEN,
	E_AUTHZ,
	E_REALIP,
	E_REMOTE,
	E_UA,
	E_REQID,
	E_ORIGIN,
	E_ROLE,
	E_ACRM,
	E_ACRH,
	E__MAX
};

static const struct envname {
	const char	*name;
	size_t		 len;
	size_t		 max;
} envnames[E__MAX] = {
#define E(n, max) { n, sizeof(n) - 1, max }
	E("REQUEST_METHOD", 16),				/* E_METHOD */
	E("PATH_INFO", 2048),					/* E_PATH */
	E("DOCUMENT_URI", 2048),				/* E_DOCURI */
	E("QUERY_STRING", 4096),				/* E_QUERY */
	E("CONTENT_TYPE", 256),					/* E_CTYPE */
	E("CONTENT_LENGTH", 32),				/* E_CLEN */
	E("HTTP_AUTHORIZATION", 16384),				/* E_AUTHZ */
	E("HTTP_X_REAL_IP", 64),				/* E_REALIP */
	E("REMOTE_ADDR", 64),					/* E_REMOTE */
	E("HTTP_USER_AGENT", 512),				/* E_UA */
	E("HTTP_X_REQUEST_ID", 64),				/* E_REQID */
	E("HTTP_ORIGIN", 256),					/* E_ORIGIN */
	E("HTTP_X_REQUIRE_ROLE", 32),				/* E_ROLE */
	E("HTTP_ACCESS_CONTROL_REQUEST_METHOD", 32),		/* E_ACRM */
	E("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", 512),		/* E_ACRH */
#undef E
};

/* Fills v (borrowed from envp) with the first value of each name. */
static void
env_scan(char **envp, const char *v[E__MAX])
{
	const char	*eq;
	size_t		 n, i;

	memset(v, 0, E__MAX * sizeof(*v));
	for (; envp != NULL && *envp != NULL; envp++) {
		if ((eq = strchr(*envp, '=')) == NULL)
			continue;
		n = (size_t)(eq - *envp);
		for (i = 0; i < E__MAX; i++)
			if (envnames[i].len == n && v[i] == NULL &&
			    memcmp(envnames[i].name, *envp, n) == 0) {
				v[i] = eq + 1;
				break;
			}
	}
}

/* A copy of parameter i, cut at its maximum length, or NULL when absent or empty. */
static char *
param(const char *v[E__MAX], size_t i)
{
	if (v[i] == NULL || *v[i] == '\0')
		return NULL;
	return xstrndup(v[i], strnlen(v[i], envnames[i].max));
}

/* A request id from nginx when it is short and printable, else our own. */
static char *
request_id(const char *v)
{
	const char	*p;
	char		 id[37];

	if (v != NULL && *v != '\0' && strlen(v) <= 64) {
		for (p = v; *p != '\0'; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' &&
			    *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    *p == '-' || *p == '_'))
				break;
		if (*p == '\0')
			return xstrdup(v);
	}
	uuid_v4(id);
	return xstrdup(id);
}

/*
 * Reads the body: CONTENT_LENGTH bytes when that is at most BODY_MAX (the
 * buffer fits the body, so a GET allocates next to nothing), else up to
 * BODY_MAX.  Anything beyond is drained and flags the body as too large.
 */
static void
read_body(FCGX_Request *rq, struct req *r, const char *cl)
{
	char		 scratch[4096];
	char		*end;
	long		 want = -1;
	size_t		 cap;
	int		 n;

	if (cl != NULL && *cl != '\0') {
		want = strtol(cl, &end, 10);
		if (*end != '\0' || want < 0)
			want = -1;
	}
	if (want > BODY_MAX)
		r->body_too_large = 1;
	cap = want >= 0 && want <= BODY_MAX ? (size_t)want : BODY_MAX;
	r->body = xmalloc(cap + 1);
	while (r->bodylen < cap && (n = FCGX_GetStr(r->body + r->bodylen,
	    (int)(cap - r->bodylen), rq->in)) > 0)
		r->bodylen += (size_t)n;
	r->body[r->bodylen] = '\0';
	while ((n = FCGX_GetStr(scratch, sizeof(scratch), rq->in)) > 0)
		r->body_too_large = 1;
}

static void
req_build(FCGX_Request *rq, struct req *r, struct store *db)
{
	const char	*v[E__MAX];

	memset(r, 0, sizeof(*r));
	r->start_ms = mono_ms();
	r->db = db;
	env_scan(rq->envp, v);
	r->method_s = param(v, E_METHOD);
	r->method = method_parse(r->method_s ? r->method_s : "");
	if ((r->path = param(v, E_PATH)) == NULL)
		r->path = param(v, E_DOCURI);
	if ((r->query = param(v, E_QUERY)) == NULL)
		r->query = xstrdup("");
	if ((r->ctype = param(v, E_CTYPE)) == NULL)
		r->ctype = xstrdup("");
	r->authz = param(v, E_AUTHZ);
	if ((r->ip = param(v, E_REALIP)) == NULL &&
	    (r->ip = param(v, E_REMOTE)) == NULL)
		r->ip = xstrdup("unknown");
	r->ua = param(v, E_UA);
	r->reqid = request_id(v[E_REQID]);
	r->origin = param(v, E_ORIGIN);
	r->req_role = param(v, E_ROLE);
	r->acr_method = param(v, E_ACRM);
	r->acr_headers = param(v, E_ACRH);
	req_browser_env(r, rq->envp);
	read_body(rq, r, v[E_CLEN]);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

/* Writes a header value with any CR, LF or NUL dropped. */
static void
put_header(FCGX_Stream *o, const char *name, const char *v)
{
	FCGX_PutS(name, o);
	FCGX_PutS(": ", o);
	for (; *v != '\0'; v++)
		if (*v != '\r' && *v != '\n')
			FCGX_PutChar(*v, o);
	FCGX_PutS("\r\n", o);
}

static void
resp_write(FCGX_Request *rq, const struct req *r, struct resp *out)
{
	const char	*body = NULL;
	char		 line[64];
	size_t		 len = 0, i;

	if (out->body == NULL && out->raw == NULL && out->status != 204) {
		out->status = 500;
		resp_detail(out, 500, "Internal Server Error");
	}
	if (out->body != NULL) {
		body = json_object_to_json_string_ext(out->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		len = strlen(body);
	} else if (out->raw != NULL) {
		body = out->raw;
		len = out->rawlen;
	}
	/* libfcgi's own printf knows no %zu: format here. */
	snprintf(line, sizeof(line), "%d %s", out->status, reason(out->status));
	put_header(rq->out, "Status", line);
	if (body != NULL) {
		put_header(rq->out, "Content-Type", out->ctype ? out->ctype :
		    "application/json");
		snprintf(line, sizeof(line), "%zu", len);
		put_header(rq->out, "Content-Length", line);
	}
	put_header(rq->out, "X-Request-Id", r->reqid);
	if (out->nostore) {
		put_header(rq->out, "Cache-Control", "no-store");
		put_header(rq->out, "Pragma", "no-cache");
	}
	for (i = 0; i < out->nhdrs; i++)
		put_header(rq->out, out->hdrs[i].name, out->hdrs[i].value);
	FCGX_PutS("\r\n", rq->out);
	if (body != NULL && len > 0)
		FCGX_PutStr(body, (int)len, rq->out);
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
	sigset_t	 waitmask;	/* the mask while waiting for work */
};

/* Builds, routes and answers the request just read on rq. */
static void
serve(FCGX_Request *rq, struct store *db)
{
	struct req	r;
	struct resp	out;

	req_build(rq, &r, db);
	resp_init(&out);
	router_dispatch(&r, &out);
	resp_write(rq, &r, &out);
	resp_free(&out);
	req_free(&r);
	FCGX_Finish_r(rq);
}

/* Reads the next request on slot rq (kept connection or a new one) and serves it. */
static void
serve_next(FCGX_Request *rq, struct store *db)
{
	if (FCGX_Accept_r(rq) >= 0)
		serve(rq, db);
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

/* One round: waits for work, serves it.  -1 when stopping. */
static int
round_serve(struct conns *c, int lfd)
{
	struct pollfd	 pf[CONN_MAX + 1];
	FCGX_Request	*slot;
	int		 idx[CONN_MAX + 1], busy[CONN_MAX] = { 0 };
	int		 i, n = 1;

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
	/* SIGTERM and SIGINT are blocked but while waiting here. */
	if (ppoll(pf, (nfds_t)n, NULL, &c->waitmask) == -1) {
		if (errno == EINTR)
			return stopping ? -1 : 0;
		log_warn("poll");
		return -1;
	}
	for (i = 1; i < n; i++)
		if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			busy[idx[i]] = 1;
			serve_next(&c->rq[idx[i]], c->db);
		}
	if ((pf[0].revents & POLLIN) && (slot = free_slot(c, busy)) != NULL)
		serve_next(slot, c->db);
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
			serve_next(&c->rq[i], c->db);
		drop(&c->rq[i]);
		FCGX_Free(&c->rq[i], 0);
	}
}

static int
worker_main(int lfd)
{
	struct conns	 c;
	struct sigaction sa;
	sigset_t	 stop;
	int		 i, fl;

	/*
	 * Large blocks (the argon2 buffer above all) come from mmap and go
	 * back to the system when freed, so a worker's RSS stays small.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/*
	 * SIGTERM and SIGINT stay blocked except inside ppoll(): one that
	 * comes while the worker starts or serves a request is taken when it
	 * next waits for work, so it can never slip in just before a wait
	 * and be lost.
	 */
	memset(&c, 0, sizeof(c));
	sigemptyset(&c.waitmask);
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
	/*
	 * Every worker polls the listening socket and several may wake for
	 * one connection: accept must not block the losers.
	 */
	if ((fl = fcntl(lfd, F_GETFL)) == -1 ||
	    fcntl(lfd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("listening socket");
		return 1;
	}
	if (store_open(cfg.database_path, &c.db) == -1)
		return 1;
	if (handlers_init() == -1) {
		store_close(c.db);
		return 1;
	}
	if (FCGX_Init() != 0) {
		log_warnx("FCGX_Init failed");
		store_close(c.db);
		return 1;
	}
	for (i = 0; i < CONN_MAX; i++)
		FCGX_InitRequest(&c.rq[i], lfd, FCGI_FAIL_ACCEPT_ON_INTR);
	log_debug("worker ready");
	while (round_serve(&c, lfd) == 0)
		;
	drain_conns(&c);
	handlers_free();
	store_close(c.db);
	config_free();
	return 0;
}

/* ---- the master ---- */

static pid_t
spawn_worker(int lfd, pid_t master)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master)
			_exit(0);
		log_init("auth.fcgi-worker", cfg.debug);
		_exit(worker_main(lfd));
	}
	return pid;
}

static struct worker *
slot_of(struct worker *w, int n, pid_t pid)
{
	int	i;

	for (i = 0; i < n; i++)
		if (w[i].pid == pid)
			return &w[i];
	return NULL;
}

/* Records a death; a quick one delays the respawn with a growing back-off. */
static void
reap(struct worker *w, int n, int *retired)
{
	struct worker	*s;
	pid_t		 pid;
	int		 status;
	int64_t		 now = mono_ms(), delay;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((s = slot_of(w, n, pid)) == NULL)
			continue;
		if (s->retiring) {
			s->pid = 0;
			s->retiring = 0;
			(*retired)++;
			continue;
		}
		metrics_worker_restart();
		if (WIFSIGNALED(status))
			log_warnx("worker %d killed by signal %d", (int)pid,
			    WTERMSIG(status));
		else
			log_warnx("worker %d exited with %d", (int)pid,
			    WEXITSTATUS(status));
		s->failures = now - s->started_ms < 1000 ? s->failures + 1 : 0;
		delay = s->failures == 0 ? 0 : 100L << (s->failures > 6 ? 6 :
		    s->failures);
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		s->pid = 0;
		s->respawn_at_ms = now + delay;
	}
}

/* Fills empty slots that are due; returns ms until the next one is due, or -1. */
static int64_t
fill(struct worker *w, int n, int lfd, pid_t master)
{
	int64_t	now = mono_ms(), next = -1;
	int	i;

	for (i = 0; i < n; i++) {
		if (w[i].pid != 0)
			continue;
		if (w[i].respawn_at_ms > now) {
			if (next == -1 || w[i].respawn_at_ms - now < next)
				next = w[i].respawn_at_ms - now;
			continue;
		}
		if ((w[i].pid = spawn_worker(lfd, master)) == -1) {
			w[i].pid = 0;
			w[i].respawn_at_ms = now + 1000;
			next = 1000;
			continue;
		}
		w[i].started_ms = now;
	}
	return next;
}

/* Set when SIGTERM or SIGINT was taken, wherever the master waited. */
static int	 stop_asked;

static int
wait_signal(const sigset_t *set, int64_t ms)
{
	struct timespec	ts;
	int		sig;

	if (ms < 0)
		ms = 1000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	sig = sigtimedwait(set, NULL, &ts);
	if (sig == SIGTERM || sig == SIGINT)
		stop_asked = 1;
	return sig;
}

static int
count_alive(struct worker *w, int n)
{
	int	i, c = 0;

	for (i = 0; i < n; i++)
		c += w[i].pid != 0;
	return c;
}

static void
stop_all(struct worker *w, int n, const sigset_t *set)
{
	int	i, retired = 0;
	int64_t	deadline = mono_ms() + 30000;

	for (i = 0; i < n; i++)
		if (w[i].pid != 0) {
			w[i].retiring = 1;
			kill(w[i].pid, SIGTERM);
		}
	while (count_alive(w, n) > 0 && mono_ms() < deadline) {
		(void)wait_signal(set, 200);
		reap(w, n, &retired);
	}
	for (i = 0; i < n; i++)
		if (w[i].pid != 0)
			kill(w[i].pid, SIGKILL);
}

/*
 * SIGHUP: reload the configuration, then replace the workers one at a
 * time, each new one started before its predecessor is told to stop.
 */
static void
reload(struct worker *w, int n, int lfd, pid_t master, const sigset_t *set)
{
	struct config	 prev = cfg, next;
	char		 err[256];
	pid_t		 old;
	int		 i, retired;
	int64_t		 deadline;

	/* Load into a fresh cfg; on failure put the running one back. */
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(1, err, sizeof(err)) == -1) {
		config_free();
		cfg = prev;
		log_warnx("reload refused, keeping the running "
		    "configuration: %s", err);
		return;
	}
	next = cfg;
	cfg = prev;
	config_free();
	cfg = next;
	log_info("reloading %d workers", n);
	for (i = 0; i < n; i++) {
		if ((old = w[i].pid) == 0)
			continue;
		w[i].retiring = 1;
		kill(old, SIGTERM);
		retired = 0;
		deadline = mono_ms() + 30000;
		while (w[i].pid == old && mono_ms() < deadline) {
			(void)wait_signal(set, 100);
			reap(w, n, &retired);
		}
		if (w[i].pid == old)
			log_warnx("worker %d did not stop within 30 s", (int)old);
		if (stop_asked)
			return;		/* the master stops the rest */
		w[i].failures = 0;
		w[i].respawn_at_ms = 0;
		(void)fill(w, n, lfd, master);
	}
}

static int
master_main(int lfd)
{
	struct worker	 w[WORKERS_MAX];
	sigset_t	 set;
	pid_t		 me = getpid();
	int		 n, sig, retired = 0;
	int64_t		 next;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	n = cfg.workers > WORKERS_MAX ? WORKERS_MAX : cfg.workers;
	memset(w, 0, sizeof(w));
	log_info("master %d starting %d workers", (int)me, n);
	for (;;) {
		next = fill(w, n, lfd, me);
		sig = wait_signal(&set, next);
		if (sig == SIGHUP)
			reload(w, n, lfd, me, &set);
		if (stop_asked) {
			log_info("stopping: draining %d workers",
			    count_alive(w, n));
			stop_all(w, n, &set);
			log_info("stopped");
			return 0;
		}
		reap(w, n, &retired);
	}
}

static int
listen_socket(const char *path)
{
	int	fd;

	if (path == NULL) {
		struct stat	st;

		if (fstat(0, &st) == -1 || !S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "auth.fcgi: standard input is not a "
			    "socket: start under spawn-fcgi or use --listen "
			    "PATH\n");
			return -1;
		}
		return 0;
	}
	unlink(path);
	if ((fd = FCGX_OpenSocket(path, 128)) < 0) {
		fprintf(stderr, "auth.fcgi: cannot listen on %s\n", path);
		return -1;
	}
	if (chmod(path, 0660) == -1)
		log_warn("chmod %s", path);
	return fd;
}

int
main(int argc, char *argv[])
{
	const char	*listen_path = NULL;
	char		 err[512];
	int		 i, single = 0, check = 0, lfd, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--single") == 0)
			single = 1;
		else if (strcmp(argv[i], "--check") == 0)
			check = 1;
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen_path = argv[++i];
		else
			usage();
	}
	umask(0077);
	log_init("auth.fcgi", 0);
	if (config_load(1, err, sizeof(err)) == -1) {
		fprintf(stderr, "auth.fcgi: configuration: %s\n", err);
		return 2;
	}
	log_init(single ? "auth.fcgi-worker" : "auth.fcgi", cfg.debug);
	if (store_migrate(cfg.database_path) == -1 ||
	    spool_init(cfg.spool_dir) == -1)
		return 1;
	if (admin_bootstrap() == -1)
		return 1;
	if (check) {
		printf("configuration ok\n");
		config_free();
		return 0;
	}
	if ((lfd = listen_socket(listen_path)) == -1)
		return 1;
	(void)metrics_init(nroutes);
	if (single) {
		started_at = now_s();
		rc = worker_main(lfd);
	} else
		rc = master_main(lfd);
	config_free();
	return rc;
}
