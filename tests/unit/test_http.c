/*
 * Unit tests: form decoding, Bearer parsing, query parameters, the JSON
 * body reader and declared fields (the SPEC §1 422 answers), and the
 * answers to the store's errors.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "fields.h"
#include "http.h"
#include "store.h"
#include "util.h"
#include "validate.h"
#include "t.h"

static void
test_bearer(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "Bearer abc.def.ghi", "abc.def.ghi" },
		{ "bearer abc", "abc" },
		{ "BEARER abc", "abc" },
		{ "Bearer%20abc", "abc" },
		{ "bearer%20abc", "abc" },
		{ "Bearer Bearer abc", "abc" },
		{ "Bearer bearer%20abc", "abc" },
		{ "\"Bearer abc\"", "abc" },
		{ "Bearer \"abc\"", "abc" },
		{ "  Bearer   abc  ", "abc" },
		{ "'Bearer abc'", "abc" },
		{ "abc", "abc" },
		{ "Bearer", NULL },
		{ "Bearer ", NULL },
		{ "", NULL },
		{ "\"\"", NULL },
		{ "Bearer a b", NULL },
		{ "Bearer a\"b", NULL },
		{ "Basic dXNlcjpwYXNz", NULL },
	};
	size_t	 i;
	char	*got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = bearer_parse(cases[i].in);
		T_STREQ(got, cases[i].want);
		free(got);
	}
	T_OK(bearer_parse(NULL) == NULL, "NULL header");
}

static void
test_form(void)
{
	struct json_object	*o;
	const char		*s = "username=a%40b.c&password=p+w%26d&x&=v&&";

	o = form_decode(s, strlen(s));
	T_OK(o != NULL, "decodes");
	T_STREQ(json_object_get_string(json_object_object_get(o, "username")),
	    "a@b.c");
	T_STREQ(json_object_get_string(json_object_object_get(o, "password")),
	    "p w&d");
	T_STREQ(json_object_get_string(json_object_object_get(o, "x")), "");
	json_object_put(o);
	T_OK(form_decode("a=%4", 4) == NULL, "truncated escape");
	T_OK(form_decode("a=%zz", 5) == NULL, "bad escape");
	T_OK(form_decode("a=%00", 5) == NULL, "NUL escape");
	T_OK(form_decode("a\0=b", 4) == NULL, "raw NUL");
	o = form_decode("", 0);
	T_OK(o != NULL && json_object_object_length(o) == 0, "empty form");
	json_object_put(o);
}

static void
test_query(void)
{
	char	*v;

	v = query_get("a=1&role=MODERATOR&b", "role");
	T_STREQ(v, "MODERATOR");
	free(v);
	v = query_get("roles=x&role=a%20b", "role");
	T_STREQ(v, "a b");
	free(v);
	v = query_get("b", "b");
	T_STREQ(v, "");
	free(v);
	T_OK(query_get("", "role") == NULL, "absent");
	T_OK(query_get("role=%zz", "role") == NULL, "bad escape");
}

static const char *
check_user(const char *s, size_t n, char **norm)
{
	(void)norm;
	return validate_username(s, n);
}

static const struct field fields[] = {
	{ "email", FT_STRING, F_REQUIRED, NULL, 64 },
	{ "username", FT_STRING, F_REQUIRED, check_user, 0 },
	{ "all", FT_BOOL, 0, NULL, 0 },
	{ "n", FT_INT, 0, NULL, 0 },
	{ "exp", FT_STRING_OR_NULL, 0, NULL, 0 },
};
#define NF (sizeof(fields) / sizeof(fields[0]))

/* Runs body_parse + fields_read on a body; returns the status (0 = ok). */
static int
run(const char *ctype, const char *body, struct resp *out, struct fval *v,
    struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->ctype = xstrdup(ctype);
	r->body = xstrdup(body);
	r->bodylen = strlen(body);
	resp_init(out);
	if (!body_parse(r, out, 1, 0))
		return out->status;
	if (!fields_read(r, fields, NF, v, out))
		return out->status;
	return 0;
}

static const char *
entry(struct resp *out, size_t i, const char *key)
{
	struct json_object	*d, *e, *k;

	d = json_object_object_get(out->body, "detail");
	if (!json_object_is_type(d, json_type_array) ||
	    i >= json_object_array_length(d))
		return NULL;
	e = json_object_array_get_idx(d, i);
	if (strcmp(key, "loc1") == 0) {
		k = json_object_object_get(e, "loc");
		return json_object_array_length(k) > 1 ?
		    json_object_get_string(json_object_array_get_idx(k, 1)) :
		    NULL;
	}
	return json_object_get_string(json_object_object_get(e, key));
}

