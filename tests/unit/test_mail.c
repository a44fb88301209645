/*
 * Unit tests of mail/: the spool writer and reader, the retry schedule,
 * template rendering (escaping, MIME structure, CRLF, headers) and the
 * mailer's delivery steps with the file transport and with an SMTP
 * server that refuses connections.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "mail.h"
#include "util.h"
#include "t.h"

static char	spool[256], outbox[256];

static int
count(const char *sub)
{
	DIR		*d;
	struct dirent	*e;
	char		 p[512];
	int		 n = 0;

	snprintf(p, sizeof(p), "%s/%s", spool, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The first file name of a spool directory, into buf. */
static int
first(const char *dir, char *buf, size_t n)
{
	DIR		*d;
	struct dirent	*e;
	int		 found = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(buf, n, "%s", e->d_name);
			found = 1;
			break;
		}
	closedir(d);
	return found;
}

static void
rm_rf(const char *path)
{
	char	*cmd;

	cmd = xasprintf("rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
	free(cmd);
}

/* Decodes quoted-printable (soft breaks, =XX) into an allocated string. */
static char *
qp_decode(const char *s, size_t n)
{
	char	*o, *p, h[3] = { 0 };
	size_t	 i;

	p = o = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n')
			i += 2;
		else if (s[i] == '=' && i + 2 < n) {
			h[0] = s[i + 1];
			h[1] = s[i + 2];
			*p++ = (char)strtol(h, NULL, 16);
			i += 2;
		} else
			*p++ = s[i];
	}
	*p = '\0';
	return o;
}

/* The decoded body of the part with the given content type. */
static char *
part(const char *msg, const char *ctype)
{
	const char	*p, *b, *e;

	if ((p = strstr(msg, ctype)) == NULL ||
	    (b = strstr(p, "\r\n\r\n")) == NULL ||
	    (e = strstr(b, "\r\n--=_authd_")) == NULL)
		return xstrdup("");
	return qp_decode(b + 4, (size_t)(e - b - 4) + 2);
}

static int
no_bare_lf(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 0;
	return 1;
}

static size_t
longest_line(const char *s)
{
	const char	*e;
	size_t		 max = 0;

	for (; (e = strstr(s, "\r\n")) != NULL; s = e + 2)
		if ((size_t)(e - s) > max)
			max = (size_t)(e - s);
	return max;
}

