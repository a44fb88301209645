/*
 * The request and response of one HTTP exchange as handlers see them,
 * independent of FastCGI.  The worker loop copies what it needs out of
 * the FastCGI environment into a struct req (libfcgi frees its
 * environment at the next accept) and turns a struct resp into bytes.
 *
 * Ownership: everything reachable from a req or resp belongs to it and is
 * released by req_free()/resp_free() at the end of the request.
 */
#ifndef AUTHD_HTTP_H
#define AUTHD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

struct body_field;
struct config;
struct fval;
struct json_object;
struct store;
struct user;

#define BODY_MAX	(64 * 1024)
#define RESP_HDR_MAX	16

enum method {
	M_GET,
	M_POST,
	M_PUT,
	M_PATCH,
	M_DELETE,
	M_OPTIONS,
	M_HEAD,
	M_OTHER,
	M__MAX
};

struct req {
	enum method	 method;
	char		*method_s;	/* as received */
	char		*path;		/* PATH_INFO (or DOCUMENT_URI) */
	char		*query;		/* QUERY_STRING, never NULL */
	char		*ctype;		/* CONTENT_TYPE, never NULL */
	char		*authz;		/* HTTP_AUTHORIZATION or NULL */
	char		*ip;		/* X-Real-IP else REMOTE_ADDR */
	char		*ua;		/* User-Agent or NULL */
	char		*reqid;		/* X-Request-Id or generated */
	char		*origin;	/* Origin or NULL */
	char		*req_role;	/* X-Require-Role or NULL */
	char		*acr_method;	/* Access-Control-Request-Method */
	char		*acr_headers;	/* Access-Control-Request-Headers */
	char		*body;		/* NUL-terminated, may hold NULs */
	size_t		 bodylen;
	int		 body_too_large;

	char		*params[2];	/* path parameters, from the router */
	struct json_object *json;	/* parsed body (handlers never read it raw) */
	/* The route's declared body fields and their values (the router's). */
	const struct body_field *fields;
	struct fval	*fv;
	size_t		 nfields;

	struct store	*db;		/* this worker's store */
	const struct config *cfg;	/* the configuration in use */
	struct user	*user;		/* the caller, for authenticated routes */
	struct jwt_claims claims;	/* the caller's verified access token */
	struct json_object *token;	/* the caller's decoded token payload */
	const char	*route;		/* the matched pattern, for the log */
	int64_t		 start_ms;

	/* Browser sign-in (SPEC §9), filled by req_browser_env(). */
	char		*cookie;	/* Cookie header or NULL */
	char		*referer;	/* Referer or NULL */
	char		*host;		/* Host or NULL */
	char		*fetch_site;	/* Sec-Fetch-Site or NULL */
	char		*original_url;	/* X-Authd-Original-URL (set by nginx) */
	int		 api_client;	/* Accept names application/json */
	int		 https;		/* HTTPS=on or X-Forwarded-Proto: https */
	int		 cookie_ok;	/* auth_check may use the session cookie */
	int		 browser;	/* logins answer with a browser session */
	char		 sid[37];	/* the browser session auth_check found */
};

struct resp_hdr {
	const char	*name;		/* static */
	char		*value;		/* owned */
};

struct resp {
	int		 status;
	struct json_object *body;	/* owned; NULL for no body */
	char		*raw;		/* owned raw body instead of JSON */
	size_t		 rawlen;
	const char	*ctype;		/* static; default application/json */
	struct resp_hdr	 hdrs[RESP_HDR_MAX];
	size_t		 nhdrs;
	int		 nostore;	/* Cache-Control: no-store, Pragma: no-cache */
};

/*
 * Copies into r what browser sign-in needs from a FastCGI environment
 * (Cookie, Referer, Host, Sec-Fetch-Site, HTTPS, X-Forwarded-Proto,
 * Accept, X-Authd-Original-URL), in
 * one pass; envp is borrowed, everything kept is copied.
 */
void	 req_browser_env(struct req *r, char *const *envp);

enum method	 method_parse(const char *);
const char	*method_name(enum method);

void	 req_free(struct req *);
void	 resp_init(struct resp *);
void	 resp_free(struct resp *);

/* Adds a header; name must be static.  Extra headers past the limit are dropped (logged). */
void	 resp_header(struct resp *, const char *name, const char *value);
void	 resp_headerf(struct resp *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Sets status and a JSON body (ownership taken); returns status. */
int	 resp_json(struct resp *, int status, struct json_object *);
/* {"detail": msg}; returns status. */
int	 resp_detail(struct resp *, int status, const char *msg);
/* {"message": msg}; returns status. */
int	 resp_message(struct resp *, int status, const char *msg);
/* 401 "Could not validate credentials" with WWW-Authenticate: Bearer. */
int	 resp_unauthorized(struct resp *, const char *msg);
/*
 * Maps a store error to the SPEC's answer: STORE_EBUSY 503 DB_LOCKED,
 * STORE_EUNAVAIL 503 DB_UNAVAILABLE (both with Retry-After: 1), any
 * other 500 DB_ERROR.
 */
int	 resp_store_error(struct resp *, int rc);
/*
 * When a throttled attempt cannot be recorded (a full disk, say): 503
 * DB_UNWRITABLE with Retry-After, or resp_store_error()'s 503 when busy
 * or unavailable.  The limits fail closed: nothing is verified that could
 * not be counted.
 */
int	 resp_store_unwritable(struct resp *, int rc);
/* 429 with Retry-After. */
int	 resp_too_many(struct resp *, long retry_after);
/* 204, no body. */
int	 resp_empty(struct resp *, int status);

/*
 * A query parameter, decoded into an allocated *out: 1 present, 0 absent,
 * -1 present but not decodable (bad %-escape, NUL, not UTF-8).
 */
int	 query_param(const char *query, const char *name, char **out);
/* The decoded value, or NULL when absent or not decodable. */
char	*query_get(const char *query, const char *name);

/*
 * Decodes application/x-www-form-urlencoded bytes into a JSON object of
 * strings (the last value of a repeated key wins).  Returns the object,
 * or NULL when the bytes are malformed (bad %-escape, NUL byte, a key or
 * value that is not UTF-8).
 */
struct json_object *form_decode(const char *, size_t);

/*
 * Extracts the token from an Authorization value, tolerating what real
 * clients send: any case of "bearer", "Bearer%20", a repeated "Bearer ",
 * surrounding quotes and white space.  Returns an allocated token or NULL.
 */
char	*bearer_parse(const char *);

#endif
