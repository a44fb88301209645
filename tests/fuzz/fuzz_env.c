/*
 * The .env line reader (env_line_parse).  A parsed line gives a key of
 * [A-Za-z_][A-Za-z0-9_]* and a value without NUL bytes, both within the
 * line.
 */
#include <ctype.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*line, *key = NULL, *val = NULL;
	const char	*c;
	int		 rc;

	/* The reader gets lines without their newline, NULs possible. */
	line = fz_cstr(data, size);
	rc = env_line_parse(line, size, &key, &val);
	if (rc == 1) {
		if (key == NULL || val == NULL || *key == '\0')
			fz_fail("parsed line without key or value");
		if (!(isalpha((unsigned char)key[0]) || key[0] == '_'))
			fz_fail("key starts with 0x%02x",
			    (unsigned char)key[0]);
		for (c = key; *c != '\0'; c++)
			if (!(isalnum((unsigned char)*c) || *c == '_'))
				fz_fail("key holds 0x%02x", (unsigned char)*c);
		if (strlen(key) + strlen(val) > size)
			fz_fail("key and value longer than the line");
		free(key);
		free(val);
	} else if (rc != 0 && rc != -1)
		fz_fail("env_line_parse returned %d", rc);
	free(line);
	return 0;
}
