/*
 * Metrics: the shared counter block, its Prometheus rendering, the
 * METRICS_ALLOW ranges, and the mail figures read from the spool.
 * See metrics.h.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#ifndef AUTHD_BUILD_VERSION
#define AUTHD_BUILD_VERSION	"0.1.0"
#endif

/* The statuses counted by their code; any other is counted as "other". */
static const int statuses[] = {
	200, 201, 202, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 409,
	413, 422, 429, 500, 502, 503, 504,
};
#define NSTATUS	(sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Upper bounds of the duration buckets, in microseconds (+Inf last). */
static const int64_t buckets_us[] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
#define NBUCKET	(sizeof(buckets_us) / sizeof(buckets_us[0]) + 1)

const char *const spool_state_names[SPOOL__MAX] = {
	"new",		/* SPOOL_NEW */
	"cur",		/* SPOOL_CUR */
	"retry",	/* SPOOL_RETRY */
	"failed",	/* SPOOL_FAILED */
};

/*
 * The shared block.  counters[] first, then for each route slot
 * (nroutes + 1): M__MAX x NSTATUS request counts, NBUCKET bucket counts
 * (not cumulative) and the sum of durations in microseconds.
 */
struct shm {
	uint64_t	 counters[MET__MAX];
	uint64_t	 nroutes;
	uint64_t	 data[];
};

#define SLOT_WORDS	(M__MAX * NSTATUS + NBUCKET + 1)

/* The mapping: set once before fork, read-only afterwards. */
static struct shm	*shm;
static size_t		 shm_size;

int
metrics_init(const struct config *conf, size_t nroutes)
{
	void	*p;

	if (!conf->metrics_enabled || shm != NULL)
		return 0;
	shm_size = sizeof(struct shm) + (nroutes + 1) * SLOT_WORDS *
	    sizeof(uint64_t);
	p = mmap(NULL, shm_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("metrics: mmap of %zu bytes", shm_size);
		return -1;
	}
	shm = p;
	shm->nroutes = nroutes;
	return 0;
}

int
metrics_on(void)
{
	return shm != NULL;
}

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_count(enum metric m)
{
	if (shm != NULL && m < MET__MAX)
		add(&shm->counters[m], 1);
}

void
metrics_worker_restart(void)
{
	metrics_count(MET_WORKER_RESTART);
}

int64_t
metrics_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t
status_index(int status)
{
	size_t	i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

static uint64_t *
slot(size_t route)
{
	return &shm->data[route * SLOT_WORDS];
}

void
metrics_request(size_t route, int method, int status, int64_t us)
{
	uint64_t	*s;
	size_t		 b;

	if (shm == NULL)
		return;
	if (route > shm->nroutes)
		route = shm->nroutes;
	if (method < 0 || method >= M__MAX)
		method = M_OTHER;
	if (us < 0)
		us = 0;
	s = slot(route);
	add(&s[(size_t)method * NSTATUS + status_index(status)], 1);
	for (b = 0; b < NBUCKET - 1 && us > buckets_us[b]; b++)
		;
	add(&s[M__MAX * NSTATUS + b], 1);
	add(&s[M__MAX * NSTATUS + NBUCKET], (uint64_t)us);
}

/* ---- rendering ---- */

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
counter(FILE *f, const char *name, const char *help, const char *label,
    const char *const *values, const enum metric *ms, size_t n)
{
	size_t	i;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++) {
		if (label != NULL)
			fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label,
			    values[i], get(&shm->counters[ms[i]]));
		else
			fprintf(f, "%s %" PRIu64 "\n", name,
			    get(&shm->counters[ms[i]]));
	}
}

static const char *
route_label(const char *const *labels, size_t r)
{
	return r == shm->nroutes ? "unmatched" : labels[r];
}

