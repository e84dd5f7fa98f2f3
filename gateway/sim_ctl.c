/*
 * sim_ctl.c - the control protocol of `kazi sim`: parses one command line
 * (inject, sent, storage, report, fault, signal, stats, ussd-load, quit),
 * runs it against the engine and writes the answer; and `kazi sim ctl`, the
 * client that sends one command over the Unix socket.
 * Owns the command words and the JSON shapes (docs/simulator.md). Never
 * touches the pty or the poll loop (gateway/cmd_sim.c).
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "hex.h"
#include "pdu.h"
#include "sim_ctl.h"

#define CTL_TIMEOUT_MS 10000

static char *next_word(char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
    if (!**p)
        return NULL;
    char *w = *p;
    while (**p && **p != ' ' && **p != '\t')
        (*p)++;
    if (**p)
        *(*p)++ = '\0';
    return w;
}

/* Rest of the line with the separating blanks skipped; backslash escapes \n \r \t \\ decoded. */
static char *rest_text(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char *o = p;
    for (char *s = p; *s; s++) {
        if (*s != '\\' || !s[1]) {
            *o++ = *s;
            continue;
        }
        s++;
        *o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
    }
    *o = '\0';
    return p;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!s || !*s)
        return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static void say_error(FILE *out, const char *what, const kz_err *err)
{
    fprintf(out, "error %s: %s\n", what, err && err->msg[0] ? err->msg : "failed");
}

static void do_inject(sim_engine *e, char *p, sms_coding coding, uint64_t now, FILE *out)
{
    char *from = next_word(&p);
    char *text = from ? rest_text(p) : NULL;
    if (!from || !*text) {
        fprintf(out, "error usage: inject NUMBER TEXT\n");
        return;
    }
    size_t parts = 0;
    kz_err err;
    kz_err_clear(&err);
    if (sim_inject_text(e, from, text, strlen(text), coding, &parts, now, &err) != KZ_OK)
        say_error(out, "inject", &err);
    else
        fprintf(out, "ok parts=%zu\n", parts);
}

static void do_inject_pdu(sim_engine *e, char *p, uint64_t now, FILE *out)
{
    char *hex = next_word(&p);
    uint8_t pdu[SMS_PDU_MAX];
    size_t n = 0;
    kz_err err;
    kz_err_clear(&err);
    if (!hex) {
        fprintf(out, "error usage: inject-pdu HEX\n");
        return;
    }
    if (hex_decode(hex, strlen(hex), pdu, sizeof pdu, &n, &err) != KZ_OK ||
        sim_inject_pdu(e, pdu, n, now, &err) != KZ_OK)
        say_error(out, "inject-pdu", &err);
    else
        fprintf(out, "ok parts=1\n");
}

static json_t *time_json(const sms_time *t)
{
    char buf[32];
    return sms_time_format(t, buf, sizeof buf) == KZ_OK ? json_string(buf) : json_null();
}

static json_t *concat_json(const sms_message *m)
{
    if (!m->has_concat)
        return json_null();
    return json_pack("{s:i,s:i,s:i,s:i}", "ref", (int)m->concat.ref, "total",
                     (int)m->concat.total, "seq", (int)m->concat.seq, "ref_bits",
                     (int)m->concat.ref_bits);
}

/* The fields every decoded message shares: coding, text or data, concat, class. */
static void body_json(json_t *o, const sms_message *m)
{
    char hex[2 * SMS_UD_MAX + 1];
    json_object_set_new(o, "coding", json_string(sms_coding_name(m->dcsinfo.coding)));
    json_object_set_new(o, "dcs", json_integer(m->dcs));
    json_object_set_new(o, "text", m->has_text ? json_stringn(m->text, m->text_len) : json_null());
    if (!m->has_text && hex_encode(m->data, m->data_len, hex, sizeof hex) == KZ_OK)
        json_object_set_new(o, "data_hex", json_string(hex));
    json_object_set_new(o, "concat", concat_json(m));
    json_object_set_new(o, "class", m->dcsinfo.msg_class < 0 ? json_null()
                                                              : json_integer(m->dcsinfo.msg_class));
}

