/*
 * Unit tests for lib/metrics.c: METRICS_ALLOW parsing and matching, and
 * the counters and their text rendering in one process.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http.h"
#include "metrics.h"
#include "t.h"

static int
allowed(const char *list, const char *ip)
{
	struct cidr	*v;
	size_t		 n;
	int		 r;

	if (metrics_allow_parse(list, &v, &n) == -1)
		return -1;
	r = metrics_allowed(v, n, ip);
	free(v);
	return r;
}

static void
test_allow(void)
{
	static const char *const bad[] = {
		"", ",", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1",
		"10.0.0.0/8x", "example.com", "10.0.0.0/8,,::1", "1.2.3",
		"10.0.0.0 /8", "300.1.1.1",
	};
	struct cidr	*v;
	size_t		 n, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_OK(metrics_allow_parse(bad[i], &v, &n) == -1, "%s", bad[i]);
	T_OK(metrics_allow_parse(" 127.0.0.0/8 , ::1 ", &v, &n) == 0 && n == 2,
	    "spaces around entries");
	free(v);
	T_OK(allowed("127.0.0.0/8,::1", "127.0.0.1") == 1, "loopback");
	T_OK(allowed("127.0.0.0/8,::1", "127.255.1.2") == 1, "loopback /8");
	T_OK(allowed("127.0.0.0/8,::1", "::1") == 1, "v6 loopback");
	T_OK(allowed("127.0.0.0/8,::1", "::ffff:127.0.0.1") == 1, "v4-mapped");
	T_OK(allowed("127.0.0.0/8,::1", "10.0.0.1") == 0, "other v4");
	T_OK(allowed("127.0.0.0/8,::1", "::2") == 0, "other v6");
	T_OK(allowed("127.0.0.0/8", "unknown") == 0, "not an address");
	T_OK(allowed("127.0.0.0/8", "") == 0, "empty");
	T_OK(allowed("10.1.2.0/23", "10.1.3.255") == 1, "/23 upper");
	T_OK(allowed("10.1.2.0/23", "10.1.4.0") == 0, "/23 outside");
	T_OK(allowed("10.1.2.3", "10.1.2.3") == 1, "host");
	T_OK(allowed("10.1.2.3", "10.1.2.4") == 0, "host other");
	T_OK(allowed("0.0.0.0/0", "192.0.2.1") == 1, "/0 v4");
	T_OK(allowed("0.0.0.0/0", "2001:db8::1") == 0, "/0 v4 is not v6");
	T_OK(allowed("2001:db8::/33", "2001:db8:7fff::1") == 1, "v6 /33");
	T_OK(allowed("2001:db8::/33", "2001:db8:8000::1") == 0, "v6 /33 out");
}

static void
test_render(void)
{
	static const char *const labels[2] = { "/a", "/a" };
	static const int methods[2] = { M_GET, M_POST };
	struct metrics_gauges	 g;
	struct config		 conf = { .metrics_enabled = 0 };
	char			*text;
	size_t			 len;

	memset(&g, 0, sizeof(g));
	T_OK(metrics_init(&conf, 2) == 0 && !metrics_on(),
	    "off: nothing mapped");
	metrics_count(MET_LOGIN_SUCCESS);
	metrics_request(0, M_GET, 200, 10);
	T_OK(metrics_render(labels, methods, &g, &len) == NULL, "off: no text");
	conf.metrics_enabled = 1;
	T_OK(metrics_init(&conf, 2) == 0 && metrics_on(), "on");
	metrics_count(MET_LOGIN_SUCCESS);
	metrics_count(MET_LOGIN_SUCCESS);
	metrics_request(0, M_GET, 200, 400);
	metrics_request(1, M_POST, 201, 3000);
	metrics_request(1, M_POST, 299, 20000000);
	metrics_request(7, M_DELETE, 404, 100);
	metrics_count(MET_HASH_QUEUE_TIMEOUT);
	text = metrics_render(labels, methods, &g, &len);
	T_OK(text != NULL && strlen(text) == len, "text");
	if (text == NULL)
		return;
	T_OK(strstr(text, "authd_logins_total{result=\"success\"} 2\n") != NULL,
	    "logins");
	T_OK(strstr(text, "authd_http_requests_total{route=\"/a\",method=\"GET\","
	    "status=\"200\"} 1\n") != NULL, "GET /a");
	T_OK(strstr(text, "authd_http_requests_total{route=\"/a\",method=\"POST\","
	    "status=\"other\"} 1\n") != NULL, "other status");
	T_OK(strstr(text, "authd_http_requests_total{route=\"unmatched\","
	    "method=\"DELETE\",status=\"404\"} 1\n") != NULL, "unmatched");
	/* Two routes with one pattern share one histogram. */
	T_OK(strstr(text, "authd_http_request_duration_seconds_count{route="
	    "\"/a\"} 3\n") != NULL, "merged count");
	T_OK(strstr(strstr(text, "_count{route=\"/a\"}") + 1,
	    "_count{route=\"/a\"}") == NULL, "one histogram per pattern");
	T_OK(strstr(text, "duration_seconds_bucket{route=\"/a\",le=\"0.0005\"} 1\n")
	    != NULL, "first bucket");
	T_OK(strstr(text, "duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 2\n")
	    != NULL, "cumulative");
	T_OK(strstr(text, "duration_seconds_bucket{route=\"/a\",le=\"10\"} 2\n")
	    != NULL, "20 s is beyond the last bound");
	T_OK(strstr(text, "duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n")
	    != NULL, "+Inf");
	T_OK(strstr(text, "\n# TYPE authd_hash_queue_timeouts_total counter\n"
	    "authd_hash_queue_timeouts_total 1\n") != NULL, "queue timeouts");
	T_OK(strstr(text, "authd_users{") == NULL, "no users family when unread");
	free(text);
}

int
main(void)
{
	test_allow();
	test_render();
	return t_done("metrics");
}
