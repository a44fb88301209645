/*
 * Mail: the spool writer used by handlers, and the pieces of the
 * auth-mailer process (message reader, template rendering, SMTP).
 *
 * Spool layout (all under MAIL_SPOOL_DIR, one filesystem):
 *   tmp/ being written, new/ waiting, cur/ claimed by the mailer,
 *   retry/ waiting for the next attempt, failed/ given up.  (No sent/
 *   history: a sent message still holds a live link, so it is removed.)
 * A message is one JSON file named <id>.json:
 *   {"id":"<uuid>","template":"reset_password","to":"a@b.c",
 *    "values":{"link":"...",...},"created":<unix>,"attempts":0,
 *    "next_attempt":<unix>,"last_error":null}
 * next_attempt may carry a fraction of a second (retry delays scaled
 * down for tests are shorter than a second).  Every move between the
 * directories is a rename(2), so a crash leaves each message in exactly
 * one place.  See mail/README.md for the mailer's behaviour.
 */
#ifndef AUTHD_MAIL_H
#define AUTHD_MAIL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_EHEADER	(-2)	/* CR/LF or NUL in a header value */

/* Largest message file the mailer accepts, in bytes. */
#define MAIL_MSG_MAX	(64 * 1024)

struct config;

/*
 * Queues one message atomically (write in tmp/, fsync, rename into new/).
 * kv is a NULL-terminated list of key, value, key, value, ... template
 * values.  The recipient and every value are checked for CR/LF/NUL.
 * Returns 0 and writes the message id to id (37 bytes, may be NULL),
 * SPOOL_EHEADER for an injection attempt (nothing written), -1 on I/O
 * failure (logged, nothing left in new/).
 */
int	 spool_queue(const char *spool_dir, const char *tmpl, const char *to,
	    const char *const *kv, char *id);

/* Writes, syncs and removes a decoy file in tmp/ (timing equaliser). */
void	 spool_decoy(const char *spool_dir);

/* Creates the spool directories (0700).  Returns 0 or -1 (logged). */
int	 spool_init(const char *spool_dir);

/* 1 when the spool directories exist and are writable, else 0. */
int	 spool_ready(const char *spool_dir);

/*
 * One spool message as the mailer sees it.  Every string is allocated
 * and owned by the structure; mail_msg_free() releases it all.
 */
struct mail_msg {
	char		*id;		/* UUID, lower-case */
	char		*tmpl;		/* template name */
	char		*to;		/* recipient address */
	char		**keys;		/* template value names ... */
	char		**vals;		/* ... and their values */
	size_t		 nvals;
	int64_t		 created;	/* unix seconds */
	long		 attempts;	/* failed attempts so far */
	double		 next_attempt;	/* unix seconds, 0 = now */
	char		*last_error;	/* NULL when none */
};

/*
 * Parses a message file's bytes.  Every field is checked (types, the id
 * is a UUID, the template a plain name, no CR/LF/NUL in the recipient
 * or any value).  Returns 0 and an allocated *out, or -1 (nothing
 * allocated).  Used on untrusted bytes by the fuzzer.
 */
int	 mail_msg_parse(const char *buf, size_t len, struct mail_msg **out);

/*
 * Reads and parses one message file.  Returns 0 and an allocated *out,
 * -1 when it cannot be read or is malformed (errno ENOENT when it is
 * gone), nothing allocated.
 */
int	 mail_msg_read(const char *path, struct mail_msg **out);

/*
 * Writes msg as the file <spool_dir>/<sub>/<name> atomically: a private
 * file in tmp/, fsync, rename over the destination, fsync of the
 * directory.  Returns 0 or -1 (logged, the destination untouched).
 */
int	 mail_msg_store(const char *spool_dir, const char *sub,
	    const char *name, const struct mail_msg *msg);

/* The value of key, or NULL.  The string belongs to msg. */
const char *mail_msg_value(const struct mail_msg *msg, const char *key);

/*
 * Writes buf to path (mode 0600, never through a symbolic link), fsyncs
 * and closes it.  excl: the file must not exist, else it is truncated.
 * Returns 0, or -1 with errno set (a partial file may remain).
 */
int	 mail_write_synced(const char *path, int excl, const char *buf,
	    size_t len);

/* fsync(2) of a directory, making renames into it durable; 0 or -1. */
int	 mail_fsync_dir(const char *path);

/* mkdir -p, mode 0700 for what it creates.  0, or -1 with errno. */
int	 mail_mkdirs(const char *path);

/* Frees a message; NULL-safe. */
void	 mail_msg_free(struct mail_msg *msg);

