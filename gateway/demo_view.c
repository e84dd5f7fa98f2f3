/*
 * demo_view.c - the progress panel and lines of `kazi demo` (see
 * demo_view.h).
 * Owns: wording and layout. Never gathers figures, never reads a clock.
 */
#include "demo_view.h"

#include <stdarg.h>
#include <string.h>

#include "money.h"

#define BAR_WIDTH 28

typedef struct persona_sum {
    int people, answers, wrong, skips, mores, stopped;
} persona_sum;

static void sum_personas(const dw_pop *pop, persona_sum out[DW__PERSONAS])
{
    memset(out, 0, sizeof(persona_sum) * DW__PERSONAS);
    for (size_t i = 0; pop && i < pop->n; i++) {
        const dw_worker *w = &pop->w[i];
        persona_sum *p = &out[w->persona];
        p->people++;
        p->answers += w->answers;
        p->wrong += w->wrong;
        p->skips += w->skips;
        p->mores += w->mores;
        p->stopped += w->state == DW_STOPPED;
    }
}

static void elapsed(long long ms, char *out, size_t cap)
{
    long long s = ms / 1000;
    snprintf(out, cap, "%lld:%02lld", s / 60, s % 60);
}

static void bar(long done, long total, char *out)
{
    int fill = total > 0 ? (int)(done * BAR_WIDTH / total) : 0;
    if (fill > BAR_WIDTH)
        fill = BAR_WIDTH;
    out[0] = '[';
    for (int i = 0; i < BAR_WIDTH; i++)
        out[1 + i] = i < fill ? '#' : '-';
    out[BAR_WIDTH + 1] = ']';
    out[BAR_WIDTH + 2] = '\0';
}

/* A panel line: clears what the previous draw left on it. */
__attribute__((format(printf, 3, 4))) static void line(FILE *f, int *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputs("\033[K\n", f);
    (*n)++;
}

static void draw_modems(FILE *f, const demo_stats *s, int *n)
{
    line(f, n, "  %-5s %-10s %-8s %-10s %6s %6s %6s  %s", "modem", "state", "signal", "operator",
         "sent", "recv", "queue", "network delay per SMS");
    for (int i = 0; i < s->nmodems; i++) {
        const demo_modem_view *m = &s->modem[i];
        char sig[16] = "-";
        if (m->signal_dbm)
            snprintf(sig, sizeof sig, "%d dBm", m->signal_dbm);
        line(f, n, "  %-5s %-10s %-8s %-10s %6ld %6ld %6ld  %d ms%s%s", m->name,
             m->state[0] ? m->state : "starting", sig, m->op[0] ? m->op : "-", m->sent,
             m->received, m->queue, m->cmgs_ms, m->last_error[0] ? "  last error: " : "",
             m->last_error);
    }
}

static void draw_personas(FILE *f, const dw_pop *pop, int *n)
{
    persona_sum ps[DW__PERSONAS];
    sum_personas(pop, ps);
    line(f, n, "  %-13s %6s %8s %6s %8s %5s %8s", "worker type", "people", "answers", "wrong",
         "skipped", "MORE", "stopped");
    for (int k = 0; k < DW__PERSONAS; k++) {
        if (!ps[k].people)
            continue;
        line(f, n, "  %-13s %6d %8d %6d %8d %5d %8d", dw_persona_name((dw_persona)k),
             ps[k].people, ps[k].answers, ps[k].wrong, ps[k].skips, ps[k].mores, ps[k].stopped);
    }
}

void demo_view_draw(FILE *f, const demo_stats *s, const dw_pop *pop, int *lines)
{
    if (*lines > 0)
        fprintf(f, "\033[%dA\r", *lines);
    int n = 0;
    char t[32], b[BAR_WIDTH + 4], money[40], reward[40];
    elapsed(s->elapsed_ms, t, sizeof t);
    bar(s->tasks_complete, s->tasks, b);
    money_format(money, sizeof money, s->money_minor, s->currency[0] ? s->currency : "KES", 0);
    money_format(reward, sizeof reward, s->reward_minor, s->currency[0] ? s->currency : "KES", 1);
    line(f, &n, "\033[1mKazi demo\033[0m  batch %s for %s%s   %s", s->batch, s->requester,
         s->resumed ? " (resumed)" : "", t);
    line(f, &n, "  demo only: tasks are pushed at any hour; a real deployment keeps 07:00-19:00");
    line(f, &n, "%s", "");
    line(f, &n, "  tasks   %s %ld/%ld complete   answers %ld/%ld", b, s->tasks_complete, s->tasks,
         s->answers, s->answers_needed);
    line(f, &n, "  money   %s earned by %ld workers (%s a task, plus their SMS costs back)", money,
         s->workers, reward);
    line(f, &n, "  SMS     %ld sent by the gateway, %ld sent by workers, %ld waiting in the outbox",
         s->sms_out, s->sms_in, s->outbox_waiting);
    line(f, &n, "%s", "");
    draw_modems(f, s, &n);
    line(f, &n, "%s", "");
    draw_personas(f, pop, &n);
    line(f, &n, "%s", "");
    for (size_t i = 0; pop && i < DW_RECENT; i++)
        line(f, &n, "  %s %s", i == 0 ? "lately:" : "       ", i < pop->nrecent ? pop->recent[i] : "");
    fputs("\033[J", f);
    fflush(f);
    *lines = n;
}

void demo_view_line(FILE *f, const demo_stats *s)
{
    char t[32], money[40];
    elapsed(s->elapsed_ms, t, sizeof t);
    money_format(money, sizeof money, s->money_minor, s->currency[0] ? s->currency : "KES", 0);
    fprintf(f, "[%s] tasks %ld/%ld complete, answers %ld/%ld, %s earned by %ld workers, SMS %ld out"
               " / %ld in, outbox %ld",
            t, s->tasks_complete, s->tasks, s->answers, s->answers_needed, money, s->workers,
            s->sms_out, s->sms_in, s->outbox_waiting);
    for (int i = 0; i < s->nmodems; i++)
        fprintf(f, ", %s %s", s->modem[i].name, s->modem[i].state[0] ? s->modem[i].state : "-");
    fputc('\n', f);
    fflush(f);
}

void demo_view_summary(FILE *f, const demo_stats *s, const dw_pop *pop)
{
    char t[32], money[40];
    elapsed(s->elapsed_ms, t, sizeof t);
    money_format(money, sizeof money, s->money_minor, s->currency[0] ? s->currency : "KES", 0);
    fprintf(f, "\nBatch %s complete: %ld tasks, %ld answers in %s.\n", s->batch, s->tasks,
            s->answers, t);
    fprintf(f, "Workers earned %s in all; the gateway sent %ld SMS and received %ld.\n", money,
            s->sms_out, s->sms_in);
    persona_sum ps[DW__PERSONAS];
    sum_personas(pop, ps);
    for (int k = 0; k < DW__PERSONAS; k++) {
        if (!ps[k].people)
            continue;
        fprintf(f, "  %-13s %2d people: %3d answers (%d wrong), %d skipped, %d MORE, %d stopped\n",
                dw_persona_name((dw_persona)k), ps[k].people, ps[k].answers, ps[k].wrong,
                ps[k].skips, ps[k].mores, ps[k].stopped);
    }
    fflush(f);
}
