/*
 * The one database read of a /metrics scrape: accounts by state.
 */
#include "store_int.h"

enum {
	Q_USER_STATES,
	Q__MAX
};

/* A count of the users in a state, as an integer on both backends. */
#define COUNT_IF(cond) "coalesce(sum(CASE WHEN " cond " THEN 1 ELSE 0 END), 0)"

static const struct sqlq sql[Q__MAX] = {
	/* Q_USER_STATES: one pass over users, four counts */
	{ "SELECT "
	  COUNT_IF("deleted_at IS NULL AND is_active = 1 AND email_verified = 1")
	  ", "
	  COUNT_IF("deleted_at IS NULL AND is_active = 1 AND email_verified = 0")
	  ", "
	  COUNT_IF("deleted_at IS NULL AND is_active = 0") ", "
	  COUNT_IF("deleted_at IS NOT NULL") " FROM users", NULL },
};

int
store_user_states(struct store *st, int64_t counts[4])
{
	struct drv_stmt	*s;
	int		 rc, i;

	if ((s = stmt_get(st, MOD_METRICS, sql, Q__MAX, Q_USER_STATES)) == NULL)
		return STORE_EDB;
	if ((rc = drv_step(s)) == DRV_ROW)
		for (i = 0; i < 4; i++)
			counts[i] = drv_col_int64(s, i);
	drv_reset(s);
	if (rc != DRV_ROW)
		return rc < 0 ? rc : STORE_EDB;
	return 1;
}
