/*
 * web_auth.h - who may use the console and the JSON API: logins by the
 * console password or the API token ([http] console_password, api_token),
 * the session cookie they get, each session's CSRF token, and the brake on
 * guessing (failed logins per client address).
 * Owns: struct http_sessions (in memory, shared by the listeners, locked
 * inside), the cookie's name and attributes (secrets are compared with
 * http_secret_equal). Never logs or stores a password, a token or a session id; never
 * puts one in a page or an error.
 */
#ifndef KAZI_WEB_AUTH_H
#define KAZI_WEB_AUTH_H

#include <stdbool.h>

#include "http_server.h"
#include "status.h"

#define WEB_SESSION_COOKIE "kazi_session"
#define WEB_CSRF_CAP 65 /* 64 hex digits and a NUL */

/* An empty table of logins. NULL when out of memory. Free with http_sessions_free. */
struct http_sessions *http_sessions_new(void);
void http_sessions_free(struct http_sessions *s);

/*
 * Is req allowed in? Yes with "Authorization: Bearer TOKEN" equal to
 * [http] api_token (then csrf is "" and no CSRF check applies), or with the
 * session cookie of a login used within [http] session_idle (its idle clock
 * restarts; csrf receives that session's token). csrf may be NULL.
 */
bool web_auth_check(http_env *env, const http_request *req, char csrf[WEB_CSRF_CAP]);

/*
 * A login attempt with secret (the form's password field): right when it
 * equals console_password or api_token (neither empty). KZ_OK: a new session
 * exists and resp carries its Set-Cookie (HttpOnly, SameSite=Strict,
 * Path=/). KZ_ERR_STATE: wrong secret. KZ_ERR_BUSY: too many failures from
 * req->peer lately; refused without comparing. KZ_ERR_NOMEM.
 */
kz_status web_auth_login(http_env *env, const http_request *req, const char *secret,
                         http_response *resp);

/* End req's session (if any) and add a Set-Cookie that clears the cookie. */
void web_auth_logout(http_env *env, const http_request *req, http_response *resp);

/*
 * For a state-changing request (POST): true when it came with the bearer
 * token, or when given equals the CSRF token of req's session.
 */
bool web_auth_csrf_ok(http_env *env, const http_request *req, const char *given);

#endif
