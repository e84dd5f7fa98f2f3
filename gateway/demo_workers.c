/*
 * demo_workers.c - the simulated workers of `kazi demo` (see
 * demo_workers.h): who they are, how long they think, how often they are
 * right, and the SMS each sends when its moment comes.
 * Owns: personas and per-worker state. Never does I/O, never reads a clock.
 */
#include "demo_workers.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IDLE_MS 15000       /* silent and idle this long: ask NEXT */
#define JOIN_RETRY_MS 30000 /* no welcome this long: JOIN again */
#define JOIN_SPACING_MS 150 /* between two workers' JOINs */
#define UNKNOWN_GRACE_MS 30000 /* a task listed as open but never seen: SKIP after this */
#define UNKNOWN_IDLE_MS 3000   /* ... or after this once Kazi's outbox is empty */
#define SETTLED_MS 60000       /* a ref settled this recently is not unknown */
#define PROMISED_MS 120000     /* "no task now, we will SMS you": wait that long before NEXT */

typedef struct persona_info {
    const char *name;
    int think_lo_ms, think_hi_ms;
    int accuracy_pct;
} persona_info;

static const persona_info personas[DW__PERSONAS] = {
    [DW_QUICK] = {"quick", 1500, 4000, 96},
    [DW_SLOW] = {"slow", 8000, 18000, 92},
    [DW_SHAKY] = {"often wrong", 1000, 3000, 50},
    [DW_STOPPER] = {"sends STOP", 1500, 4000, 95},
    [DW_MORE] = {"asks MORE", 2000, 5000, 95},
    [DW_SKIPPER] = {"skips typing", 1500, 4000, 95},
};

static const char *const names[] = {
    "Amina",   "Baraka", "Juma",    "Wanjiku", "Akinyi",  "Otieno",  "Zawadi", "Kamau",
    "Njeri",   "Chebet", "Mwangi",  "Fatuma",  "Kiprop",  "Wambui",  "Mutua",  "Nafula",
    "Odhiambo", "Halima", "Kibet",  "Achieng", "Ouma",    "Wairimu", "Hassan", "Nekesa",
    "Kariuki", "Atieno", "Mohamed", "Jepkemoi", "Musyoka", "Nyokabi", "Omondi", "Saida",
};

/* Which persona the i-th worker has: the special ones early, so 10 workers show all. */
static dw_persona persona_for(size_t i)
{
    switch (i % 20) {
    case 2: return i < 20 ? DW_STOPPER : DW_QUICK;
    case 3: case 11: case 19: return DW_SLOW;
    case 4: return i < 20 ? DW_MORE : DW_QUICK;
    case 6: return i < 20 ? DW_SKIPPER : DW_QUICK;
    case 8: case 16: return DW_SHAKY;
    default: return DW_QUICK;
    }
}

const char *dw_persona_name(dw_persona p)
{
    return (unsigned)p < DW__PERSONAS ? personas[p].name : "?";
}

/* ---- randomness (xorshift64*: reproducible runs from a seed) ---- */

static uint64_t rnd(dw_worker *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * 2685821657736338717ULL;
}

/* Uniform in [lo, hi]. */
static int rnd_range(dw_worker *w, int lo, int hi)
{
    return hi <= lo ? lo : lo + (int)(rnd(w) % (uint64_t)(hi - lo + 1));
}

static bool rnd_pct(dw_worker *w, int pct)
{
    return (int)(rnd(w) % 100) < pct;
}

/* ---- the population ---- */

int dw_pop_init(dw_pop *p, size_t n, uint64_t seed, int64_t start_ms, dw_truth_fn truth,
                void *truth_ctx)
{
    memset(p, 0, sizeof *p);
    if (n == 0 || n > 999)
        return -1;
    p->w = calloc(n, sizeof *p->w);
    if (!p->w)
        return -1;
    p->n = n;
    p->truth = truth;
    p->truth_ctx = truth_ctx;
    const size_t nnames = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++) {
        dw_worker *w = &p->w[i];
        snprintf(w->phone, sizeof w->phone, "+254711%06zu", 100 + i + 1);
        if (i < nnames)
            snprintf(w->name, sizeof w->name, "%s", names[i]);
        else
            snprintf(w->name, sizeof w->name, "%s%zu", names[i % nnames], i / nnames + 1);
        w->persona = persona_for(i);
        w->swahili = i % 5 == 1;
        w->rng = (seed ^ (0x9E3779B97F4A7C15ULL * (i + 1))) | 1;
        w->start_ms = start_ms + (int64_t)i * JOIN_SPACING_MS + rnd_range(w, 0, 200);
    }
    return 0;
}

