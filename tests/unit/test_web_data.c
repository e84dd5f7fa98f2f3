/*
 * test_web_data.c - gateway/web_data*.c and the JSON API (gateway/api*.c)
 * on a real SQLite file: phone masking; a CSV upload refused with every bad
 * line and nothing imported, then accepted, then unchanged; batches, one
 * batch, the results CSV; an appeal decided (and refused twice); workers
 * masked and unmasked; payouts needing attention (unknown, failed, stuck),
 * each action's rules (a retry never pays twice); the dashboard; and
 * api_handle called with hand-built requests: 401 without or with a wrong
 * token, 403 for a session POST without its CSRF token, 404, 405, 400 for
 * bad JSON, 422 for a bad upload, 201, the CSV download's headers.
 * Requests carry headers, cookies and query strings through this file's
 * fake_lookup, which main puts in gateway/http_mhd.c's table for the
 * server's accessors to call (libmicrohttpd itself is never loaded).
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conv_world.h"
#include "csv_export.h"
#include "engine.h"
#include "harness.h"
#include "http_mhd.h"
#include "payout.h"
#include "serve.h"
#include "store_engine.h"
#include "web_auth.h"
#include "web_data.h"

#define T0 INT64_C(1740985200)
#define AMINA "+254712000001"
#define BARAKA "+254722000002"
#define TOKEN "api-token-for-the-test-0123"
#define PASSWORD "console password for the test"

/* ---- requests by hand ---- */

typedef struct fake_conn {
    const char *names[6];  /* request headers */
    const char *values[6];
    size_t n;
    const char *query;     /* "a=1&b=2" (values used as they are) */
    const char *cookie;    /* the Cookie header's value */
} fake_conn;

/* The value of name in "k=v<sep>k=v", copied into out; NULL if absent. */
static const char *pair(const char *list, char sep, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    while (list && *list) {
        while (*list == ' ' || *list == sep)
            list++;
        const char *end = strchr(list, sep);
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len > n && strncmp(list, name, n) == 0 && list[n] == '=' && len - n - 1 < cap) {
            memcpy(out, list + n + 1, len - n - 1);
            out[len - n - 1] = '\0';
            return out;
        }
        list = end;
    }
    return NULL;
}

/* libmicrohttpd's MHD_lookup_connection_value, answered from a fake_conn. */
static const char *fake_lookup(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                               const char *key)
{
    static char values[8][256]; /* several lookups may be held at once, as with the library */
    static size_t next;
    char *value = values[next++ % 8];
    const fake_conn *fc = (const fake_conn *)(void *)connection;
    if (!fc || !key)
        return NULL;
    if (kind == MHD_HEADER_KIND) {
        if (strcasecmp(key, "Cookie") == 0)
            return fc->cookie;
        for (size_t i = 0; i < fc->n; i++)
            if (strcasecmp(fc->names[i], key) == 0)
                return fc->values[i];
        return NULL;
    }
    if (kind == MHD_COOKIE_KIND)
        return pair(fc->cookie, ';', key, value, sizeof values[0]);
    if (kind == MHD_GET_ARGUMENT_KIND)
        return pair(fc->query, '&', key, value, sizeof values[0]);
    return NULL;
}

static void header(fake_conn *fc, const char *name, const char *value)
{
    fc->names[fc->n] = name;
    fc->values[fc->n++] = value;
}

static int wakes;
static void count_wake(void *ctx)
{
    (void)ctx;
    wakes++;
}

static int64_t fake_now = T0 + 1000;
static int64_t clock_s(void *ctx)
{
    (void)ctx;
    return fake_now;
}
static int64_t clock_ms(void *ctx)
{
    (void)ctx;
    return fake_now * 1000;
}

/* Run api_handle on method path (query after '?') with fc and body; the response (clear it). */
static http_response call(http_env *env, fake_conn *fc, const char *method, const char *path,
                          const char *body)
{
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    char *q = strchr(p, '?');
    if (q)
        *q++ = '\0';
    fc->query = q;
    http_request req = {.method = method, .path = p, .peer = "127.0.0.1",
                        .body = (const uint8_t *)(body ? body : ""),
                        .body_len = body ? strlen(body) : 0, .conn = fc};
    http_response resp;
    memset(&resp, 0, sizeof resp);
    api_handle(env, &req, &resp);
    return resp;
}

