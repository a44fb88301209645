/*
 * authctl mail: the spool's messages by state (SPEC §10, mail/README.md).
 *
 * Only the envelope of a message is shown (id, state, template,
 * recipient, times, attempts, last error), never its values: they hold
 * the reset and verification links.
 *
 * Moves follow the spool's rule, one rename(2) at a time, so a crash
 * leaves every message in exactly one directory.  The mailer never
 * touches failed/, which is what makes it the operator's working place:
 * a message to retry from retry/ is first taken from the mailer by a
 * rename into failed/ (if the mailer claimed it first, it is being sent
 * anyway), rewritten there with a fresh attempt count, then renamed into
 * new/, where inotify wakes the mailer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "mail.h"
#include "util.h"

static const char usage_mail[] =
"usage: authctl mail list [--state STATE]\n"
"       authctl mail retry ID\n"
"       authctl mail retry-failed\n"
"       authctl mail purge-failed\n"
"\n"
"  list          the spool's messages: new (waiting), cur (being sent),\n"
"                retry (waiting for the next attempt), failed (given up);\n"
"                without their links\n"
"  retry ID      send a failed or waiting message again now, with a fresh\n"
"                attempt count\n"
"  retry-failed  retry every failed message\n"
"  purge-failed  delete every failed message\n";

/* The states in the order they are listed. */
static const char *const states[] = { "new", "cur", "retry", "failed" };
#define NSTATES	(sizeof(states) / sizeof(states[0]))

/* A message file name: "<uuid>.json". */
static int
msg_file(const char *name)
{
	char	id[37];
	size_t	n = strlen(name);

	if (n != 41 || strcmp(name + 36, ".json") != 0)
		return 0;
	memcpy(id, name, 36);
	id[36] = '\0';
	return ctl_uuid_shaped(id);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The message files of one state directory, sorted.  Returns the count
 * with an allocated *names (free_names()), or -1 after a message.
 */
static int
list_state(const struct ctl *c, const char *state, char ***names)
{
	DIR		*d;
	struct dirent	*e;
	char		*dir;
	size_t		 n = 0, cap = 0;

	*names = NULL;
	dir = xasprintf("%s/%s", c->cfg->spool_dir, state);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			free(dir);
			return 0;
		}
		fprintf(stderr, "authctl: cannot read %s: %s\n", dir,
		    strerror(errno));
		free(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!msg_file(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof(char *));
		}
		(*names)[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	free(dir);
	if (n > 0)
		qsort(*names, n, sizeof(char *), cmp_names);
	return (int)n;
}

static void
free_names(char **names, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A fractional unix time as RFC 3339, "-" for 0. */
static const char *
when(double t, char buf[21])
{
	return ctl_time(t > 0 ? (int64_t)t : 0, buf);
}

/* The envelope of a message as JSON: no values, no links. */
static struct json_object *
msg_json(const char *state, const struct mail_msg *m)
{
	struct json_object	*o = json_object_new_object();
	char			 t[21];

	json_object_object_add(o, "id", json_object_new_string(m->id));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "template", json_object_new_string(m->tmpl));
	json_object_object_add(o, "to", json_object_new_string(m->to));
	json_object_object_add(o, "created", json_object_new_string(
	    ctl_time(m->created, t)));
	json_object_object_add(o, "attempts",
	    json_object_new_int64((int64_t)m->attempts));
	json_object_object_add(o, "next_attempt", m->next_attempt > 0 ?
	    json_object_new_string(when(m->next_attempt, t)) : NULL);
	json_object_object_add(o, "last_error", m->last_error != NULL ?
	    json_object_new_string(m->last_error) : NULL);
	return o;
}

/* A message file that does not parse: its name and state only. */
static struct json_object *
unreadable_json(const char *id, const char *state)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "last_error",
	    json_object_new_string("unreadable message file"));
	return o;
}

