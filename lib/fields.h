/*
 * Declared input fields and the SPEC §1 validation answers.
 *
 * A route declares its body as a table of fields (handlers/router.c);
 * body_parse() turns the raw body into a JSON object (422 json_invalid /
 * model_attributes_type) and fields_read() checks every field in table
 * order, collecting one 422 entry per failing field.  Handlers read only
 * the validated values.
 */
#ifndef AUTHD_FIELDS_H
#define AUTHD_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct req;
struct resp;

enum ftype {
	FT_STRING,
	FT_BOOL,
	FT_INT,
	FT_STRING_OR_NULL,	/* a string, or JSON null meaning "clear" */
	FT_UUID,		/* a UUID string (uuid_parsing); norm: canonical form */
};

#define F_REQUIRED	0x01
#define F_NOPREFIX	0x02	/* value_error message is not "Value error, "-prefixed */

/*
 * A check returns NULL when valid, else the message.  On success it may
 * store an allocated normalised value in *norm.
 */
typedef const char *(*field_check)(const char *, size_t, char **);

struct field {
	const char	*name;
	enum ftype	 type;
	int		 flags;
	field_check	 check;
	size_t		 maxlen;	/* bytes; 0 = BODY_MAX */
};

struct fval {
	int		 present;
	int		 is_null;
	const char	*s;		/* borrowed from the JSON body */
	size_t		 len;
	char		*norm;		/* owned: normalised value or NULL */
	int		 b;
	int64_t		 i;
};

/*
 * Parses r->body as JSON (or, when allow_form and the content type is
 * application/x-www-form-urlencoded, as a form) into r->json.
 * Returns 1, or 0 with a 422 in out.  An empty body is a 422 "missing"
 * for the whole body unless empty_ok (then r->json is an empty object).
 * When r->json is set already (a page passing on its decoded form to an
 * API handler), returns 1 and keeps it.
 */
int	 body_parse(struct req *, struct resp *, int allow_form, int empty_ok);

/*
 * Reads the n declared fields from r->json into vals (n entries).
 * Returns 1 when all are valid, else 0 with the 422 list in out.
 */
int	 fields_read(struct req *, const struct field *, size_t n,
	    struct fval *vals, struct resp *out);
void	 fvals_free(struct fval *, size_t n);

/* The SPEC §3 validators (lib/validate.h) as field checks. */
const char	*check_email(const char *, size_t, char **);
const char	*check_username(const char *, size_t, char **);
const char	*check_password(const char *, size_t, char **);
const char	*check_phone(const char *, size_t, char **);

/* The single 422 entry helpers, for handlers with special rules. */
struct json_object *err_entry(const char *type, const char *field,
	    const char *msg, struct json_object *input);
int	 resp_422(struct resp *, struct json_object *list);

#endif
