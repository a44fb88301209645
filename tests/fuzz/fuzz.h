/*
 * Shared by the libFuzzer targets of tests/fuzz/: each target is one
 * parser of untrusted bytes, built with clang -fsanitize=fuzzer,address,
 * undefined by tests/fuzz/run.  A target calls fz_fail() when the parser
 * broke a promise of its header (the sanitizers catch memory errors and
 * undefined behaviour on their own).
 */
#ifndef AUTHD_FUZZ_H
#define AUTHD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "validate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* A broken invariant: report it and abort so libFuzzer saves the input. */
#define fz_fail(...) do {						\
	fprintf(stderr, "fuzz invariant broken at %s:%d: ", __FILE__,	\
	    __LINE__);							\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	abort();							\
} while (0)

/* An allocated, NUL-terminated copy of the input (which may hold NULs). */
static inline char *
fz_cstr(const uint8_t *d, size_t n)
{
	char	*s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n != 0)
		memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/*
 * Whether an answer body is RFC 8259 JSON in strict UTF-8, as a client's
 * parser sees it.  json-c alone is not the judge: it takes overlong
 * UTF-8, NaN and Infinity.  Returns the parsed document or NULL.
 */
static inline struct json_object *
fz_strict_json(const char *s, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*j;
	size_t			 i;
	int			 instr = 0;

	if (utf8_len(s, len) < 0)
		return NULL;
	for (i = 0; i < len; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
		} else if (s[i] == '"')
			instr = 1;
		else if (s[i] == 'N' || s[i] == 'I' || s[i] == '\'')
			return NULL;
	}
	if ((tok = json_tokener_new()) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, s, (int)len);
	if (j != NULL && json_tokener_get_parse_end(tok) != len) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

#endif
