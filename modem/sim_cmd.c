/*
 * sim_cmd.c - the simulated modem's command line interpreter and its general
 * commands: identity (SIMCom SIM800 strings), echo, error reporting, PIN,
 * registration, signal, operator, functionality and character set.
 * Owns splitting "AT<cmd>[;<cmd>...]" into commands, the command table and the
 * settings a boot restores. Never touches SMS storage (sim_sms.c) or USSD
 * sessions (sim_ussd.c) directly.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sim_internal.h"

#define SIM_MANUFACTURER "SIMCOM_Ltd"
#define SIM_MODEL "SIMCOM_SIM800"
#define SIM_REVISION "Revision:1418B04SIM800L24"
#define SIM_IMEI "867856030123459"
#define SIM_IMSI "639020123456789"
#define SIM_ICCID "89254021234567890123"
#define SIM_OPERATOR "Safaricom"
#define SIM_OPERATOR_NUM "63902"

void sim_settings_reset(sim_engine *e)
{
    e->echo = true;
    e->cmee = 0;
    e->creg_n = 0;
    e->cgreg_n = 0;
    snprintf(e->cscs, sizeof e->cscs, "IRA");
    int cnmi[5] = {2, 1, 0, 0, 0}; /* SIM800 default: +CMTI on, no reports */
    if (e->cfg.cnmi_mode == SIM_CNMI_CMT)
        cnmi[1] = 0; /* no mt=1 on such modems: stored without indication until told */
    memcpy(e->cnmi, cnmi, sizeof cnmi);
    e->csms = e->cfg.csms_service;
    e->cops_format = 0;
    e->cusd_n = 0;
    e->cfun = 1;
    e->mem_sel[0] = e->mem_sel[1] = e->mem_sel[2] = 0;
}

bool sim_registered(const sim_engine *e)
{
    return e->cfun == 1 && e->pin_locked == 0 && !e->net_lost && !e->dead && !e->booting;
}

/* +CREG <stat>: 1 registered home, 2 searching (lost network), 0 not trying. */
int sim_creg_stat(const sim_engine *e)
{
    if (sim_registered(e))
        return 1;
    if (e->cfun == 1 && e->pin_locked == 0 && e->net_lost)
        return 2;
    return 0;
}

static void creg_fields(const sim_engine *e, int n, char *out, size_t cap)
{
    int stat = sim_creg_stat(e);
    if (n == 2 && stat == 1)
        snprintf(out, cap, "%d,\"0FA3\",\"1C2B\"", stat);
    else
        snprintf(out, cap, "%d", stat);
}

/* Announce the registration state when AT+CREG=1 or 2 asked for it. */
void sim_creg_urc(sim_engine *e)
{
    char f[40];
    if (e->creg_n > 0) {
        creg_fields(e, e->creg_n, f, sizeof f);
        sim_urc(e, "+CREG: %s", f);
    }
    if (e->cgreg_n > 0)
        sim_urc(e, "+CGREG: %d", sim_creg_stat(e));
}

static sim_res fixed_line(sim_op op, sim_buf *out, const char *text)
{
    if (op == SIM_OP_TEST)
        return sim_ok();
    if (op != SIM_OP_EXEC)
        return sim_error();
    sim_line(out, "%s", text);
    return sim_ok();
}

static sim_res cmd_cgmi(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, SIM_MANUFACTURER);
}

static sim_res cmd_cgmm(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, SIM_MODEL);
}

static sim_res cmd_cgmr(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, SIM_REVISION);
}

static sim_res cmd_cgsn(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, SIM_IMEI);
}

static sim_res cmd_cimi(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)args;
    if (e->pin_locked)
        return sim_cme(e->pin_locked == 1 ? 11 : 12);
    return fixed_line(op, out, SIM_IMSI);
}

static sim_res cmd_ccid(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, SIM_ICCID);
}

/* Read/test/set of a small integer setting: AT+X? prints "+X: v", AT+X=v sets it. */
static sim_res int_setting(sim_op op, const char *args, sim_buf *out, const char *name, int *v,
                           int lo, int hi)
{
    sim_args a = {args, false};
    long x;
    switch (op) {
    case SIM_OP_READ:
        sim_line(out, "%s: %d", name, *v);
        return sim_ok();
    case SIM_OP_TEST:
        sim_line(out, "%s: (%d-%d)", name, lo, hi);
        return sim_ok();
    case SIM_OP_SET:
        if (!sim_arg_int(&a, lo, hi, &x) || !sim_arg_end(&a))
            return sim_error();
        *v = (int)x;
        return sim_ok();
    case SIM_OP_EXEC:
        break;
    }
    return sim_error();
}

