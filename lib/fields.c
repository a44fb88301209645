/*
 * Body parsing and declared fields, producing the SPEC §1 422 answers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "fields.h"
#include "http.h"
#include "util.h"
#include "validate.h"

#define JSON_DEPTH_MAX	32

struct json_object *
err_entry(const char *type, const char *field, const char *msg,
    struct json_object *input)
{
	struct json_object	*e = json_object_new_object();
	struct json_object	*loc = json_object_new_array();

	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_array_add(loc, json_object_new_string("body"));
	if (field != NULL)
		json_object_array_add(loc, json_object_new_string(field));
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "input", input);
	return e;
}

int
resp_422(struct resp *out, struct json_object *list)
{
	struct json_object	*j = json_object_new_object();

	json_object_object_add(j, "detail", list);
	return resp_json(out, 422, j);
}

static int
one_422(struct resp *out, struct json_object *e)
{
	struct json_object	*l = json_object_new_array();

	json_object_array_add(l, e);
	return resp_422(out, l);
}

/* FastAPI reads JSON when the type is absent, application/json or +json. */
static int
ctype_json(const char *ct)
{
	size_t	n;

	if (ct == NULL || *ct == '\0')
		return 1;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
	    strncasecmp(ct + n - 5, "+json", 5) == 0;
}

static int
ctype_form(const char *ct)
{
	return ct != NULL && strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) == 0 &&
	    (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' ');
}

/*
 * Refuses, before json-c sees them, what it takes beyond RFC 8259 even
 * in strict mode: bytes that are not UTF-8 (its check lets overlong
 * forms and encoded surrogates through, and answers echo input),
 * single-quoted strings, NaN and Infinity (which it would print back
 * into an answer that is then not JSON), and raw control characters
 * (U+0000 to U+001F) inside strings, which RFC 8259 forbids and json-c
 * lets through.  Returns the offset of the first such byte, or n.
 */
static size_t
json_prescan(const char *s, size_t n)
{
	size_t		i = 0, k;
	int		instr = 0;
	unsigned char	c;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '\0')
			return i;
		if (c >= 0x80) {
			for (k = 2; k <= 4 && i + k <= n; k++)
				if (utf8_len(s + i, k) == 1)
					break;
			if (k > 4 || i + k > n)
				return i;
			i += k;
			continue;
		}
		if (instr) {
			if (c < 0x20)
				return i;
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = 0;
		} else if (c == '"')
			instr = 1;
		else if (c == '\'' || c == 'N' || c == 'I')
			return i;
		i++;
	}
	return n;
}

/*
 * Parses the whole of s as one JSON value.  Returns 1 with the value in
 * *out (NULL for JSON null), or 0 with the byte offset where parsing
 * stopped in *errpos.
 */
static int
parse_json(const char *s, size_t n, struct json_object **out, size_t *errpos)
{
	struct json_tokener	*tok;
	struct json_object	*j;
	size_t			 end;
	int			 ok;

	*out = NULL;
	if ((end = json_prescan(s, n)) < n) {
		*errpos = end;
		return 0;
	}
	if ((tok = json_tokener_new_ex(JSON_DEPTH_MAX)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, s, (int)n);
	end = json_tokener_get_parse_end(tok);
	/*
	 * A scalar at the very end of the input (a body "42" or "null") is
	 * still open: json-c waits for more.  The end of the body closes
	 * it, as a NUL terminator would.
	 */
	if (j == NULL && end == n &&
	    json_tokener_get_error(tok) == json_tokener_continue) {
		j = json_tokener_parse_ex(tok, "", 1);
		end = n;
	}
	ok = json_tokener_get_error(tok) == json_tokener_success;
	if (ok) {
		while (end < n && (s[end] == ' ' || s[end] == '\t' ||
		    s[end] == '\n' || s[end] == '\r'))
			end++;
		ok = end == n;
	}
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(j);
		*errpos = end > n ? n : end;
		return 0;
	}
	*out = j;
	return 1;
}

int
body_parse(struct req *r, struct resp *out, int allow_form, int empty_ok)
{
	struct json_object	*j;
	size_t			 pos;

	/* A page handler (SPEC §9) decoded its form already. */
	if (r->json != NULL)
		return 1;
	if (r->bodylen == 0) {
		if (empty_ok) {
			r->json = json_object_new_object();
			return 1;
		}
		one_422(out, err_entry("missing", NULL, "Field required", NULL));
		return 0;
	}
	if (allow_form && ctype_form(r->ctype)) {
		if ((r->json = form_decode(r->body, r->bodylen)) == NULL) {
			one_422(out, err_entry("value_error", NULL,
			    "Value error, the form body is not valid "
			    "URL-encoded data", NULL));
			return 0;
		}
		return 1;
	}
	if (!ctype_json(r->ctype)) {
		one_422(out, err_entry("model_attributes_type", NULL,
		    "Input should be a valid dictionary or object to extract "
		    "fields from", utf8_len(r->body, r->bodylen) < 0 ? NULL :
		    json_object_new_string_len(r->body, (int)r->bodylen)));
		return 0;
	}
	if (!parse_json(r->body, r->bodylen, &j, &pos)) {
		struct json_object	*e = json_object_new_object();
		struct json_object	*loc = json_object_new_array();

		json_object_object_add(e, "type",
		    json_object_new_string("json_invalid"));
		json_object_array_add(loc, json_object_new_string("body"));
		json_object_array_add(loc, json_object_new_int64((int64_t)pos));
		json_object_object_add(e, "loc", loc);
		json_object_object_add(e, "msg",
		    json_object_new_string("JSON decode error"));
		json_object_object_add(e, "input", json_object_new_object());
		one_422(out, e);
		return 0;
	}
	/* A scalar (JSON null included) or an array is valid JSON, but no body. */
	if (!json_object_is_type(j, json_type_object)) {
		one_422(out, err_entry("model_attributes_type", NULL,
		    "Input should be a valid dictionary or object to extract "
		    "fields from", j));
		return 0;
	}
	r->json = j;
	return 1;
}