/* A token-bearing request's connection. */
static fake_conn with_token(void)
{
    fake_conn fc = {.n = 0};
    header(&fc, "Authorization", "Bearer " TOKEN);
    return fc;
}

static const char *resp_header(const http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->header_name[i], name) == 0)
            return r->header_value[i];
    return NULL;
}

/* The JSON body of r (caller decrefs), NULL if it is not JSON. */
static json_t *body_json(const http_response *r)
{
    return r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
}

/* ---- the world ---- */

static const char tasks_csv[] = "id,type,prompt,options\n"
                                "t1,verify,Is the shop open?,Yes|No|Closed\n"
                                "t2,verify,Is there a queue?,Yes|No\n";

static void sms(world *w, const char *from, const char *text, int64_t at)
{
    conv_result r;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(conv_handle_sms(w->st, &w->cfg, from, text, strlen(text), at, NULL, &r, &err) ==
                 KZ_OK,
             "%s: %s", text, err.msg);
}

/* Amina answers t1, it is rejected, she appeals: appeal 1 is open. */
static void make_appeal(world *w)
{
    sms(w, AMINA, "JOIN Amina", T0);
    sms(w, AMINA, "NEXT", T0 + 1);
    sms(w, AMINA, "1 3", T0 + 2);
    kz_err err;
    KT_CHECK(engine_reject(w->st, 1, "The photo shows it open", T0 + 100, &err) == KZ_OK,
             "reject: %s", err.msg);
    sms(w, AMINA, "APPEAL 1 it was closed, I was there", T0 + 300);
}

static int64_t worker_with(world *w, const char *phone, int64_t earned)
{
    int64_t id = 0;
    KT_CHECK(store_worker_ensure(w->st, phone, NULL, NULL, &id, NULL) == KZ_OK, "worker");
    store_eng_entry e = {.worker_id = id, .kind = "reward", .amount_minor = earned,
                         .currency = "KES", .at = T0};
    KT_CHECK(store_eng_ledger_add(w->st, &e, NULL) == KZ_OK, "reward");
    return id;
}

/* Payouts: 1 unknown (Amina? no: worker A), 2 failed (worker B), 3 requested (worker C). */
static void make_payouts(world *w, int64_t ids[3])
{
    payout_config cfg;
    payout_config_defaults(&cfg);
    int64_t a = worker_with(w, "+254733000003", 10000), b = worker_with(w, "+254744000004", 8000),
            c = worker_with(w, "+254755000005", 6000);
    payout p;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(payout_request(w->st, &cfg, a, 0, NULL, T0 + 10, &p, &err) == KZ_OK, "request a: %s",
             err.msg);
    ids[0] = p.id;
    payout_submit(w->st, &cfg, p.id, PAYOUT_USSD, T0 + 11, &err);
    payout_commit_point(w->st, p.id, T0 + 12, &err);
    KT_CHECK(payout_mark_unknown(w->st, p.id, "no answer after the PIN", T0 + 13, &err) == KZ_OK,
             "unknown: %s", err.msg);
    KT_CHECK(payout_request(w->st, &cfg, b, 5000, NULL, T0 + 20, &p, &err) == KZ_OK, "request b");
    ids[1] = p.id;
    payout_submit(w->st, &cfg, p.id, PAYOUT_USSD, T0 + 21, &err);
    KT_CHECK(payout_fail(w->st, p.id, "the provider refused", "runner", T0 + 22, &err) == KZ_OK,
             "fail: %s", err.msg);
    KT_CHECK(payout_request(w->st, &cfg, c, 0, NULL, T0 + 30, &p, &err) == KZ_OK, "request c");
    ids[2] = p.id;
}

