/*
 * at_parse.c - the AT response push parser (see at_parse.h for the rules).
 * Owns: line assembly, the final-result and URC tables, the pending command.
 * Never allocates, logs, or looks for a result code inside a line: finals
 * and URCs match whole lines or exact prefixes only (Kannel's smsc_at.c found
 * "OK" anywhere in a line and delivered messages from inside a wait).
 */
#include "at_parse.h"

#include <string.h>

/* How a table entry matches a line. */
enum { M_EXACT, M_PREFIX };

/* URC table flags. */
#define U_TWO_LINES 1u   /* the next line is the body (PDU) */
#define U_TWO_IF_BARE 2u /* two lines only without a comma (+CDS PDU vs text mode) */

typedef struct final_row {
    const char *text;
    int match;
    at_final final;
} final_row;

typedef struct urc_row {
    const char *text;
    int match;
    at_urc urc;
    unsigned flags;
} urc_row;

static const final_row finals[] = {
    {"OK", M_EXACT, AT_FINAL_OK},
    {"ERROR", M_EXACT, AT_FINAL_ERROR},
    {"+CME ERROR:", M_PREFIX, AT_FINAL_CME_ERROR},
    {"+CMS ERROR:", M_PREFIX, AT_FINAL_CMS_ERROR},
    {"NO CARRIER", M_EXACT, AT_FINAL_NO_CARRIER},
    {"BUSY", M_EXACT, AT_FINAL_BUSY},
    {"NO ANSWER", M_EXACT, AT_FINAL_NO_ANSWER},
    {"NO DIALTONE", M_EXACT, AT_FINAL_NO_DIALTONE},
    {"NO DIAL TONE", M_EXACT, AT_FINAL_NO_DIALTONE},
    {"CONNECT", M_EXACT, AT_FINAL_CONNECT},
    {"CONNECT ", M_PREFIX, AT_FINAL_CONNECT},
    {"COMMAND NOT SUPPORT", M_EXACT, AT_FINAL_ERROR}, /* Huawei, ZTE */
    {"TOO MANY PARAMETERS", M_EXACT, AT_FINAL_ERROR}, /* ZTE, Qualcomm */
};

/* ATV0 numeric result codes (V.250 table 1); "2" (RING) is a URC. */
static const at_final numeric_finals[10] = {
    [0] = AT_FINAL_OK,         [1] = AT_FINAL_CONNECT,     [3] = AT_FINAL_NO_CARRIER,
    [4] = AT_FINAL_ERROR,      [6] = AT_FINAL_NO_DIALTONE, [7] = AT_FINAL_BUSY,
    [8] = AT_FINAL_NO_ANSWER,
};

