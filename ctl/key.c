/*
 * authctl key rotate | list: the signing keys of access tokens
 * (lib/keyring.h has the model and the file format).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit.h"
#include "config.h"
#include "ctl.h"
#include "keyring.h"
#include "util.h"

static const char usage_text[] =
    "usage: authctl [--json] key rotate [--keep-old SECONDS]\n"
    "       authctl [--json] key list\n"
    "\n"
    "rotate    make a new signing key; the previous one keeps verifying\n"
    "          the tokens it signed until they have expired\n"
    "          (ACCESS_TOKEN_EXPIRE_MINUTES, plus a few seconds), then it\n"
    "          is dropped. --keep-old SECONDS sets that time instead\n"
    "          (0: drop it at once, after a leak: access tokens signed\n"
    "          with it stop working, refresh tokens go on working).\n"
    "          The workers take the new key within a second, no restart.\n"
    "list      the keys, their state and times.\n"
    "Not possible when SECRET_KEY or SECRET_KEY_FILE fixes the key.\n";

static int
usage(FILE *f)
{
	fputs(usage_text, f);
	return f == stdout ? CTL_OK : CTL_USAGE;
}

static const char *
source_name(enum key_source s)
{
	switch (s) {
	case KEY_ENV:
		return "SECRET_KEY";
	case KEY_FILE:
		return "SECRET_KEY_FILE";
	case KEY_RING:
		return "key ring";
	default:
		return "secret.key";
	}
}

static void
when(int64_t t, char out[21])
{
	if (t == 0)
		snprintf(out, 21, "-");
	else
		rfc3339(t, out);
}

static int
key_list(struct ctl *c)
{
	const struct keyring	*r;
	struct json_object	*list, *o;
	const char		*state;
	char			 created[21], retires[21];
	int64_t			 now = now_s();
	size_t			 i;

	if ((r = keyring_current(c->cfg, now)) == NULL) {
		fprintf(stderr, "authctl: key: no key loaded\n");
		return CTL_ERR;
	}
	list = json_object_new_array();
	if (!c->json)
		printf("%-18s %-10s %-21s %-21s %s\n", "KID", "STATE",
		    "CREATED", "RETIRES", "SOURCE");
	for (i = 0; i < r->n; i++) {
		const struct keyring_key *k = &r->k[i];

		state = k->retires == 0 ? "signing" : k->retires > now ?
		    "verifying" : "retired";
		when(k->created, created);
		when(k->retires, retires);
		if (!c->json) {
			printf("%-18s %-10s %-21s %-21s %s%s\n", k->jk.kid,
			    state, created, retires, source_name(r->source),
			    k->jk.legacy ? " (also tokens without kid)" : "");
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "kid",
		    json_object_new_string(k->jk.kid));
		json_object_object_add(o, "state",
		    json_object_new_string(state));
		json_object_object_add(o, "created", k->created ?
		    json_object_new_int64(k->created) : NULL);
		json_object_object_add(o, "retires", k->retires ?
		    json_object_new_int64(k->retires) : NULL);
		json_object_object_add(o, "legacy",
		    json_object_new_boolean(k->jk.legacy));
		json_object_object_add(o, "source",
		    json_object_new_string(source_name(r->source)));
		json_object_array_add(list, o);
	}
	if (c->json)
		printf("%s\n", json_object_to_json_string_ext(list,
		    JSON_C_TO_STRING_PLAIN));
	json_object_put(list);
	return CTL_OK;
}

static int
key_rotate(struct ctl *c, int argc, char **argv)
{
	struct json_object	*o;
	char			 newkid[JWT_KID_MAX + 1];
	char			 oldkid[JWT_KID_MAX + 1];
	char			 err[512], until[21], *end;
	int64_t			 now = now_s(), keep;
	long long		 v;

	keep = c->cfg->access_ttl + KEYRING_PICKUP_S;
	if (argc == 3 && strcmp(argv[1], "--keep-old") == 0) {
		errno = 0;
		v = strtoll(argv[2], &end, 10);
		if (*argv[2] == '\0' || *end != '\0' || errno != 0 || v < 0 ||
		    v > 366LL * 86400) {
			fprintf(stderr, "authctl: key rotate: --keep-old: "
			    "seconds from 0 to 31622400\n");
			return usage(stderr);
		}
		keep = v;
	} else if (argc != 1)
		return usage(stderr);
	if (keyring_rotate(c->cfg, now, keep, newkid, oldkid, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "authctl: key rotate: %s\n", err);
		return CTL_ERR;
	}
	rfc3339(now + keep, until);
	audit_event(AUDIT_KEY_ROTATE, "authctl", NULL, "kid=%s previous_kid=%s "
	    "previous_retires=%s", newkid, oldkid[0] ? oldkid : "-", until);
	if (c->json) {
		o = json_object_new_object();
		json_object_object_add(o, "kid",
		    json_object_new_string(newkid));
		json_object_object_add(o, "previous_kid",
		    json_object_new_string(oldkid));
		json_object_object_add(o, "previous_retires",
		    json_object_new_int64(now + keep));
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else
		printf("signing key: %s\nprevious key %s verifies until %s\n",
		    newkid, oldkid, until);
	return CTL_OK;
}

/*
 * authctl key rotate [--keep-old SECONDS] | key list.  CTL_OK, CTL_ERR
 * (a fixed key, an unwritable state directory) or CTL_USAGE.
 */
int
ctl_key(struct ctl *c, int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	if (strcmp(argv[1], "rotate") == 0) {
		if (argc == 3 && strcmp(argv[2], "--help") == 0)
			return usage(stdout);
		return key_rotate(c, argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "list") == 0) {
		if (argc == 3 && strcmp(argv[2], "--help") == 0)
			return usage(stdout);
		if (argc != 2)
			return usage(stderr);
		return key_list(c);
	}
	fprintf(stderr, "authctl: key: unknown subcommand '%s'\n", argv[1]);
	return usage(stderr);
}