static int
mail_list(struct ctl *c, int argc, char **argv)
{
	struct json_object	*arr = NULL;
	struct ctl_table	*t = NULL;
	struct mail_msg		*m;
	const char		*only = NULL;
	char			**names, *path, id[37], t1[21], t2[21], att[24];
	size_t			 s;
	int			 n, i, rc = CTL_ERR;

	if (argc == 3 && strcmp(argv[1], "--state") == 0) {
		only = argv[2];
		for (s = 0; s < NSTATES; s++)
			if (strcmp(only, states[s]) == 0)
				break;
		if (s == NSTATES) {
			fprintf(stderr, "authctl: mail list: unknown state "
			    "'%s' (new, cur, retry or failed)\n", only);
			return ctl_usage(usage_mail, 0);
		}
	} else if (argc != 1)
		return ctl_usage(usage_mail, 0);
	if (c->json)
		arr = json_object_new_array();
	else
		t = ctl_table_new(8, "ID", "STATE", "TEMPLATE", "TO",
		    "CREATED", "ATTEMPTS", "NEXT_ATTEMPT", "LAST_ERROR");
	for (s = 0; s < NSTATES; s++) {
		if (only != NULL && strcmp(only, states[s]) != 0)
			continue;
		if ((n = list_state(c, states[s], &names)) < 0)
			goto done;
		for (i = 0; i < n; i++) {
			path = xasprintf("%s/%s/%s", c->cfg->spool_dir,
			    states[s], names[i]);
			if (mail_msg_read(path, &m) == -1) {
				free(path);
				/* Sent or moved since the directory was read. */
				if (errno == ENOENT)
					continue;
				snprintf(id, sizeof(id), "%.36s", names[i]);
				if (arr != NULL)
					json_object_array_add(arr,
					    unreadable_json(id, states[s]));
				else
					ctl_table_row(t, id, states[s], "?",
					    "?", "-", "-", "-",
					    "unreadable message file");
				continue;
			}
			free(path);
			snprintf(att, sizeof(att), "%ld", m->attempts);
			if (arr != NULL)
				json_object_array_add(arr, msg_json(states[s],
				    m));
			else
				ctl_table_row(t, m->id, states[s], m->tmpl,
				    m->to, ctl_time(m->created, t1), att,
				    when(m->next_attempt, t2), m->last_error);
			mail_msg_free(m);
		}
		free_names(names, n);
	}
	if (arr != NULL) {
		rc = ctl_json_print(arr);
		arr = NULL;
	} else {
		rc = ctl_table_print(t);
		t = NULL;
	}
done:
	json_object_put(arr);
	ctl_table_free(t);
	return rc;
}

/*
 * Retries the message name that sits in failed/: rewritten there with
 * no attempts, no error and no delay, then renamed into new/.  Returns
 * 0, or -1 after a message (the message stays in failed/ as it was, or
 * rewritten: both are whole files).
 */
