/*
 * Unit tests for the embedded OpenAPI document: it parses, it describes
 * exactly the routes of the route table (each route documented, each
 * documented operation routed), protected routes declare the bearer
 * scheme and their 401/403 answers, every operation has a unique
 * operationId and a 500 answer, every $ref resolves, each route's
 * declared body is the documented one, and the YAML rendering is
 * produced.  (A real OpenAPI validator checks the served
 * document in tests/bats/40_openapi.bats.)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "t.h"
#include "handlers.h"
#include "openapi.h"

static const char *const http_methods[] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace",
};

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object	*v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static void
lower(const char *s, char *out, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n && s[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static int
is_http_method(const char *k)
{
	size_t	i;

	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strcmp(k, http_methods[i]) == 0)
			return 1;
	return 0;
}

/* The route of the table for a documented path and method, or NULL. */
static const struct route *
routed(const char *path, const char *method)
{
	char	m[16];
	size_t	i;

	for (i = 0; i < nroutes; i++) {
		lower(method_name(routes[i].method), m, sizeof(m));
		if (strcmp(routes[i].pattern, path) == 0 &&
		    strcmp(m, method) == 0)
			return &routes[i];
	}
	return NULL;
}

/* Resolves "#/a/b/c" in doc. */
static struct json_object *
resolve(struct json_object *doc, const char *ref)
{
	char			*copy, *tok, *save = NULL;
	struct json_object	*o = doc;

	if (strncmp(ref, "#/", 2) != 0)
		return NULL;
	copy = strdup(ref + 2);
	for (tok = strtok_r(copy, "/", &save); tok != NULL && o != NULL;
	    tok = strtok_r(NULL, "/", &save))
		o = get(o, tok);
	free(copy);
	return o;
}

static void
check_refs(struct json_object *doc, struct json_object *o, int *bad)
{
	size_t	i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			check_refs(doc, json_object_array_get_idx(o, i), bad);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "$ref") == 0) {
			if (!json_object_is_type(v, json_type_string) ||
			    resolve(doc, json_object_get_string(v)) == NULL) {
				fprintf(stderr, "unresolved $ref %s\n",
				    json_object_get_string(v));
				(*bad)++;
			}
		} else
			check_refs(doc, v, bad);
	}
}

/* Each route of the table is documented, with what its role implies. */
static void
test_routes_documented(struct json_object *doc)
{
	struct json_object	*paths = get(doc, "paths"), *op, *resp, *sec;
	char			 m[16];
	size_t			 i;

	for (i = 0; i < nroutes; i++) {
		lower(method_name(routes[i].method), m, sizeof(m));
		op = get(get(paths, routes[i].pattern), m);
		T_OK(op != NULL, "route %s %s is not in the document", m,
		    routes[i].pattern);
		if (op == NULL)
			continue;
		resp = get(op, "responses");
		T_OK(resp != NULL && json_object_object_length(resp) > 0,
		    "%s %s has no responses", m, routes[i].pattern);
		T_OK(get(resp, "500") != NULL, "%s %s: no 500", m,
		    routes[i].pattern);
		if (routes[i].role == ROLE_NONE)
			continue;
		sec = get(op, "security");
		T_OK(sec != NULL && json_object_array_length(sec) > 0,
		    "%s %s needs a token but declares no security", m,
		    routes[i].pattern);
		T_OK(get(resp, "401") != NULL && get(resp, "403") != NULL,
		    "%s %s needs a token but documents no 401/403", m,
		    routes[i].pattern);
	}
}

/* Each documented operation is routed; operationIds are unique. */
static void
test_documented_routed(struct json_object *doc)
{
	struct json_object	*paths = get(doc, "paths"), *seen, *id;
	const char		*ids;
	int			 nops = 0;

	seen = json_object_new_object();
	T_OK(paths != NULL && json_object_object_length(paths) > 0,
	    "no paths");
	json_object_object_foreach(paths, path, item) {
		json_object_object_foreach(item, method, op) {
			if (!is_http_method(method))
				continue;
			nops++;
			T_OK(routed(path, method) != NULL,
			    "documented %s %s is not routed", method, path);
			id = get(op, "operationId");
			ids = id ? json_object_get_string(id) : NULL;
			T_OK(ids != NULL && get(seen, ids) == NULL,
			    "%s %s: missing or duplicate operationId", method,
			    path);
			if (ids != NULL)
				json_object_object_add(seen, ids, NULL);
		}
	}
	T_OK((size_t)nops == nroutes, "%d documented operations, %zu routes",
	    nops, nroutes);
	json_object_put(seen);
}

