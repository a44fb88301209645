/*
 * The logging module: one line per event on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "authd";
static int		 log_debug_on;
static pid_t		 log_pid;	/* getpid() is a system call each time */
static int		 log_buffered;
static char		 log_buf[16384];
static size_t		 log_len;

void
log_buffer(int on)
{
	log_flush();
	log_buffered = on;
}

void
log_flush(void)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < log_len) {
		if ((n = write(STDERR_FILENO, log_buf + off, log_len - off)) > 0)
			off += (size_t)n;
		else if (n == -1 && errno == EINTR)
			continue;
		else
			break;
	}
	log_len = 0;
}

void
log_init(const char *name, int debug)
{
	log_name = name;
	log_debug_on = debug;
	log_pid = getpid();
}

static void
vlog(const char *level, const char *fmt, va_list ap, const char *err)
{
	static char	 ts[32];
	static time_t	 ts_at = -1;	/* the second ts was made for */
	char		 line[2048];
	struct tm	 tm;
	time_t		 t = time(NULL);
	size_t		 len;
	int		 n;

	if (t != ts_at) {
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		ts_at = t;
	}
	n = snprintf(line, sizeof(line), "%s %s[%d] %s: ", ts, log_name,
	    (int)(log_pid != 0 ? log_pid : getpid()), level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (err != NULL) {
		n = (int)strlen(line);
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", err);
	}
	len = strlen(line);
	if (log_buffered && level[0] != 'w') {
		if (log_len + len + 1 > sizeof(log_buf))
			log_flush();
		memcpy(log_buf + log_len, line, len);
		log_buf[log_len + len] = '\n';
		log_len += len + 1;
		return;
	}
	log_flush();
	fprintf(stderr, "%s\n", line);
}

void
log_warn(const char *fmt, ...)
{
	va_list		 ap;
	char		 buf[128];
	const char	*err;
	int		 saved = errno;

	err = strerror_r(saved, buf, sizeof(buf));
	va_start(ap, fmt);
	vlog("warning", fmt, ap, err);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, NULL);
	va_end(ap);
}

void
log_escape(const char *s, char *buf, size_t n)
{
	static const char	 hx[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 c;

	if (n == 0)
		return;
	for (; s != NULL && *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			if (o + 1 >= n)
				break;
			buf[o++] = (char)c;
		} else {
			if (o + 4 >= n)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hx[c >> 4];
			buf[o++] = hx[c & 15];
		}
	}
	buf[o] = '\0';
}