static int
requeue_failed(const struct ctl *c, const char *name)
{
	struct mail_msg	*m = NULL;
	char		*src, *dst;
	int		 rc = -1;

	src = xasprintf("%s/failed/%s", c->cfg->spool_dir, name);
	dst = xasprintf("%s/new/%s", c->cfg->spool_dir, name);
	if (mail_msg_read(src, &m) == -1) {
		fprintf(stderr, "authctl: mail %.36s: %s\n", name,
		    errno == ENOENT ? "gone meanwhile" :
		    "unreadable message file; delete it with purge-failed");
		goto done;
	}
	m->attempts = 0;
	m->next_attempt = 0;
	free(m->last_error);
	m->last_error = NULL;
	if (mail_msg_store(c->cfg->spool_dir, "failed", name, m) == -1) {
		fprintf(stderr, "authctl: mail %.36s: cannot rewrite it (full "
		    "disk? see the message above); left in failed/\n", name);
		goto done;
	}
	if (rename(src, dst) == -1) {
		fprintf(stderr, "authctl: mail %.36s: cannot move it to new/: "
		    "%s\n", name, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	mail_msg_free(m);
	free(src);
	free(dst);
	return rc;
}

/* 1 when <spool>/<state>/<name> exists. */
static int
present(const struct ctl *c, const char *state, const char *name)
{
	char	*p = xasprintf("%s/%s/%s", c->cfg->spool_dir, state, name);
	int	 rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

static int
mail_retry(struct ctl *c, int argc, char **argv)
{
	struct json_object	*j;
	char			*name = NULL, *src = NULL, *dst = NULL;
	char			 shown[64];
	int			 rc = CTL_ERR;

	if (argc != 2)
		return ctl_usage(usage_mail, 0);
	/* Checked before it becomes part of a path. */
	if (!ctl_uuid_shaped(argv[1])) {
		log_escape(argv[1], shown, sizeof(shown));
		fprintf(stderr, "authctl: '%s' is not a message id (see "
		    "authctl mail list)\n", shown);
		return CTL_ERR;
	}
	name = xasprintf("%s.json", argv[1]);
	if (present(c, "retry", name)) {
		src = xasprintf("%s/retry/%s", c->cfg->spool_dir, name);
		dst = xasprintf("%s/failed/%s", c->cfg->spool_dir, name);
		if (rename(src, dst) == -1 && errno != ENOENT) {
			fprintf(stderr, "authctl: mail %s: cannot take it from "
			    "retry/: %s\n", argv[1], strerror(errno));
			goto done;
		}
	}
	if (present(c, "failed", name)) {
		if (requeue_failed(c, name) == -1)
			goto done;
	} else if (present(c, "new", name) || present(c, "cur", name)) {
		/* Claimed by the mailer meanwhile, or waiting already. */
		fprintf(stderr, "authctl: mail %s is already queued or being "
		    "sent\n", argv[1]);
	} else {
		fprintf(stderr, "authctl: no mail %s in the spool (sent, or "
		    "purged)\n", argv[1]);
		goto done;
	}
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(argv[1]));
		json_object_object_add(j, "state", json_object_new_string("new"));
		rc = ctl_json_print(j);
	} else {
		printf("mail %s queued\n", argv[1]);
		rc = CTL_OK;
	}
done:
	free(name);
	free(src);
	free(dst);
	return rc;
}

/* retry-failed and purge-failed: every message of failed/. */
static int
mail_failed_all(struct ctl *c, int argc, char **argv)
{
	struct json_object	*j;
	char			**names, *path;
	int			 purge = strcmp(argv[0], "purge-failed") == 0;
	int			 n, i, done = 0, errors = 0;

	if (argc != 1)
		return ctl_usage(usage_mail, 0);
	if ((n = list_state(c, "failed", &names)) < 0)
		return CTL_ERR;
	for (i = 0; i < n; i++) {
		if (!purge) {
			if (requeue_failed(c, names[i]) == -1)
				errors++;
			else
				done++;
			continue;
		}
		path = xasprintf("%s/failed/%s", c->cfg->spool_dir, names[i]);
		if (unlink(path) == -1 && errno != ENOENT) {
			fprintf(stderr, "authctl: cannot delete %s: %s\n",
			    path, strerror(errno));
			errors++;
		} else
			done++;
		free(path);
	}
	free_names(names, n);
	if (c->json) {
		j = json_object_new_object();
		json_object_object_add(j, purge ? "purged" : "retried",
		    json_object_new_int(done));
		json_object_object_add(j, "errors", json_object_new_int(errors));
		if (ctl_json_print(j) != CTL_OK)
			return CTL_ERR;
	} else
		printf("%d failed message(s) %s%s\n", done, purge ? "deleted" :
		    "queued again", errors ? ", some could not be (above)" :
		    "");
	return errors ? CTL_ERR : CTL_OK;
}

/*
 * authctl mail SUBCOMMAND: dispatches with argv[0] the subcommand's name.
 */
int
ctl_mail(struct ctl *c, int argc, char **argv)
{
	if (argc < 2 || ctl_wants_help(argc, argv))
		return ctl_usage(usage_mail, argc >= 2);
	if (strcmp(argv[1], "list") == 0)
		return mail_list(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "retry") == 0)
		return mail_retry(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "retry-failed") == 0 ||
	    strcmp(argv[1], "purge-failed") == 0)
		return mail_failed_all(c, argc - 1, argv + 1);
	fprintf(stderr, "authctl: mail: unknown subcommand '%s'\n", argv[1]);
	return ctl_usage(usage_mail, 0);
}