static sim_res cmd_cmee(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    return int_setting(op, args, out, "+CMEE", &e->cmee, 0, 2);
}

static sim_res cmd_cpin(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    static const char *const state[] = {"READY", "SIM PIN", "SIM PUK"};
    sim_args a = {args, false};
    char pin[16];
    if (op == SIM_OP_READ) {
        sim_line(out, "+CPIN: %s", state[e->pin_locked]);
        return sim_ok();
    }
    if (op == SIM_OP_TEST)
        return sim_ok();
    if (op != SIM_OP_SET || !sim_arg_str(&a, pin, sizeof pin))
        return sim_error();
    if (e->pin_locked == 0)
        return sim_cme(3);
    if (e->pin_locked == 2)
        return sim_cme(12);
    if (strcmp(pin, e->pin) != 0) {
        if (--e->pin_tries <= 0)
            e->pin_locked = 2;
        return sim_cme(16);
    }
    e->pin_locked = 0;
    e->pin_tries = 3;
    sim_urc(e, "Call Ready");
    sim_urc(e, "SMS Ready");
    sim_creg_urc(e);
    return sim_ok();
}

static sim_res cmd_creg(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    char f[40];
    if (op == SIM_OP_READ) {
        creg_fields(e, e->creg_n, f, sizeof f);
        sim_line(out, "+CREG: %d,%s", e->creg_n, f);
        return sim_ok();
    }
    return int_setting(op, args, out, "+CREG", &e->creg_n, 0, 2);
}

static sim_res cmd_cgreg(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    if (op == SIM_OP_READ) {
        sim_line(out, "+CGREG: %d,%d", e->cgreg_n, sim_creg_stat(e));
        return sim_ok();
    }
    return int_setting(op, args, out, "+CGREG", &e->cgreg_n, 0, 2);
}

/* +CGATT: packet attach follows registration (libgammu asks for it with the network info). */
static sim_res cmd_cgatt(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    int attached = sim_creg_stat(e) == 1;
    if (op == SIM_OP_READ) {
        sim_line(out, "+CGATT: %d", attached);
        return sim_ok();
    }
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CGATT: (0,1)");
        return sim_ok();
    }
    return int_setting(op, args, out, "+CGATT", &attached, 0, 1);
}

static sim_res cmd_csq(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)args;
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CSQ: (0-31,99),(0-7,99)");
        return sim_ok();
    }
    if (op != SIM_OP_EXEC)
        return sim_error();
    sim_line(out, "+CSQ: %d,0", e->cfun == 1 ? e->rssi : 99);
    return sim_ok();
}

static sim_res cmd_cops(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long mode, fmt;
    switch (op) {
    case SIM_OP_READ:
        if (!sim_registered(e))
            sim_line(out, "+COPS: 0");
        else if (e->cops_format == 2)
            sim_line(out, "+COPS: 0,2,\"%s\"", SIM_OPERATOR_NUM);
        else
            sim_line(out, "+COPS: 0,%d,\"%s\"", e->cops_format, SIM_OPERATOR);
        return sim_ok();
    case SIM_OP_TEST:
        sim_line(out, "+COPS: (2,\"%s\",\"%s\",\"%s\"),,(0-4),(0-2)", SIM_OPERATOR, SIM_OPERATOR,
                 SIM_OPERATOR_NUM);
        return sim_ok();
    case SIM_OP_SET:
        if (!sim_arg_int(&a, 0, 4, &mode))
            return sim_error();
        if (sim_arg_int(&a, 0, 2, &fmt))
            e->cops_format = (int)fmt;
        return a.bad ? sim_error() : sim_ok();
    case SIM_OP_EXEC:
        break;
    }
    return sim_error();
}

static sim_res cmd_cfun(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    sim_args a = {args, false};
    long fun, rst = 0;
    if (op == SIM_OP_READ) {
        sim_line(out, "+CFUN: %d", e->cfun);
        return sim_ok();
    }
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CFUN: (0,1,4),(0,1)");
        return sim_ok();
    }
    if (op != SIM_OP_SET || !sim_arg_int(&a, 0, 4, &fun) || fun == 2 || fun == 3)
        return sim_error();
    if (sim_arg_more(&a) && !sim_arg_int(&a, 0, 1, &rst))
        return sim_error();
    if (!sim_arg_end(&a))
        return sim_error();
    if (rst == 1) {
        sim_boot(e, true);
        return (sim_res){SIM_RES_NONE, 0};
    }
    e->cfun = (int)fun;
    sim_creg_urc(e);
    return sim_ok();
}