static void
test_spool(void)
{
	const char *const kv[] = { "link", "https://x.test/r?t=abc",
	    "minutes", "30", "username", "al", NULL };
	const char *const bad1[] = { "link", "x\r\nBcc: e@vil", NULL };
	const char *const bad2[] = { "link", "x\ny", NULL };
	const char *const bad3[] = { "username", "a\rb", NULL };
	struct mail_msg	*m = NULL, *m2 = NULL;
	struct stat	 st;
	char		 id[37], name[128], path[512];

	T_OK(spool_ready(spool) == 0, "not ready before init");
	T_OK(spool_init(spool) == 0);
	T_OK(spool_ready(spool) == 1);
	T_OK(stat(spool, &st) == 0 && (st.st_mode & 0777) == 0700);

	T_OK(spool_queue(spool, "reset_password", "al@example.org", kv,
	    id) == 0);
	T_OK(strlen(id) == 36 && id[14] == '4');
	T_OK(count("new") == 1);
	T_OK(count("tmp") == 0);
	snprintf(path, sizeof(path), "%s/new/%s.json", spool, id);
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	T_OK(spool_queue(spool, "reset_password", "a@b.c\r\nBcc: x@y.z", kv,
	    NULL) == SPOOL_EHEADER);
	T_OK(spool_queue(spool, "reset_password", "a@b.c\n", kv, NULL) ==
	    SPOOL_EHEADER);
	T_OK(spool_queue(spool, "reset_password", "a@b.c\t", kv, NULL) ==
	    SPOOL_EHEADER);
	T_OK(spool_queue(spool, "reset_password", "", kv, NULL) ==
	    SPOOL_EHEADER);
	T_OK(spool_queue(spool, "reset_password", "a@b.c", bad1, NULL) ==
	    SPOOL_EHEADER);
	T_OK(spool_queue(spool, "reset_password", "a@b.c", bad2, NULL) ==
	    SPOOL_EHEADER);
	T_OK(spool_queue(spool, "reset_password", "a@b.c", bad3, NULL) ==
	    SPOOL_EHEADER);
	T_OK(spool_queue(spool, "../x", "a@b.c", kv, NULL) == -1);
	T_OK(count("new") == 1, "refused messages wrote nothing");
	T_OK(count("tmp") == 0);

	/* Round trip through the mailer's reader. */
	T_OK(mail_msg_read(path, &m) == 0);
	if (m != NULL) {
		T_STREQ(m->id, id);
		T_STREQ(m->tmpl, "reset_password");
		T_STREQ(m->to, "al@example.org");
		T_OK(m->nvals == 3);
		T_STREQ(mail_msg_value(m, "link"), "https://x.test/r?t=abc");
		T_STREQ(mail_msg_value(m, "minutes"), "30");
		T_STREQ(mail_msg_value(m, "username"), "al");
		T_OK(mail_msg_value(m, "nope") == NULL);
		T_OK(m->attempts == 0 && m->next_attempt == 0);
		T_OK(m->last_error == NULL);
		T_OK(m->created > now_s() - 5 && m->created <= now_s());

		/* Rewrite with a new state, read back. */
		m->attempts = 3;
		m->next_attempt = 1700000000.25;
		m->last_error = xstrdup("Failed \"RCPT\" (reply 451)");
		snprintf(name, sizeof(name), "%s.json", id);
		T_OK(mail_msg_store(spool, "retry", name, m) == 0);
		T_OK(count("retry") == 1 && count("tmp") == 0);
		snprintf(path, sizeof(path), "%s/retry/%s", spool, name);
		T_OK(mail_msg_read(path, &m2) == 0);
		if (m2 != NULL) {
			T_STREQ(m2->id, m->id);
			T_STREQ(m2->to, m->to);
			T_OK(m2->attempts == 3);
			T_OK(fabs(m2->next_attempt - 1700000000.25) < 1e-6);
			T_STREQ(m2->last_error, m->last_error);
			T_STREQ(mail_msg_value(m2, "link"),
			    "https://x.test/r?t=abc");
			T_OK(m2->created == m->created);
		}
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/new/%s.json", spool, id);
	T_OK(unlink(path) == 0);
	mail_msg_free(m);
	mail_msg_free(m2);
}

static void
test_parse(void)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"id\":\"x\",\"template\":\"t\",\"to\":\"a@b\",\"values\":{}}",
		"{\"id\":\"00000000-0000-4000-8000-00000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"../t\",\"to\":\"a@b\",\"values\":{}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\\r\\nBcc: c@d\",\"values\":{}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{\"k\":\"a\\nb\"}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{\"k\":\"a\\u0000b\"}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{\"k\":1}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{\"K-1\":\"v\"}}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{},\"attempts\":-1}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{},\"attempts\":\"1\"}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{},\"next_attempt\":-5}",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{}} x",
		"{\"id\":\"00000000-0000-4000-8000-000000000000\",\"template\":"
		    "\"t\",\"to\":\"a@b\",\"values\":{}",
	};
	const char	*good = "{\"id\":\"00000000-0000-4000-8000-000000000000\","
	    "\"template\":\"t\",\"to\":\"a@b\",\"values\":{\"k\":\"v\"},"
	    "\"next_attempt\":12.5,\"last_error\":null}\n";
	struct mail_msg	*m;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		T_OK(mail_msg_parse(bad[i], strlen(bad[i]), &m) == -1 &&
		    m == NULL, "accepted bad[%zu]", i);
		mail_msg_free(m);
	}
	m = NULL;
	T_OK(mail_msg_parse(good, strlen(good), &m) == 0);
	if (m != NULL) {
		T_OK(m->next_attempt == 12.5 && m->attempts == 0);
		T_STREQ(mail_msg_value(m, "k"), "v");
	}
	mail_msg_free(m);
}

