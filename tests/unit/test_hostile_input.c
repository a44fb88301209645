/*
 * Unit tests: what the hostile-request suite and the fuzzers found in
 * the body and query readers, kept fixed.  Answers echo input, so the
 * readers refuse what would make an answer that is not strict UTF-8
 * JSON: bytes that are not UTF-8 (json-c's own check lets overlong
 * forms and encoded surrogates through), single-quoted strings, NaN and
 * Infinity (json-c takes them in strict mode and prints them back).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fields.h"
#include "http.h"
#include "util.h"
#include "validate.h"
#include "t.h"

/*
 * body_parse() of a JSON body: 1 when accepted, else 0 with the 422
 * json_invalid offset in *pos (-1 for another 422).
 */
static int
parse(const char *ctype, const char *body, size_t len, long *pos)
{
	struct json_object	*e, *loc;
	struct req		 r;
	struct resp		 out;
	const char		*type;
	int			 ok;

	memset(&r, 0, sizeof(r));
	resp_init(&out);
	r.ctype = xstrdup(ctype);
	r.body = xmalloc(len + 1);
	memcpy(r.body, body, len);
	r.body[len] = '\0';
	r.bodylen = len;
	*pos = -1;
	ok = body_parse(&r, &out, 1, 0);
	if (!ok) {
		e = json_object_array_get_idx(json_object_object_get(out.body,
		    "detail"), 0);
		type = json_object_get_string(json_object_object_get(e, "type"));
		loc = json_object_object_get(e, "loc");
		if (type != NULL && strcmp(type, "json_invalid") == 0)
			*pos = (long)json_object_get_int64(
			    json_object_array_get_idx(loc, 1));
	}
	resp_free(&out);
	req_free(&r);
	return ok;
}

/* The answer of body_parse() serialised: valid UTF-8 and no NaN. */
static int
answer_clean(const char *ctype, const char *body, size_t len)
{
	struct req	 r;
	struct resp	 out;
	const char	*s;
	int		 clean = 1;

	memset(&r, 0, sizeof(r));
	resp_init(&out);
	r.ctype = xstrdup(ctype);
	r.body = xmalloc(len + 1);
	memcpy(r.body, body, len);
	r.body[len] = '\0';
	r.bodylen = len;
	if (!body_parse(&r, &out, 0, 0)) {
		s = json_object_to_json_string_ext(out.body,
		    JSON_C_TO_STRING_PLAIN);
		clean = utf8_len(s, strlen(s)) >= 0 && strstr(s, "NaN") == NULL;
	}
	resp_free(&out);
	req_free(&r);
	return clean;
}

static void
test_json(void)
{
	static const struct { const char *body; long pos; } bad[] = {
		{ "{\"a\":\"x\xc0\xafy\"}", 7 },		/* overlong "/" */
		{ "{\"a\":\"\xed\xa0\x80\"}", 6 },		/* encoded surrogate */
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", 6 },		/* above U+10FFFF */
		{ "{\"a\":\"\xff\"}", 6 },
		{ "{\"a\":\"\xe2\x82\"}", 6 },			/* cut short */
		{ "{'a':1}", 1 },
		{ "{\"a\":'x'}", 5 },
		{ "{\"a\":NaN}", 5 },
		{ "{\"a\":Infinity}", 5 },
		{ "{\"a\":-Infinity}", 6 },
		{ "[1,2] ", -2 },	/* not an object: another 422 */
	};
	static const char *const good[] = {
		"{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
		"{\"a\":\"it's NaN or Infinity\"}",
		"{\"a\":\"\\\"'\\\\\",\"b\":[true,false,null,-1.5e3]}",
		"{\"N\":1,\"I\":2}",
	};
	size_t	 i;
	long	 pos;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_OK(parse("application/json", bad[i].body,
		    strlen(bad[i].body), &pos) == 0, "bad[%zu] refused", i);
		if (bad[i].pos >= 0)
			T_OK(pos == bad[i].pos, "bad[%zu] at %ld, want %ld", i,
			    pos, bad[i].pos);
	}
	T_OK(parse("application/json", "{\"a\":\"x\0y\"}", 11, &pos) == 0 &&
	    pos == 7, "raw NUL refused at its offset (%ld)", pos);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		T_OK(parse("application/json", good[i], strlen(good[i]),
		    &pos) == 1, "good[%zu] accepted", i);
	/* A body of another type is echoed only when it is UTF-8. */
	T_OK(answer_clean("text/plain", "a\xff\xfe", 3), "text/plain echo");
	T_OK(answer_clean("text/plain", "caf\xc3\xa9", 5), "text/plain UTF-8");
	T_OK(answer_clean("application/json", "{\"a\":NaN}", 9), "no NaN out");
}

