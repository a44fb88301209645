/*
 * The signing keys of access tokens: the key ring, its file, and the
 * rotation done by `authctl key rotate`.  See keyring.h for the model.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "keyring.h"
#include "log.h"
#include "util.h"

#define RING_FILE_MAX	(16 * 1024)	/* bytes of a key ring file read */
#define RING_KEY_MIN	32		/* bytes of a key, as for SECRET_KEY */

char *
keyring_path(const struct config *conf)
{
	return xasprintf("%s/keyring", conf->state_dir);
}

void
keyring_kid(const unsigned char *key, size_t len, char kid[JWT_KID_MAX + 1])
{
	unsigned char	h[32];
	char		hex[65];

	sha256(key, len, h);
	hex_encode(h, sizeof(h), hex);
	memcpy(kid, hex, 16);
	kid[16] = '\0';
}

static void
key_clear(struct keyring_key *k)
{
	if (k->jk.key != NULL) {
		OPENSSL_cleanse((void *)(uintptr_t)k->jk.key, k->jk.len);
		free((void *)(uintptr_t)k->jk.key);
	}
	memset(k, 0, sizeof(*k));
}

void
keyring_free(struct keyring *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		key_clear(&r->k[i]);
	free(r);
}

/* Adds a copy of key to r; 0, or -1 when r is full. */
static int
key_add(struct keyring *r, const char *kid, const unsigned char *key,
    size_t len, int64_t created, int64_t retires, int legacy)
{
	struct keyring_key	*k;
	unsigned char		*copy;

	if (r->n == KEYRING_MAX)
		return -1;
	k = &r->k[r->n++];
	memset(k, 0, sizeof(*k));
	if (kid != NULL)
		snprintf(k->jk.kid, sizeof(k->jk.kid), "%s", kid);
	else
		keyring_kid(key, len, k->jk.kid);
	copy = xmalloc(len);
	memcpy(copy, key, len);
	k->jk.key = copy;
	k->jk.len = len;
	k->jk.legacy = legacy;
	k->created = created;
	k->retires = retires;
	return 0;
}

/* kid: 1 to 32 of [A-Za-z0-9_-]. */
static int
kid_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n <= JWT_KID_MAX && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
	    n;
}

static int
int_field(const char *s, int64_t *v)
{
	char		*end;
	long long	 l;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	l = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || l < 0)
		return -1;
	*v = (int64_t)l;
	return 0;
}

/* Parses one key line into r.  0, or -1 with the reason in err. */
static int
ring_line(struct keyring *r, char *line, char *err, size_t errlen)
{
	char		*f[5], *save = NULL, *t;
	unsigned char	*key = NULL;
	size_t		 n = 0, len;
	int64_t		 created, retires, legacy;
	int		 rc = -1;

	for (t = strtok_r(line, " \t", &save); t != NULL && n < 5;
	    t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n != 5 || t != NULL) {
		snprintf(err, errlen, "a line has not 5 fields");
		return -1;
	}
	if (!kid_ok(f[0]) || int_field(f[1], &created) == -1 ||
	    int_field(f[2], &retires) == -1 || int_field(f[3], &legacy) == -1 ||
	    legacy > 1) {
		snprintf(err, errlen, "a malformed line");
		return -1;
	}
	if (b64url_decode(f[4], strlen(f[4]), &key, &len) == -1 ||
	    len < RING_KEY_MIN) {
		snprintf(err, errlen, "key %s is not at least %d bytes of "
		    "base64url", f[0], RING_KEY_MIN);
		goto done;
	}
	if (key_add(r, f[0], key, len, created, retires, (int)legacy) == -1) {
		snprintf(err, errlen, "more than %d keys", KEYRING_MAX);
		goto done;
	}
	rc = 0;
done:
	if (key != NULL) {
		OPENSSL_cleanse(key, len);
		free(key);
	}
	OPENSSL_cleanse(f[4], strlen(f[4]));
	return rc;
}

/*
 * Reads the key ring file at path into a new ring (the signer first).
 * Returns it, or NULL with the reason in err (errno ENOENT when the file
 * does not exist).
 */
static struct keyring *
ring_read(const char *path, struct stat *st, char *err, size_t errlen)
{
	struct keyring	*r = NULL;
	char		*buf, *line, *save = NULL, why[200];
	ssize_t		 got;
	size_t		 i, signers = 0, len = 0;
	int		 fd, bad = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	buf = xmalloc(RING_FILE_MAX + 1);
	if (fstat(fd, st) == -1) {
		snprintf(err, errlen, "cannot stat %s: %s", path,
		    strerror(errno));
		goto done;
	}
	while (len < RING_FILE_MAX && (got = read(fd, buf + len,
	    RING_FILE_MAX - len)) > 0)
		len += (size_t)got;
	buf[len] = '\0';
	if (len == RING_FILE_MAX || memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: too large or not text", path);
		goto done;
	}
	r = xcalloc(1, sizeof(*r));
	r->source = KEY_RING;
	for (line = strtok_r(buf, "\n", &save); line != NULL && !bad;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#' || *line == '\0')
			continue;
		if (ring_line(r, line, why, sizeof(why)) == -1)
			bad = 1;
	}
	for (i = 0; i < r->n; i++)
		signers += r->k[i].retires == 0;
	if (!bad && (r->n == 0 || signers != 1 || r->k[0].retires != 0)) {
		snprintf(why, sizeof(why), "the first key must be the one "
		    "signing key (retires 0)");
		bad = 1;
	}
	if (bad) {
		snprintf(err, errlen, "%s: %s", path, why);
		keyring_free(r);
		r = NULL;
	}
done:
	OPENSSL_cleanse(buf, RING_FILE_MAX + 1);
	free(buf);
	close(fd);
	return r;
}