static void
test_retry_delay(void)
{
	int64_t	prev = 0, d;
	long	i;

	T_OK(mail_retry_delay_ms(1, 1.0) == 60000);
	T_OK(mail_retry_delay_ms(2, 1.0) == 300000);
	T_OK(mail_retry_delay_ms(3, 1.0) == 1800000);
	T_OK(mail_retry_delay_ms(4, 1.0) == 7200000);
	T_OK(mail_retry_delay_ms(5, 1.0) == 14400000);
	T_OK(mail_retry_delay_ms(6, 1.0) == 28800000);
	for (i = 1; i <= 8; i++) {
		d = mail_retry_delay_ms(i, 1.0);
		T_OK(d > prev, "attempt %ld: %lld <= %lld", i, (long long)d,
		    (long long)prev);
		prev = d;
	}
	T_OK(mail_retry_delay_ms(8, 1.0) == 86400000, "capped at 24 h");
	T_OK(mail_retry_delay_ms(50, 1.0) == 86400000);
	T_OK(mail_retry_delay_ms(1000000, 1.0) == 86400000);
	T_OK(mail_retry_delay_ms(0, 1.0) == 60000);
	T_OK(mail_retry_delay_ms(1, 0.01) == 600);
	T_OK(mail_retry_delay_ms(4, 0.01) == 72000);
	T_OK(mail_retry_delay_ms(1, 0.001) == 60);
	T_OK(mail_retry_delay_ms(1, 0.0001) == MAIL_RETRY_MIN_MS);
	T_OK(mail_retry_delay_ms(1, 0) == MAIL_RETRY_MIN_MS);
	T_OK(mail_retry_delay_ms(1, NAN) == MAIL_RETRY_MIN_MS);
	T_OK(mail_retry_delay_ms(1, -1) == MAIL_RETRY_MIN_MS);
}

static struct mail_msg *
mkmsg(const char *tmpl, const char *const *kv)
{
	struct mail_msg	*m;
	size_t		 n = 0, i;

	while (kv[2 * n] != NULL)
		n++;
	m = xcalloc(1, sizeof(*m));
	m->id = xstrdup("6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab");
	m->tmpl = xstrdup(tmpl);
	m->to = xstrdup("zoe@example.net");
	m->keys = xcalloc(n, sizeof(char *));
	m->vals = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		m->keys[i] = xstrdup(kv[2 * i]);
		m->vals[i] = xstrdup(kv[2 * i + 1]);
	}
	m->nvals = n;
	return m;
}

static void
check_rendered(const char *tmpl, const char *out, size_t len,
    const char *validity)
{
	const char	*from = "From: \"Acme Support\" <noreply@acme.example>\r\n";
	char		*txt, *html;

	T_OK(strlen(out) == len);
	T_OK(no_bare_lf(out, len), "%s: bare LF", tmpl);
	T_OK(len > 2 && memcmp(out + len - 2, "\r\n", 2) == 0);
	T_OK(longest_line(out) <= 78, "%s: line of %zu", tmpl,
	    longest_line(out));
	T_OK(strncmp(out, from, strlen(from)) == 0, "%s: From", tmpl);
	T_OK(strstr(out, "\r\nTo: zoe@example.net\r\n") != NULL);
	T_OK(strstr(out, "\r\nMessage-ID: "
	    "<6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab@acme.example>\r\n") !=
	    NULL, "%s: Message-ID", tmpl);
	T_OK(strstr(out, "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n") !=
	    NULL, "%s: Date", tmpl);
	T_OK(strstr(out, "\r\nMIME-Version: 1.0\r\n") != NULL);
	T_OK(strstr(out, "Content-Type: multipart/alternative;") != NULL);
	T_OK(strstr(out, "\r\nContent-Type: text/plain; charset=UTF-8\r\n")
	    != NULL);
	T_OK(strstr(out, "\r\nContent-Type: text/html; charset=UTF-8\r\n")
	    != NULL);
	T_OK(strstr(out, "Content-Transfer-Encoding: quoted-printable") !=
	    NULL);
	T_OK(strstr(out, "\r\n--=_authd_") != NULL);
	T_OK(strstr(out + len - 40, "--\r\n") != NULL, "closing boundary");

	txt = part(out, "text/plain");
	html = part(out, "text/html");
	T_OK(strstr(txt, "Hello <script>&\"x,") != NULL,
	    "%s: raw value in text", tmpl);
	T_OK(strstr(txt, "https://app.example/r?token=T0k&x=1") != NULL);
	T_OK(strstr(txt, validity) != NULL, "%s: validity", tmpl);
	T_OK(strstr(txt, "Acme") != NULL);
	T_OK(strstr(txt, "zoe@example.net") != NULL);
	T_OK(strstr(html, "Hello &lt;script&gt;&amp;&quot;x,") != NULL,
	    "%s: escaped value in HTML", tmpl);
	T_OK(strstr(html, "<script>") == NULL);
	T_OK(strstr(html, "href=\"https://app.example/r?token=T0k&amp;x=1\"")
	    != NULL, "%s: escaped link", tmpl);
	T_OK(strstr(html, validity) != NULL);
	T_OK(strstr(html, "<html") != NULL);
	free(txt);
	free(html);
}