static void
test_form_and_query(void)
{
	static const char *const bad[] = {
		"username=%FF&password=x", "username=a&password=%C0%AF",
		"username=%ED%A0%80", "u\xff=1", "a=\xc3", "%C3%28=x",
	};
	struct json_object	*o;
	char			*v;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = form_decode(bad[i], strlen(bad[i]));
		T_OK(o == NULL, "form bad[%zu] refused", i);
		json_object_put(o);
	}
	o = form_decode("username=caf%C3%A9&password=%E2%82%AC1",
	    strlen("username=caf%C3%A9&password=%E2%82%AC1"));
	T_OK(o != NULL, "UTF-8 form accepted");
	json_object_put(o);
	T_OK(query_get("limit=%FF", "limit") == NULL, "query %%FF");
	T_OK(query_get("q=%C0%AF", "q") == NULL, "query overlong");
	T_OK(query_get("q=\xff", "q") == NULL, "query raw byte");
	v = query_get("q=caf%C3%A9", "q");
	T_STREQ(v, "caf\xc3\xa9");
	free(v);
}

/*
 * fields_read() of body on the fields {"email": string, "captcha_id":
 * UUID}: the serialised 422 detail list, or "ok <canonical id>".
 */
static char *
read_uuid_fields(const char *body)
{
	static const struct field f[2] = {
		{ "email", FT_STRING, 0, NULL, 0 },
		{ "captcha_id", FT_UUID, 0, NULL, 128 },
	};
	struct fval	 v[2];
	struct req	 r;
	struct resp	 out;
	char		*s;

	memset(&r, 0, sizeof(r));
	memset(v, 0, sizeof(v));
	resp_init(&out);
	r.json = json_tokener_parse(body);
	if (fields_read(&r, f, 2, v, &out))
		s = xasprintf("ok %s", v[1].norm != NULL ? v[1].norm : "-");
	else
		s = xstrdup(json_object_to_json_string_ext(json_object_object_get(
		    out.body, "detail"), JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	fvals_free(v, 2);
	resp_free(&out);
	req_free(&r);
	return s;
}

/* Issue 9: captcha_id is read as pydantic reads a UUID field. */
static void
test_uuid_field(void)
{
	char	*s;

	s = read_uuid_fields("{\"captcha_id\":5}");
	T_STREQ(s, "[{\"type\":\"uuid_type\",\"loc\":[\"body\","
	    "\"captcha_id\"],\"msg\":\"UUID input should be a string, bytes "
	    "or UUID object\",\"input\":5}]");
	free(s);
	/* With another field's error, in the declared order. */
	s = read_uuid_fields("{\"captcha_id\":\"7d3c9a52\",\"email\":1}");
	T_STREQ(s, "[{\"type\":\"string_type\",\"loc\":[\"body\","
	    "\"email\"],\"msg\":\"Input should be a valid string\","
	    "\"input\":1},{\"type\":\"uuid_parsing\",\"loc\":[\"body\","
	    "\"captcha_id\"],\"msg\":\"Input should be a valid UUID, invalid "
	    "length: expected length 32 for simple format, found 8\","
	    "\"input\":\"7d3c9a52\"}]");
	free(s);
	s = read_uuid_fields("{\"captcha_id\":"
	    "\"{7D3C9A52-1F0E-4B6A-9C1D-2E8F4A6B0C11}\"}");
	T_STREQ(s, "ok 7d3c9a52-1f0e-4b6a-9c1d-2e8f4a6b0c11");
	free(s);
}

int
main(void)
{
	test_json();
	test_form_and_query();
	test_uuid_field();
	return t_done("hostile_input");
}