/* The non-zero request counts of route slot r. */
static void
requests_of(FILE *f, const char *const *labels, const int *methods, size_t r)
{
	const uint64_t	*s = slot(r);
	uint64_t	 v;
	size_t		 m, st;
	char		 code[8];
	int		 meth;

	for (m = 0; m < M__MAX; m++)
		for (st = 0; st < NSTATUS; st++) {
			if ((v = get(&s[m * NSTATUS + st])) == 0)
				continue;
			if (st == NSTATUS - 1)
				snprintf(code, sizeof(code), "other");
			else
				snprintf(code, sizeof(code), "%d", statuses[st]);
			meth = r < shm->nroutes ? methods[r] : (int)m;
			fprintf(f, "authd_http_requests_total{route=\"%s\","
			    "method=\"%s\",status=\"%s\"} %" PRIu64 "\n",
			    route_label(labels, r), method_name(meth), code, v);
		}
}

static void
requests(FILE *f, const char *const *labels, const int *methods)
{
	size_t	r;

	family(f, "authd_http_requests_total", "counter",
	    "HTTP requests answered, by route pattern, method and status.");
	for (r = 0; r <= shm->nroutes; r++)
		requests_of(f, labels, methods, r);
}

/* Adds the duration slots of every route labelled like route r into acc. */
static void
durations_of(const char *const *labels, size_t r, uint64_t acc[NBUCKET + 1])
{
	const uint64_t	*s;
	size_t		 o, b;

	memset(acc, 0, (NBUCKET + 1) * sizeof(*acc));
	for (o = r; o <= shm->nroutes; o++) {
		if (o != r && (o == shm->nroutes || r == shm->nroutes ||
		    strcmp(labels[o], labels[r]) != 0))
			continue;
		s = slot(o) + M__MAX * NSTATUS;
		for (b = 0; b <= NBUCKET; b++)
			acc[b] += get(&s[b]);
	}
}

/* 1 when an earlier route has the same label (its histogram holds r's). */
static int
label_seen(const char *const *labels, size_t r)
{
	size_t	o;

	for (o = 0; r < shm->nroutes && o < r; o++)
		if (strcmp(labels[o], labels[r]) == 0)
			return 1;
	return 0;
}

static void
durations(FILE *f, const char *const *labels)
{
	uint64_t	 acc[NBUCKET + 1], cum, n;
	size_t		 r, b;
	const char	*name = "authd_http_request_duration_seconds";

	family(f, name, "histogram", "Time from routing a request to its "
	    "answer being ready, by route pattern.");
	for (r = 0; r <= shm->nroutes; r++) {
		if (label_seen(labels, r))
			continue;
		durations_of(labels, r, acc);
		for (b = 0, n = 0; b < NBUCKET; b++)
			n += acc[b];
		if (n == 0)
			continue;
		/* The count is the sum of the buckets as read: consistent. */
		for (b = 0, cum = 0; b < NBUCKET - 1; b++) {
			cum += acc[b];
			fprintf(f, "%s_bucket{route=\"%s\",le=\"%g\"} %" PRIu64
			    "\n", name, route_label(labels, r),
			    (double)buckets_us[b] / 1e6, cum);
		}
		fprintf(f, "%s_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
		    name, route_label(labels, r), n);
		fprintf(f, "%s_sum{route=\"%s\"} %.6f\n", name,
		    route_label(labels, r), (double)acc[NBUCKET] / 1e6);
		fprintf(f, "%s_count{route=\"%s\"} %" PRIu64 "\n", name,
		    route_label(labels, r), n);
	}
}

