/*
 * Templates and the MIME message.  The templates are read once at start
 * and checked (every placeholder must be a known key), so a broken
 * template stops the mailer instead of failing each message.  Rendering
 * is pure apart from the random boundary: the same message and env give
 * the same headers, which keeps a resend idempotent for the server.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "mail.h"
#include "tmpl.h"
#include "util.h"

#include "paths.h"	/* MAIL_TEMPLATE_FALLBACK, from the Makefile's PREFIX */

#define TMPL_FILE_MAX	(32 * 1024)
#define QP_LINE		76	/* RFC 2045 limit, soft break included */
#define EW_CHUNK	39	/* bytes per encoded-word: 52 base64 chars */

enum tmpl {
	TMPL_RESET_PASSWORD,
	TMPL_VERIFY_EMAIL,
	TMPL__MAX
};

static const char *const tmpl_names[TMPL__MAX] = {
	"reset_password",	/* TMPL_RESET_PASSWORD */
	"verify_email",		/* TMPL_VERIFY_EMAIL */
};

enum tpart {
	TPART_SUBJECT,
	TPART_TEXT,
	TPART_HTML,
	TPART__MAX
};

static const char *const tpart_ext[TPART__MAX] = {
	"subject",	/* TPART_SUBJECT */
	"txt",		/* TPART_TEXT */
	"html",		/* TPART_HTML */
};

/* The placeholders a template may use. */
static const char *const known_keys[] = {
	"app_name", "link", "minutes", "hours", "username", "email"
};

struct mail_tmpls {
	char	*part[TMPL__MAX][TPART__MAX];
};

static int
known_key(const char *k, size_t n)
{
	size_t	i;

	for (i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (strlen(known_keys[i]) == n &&
		    memcmp(known_keys[i], k, n) == 0)
			return 1;
	return 0;
}

/*
 * Checks the placeholders of a template: each {{ has its }}, and the
 * name between them is a known key.  Returns 0 or -1 with err.
 */
static int
tmpl_check(const char *t, const char *file, char *err, size_t errlen)
{
	const char	*p, *e;

	for (p = t; (p = strstr(p, "{{")) != NULL; p = e + 2) {
		if ((e = strstr(p + 2, "}}")) == NULL) {
			snprintf(err, errlen, "%s: unterminated {{", file);
			return -1;
		}
		if (!known_key(p + 2, (size_t)(e - p - 2))) {
			snprintf(err, errlen, "%s: unknown placeholder "
			    "{{%.*s}}", file, (int)(e - p - 2 > 40 ? 40 :
			    e - p - 2), p + 2);
			return -1;
		}
	}
	return 0;
}

static char *
read_text(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > TMPL_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most "
		    "%d bytes", path, TMPL_FILE_MAX);
		goto done;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s: short read", path);
			free(buf);
			buf = NULL;
			goto done;
		}
		off += (size_t)r;
	}
	buf[off] = '\0';
	if (strlen(buf) != off) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		buf = NULL;
	}
done:
	close(fd);
	return buf;
}

/* An allocated "<dir>/<rel>" when that is a directory, else NULL. */
static char *
dir_under(const char *dir, const char *rel)
{
	struct stat	 st;
	char		*path;

	path = xasprintf("%s/%s", dir, rel);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return path;
	free(path);
	return NULL;
}

/*
 * See mail.h.  The executable's directory comes from /proc/self/exe, so
 * a binary run from the source tree finds the tree's templates, and an
 * installed one those installed beside it (<PREFIX>/bin/auth-mailer,
 * <PREFIX>/share/authd/templates), wherever DESTDIR put the PREFIX.
 */
char *
mail_tmpl_dir(void)
{
	const char	*env;
	char		 exe[PATH_MAX], *slash, *dir = NULL;
	ssize_t		 n;

	if ((env = getenv("MAIL_TEMPLATE_DIR")) != NULL && *env != '\0')
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if ((dir = dir_under(exe, "mail/templates")) == NULL)
				dir = dir_under(exe, "../share/authd/templates");
		}
	}
	return dir != NULL ? dir : xstrdup(MAIL_TEMPLATE_FALLBACK);
}

/*
 * See mail.h.  A subject is one non-empty line (a final newline is
 * dropped); bodies may use LF or CRLF, they are re-encoded anyway.
 */
struct mail_tmpls *
mail_tmpls_load(const char *dir, char *err, size_t errlen)
{
	struct mail_tmpls	*t;
	char			*path = NULL, *s;
	size_t			 n;
	int			 i, j, ok = 0;

	t = xcalloc(1, sizeof(*t));
	for (i = 0; i < TMPL__MAX; i++) {
		for (j = 0; j < TPART__MAX; j++) {
			free(path);
			path = xasprintf("%s/%s.%s", dir, tmpl_names[i],
			    tpart_ext[j]);
			if ((s = read_text(path, err, errlen)) == NULL)
				goto done;
			t->part[i][j] = s;
			if (tmpl_check(s, path, err, errlen) == -1)
				goto done;
			if (j != TPART_SUBJECT)
				continue;
			n = strlen(s);
			if (n > 0 && s[n - 1] == '\n')
				s[--n] = '\0';
			if (n > 0 && s[n - 1] == '\r')
				s[--n] = '\0';
			if (n == 0 || strpbrk(s, "\r\n") != NULL) {
				snprintf(err, errlen, "%s: must be one "
				    "non-empty line", path);
				goto done;
			}
		}
	}
	ok = 1;
done:
	free(path);
	if (!ok) {
		mail_tmpls_free(t);
		t = NULL;
	}
	return t;
}