void dw_pop_free(dw_pop *p)
{
    if (!p)
        return;
    free(p->w);
    memset(p, 0, sizeof *p);
}

dw_worker *dw_find(dw_pop *p, const char *phone)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->w[i].phone, phone) == 0)
            return &p->w[i];
    return NULL;
}

void dw_mark_registered(dw_worker *w, bool stopped, int64_t now_ms)
{
    w->state = stopped ? DW_STOPPED : DW_ACTIVE;
    w->last_heard_ms = 0;
    w->next_nudge_ms = now_ms + rnd_range(w, 500, 4000); /* find offers left open */
}

int dw_open_count(const dw_worker *w)
{
    int n = 0;
    for (size_t i = 0; i < DW_OPEN_MAX; i++)
        n += w->open[i].active;
    return n;
}

__attribute__((format(printf, 2, 3))) static void note(dw_pop *p, const char *fmt, ...)
{
    if (p->nrecent == DW_RECENT) {
        memmove(p->recent[0], p->recent[1], sizeof p->recent[0] * (DW_RECENT - 1));
        p->nrecent--;
    }
    va_list ap;
    va_start(ap, fmt);
    p->nnotes++;
    vsnprintf(p->recent[p->nrecent++], sizeof p->recent[0], fmt, ap);
    va_end(ap);
}

/* ---- reading ---- */

static dw_task *task_slot(dw_worker *w, int ref)
{
    dw_task *free_slot = NULL;
    for (size_t i = 0; i < DW_OPEN_MAX; i++) {
        if (w->open[i].active && w->open[i].offer.ref == ref)
            return &w->open[i];
        if (!w->open[i].active && !free_slot)
            free_slot = &w->open[i];
    }
    return free_slot;
}

static dw_task *find_task(dw_worker *w, int ref)
{
    for (size_t i = 0; i < DW_OPEN_MAX; i++)
        if (w->open[i].active && w->open[i].offer.ref == ref)
            return &w->open[i];
    return NULL;
}

static void take_offer(dw_worker *w, const demo_offer *o, int64_t now_ms)
{
    dw_task *t = task_slot(w, o->ref);
    if (!t)
        return; /* more open tasks than a person tracks: Kazi's expiry returns it */
    const persona_info *pi = &personas[w->persona];
    w->offers++;
    *t = (dw_task){.offer = *o, .active = true,
                   .due_ms = now_ms + rnd_range(w, pi->think_lo_ms, pi->think_hi_ms),
                   .want_more = w->persona == DW_MORE && w->offers % 3 == 1};
}

static void remember_settled(dw_worker *w, int ref, int64_t now_ms)
{
    size_t oldest = 0;
    for (size_t i = 1; i < DW_OPEN_MAX; i++)
        if (w->settled_ms[i] < w->settled_ms[oldest])
            oldest = i;
    w->settled_ref[oldest] = ref;
    w->settled_ms[oldest] = now_ms;
}

static bool settled_lately(const dw_worker *w, int ref, int64_t now_ms)
{
    for (size_t i = 0; i < DW_OPEN_MAX; i++)
        if (w->settled_ref[i] == ref && now_ms - w->settled_ms[i] < SETTLED_MS)
            return true;
    return false;
}

/* Refs Kazi says are open that this worker never saw (lost with a killed demo). */
static void take_unknown(dw_worker *w, const int *refs, size_t n, int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (find_task(w, refs[i]) || settled_lately(w, refs[i], now_ms))
            continue;
        dw_task *t = task_slot(w, refs[i]);
        if (!t)
            return;
        /* The offer may still be queued for the network: give it time to arrive. */
        *t = (dw_task){.active = true, .unknown = true, .listed_ms = now_ms,
                       .due_ms = now_ms + rnd_range(w, UNKNOWN_GRACE_MS, UNKNOWN_GRACE_MS + 5000)};
        t->offer.ref = refs[i];
    }
}

void dw_receive(dw_pop *p, dw_worker *w, const char *text, int64_t now_ms)
{
    (void)p;
    if (w->state == DW_STOPPED)
        return;
    w->last_heard_ms = now_ms;
    if (w->state != DW_ACTIVE) {
        w->state = DW_ACTIVE;
        w->next_nudge_ms = now_ms + IDLE_MS;
    }
    demo_offer o;
    bool offer = demo_offer_parse(text, &o);
    if (w->asked_next && !offer) /* no task free: Kazi will SMS when there is one */
        w->next_nudge_ms = now_ms + PROMISED_MS;
    w->asked_next = false;
    if (offer) {
        take_offer(w, &o, now_ms);
        return;
    }
    int refs[DW_OPEN_MAX];
    size_t n = demo_offer_open_refs(text, refs, DW_OPEN_MAX);
    take_unknown(w, refs, n, now_ms);
}

