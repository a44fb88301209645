/*
 * Small building blocks shared by every part of authd: allocation,
 * randomness, encodings, hashing, UUIDs and time.
 *
 * Out-of-memory policy (the whole program): the x*() allocators never
 * return NULL; on exhaustion they log and abort().  In a worker that
 * ends the process and the master respawns it, which is the only safe
 * answer on a small machine with no swap.
 */
#ifndef AUTHD_UTIL_H
#define AUTHD_UTIL_H

#include <stddef.h>
#include <stdint.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Cryptographically strong random bytes (OpenSSL RAND_bytes); aborts on failure. */
void	 rand_bytes(void *, size_t);

/* base64url without padding.  encode: returns an allocated string. */
char	*b64url_encode(const void *, size_t);
/*
 * decode: returns 0 and an allocated buffer (NUL-terminated, length in
 * *outlen) or -1 on any character outside the alphabet or a bad length.
 */
int	 b64url_decode(const char *, size_t, unsigned char **, size_t *);

void	 sha256(const void *, size_t, unsigned char[32]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void	 hex_encode(const unsigned char *, size_t, char *);

/* A lower-case UUID v4 into out (37 bytes). */
void	 uuid_v4(char out[37]);

/*
 * A new opaque token: 32 random bytes as base64url (43 characters),
 * returned allocated; its SHA-256 (of the string) is written to hash.
 */
char	*token_new(unsigned char hash[32]);
/* Length of a token_new() string. */
#define TOKEN_LEN	43
/* 1 when s could be a token_new() string: TOKEN_LEN base64url characters. */
int	 token_shaped(const char *s, size_t n);
/* SHA-256 of a presented token string. */
void	 token_hash(const char *, unsigned char hash[32]);

/* Constant-time comparison of two byte strings; 1 when equal. */
int	 ct_eq(const void *, size_t, const void *, size_t);

/*
 * The key a client address is counted under by the per-address limits:
 * an IPv6 address by its /64 prefix ("2001:db8:1:2::/64"), since one
 * client commonly holds the whole /64; an IPv4-mapped IPv6 address as
 * its IPv4 address; anything else (IPv4, unparsable) as it is.  Writes
 * at most outlen bytes (64 is always enough for an address) into out.
 */
void	 ip_key(const char *ip, char *out, size_t outlen);

/* Seconds since the epoch. */
int64_t	 now_s(void);
/* Monotonic milliseconds. */
int64_t	 mono_ms(void);
/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void	 rfc3339(int64_t, char out[21]);
/* Parses RFC 3339 (Z or +hh:mm offset, optional fraction); 0 ok, -1 bad. */
int	 rfc3339_parse(const char *, int64_t *);

/* Wipes and frees a NUL-terminated secret; NULL-safe. */
void	 free_secret(char *);

#endif