static void
ring_mark(struct keyring *r, const struct stat *st, int64_t now)
{
	r->present = 1;
	r->ino = (uint64_t)st->st_ino;
	r->size = (uint64_t)st->st_size;
	r->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
	r->checked = now;
}

/* A ring of the one key in conf->secret. */
static struct keyring *
ring_single(const struct config *conf)
{
	struct keyring	*r = xcalloc(1, sizeof(*r));
	const char	*kid = NULL;

	r->source = conf->key_source;
	if (r->source == KEY_ENV)
		kid = "env";
	else if (r->source == KEY_FILE)
		kid = "file";
	(void)key_add(r, kid, conf->secret, conf->secret_len, 0, 0, 1);
	return r;
}

int
keyring_load(struct config *conf, char *err, size_t errlen)
{
	struct keyring	*r;
	struct stat	 st;
	char		*path, why[256];

	keyring_free(conf->keyring);
	conf->keyring = NULL;
	if (conf->key_source != KEY_RING) {
		if (conf->secret == NULL) {
			snprintf(err, errlen, "SECRET_KEY: no key loaded");
			return -1;
		}
		conf->keyring = ring_single(conf);
		conf->keyring->checked = now_s();
		return 0;
	}
	path = keyring_path(conf);
	r = ring_read(path, &st, why, sizeof(why));
	free(path);
	if (r == NULL) {
		snprintf(err, errlen, "key ring: %s", why);
		return -1;
	}
	ring_mark(r, &st, now_s());
	conf->keyring = r;
	return 0;
}

/* Moves the keys of src into dst (freeing dst's) and frees src. */
static void
ring_move(struct keyring *dst, struct keyring *src)
{
	size_t	i;

	for (i = 0; i < dst->n; i++)
		key_clear(&dst->k[i]);
	*dst = *src;
	free(src);
}

/*
 * The ring is the part of a configuration that changes after its load:
 * a new key ring file replaces its keys in place (conf->keyring points
 * at a mutable ring), so every holder of the configuration sees them.
 */
const struct keyring *
keyring_current(const struct config *conf, int64_t now)
{
	struct keyring	*r = conf->keyring, *fresh;
	struct stat	 st;
	char		*path, why[256];

	if (r == NULL || r->source == KEY_ENV || r->source == KEY_FILE ||
	    r->checked == now || conf->state_dir == NULL)
		return r;
	r->checked = now;
	path = keyring_path(conf);
	if (stat(path, &st) == -1) {
		if (r->present && errno == ENOENT)
			log_warnx("key ring %s is gone: keeping the keys in "
			    "memory", path);
		r->present = 0;
		goto done;
	}
	if (r->present && (uint64_t)st.st_ino == r->ino &&
	    (uint64_t)st.st_size == r->size && (int64_t)st.st_mtim.tv_sec *
	    1000000000 + st.st_mtim.tv_nsec == r->mtime_ns)
		goto done;
	if ((fresh = ring_read(path, &st, why, sizeof(why))) == NULL) {
		log_warnx("key ring not reloaded, keeping the keys in memory: "
		    "%s", why);
		ring_mark(r, &st, now);
		goto done;
	}
	ring_mark(fresh, &st, now);
	log_info("key ring reloaded: signing key %s, %zu key(s)",
	    fresh->k[0].jk.kid, fresh->n);
	ring_move(r, fresh);
done:
	free(path);
	return r;
}

char *
keyring_sign(const struct config *conf, const struct jwt_claims *c,
    int64_t now)
{
	const struct keyring	*r = keyring_current(conf, now);

	if (r == NULL || r->n == 0)
		return NULL;
	return jwt_sign_kid(c, r->k[0].jk.kid, r->k[0].jk.key, r->k[0].jk.len);
}

int
keyring_verify(const struct config *conf, const char *tok, size_t len,
    int64_t now, struct jwt_claims *c, struct json_object **payload)
{
	const struct keyring	*r = keyring_current(conf, now);
	struct jwt_key		 live[KEYRING_MAX];
	size_t			 i, n = 0;

	if (r == NULL)
		return -1;
	for (i = 0; i < r->n; i++)
		if (r->k[i].retires == 0 || r->k[i].retires > now)
			live[n++] = r->k[i].jk;
	return jwt_verify_keys(tok, len, live, n, now, c, payload);
}