static void
test_render(const char *tdir)
{
	const char *const reset_kv[] = { "link",
	    "https://app.example/r?token=T0k&x=1", "minutes", "30",
	    "username", "<script>&\"x", "app_name", "Acme", NULL };
	const char *const verify_kv[] = { "link",
	    "https://app.example/r?token=T0k&x=1", "hours", "48",
	    "username", "<script>&\"x", NULL };
	const char *const derived_kv[] = { "link", "https://a.example/v",
	    "minutes", "2880", "username", "u", NULL };
	const char *const missing_kv[] = { "minutes", "30", "username", "u",
	    NULL };
	struct mail_tmpls	*t;
	struct mail_msg		*m;
	struct mail_env		 env = { "noreply@acme.example", "Acme Support",
	    "Acme", 1700000000 };
	char			 err[256], *out = NULL, *out2 = NULL, *p;
	size_t			 len = 0, len2 = 0;

	t = mail_tmpls_load(tdir, err, sizeof(err));
	T_OK(t != NULL, "load %s: %s", tdir, err);
	if (t == NULL)
		return;

	m = mkmsg("reset_password", reset_kv);
	T_OK(mail_render(t, m, &env, &out, &len, err, sizeof(err)) == 0,
	    "%s", err);
	if (out != NULL) {
		check_rendered("reset_password", out, len, "30 minutes");
		T_OK(strstr(out, "\r\nSubject: Reset your Acme password\r\n")
		    != NULL);
		/* Same message again: same headers, new boundary. */
		T_OK(mail_render(t, m, &env, &out2, &len2, err,
		    sizeof(err)) == 0);
		p = strstr(out, "Content-Type: multipart");
		T_OK(p != NULL && out2 != NULL &&
		    strncmp(out, out2, (size_t)(p - out)) == 0);
		T_OK(out2 != NULL && strcmp(out, out2) != 0,
		    "random boundary");
	}
	free(out);
	free(out2);
	out = out2 = NULL;
	mail_msg_free(m);

	m = mkmsg("verify_email", verify_kv);
	T_OK(mail_render(t, m, &env, &out, &len, err, sizeof(err)) == 0,
	    "%s", err);
	if (out != NULL) {
		check_rendered("verify_email", out, len, "48 hours");
		T_OK(strstr(out, "\r\nSubject: Confirm your email address for "
		    "Acme\r\n") != NULL, "app_name from env");
	}
	free(out);
	out = NULL;
	mail_msg_free(m);

	/* hours derived from minutes */
	m = mkmsg("verify_email", derived_kv);
	T_OK(mail_render(t, m, &env, &out, &len, err, sizeof(err)) == 0);
	T_OK(out != NULL && strstr(out, "48 hours") != NULL);
	free(out);
	out = NULL;
	mail_msg_free(m);

	/* RFC 2047 for non-ASCII names and subjects */
	env.from_name = "Zoë \"Ops\" Ünïcode Team";
	env.app_name = "Café";
	m = mkmsg("reset_password", derived_kv);
	T_OK(mail_render(t, m, &env, &out, &len, err, sizeof(err)) == 0);
	if (out != NULL) {
		T_OK(strncmp(out, "From: =?UTF-8?B?", 16) == 0);
		T_OK(strstr(out, " <noreply@acme.example>\r\n") != NULL);
		T_OK(strstr(out, "\r\nSubject: =?UTF-8?B?") != NULL);
		T_OK(no_bare_lf(out, len));
		T_OK(strstr(out, "Caf=C3=A9") != NULL, "QP of UTF-8 body");
	}
	free(out);
	out = NULL;
	mail_msg_free(m);
	env.from_name = "Acme Support";
	env.app_name = "Acme";

	/* a placeholder without a value, an unknown template */
	m = mkmsg("reset_password", missing_kv);
	T_OK(mail_render(t, m, &env, &out, &len, err, sizeof(err)) == -1 &&
	    out == NULL);
	T_OK(strstr(err, "{{link}}") != NULL, "%s", err);
	mail_msg_free(m);
	m = mkmsg("welcome", reset_kv);
	T_OK(mail_render(t, m, &env, &out, &len, err, sizeof(err)) == -1 &&
	    out == NULL);
	mail_msg_free(m);
	mail_tmpls_free(t);
}

