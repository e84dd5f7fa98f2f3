/*
 * test_web_auth.c - gateway/web_auth.c: logins by the console password and
 * the API token, the session cookie and its attributes, CSRF tokens, the
 * bearer token, sliding idle expiry (in simulated time, serve_clock_set),
 * logout, a login replacing the session it came with, the table's bound,
 * the brake on guessing per client address, and log lines that never hold
 * a secret or a session id.
 * Requests are http_request structs built here; their headers and cookies
 * come from tests/web_request_fake.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "serve.h"
#include "web_auth.h"
#include "web_request_fake.h"

#define PASSWORD "right horse battery"
#define TOKEN "api-token-0123456789"
#define IDLE 1800

static int64_t fake_now = 1700000000;
static int64_t clock_s(void *ctx) { (void)ctx; return fake_now; }
static int64_t clock_ms(void *ctx) { (void)ctx; return fake_now * 1000; }

static kz_config cfg;

static void env_init(http_env *env)
{
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.http_console_password, sizeof cfg.http_console_password, "%s", PASSWORD);
    snprintf(cfg.http_api_token, sizeof cfg.http_api_token, "%s", TOKEN);
    cfg.http_session_idle_s = IDLE;
    memset(env, 0, sizeof *env);
    env->cfg = &cfg;
    env->sessions = http_sessions_new();
}

/* A request from peer carrying a cookie header and an Authorization header (either NULL). */
static http_request request(web_fake_conn *fc, const char *method, const char *peer,
                            const char *cookie_header, const char *auth)
{
    memset(fc, 0, sizeof *fc);
    fc->cookie = cookie_header;
    fc->authorization = auth;
    http_request r = {.method = method, .path = "/", .peer = peer, .conn = fc};
    return r;
}

/* The session id out of a Set-Cookie value "kazi_session=ID; ...", into id[65]; 0 if none. */
static int cookie_id(const http_response *resp, char id[65])
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcmp(resp->header_name[i], "Set-Cookie") != 0)
            continue;
        const char *v = resp->header_value[i];
        if (strncmp(v, "kazi_session=", 13) != 0 || strlen(v) < 13 + 64)
            return 0;
        memcpy(id, v + 13, 64);
        id[64] = '\0';
        return 1;
    }
    return 0;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Log in from peer with secret; the new session's id into id. The status. */
static kz_status login(http_env *env, const char *peer, const char *secret, const char *old_cookie,
                       char id[65])
{
    web_fake_conn fc;
    http_request r = request(&fc, "POST", peer, old_cookie, NULL);
    http_response resp = {0};
    kz_status st = web_auth_login(env, &r, secret, &resp);
    id[0] = '\0';
    if (st == KZ_OK)
        KT_CHECK(cookie_id(&resp, id), "login ok from %s sets the cookie", peer);
    else
        KT_CHECK(resp.nheaders == 0, "a refused login sets no header (status %d)", (int)st);
    http_response_clear(&resp);
    return st;
}

/* Is the session id allowed in? Its CSRF token into csrf. */
static bool check_id(http_env *env, const char *id, char csrf[WEB_CSRF_CAP])
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "theme=dark; kazi_session=%s; lang=en", id);
    web_fake_conn fc;
    http_request r = request(&fc, "GET", "10.0.0.2", hdr, NULL);
    return web_auth_check(env, &r, csrf);
}

static bool csrf_ok(http_env *env, const char *id, const char *given)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "kazi_session=%s", id);
    web_fake_conn fc;
    http_request r = request(&fc, "POST", "10.0.0.2", hdr, NULL);
    return web_auth_csrf_ok(env, &r, given);
}