/* ---- replaying the journal ---- */

static int word_ref(const char *text, const char *const *words, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++) {
        size_t l = strlen(words[i]);
        if (strncasecmp(text, words[i], l) == 0 && text[l] == ' ')
            return atoi(text + l + 1);
    }
    return 0;
}

void dw_replay_sent(dw_worker *w, const char *text)
{
    static const char *const settle[] = {"SKIP", "RUKA"};
    static const char *const more[] = {"MORE", "ZAIDI"};
    if (strncasecmp(text, "STOP", 4) == 0 || strncasecmp(text, "ACHA", 4) == 0) {
        w->state = DW_STOPPED;
        memset(w->open, 0, sizeof w->open);
        return;
    }
    if ((strncasecmp(text, "JOIN", 4) == 0 || strncasecmp(text, "JIUNGE", 6) == 0) &&
        w->state == DW_NEW) {
        w->state = DW_JOINING;
        return;
    }
    int ref = isdigit((unsigned char)text[0]) ? atoi(text) : word_ref(text, settle, 2);
    dw_task *t = ref ? find_task(w, ref) : NULL;
    if (t) {
        t->active = false;
        if (isdigit((unsigned char)text[0]))
            w->answers++;
        return;
    }
    ref = word_ref(text, more, 2);
    if (ref && (t = find_task(w, ref)) != NULL)
        t->more_sent = true;
}

/* ---- acting ---- */

static const char *word(const dw_worker *w, const char *en, const char *sw)
{
    return w->swahili ? sw : en;
}

/* A plausible slip of the thumb: one digit off, or two letters swapped. */
static void mangle(dw_worker *w, char *s)
{
    size_t n = strlen(s);
    for (size_t i = n; i-- > 0;)
        if (isdigit((unsigned char)s[i])) {
            s[i] = (char)('0' + (s[i] - '0' + 1 + rnd_range(w, 0, 7)) % 10);
            return;
        }
    if (n >= 2) {
        size_t i = (size_t)rnd_range(w, 0, (int)n - 2);
        char c = s[i];
        s[i] = s[i + 1] != c ? s[i + 1] : 'x';
        s[i + 1] = c;
    }
}

/* Option number (1-based) whose text is truth, or 0. */
static int option_of(const demo_offer *o, const char *truth)
{
    for (int k = 0; truth && k < o->nopts; k++)
        if (strcasecmp(o->opts[k], truth) == 0)
            return k + 1;
    return 0;
}

/* The answer part of "REF ANSWER"; *wrong is set when it differs from the truth. */
static void choose(dw_pop *p, dw_worker *w, const demo_offer *o, char *out, size_t cap,
                   bool *wrong)
{
    const char *truth = p->truth ? p->truth(p->truth_ctx, o->prompt) : NULL;
    bool right = rnd_pct(w, personas[w->persona].accuracy_pct);
    *wrong = false;
    if (o->nopts == 0) {
        snprintf(out, cap, "%s", truth ? truth : "sawa");
        if (!right && truth) {
            mangle(w, out);
            *wrong = strcmp(out, truth) != 0;
        }
        return;
    }
    int k = option_of(o, truth);
    if (k && right) {
        snprintf(out, cap, "%d", k);
        return;
    }
    int pick = rnd_range(w, 1, o->nopts);
    if (k && pick == k)
        pick = pick % o->nopts + 1;
    *wrong = k != 0;
    snprintf(out, cap, "%d", pick);
}

/* Send text from w; remembers it. 0, or -1 if send refused it. */
static int say(dw_worker *w, const char *text, dw_send_fn send, void *ctx)
{
    if (send(ctx, w, text) != 0)
        return -1;
    snprintf(w->last_sent, sizeof w->last_sent, "%s", text);
    return 0;
}

/*
 * "5 2" right after "5 2" to an earlier task 5 reads as the same SMS sent
 * twice; a person then writes the option's words instead: "5 Quality".
 */
static void avoid_repeat(const dw_worker *w, const dw_task *t, char *sms, size_t cap)
{
    int k = 0;
    if (strcmp(sms, w->last_sent) != 0 || t->offer.nopts == 0)
        return;
    const char *sp = strchr(sms, ' ');
    if (!sp || sscanf(sp + 1, "%d", &k) != 1 || k < 1 || k > t->offer.nopts)
        return;
    snprintf(sms, cap, "%d %s", t->offer.ref, t->offer.opts[k - 1]);
}