/* The object of array arr whose "id" is id, or NULL. */
static json_t *by_id(json_t *arr, int64_t id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_integer_value(json_object_get(v, "id")) == id)
            return v;
    }
    return NULL;
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "(none)";
}

/* ---- the tests ---- */

static void test_mask(void)
{
    char m[WEB_PHONE_CAP];
    web_phone_mask("+254712345678", m);
    KT_STREQ(m, "+2547****5678", "E.164");
    web_phone_mask("12345", m);
    KT_STREQ(m, "****45", "short");
    web_phone_mask("", m);
    KT_STREQ(m, "", "empty");
}

static void test_upload(world *w)
{
    const char bad[] = "id,type,prompt,options\n"
                       "u1,verify,Is it open?,Yes|No\n"
                       "u2,nonsense,What?,Yes|No\n"
                       "u3,verify,,Yes|No\n";
    web_upload u = {.batch = "up", .requester = "Acme", .reward = "3"};
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    kz_status s = web_upload_csv(w->st, &u, (const uint8_t *)bad, strlen(bad), T0, &j, &err);
    KT_CHECK(s == KZ_ERR_INVALID, "bad rows refused: %d", s);
    json_t *errs = json_object_get(j, "errors");
    KT_CHECK(json_array_size(errs) == 2, "two errors: %zu", json_array_size(errs));
    KT_CHECK(json_integer_value(json_object_get(json_array_get(errs, 0), "line")) == 3,
             "first error on line 3");
    KT_CHECK(json_integer_value(json_object_get(json_array_get(errs, 1), "line")) == 4,
             "second error on line 4");
    KT_CHECK(json_is_false(json_object_get(j, "ok")), "not ok");
    json_decref(j);
    KT_CHECK(world_int(w, "SELECT count(*) FROM batches WHERE name = 'up'") == 0,
             "nothing imported");

    u.redundancy = "0";
    s = web_upload_csv(w->st, &u, (const uint8_t *)tasks_csv, strlen(tasks_csv), T0, &j, &err);
    KT_CHECK(s == KZ_ERR_INVALID, "redundancy 0 refused");
    KT_STREQ(str(json_array_get(json_object_get(j, "errors"), 0), "field"), "redundancy",
             "the bad field named");
    json_decref(j);
    u.redundancy = "2";
    u.deadline = "2001-01-01";
    s = web_upload_csv(w->st, &u, (const uint8_t *)tasks_csv, strlen(tasks_csv), T0, &j, &err);
    KT_STREQ(str(json_array_get(json_object_get(j, "errors"), 0), "field"), "deadline",
             "a past deadline refused");
    json_decref(j);
    u.deadline = "+7d";

    s = web_upload_csv(w->st, &u, (const uint8_t *)tasks_csv, strlen(tasks_csv), T0, &j, &err);
    KT_CHECK(s == KZ_OK, "good upload: %s", err.msg);
    KT_CHECK(json_integer_value(json_object_get(j, "added")) == 2, "two added");
    KT_CHECK(json_is_true(json_object_get(j, "committed")), "committed");
    json_decref(j);
    KT_CHECK(world_int(w, "SELECT redundancy FROM batches WHERE name = 'up'") == 2,
             "redundancy from the form");
    s = web_upload_csv(w->st, &u, (const uint8_t *)tasks_csv, strlen(tasks_csv), T0, &j, &err);
    KT_CHECK(s == KZ_OK && json_integer_value(json_object_get(j, "unchanged")) == 2 &&
                 json_is_false(json_object_get(j, "committed")),
             "the same file again changes nothing");
    json_decref(j);
}