/* See mail.h; NULL-safe. */
void
mail_tmpls_free(struct mail_tmpls *t)
{
	int	i, j;

	if (t == NULL)
		return;
	for (i = 0; i < TMPL__MAX; i++)
		for (j = 0; j < TPART__MAX; j++)
			free(t->part[i][j]);
	free(t);
}

/*
 * The value of a placeholder: the message's own values first, then what
 * can be derived (app_name from the configuration, email from the
 * recipient, hours from minutes).  hbuf holds a derived number.
 */
static const char *
lookup(const struct mail_msg *m, const struct mail_env *env,
    const char *key, char *hbuf, size_t hlen)
{
	const char	*v, *mins;
	char		*end;
	long		 n;

	if ((v = mail_msg_value(m, key)) != NULL)
		return v;
	if (strcmp(key, "app_name") == 0)
		return env->app_name;
	if (strcmp(key, "email") == 0)
		return m->to;
	if (strcmp(key, "hours") == 0 &&
	    (mins = mail_msg_value(m, "minutes")) != NULL) {
		errno = 0;
		n = strtol(mins, &end, 10);
		if (errno != 0 || end == mins || *end != '\0' || n < 0)
			return NULL;
		snprintf(hbuf, hlen, "%ld", n < 60 ? 1 : n / 60);
		return hbuf;
	}
	return NULL;
}

/* What lookup() needs, for tmpl_subst(). */
struct lookup_arg {
	const struct mail_msg	*m;
	const struct mail_env	*env;
	char			 hbuf[32];
};

static const char *
lookup_cb(void *arg, const char *key)
{
	struct lookup_arg	*a = arg;

	return lookup(a->m, a->env, key, a->hbuf, sizeof(a->hbuf));
}

/*
 * Replaces every {{key}} of t, HTML-escaping the values when html
 * (the template code shared with the pages, lib/tmpl.c).  Returns 0, or
 * -1 with err when a placeholder has no value.
 */
static int
substitute(struct tbuf *b, const char *t, const struct mail_msg *m,
    const struct mail_env *env, int html, char *err, size_t errlen)
{
	struct lookup_arg	 a;
	char			 key[64];

	a.m = m;
	a.env = env;
	if (tmpl_subst(b, t, lookup_cb, &a, html, key, sizeof(key)) == -1) {
		snprintf(err, errlen, "template %s: no value for {{%s}}",
		    m->tmpl, key);
		return -1;
	}
	return 0;
}

/*
 * Quoted-printable (RFC 2045) of a text with LF or CRLF line ends:
 * CRLF output, lines of at most 76 characters with soft breaks,
 * trailing white space and a leading dot encoded.
 */
static void
qp_encode(struct tbuf *b, const char *s, size_t len)
{
	static const char	 hx[] = "0123456789ABCDEF";
	const char		*eol;
	char			 tok[3];
	size_t			 i, n, col, tl;
	unsigned char		 c;

	while (len > 0) {
		if ((eol = memchr(s, '\n', len)) == NULL)
			eol = s + len;
		n = (size_t)(eol - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		col = 0;
		for (i = 0; i < n; i++) {
			c = (unsigned char)s[i];
			if (((c >= 33 && c <= 126 && c != '=') ||
			    ((c == ' ' || c == '\t') && i + 1 < n)) &&
			    !(c == '.' && col == 0)) {
				tok[0] = (char)c;
				tl = 1;
			} else {
				tok[0] = '=';
				tok[1] = hx[c >> 4];
				tok[2] = hx[c & 15];
				tl = 3;
			}
			if (col + tl > QP_LINE - 1) {
				tbuf_puts(b, "=\r\n");
				col = 0;
				if (tok[0] == '.') {
					tok[0] = '=';
					tok[1] = '2';
					tok[2] = 'E';
					tl = 3;
				}
			}
			tbuf_add(b, tok, tl);
			col += tl;
		}
		tbuf_puts(b, "\r\n");
		if (eol == s + len)
			break;
		len -= (size_t)(eol - s) + 1;
		s = eol + 1;
	}
}

static int
printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/*
 * RFC 2047 B encoded-words of UTF-8 text, each at most 75 characters,
 * never splitting a UTF-8 sequence, folded with CRLF SP between words.
 */
static void
encoded_words(struct tbuf *b, const char *s)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), n, i;
	uint32_t		 v;
	char			 q[4];
	int			 first = 1;

	while (len > 0) {
		n = len < EW_CHUNK ? len : EW_CHUNK;
		while (n < len && n > 1 && (p[n] & 0xc0) == 0x80)
			n--;
		tbuf_puts(b, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
		first = 0;
		for (i = 0; i < n; i += 3) {
			v = (uint32_t)p[i] << 16;
			if (i + 1 < n)
				v |= (uint32_t)p[i + 1] << 8;
			if (i + 2 < n)
				v |= p[i + 2];
			q[0] = b64[v >> 18 & 63];
			q[1] = b64[v >> 12 & 63];
			q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
			q[3] = i + 2 < n ? b64[v & 63] : '=';
			tbuf_add(b, q, 4);
		}
		tbuf_puts(b, "?=");
		p += n;
		len -= n;
	}
}

