/*
 * The spool: the one file that knows the message file format.  The
 * writer (spool_queue) runs inside FastCGI requests, so it allocates
 * little, frees everything and never leaves a half-written file in new/;
 * the reader and the atomic rewrite serve the mailer.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "log.h"
#include "mail.h"
#include "util.h"

#define MAIL_NAME_MAX	64	/* template names and value keys */
#define MAIL_ADDR_MAX	320	/* recipient address */
#define MAIL_VALS_MAX	32	/* values per message */

/*
 * sent/ of the architecture's layout is not created: the mailer keeps no
 * history, since a sent message still holds a live reset link.
 */
static const char *const spool_subdirs[] = {
	"tmp", "new", "cur", "retry", "failed"
};

/* A template name or value key: [a-z0-9_]{1,64}. */
static int
plain_name(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n > 0 && n <= MAIL_NAME_MAX;
}

/* A recipient: 1..320 bytes, no control character at all. */
static int
header_safe_addr(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return n > 0 && n <= MAIL_ADDR_MAX;
}

/* A template value: anything but CR and LF (NUL ends a C string). */
static int
header_safe_value(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

static int
uuid_like(const char *s)
{
	size_t	i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[36] == '\0';
}

/* Builds the message object; takes ownership of values. */
static struct json_object *
msg_json(const char *id, const char *tmpl, const char *to,
    struct json_object *values, int64_t created, long attempts,
    double next_attempt, const char *last_error)
{
	struct json_object	*o;
	char			 ds[64];

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "template", json_object_new_string(tmpl));
	json_object_object_add(o, "to", json_object_new_string(to));
	json_object_object_add(o, "values", values);
	json_object_object_add(o, "created", json_object_new_int64(created));
	json_object_object_add(o, "attempts",
	    json_object_new_int64((int64_t)attempts));
	if (next_attempt == (double)(int64_t)next_attempt)
		json_object_object_add(o, "next_attempt",
		    json_object_new_int64((int64_t)next_attempt));
	else {
		snprintf(ds, sizeof(ds), "%.3f", next_attempt);
		json_object_object_add(o, "next_attempt",
		    json_object_new_double_s(next_attempt, ds));
	}
	json_object_object_add(o, "last_error", last_error == NULL ? NULL :
	    json_object_new_string(last_error));
	return o;
}

/*
 * Writes buf to path (mode 0600, never through a symbolic link), fsyncs
 * and closes it.  excl: the file must not exist, else it is truncated.
 * Returns 0, or -1 with errno set (a partial file may remain).
 */
int
mail_write_synced(const char *path, int excl, const char *buf, size_t len)
{
	ssize_t	 w;
	size_t	 off = 0;
	int	 fd, saved, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    (excl ? O_EXCL : O_TRUNC), 0600);
	if (fd == -1)
		return -1;
	while (off < len) {
		if ((w = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto done;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1)
		goto done;
	rc = 0;
done:
	saved = errno;
	if (close(fd) == -1 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	errno = saved;
	return rc;
}

/* fsync(2) of a directory, making renames into it durable; 0 or -1. */
int
mail_fsync_dir(const char *path)
{
	int	fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* See mail.h. */
int
mail_mkdirs(const char *path)
{
	char	*p, *s, c;
	int	 rc = -1;

	if (path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			c = *s;
			*s = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST)
				goto done;
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	rc = 0;
done:
	free(p);
	return rc;
}

/*
 * Creates the spool directory (and its parents) and every state
 * directory below it, mode 0700.  Existing directories are kept as they
 * are.  Returns 0, or -1 (logged).
 */
int
spool_init(const char *spool_dir)
{
	struct stat	 st;
	char		*p = NULL;
	size_t		 i;
	int		 rc = -1;

	if (mail_mkdirs(spool_dir) == -1) {
		log_warn("spool: mkdir %s", spool_dir);
		goto done;
	}
	for (i = 0; i < sizeof(spool_subdirs) / sizeof(spool_subdirs[0]);
	    i++) {
		free(p);
		p = xasprintf("%s/%s", spool_dir, spool_subdirs[i]);
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			log_warn("spool: mkdir %s", p);
			goto done;
		}
		if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
			log_warnx("spool: %s is not a directory", p);
			goto done;
		}
	}
	rc = 0;
done:
	free(p);
	return rc;
}

/*
 * Readiness for /health/ready: the directories a worker writes to (tmp/
 * and new/) exist and are writable.  No allocation.
 */
int
spool_ready(const char *spool_dir)
{
	struct stat	 st;
	char		 p[PATH_MAX];
	const char	*sub[] = { "tmp", "new" };
	size_t		 i;
	int		 n;

	for (i = 0; i < 2; i++) {
		n = snprintf(p, sizeof(p), "%s/%s", spool_dir, sub[i]);
		if (n < 0 || (size_t)n >= sizeof(p))
			return 0;
		if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode) ||
		    access(p, W_OK | X_OK) == -1)
			return 0;
	}
	return 1;
}