/*
 * A UUID field as pydantic reads one: NULL with the canonical form in
 * fv->norm, else its uuid_parsing entry.
 */
static struct json_object *
uuid_entry(const struct field *f, struct json_object *v, struct fval *fv)
{
	struct json_object	*e;
	char			 id[37], err[256], *full;

	if (validate_uuid(fv->s, fv->len, id, err, sizeof(err)) != NULL) {
		full = xasprintf("Input should be a valid UUID, %s", err);
		e = err_entry("uuid_parsing", f->name, full,
		    json_object_get(v));
		free(full);
		return e;
	}
	fv->norm = xstrdup(id);
	fv->present = 1;
	return NULL;
}

static struct json_object *
field_entry(const struct field *f, struct json_object *body,
    struct json_object *v, struct fval *fv)
{
	const char	*msg;
	char		*full;
	size_t		 max;
	struct json_object *e;

	if (v == NULL) {
		if (!(f->flags & F_REQUIRED))
			return NULL;
		return err_entry("missing", f->name, "Field required",
		    json_object_get(body));
	}
	switch (f->type) {
	case FT_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return err_entry("bool_type", f->name,
			    "Input should be a valid boolean",
			    json_object_get(v));
		fv->present = 1;
		fv->b = json_object_get_boolean(v);
		return NULL;
	case FT_INT:
		if (!json_object_is_type(v, json_type_int))
			return err_entry("int_type", f->name,
			    "Input should be a valid integer",
			    json_object_get(v));
		fv->present = 1;
		fv->i = json_object_get_int64(v);
		return NULL;
	case FT_STRING_OR_NULL:
		if (json_object_is_type(v, json_type_null)) {
			fv->present = fv->is_null = 1;
			return NULL;
		}
		/* FALLTHROUGH */
	case FT_STRING:
	case FT_UUID:
		break;
	}
	if (f->type == FT_UUID && !json_object_is_type(v, json_type_string))
		return err_entry("uuid_type", f->name, "UUID input should be "
		    "a string, bytes or UUID object", json_object_get(v));
	if (!json_object_is_type(v, json_type_string))
		return err_entry("string_type", f->name,
		    "Input should be a valid string", json_object_get(v));
	fv->s = json_object_get_string(v);
	fv->len = (size_t)json_object_get_string_len(v);
	max = f->maxlen ? f->maxlen : BODY_MAX;
	if (fv->len > max) {
		full = xasprintf("String should have at most %zu characters",
		    max);
		e = err_entry("string_too_long", f->name, full,
		    json_object_get(v));
		free(full);
		return e;
	}
	if (f->type == FT_UUID)
		return uuid_entry(f, v, fv);
	if (f->check != NULL && (msg = f->check(fv->s, fv->len,
	    &fv->norm)) != NULL) {
		full = (f->flags & F_NOPREFIX) ? xstrdup(msg) :
		    xasprintf("Value error, %s", msg);
		e = err_entry("value_error", f->name, full, json_object_get(v));
		free(full);
		return e;
	}
	fv->present = 1;
	return NULL;
}

int
fields_read(struct req *r, const struct field *f, size_t n,
    struct fval *vals, struct resp *out)
{
	struct json_object	*list = NULL, *v, *e;
	size_t			 i;

	memset(vals, 0, n * sizeof(*vals));
	for (i = 0; i < n; i++) {
		v = NULL;
		if (!json_object_object_get_ex(r->json, f[i].name, &v))
			v = NULL;
		else if (v == NULL && f[i].type != FT_STRING_OR_NULL &&
		    !(f[i].flags & F_REQUIRED))
			continue;	/* an optional field sent as null */
		else if (v == NULL && f[i].type == FT_UUID) {
			e = err_entry("uuid_type", f[i].name, "UUID input "
			    "should be a string, bytes or UUID object", NULL);
			goto add;
		} else if (v == NULL && f[i].type != FT_STRING_OR_NULL) {
			e = err_entry(f[i].type == FT_BOOL ? "bool_type" :
			    f[i].type == FT_INT ? "int_type" : "string_type",
			    f[i].name, f[i].type == FT_BOOL ?
			    "Input should be a valid boolean" :
			    f[i].type == FT_INT ?
			    "Input should be a valid integer" :
			    "Input should be a valid string", NULL);
			goto add;
		} else if (v == NULL) {
			vals[i].present = vals[i].is_null = 1;
			continue;
		}
		if ((e = field_entry(&f[i], r->json, v, &vals[i])) == NULL)
			continue;
add:
		if (list == NULL)
			list = json_object_new_array();
		json_object_array_add(list, e);
	}
	if (list == NULL)
		return 1;
	fvals_free(vals, n);
	resp_422(out, list);
	return 0;
}

void
fvals_free(struct fval *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free_secret(v[i].norm);
		v[i].norm = NULL;
	}
}

const char *
check_email(const char *s, size_t n, char **norm)
{
	return validate_email(s, n, norm);
}

const char *
check_username(const char *s, size_t n, char **norm)
{
	(void)norm;
	return validate_username(s, n);
}

const char *
check_password(const char *s, size_t n, char **norm)
{
	(void)norm;
	return validate_password(s, n);
}

const char *
check_phone(const char *s, size_t n, char **norm)
{
	return validate_phone(s, n, norm);
}