/* ---- rotation ---- */

/*
 * Writes r as the key ring file:
 * a temporary file, fsync, rename, fsync of the directory.
 */
static int
ring_write(const struct config *conf, const struct keyring *r, char *err,
    size_t errlen)
{
	char	*path = keyring_path(conf), *tmp, *b64, *line;
	size_t	 i, len;
	int	 fd = -1, dfd, rc = -1;

	tmp = xasprintf("%s.tmp", path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		goto done;
	}
	line = xstrdup("# authd key ring, written by authctl key rotate.\n"
	    "# kid created retires legacy key (retires 0: the signing key)\n");
	len = strlen(line);
	if (write(fd, line, len) != (ssize_t)len)
		goto io;
	free(line);
	line = NULL;
	for (i = 0; i < r->n; i++) {
		b64 = b64url_encode(r->k[i].jk.key, r->k[i].jk.len);
		line = xasprintf("%s %lld %lld %d %s\n", r->k[i].jk.kid,
		    (long long)r->k[i].created, (long long)r->k[i].retires,
		    r->k[i].jk.legacy, b64);
		free_secret(b64);
		len = strlen(line);
		if (write(fd, line, len) != (ssize_t)len)
			goto io;
		free_secret(line);
		line = NULL;
	}
	if (fsync(fd) == -1)
		goto io;
	if (close(fd) == -1) {
		fd = -1;
		goto io;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename %s: %s", tmp,
		    strerror(errno));
		goto done;
	}
	if ((dfd = open(conf->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto done;
io:
	snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
	free_secret(line);
done:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		(void)unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

/* The keys before this rotation, read again under the lock. */
static struct keyring *
ring_before(const struct config *conf, int *from_secret, char *err,
    size_t errlen)
{
	struct keyring	*r;
	struct stat	 st;
	char		*path = keyring_path(conf);

	*from_secret = 0;
	r = ring_read(path, &st, err, errlen);
	if (r == NULL && errno == ENOENT && conf->secret != NULL) {
		/* No key ring yet: secret.key is the signer, and legacy. */
		r = xcalloc(1, sizeof(*r));
		(void)key_add(r, NULL, conf->secret, conf->secret_len, 0, 0, 1);
		*from_secret = 1;
	}
	free(path);
	return r;
}

int
keyring_rotate(const struct config *conf, int64_t now, int64_t keep,
    char newkid[JWT_KID_MAX + 1], char oldkid[JWT_KID_MAX + 1], char *err,
    size_t errlen)
{
	struct keyring	*old = NULL, *r = NULL;
	unsigned char	 raw[64];
	char		*lock, *enc, *secret;
	size_t		 i;
	int		 lfd, from_secret = 0, rc = -1;

	newkid[0] = oldkid[0] = '\0';
	if (conf->key_source == KEY_ENV || conf->key_source == KEY_FILE) {
		snprintf(err, errlen, "the signing key is fixed by %s: change "
		    "it there, or unset it to use the key ring in %s",
		    conf->key_source == KEY_ENV ? "SECRET_KEY" :
		    "SECRET_KEY_FILE", conf->state_dir);
		return -1;
	}
	lock = xasprintf("%s/keyring.lock", conf->state_dir);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1 || flock(lfd, LOCK_EX) == -1) {
		snprintf(err, errlen, "cannot lock %s: %s", lock,
		    strerror(errno));
		goto done;
	}
	if ((old = ring_before(conf, &from_secret, err, errlen)) == NULL)
		goto done;
	r = xcalloc(1, sizeof(*r));
	r->source = KEY_RING;
	rand_bytes(raw, sizeof(raw));
	enc = b64url_encode(raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	(void)key_add(r, NULL, (const unsigned char *)enc, strlen(enc), now, 0,
	    0);
	free_secret(enc);
	snprintf(newkid, JWT_KID_MAX + 1, "%s", r->k[0].jk.kid);
	snprintf(oldkid, JWT_KID_MAX + 1, "%s", old->k[0].jk.kid);
	/* The previous signer, then the keys still verifying, newest first. */
	for (i = 0; i < old->n; i++) {
		struct keyring_key	*k = &old->k[i];
		int64_t			 retires = k->retires;

		if (i == 0)
			retires = now + keep;
		if (retires <= now || strcmp(k->jk.kid, newkid) == 0)
			continue;
		if (key_add(r, k->jk.kid, k->jk.key, k->jk.len, k->created,
		    retires, k->jk.legacy) == -1)
			break;
	}
	if (ring_write(conf, r, err, errlen) == -1)
		goto done;
	if (from_secret) {
		/* Its key now lives in the key ring only. */
		secret = xasprintf("%s/secret.key", conf->state_dir);
		if (unlink(secret) == -1 && errno != ENOENT)
			log_warn("cannot remove %s", secret);
		free(secret);
	}
	rc = 0;
done:
	keyring_free(old);
	keyring_free(r);
	if (lfd != -1)
		close(lfd);
	free(lock);
	return rc;
}