static void
test_tmpl_load_errors(const char *tdir)
{
	struct mail_tmpls	*t;
	char			 dir[512], err[256], *cmd;
	FILE			*f;

	snprintf(dir, sizeof(dir), "%s/tmpl", spool);
	cmd = xasprintf("mkdir -p '%s' && cp '%s'/* '%s'/", dir, tdir, dir);
	T_OK(system(cmd) == 0);
	free(cmd);
	T_OK((t = mail_tmpls_load(dir, err, sizeof(err))) != NULL);
	mail_tmpls_free(t);

	cmd = xasprintf("%s/verify_email.txt", dir);
	if ((f = fopen(cmd, "w")) != NULL) {
		fputs("Hi {{usrname}}\n", f);
		fclose(f);
	}
	T_OK(mail_tmpls_load(dir, err, sizeof(err)) == NULL);
	T_OK(strstr(err, "unknown placeholder {{usrname}}") != NULL, "%s",
	    err);
	if ((f = fopen(cmd, "w")) != NULL) {
		fputs("Hi {{username\n", f);
		fclose(f);
	}
	T_OK(mail_tmpls_load(dir, err, sizeof(err)) == NULL);
	unlink(cmd);
	T_OK(mail_tmpls_load(dir, err, sizeof(err)) == NULL);
	T_OK(strstr(err, "verify_email.txt") != NULL, "%s", err);
	free(cmd);
}

/* The clock of test_deliver()'s mailer. */
static double	test_now;

static double
test_clock(void)
{
	return test_now;
}