/* The schema of a request body's content type, $ref resolved, or NULL. */
static struct json_object *
body_schema(struct json_object *doc, struct json_object *op, const char *ct)
{
	struct json_object	*s, *ref;

	s = get(get(get(get(op, "requestBody"), "content"), ct), "schema");
	if ((ref = get(s, "$ref")) != NULL)
		s = resolve(doc, json_object_get_string(ref));
	return s;
}

/*
 * The body each route declares (router.c) is the one documented: the
 * JSON schema's properties are the declared fields in declared order,
 * its "required" the fields the route requires, the body itself is
 * optional exactly when the route reads no body as {}, and a form is
 * documented exactly when the route reads one.  A route that reads no
 * body documents no JSON body.
 */
static void
test_bodies_documented(struct json_object *doc)
{
	struct json_object	*op, *s, *props, *req, *rb, *rq;
	const struct route	*rt;
	char			 m[16];
	size_t			 i, j, nreq;
	int			 n;

	for (i = 0; i < nroutes; i++) {
		rt = &routes[i];
		lower(method_name(rt->method), m, sizeof(m));
		op = get(get(get(doc, "paths"), rt->pattern), m);
		s = body_schema(doc, op, "application/json");
		if (!(rt->flags & R_JSON)) {
			T_OK(s == NULL, "%s %s reads no JSON body, documents "
			    "one", m, rt->pattern);
			continue;
		}
		T_OK(rt->nfields <= ROUTE_FIELDS_MAX, "%s %s: %zu fields, "
		    "more than ROUTE_FIELDS_MAX", m, rt->pattern, rt->nfields);
		props = get(s, "properties");
		T_OK(props != NULL, "%s %s: no JSON body documented", m,
		    rt->pattern);
		if (props == NULL)
			continue;
		n = 0;
		json_object_object_foreach(props, k, v) {
			(void)v;
			T_OK((size_t)n < rt->nfields &&
			    strcmp(k, rt->fields[n].f->name) == 0,
			    "%s %s: documented property %d is %s, the route "
			    "declares %s", m, rt->pattern, n, k,
			    (size_t)n < rt->nfields ? rt->fields[n].f->name :
			    "nothing");
			n++;
		}
		T_OK((size_t)n == rt->nfields, "%s %s: %d properties, %zu "
		    "fields", m, rt->pattern, n, rt->nfields);
		req = get(s, "required");
		nreq = 0;
		for (j = 0; j < rt->nfields; j++) {
			if (!(rt->fields[j].flags & F_REQUIRED))
				continue;
			T_OK(req != NULL && nreq < json_object_array_length(req)
			    && strcmp(json_object_get_string(
			    json_object_array_get_idx(req, nreq)),
			    rt->fields[j].f->name) == 0,
			    "%s %s: %s is required, not documented so", m,
			    rt->pattern, rt->fields[j].f->name);
			nreq++;
		}
		T_OK(nreq == (req ? json_object_array_length(req) : 0),
		    "%s %s: documented required fields the route does not "
		    "require", m, rt->pattern);
		rb = get(op, "requestBody");
		rq = get(rb, "required");
		T_OK((rq != NULL && json_object_get_boolean(rq)) ==
		    !(rt->flags & R_EMPTY), "%s %s: requestBody.required "
		    "says otherwise than the route", m, rt->pattern);
		T_OK((body_schema(doc, op,
		    "application/x-www-form-urlencoded") != NULL) ==
		    ((rt->flags & R_FORM) != 0), "%s %s: a form body is "
		    "documented otherwise than the route reads it", m,
		    rt->pattern);
	}
}

int
main(void)
{
	struct json_object	*doc, *v;
	char			*yaml;
	int			 bad = 0;

	doc = json_tokener_parse(openapi_json());
	T_OK(doc != NULL, "the embedded document does not parse");
	if (doc == NULL)
		return t_done("openapi");
	v = get(doc, "openapi");
	T_OK(v != NULL && strncmp(json_object_get_string(v), "3.", 2) == 0,
	    "not an OpenAPI 3 document");
	T_STREQ(json_object_get_string(get(get(doc, "info"), "version")),
	    AUTHD_VERSION);
	test_routes_documented(doc);
	test_documented_routed(doc);
	test_bodies_documented(doc);
	check_refs(doc, doc, &bad);
	T_OK(bad == 0, "%d unresolved $ref", bad);

	yaml = openapi_yaml();
	T_OK(yaml != NULL, "no YAML");
	if (yaml != NULL) {
		T_OK(strstr(yaml, "\nopenapi: \"3.") != NULL, "YAML head");
		T_OK(strstr(yaml, "\n  \"/api/v1/users/{id}\":\n") != NULL,
		    "YAML quotes path keys");
		T_OK(strstr(yaml, "\n        \"200\":\n") != NULL,
		    "YAML quotes status keys");
		free(yaml);
	}
	json_object_put(doc);
	return t_done("openapi");
}
