/*
 * Configuration from the environment and an optional .env file.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "config.h"
#include "keyring.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/*
 * The variables a .env file put into the environment, so that a reload
 * (SIGHUP) reads the file afresh instead of taking its old values for
 * real environment variables.
 */
static char	**file_keys;
static size_t	  nfile_keys;

static void
file_keys_forget(void)
{
	size_t	i;

	for (i = 0; i < nfile_keys; i++) {
		unsetenv(file_keys[i]);
		free(file_keys[i]);
	}
	free(file_keys);
	file_keys = NULL;
	nfile_keys = 0;
}

static int
is_key_char(int c, int first)
{
	return c == '_' || isupper(c) || islower(c) || (!first && isdigit(c));
}

int
env_line_parse(const char *line, size_t len, char **key, char **val)
{
	size_t		 i = 0, ks, ke, vs, ve;
	char		 q;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#' || line[i] == '\r')
		return 0;
	if (len - i > 7 && strncmp(line + i, "export ", 7) == 0)
		i += 7;
	ks = i;
	if (!is_key_char((unsigned char)line[i], 1))
		return -1;
	while (i < len && is_key_char((unsigned char)line[i], 0))
		i++;
	ke = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '=')
		return -1;
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && (line[i] == '"' || line[i] == '\'')) {
		q = line[i++];
		vs = i;
		while (i < len && line[i] != q)
			i++;
		if (i == len)
			return -1;
		ve = i++;
		while (i < len && (line[i] == ' ' || line[i] == '\t' ||
		    line[i] == '\r'))
			i++;
		if (i < len && line[i] != '#')
			return -1;
	} else {
		vs = i;
		while (i < len && line[i] != '#')
			i++;
		ve = i;
		while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t' ||
		    line[ve - 1] == '\r'))
			ve--;
	}
	if (memchr(line + vs, '\0', ve - vs) != NULL)
		return -1;
	*key = xstrndup(line + ks, ke - ks);
	*val = xstrndup(line + vs, ve - vs);
	return 1;
}

int
env_file_load(const char *path, char *err, size_t errlen)
{
	FILE	*f;
	char	*line = NULL, *key, *val;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, rc = 0, r;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "AUTH_ENV_FILE: cannot open %s: %s",
		    path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if ((r = env_line_parse(line, (size_t)n, &key, &val)) < 0) {
			snprintf(err, errlen, "AUTH_ENV_FILE: %s line %d is "
			    "not KEY=VALUE", path, lineno);
			rc = -1;
			break;
		}
		if (r == 0)
			continue;
		if (getenv(key) == NULL && setenv(key, val, 0) == 0) {
			file_keys = xrealloc(file_keys, (nfile_keys + 1) *
			    sizeof(char *));
			file_keys[nfile_keys++] = key;
			key = NULL;
		}
		free(key);
		free_secret(val);
	}
	free(line);
	fclose(f);
	return rc;
}

/* The value of a variable, NULL when unset or empty. */
static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static char *
env_str(const char *name, const char *def)
{
	const char	*v = env(name);

	if (v != NULL)
		return xstrdup(v);
	return def != NULL ? xstrdup(def) : NULL;
}

static int
env_long(const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen)
{
	const char	*v = env(name);
	char		*end;
	long		 l;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || l < min || l > max) {
		snprintf(err, errlen, "%s: must be an integer from %ld to %ld",
		    name, min, max);
		return -1;
	}
	*out = l;
	return 0;
}