static void
test_deliver(const char *tdir)
{
	const char *const kv[] = { "link", "https://a.example/r?t=S3cr3t",
	    "minutes", "30", "username", "u", NULL };
	static char		 file[] = "file", smtp[] = "smtp";
	static char		 from[] = "noreply@acme.example", app[] = "Acme";
	static char		 host[] = "127.0.0.1";
	struct config		 c;
	struct mailer		 m;
	struct mail_tmpls	*t;
	struct mail_msg		*msg = NULL;
	char			 err[256], id[37], id2[37], path[1024];
	char			 name[256], dst[1024];
	FILE			*f;

	if ((t = mail_tmpls_load(tdir, err, sizeof(err))) == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.spool_dir = spool;
	c.outbox_dir = outbox;
	c.mail_transport = file;
	c.from_email = from;
	c.app_name = app;
	c.mail_max_attempts = 3;
	c.mail_retry_scale = 0.001;
	c.smtp_host = host;
	c.smtp_port = 1;
	memset(&m, 0, sizeof(m));
	m.cfg = &c;
	m.tmpls = t;
	/* The retry schedule goes by the test's clock, moved by hand. */
	m.now = test_clock;
	test_now = mail_now();
	T_OK(mail_mkdirs(outbox) == 0);

	/* file transport: one .eml in the outbox, spool empty */
	T_OK(spool_queue(spool, "reset_password", "u@example.com", kv,
	    id) == 0);
	T_OK(mailer_run(&m) == 1);
	snprintf(path, sizeof(path), "%s/%s.eml", outbox, id);
	T_OK(access(path, R_OK) == 0, "%s", path);
	T_OK(count("new") == 0 && count("cur") == 0 && count("retry") == 0);
	T_OK(m.sent == 1);

	/* unknown template: failed/ at once, with the reason */
	T_OK(spool_queue(spool, "welcome", "u@example.com", kv, id2) == 0);
	T_OK(mailer_run(&m) == 0);
	T_OK(count("failed") == 1 && count("new") == 0 && count("cur") == 0);
	snprintf(path, sizeof(path), "%s/failed/%s.json", spool, id2);
	T_OK(mail_msg_read(path, &msg) == 0 && msg != NULL &&
	    msg->attempts == 1 && msg->last_error != NULL &&
	    strstr(msg->last_error, "unknown template") != NULL);
	mail_msg_free(msg);
	msg = NULL;
	unlink(path);

	/* SMTP refused: retry/ with the attempt recorded, then failed/ */
	c.mail_transport = smtp;
	T_OK(spool_queue(spool, "verify_email", "u@example.com", kv,
	    id) == 0);
	T_OK(mailer_run(&m) == 0);
	T_OK(count("retry") == 1 && count("new") == 0 && count("cur") == 0);
	snprintf(path, sizeof(path), "%s/retry/%s.json", spool, id);
	T_OK(mail_msg_read(path, &msg) == 0 && msg != NULL &&
	    msg->attempts == 1 && msg->last_error != NULL &&
	    msg->next_attempt > test_now);
	if (msg != NULL && msg->last_error != NULL)
		T_OK(strstr(msg->last_error, "S3cr3t") == NULL);
	mail_msg_free(msg);
	msg = NULL;
	T_OK(mailer_timeout_ms(&m, 1000) >= 60 &&
	    mailer_timeout_ms(&m, 1000) <= 61, "first retry timed: %d",
	    mailer_timeout_ms(&m, 1000));
	T_OK(mailer_run(&m) == 0);
	T_OK(count("retry") == 1, "not yet due");
	test_now += 0.120;
	T_OK(mailer_run(&m) == 0);
	T_OK(count("retry") == 1, "second attempt failed");
	T_OK(mailer_timeout_ms(&m, 1000) >= 300 &&
	    mailer_timeout_ms(&m, 1000) <= 301, "next retry timed: %d",
	    mailer_timeout_ms(&m, 1000));
	test_now += 0.350;
	T_OK(mailer_run(&m) == 0);
	T_OK(count("retry") == 0 && count("failed") == 1, "gave up");
	snprintf(path, sizeof(path), "%s/failed/%s.json", spool, id);
	T_OK(mail_msg_read(path, &msg) == 0 && msg != NULL &&
	    msg->attempts == 3);
	mail_msg_free(msg);
	msg = NULL;
	T_OK(m.retried == 2 && m.failed == 2);

	/* recovery: cur/ back to new/, stale tmp/ rewrites removed */
	T_OK(spool_queue(spool, "verify_email", "u@example.com", kv,
	    id) == 0);
	snprintf(path, sizeof(path), "%s/new", spool);
	T_OK(first(path, name, sizeof(name)));
	snprintf(path, sizeof(path), "%s/new/%s", spool, name);
	snprintf(dst, sizeof(dst), "%s/cur/%s", spool, name);
	T_OK(rename(path, dst) == 0);
	snprintf(path, sizeof(path), "%s/tmp/x.json.m", spool);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	T_OK(mailer_recover(spool) == 1);
	T_OK(count("cur") == 0 && count("new") == 1 && count("tmp") == 0);

	mail_tmpls_free(t);
}

int
main(void)
{
	const char	*tdir;
	char		 base[] = "/tmp/test_mail.XXXXXX";

	log_init("test_mail", 0);
	if ((tdir = getenv("MAIL_TEMPLATE_DIR")) == NULL)
		tdir = "mail/templates";
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(spool, sizeof(spool), "%s/spool/x", base);
	snprintf(outbox, sizeof(outbox), "%s/outbox", base);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	test_spool();
	test_parse();
	test_retry_delay();
	test_render(tdir);
	test_tmpl_load_errors(tdir);
	test_deliver(tdir);

	curl_global_cleanup();
	rm_rf(base);
	return t_done("mail");
}
