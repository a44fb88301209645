/*
 * The captcha check of registration: a POST of {"id","answer"} to
 * <CAPTCHA_SERVICE_URL>/captcha/verify through libcurl.
 *
 * Each worker keeps one easy handle for its lifetime (created on first
 * use, after the fork), so the connection to the captcha service and its
 * DNS answer are reused from one registration to the next.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config.h"
#include "handlers.h"
#include "log.h"
#include "util.h"

#define CAPTCHA_TIMEOUT_MS	5000
#define CAPTCHA_ANSWER_MAX	4096	/* bytes of the service's answer kept */

struct buf {
	char	*p;
	size_t	 len;
	int	 overflow;
};

/* The worker's handle; see the comment at the top. */
static CURL	*easy;

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf	*b = arg;
	size_t		 n = size * nmemb;

	if (b->len + n > CAPTCHA_ANSWER_MAX) {
		b->overflow = 1;
		return 0;	/* stops the transfer: CURLE_WRITE_ERROR */
	}
	b->p = xrealloc(b->p, b->len + n + 1);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static CURL *
handle(void)
{
	if (easy == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		easy = curl_easy_init();
	} else
		curl_easy_reset(easy);	/* keeps the connection cache */
	return easy;
}

/* 1 when the answer is a JSON object whose is_valid is true, else 0. */
static int
answer_valid(const struct buf *b)
{
	struct json_object	*j, *v;
	int			 ok = 0;

	if (b->p == NULL || (j = json_tokener_parse(b->p)) == NULL)
		return -1;
	if (!json_object_is_type(j, json_type_object))
		ok = -1;
	else if (json_object_object_get_ex(j, "is_valid", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v))
		ok = 1;
	json_object_put(j);
	return ok;
}

static int
unavailable(struct resp *out)
{
	return resp_detail(out, 503,
	    "Captcha service unavailable. Please try again later.");
}

static int
comm_error(struct resp *out)
{
	return resp_detail(out, 503, "Error communicating with captcha service.");
}

/*
 * Verifies a captcha answer with the captcha service.  Returns 0 when the
 * service says it is valid, else the status with the SPEC's answer in
 * out: 400 invalid, 504 timeout, 503 unreachable or misbehaving.  The
 * answer itself is never logged.
 */
int
captcha_check(const struct config *conf, struct resp *out, const char *id,
    const char *answer)
{
	struct curl_slist	*hdrs = NULL;
	struct json_object	*req;
	struct buf		 b;
	CURL			*h;
	CURLcode		 cc;
	const char		*body;
	char			*url;
	size_t			 baselen;
	long			 status = 0;
	int			 rc, v;

	memset(&b, 0, sizeof(b));
	baselen = strlen(conf->captcha_url);
	while (baselen > 0 && conf->captcha_url[baselen - 1] == '/')
		baselen--;
	url = xasprintf("%.*s/captcha/verify", (int)baselen, conf->captcha_url);
	req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_string(id));
	json_object_object_add(req, "answer", json_object_new_string(answer));
	body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if ((h = handle()) == NULL) {
		log_warnx("captcha: cannot initialise libcurl");
		rc = resp_detail(out, 500, "Internal Server Error");
		goto done;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CAPTCHA_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "authd/" AUTHD_VERSION);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		log_warnx("captcha service: timed out");
		rc = resp_detail(out, 504,
		    "Captcha verification timed out. Please try again later.");
		goto done;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		log_warnx("captcha service: %s", curl_easy_strerror(cc));
		rc = unavailable(out);
		goto done;
	default:
		log_warnx("captcha service: %s%s", curl_easy_strerror(cc),
		    b.overflow ? " (answer too long)" : "");
		rc = comm_error(out);
		goto done;
	}
	if (status < 200 || status > 299) {
		log_warnx("captcha service answered %ld", status);
		rc = comm_error(out);
		goto done;
	}
	if ((v = answer_valid(&b)) < 0) {
		log_warnx("captcha service: answer is not a JSON object");
		rc = comm_error(out);
	} else if (v == 0)
		rc = resp_detail(out, 400, "Invalid CAPTCHA answer");
	else
		rc = 0;
done:
	if (h != NULL) {
		/* The handle outlives this call: drop pointers into it. */
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
	}
	curl_slist_free_all(hdrs);
	json_object_put(req);
	free(b.p);
	free(url);
	return rc;
}

/* Releases the worker's captcha handle at exit. */
void
captcha_free(void)
{
	if (easy != NULL)
		curl_easy_cleanup(easy);
	easy = NULL;
}