static void test_batches(world *w)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(web_batches(w->st, &j, &err) == KZ_OK && json_array_size(j) == 2, "two batches");
    KT_STREQ(str(json_array_get(j, 0), "name"), "shops", "oldest first");
    json_decref(j);
    KT_CHECK(web_batch(w->st, "nope", &j, &err) == KZ_ERR_NOTFOUND && !j, "unknown batch");
    KT_CHECK(web_batch(w->st, "up", &j, &err) == KZ_OK, "one batch: %s", err.msg);
    KT_CHECK(json_integer_value(json_object_get(j, "tasks")) == 2, "its tasks");
    KT_CHECK(json_integer_value(json_object_get(json_object_get(j, "status_counts"),
                                                "pending")) == 2,
             "both pending");
    json_decref(j);

    char *csv = NULL, *want = NULL;
    size_t len = 0, wlen = 0;
    KT_CHECK(web_batch_results_csv(w->st, "shops", &csv, &len, &err) == KZ_OK, "results");
    FILE *f = open_memstream(&want, &wlen);
    csv_export_results(w->st, "shops", f, &err);
    fclose(f);
    KT_CHECK(csv && len == wlen && memcmp(csv, want, len) == 0 && len > 20,
             "the same bytes as the export");
    free(csv);
    free(want);
    KT_CHECK(web_batch_results_csv(w->st, "nope", &csv, &len, &err) == KZ_ERR_NOTFOUND && !csv,
             "no results for an unknown batch");
}

static void test_appeals(world *w)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(web_appeals(w->st, true, false, &j, &err) == KZ_OK && json_array_size(j) == 1,
             "one open appeal");
    json_t *a = json_array_get(j, 0);
    KT_STREQ(str(a, "phone"), "+2547****0001", "masked");
    KT_STREQ(str(a, "reason"), "it was closed, I was there", "the appeal");
    int64_t id = json_integer_value(json_object_get(a, "id"));
    json_decref(j);

    KT_CHECK(web_appeal_decide(w->st, &w->cfg, id, "maybe", "x", NULL, false, T0 + 400, &j,
                               &err) == KZ_ERR_INVALID,
             "a bad decision");
    KT_CHECK(web_appeal_decide(w->st, &w->cfg, id, "overturn", "", NULL, false, T0 + 400, &j,
                               &err) == KZ_ERR_INVALID,
             "no note");
    KT_CHECK(web_appeal_decide(w->st, &w->cfg, 999, "overturn", "x", NULL, false, T0 + 400, &j,
                               &err) == KZ_ERR_NOTFOUND,
             "no such appeal");
    KT_CHECK(web_appeal_decide(w->st, &w->cfg, id, "overturn", "You were right", "ops", false,
                               T0 + 400, &j, &err) == KZ_OK,
             "overturned: %s", err.msg);
    KT_STREQ(str(j, "state"), "overturned", "state");
    KT_CHECK(json_is_true(json_object_get(json_object_get(j, "notice"), "queued")),
             "the worker's notice queued");
    json_decref(j);
    KT_CHECK(world_int(w, "SELECT count(*) FROM appeals WHERE state = 'overturned' "
                          "AND decision = 'You were right'") == 1,
             "decided in the database");
    KT_CHECK(web_appeal_decide(w->st, &w->cfg, id, "uphold", "no", NULL, false, T0 + 500, &j,
                               &err) == KZ_ERR_STATE,
             "decided once only");
    KT_CHECK(web_appeals(w->st, true, false, &j, &err) == KZ_OK && json_array_size(j) == 0,
             "none open now");
    json_decref(j);
}

static void test_workers(world *w)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(web_workers(w->st, false, &j, &err) == KZ_OK && json_array_size(j) >= 1, "workers");
    KT_STREQ(str(json_array_get(j, 0), "phone"), "+2547****0001", "masked");
    json_decref(j);
    KT_CHECK(web_workers(w->st, true, &j, &err) == KZ_OK, "workers in full");
    KT_STREQ(str(json_array_get(j, 0), "phone"), AMINA, "full");
    json_decref(j);
}

static bool has_action(json_t *p, const char *a)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p, "actions"), i, v)
    {
        if (strcmp(json_string_value(v), a) == 0)
            return true;
    }
    return false;
}

