/*
 * The mailer's delivery steps.  A message moves only by rename(2):
 * new/ or retry/ -> cur/ (claimed) -> removed after the server accepted
 * it, or rewritten in place and moved on to retry/ or failed/.  A crash
 * at any point leaves it in one directory; whatever is in cur/ at start
 * goes back to new/, so delivery is at least once, and the Message-ID
 * derived from the message id lets the server recognise a resend.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "log.h"
#include "mail.h"
#include "util.h"

#define BATCH_MAX	256	/* names read from a directory at once */
#define RETRY_RESCAN	60.0	/* seconds between unconditional retry/ reads */
#define TMP_STALE	3600	/* seconds before a worker's tmp/ file is junk */

/* The time the retry schedule goes by: the mailer's clock, or the real one. */
static double
clock_now(const struct mailer *m)
{
	return m->now != NULL ? m->now() : mail_now();
}

/* The recipient's domain for the log, escaped; never the full address. */
static void
log_domain(const char *to, char *buf, size_t n)
{
	const char	*d;

	if ((d = strrchr(to, '@')) == NULL)
		d = "?";
	log_escape(d, buf, n);
}

/* Names ending in .json, not hidden: the only files the mailer moves. */
static int
msg_name(const char *name)
{
	size_t	n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0 &&
	    strchr(name, '/') == NULL;
}

/*
 * Reads up to max message names of a directory into an allocated array.
 * Returns the count, or -1 (logged).  *names is freed with free_names().
 */
static int
list_dir(const char *path, char ***names, size_t max)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	*names = NULL;
	if ((d = opendir(path)) == NULL) {
		log_warn("mailer: opendir %s", path);
		return -1;
	}
	*names = xcalloc(max, sizeof(char *));
	while (n < max && (e = readdir(d)) != NULL)
		if (msg_name(e->d_name))
			(*names)[n++] = xstrdup(e->d_name);
	closedir(d);
	return (int)n;
}

static void
free_names(char **names, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * See mail.h.  tmp/ holds the mailer's own half-written rewrites (*.m,
 * always garbage at start) and workers' files that were never renamed
 * into new/ (their request failed); the latter are removed only when
 * old, since a worker may be writing one right now.
 */
