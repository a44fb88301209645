/*
 * The OpenAPI 3 document of the API, embedded at build time from
 * handlers/openapi.json (the source of truth, turned into
 * handlers/openapi.inc by handlers/embed_openapi.sh).  Served as
 * /openapi.json and, converted, as /docs.yaml; tests/unit/test_openapi.c
 * checks it against the route table.
 */
#ifndef AUTHD_OPENAPI_H
#define AUTHD_OPENAPI_H

/* The document as JSON text (static, NUL-terminated). */
const char	*openapi_json(void);
/*
 * The same document as YAML (block style, every string double-quoted):
 * an allocated string the caller frees, or NULL when the embedded JSON
 * does not parse.
 */
char		*openapi_yaml(void);

#endif