static void test_payouts(world *w, const int64_t ids[3])
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    int64_t soon = T0 + 100, late = T0 + 100 + WEB_PAYOUT_STUCK_S;
    KT_CHECK(web_payouts(w->st, true, false, soon, &j, &err) == KZ_OK && json_array_size(j) == 2,
             "unknown and failed need attention: %zu", json_array_size(j));
    KT_STREQ(str(by_id(j, ids[0]), "attention"), "unknown", "unknown");
    KT_CHECK(has_action(by_id(j, ids[0]), "confirmed") && has_action(by_id(j, ids[0]), "failed") &&
                 !has_action(by_id(j, ids[0]), "retry"),
             "unknown: confirmed or failed");
    KT_STREQ(str(by_id(j, ids[1]), "attention"), "failed", "failed");
    KT_CHECK(has_action(by_id(j, ids[1]), "retry") && !has_action(by_id(j, ids[1]), "confirmed"),
             "failed: retry");
    KT_STREQ(str(by_id(j, ids[0]), "phone"), "+2547****0003", "masked");
    json_decref(j);
    KT_CHECK(web_payouts(w->st, true, false, late, &j, &err) == KZ_OK &&
                 json_array_size(j) == 3 && by_id(j, ids[2]),
             "a requested payout an hour old is stuck");
    KT_CHECK(has_action(by_id(j, ids[2]), "failed") && !has_action(by_id(j, ids[2]), "confirmed"),
             "stuck requested: failed only");
    json_decref(j);

    KT_CHECK(web_payout_act(w->st, NULL, ids[2], "failed", "x", false, soon, &j, &err) ==
                 KZ_ERR_STATE,
             "a fresh requested payout is the runner's");
    KT_CHECK(web_payout_act(w->st, NULL, ids[0], "pay", "x", false, soon, &j, &err) ==
                 KZ_ERR_INVALID,
             "unknown action");
    KT_CHECK(web_payout_act(w->st, NULL, ids[0], "confirmed", "", false, soon, &j, &err) ==
                 KZ_ERR_INVALID,
             "a decision needs a note");
    KT_CHECK(web_payout_act(w->st, NULL, 999, "confirmed", "x", false, soon, &j, &err) ==
                 KZ_ERR_NOTFOUND,
             "no such payout");
    KT_CHECK(web_payout_act(w->st, NULL, ids[0], "confirmed", "statement shows QK1", false, soon,
                            &j, &err) == KZ_OK,
             "confirmed: %s", err.msg);
    KT_STREQ(str(j, "state"), "confirmed", "state after");
    json_decref(j);
    KT_CHECK(web_payout_act(w->st, NULL, ids[0], "failed", "x", false, soon, &j, &err) ==
                 KZ_ERR_STATE,
             "a confirmed payout is settled");
    KT_CHECK(web_payout_act(w->st, NULL, ids[1], "retry", NULL, false, soon, &j, &err) == KZ_OK,
             "retry: %s", err.msg);
    KT_STREQ(str(j, "state"), "requested", "a new payout requested");
    KT_CHECK(json_integer_value(json_object_get(j, "amount_minor")) == 5000, "same amount");
    json_decref(j);
    KT_CHECK(web_payout_act(w->st, NULL, ids[1], "retry", NULL, false, soon, &j, &err) ==
                 KZ_ERR_STATE,
             "retried once only");
    KT_CHECK(world_int(w, "SELECT count(*) FROM payouts WHERE idempotency_key LIKE 'retry:%'") ==
                 1,
             "one retry payout");
}

static void test_dashboard(world *w)
{
    json_t *j = NULL;
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(web_dashboard(w->st, NULL, T0 + 100, &j, &err) == KZ_OK, "dashboard: %s", err.msg);
    KT_CHECK(json_is_array(json_object_get(j, "modems")), "modems");
    KT_CHECK(json_is_object(json_object_get(j, "outbox")), "outbox");
    KT_CHECK(json_array_size(json_object_get(j, "batches")) == 2, "batches");
    KT_CHECK(json_integer_value(json_object_get(json_object_get(j, "workers"), "total")) == 4,
             "workers");
    json_t *m = json_array_get(json_object_get(j, "money"), 0);
    KT_STREQ(str(m, "currency"), "KES", "money");
    KT_CHECK(json_integer_value(json_object_get(m, "paid_minor")) == 10000, "paid");
    KT_CHECK(json_integer_value(json_object_get(m, "pending_payouts")) == 2, "pending");
    json_decref(j);
}

