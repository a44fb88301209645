/*
 * GET /, /health/live and /health/ready.
 */
#include <json-c/json.h>

#include "config.h"
#include "handlers.h"
#include "mail.h"
#include "metrics.h"
#include "util.h"

/* GET / → {"status":"ok"}. */
int
handle_root(struct req *r, struct resp *out)
{
	struct json_object	*o = json_object_new_object();

	(void)r;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	return resp_json(out, 200, o);
}

/* GET /health/live: touches nothing. */
int
handle_health_live(struct req *r, struct resp *out)
{
	struct json_object	*o = json_object_new_object();

	(void)r;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "version",
	    json_object_new_string(AUTHD_VERSION));
	json_object_object_add(o, "uptime",
	    json_object_new_int64(now_s() - started_at));
	return resp_json(out, 200, o);
}

/* The spool's messages by state, or null when a directory cannot be read. */
static struct json_object *
spool_counts(const struct req *r)
{
	struct json_object	*o;
	long			 n[SPOOL__MAX];
	size_t			 i;

	if (metrics_spool_counts(r->cfg->spool_dir, n) == -1)
		return NULL;
	o = json_object_new_object();
	for (i = 0; i < SPOOL__MAX; i++)
		json_object_object_add(o, spool_state_names[i],
		    json_object_new_int64(n[i]));
	return o;
}

/* GET /health/ready: the database, the mail spool and its counts by state. */
int
handle_health_ready(struct req *r, struct resp *out)
{
	struct json_object	*o = json_object_new_object(), *c;
	int			 db, spool;

	db = store_ready(r->db);
	spool = spool_ready(r->cfg->spool_dir);
	c = json_object_new_object();
	json_object_object_add(c, "database",
	    json_object_new_string(db ? "operational" : "down"));
	json_object_object_add(c, "mail_spool",
	    json_object_new_string(spool ? "operational" : "down"));
	json_object_object_add(o, "status",
	    json_object_new_string(db && spool ? "ok" : "degraded"));
	json_object_object_add(o, "version",
	    json_object_new_string(AUTHD_VERSION));
	json_object_object_add(o, "components", c);
	json_object_object_add(o, "mail_spool", spool_counts(r));
	return resp_json(out, db && spool ? 200 : 503, o);
}