static json_t *sent_json(const sim_engine *e, const sim_sent *s)
{
    (void)e;
    const sms_message *m = &s->msg;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)s->id));
    json_object_set_new(o, "mr", json_integer(s->mr));
    json_object_set_new(o, "to", json_string(m->address.text));
    json_object_set_new(o, "toa", json_integer(m->address.toa));
    body_json(o, m);
    json_object_set_new(o, "srr", json_boolean(m->status_report));
    json_object_set_new(o, "vp", m->vp_format == 2 ? json_integer(m->vp[0]) : json_null());
    json_object_set_new(o, "unix_time", json_integer((json_int_t)s->unix_s));
    json_object_set_new(o, "at_ms", json_integer((json_int_t)s->at_ms));
    json_object_set_new(o, "report_status",
                        s->report_status < 0 ? json_null() : json_integer(s->report_status));
    json_object_set_new(o, "pdu", json_string(s->pdu_hex));
    return o;
}

static json_t *slot_json(const sim_slot_view *v)
{
    static const char *const stat_names[] = {"REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"};
    char hex[2 * SMS_PDU_MAX + 1];
    sms_message m;
    json_t *o = json_object();
    json_object_set_new(o, "mem", json_string(v->mem));
    json_object_set_new(o, "index", json_integer(v->index));
    json_object_set_new(o, "stat", json_integer(v->stat));
    json_object_set_new(o, "stat_name", json_string(stat_names[v->stat & 3]));
    if (hex_encode(v->pdu, v->pdu_len, hex, sizeof hex) == KZ_OK)
        json_object_set_new(o, "pdu", json_string(hex));
    if (pdu_decode(v->pdu, v->pdu_len, true, &m, NULL) != KZ_OK)
        return o;
    static const char *const types[] = {"deliver", "submit", "status-report"};
    json_object_set_new(o, "type", json_string(types[m.type]));
    json_object_set_new(o, "address", json_string(m.address.text));
    if (m.type == SMS_STATUS_REPORT) {
        json_object_set_new(o, "mr", json_integer(m.mr));
        json_object_set_new(o, "status", json_integer(m.status));
        return o;
    }
    body_json(o, &m);
    if (m.type == SMS_DELIVER)
        json_object_set_new(o, "timestamp", time_json(&m.scts));
    return o;
}

static void print_json_line(json_t *o, FILE *out)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    fprintf(out, "%s\n", s ? s : "null");
    free(s);
    json_decref(o);
}

static void do_sent(sim_engine *e, FILE *out)
{
    size_t n = sim_sent_count(e);
    fprintf(out, "ok %zu\n", n);
    for (size_t i = 0; i < n; i++)
        print_json_line(sent_json(e, sim_sent_get(e, i)), out);
}

static void do_storage(sim_engine *e, FILE *out)
{
    sim_slot_view v;
    size_t n = 0;
    while (sim_storage_get(e, n, &v))
        n++;
    fprintf(out, "ok %zu\n", n);
    for (size_t i = 0; i < n && sim_storage_get(e, i, &v); i++)
        print_json_line(slot_json(&v), out);
}

static void do_stats(sim_engine *e, FILE *out)
{
    sim_stats s;
    sim_get_stats(e, &s);
    json_t *o = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b,s:b}",
        "commands",
        (json_int_t)s.commands, "errors", (json_int_t)s.errors, "sent", (json_int_t)s.sent,
        "injected", (json_int_t)s.injected, "delivered", (json_int_t)s.delivered, "reports",
        (json_int_t)s.reports, "reports_dropped", (json_int_t)s.dropped, "boots",
        (json_int_t)s.boots, "garbage_bytes", (json_int_t)s.garbage, "ussd_sessions",
        (json_int_t)s.ussd_sessions, "queued", (json_int_t)s.queued, "sm_used",
        (json_int_t)s.sm_used, "sm_total", (json_int_t)s.sm_total, "me_used",
        (json_int_t)s.me_used, "me_total", (json_int_t)s.me_total, "acks_missed",
        (json_int_t)s.acks_missed, "registered", s.registered,
        "hung", s.hung, "dead", s.dead);
    char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    fprintf(out, "ok %s\n", txt ? txt : "{}");
    free(txt);
    json_decref(o);
}

