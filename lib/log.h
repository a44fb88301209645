/*
 * The logging module.  Lines go to stderr (captured by spawn-fcgi's
 * supervisor or journald), prefixed with the program name and pid.
 * log_warn() appends strerror(errno).  Callers never pass passwords,
 * tokens, links or Authorization headers: there is no redaction layer
 * behind this, the rule is enforced where lines are made.
 * log_escape() makes untrusted bytes printable for a log line.
 */
#ifndef AUTHD_LOG_H
#define AUTHD_LOG_H

#include <stddef.h>

void	log_init(const char *name, int debug);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Buffering of info and debug lines (a worker turns it on and flushes
 * before it waits for work: one write per round of requests instead of
 * one per request).  Warnings flush what is buffered and are written at
 * once, so they are never lost or reordered.
 */
void	log_buffer(int on);
void	log_flush(void);
/* Copies s into buf (size n), escaping non-printable bytes as \xNN and truncating. */
void	log_escape(const char *s, char *buf, size_t n);

#endif
