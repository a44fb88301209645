/*
 * Configuration of SPEC §7: the environment, optionally completed from a
 * .env file (AUTH_ENV_FILE, default ./.env); real environment variables
 * win.  A bad value stops the start with a message naming the variable.
 *
 * A configuration is a value: config_load() builds a new one on the heap
 * and validates it whole, and the parts that need it are handed a
 * `const struct config *` (handlers through the request, r->cfg; the
 * mailer through struct mailer; authctl through struct ctl).  A reload
 * (SIGHUP, in the master) loads a new value beside the running one and
 * swaps the pointer; a value that fails validation is freed and the
 * running one stays.  The old value is freed once nothing uses it.
 *
 * The one part of a value that changes after the load is the key ring it
 * points to (keyring.h): workers refresh it from its file in place.
 */
#ifndef AUTHD_CONFIG_H
#define AUTHD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "pwhash.h"

struct cidr;
struct keyring;

struct config {
	char		*state_dir;		/* AUTH_STATE_DIR */
	char		*database_path;		/* DATABASE_PATH */
	/* PostgreSQL (SPEC §11): NULL = SQLite at database_path */
	char		*database_url;		/* DATABASE_URL (holds a password) */
	char		*spool_dir;		/* MAIL_SPOOL_DIR */
	unsigned char	*secret;		/* SECRET_KEY[_FILE] or generated */
	size_t		 secret_len;
	char		*algorithm;		/* ALGORITHM (HS256) */
	int64_t		 access_ttl;		/* seconds */
	int64_t		 refresh_ttl;		/* seconds */
	int64_t		 reset_ttl;		/* seconds */
	int64_t		 verify_ttl;		/* seconds */
	int64_t		 reuse_grace;		/* REFRESH_REUSE_GRACE_SECONDS */
	char		*frontend_url;
	char		*reset_url;		/* RESET_PASSWORD_URL or NULL */
	char		*captcha_url;		/* CAPTCHA_SERVICE_URL or NULL */
	char		*app_name;		/* APP_NAME */
	/* browser sign-in (SPEC §9) */
	char		*public_url;		/* PUBLIC_URL, no trailing '/' */
	char		*cookie_name;		/* SESSION_COOKIE_NAME */
	char		*cookie_domain;		/* COOKIE_DOMAIN or NULL */
	int		 cookie_secure;		/* COOKIE_SECURE: 1, 0, -1 auto */
	int64_t		 session_idle;		/* SESSION_IDLE_MINUTES, seconds */
	int64_t		 session_max;		/* SESSION_MAX_HOURS, seconds */
	int		 registration_enabled;	/* REGISTRATION_ENABLED */
	char		**redirect_hosts;	/* ALLOWED_REDIRECT_HOSTS, NULL-terminated */
	size_t		 nredirect_hosts;

	/* §6 limits; 0 switches one off */
	long		 login_max_failures;
	long		 login_failure_window;	/* seconds */
	long		 login_lockout;		/* seconds */
	long		 login_max_fail_ip_min;
	long		 register_max_ip_hour;
	long		 reset_max_account_hour;
	long		 token_attempts_ip_min;	/* TOKEN_ATTEMPTS_PER_IP_PER_MINUTE */
	long		 max_sessions_user;	/* MAX_SESSIONS_PER_USER */

	int		 require_verified;
	int		 workers;
	int		 hash_workers;		/* AUTH_HASH_WORKERS */
	int		 hash_nice;		/* AUTH_HASH_NICE */
	int		 hash_queue_timeout_ms;	/* HASH_QUEUE_TIMEOUT_MS; 0 = none */
	int		 sync_full;		/* SQLITE_SYNCHRONOUS=FULL */
	int		 busy_timeout_ms;	/* SQLITE_BUSY_TIMEOUT_MS */
	char		**cors_origins;		/* NULL-terminated */
	size_t		 ncors;

	struct pwhash_params pw;		/* ARGON2_* */

	/* mail */
	char		*mail_transport;	/* "smtp" or "file" */
	char		*outbox_dir;
	long		 mail_max_attempts;
	double		 mail_retry_scale;	/* MAIL_RETRY_SCALE: 1.0 = real delays */
	char		*smtp_host;
	long		 smtp_port;
	char		*smtp_user;
	char		*smtp_password;
	int		 smtp_starttls;
	int		 smtp_ssl_tls;
	char		*from_email;
	char		*from_name;

	/* signing keys and metrics (SPEC §10; keyring.h, metrics.h) */
	int		 key_source;		/* enum key_source */
	struct keyring	*keyring;		/* the keys in use */
	int		 metrics_enabled;	/* METRICS_ENABLED */
	struct cidr	*metrics_allow;		/* METRICS_ALLOW */
	size_t		 nmetrics_allow;

	/* first administrator */
	char		*admin_email;
	char		*admin_username;
	char		*admin_password;

	int		 debug;			/* AUTH_DEBUG */
};

/*
 * Loads a new configuration from the environment and the .env file.
 * Returns it (config_free()), or NULL with a message naming the variable
 * in err.  need_secret: load or generate the key (the mailer does not
 * need it).  Another configuration already loaded is left as it is.
 */
struct config *config_load(int need_secret, char *err, size_t errlen);
/*
 * A reload: loads a new configuration and swaps *cur to it.  0 with the
 * previous value in *old, for the caller to free once nothing uses it
 * (a holder of the old pointer sees the old values until it asks for
 * *cur again); -1 with err naming the variable when the new one fails
 * validation (*cur stays, *old is NULL).
 */
int	 config_reload(struct config **cur, struct config **old,
	    int need_secret, char *err, size_t errlen);
void	 config_free(struct config *);

/*
 * Reads a .env file and sets each variable that is not already in the
 * environment.  Returns 0, 1 when the file does not exist, -1 with err
 * on a malformed line.  Exposed for tests and the fuzzer.
 */
int	 env_file_load(const char *path, char *err, size_t errlen);
/*
 * Parses one .env line.  Returns 1 with allocated *key and *val, 0 for a
 * blank or comment line, -1 when malformed.
 */
int	 env_line_parse(const char *line, size_t len, char **key, char **val);

#endif
