/*
 * The form decoder (form_decode, the OAuth2 password form of login) and
 * the query-string reader (query_get) on arbitrary bytes.  A decoded
 * form is an object of UTF-8 strings without NUL bytes (keys too): its
 * values are echoed in JSON answers.
 */
#include <json-c/json.h>

#include "http.h"
#include "validate.h"
#include "fuzz.h"

static const char *const names[] = { "username", "password", "role",
    "limit", "", "a" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o;
	char			*q, *v;
	size_t			 i;

	if ((o = form_decode((const char *)data, size)) != NULL) {
		json_object_object_foreach(o, key, val) {
			if (!json_object_is_type(val, json_type_string))
				fz_fail("form value of key %s is no string",
				    key);
			if (strlen(json_object_get_string(val)) !=
			    (size_t)json_object_get_string_len(val))
				fz_fail("form value holds a NUL byte");
			if (utf8_len(key, strlen(key)) < 0 ||
			    utf8_len(json_object_get_string(val),
			    (size_t)json_object_get_string_len(val)) < 0)
				fz_fail("form key or value is not UTF-8");
		}
		json_object_put(o);
	}
	q = fz_cstr(data, size);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = query_get(q, names[i]);
		if (v != NULL && (strlen(v) > size ||
		    utf8_len(v, strlen(v)) < 0))
			fz_fail("query value too long or not UTF-8");
		free(v);
	}
	free(q);
	return 0;
}
