/*
 * The signing keys of access tokens (SPEC §10, key rotation).
 *
 * Where the keys come from, in this order:
 *   SECRET_KEY        one fixed key, given by the operator (kid "env")
 *   SECRET_KEY_FILE   one fixed key, given by the operator (kid "file")
 *   <state>/keyring   the key ring written by `authctl key rotate`
 *   <state>/secret.key  the key generated at the first start (its kid is
 *                     derived from it), until the first rotation moves
 *                     it into the key ring
 * A fixed key is never rotated by authctl (the operator owns it).
 * The key that verified tokens before tokens carried a kid (the fixed
 * key, or secret.key) is the "legacy" key: it also takes tokens without
 * a kid, until it is retired.
 *
 * The key ring file: comment lines (#) and one line per key,
 *   <kid> <created> <retires> <legacy 0|1> <key, base64url>
 * times in unix seconds; retires 0 marks the one signing key; a key
 * whose retires has passed verifies nothing.  It is replaced atomically
 * (write, fsync, rename) under the lock file <state>/keyring.lock.
 *
 * Workers notice a new key ring without a restart: keyring_current()
 * looks at the file (one stat(2)) at most once a second.
 */
#ifndef AUTHD_KEYRING_H
#define AUTHD_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

struct config;
struct json_object;

#define KEYRING_MAX		8	/* keys kept: the signer and retiring ones */
#define KEYRING_PICKUP_S	2	/* slack for workers still signing with the old key */

enum key_source {
	KEY_GENERATED,		/* <state>/secret.key, no key ring yet */
	KEY_RING,		/* <state>/keyring */
	KEY_ENV,		/* SECRET_KEY */
	KEY_FILE		/* SECRET_KEY_FILE */
};

struct keyring_key {
	struct jwt_key	 jk;		/* kid, key bytes (owned), legacy */
	int64_t		 created;
	int64_t		 retires;	/* 0: the signer */
};

struct keyring {
	enum key_source	 source;
	struct keyring_key k[KEYRING_MAX];	/* k[0] is the signer */
	size_t		 n;
	/* What the key ring file was when read, to notice a new one. */
	int64_t		 checked;	/* second of the last look */
	uint64_t	 ino, size;
	int64_t		 mtime_ns;
	int		 present;
};

/*
 * Builds conf->keyring from conf->secret and conf->key_source (set by
 * the configuration) or from the key ring file.  0, or -1 with a
 * message naming the file in err.  Part of config_load().
 */
int	 keyring_load(struct config *conf, char *err, size_t errlen);
void	 keyring_free(struct keyring *);

/* The path of the key ring file in conf's state directory (allocated). */
char	*keyring_path(const struct config *conf);

/*
 * The key ring of conf to use at now: the loaded one, its keys replaced
 * in place by the file's when that changed (looked at once a second at
 * most; a file that does not parse is logged and ignored).  Never NULL
 * after keyring_load(); NULL for a configuration loaded without keys.
 */
const struct keyring *keyring_current(const struct config *conf,
	    int64_t now);

/* Signs c with the signing key (kid in the header).  Allocated token or NULL. */
char	*keyring_sign(const struct config *conf, const struct jwt_claims *c,
	    int64_t now);

/* jwt_verify_keys() with the keys not retired at now. */
int	 keyring_verify(const struct config *conf, const char *tok, size_t len,
	    int64_t now, struct jwt_claims *c, struct json_object **payload);

/*
 * Rotation (authctl key rotate): a new signing key; the previous signer
 * verifies until now + keep seconds (0: dropped at once), keys already
 * retired are removed.  The first rotation moves secret.key into the
 * key ring and removes that file.  Writes the new kid and the previous
 * one ("" when none) and returns 0; -1 with err (a fixed key, I/O).
 */
int	 keyring_rotate(const struct config *conf, int64_t now, int64_t keep,
	    char newkid[JWT_KID_MAX + 1], char oldkid[JWT_KID_MAX + 1],
	    char *err, size_t errlen);

/* The key id derived from key bytes: 16 hex digits of their SHA-256. */
void	 keyring_kid(const unsigned char *key, size_t len,
	    char kid[JWT_KID_MAX + 1]);

#endif