/* An unstructured header (Subject): plain when short ASCII. */
static void
hdr_text(struct tbuf *b, const char *name, const char *v)
{
	tbuf_printf(b, "%s: ", name);
	if (printable_ascii(v) && strlen(name) + 2 + strlen(v) <= 78 &&
	    strstr(v, "=?") == NULL)
		tbuf_puts(b, v);
	else
		encoded_words(b, v);
	tbuf_puts(b, "\r\n");
}

/* From: with a display name as atom, quoted-string or encoded-words. */
static void
hdr_from(struct tbuf *b, const char *name, const char *addr)
{
	const char	*s;

	tbuf_puts(b, "From: ");
	if (name == NULL || *name == '\0') {
		tbuf_printf(b, "%s\r\n", addr);
		return;
	}
	if (printable_ascii(name) && strlen(name) <= 60 &&
	    strstr(name, "=?") == NULL) {
		tbuf_puts(b, "\"");
		for (s = name; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				tbuf_puts(b, "\\");
			tbuf_add(b, s, 1);
		}
		tbuf_puts(b, "\"");
	} else
		encoded_words(b, name);
	tbuf_printf(b, " <%s>\r\n", addr);
}

/* The right-hand side of Message-ID: the sender's domain, or "authd". */
static const char *
msgid_domain(const char *from)
{
	const char	*d, *s;

	if ((d = strrchr(from, '@')) == NULL || d[1] == '\0')
		return "authd";
	for (s = ++d; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return "authd";
	return d;
}

static int
tmpl_find(const char *name)
{
	int	i;

	for (i = 0; i < TMPL__MAX; i++)
		if (strcmp(tmpl_names[i], name) == 0)
			return i;
	return -1;
}

/*
 * See mail.h.  The boundary starts with "=_", which quoted-printable
 * output can never contain, so no body line can match it.
 */
int
mail_render(const struct mail_tmpls *t, const struct mail_msg *msg,
    const struct mail_env *env, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct tbuf	 b = { 0 }, part = { 0 };
	struct tm	 tm;
	time_t		 date = (time_t)env->date;
	unsigned char	 rnd[12];
	char		 bnd[64], hex[25], ds[64];
	int		 ti, rc = -1;

	*out = NULL;
	*outlen = 0;
	if ((ti = tmpl_find(msg->tmpl)) == -1) {
		snprintf(err, errlen, "unknown template %s", msg->tmpl);
		goto done;
	}
	if (strpbrk(msg->to, "\r\n") != NULL) {
		snprintf(err, errlen, "bad recipient");
		goto done;
	}
	rand_bytes(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), hex);
	snprintf(bnd, sizeof(bnd), "=_authd_%s", hex);
	gmtime_r(&date, &tm);
	strftime(ds, sizeof(ds), "%a, %d %b %Y %H:%M:%S +0000", &tm);

	hdr_from(&b, env->from_name, env->from_email);
	tbuf_printf(&b, "To: %s\r\n", msg->to);
	if (substitute(&part, t->part[ti][TPART_SUBJECT], msg, env, 0, err,
	    errlen) == -1)
		goto done;
	if (strpbrk(part.p, "\r\n") != NULL) {
		snprintf(err, errlen, "template %s: subject is not one line",
		    msg->tmpl);
		goto done;
	}
	hdr_text(&b, "Subject", part.p);
	tbuf_printf(&b, "Date: %s\r\n", ds);
	tbuf_printf(&b, "Message-ID: <%s@%s>\r\n", msg->id,
	    msgid_domain(env->from_email));
	tbuf_puts(&b, "Auto-Submitted: auto-generated\r\n");
	tbuf_puts(&b, "MIME-Version: 1.0\r\n");
	tbuf_printf(&b, "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n\r\n", bnd);

	tbuf_printf(&b, "--%s\r\n", bnd);
	tbuf_puts(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	tbuf_wipe(&part);
	if (substitute(&part, t->part[ti][TPART_TEXT], msg, env, 0, err,
	    errlen) == -1)
		goto done;
	qp_encode(&b, part.p, part.len);

	tbuf_printf(&b, "--%s\r\n", bnd);
	tbuf_puts(&b, "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	tbuf_wipe(&part);
	if (substitute(&part, t->part[ti][TPART_HTML], msg, env, 1, err,
	    errlen) == -1)
		goto done;
	qp_encode(&b, part.p, part.len);
	tbuf_printf(&b, "--%s--\r\n", bnd);

	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
	rc = 0;
done:
	tbuf_wipe(&part);
	tbuf_wipe(&b);
	return rc;
}
