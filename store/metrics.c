/*
 * The one database read of a /metrics scrape: accounts by state.
 */
#include "store_int.h"

enum {
	Q_USER_STATES,
	Q__MAX
};

static const char *const sql[Q__MAX] = {
	/* Q_USER_STATES: one pass over users, four counts */
	"SELECT "
	"coalesce(sum(deleted_at IS NULL AND is_active = 1 AND "
	"email_verified = 1), 0), "
	"coalesce(sum(deleted_at IS NULL AND is_active = 1 AND "
	"email_verified = 0), 0), "
	"coalesce(sum(deleted_at IS NULL AND is_active = 0), 0), "
	"coalesce(sum(deleted_at IS NOT NULL), 0) FROM users",
};

int
store_user_states(struct store *st, int64_t counts[4])
{
	sqlite3_stmt	*s;
	int		 rc, i;

	if ((s = stmt_get(st, MOD_METRICS, sql, Q__MAX, Q_USER_STATES)) == NULL)
		return STORE_EDB;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		for (i = 0; i < 4; i++)
			counts[i] = sqlite3_column_int64(s, i);
	stmt_done(s);
	if (rc != SQLITE_ROW)
		return store_err(st, rc, "user states");
	return 1;
}
