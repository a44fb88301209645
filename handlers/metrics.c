/*
 * GET /metrics: the Prometheus text exposition of lib/metrics.h, for
 * the addresses of METRICS_ALLOW only.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handlers.h"
#include "metrics.h"
#include "util.h"

/*
 * 200 text/plain (Prometheus 0.0.4) with every family; 403 "Forbidden"
 * for a client address outside METRICS_ALLOW (X-Real-IP from nginx,
 * else REMOTE_ADDR); 404 when METRICS_ENABLED is false.  The only
 * database read is the accounts by state; when it fails that family is
 * left out rather than the scrape failed.
 */
int
handle_metrics(struct req *r, struct resp *out)
{
	struct metrics_gauges	 g;
	const char		**labels;
	int			*methods;
	size_t			 i, len;
	char			*text;

	if (!metrics_on())
		return resp_detail(out, 404, "Not Found");
	if (!metrics_allowed(r->cfg->metrics_allow, r->cfg->nmetrics_allow,
	    r->ip))
		return resp_detail(out, 403, "Forbidden");
	memset(&g, 0, sizeof(g));
	g.users_ok = store_user_states(r->db, g.users) > 0;
	g.spool_ok = metrics_spool_counts(r->cfg->spool_dir, g.spool) == 0;
	g.mail_ok = metrics_mail_stats_read(r->cfg->spool_dir, &g.mail_sent,
	    &g.mail_failed, &g.mail_retried) == 0;
	labels = xcalloc(nroutes, sizeof(*labels));
	methods = xcalloc(nroutes, sizeof(*methods));
	for (i = 0; i < nroutes; i++) {
		labels[i] = routes[i].pattern;
		methods[i] = (int)routes[i].method;
	}
	text = metrics_render(labels, methods, &g, &len);
	free(labels);
	free(methods);
	if (text == NULL)
		return resp_detail(out, 500, "Internal Server Error");
	out->ctype = "text/plain; version=0.0.4; charset=utf-8";
	out->raw = text;
	out->rawlen = len;
	out->status = 200;
	return 200;
}