static const urc_row urcs[] = {
    {"+CMTI:", M_PREFIX, AT_URC_CMTI, 0},
    {"+CMT:", M_PREFIX, AT_URC_CMT, U_TWO_LINES},
    {"+CDSI:", M_PREFIX, AT_URC_CDSI, 0},
    {"+CDS:", M_PREFIX, AT_URC_CDS, U_TWO_IF_BARE},
    {"+CBM:", M_PREFIX, AT_URC_CBM, U_TWO_LINES},
    {"+CUSD:", M_PREFIX, AT_URC_CUSD, 0},
    {"+CREG:", M_PREFIX, AT_URC_CREG, 0},
    {"+CGREG:", M_PREFIX, AT_URC_CREG, 0},
    {"+CEREG:", M_PREFIX, AT_URC_CREG, 0},
    {"RING", M_EXACT, AT_URC_RING, 0},
    {"+CRING:", M_PREFIX, AT_URC_RING, 0},
    {"+CLIP:", M_PREFIX, AT_URC_CLIP, 0},
    {"+CIEV:", M_PREFIX, AT_URC_CIEV, 0},
    {"RDY", M_EXACT, AT_URC_BOOT, 0},
    {"Call Ready", M_EXACT, AT_URC_BOOT, 0},
    {"SMS Ready", M_EXACT, AT_URC_BOOT, 0},
    {"PB DONE", M_EXACT, AT_URC_BOOT, 0},
    {"+CFUN:", M_PREFIX, AT_URC_BOOT, 0},
    {"+CPIN:", M_PREFIX, AT_URC_BOOT, 0},
    {"NORMAL POWER DOWN", M_EXACT, AT_URC_POWER_DOWN, 0},
    {"UNDER-VOLTAGE POWER DOWN", M_EXACT, AT_URC_POWER_DOWN, 0},
    {"OVER-VOLTAGE POWER DOWN", M_EXACT, AT_URC_POWER_DOWN, 0},
    {"UNDER-VOLTAGE WARNNING", M_EXACT, AT_URC_VOLTAGE_WARNING, 0},
    {"OVER-VOLTAGE WARNNING", M_EXACT, AT_URC_VOLTAGE_WARNING, 0},
    {"UNDER-VOLTAGE WARNING", M_EXACT, AT_URC_VOLTAGE_WARNING, 0},
    {"OVER-VOLTAGE WARNING", M_EXACT, AT_URC_VOLTAGE_WARNING, 0},
    {"^", M_PREFIX, AT_URC_NOISE, 0}, /* ^RSSI ^MODE ^BOOT ^DSFLOWRPT ^SRVST ^SIMST ... */
    {"+CTZV:", M_PREFIX, AT_URC_NOISE, 0},
    {"+CTZE:", M_PREFIX, AT_URC_NOISE, 0},
    {"*PSUTTZ:", M_PREFIX, AT_URC_NOISE, 0},
    {"DST:", M_PREFIX, AT_URC_NOISE, 0},
    {"+CGEV:", M_PREFIX, AT_URC_NOISE, 0},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const urc_row numeric_ring = {"2", M_EXACT, AT_URC_RING, 0};

static const char prompt_text[] = "> ";

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool has_prefix(const char *line, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    return len >= n && memcmp(line, pre, n) == 0;
}

static bool row_matches(const char *line, size_t len, const char *text, int match)
{
    if (match == M_EXACT)
        return len == strlen(text) && memcmp(line, text, len) == 0;
    return has_prefix(line, len, text);
}

static void emit(at_parser *p, at_event *ev)
{
    if (!p->cb)
        return;
    p->in_callback = true;
    p->cb(p->ctx, ev);
    p->in_callback = false;
}

static void clear_pending(at_parser *p)
{
    p->pending = false;
    p->echo_possible = false;
    p->prompt_wanted = false;
    p->cmd_len = 0;
    p->cmd[0] = '\0';
    p->prefix_len = 0;
    p->prefix[0] = '\0';
}

void at_parser_init(at_parser *p, at_event_fn cb, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->cb = cb;
    p->ctx = ctx;
}

void at_parser_reset(at_parser *p)
{
    at_event_fn cb = p->cb;
    void *ctx = p->ctx;
    bool numeric = p->numeric;
    at_parser_init(p, cb, ctx);
    p->numeric = numeric;
}

void at_parser_set_numeric(at_parser *p, bool on)
{
    p->numeric = on;
}

bool at_parser_pending(const at_parser *p)
{
    return p->pending;
}

void at_parser_cancel(at_parser *p)
{
    clear_pending(p);
}

/* "AT+CREG?" -> "+CREG"; basic commands ("ATE0", "AT") have no prefix. */
static void derive_prefix(at_parser *p)
{
    const char *c = p->cmd + 2;
    size_t n = 0;
    p->prefix_len = 0;
    p->prefix[0] = '\0';
    if (!strchr("+^$#%*", *c) || *c == '\0')
        return;
    p->prefix[n++] = *c++;
    while (*c && *c != '=' && *c != '?' && *c != ';' && *c != ' ') {
        if (n == AT_PREFIX_MAX)
            return; /* too long to be a reply prefix we could match */
        p->prefix[n++] = upper(*c++);
    }
    if (n < 2)
        return;
    p->prefix[n] = '\0';
    p->prefix_len = n;
}

kz_status at_parser_expect(at_parser *p, const char *cmd, unsigned flags)
{
    size_t n = strlen(cmd);
    while (n > 0 && (cmd[n - 1] == '\r' || cmd[n - 1] == '\n'))
        n--;
    if (p->pending)
        return KZ_ERR_BUSY;
    if (n < 2 || upper(cmd[0]) != 'A' || upper(cmd[1]) != 'T')
        return KZ_ERR_INVALID;
    if (n > AT_CMD_MAX)
        return KZ_ERR_NOSPACE;
    memcpy(p->cmd, cmd, n);
    p->cmd[n] = '\0';
    p->cmd_len = n;
    p->pending = true;
    p->echo_possible = true;
    p->prompt_wanted = (flags & AT_EXPECT_PROMPT) != 0;
    derive_prefix(p);
    return KZ_OK;
}

static bool is_echo(const at_parser *p, const char *line, size_t len)
{
    if (!p->pending || !p->echo_possible || len != p->cmd_len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (upper(line[i]) != upper(p->cmd[i]))
            return false;
    return true;
}

/* The number or verbose text after "+CME ERROR:" / "+CMS ERROR:"; -1 if neither. */
static int error_code(const char *s, size_t len, bool cms)
{
    while (len > 0 && s[0] == ' ') {
        s++;
        len--;
    }
    while (len > 0 && s[len - 1] == ' ')
        len--;
    if (len == 0)
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 99999)
            return cms ? at_cms_code(s, len) : at_cme_code(s, len);
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static at_final match_final(const at_parser *p, const char *line, size_t len, int *code)
{
    *code = -1;
    if (p->numeric && len == 1 && line[0] >= '0' && line[0] <= '9')
        return numeric_finals[line[0] - '0'];
    for (size_t i = 0; i < NELEM(finals); i++) {
        const final_row *r = &finals[i];
        if (!row_matches(line, len, r->text, r->match))
            continue;
        if (r->final == AT_FINAL_CME_ERROR || r->final == AT_FINAL_CMS_ERROR) {
            size_t n = strlen(r->text);
            *code = error_code(line + n, len - n, r->final == AT_FINAL_CMS_ERROR);
        }
        return r->final;
    }
    return AT_FINAL_NONE;
}

/* "+CREG: 0,1" while AT+CREG? is pending belongs to the command. */
static bool is_response(const at_parser *p, const char *line, size_t len)
{
    size_t n = p->prefix_len;
    return p->pending && n > 0 && len > n && memcmp(line, p->prefix, n) == 0 &&
           line[n] == ':';
}

static const urc_row *match_urc(const at_parser *p, const char *line, size_t len)
{
    if (p->numeric && len == 1 && line[0] == '2')
        return &numeric_ring;
    if (is_response(p, line, len))
        return NULL;
    for (size_t i = 0; i < NELEM(urcs); i++)
        if (row_matches(line, len, urcs[i].text, urcs[i].match))
            return &urcs[i];
    return NULL;
}

static bool wants_body(const urc_row *r, const char *line, size_t len)
{
    if (r->flags & U_TWO_LINES)
        return true;
    return (r->flags & U_TWO_IF_BARE) && memchr(line, ',', len) == NULL;
}

static void emit_final(at_parser *p, const char *line, size_t len, at_final f, int code)
{
    at_event ev = {.line = line, .len = len, .final = f, .code = code};
    ev.kind = p->pending ? AT_EV_FINAL : AT_EV_STRAY_FINAL;
    clear_pending(p);
    emit(p, &ev);
}

static void emit_urc(at_parser *p, const char *line, size_t len, at_urc u, const char *body,
                     size_t body_len)
{
    at_event ev = {.kind = AT_EV_URC, .line = line, .len = len, .urc = u, .code = -1};
    ev.body = body;
    ev.body_len = body_len;
    emit(p, &ev);
}

static void emit_line(at_parser *p, const char *line, size_t len)
{
    at_event ev = {.line = line, .len = len, .code = -1};
    ev.kind = p->pending ? AT_EV_LINE : AT_EV_STRAY_LINE;
    p->echo_possible = false;
    emit(p, &ev);
}

/* The body of the waiting two-line URC has arrived in p->line. */
static void finish_two_line(at_parser *p, size_t len)
{
    p->head_pending = false;
    emit_urc(p, p->head, p->head_len, p->head_urc, p->line, len);
}

static void classify(at_parser *p, size_t len)
{
    const char *line = p->line;
    int code;
    if (is_echo(p, line, len)) {
        p->echo_possible = false;
        return;
    }
    at_final f = match_final(p, line, len, &code);
    if (f != AT_FINAL_NONE) {
        emit_final(p, line, len, f, code);
        return;
    }
    const urc_row *r = match_urc(p, line, len);
    if (!r) {
        emit_line(p, line, len);
    } else if (wants_body(r, line, len)) {
        memcpy(p->head, line, len + 1);
        p->head_len = len;
        p->head_urc = r->urc;
        p->head_pending = true;
    } else {
        emit_urc(p, line, len, r->urc, NULL, 0);
    }
}

static void end_line(at_parser *p)
{
    size_t len = p->len;
    p->len = 0;
    p->quoted = false;
    if (len == 0)
        return; /* empty lines (CR LF pairs, CR CR LF after an echo) mean nothing */
    p->line[len] = '\0';
    if (p->head_pending)
        finish_two_line(p, len);
    else
        classify(p, len);
}

static void start_overflow(at_parser *p)
{
    at_event ev = {.kind = AT_EV_OVERFLOW, .line = p->line, .len = p->len, .code = -1};
    p->line[p->len] = '\0';
    p->len = 0;
    p->overflow = true;
    p->quoted = false;
    p->head_pending = false; /* a two-line URC whose body overflowed is lost */
    emit(p, &ev);
}

static void emit_prompt(at_parser *p)
{
    at_event ev = {.kind = AT_EV_PROMPT, .line = prompt_text, .len = 2, .code = -1};
    p->prompt_wanted = false;
    p->echo_possible = false;
    p->skip_space = true;
    emit(p, &ev);
}

static void feed_byte(at_parser *p, char c)
{
    if (p->skip_space) {
        p->skip_space = false;
        if (c == ' ')
            return;
    }
    if ((c == '\r' || c == '\n') && !p->quoted) {
        if (p->overflow)
            p->overflow = false;
        else
            end_line(p);
        return;
    }
    if (p->overflow)
        return;
    if (c == '>' && p->len == 0 && p->prompt_wanted && !p->head_pending) {
        emit_prompt(p);
        return;
    }
    if (p->len == AT_LINE_MAX) {
        start_overflow(p);
        return;
    }
    p->line[p->len++] = c;
    if (c == '"' && !p->head_pending && has_prefix(p->line, p->len, "+CUSD:"))
        p->quoted = !p->quoted;
}

kz_status at_parser_feed(at_parser *p, const uint8_t *buf, size_t len)
{
    if (p->in_callback)
        return KZ_ERR_STATE;
    for (size_t i = 0; i < len; i++)
        feed_byte(p, (char)buf[i]);
    return KZ_OK;
}

kz_status at_parser_flush(at_parser *p)
{
    if (p->in_callback)
        return KZ_ERR_STATE;
    p->skip_space = false;
    if (p->overflow) {
        p->overflow = false;
        p->len = 0;
    }
    end_line(p);
    if (p->head_pending) {
        p->head_pending = false;
        emit_urc(p, p->head, p->head_len, p->head_urc, NULL, 0);
    }
    return KZ_OK;
}

const char *at_urc_name(at_urc u)
{
    static const char *const names[] = {
        [AT_URC_NONE] = "none",          [AT_URC_CMTI] = "+CMTI",
        [AT_URC_CMT] = "+CMT",           [AT_URC_CDSI] = "+CDSI",
        [AT_URC_CDS] = "+CDS",           [AT_URC_CBM] = "+CBM",
        [AT_URC_CUSD] = "+CUSD",         [AT_URC_CREG] = "+CREG",
        [AT_URC_RING] = "RING",          [AT_URC_CLIP] = "+CLIP",
        [AT_URC_BOOT] = "boot",          [AT_URC_POWER_DOWN] = "power down",
        [AT_URC_VOLTAGE_WARNING] = "voltage warning", [AT_URC_NOISE] = "noise",
        [AT_URC_CIEV] = "+CIEV",
    };
    if ((unsigned)u >= NELEM(names) || !names[u])
        return "?";
    return names[u];
}

const char *at_final_name(at_final f)
{
    static const char *const names[] = {
        [AT_FINAL_NONE] = "none",           [AT_FINAL_OK] = "OK",
        [AT_FINAL_CONNECT] = "CONNECT",     [AT_FINAL_ERROR] = "ERROR",
        [AT_FINAL_CME_ERROR] = "+CME ERROR", [AT_FINAL_CMS_ERROR] = "+CMS ERROR",
        [AT_FINAL_NO_CARRIER] = "NO CARRIER", [AT_FINAL_BUSY] = "BUSY",
        [AT_FINAL_NO_ANSWER] = "NO ANSWER", [AT_FINAL_NO_DIALTONE] = "NO DIALTONE",
    };
    if ((unsigned)f >= NELEM(names) || !names[f])
        return "?";
    return names[f];
}

const char *at_event_name(at_event_kind k)
{
    static const char *const names[] = {
        [AT_EV_LINE] = "line",         [AT_EV_FINAL] = "final",
        [AT_EV_PROMPT] = "prompt",     [AT_EV_URC] = "urc",
        [AT_EV_STRAY_LINE] = "stray line", [AT_EV_STRAY_FINAL] = "stray final",
        [AT_EV_OVERFLOW] = "overflow",
    };
    if ((unsigned)k >= NELEM(names) || !names[k])
        return "?";
    return names[k];
}
