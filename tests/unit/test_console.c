/*
 * test_console.c - gateway/console*.c called directly (console_handle) with
 * requests built by hand on a real SQLite file: the public stylesheet and
 * login page; without a session GET goes to /login and POST is refused;
 * a wrong and a right password; 404 and 405; a POST without the CSRF token
 * refused and changing nothing; an upload with errors listing each line and
 * importing nothing, then a good one redirected to its batch; hostile text
 * (batch name, requester, prompt, appeal reason, worker name) shown escaped
 * on every page; the results download's headers; an appeal decided through
 * the form; workers masked unless ?full=1; logout.
 * Headers, cookies and query strings come from tests/web_request_fake.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conv_world.h"
#include "engine.h"
#include "harness.h"
#include "web_auth.h"
#include "web_request_fake.h"

#define T0 INT64_C(1740985200)
#define AMINA "+254712000001"
#define PASSWORD "console password for the test"
#define EVIL "<script>alert(1)</script>\"'&"
#define EVIL_ESCAPED "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"

static char cookie[128];          /* "kazi_session=ID" once logged in */
static char csrf[WEB_CSRF_CAP];   /* the session's token, read from a page */
static int wakes;

static void count_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

/* One request: method, path (query after '?'), the session cookie when with_cookie, fields. */
static http_response call(http_env *env, const char *method, const char *path, int with_cookie,
                          const http_field *fields, size_t nfields)
{
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    char *q = strchr(p, '?');
    if (q)
        *q++ = '\0';
    web_fake_conn fc = {.cookie = with_cookie ? cookie : NULL, .query = q};
    http_request req = {.method = method, .path = p, .peer = "127.0.0.1",
                        .body = (const uint8_t *)"", .fields = fields, .nfields = nfields,
                        .conn = &fc};
    http_response resp;
    memset(&resp, 0, sizeof resp);
    console_handle(env, &req, &resp);
    return resp;
}

static http_field field(const char *name, const char *value)
{
    http_field f = {.name = name, .data = (const uint8_t *)value, .len = strlen(value)};
    return f;
}

static const char *header_of(const http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->header_name[i], name) == 0)
            return r->header_value[i];
    return NULL;
}

static int body_has(const http_response *r, const char *text)
{
    return r->body && strstr(r->body, text) != NULL;
}

/* A GET with the session that must answer 200 with HTML; the response (clear it). */
static http_response page(http_env *env, const char *path)
{
    http_response r = call(env, "GET", path, 1, NULL, 0);
    KT_CHECK(r.status == 200, "GET %s: status %d", path, r.status);
    KT_CHECK(strncmp(r.content_type, "text/html", 9) == 0, "GET %s: type %s", path,
             r.content_type);
    return r;
}

/* No page may carry markup that came from data: no script tag, no event handler. */
static void no_injection(const http_response *r, const char *label)
{
    KT_CHECK(!body_has(r, "<script"), "%s: a script tag in the page", label);
    KT_CHECK(!body_has(r, "<img"), "%s: an img tag in the page", label);
    KT_CHECK(!body_has(r, "\"'&"), "%s: raw quotes and ampersand from data", label);
}

static void test_public(http_env *env)
{
    http_response r = call(env, "GET", "/style.css", 0, NULL, 0);
    KT_CHECK(r.status == 200 && strncmp(r.content_type, "text/css", 8) == 0,
             "stylesheet: %d %s", r.status, r.content_type);
    KT_CHECK(body_has(&r, "system-ui"), "the stylesheet's body");
    http_response_clear(&r);

    r = call(env, "GET", "/login", 0, NULL, 0);
    KT_CHECK(r.status == 200 && body_has(&r, "id=\"password\" name=\"password\""), "login page");
    KT_CHECK(!body_has(&r, "id=\"nav\""), "no navigation before login");
    http_response_clear(&r);

    const char *paths[] = {"/", "/batches", "/batches/shops", "/batches/shops/results.csv",
                           "/appeals", "/payouts", "/workers", "/nosuch"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        r = call(env, "GET", paths[i], 0, NULL, 0);
        const char *loc = header_of(&r, "Location");
        KT_CHECK(r.status == 303 && loc && strcmp(loc, "/login") == 0,
                 "GET %s without login: %d %s", paths[i], r.status, loc ? loc : "-");
        http_response_clear(&r);
    }
    http_field f[] = {field("decision", "overturn"), field("note", "x")};
    r = call(env, "POST", "/appeals/1", 0, f, 2);
    KT_CHECK(r.status == 403, "POST without login: %d", r.status);
    http_response_clear(&r);
}