static int
env_bool(const char *name, int def, int *out, char *err, size_t errlen)
{
	const char	*v = env(name);

	if (v == NULL)
		*out = def;
	else if (!strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0") ||
	    !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		*out = 0;
	else {
		snprintf(err, errlen, "%s: must be true or false", name);
		return -1;
	}
	return 0;
}

static int
url_ok(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

static int
mkdir_private(const char *path, char *err, size_t errlen, const char *var)
{
	struct stat	st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create %s: %s", var, path,
		    strerror(errno));
		return -1;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a directory", var, path);
		return -1;
	}
	if ((st.st_mode & 0077) != 0 && chmod(path, 0700) == -1) {
		snprintf(err, errlen, "%s: cannot chmod %s: %s", var, path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads at most 4 KiB of key material from a file, trailing newline dropped. */
static int
read_key_file(struct config *c, const char *path, char *err, size_t errlen,
    const char *var)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: cannot open %s: %s", var, path,
		    strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < 32) {
		snprintf(err, errlen, "%s: the key in %s must be at least 32 "
		    "bytes", var, path);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	c->secret = xmalloc((size_t)n);
	memcpy(c->secret, buf, (size_t)n);
	c->secret_len = (size_t)n;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/*
 * The generated key: 64 random bytes, base64url, in <state>/secret.key
 * with mode 0600, created once (O_EXCL, so concurrent starts agree).
 */
static int
load_generated_key(struct config *c, char *err, size_t errlen)
{
	unsigned char	 raw[64];
	char		*path, *enc;
	int		 fd, rc = -1;
	size_t		 len;

	path = xasprintf("%s/secret.key", c->state_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1) {
		rand_bytes(raw, sizeof(raw));
		enc = b64url_encode(raw, sizeof(raw));
		len = strlen(enc);
		if (write(fd, enc, len) != (ssize_t)len || fsync(fd) == -1) {
			snprintf(err, errlen, "SECRET_KEY: cannot write %s: %s",
			    path, strerror(errno));
			close(fd);
			unlink(path);
			free_secret(enc);
			goto out;
		}
		close(fd);
		free_secret(enc);
		OPENSSL_cleanse(raw, sizeof(raw));
		log_info("generated a new secret key in %s", path);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "SECRET_KEY: cannot create %s: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = read_key_file(c, path, err, errlen, "SECRET_KEY");
out:
	free(path);
	return rc;
}

static int
load_secret(struct config *c, char *err, size_t errlen)
{
	const char	*v;

	if ((v = env("SECRET_KEY")) != NULL) {
		if (strlen(v) < 32) {
			snprintf(err, errlen, "SECRET_KEY: must be at least "
			    "32 characters");
			return -1;
		}
		c->secret_len = strlen(v);
		c->secret = xmalloc(c->secret_len);
		memcpy(c->secret, v, c->secret_len);
		c->key_source = KEY_ENV;
		return 0;
	}
	if ((v = env("SECRET_KEY_FILE")) != NULL) {
		c->key_source = KEY_FILE;
		return read_key_file(c, v, err, errlen, "SECRET_KEY_FILE");
	}
	return load_generated_key(c, err, errlen);
}

/*
 * The signing keys (keyring.h): a fixed key, else the key ring once
 * authctl key rotate made one, else the generated secret.key.
 */
static int
load_keys(struct config *c, char *err, size_t errlen)
{
	struct stat	 st;
	char		*ring;
	int		 exists;

	ring = keyring_path(c);
	exists = lstat(ring, &st) == 0;
	free(ring);
	if (env("SECRET_KEY") == NULL && env("SECRET_KEY_FILE") == NULL &&
	    exists)
		c->key_source = KEY_RING;
	else {
		c->key_source = KEY_GENERATED;
		if (load_secret(c, err, errlen) == -1)
			return -1;
	}
	return keyring_load(c, err, errlen);
}

/* METRICS_ENABLED and METRICS_ALLOW (default: loopback). */
static int
load_metrics(struct config *c, char *err, size_t errlen)
{
	const char	*v = env("METRICS_ALLOW");

	if (env_bool("METRICS_ENABLED", 1, &c->metrics_enabled, err,
	    errlen) == -1)
		return -1;
	if (metrics_allow_parse(v ? v : "127.0.0.0/8,::1", &c->metrics_allow,
	    &c->nmetrics_allow) == -1) {
		snprintf(err, errlen, "METRICS_ALLOW: must be a comma list of "
		    "IPv4 or IPv6 addresses or CIDR ranges");
		return -1;
	}
	return 0;
}

static int
add_origin(struct config *c, const char *s, size_t n, char *err, size_t errlen)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (n == 0)
		return 0;
	if ((n >= 7 && strncmp(s, "http://", 7) == 0) ||
	    (n >= 8 && strncmp(s, "https://", 8) == 0)) {
		c->cors_origins = xrealloc(c->cors_origins,
		    (c->ncors + 2) * sizeof(char *));
		c->cors_origins[c->ncors++] = xstrndup(s, n);
		c->cors_origins[c->ncors] = NULL;
		return 0;
	}
	snprintf(err, errlen, "BACKEND_CORS_ORIGINS: %.*s is not an http(s) "
	    "origin", (int)(n > 100 ? 100 : n), s);
	return -1;
}

/* A comma list or a JSON list of origins. */
static int
load_cors(struct config *c, char *err, size_t errlen)
{
	const char		*v = env("BACKEND_CORS_ORIGINS"), *p, *comma;
	struct json_object	*j, *e;
	size_t			 i;
	int			 rc = 0;

	if (v == NULL)
		return 0;
	while (isspace((unsigned char)*v))
		v++;
	if (*v == '[') {
		if ((j = json_tokener_parse(v)) == NULL ||
		    !json_object_is_type(j, json_type_array)) {
			json_object_put(j);
			snprintf(err, errlen, "BACKEND_CORS_ORIGINS: not a "
			    "JSON list");
			return -1;
		}
		for (i = 0; rc == 0 && i < json_object_array_length(j); i++) {
			e = json_object_array_get_idx(j, i);
			if (!json_object_is_type(e, json_type_string)) {
				snprintf(err, errlen, "BACKEND_CORS_ORIGINS: "
				    "entries must be strings");
				rc = -1;
			} else
				rc = add_origin(c, json_object_get_string(e),
				    (size_t)json_object_get_string_len(e), err,
				    errlen);
		}
		json_object_put(j);
		return rc;
	}
	for (p = v; rc == 0; p = comma + 1) {
		comma = strchr(p, ',');
		rc = add_origin(c, p, comma != NULL ? (size_t)(comma - p) :
		    strlen(p), err, errlen);
		if (comma == NULL)
			break;
	}
	return rc;
}

/* A host name: letters, digits, '-' and '.', lower-cased in place. */
static int
host_ok(char *h)
{
	char	*p;

	if (*h == '\0' || strlen(h) > 253)
		return 0;
	for (p = h; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	}
	return h[0] != '.' && h[0] != '-';
}

/* ALLOWED_REDIRECT_HOSTS: a comma list of host names. */
static int
load_redirect_hosts(struct config *c, char *err, size_t errlen)
{
	const char	*v = env("ALLOWED_REDIRECT_HOSTS"), *p, *comma;
	char		*h;
	size_t		 n;

	for (p = v; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0)
			continue;
		h = xstrndup(p, n);
		if (!host_ok(h)) {
			snprintf(err, errlen, "ALLOWED_REDIRECT_HOSTS: %.60s is "
			    "not a host name", h);
			free(h);
			return -1;
		}
		c->redirect_hosts = xrealloc(c->redirect_hosts,
		    (c->nredirect_hosts + 2) * sizeof(char *));
		c->redirect_hosts[c->nredirect_hosts++] = h;
		c->redirect_hosts[c->nredirect_hosts] = NULL;
	}
	return 0;
}

/*
 * The settings of browser sign-in (SPEC §9).  SESSION_IDLE_SECONDS and
 * SESSION_MAX_SECONDS, when set, win over the minutes and hours: they
 * let tests see sessions expire without waiting an hour.
 */
static int
load_browser(struct config *c, char *err, size_t errlen)
{
	const char	*v;
	size_t		 n;
	long		 l;

	c->public_url = env_str("PUBLIC_URL", "http://127.0.0.1:8080");
	n = strlen(c->public_url);
	while (n > 0 && c->public_url[n - 1] == '/')
		c->public_url[--n] = '\0';
	if (!url_ok(c->public_url) || strpbrk(c->public_url, "\r\n\"<> ")) {
		snprintf(err, errlen, "PUBLIC_URL: must be an http(s) URL");
		return -1;
	}
	c->cookie_name = env_str("SESSION_COOKIE_NAME", "authd_session");
	if (strspn(c->cookie_name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	    strlen(c->cookie_name) || strlen(c->cookie_name) > 64) {
		snprintf(err, errlen, "SESSION_COOKIE_NAME: letters, digits, "
		    "'_' and '-' only");
		return -1;
	}
	if ((v = env("COOKIE_DOMAIN")) != NULL) {
		c->cookie_domain = xstrdup(v[0] == '.' ? v + 1 : v);
		if (!host_ok(c->cookie_domain)) {
			snprintf(err, errlen, "COOKIE_DOMAIN: not a host name");
			return -1;
		}
	}
	c->cookie_secure = -1;
	if ((v = env("COOKIE_SECURE")) != NULL && strcasecmp(v, "auto") != 0 &&
	    env_bool("COOKIE_SECURE", 0, &c->cookie_secure, err, errlen))
		return -1;
	if (env_long("SESSION_IDLE_MINUTES", 720, 1, 5256000, &l, err,
	    errlen) == -1)
		return -1;
	c->session_idle = (int64_t)l * 60;
	if (env_long("SESSION_MAX_HOURS", 168, 1, 87600, &l, err, errlen) == -1)
		return -1;
	c->session_max = (int64_t)l * 3600;
	if (env("SESSION_IDLE_SECONDS") != NULL) {
		if (env_long("SESSION_IDLE_SECONDS", 0, 1, 315360000, &l, err,
		    errlen) == -1)
			return -1;
		c->session_idle = l;
	}
	if (env("SESSION_MAX_SECONDS") != NULL) {
		if (env_long("SESSION_MAX_SECONDS", 0, 1, 315360000, &l, err,
		    errlen) == -1)
			return -1;
		c->session_max = l;
	}
	if (env_bool("REGISTRATION_ENABLED", 1, &c->registration_enabled, err,
	    errlen) == -1)
		return -1;
	return load_redirect_hosts(c, err, errlen);
}

static long
cpus(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : n;
}

static int
load_numbers(struct config *c, char *err, size_t errlen)
{
	long	v;

#define NUM(name, def, min, max, dst) do {				\
	if (env_long(name, def, min, max, &v, err, errlen) == -1)	\
		return -1;						\
	dst = v;							\
} while (0)
	NUM("ACCESS_TOKEN_EXPIRE_MINUTES", 30, 1, 525600, c->access_ttl);
	c->access_ttl *= 60;
	NUM("REFRESH_TOKEN_EXPIRE_DAYS", 7, 1, 3650, c->refresh_ttl);
	c->refresh_ttl *= 86400;
	NUM("RESET_TOKEN_EXPIRE_MINUTES", 15, 1, 10080, c->reset_ttl);
	c->reset_ttl *= 60;
	NUM("VERIFY_TOKEN_EXPIRE_HOURS", 48, 1, 8760, c->verify_ttl);
	c->verify_ttl *= 3600;
	NUM("REFRESH_REUSE_GRACE_SECONDS", 10, 0, 86400, c->reuse_grace);
	NUM("LOGIN_MAX_FAILURES", 5, 0, 1000000, c->login_max_failures);
	NUM("LOGIN_FAILURE_WINDOW_MINUTES", 15, 1, 525600,
	    c->login_failure_window);
	c->login_failure_window *= 60;
	NUM("LOGIN_LOCKOUT_MINUTES", 15, 0, 525600, c->login_lockout);
	c->login_lockout *= 60;
	NUM("LOGIN_MAX_FAILURES_PER_IP_PER_MINUTE", 30, 0, 1000000,
	    c->login_max_fail_ip_min);
	NUM("REGISTER_MAX_PER_IP_PER_HOUR", 10, 0, 1000000,
	    c->register_max_ip_hour);
	NUM("RESET_MAX_PER_ACCOUNT_PER_HOUR", 3, 0, 1000000,
	    c->reset_max_account_hour);
	NUM("TOKEN_ATTEMPTS_PER_IP_PER_MINUTE", 30, 0, 1000000,
	    c->token_attempts_ip_min);
	NUM("MAX_SESSIONS_PER_USER", 50, 0, 1000000, c->max_sessions_user);
	NUM("AUTH_WORKERS", cpus(), 1, 256, c->workers);
	NUM("AUTH_HASH_WORKERS", cpus() / 2 > 1 ? cpus() / 2 : 1, 1, 256,
	    c->hash_workers);
	NUM("AUTH_HASH_NICE", 10, 0, 19, c->hash_nice);
	NUM("HASH_QUEUE_TIMEOUT_MS", 5000, 0, 600000,
	    c->hash_queue_timeout_ms);
	NUM("SQLITE_BUSY_TIMEOUT_MS", 5000, 0, 600000, c->busy_timeout_ms);
	NUM("ARGON2_T_COST", 5, 1, 100, c->pw.t_cost);
	NUM("ARGON2_M_COST_KIB", 19456, 8, 4194304, c->pw.m_cost);
	NUM("ARGON2_PARALLELISM", 1, 1, 16, c->pw.parallelism);
	NUM("ARGON2_MAX_M_COST_KIB", 262144, 8, 4194304, c->pw.max_m_cost);
	NUM("ARGON2_MAX_T_COST", 10, 1, 100, c->pw.max_t_cost);
	NUM("MAIL_MAX_ATTEMPTS", 8, 1, 100, c->mail_max_attempts);
	NUM("SMTP_PORT", 0, 0, 65535, c->smtp_port);
#undef NUM
	if (c->pw.m_cost > c->pw.max_m_cost) {
		snprintf(err, errlen, "ARGON2_M_COST_KIB: %u exceeds the "
		    "ceiling ARGON2_MAX_M_COST_KIB (%u)", c->pw.m_cost,
		    c->pw.max_m_cost);
		return -1;
	}
	if (c->pw.t_cost > c->pw.max_t_cost) {
		snprintf(err, errlen, "ARGON2_T_COST: %u exceeds the ceiling "
		    "ARGON2_MAX_T_COST (%u)", c->pw.t_cost, c->pw.max_t_cost);
		return -1;
	}
	if (c->pw.m_cost < 8 * c->pw.parallelism) {
		snprintf(err, errlen, "ARGON2_M_COST_KIB: must be at least "
		    "8 KiB per lane");
		return -1;
	}
	return 0;
}

static int
load_mail(struct config *c, char *err, size_t errlen)
{
	const char	*v;
	char		*end;

	c->smtp_host = env_str("SMTP_HOST", NULL);
	c->smtp_user = env_str("SMTP_USER", NULL);
	c->smtp_password = env_str("SMTP_PASSWORD", NULL);
	if (env_bool("SMTP_STARTTLS", 0, &c->smtp_starttls, err, errlen) ||
	    env_bool("SMTP_SSL_TLS", 0, &c->smtp_ssl_tls, err, errlen))
		return -1;
	if (c->smtp_starttls && c->smtp_ssl_tls) {
		snprintf(err, errlen, "SMTP_SSL_TLS: cannot be combined with "
		    "SMTP_STARTTLS");
		return -1;
	}
	if (c->smtp_port == 0)
		c->smtp_port = c->smtp_ssl_tls ? 465 : c->smtp_starttls ?
		    587 : 25;
	c->mail_transport = env_str("MAIL_TRANSPORT",
	    c->smtp_host != NULL ? "smtp" : "file");
	if (strcmp(c->mail_transport, "smtp") != 0 &&
	    strcmp(c->mail_transport, "file") != 0) {
		snprintf(err, errlen, "MAIL_TRANSPORT: must be smtp or file");
		return -1;
	}
	if (strcmp(c->mail_transport, "smtp") == 0 && c->smtp_host == NULL) {
		snprintf(err, errlen, "SMTP_HOST: required with "
		    "MAIL_TRANSPORT=smtp");
		return -1;
	}
	c->from_email = env_str("EMAILS_FROM_EMAIL", "noreply@localhost");
	c->from_name = env_str("EMAILS_FROM_NAME", NULL);
	if (strpbrk(c->from_email, "\r\n<>\" ") != NULL ||
	    strchr(c->from_email, '@') == NULL) {
		snprintf(err, errlen, "EMAILS_FROM_EMAIL: not an email address");
		return -1;
	}
	if (c->from_name != NULL && strpbrk(c->from_name, "\r\n") != NULL) {
		snprintf(err, errlen, "EMAILS_FROM_NAME: must be one line");
		return -1;
	}
	c->mail_retry_scale = 1.0;
	if ((v = env("MAIL_RETRY_SCALE")) != NULL) {
		errno = 0;
		c->mail_retry_scale = strtod(v, &end);
		if (errno != 0 || *end != '\0' || !(c->mail_retry_scale > 0) ||
		    c->mail_retry_scale > 100) {
			snprintf(err, errlen, "MAIL_RETRY_SCALE: must be a "
			    "number above 0 and at most 100");
			return -1;
		}
	}
	return 0;
}

static int
load_paths(struct config *c, char *err, size_t errlen)
{
	c->state_dir = env_str("AUTH_STATE_DIR", "./var");
	if (mkdir_private(c->state_dir, err, errlen, "AUTH_STATE_DIR") == -1)
		return -1;
	if ((c->database_path = env_str("DATABASE_PATH", NULL)) == NULL)
		c->database_path = xasprintf("%s/auth.db", c->state_dir);
	/* Unset or empty: SQLite; else PostgreSQL's URI (libpq reads it). */
	c->database_url = env_str("DATABASE_URL", NULL);
	if (c->database_url != NULL &&
	    strncmp(c->database_url, "postgresql://", 13) != 0 &&
	    strncmp(c->database_url, "postgres://", 11) != 0) {
		snprintf(err, errlen, "DATABASE_URL: must be empty (SQLite) or "
		    "a postgresql:// or postgres:// URL");
		return -1;
	}
	if ((c->spool_dir = env_str("MAIL_SPOOL_DIR", NULL)) == NULL)
		c->spool_dir = xasprintf("%s/spool", c->state_dir);
	if ((c->outbox_dir = env_str("MAIL_OUTBOX_DIR", NULL)) == NULL)
		c->outbox_dir = xasprintf("%s/outbox", c->state_dir);
	if (mkdir_private(c->spool_dir, err, errlen, "MAIL_SPOOL_DIR") == -1)
		return -1;
	return 0;
}

/* Fills c, zeroed, from the environment and the .env file. */
static int
config_read(struct config *c, int need_secret, char *err, size_t errlen)
{
	const char	*v, *envfile;
	int		 r;

	file_keys_forget();
	envfile = env("AUTH_ENV_FILE");
	r = env_file_load(envfile ? envfile : "./.env", err, errlen);
	if (r == -1)
		return -1;
	if (r == 1 && envfile != NULL) {
		snprintf(err, errlen, "AUTH_ENV_FILE: %s does not exist",
		    envfile);
		return -1;
	}
	if (env_bool("AUTH_DEBUG", 0, &c->debug, err, errlen) ||
	    load_paths(c, err, errlen) || load_numbers(c, err, errlen) ||
	    load_mail(c, err, errlen) || load_cors(c, err, errlen) ||
	    load_browser(c, err, errlen) ||
	    env_bool("REQUIRE_VERIFIED_EMAIL", 0, &c->require_verified, err,
	    errlen))
		return -1;
	if ((v = env("SQLITE_SYNCHRONOUS")) != NULL) {
		if (strcasecmp(v, "FULL") == 0)
			c->sync_full = 1;
		else if (strcasecmp(v, "NORMAL") != 0) {
			snprintf(err, errlen, "SQLITE_SYNCHRONOUS: must be "
			    "NORMAL or FULL");
			return -1;
		}
	}
	c->algorithm = env_str("ALGORITHM", "HS256");
	if (strcmp(c->algorithm, "HS256") != 0) {
		snprintf(err, errlen, "ALGORITHM: only HS256 is supported");
		return -1;
	}
	/* Unset: mail links lead to the pages of SPEC §9 under PUBLIC_URL. */
	c->frontend_url = env_str("FRONTEND_URL", NULL);
	c->reset_url = env_str("RESET_PASSWORD_URL", NULL);
	c->captcha_url = env_str("CAPTCHA_SERVICE_URL", NULL);
	c->app_name = env_str("APP_NAME", "authd");
	if (c->frontend_url != NULL && (!url_ok(c->frontend_url) ||
	    strpbrk(c->frontend_url, "\r\n"))) {
		snprintf(err, errlen, "FRONTEND_URL: must be an http(s) URL");
		return -1;
	}
	if (c->reset_url != NULL && (!url_ok(c->reset_url) ||
	    strpbrk(c->reset_url, "\r\n"))) {
		snprintf(err, errlen, "RESET_PASSWORD_URL: must be an http(s) "
		    "URL");
		return -1;
	}
	if (c->captcha_url != NULL && !url_ok(c->captcha_url)) {
		snprintf(err, errlen, "CAPTCHA_SERVICE_URL: must be an http(s) "
		    "URL");
		return -1;
	}
	c->admin_email = env_str("ADMIN_EMAIL", NULL);
	c->admin_username = env_str("ADMIN_USERNAME", NULL);
	c->admin_password = env_str("ADMIN_PASSWORD", NULL);
	if ((c->admin_email || c->admin_username || c->admin_password) &&
	    !(c->admin_email && c->admin_username && c->admin_password)) {
		snprintf(err, errlen, "ADMIN_EMAIL: ADMIN_EMAIL, "
		    "ADMIN_USERNAME and ADMIN_PASSWORD go together");
		return -1;
	}
	if (load_metrics(c, err, errlen) == -1)
		return -1;
	if (need_secret && load_keys(c, err, errlen) == -1)
		return -1;
	return 0;
}

struct config *
config_load(int need_secret, char *err, size_t errlen)
{
	struct config	*c = xcalloc(1, sizeof(*c));

	if (config_read(c, need_secret, err, errlen) == -1) {
		config_free(c);
		return NULL;
	}
	return c;
}

int
config_reload(struct config **cur, struct config **old, int need_secret,
    char *err, size_t errlen)
{
	struct config	*next;

	*old = NULL;
	if ((next = config_load(need_secret, err, errlen)) == NULL)
		return -1;
	*old = *cur;
	*cur = next;
	return 0;
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->state_dir);
	free(c->database_path);
	free_secret(c->database_url);
	free(c->spool_dir);
	if (c->secret != NULL)
		OPENSSL_cleanse(c->secret, c->secret_len);
	free(c->secret);
	keyring_free(c->keyring);
	free(c->metrics_allow);
	free(c->algorithm);
	free(c->frontend_url);
	free(c->reset_url);
	free(c->captcha_url);
	free(c->app_name);
	free(c->public_url);
	free(c->cookie_name);
	free(c->cookie_domain);
	for (i = 0; i < c->nredirect_hosts; i++)
		free(c->redirect_hosts[i]);
	free(c->redirect_hosts);
	for (i = 0; i < c->ncors; i++)
		free(c->cors_origins[i]);
	free(c->cors_origins);
	free(c->mail_transport);
	free(c->outbox_dir);
	free(c->smtp_host);
	free(c->smtp_user);
	free_secret(c->smtp_password);
	free(c->from_email);
	free(c->from_name);
	free(c->admin_email);
	free(c->admin_username);
	free_secret(c->admin_password);
	free(c);
}
