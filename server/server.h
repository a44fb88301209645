/*
 * The process side of auth.fcgi: the FastCGI adapter (fcgi.c), the
 * worker loop (worker.c) and the master (master.c).  auth.fcgi.c only
 * parses the command line, loads the configuration and finds the
 * listening sockets.
 *
 * Two worker classes share one binary and one master.  Fast workers
 * serve everything quick (validate, users/me, refresh, logout, health,
 * administration); hashing workers, started at a lower CPU priority
 * (AUTH_HASH_NICE) on a socket of their own, serve the requests that
 * run argon2 (login, register, password change and reset).  nginx
 * picks the socket by route (nginx/authd-upstream.conf).  Every worker
 * runs the whole router, so a request sent to the other class is still
 * answered correctly; the class decides the socket, the priority, and
 * whether a request that waited too long for a worker is refused.
 */
#ifndef AUTHD_SERVER_H
#define AUTHD_SERVER_H

#include <stdint.h>

#include <fcgiapp.h>

struct config;
struct req;
struct resp;
struct store;

enum wclass {
	WC_FAST,
	WC_HASH,
	WC__MAX
};

/* "fast", "hash": the class names of the command line and the logs. */
extern const char *const wclass_names[WC__MAX];

/* --- fcgi.c: FastCGI request in, response out --- */

/*
 * Fills r (zeroed first) from a FastCGI environment: method, path,
 * query, headers, request id; every value is a copy cut at its maximum
 * length.  The body is left empty.  Returns the time nginx handed the
 * request over (AUTHD_REQUEST_START, ms since the epoch), 0 when absent
 * or malformed.  Exposed for the fuzz target.
 */
int64_t	 fcgi_req_env(char **envp, struct req *r, struct store *db);
/* fcgi_req_env() on the request just accepted, then reads its body. */
int64_t	 fcgi_req_build(FCGX_Request *, struct req *, struct store *);
/* Writes the status line, headers and body of out onto the request. */
void	 fcgi_resp_write(FCGX_Request *, const struct req *, struct resp *);

/* --- worker.c --- */

/*
 * Serves requests accepted on lfd until SIGTERM or SIGINT, as a worker
 * of class wc (which sets its priority and its queue-wait policy), with
 * the configuration conf (each request carries it: r->cfg).  Opens its
 * own database connection.  Returns the exit status; conf stays the
 * caller's.
 */
int	 worker_main(int lfd, enum wclass wc, const struct config *conf);

/* --- master.c --- */

/*
 * Runs the pool: AUTH_WORKERS fast workers on lfd[WC_FAST] and
 * AUTH_HASH_WORKERS hashing workers on lfd[WC_HASH] (none when that is
 * -1: the fast workers then serve everything), each forked with the
 * configuration *conf.  Respawns dead workers with a back-off; on SIGHUP
 * loads a new configuration, swaps *conf to it (freeing the old one; a
 * configuration that fails validation is refused and *conf stays) and
 * replaces the workers one by one; drains and stops on SIGTERM or
 * SIGINT.  Returns the exit status; the caller frees *conf.
 */
int	 master_main(const int lfd[WC__MAX], struct config **conf);

#endif