/*
 * Writes the message object o atomically as <spool_dir>/<sub>/<name>:
 * into tmp/<tmpname> (O_EXCL when excl), synced, renamed into place, the
 * directory synced.  A serialisation longer than max is refused.  The
 * serialised text is wiped afterwards: it holds links.  0 or -1 (logged;
 * nothing is left in tmp/).
 */
static int
publish(const char *spool_dir, struct json_object *o, const char *tmpname,
    int excl, const char *sub, const char *name, size_t max)
{
	const char	*js;
	char		*tmp = NULL, *dst = NULL, *dir = NULL;
	size_t		 len;
	int		 rc = -1, written = 0;

	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((len = strlen(js)) > max) {
		log_warnx("spool: message %s too large (%zu bytes)", name, len);
		goto done;
	}
	tmp = xasprintf("%s/tmp/%s", spool_dir, tmpname);
	dst = xasprintf("%s/%s/%s", spool_dir, sub, name);
	dir = xasprintf("%s/%s", spool_dir, sub);
	if (mail_write_synced(tmp, excl, js, len) == -1) {
		log_warn("spool: write %s", tmp);
		/* An O_EXCL clash is another writer's file: leave it. */
		written = !(excl && errno == EEXIST);
		goto done;
	}
	written = 1;
	if (rename(tmp, dst) == -1) {
		log_warn("spool: rename %s", tmp);
		goto done;
	}
	written = 0;
	if (mail_fsync_dir(dir) == -1)
		log_warn("spool: fsync %s", dir);
	rc = 0;
done:
	if (written)
		unlink(tmp);
	OPENSSL_cleanse((void *)(uintptr_t)js, strlen(js));
	free(tmp);
	free(dst);
	free(dir);
	return rc;
}

/*
 * See mail.h.  All checks come before any I/O, so a refused message
 * leaves no trace.  The file is complete and on disk before it appears
 * in new/ (the mailer may pick it up the moment the rename lands), and
 * new/ itself is synced so an accepted request survives a power cut.
 */
int
spool_queue(const char *spool_dir, const char *tmpl, const char *to,
    const char *const *kv, char *id)
{
	struct json_object	*o, *values;
	char			 uid[37], *name;
	size_t			 i;
	int			 rc;

	if (spool_dir == NULL || tmpl == NULL || to == NULL ||
	    !plain_name(tmpl)) {
		log_warnx("spool: bad message (template)");
		return -1;
	}
	if (!header_safe_addr(to))
		return SPOOL_EHEADER;
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		if (kv[i + 1] == NULL || !plain_name(kv[i]) ||
		    i / 2 >= MAIL_VALS_MAX) {
			log_warnx("spool: bad message (values)");
			return -1;
		}
		if (!header_safe_value(kv[i + 1]))
			return SPOOL_EHEADER;
	}

	values = json_object_new_object();
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2)
		json_object_object_add(values, kv[i],
		    json_object_new_string(kv[i + 1]));
	uuid_v4(uid);
	o = msg_json(uid, tmpl, to, values, now_s(), 0, 0, NULL);
	name = xasprintf("%s.json", uid);
	rc = publish(spool_dir, o, name, 1, "new", name, MAIL_MSG_MAX);
	if (rc == 0 && id != NULL)
		memcpy(id, uid, sizeof(uid));
	free(name);
	json_object_put(o);
	return rc;
}