static sim_res cmd_cscs(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    static const char *const sets[] = {"IRA", "GSM", "UCS2", "HEX", "PCCP", "PCDN", "8859-1"};
    sim_args a = {args, false};
    char cs[16];
    if (op == SIM_OP_READ) {
        sim_line(out, "+CSCS: \"%s\"", e->cscs);
        return sim_ok();
    }
    if (op == SIM_OP_TEST) {
        sim_line(out, "+CSCS: (\"IRA\",\"GSM\",\"UCS2\",\"HEX\",\"PCCP\",\"PCDN\",\"8859-1\")");
        return sim_ok();
    }
    if (op != SIM_OP_SET || !sim_arg_str(&a, cs, sizeof cs) || !sim_arg_end(&a))
        return sim_error();
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        if (strcmp(cs, sets[i]) == 0) {
            snprintf(e->cscs, sizeof e->cscs, "%s", sets[i]);
            return sim_ok();
        }
    }
    return sim_error();
}

static sim_res cmd_cclk(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)args;
    sms_time t;
    if (op == SIM_OP_SET || op == SIM_OP_TEST)
        return sim_ok(); /* the simulated clock follows the host's */
    if (op != SIM_OP_READ)
        return sim_error();
    sim_time_now(e, &t);
    sim_line(out, "+CCLK: \"%02d/%02d/%02d,%02d:%02d:%02d%+03d\"", t.year % 100, t.month, t.day,
             t.hour, t.minute, t.second, t.tz_minutes / 15);
    return sim_ok();
}

static sim_res cmd_accept(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)op, (void)args, (void)out;
    return sim_ok();
}

static sim_res cmd_cpas(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, "+CPAS: 0");
}

static sim_res cmd_cbc(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, "+CBC: 0,87,4102");
}

static sim_res cmd_gcap(sim_engine *e, sim_op op, const char *args, sim_buf *out)
{
    (void)e, (void)args;
    return fixed_line(op, out, "+GCAP: +CGSM");
}

static const sim_cmd_entry general_commands[] = {
    {"+CGMI", cmd_cgmi, false, false}, {"+GMI", cmd_cgmi, false, false},
    {"+CGMM", cmd_cgmm, false, false}, {"+GMM", cmd_cgmm, false, false},
    {"+CGMR", cmd_cgmr, false, false}, {"+GMR", cmd_cgmr, false, false},
    {"+CGSN", cmd_cgsn, false, false}, {"+GSN", cmd_cgsn, false, false},
    {"+CIMI", cmd_cimi, false, false}, {"+CCID", cmd_ccid, false, false},
    {"+CMEE", cmd_cmee, false, false}, {"+CPIN", cmd_cpin, false, false},
    {"+CREG", cmd_creg, false, false}, {"+CGREG", cmd_cgreg, false, false},
    {"+CGATT", cmd_cgatt, false, false},
    {"+CSQ", cmd_csq, false, false},   {"+COPS", cmd_cops, false, false},
    {"+CFUN", cmd_cfun, false, false}, {"+CSCS", cmd_cscs, false, false},
    {"+CCLK", cmd_cclk, false, false}, {"+CPAS", cmd_cpas, false, false},
    {"+CBC", cmd_cbc, false, false},   {"+GCAP", cmd_gcap, false, false},
    {"+IPR", cmd_accept, false, false}, {"+IFC", cmd_accept, false, false},
    {"+ICF", cmd_accept, false, false}, {"+CNUM", cmd_accept, false, false},
    {"+CHUP", cmd_accept, false, false}, {"+CLIP", cmd_accept, false, false},
    {NULL, NULL, false, false},
};