/* Settle or advance task t. Returns 0 if sent (t updated), -1 if send failed. */
static int act_on(dw_pop *p, dw_worker *w, dw_task *t, int64_t now_ms, dw_send_fn send, void *ctx)
{
    char sms[DW_SMS_CAP], ans[DEMO_OPT_CAP + 8];
    int ref = t->offer.ref;
    bool skip = t->unknown || (w->persona == DW_SKIPPER && t->offer.nopts == 0);
    bool more = !skip && t->want_more && !t->more_sent;
    bool wrong = false;
    if (skip || more) {
        snprintf(sms, sizeof sms, "%s %d", skip ? word(w, "SKIP", "RUKA") : word(w, "MORE", "ZAIDI"),
                 ref);
    } else {
        choose(p, w, &t->offer, ans, sizeof ans, &wrong);
        snprintf(sms, sizeof sms, "%d %s", ref, ans);
        avoid_repeat(w, t, sms, sizeof sms);
    }
    if (say(w, sms, send, ctx) != 0)
        return -1;
    if (more) {
        t->more_sent = true;
        t->due_ms = now_ms + rnd_range(w, 9000, 14000);
        w->mores++;
        note(p, "%s asked MORE time for task %d", w->name, ref);
        return 0;
    }
    t->active = false;
    remember_settled(w, ref, now_ms);
    if (skip) {
        w->skips++;
        if (t->unknown)
            note(p, "%s skipped task %d (its offer was lost)", w->name, ref);
        else
            note(p, "%s skipped task %d (needs typing; no penalty)", w->name, ref);
        return 0;
    }
    w->answers++;
    w->wrong += wrong;
    if (w->persona == DW_STOPPER && w->answers == DW_STOP_AFTER)
        w->stop_ms = now_ms + rnd_range(w, 1000, 3000);
    return 0;
}

static size_t tick_active(dw_pop *p, dw_worker *w, int64_t now_ms, dw_send_fn send, void *ctx)
{
    if (w->stop_ms && now_ms >= w->stop_ms) {
        if (say(w, word(w, "STOP", "ACHA"), send, ctx) != 0)
            return 0;
        w->state = DW_STOPPED;
        memset(w->open, 0, sizeof w->open);
        note(p, "%s sent STOP after %d tasks: left at once, money kept", w->name, w->answers);
        return 1;
    }
    for (size_t i = 0; i < DW_OPEN_MAX; i++) {
        dw_task *t = &w->open[i];
        bool lost = t->unknown && p->outbox_idle && now_ms - t->listed_ms >= UNKNOWN_IDLE_MS;
        if (t->active && (now_ms >= t->due_ms || lost))
            return act_on(p, w, t, now_ms, send, ctx) == 0;
    }
    if (dw_open_count(w) || now_ms < w->next_nudge_ms || now_ms - w->last_heard_ms < IDLE_MS / 2)
        return 0;
    if (say(w, word(w, "NEXT", "IJAYO"), send, ctx) != 0)
        return 0;
    w->asked_next = true;
    w->next_nudge_ms = now_ms + IDLE_MS;
    return 1;
}

static size_t tick_one(dw_pop *p, dw_worker *w, int64_t now_ms, dw_send_fn send, void *ctx)
{
    char sms[DW_SMS_CAP];
    switch (w->state) {
    case DW_NEW:
    case DW_JOINING:
        if (now_ms < (w->state == DW_NEW ? w->start_ms : w->next_nudge_ms))
            return 0;
        snprintf(sms, sizeof sms, "%s %s", word(w, "JOIN", "JIUNGE"), w->name);
        if (say(w, sms, send, ctx) != 0)
            return 0;
        if (w->state == DW_NEW)
            note(p, "%s (%s) sent %s", w->name, dw_persona_name(w->persona), sms);
        w->state = DW_JOINING;
        w->next_nudge_ms = now_ms + JOIN_RETRY_MS;
        return 1;
    case DW_ACTIVE:
        return tick_active(p, w, now_ms, send, ctx);
    case DW_STOPPED:
        return 0;
    }
    return 0;
}

size_t dw_tick(dw_pop *p, int64_t now_ms, dw_send_fn send, void *ctx)
{
    size_t sent = 0;
    for (size_t i = 0; i < p->n; i++)
        sent += tick_one(p, &p->w[i], now_ms, send, ctx);
    return sent;
}
