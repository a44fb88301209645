/*
 * The two transports: SMTP through libcurl, and the file outbox used when
 * no mail server is configured.  Neither keeps state between messages: a
 * fresh curl handle per message means a server that dropped an idle
 * connection can never turn into a spurious failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "mail.h"
#include "util.h"

#define SMTP_CONNECT_TIMEOUT	10L	/* seconds */
#define SMTP_TIMEOUT		60L	/* seconds, whole transaction */

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload	*u = arg;
	size_t		 n = size * nitems;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/*
 * See mail.h.  The URL carries no credentials (they go through
 * CURLOPT_USERNAME/PASSWORD), so curl's error text cannot hold them;
 * the SMTP reply code, when there is one, is appended to it.
 */
int
mail_smtp_send(const struct config *c, const char *to, const char *msg,
    size_t len, char *err, size_t errlen)
{
	CURL			*h = NULL;
	struct curl_slist	*rcpt = NULL;
	struct upload		 u = { msg, len };
	char			 ebuf[CURL_ERROR_SIZE];
	char			*url = NULL, *from = NULL, *rto = NULL;
	long			 code = 0;
	int			 v6, rc = -1;
	CURLcode		 cc;

	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto done;
	}
	v6 = strchr(c->smtp_host, ':') != NULL;
	url = xasprintf("%s://%s%s%s:%ld", c->smtp_ssl_tls ? "smtps" : "smtp",
	    v6 ? "[" : "", c->smtp_host, v6 ? "]" : "", c->smtp_port);
	from = xasprintf("<%s>", c->from_email);
	rto = xasprintf("<%s>", to);
	if ((rcpt = curl_slist_append(NULL, rto)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	ebuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, SMTP_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	if (c->smtp_starttls)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (c->smtp_user != NULL && *c->smtp_user != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    c->smtp_password != NULL ? c->smtp_password : "");
	}
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (code != 0)
			snprintf(err, errlen, "SMTP reply %ld (%s)", code,
			    ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cc));
		else
			snprintf(err, errlen, "%s", ebuf[0] != '\0' ? ebuf :
			    curl_easy_strerror(cc));
		goto done;
	}
	rc = 0;
done:
	curl_slist_free_all(rcpt);
	if (h != NULL)
		curl_easy_cleanup(h);
	free(url);
	free(from);
	free(rto);
	return rc;
}

/*
 * See mail.h.  The temporary name starts with a dot so a reader of the
 * outbox that looks for *.eml never sees a partial message.
 */
int
mail_file_send(const char *dir, const char *id, const char *msg, size_t len,
    char *err, size_t errlen)
{
	char	*tmp, *dst;
	int	 rc = -1;

	tmp = xasprintf("%s/.%s.eml.tmp", dir, id);
	dst = xasprintf("%s/%s.eml", dir, id);
	if (mail_write_synced(tmp, 0, msg, len) == -1) {
		snprintf(err, errlen, "write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto done;
	}
	if (rename(tmp, dst) == -1) {
		snprintf(err, errlen, "rename into %s: %s", dir,
		    strerror(errno));
		unlink(tmp);
		goto done;
	}
	if (mail_fsync_dir(dir) == -1)
		log_warn("outbox: fsync %s", dir);
	rc = 0;
done:
	free(tmp);
	free(dst);
	return rc;
}