int
mailer_recover(const char *spool_dir)
{
	DIR		*d = NULL;
	struct dirent	*e;
	struct stat	 st;
	char		*dir = NULL, *src = NULL, *dst = NULL;
	size_t		 n;
	int		 count = 0, rc = -1;

	dir = xasprintf("%s/cur", spool_dir);
	if ((d = opendir(dir)) == NULL) {
		log_warn("mailer: opendir %s", dir);
		goto done;
	}
	while ((e = readdir(d)) != NULL) {
		if (!msg_name(e->d_name))
			continue;
		free(src);
		free(dst);
		src = xasprintf("%s/cur/%s", spool_dir, e->d_name);
		dst = xasprintf("%s/new/%s", spool_dir, e->d_name);
		if (rename(src, dst) == -1) {
			log_warn("mailer: rename %s", src);
			goto done;
		}
		count++;
	}
	closedir(d);
	d = NULL;

	free(dir);
	dir = xasprintf("%s/tmp", spool_dir);
	if ((d = opendir(dir)) == NULL) {
		log_warn("mailer: opendir %s", dir);
		goto done;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		free(src);
		src = xasprintf("%s/tmp/%s", spool_dir, e->d_name);
		n = strlen(e->d_name);
		if ((n > 2 && strcmp(e->d_name + n - 2, ".m") == 0) ||
		    (lstat(src, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < now_s() - TMP_STALE)) {
			if (unlink(src) == -1)
				log_warn("mailer: unlink %s", src);
		}
	}
	if (count > 0)
		log_info("returned %d message(s) from cur/ to new/", count);
	rc = count;
done:
	if (d != NULL)
		closedir(d);
	free(dir);
	free(src);
	free(dst);
	return rc;
}

/*
 * Rewrites the claimed file with msg's new state and moves it into
 * sub/.  Returns 0 or -1 (logged; the message stays in cur/ and comes
 * back at the next start).
 */
static int
settle(struct mailer *m, const struct mail_msg *msg, const char *name,
    const char *sub)
{
	char	*cur, *dst;
	int	 rc = -1;

	cur = xasprintf("%s/cur/%s", m->cfg->spool_dir, name);
	dst = xasprintf("%s/%s/%s", m->cfg->spool_dir, sub, name);
	if (mail_msg_store(m->cfg->spool_dir, "cur", name, msg) == -1)
		goto done;
	if (rename(cur, dst) == -1) {
		log_warn("mailer: rename %s", cur);
		goto done;
	}
	rc = 0;
done:
	free(cur);
	free(dst);
	return rc;
}

/* See mail.h. */
int
mailer_deliver(struct mailer *m, const char *dir, const char *name)
{
	const struct config	*c = m->cfg;
	struct mail_msg		*msg = NULL;
	struct mail_env		 env;
	char			*src, *cur, *fail = NULL, *out = NULL;
	char			 err[512], eerr[512], dom[128], ename[128];
	size_t			 outlen = 0;
	int64_t			 delay;
	int			 rc = -1;

	src = xasprintf("%s/%s/%s", c->spool_dir, dir, name);
	cur = xasprintf("%s/cur/%s", c->spool_dir, name);
	if (rename(src, cur) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			log_warn("mailer: claim %s", src);
		goto done;
	}
	if (mail_msg_read(cur, &msg) == -1) {
		log_escape(name, ename, sizeof(ename));
		fail = xasprintf("%s/failed/%s", c->spool_dir, name);
		if (rename(cur, fail) == -1) {
			log_warn("mailer: rename %s", cur);
			goto done;
		}
		log_warnx("mail %s: unreadable message moved to failed/",
		    ename);
		m->failed++;
		rc = 0;
		goto done;
	}

	log_domain(msg->to, dom, sizeof(dom));
	msg->attempts++;
	env.from_email = c->from_email;
	env.from_name = c->from_name;
	env.app_name = c->app_name;
	env.date = now_s();
	if (mail_render(m->tmpls, msg, &env, &out, &outlen, err,
	    sizeof(err)) == -1) {
		log_escape(err, eerr, sizeof(eerr));
		free(msg->last_error);
		msg->last_error = xstrdup(err);
		if (settle(m, msg, name, "failed") == -1)
			goto done;
		log_warnx("mail %s template=%s to=%s attempt=%ld: not "
		    "renderable, moved to failed/: %s", msg->id, msg->tmpl,
		    dom, msg->attempts, eerr);
		m->failed++;
		rc = 0;
		goto done;
	}

	if (strcmp(c->mail_transport, "file") == 0)
		rc = mail_file_send(c->outbox_dir, msg->id, out, outlen, err,
		    sizeof(err));
	else
		rc = mail_smtp_send(c, msg->to, out, outlen, err, sizeof(err));
	if (rc == 0) {
		if (unlink(cur) == -1)
			log_warn("mailer: unlink %s", cur);
		log_info("mail %s template=%s to=%s attempt=%ld: sent",
		    msg->id, msg->tmpl, dom, msg->attempts);
		m->sent++;
		rc = 1;
		goto done;
	}

	log_escape(err, eerr, sizeof(eerr));
	free(msg->last_error);
	msg->last_error = xstrdup(err);
	if (msg->attempts >= c->mail_max_attempts) {
		if ((rc = settle(m, msg, name, "failed")) == -1)
			goto done;
		log_warnx("mail %s template=%s to=%s attempt=%ld: failed, "
		    "giving up, moved to failed/: %s", msg->id, msg->tmpl,
		    dom, msg->attempts, eerr);
		m->failed++;
		goto done;
	}
	delay = mail_retry_delay_ms(msg->attempts, c->mail_retry_scale);
	msg->next_attempt = clock_now(m) + (double)delay / 1000.0;
	if ((rc = settle(m, msg, name, "retry")) == -1)
		goto done;
	if (msg->next_attempt < m->retry_due)
		m->retry_due = msg->next_attempt;
	log_warnx("mail %s template=%s to=%s attempt=%ld: failed, retry in "
	    "%.3fs: %s", msg->id, msg->tmpl, dom, msg->attempts,
	    (double)delay / 1000.0, eerr);
	m->retried++;
done:
	if (out != NULL) {
		OPENSSL_cleanse(out, outlen);
		free(out);
	}
	mail_msg_free(msg);
	free(src);
	free(cur);
	free(fail);
	return rc;
}

static int
stopping(const struct mailer *m)
{
	return m->stopping != NULL && m->stopping(m->stop_arg);
}

/* Delivers all of new/, batch by batch.  Returns the number sent or -1. */
static int
run_new(struct mailer *m)
{
	char	*dir, **names;
	int	 n, i, sent = 0, rc = -1;

	dir = xasprintf("%s/new", m->cfg->spool_dir);
	do {
		if ((n = list_dir(dir, &names, BATCH_MAX)) == -1)
			goto done;
		for (i = 0; i < n && !stopping(m); i++)
			if (mailer_deliver(m, "new", names[i]) == 1)
				sent++;
		free_names(names, n);
		names = NULL;
	} while (n == BATCH_MAX && !stopping(m));
	rc = sent;
done:
	free(dir);
	return rc;
}

/*
 * Delivers the due messages of retry/ and notes when the next one is
 * due.  A file that cannot be read is handed to mailer_deliver(), which
 * moves it to failed/.
 */
static int
run_retry(struct mailer *m)
{
	struct mail_msg	*msg;
	char		*dir, *path = NULL, **names = NULL;
	double		 now = clock_now(m);
	int		 n, i, r, sent = 0, rc = -1;

	/* Lowered below by waiting entries and by mailer_deliver(). */
	m->retry_due = now + RETRY_RESCAN;
	dir = xasprintf("%s/retry", m->cfg->spool_dir);
	if ((n = list_dir(dir, &names, BATCH_MAX * 16)) == -1)
		goto done;
	for (i = 0; i < n && !stopping(m); i++) {
		free(path);
		path = xasprintf("%s/%s", dir, names[i]);
		if ((r = mail_msg_read(path, &msg)) == -1 && errno == ENOENT)
			continue;
		if (r == 0 && msg->next_attempt > now) {
			if (msg->next_attempt < m->retry_due)
				m->retry_due = msg->next_attempt;
			mail_msg_free(msg);
			continue;
		}
		mail_msg_free(msg);
		if (mailer_deliver(m, "retry", names[i]) == 1)
			sent++;
	}
	if (i < n || n == BATCH_MAX * 16)
		m->retry_due = now;
	rc = sent;
done:
	free_names(names, n);
	free(dir);
	free(path);
	return rc;
}

/* See mail.h. */
int
mailer_run(struct mailer *m)
{
	int	a, b = 0;

	if ((a = run_new(m)) == -1 || stopping(m))
		return a;
	if (m->retry_due <= clock_now(m) && (b = run_retry(m)) == -1)
		return -1;
	return a + b;
}

/* See mail.h. */
int
mailer_timeout_ms(const struct mailer *m, int max_ms)
{
	double	d;

	d = (m->retry_due - clock_now(m)) * 1000.0 + 1;
	if (d < 0)
		return 0;
	if (d > max_ms)
		return max_ms;
	return (int)d;
}
