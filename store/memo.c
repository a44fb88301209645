/*
 * The memo of the hottest reads: the token check's user and session
 * (user.c, store_user_by_id_session) and the browser session of a
 * cookie (browser.c, store_browser_find).  Every request of a signed-in
 * client reads the same row; an answer is reused for the same key and
 * second only while the database's mark is unchanged (drv_mark(): no
 * transaction of any process, authctl and the sqlite3 shell included,
 * committed since the read), so a logout, a password or role change or
 * a revocation made anywhere is seen by the very next request, as
 * without the memo.  SQLite only: PostgreSQL has no mark (other nodes
 * write), and every request reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "store_int.h"

#define MEMO_SLOTS	32

void
memo_free(struct store *st)
{
	size_t	i;

	if (st->memo == NULL)
		return;
	for (i = 0; i < MEMO_SLOTS; i++)
		user_free(st->memo[i].u);
	free(st->memo);
	st->memo = NULL;
}

static uint32_t
memo_hash(const unsigned char *key, size_t klen)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < klen; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

struct memo *
memo_get(struct store *st, const void *key, size_t klen, int64_t now,
    unsigned char mark[DRV_MARK_LEN], int *hit)
{
	struct memo	*m;

	*hit = 0;
	if (klen > MEMO_KEY_MAX || drv_mark(st->drv, mark) != 1)
		return NULL;
	if (st->memo == NULL)
		st->memo = xcalloc(MEMO_SLOTS, sizeof(*st->memo));
	m = &st->memo[memo_hash(key, klen) % MEMO_SLOTS];
	*hit = m->used && m->now == now && m->klen == klen &&
	    memcmp(m->key, key, klen) == 0 &&
	    memcmp(m->mark, mark, DRV_MARK_LEN) == 0;
	return m;
}

void
memo_put(struct memo *m, const void *key, size_t klen, int64_t now,
    const unsigned char mark[DRV_MARK_LEN], const struct user *u)
{
	user_free(m->u);
	m->u = u != NULL ? user_dup(u) : NULL;
	memcpy(m->mark, mark, DRV_MARK_LEN);
	memcpy(m->key, key, klen);
	m->klen = klen;
	m->now = now;
	m->used = 1;
}