static void
test_fields(void)
{
	struct req	r;
	struct resp	out;
	struct fval	v[NF];
	size_t		n;

	T_OK(run("application/json", "{\"email\":\"a\",\"username\":\"bob\","
	    "\"all\":true,\"n\":5,\"exp\":null}", &out, v, &r) == 0, "valid");
	T_OK(v[2].b == 1 && v[3].i == 5 && v[4].is_null, "typed values");
	fvals_free(v, NF);
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "{\"email\":1,\"all\":\"x\"}", &out, v,
	    &r) == 422, "all failing fields");
	n = json_object_array_length(json_object_object_get(out.body,
	    "detail"));
	T_OK(n == 3, "three entries, got %zu", n);
	T_STREQ(entry(&out, 0, "type"), "string_type");
	T_STREQ(entry(&out, 0, "loc1"), "email");
	T_STREQ(entry(&out, 0, "msg"), "Input should be a valid string");
	T_STREQ(entry(&out, 1, "type"), "missing");
	T_STREQ(entry(&out, 1, "loc1"), "username");
	T_STREQ(entry(&out, 1, "msg"), "Field required");
	T_STREQ(entry(&out, 2, "type"), "bool_type");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "{\"email\":\"a\",\"username\":\"ab\"}",
	    &out, v, &r) == 422, "value error");
	T_STREQ(entry(&out, 0, "type"), "value_error");
	T_STREQ(entry(&out, 0, "msg"),
	    "Value error, Username must be at least 3 characters long.");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "{\"email\":", &out, v, &r) == 422,
	    "truncated JSON");
	T_STREQ(entry(&out, 0, "type"), "json_invalid");
	T_STREQ(entry(&out, 0, "msg"), "JSON decode error");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "{} trailing", &out, v, &r) == 422,
	    "trailing bytes");
	T_STREQ(entry(&out, 0, "type"), "json_invalid");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "[1,2]", &out, v, &r) == 422, "array");
	T_STREQ(entry(&out, 0, "type"), "model_attributes_type");
	resp_free(&out);
	req_free(&r);

	T_OK(run("text/plain", "{\"email\":\"a\"}", &out, v, &r) == 422,
	    "wrong content type");
	T_STREQ(entry(&out, 0, "type"), "model_attributes_type");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "{\"email\":\"\xff\"}", &out, v, &r) ==
	    422, "invalid UTF-8");
	T_STREQ(entry(&out, 0, "type"), "json_invalid");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", &out, v, &r) ==
	    422, "deep nesting");
	T_STREQ(entry(&out, 0, "type"), "json_invalid");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "{\"email\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"username\":\"bob\"}",
	    &out, v, &r) == 422, "too long");
	T_STREQ(entry(&out, 0, "type"), "string_too_long");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/x-www-form-urlencoded",
	    "email=x&username=bob", &out, v, &r) == 0, "form body");
	fvals_free(v, NF);
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/json", "", &out, v, &r) == 422, "empty body");
	T_STREQ(entry(&out, 0, "type"), "missing");
	resp_free(&out);
	req_free(&r);

	T_OK(run("application/vnd.api+json; charset=utf-8",
	    "{\"email\":\"a\",\"username\":\"bob\"}", &out, v, &r) == 0,
	    "+json type");
	fvals_free(v, NF);
	resp_free(&out);
	req_free(&r);
}

/* The value of the response header name, or NULL. */
static const char *
hdr(const struct resp *o, const char *name)
{
	size_t	i;

	for (i = 0; i < o->nhdrs; i++)
		if (strcasecmp(o->hdrs[i].name, name) == 0)
			return o->hdrs[i].value;
	return NULL;
}

/* One store error through resp_store_error() (or _unwritable()). */
static void
store_answer(int rc, int unwritable, int status, const char *code,
    const char *detail, const char *retry)
{
	struct resp	 o;
	const char	*v;

	resp_init(&o);
	T_OK((unwritable ? resp_store_unwritable(&o, rc) :
	    resp_store_error(&o, rc)) == status, "store error %d: %d", rc,
	    status);
	T_OK(o.status == status, "store error %d: status %d", rc, o.status);
	v = json_object_get_string(json_object_object_get(o.body,
	    "error_code"));
	T_STREQ(v != NULL ? v : "(none)", code);
	v = json_object_get_string(json_object_object_get(o.body, "detail"));
	T_STREQ(v != NULL ? v : "(none)", detail);
	v = hdr(&o, "Retry-After");
	T_STREQ(v != NULL ? v : "(none)", retry);
	resp_free(&o);
}

/*
 * The store's errors as a client meets them: busy 503 DB_LOCKED, the
 * server unreachable 503 DB_UNAVAILABLE (both Retry-After: 1, and so
 * from the throttled paths too), anything else 500 DB_ERROR.  With
 * store.h's own values, so lib/http.c's copies cannot drift.
 */
static void
test_store_errors(void)
{
	store_answer(STORE_EBUSY, 0, 503, "DB_LOCKED", "Database error: "
	    "Resource is locked. Service temporarily unavailable.", "1");
	store_answer(STORE_EUNAVAIL, 0, 503, "DB_UNAVAILABLE", "Database "
	    "error: Service unavailable. Please try again later.", "1");
	store_answer(STORE_EUNAVAIL, 1, 503, "DB_UNAVAILABLE", "Database "
	    "error: Service unavailable. Please try again later.", "1");
	store_answer(STORE_EDB, 0, 500, "DB_ERROR", "Database error: "
	    "Internal operation failed.", "(none)");
	store_answer(STORE_ECONFLICT, 0, 500, "DB_ERROR", "Database error: "
	    "Internal operation failed.", "(none)");
	store_answer(STORE_EDB, 1, 503, "DB_UNWRITABLE", "Database error: "
	    "Cannot record the attempt. Service temporarily unavailable.",
	    "10");
}

int
main(void)
{
	test_bearer();
	test_form();
	test_query();
	test_fields();
	test_store_errors();
	return t_done("http");
}