static void test_login(http_env *env)
{
    http_field wrong = field("password", "not it");
    http_response r = call(env, "POST", "/login", 0, &wrong, 1);
    KT_CHECK(r.status == 401 && body_has(&r, "id=\"errors\""), "wrong password: %d", r.status);
    KT_CHECK(!body_has(&r, "not it"), "the wrong password is not echoed");
    KT_CHECK(header_of(&r, "Set-Cookie") == NULL, "no cookie for a wrong password");
    http_response_clear(&r);

    http_field right = field("password", PASSWORD);
    r = call(env, "POST", "/login", 0, &right, 1);
    const char *set = header_of(&r, "Set-Cookie"), *loc = header_of(&r, "Location");
    KT_CHECK(r.status == 303 && loc && strcmp(loc, "/") == 0, "right password: %d", r.status);
    KT_CHECK(set && strncmp(set, WEB_SESSION_COOKIE "=", sizeof WEB_SESSION_COOKIE) == 0,
             "the session cookie is set");
    if (set) {
        size_t n = strcspn(set, ";");
        snprintf(cookie, sizeof cookie, "%.*s", (int)n, set);
    }
    http_response_clear(&r);

    r = call(env, "GET", "/login", 1, NULL, 0);
    KT_CHECK(r.status == 303, "the login page sends a logged-in operator on: %d", r.status);
    http_response_clear(&r);

    r = page(env, "/");
    const char *v = r.body ? strstr(r.body, "name=\"csrf\" value=\"") : NULL;
    KT_CHECK(v != NULL, "the dashboard carries the CSRF token");
    if (v)
        snprintf(csrf, sizeof csrf, "%.64s", v + strlen("name=\"csrf\" value=\""));
    KT_CHECK(strlen(csrf) == 64, "token length %zu", strlen(csrf));
    KT_CHECK(body_has(&r, "id=\"nav-dash\" href=\"/\" aria-current=\"page\""), "nav marks dash");
    KT_CHECK(body_has(&r, "href=\"/batches/shops\""), "the dashboard links the batch");
    http_response_clear(&r);
}

static void test_routes(http_env *env)
{
    http_response r = call(env, "GET", "/nosuch", 1, NULL, 0);
    KT_CHECK(r.status == 404, "unknown page: %d", r.status);
    http_response_clear(&r);
    r = call(env, "GET", "/batches/", 1, NULL, 0);
    KT_CHECK(r.status == 404, "empty batch name: %d", r.status);
    http_response_clear(&r);
    r = call(env, "GET", "/batches/nosuch", 1, NULL, 0);
    KT_CHECK(r.status == 404, "unknown batch: %d", r.status);
    http_response_clear(&r);
    r = call(env, "PUT", "/batches", 1, NULL, 0);
    const char *allow = header_of(&r, "Allow");
    KT_CHECK(r.status == 405 && allow && strcmp(allow, "GET, POST") == 0, "PUT /batches: %d",
             r.status);
    http_response_clear(&r);
    r = call(env, "GET", "/appeals/1", 1, NULL, 0);
    KT_CHECK(r.status == 405, "GET /appeals/1: %d", r.status);
    http_response_clear(&r);
    http_field f = field("csrf", csrf);
    r = call(env, "POST", "/appeals/abc", 1, &f, 1);
    KT_CHECK(r.status == 404, "POST /appeals/abc: %d", r.status);
    http_response_clear(&r);
}

static const char bad_csv[] = "id,type,prompt,options\n"
                              "r1,verify,Is the road open?,Yes|No\n"
                              "r2,bogus,Is the bridge open?,Yes|No\n"
                              "r3,choice,Is the stage busy?,\n";
static const char evil_csv[] = "id,type,prompt,options\n"
                               "e1,verify,\"" "<img src=x onerror=alert(1)>" "\",Yes|No\n";

/* POST /batches with the CSV as the file field, and the batch and requester fields. */
static http_response upload(http_env *env, const char *token, const char *csv, const char *batch,
                            const char *requester)
{
    http_field f[5];
    size_t n = 0;
    if (token)
        f[n++] = field("csrf", token);
    f[n] = field("file", csv);
    f[n++].filename = "tasks.csv";
    f[n++] = field("batch", batch);
    f[n++] = field("requester", requester);
    f[n++] = field("reward", "");
    return call(env, "POST", "/batches", 1, f, n);
}