static void do_report(sim_engine *e, char *p, uint64_t now, FILE *out)
{
    long mr, st;
    char *a = next_word(&p), *b = next_word(&p);
    kz_err err;
    kz_err_clear(&err);
    if (!parse_long(a, 0, 255, &mr) || !parse_long(b, 0, 255, &st)) {
        fprintf(out, "error usage: report REF STATUS (0-255 each)\n");
        return;
    }
    if (sim_report(e, (uint8_t)mr, (uint8_t)st, now, &err) != KZ_OK)
        say_error(out, "report", &err);
    else
        fprintf(out, "ok\n");
}

static const struct {
    const char *word;
    sim_fault_kind kind;
    int nargs;    /* required numeric arguments */
    int optional; /* extra optional ones */
} fault_words[] = {
    {"hang", SIM_FAULT_HANG, 0, 1},         {"reset", SIM_FAULT_RESET, 0, 0},
    {"garbage", SIM_FAULT_GARBAGE, 1, 0},   {"cms", SIM_FAULT_CMS, 2, 0},
    {"deregister", SIM_FAULT_DEREGISTER, 0, 0}, {"register", SIM_FAULT_REGISTER, 0, 0},
    {"dead", SIM_FAULT_DEAD, 0, 0},         {"power-cycle", SIM_FAULT_POWER_CYCLE, 0, 0},
    {"clear", SIM_FAULT_CLEAR, 0, 0},
};

static void do_fault(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    char *w = next_word(&p);
    long v[2] = {0, 0};
    if (w && strcmp(w, "vanish") == 0) {
        if (!parse_long(next_word(&p), 0, 3600000, &v[0])) {
            fprintf(out, "error usage: fault vanish MS\n");
            return;
        }
        act->vanish = true;
        act->vanish_ms = v[0];
        fprintf(out, "ok\n");
        return;
    }
    for (size_t i = 0; w && i < sizeof fault_words / sizeof fault_words[0]; i++) {
        if (strcmp(w, fault_words[i].word) != 0)
            continue;
        int k = 0;
        for (char *a; k < fault_words[i].nargs + fault_words[i].optional && (a = next_word(&p));
             k++)
            if (!parse_long(a, 0, 100000000L, &v[k]))
                break;
        if (k < fault_words[i].nargs || next_word(&p) ||
            sim_fault(e, fault_words[i].kind, v[0], v[1], now) != KZ_OK) {
            fprintf(out, "error bad arguments for fault %s\n", w);
            return;
        }
        fprintf(out, "ok\n");
        return;
    }
    fprintf(out, "error usage: fault hang [MS]|reset|garbage N|cms CODE COUNT|deregister|"
                 "register|dead|power-cycle|vanish MS|clear\n");
}

static void do_signal(sim_engine *e, char *p, FILE *out)
{
    long v;
    if (!parse_long(next_word(&p), 0, 99, &v) || sim_set_signal(e, (int)v) != KZ_OK)
        fprintf(out, "error usage: signal RSSI (0-31 or 99)\n");
    else
        fprintf(out, "ok\n");
}

static void do_sent_clear(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)p, (void)now, (void)act;
    sim_sent_clear(e);
    fprintf(out, "ok\n");
}

static void do_ussd_load(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)e, (void)now, (void)out;
    char *path = next_word(&p);
    if (!path) {
        fprintf(out, "error usage: ussd-load PATH\n");
        return;
    }
    snprintf(act->script_path, sizeof act->script_path, "%s", path);
    act->load_script = true; /* the process reads the file and answers */
}

static void do_quit(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)e, (void)p, (void)now;
    act->quit = true;
    fprintf(out, "ok bye\n");
}

static void w_inject(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)act;
    do_inject(e, p, SMS_CODING_AUTO, now, out);
}

static void w_inject_ucs2(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)act;
    do_inject(e, p, SMS_CODING_UCS2, now, out);
}

static void w_inject_pdu(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)act;
    do_inject_pdu(e, p, now, out);
}

static void w_sent(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)p, (void)now, (void)act;
    do_sent(e, out);
}

