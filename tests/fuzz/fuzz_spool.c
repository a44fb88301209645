/*
 * The spool message reader of the mailer (mail_msg_parse): a file in the
 * spool is untrusted bytes.  A parsed message has a recipient and values
 * free of CR, LF and NUL (no header injection), and every key has a
 * value.
 */
#include "mail.h"
#include "fuzz.h"

static void
no_crlf(const char *what, const char *s)
{
	if (s != NULL && strpbrk(s, "\r\n") != NULL)
		fz_fail("%s holds CR or LF", what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg	*m = NULL;
	size_t		 i;

	if (mail_msg_parse((const char *)data, size, &m) == 0) {
		if (m == NULL || m->id == NULL || m->tmpl == NULL ||
		    m->to == NULL)
			fz_fail("parsed message lacks id, template or "
			    "recipient");
		no_crlf("recipient", m->to);
		no_crlf("template", m->tmpl);
		for (i = 0; i < m->nvals; i++) {
			if (m->keys[i] == NULL || m->vals[i] == NULL)
				fz_fail("value %zu missing", i);
			no_crlf("value", m->vals[i]);
			if (mail_msg_value(m, m->keys[i]) == NULL)
				fz_fail("key %zu not found again", i);
		}
		mail_msg_free(m);
	} else if (m != NULL)
		fz_fail("failed parse left a message");
	return 0;
}