static void test_cookie_and_csrf(http_env *env)
{
    web_fake_conn fc;
    http_request r = request(&fc, "POST", "10.0.0.2", NULL, NULL);
    http_response resp = {0};
    KT_CHECK(web_auth_login(env, &r, PASSWORD, &resp) == KZ_OK, "login with the password");
    KT_CHECK(resp.nheaders == 1 && strcmp(resp.header_name[0], "Set-Cookie") == 0,
             "one Set-Cookie header, got %zu", resp.nheaders);
    const char *v = resp.nheaders ? resp.header_value[0] : "";
    KT_CHECK(strncmp(v, "kazi_session=", 13) == 0, "cookie name: %s", v);
    KT_CHECK(strlen(v) > 13 + 64 && v[13 + 64] == ';', "64 hex digits then ';'");
    KT_CHECK(strstr(v, "; HttpOnly") != NULL, "HttpOnly");
    KT_CHECK(strstr(v, "; SameSite=Strict") != NULL, "SameSite=Strict");
    KT_CHECK(strstr(v, "; Path=/") != NULL, "Path=/");
    KT_CHECK(strstr(v, "Secure") == NULL, "no Secure on plain HTTP");
    char id[65] = "";
    KT_CHECK(cookie_id(&resp, id) && is_hex64(id), "the id is 64 lowercase hex digits: %s", id);
    http_response_clear(&resp);

    char csrf[WEB_CSRF_CAP] = "x";
    KT_CHECK(check_id(env, id, csrf), "the new cookie lets the request in");
    KT_CHECK(is_hex64(csrf), "its CSRF token is 64 hex digits: %s", csrf);
    KT_CHECK(strcmp(csrf, id) != 0, "the CSRF token is not the session id");
    KT_CHECK(web_auth_check(env, &r, NULL) == false, "no cookie: refused (csrf NULL allowed)");

    char id2[65], csrf2[WEB_CSRF_CAP];
    KT_CHECK(login(env, "10.0.0.3", TOKEN, NULL, id2) == KZ_OK, "the API token is a login too");
    KT_CHECK(check_id(env, id2, csrf2), "second login in");
    KT_CHECK(strcmp(id, id2) != 0 && strcmp(csrf, csrf2) != 0, "two logins, two ids and tokens");

    KT_CHECK(csrf_ok(env, id, csrf), "its own CSRF token is accepted");
    KT_CHECK(!csrf_ok(env, id, csrf2), "another session's CSRF token is refused");
    KT_CHECK(!csrf_ok(env, id, ""), "an empty CSRF token is refused");
    KT_CHECK(!csrf_ok(env, id, NULL), "a missing CSRF token is refused");
    char wrong[WEB_CSRF_CAP];
    memcpy(wrong, csrf, sizeof wrong);
    wrong[63] = wrong[63] == '0' ? '1' : '0';
    KT_CHECK(!csrf_ok(env, id, wrong), "a CSRF token one digit off is refused");
    wrong[63] = '\0';
    KT_CHECK(!csrf_ok(env, id, wrong), "a CSRF token one digit short is refused");
    KT_CHECK(!csrf_ok(env, id, id), "the session id is not a CSRF token");

    char bad[65];
    memcpy(bad, id, sizeof bad);
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    KT_CHECK(!check_id(env, bad, NULL), "a cookie one digit off is refused");
    for (size_t i = 0; i < 64; i++)
        bad[i] = (char)toupper((unsigned char)id[i]);
    KT_CHECK(strcmp(bad, id) == 0 || !check_id(env, bad, NULL), "an upper-case cookie is refused");
    char longer[80];
    snprintf(longer, sizeof longer, "%s0", id);
    KT_CHECK(!check_id(env, longer, NULL), "a cookie with a digit added is refused");
    KT_CHECK(!check_id(env, "", NULL), "an empty cookie is refused");
    KT_CHECK(!check_id(env, "' OR 1=1 --", NULL), "a cookie of SQL is refused");
}

static void test_bearer(http_env *env)
{
    web_fake_conn fc;
    char csrf[WEB_CSRF_CAP] = "x";
    http_request r = request(&fc, "GET", "10.0.0.4", NULL, "Bearer " TOKEN);
    KT_CHECK(web_auth_check(env, &r, csrf), "the bearer token lets the request in");
    KT_STREQ(csrf, "", "no CSRF token with the bearer token");
    KT_CHECK(web_auth_csrf_ok(env, &r, NULL), "the bearer token needs no CSRF token");
    r = request(&fc, "GET", "10.0.0.4", NULL, "bearer " TOKEN);
    KT_CHECK(web_auth_check(env, &r, NULL), "the scheme's case does not matter");
    r = request(&fc, "GET", "10.0.0.4", NULL, "Bearer " TOKEN "x");
    KT_CHECK(!web_auth_check(env, &r, NULL), "a longer token is refused");
    r = request(&fc, "GET", "10.0.0.4", NULL, "Bearer api-token-012345678");
    KT_CHECK(!web_auth_check(env, &r, NULL), "a shorter token is refused");
    KT_CHECK(!web_auth_csrf_ok(env, &r, "whatever"), "a wrong bearer token passes no CSRF check");
    r = request(&fc, "GET", "10.0.0.4", NULL, "Bearer " PASSWORD);
    KT_CHECK(!web_auth_check(env, &r, NULL), "the console password is no bearer token");
    r = request(&fc, "GET", "10.0.0.4", NULL, "Basic YWRtaW46YWRtaW4=");
    KT_CHECK(!web_auth_check(env, &r, NULL), "Basic authentication is refused");
    r = request(&fc, "GET", "10.0.0.4", NULL, "Bearer ");
    KT_CHECK(!web_auth_check(env, &r, NULL), "an empty bearer token is refused");

    char id[65], hdr[100];
    KT_CHECK(login(env, "10.0.0.4", PASSWORD, NULL, id) == KZ_OK, "login");
    snprintf(hdr, sizeof hdr, "kazi_session=%s", id);
    r = request(&fc, "GET", "10.0.0.4", hdr, "Bearer wrong");
    KT_CHECK(!web_auth_check(env, &r, NULL), "a wrong bearer token is refused, cookie or not");

    char saved[sizeof cfg.http_api_token];
    memcpy(saved, cfg.http_api_token, sizeof saved);
    cfg.http_api_token[0] = '\0';
    r = request(&fc, "GET", "10.0.0.4", NULL, "Bearer ");
    KT_CHECK(!web_auth_check(env, &r, NULL), "no api_token configured: no bearer login");
    KT_CHECK(login(env, "10.0.0.5", "", NULL, id) == KZ_ERR_STATE,
             "no api_token configured: an empty secret is no login");
    memcpy(cfg.http_api_token, saved, sizeof saved);
}

