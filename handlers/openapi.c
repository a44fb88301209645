/*
 * GET /openapi.json and GET /docs.yaml: the OpenAPI 3 document of the
 * API, embedded at build time (see openapi.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "handlers.h"
#include "log.h"
#include "openapi.h"
#include "util.h"

#include "openapi.inc"	/* static const char openapi_doc[] */

/* The embedded JSON text (see openapi.h). */
const char *
openapi_json(void)
{
	return openapi_doc;
}

/*
 * A key that YAML reads back as the same string without quotes: no
 * indicator characters, not a number, and none of YAML 1.1's booleans
 * and nulls (which PyYAML and others still honour).
 */
static int
plain_key(const char *k)
{
	static const char *const words[] = {
		"y", "n", "yes", "no", "on", "off", "true", "false", "null",
	};
	const char	*p;
	size_t		 i;

	if (!isalpha((unsigned char)*k) && *k != '_')
		return 0;
	for (p = k; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(k, words[i]) == 0)
			return 0;
	return 1;
}

/* JSON text of a scalar (or an empty container) is valid flow YAML. */
static void
scalar(FILE *f, struct json_object *v)
{
	if (v == NULL)
		fputs("null", f);
	else
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE), f);
}

static void
string(FILE *f, const char *s)
{
	struct json_object	*j = json_object_new_string(s);

	scalar(f, j);
	json_object_put(j);
}

static int
is_block(struct json_object *v)
{
	if (json_object_is_type(v, json_type_object))
		return json_object_object_length(v) > 0;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) > 0;
	return 0;
}

/* Starts a line at column col, unless the cursor already is there. */
static void
line(FILE *f, int col, int *cont)
{
	if (*cont)
		*cont = 0;
	else
		fprintf(f, "%*s", col, "");
}

/*
 * Emits a non-empty container in block style at column col.  cont: the
 * cursor already stands at col on the first line (after "- ").
 */
static void
block(FILE *f, struct json_object *v, int col, int cont)
{
	struct json_object	*item;
	size_t			 i, n;

	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			item = json_object_array_get_idx(v, i);
			line(f, col, &cont);
			fputs("- ", f);
			if (is_block(item))
				block(f, item, col + 2, 1);
			else {
				scalar(f, item);
				fputc('\n', f);
			}
		}
		return;
	}
	json_object_object_foreach(v, key, val) {
		line(f, col, &cont);
		if (plain_key(key))
			fputs(key, f);
		else
			string(f, key);
		if (is_block(val)) {
			fputs(":\n", f);
			block(f, val, col + 2, 0);
		} else {
			fputs(": ", f);
			scalar(f, val);
			fputc('\n', f);
		}
	}
}

/*
 * Renders the embedded document as YAML: block style, keys plain where
 * that reads back the same, every string in JSON's double-quoted form
 * (which YAML shares).  Returns an allocated string or NULL (logged).
 */
char *
openapi_yaml(void)
{
	struct json_object	*doc;
	FILE			*f;
	char			*out = NULL;
	size_t			 len = 0;

	if ((doc = json_tokener_parse(openapi_doc)) == NULL) {
		log_warnx("openapi: the embedded document does not parse");
		return NULL;
	}
	if ((f = open_memstream(&out, &len)) == NULL)
		abort();	/* out of memory: the program's policy */
	fputs("# authd OpenAPI document; the same as /openapi.json.\n", f);
	if (is_block(doc))
		block(f, doc, 0, 0);
	else {
		scalar(f, doc);
		fputc('\n', f);
	}
	if (fclose(f) != 0 || out == NULL)
		abort();
	json_object_put(doc);
	return out;
}

/* GET /openapi.json: the embedded document as it is. */
int
handle_openapi_json(struct req *r, struct resp *out)
{
	(void)r;
	out->rawlen = sizeof(openapi_doc) - 1;
	out->raw = xstrndup(openapi_doc, out->rawlen);
	out->ctype = "application/json";
	out->status = 200;
	return 200;
}

/* GET /docs.yaml: the same document as YAML, made on each request. */
int
handle_openapi_yaml(struct req *r, struct resp *out)
{
	char	*y;

	(void)r;
	if ((y = openapi_yaml()) == NULL)
		return resp_detail(out, 500, "Internal Server Error");
	out->raw = y;
	out->rawlen = strlen(y);
	out->ctype = "application/yaml";
	out->status = 200;
	return 200;
}
