/*
 * The JSON body reader with a field table: body_parse() then
 * fields_read() on a fake request, as every handler runs them.  The
 * first input byte picks the content type and the body_parse() flags;
 * the rest is the body.  Whatever the bytes, the answer must be a 422
 * whose body serialises to strict UTF-8 JSON with a "detail", or a
 * success whose values respect the table (type, maximum length).
 */
#include <json-c/json.h>

#include "fields.h"
#include "http.h"
#include "fuzz.h"

enum { F_EMAIL, F_USERNAME, F_PASSWORD, F_PHONE, F_ALL, F_LIMIT, F_EXPIRES,
    F_TOKEN, F_CAPTCHA, F__MAX };

static const struct field table[F__MAX] = {
	{ "email", FT_STRING, F_REQUIRED | F_NOPREFIX, check_email, 1024 },	/* F_EMAIL */
	{ "username", FT_STRING, F_REQUIRED, check_username, 64 },		/* F_USERNAME */
	{ "password", FT_STRING, 0, check_password, 4096 },			/* F_PASSWORD */
	{ "phone", FT_STRING, 0, check_phone, 64 },				/* F_PHONE */
	{ "all", FT_BOOL, 0, NULL, 0 },						/* F_ALL */
	{ "limit", FT_INT, 0, NULL, 0 },					/* F_LIMIT */
	{ "subscription_expires_at", FT_STRING_OR_NULL, 0, NULL, 64 },		/* F_EXPIRES */
	{ "token", FT_STRING, 0, NULL, 0 },					/* F_TOKEN */
	{ "captcha_id", FT_UUID, 0, NULL, 128 },				/* F_CAPTCHA */
};

static const char *const ctypes[] = {
	"application/json",
	"application/x-www-form-urlencoded",
	"",
	"text/plain",
	"application/json; charset=utf-8",
	"application/merge-patch+json",
	"APPLICATION/X-WWW-FORM-URLENCODED; charset=latin1",
	"multipart/form-data; boundary=x",
};

/* The answer must be strict UTF-8 JSON (what a client parses) with a detail. */
static void
check_answer(const struct resp *out)
{
	struct json_object	*j;
	const char		*s;
	size_t			 len;

	if (out->body == NULL)
		fz_fail("error answer without a body");
	s = json_object_to_json_string_length(out->body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if ((j = fz_strict_json(s, len)) == NULL)
		fz_fail("the answer is not strict UTF-8 JSON: %.200s", s);
	if (!json_object_object_get_ex(j, "detail", NULL))
		fz_fail("the answer has no detail");
	json_object_put(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req	 r;
	struct resp	 out;
	struct fval	 v[F__MAX];
	size_t		 i;
	int		 sel;

	if (size < 1 || size > BODY_MAX + 1)
		return 0;
	sel = data[0];
	memset(&r, 0, sizeof(r));
	resp_init(&out);
	r.ctype = fz_cstr((const uint8_t *)ctypes[sel % 8],
	    strlen(ctypes[sel % 8]));
	r.body = fz_cstr(data + 1, size - 1);
	r.bodylen = size - 1;
	if (!body_parse(&r, &out, (sel & 0x10) != 0, (sel & 0x20) != 0)) {
		if (out.status != 422)
			fz_fail("body_parse failed with %d", out.status);
		check_answer(&out);
	} else if (r.json == NULL || !json_object_is_type(r.json,
	    json_type_object))
		fz_fail("body_parse succeeded without an object");
	else if (!fields_read(&r, table, F__MAX, v, &out)) {
		if (out.status != 422)
			fz_fail("fields_read failed with %d", out.status);
		check_answer(&out);
	} else {
		for (i = 0; i < F__MAX; i++) {
			if (!v[i].present || v[i].is_null ||
			    table[i].type != FT_STRING)
				continue;
			if (v[i].s == NULL || v[i].len > (table[i].maxlen ?
			    table[i].maxlen : BODY_MAX))
				fz_fail("field %s over its length",
				    table[i].name);
		}
		if (!v[F_EMAIL].present || v[F_EMAIL].norm == NULL)
			fz_fail("required email accepted without a value");
		if (v[F_CAPTCHA].present && (v[F_CAPTCHA].norm == NULL ||
		    strlen(v[F_CAPTCHA].norm) != 36 ||
		    strspn(v[F_CAPTCHA].norm, "0123456789abcdef-") != 36))
			fz_fail("a UUID accepted without its canonical form");
		fvals_free(v, F__MAX);
	}
	resp_free(&out);
	req_free(&r);
	return 0;
}