static void
gauges(FILE *f, const struct metrics_gauges *g)
{
	static const char *const ustate[4] = {
		"active", "unverified", "deactivated", "deleted",
	};
	size_t	i;

	if (g->users_ok) {
		family(f, "authd_users", "gauge", "Accounts by state (active: "
		    "verified email; unverified: active, email not verified).");
		for (i = 0; i < 4; i++)
			fprintf(f, "authd_users{state=\"%s\"} %" PRId64 "\n",
			    ustate[i], g->users[i]);
	}
	if (g->spool_ok) {
		family(f, "authd_mail_messages", "gauge",
		    "Mail messages in the spool, by state (directory).");
		for (i = 0; i < SPOOL__MAX; i++)
			fprintf(f, "authd_mail_messages{state=\"%s\"} %ld\n",
			    spool_state_names[i], g->spool[i]);
	}
	family(f, "authd_mail_sent_total", "counter",
	    "Mail messages the mailer delivered.");
	fprintf(f, "authd_mail_sent_total %" PRIu64 "\n", g->mail_sent);
	family(f, "authd_mail_failed_total", "counter",
	    "Mail messages the mailer gave up on (moved to failed/).");
	fprintf(f, "authd_mail_failed_total %" PRIu64 "\n", g->mail_failed);
	family(f, "authd_mail_attempt_failures_total", "counter",
	    "Delivery attempts that failed and were scheduled again.");
	fprintf(f, "authd_mail_attempt_failures_total %" PRIu64 "\n",
	    g->mail_retried);
}

char *
metrics_render(const char *const *route_labels, const int *methods,
    const struct metrics_gauges *g, size_t *len)
{
	static const char *const login_res[] = {
		"success", "failure", "locked", "unverified",
	};
	static const enum metric login_m[] = {
		MET_LOGIN_SUCCESS, MET_LOGIN_FAILURE, MET_LOGIN_LOCKED,
		MET_LOGIN_UNVERIFIED,
	};
	static const char *const refresh_res[] = { "success", "invalid" };
	static const enum metric refresh_m[] = {
		MET_REFRESH_SUCCESS, MET_REFRESH_INVALID,
	};
	enum metric	 m;
	FILE		*f;
	char		*buf = NULL;

	*len = 0;
	if (shm == NULL || (f = open_memstream(&buf, len)) == NULL)
		return NULL;
	family(f, "authd_build_info", "gauge", "The running build.");
	fprintf(f, "authd_build_info{version=\"%s\"} 1\n", AUTHD_BUILD_VERSION);
	requests(f, route_labels, methods);
	durations(f, route_labels);
	counter(f, "authd_logins_total", "Sign-in attempts by result.",
	    "result", login_res, login_m, 4);
	m = MET_REGISTRATION;
	counter(f, "authd_registrations_total", "Accounts registered.", NULL,
	    NULL, &m, 1);
	counter(f, "authd_refreshes_total", "Token refreshes by result.",
	    "result", refresh_res, refresh_m, 2);
	m = MET_REFRESH_REUSE;
	counter(f, "authd_refresh_reuse_detections_total", "Spent refresh "
	    "tokens presented again (their session revoked).", NULL, NULL, &m,
	    1);
	m = MET_LOCKOUT;
	counter(f, "authd_lockouts_total", "Accounts locked after too many "
	    "failed sign-ins.", NULL, NULL, &m, 1);
	m = MET_DB_BUSY;
	counter(f, "authd_db_busy_total", "Answers 503 DB_LOCKED (database "
	    "busy past the busy timeout).", NULL, NULL, &m, 1);
	m = MET_WORKER_RESTART;
	counter(f, "authd_worker_restarts_total", "Workers that died and were "
	    "started again by the master.", NULL, NULL, &m, 1);
	m = MET_HASH_QUEUE_TIMEOUT;
	counter(f, "authd_hash_queue_timeouts_total", "Hashing requests "
	    "answered 503 after waiting longer than HASH_QUEUE_TIMEOUT_MS for "
	    "a hashing worker.", NULL, NULL, &m, 1);
	gauges(f, g);
	if (fclose(f) != 0) {
		free(buf);
		*len = 0;
		return NULL;
	}
	return buf;
}

/* ---- METRICS_ALLOW ---- */