static void test_expiry(http_env *env)
{
    char id[65], csrf[WEB_CSRF_CAP];
    KT_CHECK(login(env, "10.0.0.6", PASSWORD, NULL, id) == KZ_OK, "login");
    fake_now += IDLE - 1;
    KT_CHECK(check_id(env, id, csrf), "used %d s after login: in", IDLE - 1);
    fake_now += IDLE - 1;
    KT_CHECK(check_id(env, id, csrf), "the idle clock restarted with each use");
    KT_CHECK(csrf_ok(env, id, csrf), "CSRF token good while the session lives");
    fake_now += IDLE + 1;
    KT_CHECK(!csrf_ok(env, id, csrf), "CSRF token refused once the session expired");
    KT_CHECK(!check_id(env, id, NULL), "idle %d s: logged out", IDLE + 1);
    fake_now -= IDLE + 1;
    KT_CHECK(!check_id(env, id, NULL), "an expired session stays gone");
    fake_now += IDLE + 1;
}

static void test_logout_and_replace(http_env *env)
{
    char id[65], id2[65], hdr[100];
    KT_CHECK(login(env, "10.0.0.7", PASSWORD, NULL, id) == KZ_OK, "login");
    snprintf(hdr, sizeof hdr, "kazi_session=%s", id);
    web_fake_conn fc;
    http_request r = request(&fc, "POST", "10.0.0.7", hdr, NULL);
    http_response resp = {0};
    web_auth_logout(env, &r, &resp);
    const char *cleared = resp.nheaders == 1 ? resp.header_value[0] : "";
    KT_CHECK(strncmp(cleared, "kazi_session=;", 14) == 0 && strstr(cleared, "Max-Age=0") != NULL,
             "logout clears the cookie: %s", cleared);
    http_response_clear(&resp);
    KT_CHECK(!check_id(env, id, NULL), "after logout the cookie is refused");
    r = request(&fc, "POST", "10.0.0.7", NULL, NULL);
    web_auth_logout(env, &r, &resp);
    KT_CHECK(resp.nheaders == 1, "logout without a session still clears the cookie");
    http_response_clear(&resp);

    KT_CHECK(login(env, "10.0.0.7", PASSWORD, NULL, id) == KZ_OK, "login");
    snprintf(hdr, sizeof hdr, "kazi_session=%s", id);
    KT_CHECK(login(env, "10.0.0.7", PASSWORD, hdr, id2) == KZ_OK, "login again with the cookie");
    KT_CHECK(!check_id(env, id, NULL), "the session a login came with is ended");
    KT_CHECK(check_id(env, id2, NULL), "the new one is in");
}

static void test_bound(http_env *env)
{
    char first[65], id[65];
    fake_now += 10;
    KT_CHECK(login(env, "10.0.1.1", PASSWORD, NULL, first) == KZ_OK, "first login");
    int okn = 0;
    for (int i = 0; i < 200; i++) {
        fake_now += 1;
        okn += login(env, "10.0.1.2", PASSWORD, NULL, id) == KZ_OK;
    }
    KT_CHECK(okn == 200, "200 logins, %d ok", okn);
    KT_CHECK(check_id(env, id, NULL), "the latest login is in");
    KT_CHECK(!check_id(env, first, NULL), "the table is bounded: the idlest login went first");
}