/* ---- the API ---- */

static void expect(http_env *env, fake_conn *fc, const char *method, const char *path,
                   const char *body, int status, const char *label)
{
    http_response r = call(env, fc, method, path, body);
    KT_CHECK(r.status == status, "%s: %s %s gave %d, want %d: %.*s", label, method, path,
             r.status, status, (int)r.len, r.body ? r.body : "");
    if (status != 200 || strstr(path, "/results") == NULL) {
        json_t *j = body_json(&r);
        KT_CHECK(j != NULL, "%s: a JSON body", label);
        KT_CHECK(strncmp(r.content_type, "application/json", 16) == 0, "%s: type %s", label,
                 r.content_type);
        if (status >= 400)
            KT_CHECK(json_is_string(json_object_get(j, "error")) ||
                         json_is_array(json_object_get(j, "errors")),
                     "%s: says why", label);
        json_decref(j);
    }
    http_response_clear(&r);
}

static void test_api_auth(http_env *env)
{
    fake_conn none = {.n = 0}, wrong = {.n = 0};
    expect(env, &none, "GET", "/api/status", NULL, 401, "no token");
    header(&wrong, "Authorization", "Bearer not-the-token");
    expect(env, &wrong, "GET", "/api/status", NULL, 401, "wrong token");
    fake_conn t = with_token();
    expect(env, &t, "GET", "/api/status", NULL, 200, "status");
    expect(env, &t, "DELETE", "/api/batches", NULL, 405, "DELETE");
    expect(env, &t, "POST", "/api/workers", NULL, 405, "POST workers");
    expect(env, &t, "GET", "/api/nothing", NULL, 404, "unknown endpoint");

    /* A console session: GET allowed, POST only with its CSRF token. */
    fake_conn login = {.n = 0};
    http_request lr = {.method = "POST", .path = "/login", .peer = "127.0.0.1", .conn = &login};
    http_response resp;
    memset(&resp, 0, sizeof resp);
    KT_CHECK(web_auth_login(env, &lr, PASSWORD, &resp) == KZ_OK, "login");
    const char *set = resp_header(&resp, "Set-Cookie");
    char cookie[128] = "";
    if (set)
        snprintf(cookie, sizeof cookie, "%.*s", (int)strcspn(set, ";"), set);
    http_response_clear(&resp);
    fake_conn s = {.cookie = cookie};
    expect(env, &s, "GET", "/api/workers", NULL, 200, "session GET");
    expect(env, &s, "POST", "/api/appeals/1", "{\"decision\":\"uphold\",\"note\":\"n\"}", 403,
           "session POST without CSRF");
    char csrf[WEB_CSRF_CAP];
    http_request cr = {.method = "GET", .path = "/api", .peer = "127.0.0.1", .conn = &s};
    KT_CHECK(web_auth_check(env, &cr, csrf), "session valid");
    header(&s, "X-CSRF-Token", csrf);
    expect(env, &s, "POST", "/api/appeals/999", "{\"decision\":\"uphold\",\"note\":\"n\"}", 404,
           "session POST with CSRF reaches the handler");
}