/* Parses an address; an IPv4-mapped IPv6 address counts as IPv4. */
static int
addr_parse(const char *s, int *af, unsigned char a[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*af = AF_INET6;
		if (memcmp(a, mapped, 12) == 0) {
			memmove(a, a + 12, 4);
			memset(a + 4, 0, 12);
			*af = AF_INET;
		}
		return 0;
	}
	return -1;
}

static int
cidr_parse(const char *s, size_t n, struct cidr *c)
{
	char	 buf[64], *slash, *end;
	long	 bits;
	int	 max;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (addr_parse(buf, &c->af, c->addr) == -1)
		return -1;
	max = c->af == AF_INET ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 || bits < 0 ||
		    bits > max)
			return -1;
	}
	c->bits = (int)bits;
	return 0;
}

int
metrics_allow_parse(const char *list, struct cidr **out, size_t *n)
{
	struct cidr	*v = NULL;
	const char	*p, *c;
	size_t		 k = 0, len;

	*out = NULL;
	*n = 0;
	for (p = list;; p = c + 1) {
		c = strchr(p, ',');
		len = c != NULL ? (size_t)(c - p) : strlen(p);
		v = xrealloc(v, (k + 1) * sizeof(*v));
		if (cidr_parse(p, len, &v[k]) == -1) {
			free(v);
			return -1;
		}
		k++;
		if (c == NULL)
			break;
	}
	*out = v;
	*n = k;
	return 0;
}

static int
in_range(const struct cidr *c, const unsigned char a[16])
{
	int	full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

int
metrics_allowed(const struct cidr *v, size_t n, const char *ip)
{
	unsigned char	a[16];
	size_t		i;
	int		af;

	if (ip == NULL || addr_parse(ip, &af, a) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].af == af && in_range(&v[i], a))
			return 1;
	return 0;
}

/* ---- the spool's figures ---- */

int
metrics_spool_counts(const char *spool_dir, long counts[SPOOL__MAX])
{
	struct dirent	*e;
	DIR		*d;
	char		*path;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < SPOOL__MAX; i++) {
		counts[i] = 0;
		path = xasprintf("%s/%s", spool_dir, spool_state_names[i]);
		d = opendir(path);
		free(path);
		if (d == NULL) {
			rc = -1;
			continue;
		}
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				counts[i]++;
		closedir(d);
	}
	return rc;
}

#define MAIL_STATS	"mailer.stats"

int
metrics_mail_stats_read(const char *spool_dir, uint64_t *sent,
    uint64_t *failed, uint64_t *retried)
{
	char		*path = xasprintf("%s/" MAIL_STATS, spool_dir);
	unsigned long long s, f, r;
	FILE		*fp;
	int		 rc = -1;

	*sent = *failed = *retried = 0;
	if ((fp = fopen(path, "re")) != NULL) {
		if (fscanf(fp, "sent %llu failed %llu retried %llu", &s, &f,
		    &r) == 3) {
			*sent = s;
			*failed = f;
			*retried = r;
			rc = 0;
		}
		fclose(fp);
	}
	free(path);
	return rc;
}

int
metrics_mail_stats_write(const char *spool_dir, uint64_t sent,
    uint64_t failed, uint64_t retried)
{
	char	*path = xasprintf("%s/" MAIL_STATS, spool_dir);
	char	*tmp = xasprintf("%s/." MAIL_STATS ".tmp", spool_dir);
	char	 line[96];
	int	 fd, n, rc = -1;

	n = snprintf(line, sizeof(line), "sent %" PRIu64 " failed %" PRIu64
	    " retried %" PRIu64 "\n", sent, failed, retried);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		goto done;
	if (write(fd, line, (size_t)n) != n) {
		close(fd);
		goto done;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1)
		goto done;
	rc = 0;
done:
	if (rc == -1) {
		log_warn("mailer: cannot write %s", path);
		(void)unlink(tmp);
	}
	free(tmp);
	free(path);
	return rc;
}
