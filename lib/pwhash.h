/*
 * Password hashing: argon2id PHC strings made with libargon2, and
 * verification of argon2id/argon2i, bcrypt ($2a$, $2b$, $2y$ through
 * libcrypt) and werkzeug (pbkdf2:sha256:ITER and scrypt:N:r:p through
 * OpenSSL) hashes.  Parameters of a stored hash are parsed and refused
 * above the ceilings, so a crafted hash cannot make a worker allocate
 * unbounded memory: argon2 and scrypt memory at most
 * ARGON2_MAX_M_COST_KIB.
 *
 * Memory bound: a worker is a single-threaded process serving one
 * request at a time, so it runs at most one hash or verification at a
 * time (libargon2 may use up to p threads inside that one computation,
 * all sharing its m KiB).  The peak for hashing is therefore
 * AUTH_WORKERS x ARGON2_M_COST_KIB, and a stored hash can never make it
 * more than AUTH_WORKERS x ARGON2_MAX_M_COST_KIB.  config.c refuses
 * parameters above their ceilings at start.
 */
#ifndef AUTHD_PWHASH_H
#define AUTHD_PWHASH_H

#include <stddef.h>
#include <stdint.h>

struct pwhash_params {
	uint32_t	t_cost;		/* iterations */
	uint32_t	m_cost;		/* KiB */
	uint32_t	parallelism;
	uint32_t	max_m_cost;	/* ceiling for verification, KiB */
	uint32_t	max_t_cost;	/* ceiling for verification */
};

/* Returns an allocated PHC string, or NULL on failure (logged). */
char	*pwhash_hash(const struct pwhash_params *, const char *pw, size_t len);

/*
 * Verifies pw against a stored hash.  Returns 1 match, 0 no match, -1 the
 * stored hash is unusable (unknown scheme, malformed, over the ceiling).
 * *rehash is set to 1 when the hash matched but is not argon2id with the
 * current parameters (bcrypt and werkzeug imports, older parameters).
 */
int	 pwhash_verify(const struct pwhash_params *, const char *hash,
	    const char *pw, size_t len, int *rehash);

/*
 * 1 when pwhash_verify() can work on a stored hash (known scheme,
 * well-formed, within the ceilings), else 0.  Hashes nothing: for
 * checking imported hashes before they are stored.
 */
int	 pwhash_usable(const struct pwhash_params *, const char *hash);

/*
 * Parses an argon2 PHC string's variant and parameters.
 * Returns 0 and fills the out values, -1 when malformed.
 */
int	 pwhash_parse_argon2(const char *hash, int *variant, uint32_t *m,
	    uint32_t *t, uint32_t *p);

/* The marker stored for deleted accounts: never matches anything. */
#define PWHASH_UNUSABLE "!deleted"

#endif