static void test_api_data(http_env *env, world *w)
{
    fake_conn t = with_token();
    expect(env, &t, "GET", "/api/batches/nope", NULL, 404, "unknown batch");
    expect(env, &t, "GET", "/api/batches/nope/results", NULL, 404, "unknown batch results");
    expect(env, &t, "POST", "/api/appeals/1", "{\"decision\": ", 400, "bad JSON");
    expect(env, &t, "POST", "/api/appeals/1", "[1]", 400, "not an object");
    expect(env, &t, "POST", "/api/appeals/1", "{\"decision\": 5}", 400, "not a string");
    expect(env, &t, "POST", "/api/appeals/1", "{\"decision\":\"uphold\",\"note\":\"n\"}", 409,
           "decided already");
    expect(env, &t, "POST", "/api/payouts/abc", "{}", 404, "not a payout id");

    fake_conn c = with_token();
    header(&c, "Content-Type", "text/csv");
    http_response r = call(env, &c, "POST", "/api/batches?batch=api&requester=Acme",
                           "id,type,prompt,options\nx1,verify,Open?,Yes|No\nx2,verify,,Yes|No\n");
    json_t *j = body_json(&r);
    KT_CHECK(r.status == 422, "bad upload: %d", r.status);
    KT_CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0),
                                                "line")) == 3,
             "the error's line");
    json_decref(j);
    http_response_clear(&r);
    KT_CHECK(world_int(w, "SELECT count(*) FROM batches WHERE name = 'api'") == 0,
             "nothing imported");
    int before = wakes;
    expect(env, &c, "POST", "/api/batches?batch=api&requester=Acme", tasks_csv, 201,
           "good upload");
    KT_CHECK(wakes == before + 1, "the loop woken");
    expect(env, &c, "POST", "/api/batches?batch=api&requester=Acme", tasks_csv, 200,
           "the same upload again");
    expect(env, &c, "POST", "/api/batches?requester=Acme", tasks_csv, 422, "no batch name");

    r = call(env, &t, "GET", "/api/batches/api/results", NULL);
    KT_CHECK(r.status == 200 && strncmp(r.content_type, "text/csv", 8) == 0, "results CSV: %d %.*s",
             r.status, (int)r.len, r.body ? r.body : "");
    const char *disp = resp_header(&r, "Content-Disposition");
    KT_CHECK(disp && strcmp(disp, "attachment; filename=\"api-results.csv\"") == 0,
             "download name: %s", disp ? disp : "(none)");
    http_response_clear(&r);

    r = call(env, &t, "GET", "/api/workers", NULL);
    KT_CHECK(r.status == 200 && strstr(r.body, "+2547****0001") && !strstr(r.body, AMINA),
             "workers masked");
    http_response_clear(&r);
    r = call(env, &t, "GET", "/api/workers?full=1", NULL);
    KT_CHECK(r.status == 200 && strstr(r.body, AMINA), "workers in full");
    http_response_clear(&r);
    expect(env, &t, "GET", "/api/payouts?attention=1", NULL, 200, "payouts needing attention");
    expect(env, &t, "POST", "/api/payouts/1", "{\"action\":\"failed\",\"note\":\"x\"}", 409,
           "confirmed already");
    expect(env, &t, "POST", "/api/payouts/1", "{\"action\":\"explode\"}", 400, "bad action");
    expect(env, &t, "GET", "/api/appeals?all=1", NULL, 200, "all appeals");
}

int main(void)
{
    http_mhd.lookup_connection_value = fake_lookup;
    tmpl_set *t = world_templates();
    world w;
    if (!t || world_open_with(&w, "webdata", "api", tasks_csv, t) != 0) {
        KT_CHECK(0, "cannot set up the world");
        tmpl_free(t);
        return kt_report();
    }
    w.cfg.max_replies_hour = 100;
    w.cfg.max_replies_day = 100;
    test_mask();
    make_appeal(&w);
    test_upload(&w);
    test_batches(&w);
    test_appeals(&w);
    int64_t ids[3];
    make_payouts(&w, ids);
    test_workers(&w);
    test_payouts(&w, ids);
    test_dashboard(&w);

    serve_clock c = {.now_s = clock_s, .now_ms = clock_ms};
    serve_clock_set(&c);
    static kz_config cfg;
    config_defaults(&cfg);
    snprintf(cfg.http_api_token, sizeof cfg.http_api_token, "%s", TOKEN);
    snprintf(cfg.http_console_password, sizeof cfg.http_console_password, "%s", PASSWORD);
    cfg.http_session_idle_s = 1800;
    http_env env = {.st = w.st, .cfg = &cfg, .conv = &w.cfg, .sessions = http_sessions_new(),
                    .wake = count_wake};
    test_api_auth(&env);
    test_api_data(&env, &w);
    http_sessions_free(env.sessions);
    world_close(&w);
    tmpl_free(t);
    return kt_report();
}
