/*
 * Endpoints and hooks not built yet.  Each moves to its own file when it
 * is written; this file shrinks to nothing.
 */
#include "handlers.h"

static int
todo(struct resp *out)
{
	return resp_detail(out, 501, "Not Implemented");
}

int handle_openapi_json(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_openapi_yaml(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_forgot_password(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_reset_password(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_verify_email(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_resend_verification(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_me_delete(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_me_password(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_sessions_list(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_session_delete(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_users_list(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_user_get(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_user_patch(struct req *r, struct resp *out) { (void)r; return todo(out); }
int handle_user_delete(struct req *r, struct resp *out) { (void)r; return todo(out); }
int throttle_register(struct req *r, struct resp *out) { (void)r; (void)out; return 0; }
int throttle_login_check(struct req *r, struct resp *out, const struct user *u) { (void)r; (void)out; (void)u; return 0; }
void throttle_login_failed(struct req *r, const struct user *u) { (void)r; (void)u; }
void throttle_login_ok(struct req *r, const struct user *u) { (void)r; (void)u; }
int captcha_check(struct resp *out, const char *id, const char *a) { (void)out; (void)id; (void)a; return 0; }
void verification_queue(struct req *r, const struct user *u) { (void)r; (void)u; }
int admin_bootstrap(void) { return 0; }