static const sim_cmd_entry *find_in(const sim_cmd_entry *t, const char *name)
{
    for (; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static const sim_cmd_entry *find_command(const char *name)
{
    const sim_cmd_entry *c = find_in(general_commands, name);
    if (!c)
        c = find_in(sim_sms_commands, name);
    if (!c)
        c = find_in(sim_store_commands, name);
    if (!c)
        c = find_in(sim_ussd_commands, name);
    return c;
}

static sim_res run_extended(sim_engine *e, const char *name, sim_op op, const char *args,
                            sim_buf *out)
{
    const sim_cmd_entry *c = find_command(name);
    if (!c)
        return sim_error();
    if (c->needs_sim && e->pin_locked && op != SIM_OP_TEST)
        return c->sms ? sim_cms(e->pin_locked == 1 ? 311 : 316)
                      : sim_cme(e->pin_locked == 1 ? 11 : 12);
    if (c->sms && e->cms_count > 0 && op != SIM_OP_TEST) {
        e->cms_count--;
        return sim_cms(e->cms_code);
    }
    return c->fn(e, op, args, out);
}

/* Basic (V.250) commands: E, V, Q, Z, I, H, X, &F, &W, S registers. */
static sim_res run_basic(sim_engine *e, char letter, long v, sim_buf *out)
{
    switch (letter) {
    case 'E':
        if (v > 1)
            return sim_error();
        e->echo = v == 1;
        return sim_ok();
    case 'V':
        return v == 1 ? sim_ok() : sim_error(); /* numeric results are not simulated */
    case 'Q':
        return v == 0 ? sim_ok() : sim_error();
    case 'Z':
        sim_settings_reset(e); /* SIM800: restore the user profile; no reboot */
        return sim_ok();
    case 'I':
        sim_line(out, "SIM800 R14.18");
        return sim_ok();
    case 'H':
    case 'X':
    case 'F':
    case 'W':
    case 'S':
        return sim_ok();
    default:
        return sim_error();
    }
}

/* Split "+CMGS=23" into name, op and args; returns a pointer past this command. */
static const char *split_extended(const char *p, char *name, size_t cap, sim_op *op,
                                  char *args, size_t acap)
{
    size_t n = 0;
    name[n++] = *p++;
    while (isalnum((unsigned char)*p) || *p == '_') {
        if (n + 1 < cap)
            name[n++] = (char)toupper((unsigned char)*p);
        p++;
    }
    name[n] = '\0';
    *op = SIM_OP_EXEC;
    if (p[0] == '=' && p[1] == '?') {
        *op = SIM_OP_TEST;
        p += 2;
    } else if (p[0] == '?') {
        *op = SIM_OP_READ;
        p++;
    } else if (p[0] == '=') {
        *op = SIM_OP_SET;
        p++;
    }
    size_t k = 0;
    bool quoted = false;
    while (*p && (quoted || *p != ';')) {
        if (*p == '"')
            quoted = !quoted;
        if (k + 1 < acap)
            args[k++] = *p;
        p++;
    }
    args[k] = '\0';
    return *p == ';' ? p + 1 : p;
}

static const char *one_basic(sim_engine *e, const char *p, sim_res *r, sim_buf *out)
{
    char letter = (char)toupper((unsigned char)*p++);
    if (letter == '&' && *p)
        letter = (char)toupper((unsigned char)*p++);
    long v = 0;
    if (letter == 'S') {
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '?' || *p == '=')
            p++;
    }
    while (isdigit((unsigned char)*p))
        v = v * 10 + (*p++ - '0') % 10;
    *r = run_basic(e, letter, v > 9 ? 9 : v, out);
    return p;
}

/*
 * Run the commands of one line (the text after "AT"), stopping at the first
 * that fails. Intermediate lines go into out; returns the final result.
 */
sim_res sim_run_command(sim_engine *e, const char *body, sim_buf *out)
{
    sim_res r = sim_ok();
    const char *p = body;
    char name[24];
    char args[SIM_LINE_MAX];
    while (*p && r.kind == SIM_RES_OK) {
        if (*p == ' ' || *p == ';') {
            p++;
        } else if (*p == '+' || *p == '^' || *p == '*' || *p == '$') {
            sim_op op;
            p = split_extended(p, name, sizeof name, &op, args, sizeof args);
            r = run_extended(e, name, op, args, out);
        } else if (isalpha((unsigned char)*p) || *p == '&') {
            p = one_basic(e, p, &r, out);
        } else {
            r = sim_error();
        }
    }
    if (r.kind == SIM_RES_PROMPT && *p) {
        e->prompt = SIM_PROMPT_NONE; /* nothing may follow AT+CMGS=<n> on the line */
        r = sim_error();
    }
    return r;
}
