/*
 * Metrics of SPEC §10, summed over all workers.
 *
 * The counters live in one MAP_SHARED anonymous block that the master
 * maps before it forks the workers (metrics_init()), so every worker
 * and every respawned worker adds to the same totals.  Updates are
 * relaxed atomic additions: no lock on the request path, no system
 * call.  Under --single (spawn-fcgi -F N, no master) each process maps
 * its own block: the figures are per process.  With METRICS_ENABLED
 * false nothing is mapped, every update is a no-op and /metrics is 404.
 *
 * The mailer is a separate process: it keeps its running totals in the
 * small file <spool>/mailer.stats (metrics_mail_stats_write()), which
 * /metrics reads; the messages by spool state are counted from the
 * spool's directories at each scrape.
 */
#ifndef AUTHD_METRICS_H
#define AUTHD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct config;

/* One address range of METRICS_ALLOW. */
struct cidr {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};

enum metric {
	MET_LOGIN_SUCCESS,
	MET_LOGIN_FAILURE,
	MET_LOGIN_LOCKED,
	MET_LOGIN_UNVERIFIED,
	MET_REGISTRATION,
	MET_REFRESH_SUCCESS,
	MET_REFRESH_INVALID,
	MET_REFRESH_REUSE,
	MET_LOCKOUT,
	MET_DB_BUSY,
	MET_WORKER_RESTART,
	MET_HASH_QUEUE_TIMEOUT,
	MET__MAX
};

/* Spool states counted for /metrics and /health/ready. */
enum spool_state {
	SPOOL_NEW,
	SPOOL_CUR,
	SPOOL_RETRY,
	SPOOL_FAILED,
	SPOOL__MAX
};
extern const char *const spool_state_names[SPOOL__MAX];

/* What a scrape adds to the counters: read at each scrape. */
struct metrics_gauges {
	int		 users_ok;
	int64_t		 users[4];	/* active, unverified, deactivated, deleted */
	int		 spool_ok;
	long		 spool[SPOOL__MAX];
	int		 mail_ok;
	uint64_t	 mail_sent, mail_failed, mail_retried;
};

/*
 * Maps the shared block for nroutes routes (plus one slot for requests
 * that matched none), when conf->metrics_enabled.  Called once, before
 * the first fork.  0, or -1 (logged; the service runs without metrics).
 */
int	 metrics_init(const struct config *conf, size_t nroutes);
/* 1 when metrics are collected (the block is mapped). */
int	 metrics_on(void);

/* Adds one to a counter. */
void	 metrics_count(enum metric);
/* The master noticed a worker that died (not one it retired). */
void	 metrics_worker_restart(void);
/*
 * One answered request: route index (nroutes: none matched), method
 * (enum method), HTTP status and its duration in microseconds.
 */
void	 metrics_request(size_t route, int method, int status, int64_t us);
/* Monotonic microseconds, for request durations. */
int64_t	 metrics_now_us(void);

/*
 * The Prometheus text exposition of every family.  route_labels names
 * the nroutes routes (their patterns) and methods the route's method
 * (enum method) for each; g adds what is read at the scrape.  Returns
 * the allocated text, its length in *len.
 */
char	*metrics_render(const char *const *route_labels, const int *methods,
	    const struct metrics_gauges *g, size_t *len);

/*
 * Parses a METRICS_ALLOW list ("127.0.0.0/8,::1,10.1.2.3"): allocated
 * array in *out, count in *n.  0, or -1 on a bad entry (nothing kept).
 */
int	 metrics_allow_parse(const char *, struct cidr **out, size_t *n);
/* 1 when the textual address ip falls in one of the ranges. */
int	 metrics_allowed(const struct cidr *, size_t n, const char *ip);

/* Counts the message files of each spool state.  0, or -1 when a directory cannot be read. */
int	 metrics_spool_counts(const char *spool_dir, long counts[SPOOL__MAX]);
/* The mailer's totals file: read (0, -1 when absent or malformed) and written atomically. */
int	 metrics_mail_stats_read(const char *spool_dir, uint64_t *sent,
	    uint64_t *failed, uint64_t *retried);
int	 metrics_mail_stats_write(const char *spool_dir, uint64_t sent,
	    uint64_t failed, uint64_t retried);

#endif