static void w_storage(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)p, (void)now, (void)act;
    do_storage(e, out);
}

static void w_report(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)act;
    do_report(e, p, now, out);
}

static void w_signal(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)now, (void)act;
    do_signal(e, p, out);
}

static void w_stats(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out)
{
    (void)p, (void)now, (void)act;
    do_stats(e, out);
}

static const struct {
    const char *word;
    void (*fn)(sim_engine *e, char *p, uint64_t now, sim_ctl_action *act, FILE *out);
} ctl_words[] = {
    {"inject", w_inject},       {"inject-ucs2", w_inject_ucs2}, {"inject-pdu", w_inject_pdu},
    {"sent", w_sent},           {"sent-clear", do_sent_clear},  {"storage", w_storage},
    {"report", w_report},       {"fault", do_fault},            {"signal", w_signal},
    {"stats", w_stats},         {"ussd-load", do_ussd_load},    {"quit", do_quit},
};

void sim_ctl_run(sim_engine *e, char *line, uint64_t now_ms, sim_ctl_action *act, FILE *out)
{
    char *p = line;
    char *cmd = next_word(&p);
    sim_tick(e, now_ms);
    if (!cmd) {
        fprintf(out, "error empty command\n");
        return;
    }
    for (size_t i = 0; i < sizeof ctl_words / sizeof ctl_words[0]; i++) {
        if (strcmp(cmd, ctl_words[i].word) == 0) {
            ctl_words[i].fn(e, p, now_ms, act, out);
            return;
        }
    }
    fprintf(out, "error unknown command '%s'\n", cmd);
}

/* ---- the client ---- */

static int connect_socket(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "kazi sim ctl: socket path too long\n");
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "kazi sim ctl: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static bool write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* Read until `lines` complete lines are in buf (or EOF / timeout). Returns false on failure. */
static bool read_lines(int fd, char **buf, size_t *len, size_t *cap, size_t lines)
{
    for (;;) {
        size_t have = 0;
        for (size_t i = 0; i < *len; i++)
            have += (*buf)[i] == '\n';
        if (have >= lines)
            return true;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0)
            return false;
        if (*cap - *len < 4096) {
            char *nb = realloc(*buf, *cap * 2 + 4096);
            if (!nb)
                return false;
            *buf = nb;
            *cap = *cap * 2 + 4096;
        }
        ssize_t r = read(fd, *buf + *len, *cap - *len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        *len += (size_t)r;
        (*buf)[*len] = '\0';
    }
}

static int print_answer(const char *cmd, const char *buf)
{
    const char *nl = strchr(buf, '\n');
    bool listing = strcmp(cmd, "sent") == 0 || strcmp(cmd, "storage") == 0;
    if (strncmp(buf, "ok", 2) != 0) {
        fprintf(stderr, "%.*s\n", (int)(nl - buf), buf);
        return CLI_FAIL;
    }
    if (listing)
        fputs(nl + 1, stdout);
    else
        printf("%.*s\n", (int)(nl - buf), buf);
    return CLI_OK;
}

int sim_ctl_client(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kazi sim ctl SOCKET COMMAND [ARGS...]\n");
        return CLI_USAGE;
    }
    size_t n = 2;
    for (int i = 2; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *line = malloc(n);
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    int fd = line && buf ? connect_socket(argv[1]) : -1;
    int rc = CLI_FAIL;
    if (fd >= 0) {
        line[0] = '\0';
        for (int i = 2; i < argc; i++)
            strcat(strcat(line, argv[i]), i + 1 < argc ? " " : "\n");
        long more = 0;
        bool ok = write_all(fd, line, strlen(line)) && read_lines(fd, &buf, &len, &cap, 1);
        if (ok && (strcmp(argv[2], "sent") == 0 || strcmp(argv[2], "storage") == 0) &&
            sscanf(buf, "ok %ld", &more) == 1 && more > 0)
            ok = read_lines(fd, &buf, &len, &cap, (size_t)more + 1);
        if (ok)
            rc = print_answer(argv[2], buf);
        else
            fprintf(stderr, "kazi sim ctl: no answer from %s\n", argv[1]);
        close(fd);
    }
    free(line);
    free(buf);
    return rc;
}
