/*
 * web_auth.c - console and API logins: the in-memory session table (ids and
 * CSRF tokens from getrandom, sliding idle expiry, the least recently used
 * login dropped when the table is full), the bearer token, the session
 * cookie, and the brake on password guessing (failed logins per client
 * address within a window).
 * Owns: struct http_sessions and its lock, and the constant-time comparison
 * of secrets. Never logs, stores on disk or echoes a password, a token or a
 * session id: log lines name the client's address and the outcome only.
 * A request with an Authorization header is judged by it alone: a wrong
 * bearer token is refused even beside a good session cookie.
 * Times come from serve_now(), so tests may replace the clock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "log.h"
#include "serve.h"
#include "web_auth.h"

#define SESSIONS_MAX 64        /* logins held at once; the idlest goes first */
#define PEERS_MAX 64           /* client addresses whose failures are remembered */
#define FAIL_LIMIT 5           /* failed logins from one address ... */
#define FAIL_WINDOW_S 300      /* ... within this many seconds, then refused until one ages */
#define PEER_CAP 64            /* an address as text ("::ffff:192.168.1.10") */
#define SECRET_BYTES 32        /* random bytes of a session id and of a CSRF token */
#define HEX_LEN (SECRET_BYTES * 2)

typedef struct web_session {
    bool used;
    char id[HEX_LEN + 1];
    char csrf[HEX_LEN + 1];
    int64_t last_used; /* Unix seconds of the last request with this login */
} web_session;

typedef struct peer_failures {
    char peer[PEER_CAP];
    int64_t at[FAIL_LIMIT]; /* times of the latest failures, a ring */
    size_t n;               /* failures stored (at most FAIL_LIMIT) */
    size_t next;            /* ring index of the next one */
    int64_t last;           /* the latest failure: 0 for a free slot */
} peer_failures;

struct http_sessions {
    pthread_mutex_t lock;
    web_session s[SESSIONS_MAX];
    peer_failures peers[PEERS_MAX];
};