static void test_throttle(http_env *env)
{
    char id[65];
    fake_now += 2 * IDLE;
    for (int i = 0; i < 4; i++)
        KT_CHECK(login(env, "192.168.1.50", "guess", NULL, id) == KZ_ERR_STATE, "wrong %d", i);
    KT_CHECK(login(env, "192.168.1.50", PASSWORD, NULL, id) == KZ_OK,
             "four failures: the right password still works");
    for (int i = 0; i < 5; i++) {
        fake_now += 10;
        KT_CHECK(login(env, "192.168.1.50", "guess", NULL, id) == KZ_ERR_STATE,
                 "a right login forgot the failures; wrong %d", i);
    }
    fake_now += 10;
    KT_CHECK(login(env, "192.168.1.50", PASSWORD, NULL, id) == KZ_ERR_BUSY,
             "five failures: even the right password is refused");
    KT_CHECK(login(env, "192.168.1.50", "guess", NULL, id) == KZ_ERR_BUSY, "and a wrong one");
    KT_CHECK(login(env, "192.168.1.51", PASSWORD, NULL, id) == KZ_OK, "another address may log in");
    fake_now += 250; /* the first failure (50 s before) is now as old as the window */
    KT_CHECK(login(env, "192.168.1.50", "guess", NULL, id) == KZ_ERR_STATE,
             "one failure aged: one more guess is compared");
    KT_CHECK(login(env, "192.168.1.50", PASSWORD, NULL, id) == KZ_ERR_BUSY,
             "then the limit holds again");
    fake_now += 300;
    KT_CHECK(login(env, "192.168.1.50", PASSWORD, NULL, id) == KZ_OK, "all aged: login works");
    /* many addresses never grow the table; each keeps its own count */
    for (int i = 0; i < 300; i++) {
        char peer[32];
        snprintf(peer, sizeof peer, "10.9.%d.%d", i / 250, i % 250);
        login(env, peer, "guess", NULL, id);
    }
    KT_CHECK(login(env, "10.9.1.49", PASSWORD, NULL, id) == KZ_OK, "one failure: still in");
}

/* Log lines (stderr, caught in a file) name the address and the outcome,
 * never the password, a guess, the session id or the CSRF token. */
static void test_log_holds_no_secret(http_env *env)
{
    char path[] = "/tmp/kazi-test-web-auth-XXXXXX";
    int fd = mkstemp(path);
    KT_CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    log_setup("test_web_auth", LOG_LVL_DEBUG, false);
    char id[65], csrf[WEB_CSRF_CAP], hdr[100];
    fake_now += 1000;
    login(env, "172.16.0.9", "wrong-secret-guess", NULL, id);
    login(env, "172.16.0.9", PASSWORD, NULL, id);
    check_id(env, id, csrf);
    snprintf(hdr, sizeof hdr, "kazi_session=%s", id);
    web_fake_conn fc;
    http_request r = request(&fc, "POST", "172.16.0.9", hdr, NULL);
    http_response resp = {0};
    web_auth_logout(env, &r, &resp);
    http_response_clear(&resp);
    for (int i = 0; i < 6; i++)
        login(env, "172.16.0.9", "wrong-secret-guess", NULL, id);
    fflush(stderr);
    log_setup("test_web_auth", LOG_LVL_ERROR, false);
    dup2(saved, 2);
    close(saved);

    char text[8192] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    close(fd);
    unlink(path);
    KT_CHECK(strstr(text, "login ok from 172.16.0.9") != NULL, "login ok logged: %s", text);
    KT_CHECK(strstr(text, "login failed from 172.16.0.9") != NULL, "login failed logged");
    KT_CHECK(strstr(text, "login refused from 172.16.0.9") != NULL, "throttle logged");
    KT_CHECK(strstr(text, PASSWORD) == NULL, "the password is never logged");
    KT_CHECK(strstr(text, "wrong-secret-guess") == NULL, "a guess is never logged");
    KT_CHECK(strstr(text, hdr + 13) == NULL, "the session id is never logged");
    KT_CHECK(strstr(text, csrf) == NULL, "the CSRF token is never logged");
}

static void test_no_table(void)
{
    http_env env = {.cfg = &cfg, .sessions = NULL};
    web_fake_conn fc;
    http_request r = request(&fc, "GET", "10.0.0.2", NULL, "Bearer " TOKEN);
    KT_CHECK(!web_auth_check(&env, &r, NULL), "no session table: nothing gets in");
    http_response resp = {0};
    KT_CHECK(web_auth_login(&env, &r, PASSWORD, &resp) != KZ_OK, "no session table: no login");
    http_sessions_free(NULL);
}

int main(void)
{
    web_fake_install();
    log_setup("test_web_auth", LOG_LVL_ERROR, false); /* quiet but for the log test */
    serve_clock c = {.now_ms = clock_ms, .now_s = clock_s, .ctx = NULL};
    serve_clock_set(&c);
    http_env env;
    env_init(&env);
    KT_CHECK(env.sessions != NULL, "http_sessions_new");
    if (!env.sessions)
        return kt_report();
    test_cookie_and_csrf(&env);
    test_bearer(&env);
    test_expiry(&env);
    test_logout_and_replace(&env);
    test_bound(&env);
    test_throttle(&env);
    test_log_holds_no_secret(&env);
    test_no_table();
    http_sessions_free(env.sessions);
    serve_clock_set(NULL);
    return kt_report();
}