/*
 * Delay before the next attempt after the attempts-th failure (1-based),
 * in milliseconds: 60 s, 300 s, 1800 s, 7200 s, then doubling, capped at
 * 24 h, each multiplied by scale (MAIL_RETRY_SCALE), never below
 * MAIL_RETRY_MIN_MS whatever the scale.
 */
#define MAIL_RETRY_MIN_MS	50
int64_t	 mail_retry_delay_ms(long attempts, double scale);

/*
 * Templates (render.c).  A template set is loaded once at start from a
 * directory holding <name>.subject, <name>.txt and <name>.html for each
 * known template; placeholders are {{key}}.
 */
struct mail_tmpls;

/*
 * The template directory: MAIL_TEMPLATE_DIR when set, else
 * <directory of the executable>/mail/templates when it exists (the source
 * tree), else <directory of the executable>/../share/authd/templates when
 * it exists (an installed tree), else MAIL_TEMPLATE_FALLBACK
 * (PREFIX/share/authd/templates, compiled in).  Returns an allocated path.
 */
char	*mail_tmpl_dir(void);

/*
 * Loads and checks every template of dir.  Returns the set (free with
 * mail_tmpls_free), or NULL with the reason in err.
 */
struct mail_tmpls *mail_tmpls_load(const char *dir, char *err, size_t errlen);
void	 mail_tmpls_free(struct mail_tmpls *);

/* What a rendered message needs beyond the spool message itself. */
struct mail_env {
	const char	*from_email;	/* EMAILS_FROM_EMAIL */
	const char	*from_name;	/* EMAILS_FROM_NAME, may be NULL */
	const char	*app_name;	/* default for {{app_name}} */
	int64_t		 date;		/* Date: header, unix seconds */
};

/*
 * Renders msg into a complete RFC 5322 message (CRLF line endings,
 * multipart/alternative text and HTML, quoted-printable bodies, RFC 2047
 * encoded From name and Subject, Message-ID derived from msg->id).
 * Values are HTML-escaped in the HTML part.  Returns 0 with an allocated
 * *out of *outlen bytes (NUL-terminated), or -1 with the reason in err
 * (unknown template, a placeholder without a value): a permanent error.
 */
int	 mail_render(const struct mail_tmpls *, const struct mail_msg *msg,
	    const struct mail_env *env, char **out, size_t *outlen,
	    char *err, size_t errlen);

/*
 * Transports (smtp.c).  Both return 0 when the message was accepted,
 * or -1 with a reason without secrets in err.
 *
 * mail_smtp_send: one SMTP transaction through libcurl with the
 * SMTP_* settings of c, envelope sender c->from_email, one recipient.
 */
int	 mail_smtp_send(const struct config *c, const char *to,
	    const char *msg, size_t len, char *err, size_t errlen);

/*
 * mail_file_send: writes the message as <dir>/<id>.eml atomically
 * (mode 0600); a second delivery of the same id replaces the file.
 */
int	 mail_file_send(const char *dir, const char *id, const char *msg,
	    size_t len, char *err, size_t errlen);

/*
 * The delivery loop's steps (queue.c), driven by auth-mailer's main.
 * A struct mailer holds what they share; the caller fills it.
 */
struct mailer {
	const struct config	*cfg;
	const struct mail_tmpls	*tmpls;
	int			(*stopping)(void *);	/* may be NULL */
	void			*stop_arg;
	double			 retry_due;	/* when to read retry/; 0 = now */
	unsigned long		 sent, retried, failed;
	/* The clock of the retry schedule; NULL = mail_now() (tests set one). */
	double			(*now)(void);
};

/*
 * Start-up recovery: returns every message left in cur/ to new/ and
 * removes stale files from tmp/.  Returns the number of messages
 * returned, or -1 (logged).
 */
int	 mailer_recover(const char *spool_dir);

/*
 * Claims <spool_dir>/<dir>/<name> by renaming it into cur/, renders and
 * sends it, then removes it, or records the failure and moves it into
 * retry/ (or failed/ after cfg->mail_max_attempts).  One log line per
 * attempt.  Returns 1 sent, 0 not sent (retry, failed, or claimed by
 * someone else), -1 on a spool I/O failure (logged).
 */
int	 mailer_deliver(struct mailer *m, const char *dir, const char *name);

/*
 * Delivers every message in new/, then every due message in retry/
 * (retry/ is read only when its earliest entry is due, or once a
 * minute: only the mailer writes there, so it knows when that is).
 * Stops between messages when m->stopping(m->stop_arg) says so.
 * Returns the number sent, or -1 when a directory cannot be read.
 */
int	 mailer_run(struct mailer *m);

/*
 * Milliseconds until the next retry is due, at most max_ms, at least 0.
 */
int	 mailer_timeout_ms(const struct mailer *m, int max_ms);

/* Current time in unix seconds with a fraction. */
double	 mail_now(void);

#endif