struct http_sessions *http_sessions_new(void)
{
    struct http_sessions *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void http_sessions_free(struct http_sessions *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    explicit_bzero(t->s, sizeof t->s);
    free(t);
}

/* SECRET_BYTES from getrandom as lowercase hex into out[HEX_LEN + 1]. */
static kz_status random_hex(char out[HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t raw[SECRET_BYTES];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("http: getrandom failed: %s", strerror(errno));
            return KZ_ERR_IO;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[HEX_LEN] = '\0';
    explicit_bzero(raw, sizeof raw);
    return KZ_OK;
}

/* A cookie value that may be a session id: exactly HEX_LEN lowercase hex digits. */
static bool looks_like_id(const char *v)
{
    size_t i = 0;
    for (; v[i]; i++) {
        if (i >= HEX_LEN)
            return false;
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return false;
    }
    return i == HEX_LEN;
}

static void session_drop(web_session *s)
{
    explicit_bzero(s, sizeof *s);
}

/* Idle too long, or last used over a minute in the future (the clock went
 * back: the idle clock cannot be trusted, so the login ends). */
static bool session_expired(const web_session *s, int64_t now, int idle_s)
{
    return now - s->last_used > (int64_t)idle_s || now < s->last_used - 60;
}

/* The live session whose id is the cookie's, or NULL (expired ones are dropped).
 * Every slot is compared, whatever matches, so timing says nothing. Lock held. */
static web_session *session_find(struct http_sessions *t, const char *cookie, int64_t now,
                                 int idle_s)
{
    web_session *found = NULL;
    for (size_t i = 0; i < SESSIONS_MAX; i++) {
        web_session *s = &t->s[i];
        if (!s->used)
            continue;
        if (session_expired(s, now, idle_s)) {
            session_drop(s);
            continue;
        }
        if (http_secret_equal(cookie, s->id))
            found = s;
    }
    return found;
}

/* A free slot: an unused one, else the least recently used login (dropped). Lock held. */
static web_session *session_slot(struct http_sessions *t)
{
    web_session *idlest = &t->s[0];
    for (size_t i = 0; i < SESSIONS_MAX; i++) {
        if (!t->s[i].used)
            return &t->s[i];
        if (t->s[i].last_used < idlest->last_used)
            idlest = &t->s[i];
    }
    log_info("http: %d console logins at once: the one idle longest is logged out",
             SESSIONS_MAX);
    session_drop(idlest);
    return idlest;
}

/* The cookie of req if it may be a session id, else NULL. */
static const char *session_cookie(const http_request *req)
{
    const char *v = http_request_cookie(req, WEB_SESSION_COOKIE);
    return v && looks_like_id(v) ? v : NULL;
}

/* 1: req carries "Authorization: Bearer T" with T the api_token; 0: no such
 * header; -1: the header is there but wrong (refused, no fallback to a cookie). */
static int bearer_state(const http_env *env, const http_request *req)
{
    const char *h = http_request_header(req, "Authorization");
    if (!h)
        return 0;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return -1;
    const char *given = h + 7;
    while (*given == ' ')
        given++;
    if (!env->cfg->http_api_token[0] || !*given)
        return -1;
    return http_secret_equal(given, env->cfg->http_api_token) ? 1 : -1;
}

bool web_auth_check(http_env *env, const http_request *req, char csrf[WEB_CSRF_CAP])
{
    if (csrf)
        csrf[0] = '\0';
    if (!env || !env->sessions || !env->cfg || !req)
        return false;
    int b = bearer_state(env, req);
    if (b != 0)
        return b > 0;
    const char *cookie = session_cookie(req);
    if (!cookie)
        return false;
    struct http_sessions *t = env->sessions;
    int64_t now = serve_now();
    pthread_mutex_lock(&t->lock);
    web_session *s = session_find(t, cookie, now, env->cfg->http_session_idle_s);
    if (s) {
        s->last_used = now;
        if (csrf)
            memcpy(csrf, s->csrf, HEX_LEN + 1);
    }
    pthread_mutex_unlock(&t->lock);
    return s != NULL;
}

/* The failure record of peer, or NULL. Lock held. */
static peer_failures *peer_find(struct http_sessions *t, const char *peer)
{
    for (size_t i = 0; i < PEERS_MAX; i++)
        if (t->peers[i].last && strcmp(t->peers[i].peer, peer) == 0)
            return &t->peers[i];
    return NULL;
}

/* Failures of p within the window before now. */
static size_t peer_recent(const peer_failures *p, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (now - p->at[i] < FAIL_WINDOW_S && p->at[i] <= now)
            n++;
    return n;
}

/* Remember one failure from peer; the address whose latest failure is oldest
 * gives up its slot when all are taken. Lock held. */
static void peer_fail(struct http_sessions *t, const char *peer, int64_t now)
{
    peer_failures *p = peer_find(t, peer);
    if (!p) {
        p = &t->peers[0];
        for (size_t i = 0; i < PEERS_MAX && p->last; i++)
            if (!t->peers[i].last || t->peers[i].last < p->last)
                p = &t->peers[i];
        memset(p, 0, sizeof *p);
        snprintf(p->peer, sizeof p->peer, "%s", peer);
    }
    p->at[p->next] = now;
    p->next = (p->next + 1) % FAIL_LIMIT;
    if (p->n < FAIL_LIMIT)
        p->n++;
    p->last = now > 0 ? now : 1;
}

/* Is peer over the limit of failures? Lock held. */
static bool peer_throttled(struct http_sessions *t, const char *peer, int64_t now)
{
    peer_failures *p = peer_find(t, peer);
    return p && peer_recent(p, now) >= FAIL_LIMIT;
}

/* Forget peer's failures (after a right login). Lock held. */
static void peer_clear(struct http_sessions *t, const char *peer)
{
    peer_failures *p = peer_find(t, peer);
    if (p)
        memset(p, 0, sizeof *p);
}

/* A right secret: console_password or api_token, neither empty. Both are
 * compared whatever the first gives. */
static bool secret_right(const kz_config *cfg, const char *secret)
{
    bool pw = cfg->http_console_password[0] &&
              http_secret_equal(secret, cfg->http_console_password);
    bool tok = cfg->http_api_token[0] && http_secret_equal(secret, cfg->http_api_token);
    return pw || tok;
}

/* A new session in t: its id into id (for the cookie). Lock held. */
static kz_status session_create(struct http_sessions *t, int64_t now, char id[HEX_LEN + 1])
{
    web_session fresh = {.used = true, .last_used = now};
    kz_status st = random_hex(fresh.id);
    if (st == KZ_OK)
        st = random_hex(fresh.csrf);
    if (st != KZ_OK) {
        explicit_bzero(&fresh, sizeof fresh);
        return st;
    }
    web_session *s = session_slot(t);
    *s = fresh;
    memcpy(id, fresh.id, sizeof fresh.id);
    explicit_bzero(&fresh, sizeof fresh);
    return KZ_OK;
}

/* Drop the session whose id is cookie, if any. Lock held. */
static void session_end(struct http_sessions *t, const char *cookie, int64_t now, int idle_s)
{
    web_session *s = session_find(t, cookie, now, idle_s);
    if (s)
        session_drop(s);
}

kz_status web_auth_login(http_env *env, const http_request *req, const char *secret,
                         http_response *resp)
{
    if (!env || !env->sessions || !env->cfg || !req || !resp)
        return KZ_ERR_STATE;
    const char *peer = req->peer ? req->peer : "?";
    struct http_sessions *t = env->sessions;
    int64_t now = serve_now();
    pthread_mutex_lock(&t->lock);
    if (peer_throttled(t, peer, now)) {
        pthread_mutex_unlock(&t->lock);
        log_warn("http: login refused from %s: %d failures within %d s", peer, FAIL_LIMIT,
                 FAIL_WINDOW_S);
        return KZ_ERR_BUSY;
    }
    if (!secret || !secret_right(env->cfg, secret)) {
        peer_fail(t, peer, now);
        pthread_mutex_unlock(&t->lock);
        log_warn("http: login failed from %s", peer);
        return KZ_ERR_STATE;
    }
    peer_clear(t, peer);
    const char *old = session_cookie(req);
    if (old) /* a login replaces the session it came with (no fixation) */
        session_end(t, old, now, env->cfg->http_session_idle_s);
    char id[HEX_LEN + 1];
    kz_status st = session_create(t, now, id);
    pthread_mutex_unlock(&t->lock);
    if (st != KZ_OK)
        return st;
    char cookie[sizeof WEB_SESSION_COOKIE + HEX_LEN + 64];
    snprintf(cookie, sizeof cookie, "%s=%s; HttpOnly; SameSite=Strict; Path=/",
             WEB_SESSION_COOKIE, id);
    st = http_response_header(resp, "Set-Cookie", cookie);
    explicit_bzero(cookie, sizeof cookie);
    if (st != KZ_OK) {
        pthread_mutex_lock(&t->lock);
        session_end(t, id, now, env->cfg->http_session_idle_s);
        pthread_mutex_unlock(&t->lock);
        explicit_bzero(id, sizeof id);
        return st;
    }
    explicit_bzero(id, sizeof id);
    log_info("http: login ok from %s", peer);
    return KZ_OK;
}

void web_auth_logout(http_env *env, const http_request *req, http_response *resp)
{
    if (env && env->sessions && env->cfg && req) {
        const char *cookie = session_cookie(req);
        if (cookie) {
            pthread_mutex_lock(&env->sessions->lock);
            session_end(env->sessions, cookie, serve_now(), env->cfg->http_session_idle_s);
            pthread_mutex_unlock(&env->sessions->lock);
            log_info("http: logout from %s", req->peer ? req->peer : "?");
        }
    }
    if (resp)
        http_response_header(resp, "Set-Cookie",
                             WEB_SESSION_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

bool web_auth_csrf_ok(http_env *env, const http_request *req, const char *given)
{
    if (!env || !env->sessions || !env->cfg || !req)
        return false;
    int b = bearer_state(env, req);
    if (b != 0)
        return b > 0;
    const char *cookie = session_cookie(req);
    if (!cookie || !given || !given[0])
        return false;
    struct http_sessions *t = env->sessions;
    pthread_mutex_lock(&t->lock);
    web_session *s = session_find(t, cookie, serve_now(), env->cfg->http_session_idle_s);
    bool ok = s && http_secret_equal(given, s->csrf);
    pthread_mutex_unlock(&t->lock);
    return ok;
}