/*
 * Writes msg as <spool_dir>/<sub>/<name> through tmp/<name>.m (a name no
 * worker uses).  rename() replaces the destination atomically, which is
 * how the mailer updates a claimed message in cur/ before moving it on.
 */
int
mail_msg_store(const char *spool_dir, const char *sub, const char *name,
    const struct mail_msg *msg)
{
	struct json_object	*o, *values;
	char			*tmpname;
	size_t			 i;
	int			 rc;

	if (strchr(name, '/') != NULL || name[0] == '.') {
		log_warnx("spool: bad file name");
		return -1;
	}
	values = json_object_new_object();
	for (i = 0; i < msg->nvals; i++)
		json_object_object_add(values, msg->keys[i],
		    json_object_new_string(msg->vals[i]));
	o = msg_json(msg->id, msg->tmpl, msg->to, values, msg->created,
	    msg->attempts, msg->next_attempt, msg->last_error);
	tmpname = xasprintf("%s.m", name);
	rc = publish(spool_dir, o, tmpname, 0, sub, name, SIZE_MAX);
	free(tmpname);
	json_object_put(o);
	return rc;
}

/* A string member without embedded NUL, or NULL. */
static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object	*v;
	const char		*s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/*
 * Parses a message with the checks of the writer, so a file that did
 * not come from spool_queue cannot smuggle a header into the mailer.
 */
int
mail_msg_parse(const char *buf, size_t len, struct mail_msg **out)
{
	struct json_tokener	*tok;
	struct json_object	*o = NULL, *v, *values;
	struct json_object_iterator it, end;
	struct mail_msg		*m = NULL;
	const char		*s;
	size_t			 n, used;
	int			 rc = -1;

	*out = NULL;
	if (len > MAIL_MSG_MAX || len > INT_MAX)
		return -1;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	used = json_tokener_get_error(tok) == json_tokener_success ?
	    json_tokener_get_parse_end(tok) : 0;
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		goto done;
	for (; used < len; used++)
		if (buf[used] != ' ' && buf[used] != '\n' &&
		    buf[used] != '\t' && buf[used] != '\r')
			goto done;

	m = xcalloc(1, sizeof(*m));
	if ((s = get_str(o, "id")) == NULL || !uuid_like(s))
		goto done;
	m->id = xstrdup(s);
	if ((s = get_str(o, "template")) == NULL || !plain_name(s))
		goto done;
	m->tmpl = xstrdup(s);
	if ((s = get_str(o, "to")) == NULL || !header_safe_addr(s))
		goto done;
	m->to = xstrdup(s);

	if (!json_object_object_get_ex(o, "values", &values) ||
	    !json_object_is_type(values, json_type_object) ||
	    (n = (size_t)json_object_object_length(values)) > MAIL_VALS_MAX)
		goto done;
	m->keys = xcalloc(n, sizeof(char *));
	m->vals = xcalloc(n, sizeof(char *));
	it = json_object_iter_begin(values);
	end = json_object_iter_end(values);
	for (; !json_object_iter_equal(&it, &end) && m->nvals < n;
	    json_object_iter_next(&it)) {
		s = json_object_iter_peek_name(&it);
		v = json_object_iter_peek_value(&it);
		if (!plain_name(s) || !json_object_is_type(v, json_type_string))
			goto done;
		if (strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v) ||
		    !header_safe_value(json_object_get_string(v)))
			goto done;
		m->keys[m->nvals] = xstrdup(s);
		m->vals[m->nvals++] = xstrdup(json_object_get_string(v));
	}

	if (json_object_object_get_ex(o, "created", &v)) {
		if (!json_object_is_type(v, json_type_int))
			goto done;
		m->created = json_object_get_int64(v);
	}
	if (json_object_object_get_ex(o, "attempts", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 1000000)
			goto done;
		m->attempts = (long)json_object_get_int64(v);
	}
	if (json_object_object_get_ex(o, "next_attempt", &v)) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			goto done;
		m->next_attempt = json_object_get_double(v);
		if (!isfinite(m->next_attempt) || m->next_attempt < 0)
			goto done;
	}
	if (json_object_object_get_ex(o, "last_error", &v) && v != NULL) {
		if ((s = get_str(o, "last_error")) == NULL)
			goto done;
		m->last_error = xstrdup(s);
	}
	*out = m;
	m = NULL;
	rc = 0;