static void test_upload(http_env *env, world *w)
{
    http_response r = upload(env, NULL, evil_csv, "nocsrf", "Acme");
    KT_CHECK(r.status == 403, "upload without the CSRF token: %d", r.status);
    http_response_clear(&r);
    r = upload(env, "0123", evil_csv, "nocsrf", "Acme");
    KT_CHECK(r.status == 403, "upload with a wrong token: %d", r.status);
    http_response_clear(&r);
    KT_CHECK(world_int(w, "SELECT count(*) FROM batches WHERE name = 'nocsrf'") == 0,
             "a refused POST made a batch");

    r = upload(env, csrf, bad_csv, "roads", EVIL);
    KT_CHECK(r.status == 400, "upload with errors: %d", r.status);
    KT_CHECK(body_has(&r, "<li>line 3, column 2 (type): "), "line 3's error listed");
    KT_CHECK(body_has(&r, "<li>line 4, column 4 (options): "), "line 4's error listed");
    KT_CHECK(body_has(&r, "value=\"" EVIL_ESCAPED "\""), "the requester field refilled, escaped");
    no_injection(&r, "refused upload");
    http_response_clear(&r);
    KT_CHECK(world_int(w, "SELECT count(*) FROM batches WHERE name = 'roads'") == 0,
             "a refused upload made a batch");

    r = upload(env, csrf, evil_csv, EVIL, EVIL);
    const char *loc = header_of(&r, "Location");
    KT_CHECK(r.status == 303 && loc &&
                 strcmp(loc, "/batches/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26"
                             "?added=1&unchanged=0") == 0,
             "good upload: %d %s", r.status, loc ? loc : "-");
    http_response_clear(&r);

    r = page(env, "/batches/" EVIL "?added=1&unchanged=0");
    KT_CHECK(body_has(&r, "<h1 id=\"title\">" EVIL_ESCAPED "</h1>"), "batch name escaped");
    KT_CHECK(body_has(&r, "Imported: 1 task added, 0 unchanged."), "the import notice");
    KT_CHECK(body_has(&r, "href=\"/batches/%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26"
                          "/results.csv\""),
             "results link encoded");
    no_injection(&r, "batch page");
    http_response_clear(&r);

    r = page(env, "/batches/shops?added=<b>&unchanged=1");
    KT_CHECK(!body_has(&r, "id=\"notice\""), "a notice only from numbers");
    http_response_clear(&r);

    const char *pages[] = {"/batches", "/"};
    for (size_t i = 0; i < 2; i++) {
        r = page(env, pages[i]);
        KT_CHECK(body_has(&r, EVIL_ESCAPED), "%s shows the name escaped", pages[i]);
        no_injection(&r, pages[i]);
        http_response_clear(&r);
    }

    r = call(env, "GET", "/batches/" EVIL "/results.csv", 1, NULL, 0);
    const char *disp = header_of(&r, "Content-Disposition");
    KT_CHECK(r.status == 200 && strncmp(r.content_type, "text/csv", 8) == 0, "results: %d",
             r.status);
    KT_CHECK(disp && strcmp(disp, "attachment; filename=\"_script_alert_1___script____-results"
                                  ".csv\"") == 0,
             "download name made safe: %s", disp ? disp : "-");
    KT_CHECK(body_has(&r, "\"e1\""), "the results hold the task");
    http_response_clear(&r);
}

static void sms(world *w, const char *from, const char *text, int64_t at)
{
    conv_result res;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(conv_handle_sms(w->st, &w->cfg, from, text, strlen(text), at, NULL, &res, &err) ==
                 KZ_OK,
             "%s: %s", text, err.msg);
}

