/*
 * The Authorization header parser (bearer_parse).  A token it returns
 * is non-empty, at most 8 KiB, and holds no white space, quote, control
 * byte or DEL: nothing that could be a second header or a log escape.
 */
#include "http.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*h, *t;
	const char	*c;

	h = fz_cstr(data, size);
	if ((t = bearer_parse(h)) != NULL) {
		if (*t == '\0' || strlen(t) > 8192)
			fz_fail("token of length %zu", strlen(t));
		for (c = t; *c != '\0'; c++)
			if ((unsigned char)*c <= ' ' || *c == '"' ||
			    *c == '\'' || *c == 0x7f)
				fz_fail("token holds byte 0x%02x",
				    (unsigned char)*c);
		if (strlen(t) > strlen(h))
			fz_fail("token longer than the header");
		free(t);
	}
	free(h);
	return 0;
}