done:
	mail_msg_free(m);
	json_object_put(o);
	return rc;
}

/*
 * Reads a message file (a regular file, not a link, at most
 * MAIL_MSG_MAX bytes) and parses it.
 */
int
mail_msg_read(const char *path, struct mail_msg **out)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAIL_MSG_MAX) {
		errno = EINVAL;
		goto done;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto done;
		off += (size_t)r;
	}
	buf[off] = '\0';
	if ((rc = mail_msg_parse(buf, off, out)) == -1)
		errno = EINVAL;
done:
	if (buf != NULL)
		OPENSSL_cleanse(buf, off);
	free(buf);
	close(fd);
	return rc;
}

/* See mail.h. */
const char *
mail_msg_value(const struct mail_msg *msg, const char *key)
{
	size_t	i;

	for (i = 0; i < msg->nvals; i++)
		if (strcmp(msg->keys[i], key) == 0)
			return msg->vals[i];
	return NULL;
}

/* See mail.h.  Values may hold tokens and links: they are wiped. */
void
mail_msg_free(struct mail_msg *msg)
{
	size_t	i;

	if (msg == NULL)
		return;
	for (i = 0; i < msg->nvals; i++) {
		free(msg->keys[i]);
		free_secret(msg->vals[i]);
	}
	free(msg->keys);
	free(msg->vals);
	free(msg->id);
	free(msg->tmpl);
	free(msg->to);
	free(msg->last_error);
	free(msg);
}

/*
 * See mail.h.  The schedule is in seconds before scaling; the scaled
 * value is floored at MAIL_RETRY_MIN_MS so a tiny or bogus scale still
 * means a short wait rather than a busy loop.
 */
int64_t
mail_retry_delay_ms(long attempts, double scale)
{
	static const int64_t	 first[] = { 60, 300, 1800, 7200 };
	const int64_t		 cap = 24 * 3600;
	int64_t			 s;
	double			 ms;
	long			 i;

	if (attempts < 1)
		attempts = 1;
	if (attempts <= 4)
		s = first[attempts - 1];
	else {
		s = first[3];
		for (i = 4; i < attempts && s < cap; i++)
			s *= 2;
	}
	if (s > cap)
		s = cap;
	ms = (double)s * 1000.0 * scale;
	if (!(ms >= MAIL_RETRY_MIN_MS))		/* also NaN */
		return MAIL_RETRY_MIN_MS;
	if (ms > 100.0 * cap * 1000.0)
		ms = 100.0 * cap * 1000.0;
	return (int64_t)ms;
}

/* See mail.h. */
double
mail_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Does the work of queueing a message without queueing one: writes,
 * syncs and removes a file of a message's size in tmp/.  Handlers call it
 * when no mail goes out, so the answer's timing does not tell whether an
 * account exists.  Failures are ignored: nothing depends on it.
 */
void
spool_decoy(const char *spool_dir)
{
	char	 buf[512], id[37], *path, *dir;

	uuid_v4(id);
	memset(buf, 'x', sizeof(buf));
	path = xasprintf("%s/tmp/%s.decoy", spool_dir, id);
	dir = xasprintf("%s/tmp", spool_dir);
	(void)mail_write_synced(path, 1, buf, sizeof(buf));
	(void)unlink(path);
	(void)mail_fsync_dir(dir);
	free(path);
	free(dir);
}