static void test_appeal(http_env *env, world *w)
{
    sms(w, AMINA, "JOIN <b>Amina</b>", T0);
    sms(w, AMINA, "NEXT", T0 + 1);
    sms(w, AMINA, "1 1", T0 + 2);
    kz_err err;
    KT_CHECK(engine_reject(w->st, 1, "Closed <i>door</i>", T0 + 100, &err) == KZ_OK, "reject: %s",
             err.msg);
    sms(w, AMINA, "APPEAL 1 " EVIL, T0 + 300);
    int64_t id = world_int(w, "SELECT id FROM appeals WHERE state = 'open'");
    KT_CHECK(id > 0, "an open appeal");

    http_response r = page(env, "/appeals");
    KT_CHECK(body_has(&r, "id=\"appeal-1\""), "the appeal is listed");
    KT_CHECK(body_has(&r, "Closed &lt;i&gt;door&lt;/i&gt;"), "the rejection escaped");
    KT_CHECK(body_has(&r, "+2547****0001"), "the number masked");
    KT_CHECK(!body_has(&r, AMINA), "the whole number hidden");
    no_injection(&r, "appeals");
    http_response_clear(&r);

    http_field f[] = {field("csrf", csrf), field("decision", "overturn"), field("note", "")};
    r = call(env, "POST", "/appeals/1", 1, f, 3);
    KT_CHECK(r.status == 400 && body_has(&r, "Write a note"), "no note: %d", r.status);
    http_response_clear(&r);
    f[1] = field("decision", "maybe");
    f[2] = field("note", "x");
    r = call(env, "POST", "/appeals/1", 1, f, 3);
    KT_CHECK(r.status == 400, "unknown decision: %d", r.status);
    http_response_clear(&r);
    KT_CHECK(world_int(w, "SELECT count(*) FROM appeals WHERE state = 'open'") == 1,
             "still open after refused decisions");

    f[1] = field("decision", "overturn");
    f[2] = field("note", "Seen <again>");
    int before = wakes;
    r = call(env, "POST", "/appeals/1", 1, f, 3);
    const char *loc = header_of(&r, "Location");
    KT_CHECK(r.status == 303 && loc && strcmp(loc, "/appeals?decided=1") == 0, "decide: %d",
             r.status);
    KT_CHECK(wakes == before + 1, "the loop is woken for the worker's notice");
    http_response_clear(&r);
    KT_CHECK(world_int(w, "SELECT count(*) FROM appeals WHERE state = 'overturned'") == 1,
             "overturned in the database");
    r = page(env, "/appeals?decided=1");
    KT_CHECK(body_has(&r, "Appeal 1 overturned: Seen &lt;again&gt;"), "the decision shown");
    KT_CHECK(body_has(&r, "id=\"decided-1\"") && body_has(&r, "id=\"no-appeals\""),
             "listed as decided, none open");
    http_response_clear(&r);
    r = call(env, "POST", "/appeals/1", 1, f, 3);
    KT_CHECK(r.status == 409, "deciding twice: %d", r.status);
    http_response_clear(&r);
}

static void test_workers(http_env *env)
{
    http_response r = page(env, "/workers");
    KT_CHECK(body_has(&r, "+2547****0001") && !body_has(&r, AMINA), "workers masked");
    KT_CHECK(body_has(&r, "id=\"show-numbers\" href=\"/workers?full=1\""), "show numbers link");
    KT_CHECK(!body_has(&r, "<b>Amina"), "the worker's name is never markup");
    no_injection(&r, "workers");
    http_response_clear(&r);
    r = page(env, "/workers?full=1");
    KT_CHECK(body_has(&r, AMINA), "whole numbers on request");
    http_response_clear(&r);
    r = page(env, "/payouts");
    KT_CHECK(body_has(&r, "id=\"no-payouts\""), "no payout needs attention");
    http_response_clear(&r);
}

static void test_logout(http_env *env)
{
    http_response r = call(env, "POST", "/logout", 1, NULL, 0);
    KT_CHECK(r.status == 403, "logout without the token: %d", r.status);
    http_response_clear(&r);
    http_field f = field("csrf", csrf);
    r = call(env, "POST", "/logout", 1, &f, 1);
    const char *loc = header_of(&r, "Location");
    KT_CHECK(r.status == 303 && loc && strcmp(loc, "/login") == 0, "logout: %d", r.status);
    http_response_clear(&r);
    r = call(env, "GET", "/workers", 1, NULL, 0);
    KT_CHECK(r.status == 303, "the old cookie after logout: %d", r.status);
    http_response_clear(&r);
}

static const char tasks_csv[] = "id,type,prompt,options\n"
                                "t1,verify,Is the shop open?,Yes|No\n";

int main(void)
{
    web_fake_install();
    tmpl_set *t = world_templates();
    world w;
    if (!t || world_open_with(&w, "console", "pages", tasks_csv, t) != 0) {
        KT_CHECK(0, "cannot set up the world");
        tmpl_free(t);
        return kt_report();
    }
    w.cfg.max_replies_hour = 100;
    w.cfg.max_replies_day = 100;
    static kz_config cfg;
    config_defaults(&cfg);
    snprintf(cfg.http_console_password, sizeof cfg.http_console_password, "%s", PASSWORD);
    cfg.http_session_idle_s = 1800;
    http_env env = {.st = w.st, .cfg = &cfg, .conv = &w.cfg, .sessions = http_sessions_new(),
                    .wake = count_wake};
    test_public(&env);
    test_login(&env);
    test_routes(&env);
    test_upload(&env, &w);
    test_appeal(&env, &w);
    test_workers(&env);
    test_logout(&env);
    http_sessions_free(env.sessions);
    world_close(&w);
    tmpl_free(t);
    return kt_report();
}
