/*
 * test_at_parse.c - unit tests for modem/at_parse.c: line endings, echo,
 * URCs interleaved at every line boundary of a response, +CUSD with CR LF
 * inside its quotes, two-line URCs, overflow, the prompt only when expected,
 * the +CREG / +CPIN ambiguity, stray finals, whole-line matching, numeric
 * mode, re-entrancy, and every CME/CMS text.
 * Never touches files or the network.
 */
#include <stdint.h>
#include <string.h>

#include "at_parse.h"
#include "harness.h"

/* Events rendered as text: L line, F final, P prompt, U urc, S stray line,
 * X stray final, O overflow; separated by '|'. */
static char log_buf[1 << 16];
static size_t log_len;
static at_parser P;

static void log_add(const char *s, size_t n)
{
    if (log_len + n + 1 >= sizeof log_buf)
        n = sizeof log_buf - log_len - 1;
    memcpy(log_buf + log_len, s, n);
    log_len += n;
    log_buf[log_len] = '\0';
}

static void log_str(const char *s)
{
    log_add(s, strlen(s));
}

static void on_event(void *ctx, const at_event *ev)
{
    char tmp[64];
    (void)ctx;
    KT_CHECK(ev->line != NULL && ev->line[ev->len] == '\0', "line NUL-terminated");
    switch (ev->kind) {
    case AT_EV_LINE: log_str("L"); log_add(ev->line, ev->len); break;
    case AT_EV_STRAY_LINE: log_str("S"); log_add(ev->line, ev->len); break;
    case AT_EV_PROMPT: log_str("P"); break;
    case AT_EV_OVERFLOW: snprintf(tmp, sizeof tmp, "O%zu", ev->len); log_str(tmp); break;
    case AT_EV_FINAL:
    case AT_EV_STRAY_FINAL:
        KT_CHECK(!at_parser_pending(&P), "a final leaves nothing pending");
        log_str(ev->kind == AT_EV_FINAL ? "F" : "X");
        log_str(at_final_name(ev->final));
        if (ev->code >= 0) {
            snprintf(tmp, sizeof tmp, " %d", ev->code);
            log_str(tmp);
        }
        break;
    case AT_EV_URC:
        log_str("U");
        log_str(at_urc_name(ev->urc));
        log_str(":");
        log_add(ev->line, ev->len);
        if (ev->body) {
            log_str("/");
            log_add(ev->body, ev->body_len);
        }
        break;
    }
    log_str("|");
}

static void start(const char *cmd, unsigned flags)
{
    log_len = 0;
    log_buf[0] = '\0';
    at_parser_init(&P, on_event, NULL);
    if (cmd)
        KT_CHECK(at_parser_expect(&P, cmd, flags) == KZ_OK, "expect %s", cmd);
}

static void feed_str(const char *s)
{
    at_parser_feed(&P, (const uint8_t *)s, strlen(s));
}

/* Run resp for cmd whole and byte by byte; both must log want. */
static void expect_log(const char *cmd, unsigned flags, const char *resp, const char *want,
                       const char *label)
{
    start(cmd, flags);
    feed_str(resp);
    at_parser_flush(&P);
    KT_STREQ(log_buf, want, label);
    start(cmd, flags);
    for (size_t i = 0; resp[i]; i++)
        at_parser_feed(&P, (const uint8_t *)resp + i, 1);
    at_parser_flush(&P);
    KT_STREQ(log_buf, want, label);
}

static void test_line_endings(void)
{
    expect_log("AT+CSQ", 0, "\r\n+CSQ: 9,99\r\n\r\nOK\r\n", "L+CSQ: 9,99|FOK|", "CR LF");
    expect_log("AT+CSQ", 0, "+CSQ: 9,99\rOK\r", "L+CSQ: 9,99|FOK|", "bare CR");
    expect_log("AT+CSQ", 0, "+CSQ: 9,99\nOK\n", "L+CSQ: 9,99|FOK|", "bare LF");
    expect_log("AT+CSQ", 0, "AT+CSQ\r\r\n+CSQ: 9,99\r\n\r\nOK\r\n", "L+CSQ: 9,99|FOK|",
               "CR CR LF echo");
    expect_log("AT+CSQ", 0, "\n\r\n\r+CSQ: 9,99\n\rOK\n\r", "L+CSQ: 9,99|FOK|", "LF CR");
    expect_log("AT+CSQ", 0, "+CSQ: 9,99", "L+CSQ: 9,99|", "flush ends the last line");
}

static void test_echo(void)
{
    expect_log("AT+CSQ", 0, "at+csq\r\r\nOK\r\n", "FOK|", "echo ignores case");
    expect_log("AT+CSQ", 0, "AT+CSQ\rAT+CSQ\r\nOK\r\n", "LAT+CSQ|FOK|", "echo dropped once");
    expect_log("AT+CSQ", 0, "\r\n+CMTI: \"SM\",1\r\nAT+CSQ\r\r\nOK\r\n",
               "U+CMTI:+CMTI: \"SM\",1|FOK|", "URC before the echo");
    expect_log("AT+CSQ", 0, "AT+CSQ \r\nOK\r\n", "LAT+CSQ |FOK|", "echo is a whole line");
    expect_log(NULL, 0, "AT+CSQ\r\n", "SAT+CSQ|", "no echo without a command");
    start(NULL, 0);
    KT_CHECK(at_parser_expect(&P, "AT+CSQ\r", 0) == KZ_OK, "CR stripped");
    feed_str("AT+CSQ\r\r\nOK\r\n");
    KT_STREQ(log_buf, "FOK|", "echo of a command given with CR");
}

/* Insert urc at every line boundary of resp; the result must be base plus the URC. */
static void interleave(const char *cmd, unsigned flags, const char *resp, const char *urc,
                       const char *urc_log)
{
    static char base[sizeof log_buf], buf[8192], rest[sizeof log_buf];
    start(cmd, flags);
    feed_str(resp);
    at_parser_flush(&P);
    snprintf(base, sizeof base, "%s", log_buf);
    size_t n = strlen(resp);
    for (size_t pos = 0; pos <= n; pos++) {
        if (pos > 0 && pos < n && resp[pos - 1] != '\r' && resp[pos - 1] != '\n')
            continue;
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)pos, resp, urc, resp + pos);
        start(cmd, flags);
        for (size_t i = 0; buf[i]; i++) /* byte by byte: the hardest chunking */
            at_parser_feed(&P, (const uint8_t *)buf + i, 1);
        at_parser_flush(&P);
        const char *u = strstr(log_buf, urc_log);
        KT_CHECK(u != NULL, "%s at %zu: URC missing in %s", cmd, pos, log_buf);
        if (!u)
            continue;
        snprintf(rest, sizeof rest, "%.*s%s", (int)(u - log_buf), log_buf, u + strlen(urc_log));
        KT_CHECK(strcmp(rest, base) == 0, "%s at %zu: got %s want %s", cmd, pos, rest, base);
    }
}

static void test_interleaved_urcs(void)
{
    static const char cmgl[] = "AT+CMGL=4\r\r\n+CMGL: 0,0,,23\r\n"
                               "07913366003051F5040B913366304381F900005180719120348004D4F29C0E"
                               "\r\n\r\nOK\r\n";
    static const char cmgs[] = "AT+CMGS=23\r\r\n> \r\n+CMGS: 183\r\n\r\nOK\r\n";
    static const char creg[] = "\r\n+CREG: 2,1,\"8B37\",\"0A265185\",7\r\n\r\nOK\r\n";
    static const char *const urcs[][2] = {
        {"\r\n+CMTI: \"SM\",3\r\n", "U+CMTI:+CMTI: \"SM\",3|"},
        {"+CDSI: \"SR\",0\r", "U+CDSI:+CDSI: \"SR\",0|"},
        {"\r\nRING\r\n", "URING:RING|"},
        {"\r\n^RSSI:14\r\n", "Unoise:^RSSI:14|"},
        {"\r\nUNDER-VOLTAGE WARNNING\r\n", "Uvoltage warning:UNDER-VOLTAGE WARNNING|"},
        {"\r\n+CMT: ,5\r\n0001000000\r\n", "U+CMT:+CMT: ,5/0001000000|"},
        {"\r\n+CUSD: 1,\"A\r\nB,C\",15\r\n", "U+CUSD:+CUSD: 1,\"A\r\nB,C\",15|"},
        {"\r\n+CREG: 5\r\n", "U+CREG:+CREG: 5|"},
    };
    for (size_t i = 0; i < sizeof urcs / sizeof urcs[0]; i++) {
        interleave("AT+CMGL=4", 0, cmgl, urcs[i][0], urcs[i][1]);
        interleave("AT+CMGS=23", AT_EXPECT_PROMPT, cmgs, urcs[i][0], urcs[i][1]);
        if (strstr(urcs[i][0], "+CREG") == NULL)
            interleave("AT+CREG?", 0, creg, urcs[i][0], urcs[i][1]);
    }
}

static void test_cusd_quotes(void)
{
    expect_log(NULL, 0, "\r\n+CUSD: 1,\"Menu\r\n1. Balance\r\n2. Pay\",15\r\n",
               "U+CUSD:+CUSD: 1,\"Menu\r\n1. Balance\r\n2. Pay\",15|", "URC with CR LF");
    expect_log("AT+CUSD=1,\"*144#\",15", 0,
               "\r\n+CUSD: 0,\"a\nb\rc\",15\r\n\r\nOK\r\n",
               "L+CUSD: 0,\"a\nb\rc\",15|FOK|", "answer before OK is a line");
    expect_log("AT+CUSD=1,\"*144#\",15", 0, "\r\nOK\r\n\r\n+CUSD: 2\r\n",
               "FOK|U+CUSD:+CUSD: 2|", "answer after OK is a URC");
    expect_log(NULL, 0, "+CUSD: 0,\"x\"\r\"y\"\r", "U+CUSD:+CUSD: 0,\"x\"|S\"y\"|",
               "quotes close");
    expect_log(NULL, 0, "\"OK\r\n", "S\"OK|", "quotes matter only in +CUSD");
}

static void test_two_line_urcs(void)
{
    expect_log(NULL, 0, "+CMT: ,23\r0791AB\r", "U+CMT:+CMT: ,23/0791AB|", "+CMT CR only");
    expect_log(NULL, 0, "\r\n+CDS: 24\r\n\r\n0791\r\n", "U+CDS:+CDS: 24/0791|",
               "+CDS body after an empty line");
    expect_log(NULL, 0, "+CDS: 6,183,\"+254700\",145,\"t\",\"t\",0\r\n",
               "U+CDS:+CDS: 6,183,\"+254700\",145,\"t\",\"t\",0|", "+CDS text mode is one line");
    expect_log("AT+CSQ", 0, "+CMT: ,23\r\n0791\r\n+CSQ: 1,2\r\nOK\r\n",
               "U+CMT:+CMT: ,23/0791|L+CSQ: 1,2|FOK|", "+CMT inside a command");
    expect_log(NULL, 0, "+CMT: ,23\r\n", "U+CMT:+CMT: ,23|", "flush: +CMT without body");
    expect_log(NULL, 0, "+CBM: 88\r\nABCD\r\n", "U+CBM:+CBM: 88/ABCD|", "+CBM");
}

static void test_overflow(void)
{
    static char big[3 * AT_LINE_MAX];
    char want[128];
    memset(big, 'A', AT_LINE_MAX);
    strcpy(big + AT_LINE_MAX, "\r\nOK\r\n");
    start("AT+CGMM", 0);
    feed_str(big);
    KT_CHECK(strncmp(log_buf, "LAAAA", 5) == 0 && strstr(log_buf, "|FOK|") != NULL,
             "exactly AT_LINE_MAX fits: %.20s", log_buf);
    memset(big, 'A', 2 * AT_LINE_MAX + 5);
    strcpy(big + 2 * AT_LINE_MAX + 5, "\r\nOK\r\n");
    snprintf(want, sizeof want, "O%d|FOK|", AT_LINE_MAX);
    expect_log("AT+CGMM", 0, big, want, "long line dropped once, then OK");
    memset(big, 'B', sizeof big - 1);
    memcpy(big, "+CUSD: 1,\"", 10);
    strcpy(big + 2 * AT_LINE_MAX, "\r\nOK\r\n");
    expect_log("AT+CSQ", 0, big, want, "unterminated +CUSD quote overflows, then resyncs");
    start(NULL, 0);
    memset(big, 'C', AT_LINE_MAX + 1);
    at_parser_feed(&P, (const uint8_t *)big, AT_LINE_MAX + 1);
    at_parser_flush(&P);
    feed_str("RING\r");
    snprintf(want, sizeof want, "O%d|URING:RING|", AT_LINE_MAX);
    KT_STREQ(log_buf, want, "flush ends an overflow");
}

static void test_prompt(void)
{
    expect_log("AT+CMGS=23", AT_EXPECT_PROMPT, "AT+CMGS=23\r\r\n> ", "P|", "prompt");
    expect_log("AT+CMGS=23", AT_EXPECT_PROMPT, "\r\n>", "P|", "prompt without space");
    expect_log("AT+CMGS=23", 0, "\r\n> ", "L> |", "no prompt unless expected");
    expect_log(NULL, 0, "> \r\n", "S> |", "no prompt without a command");
    expect_log("AT+CMGS=23", AT_EXPECT_PROMPT, "> > \r\n+CMGS: 1\r\nOK\r\n",
               "P|L> |L+CMGS: 1|FOK|", "one prompt per command");
    expect_log("AT+CMGS=23", AT_EXPECT_PROMPT, "\r\n+CMS ERROR: 304\r\n> ",
               "F+CMS ERROR 304|S> |", "no prompt after the final");
    expect_log("AT+CMGS=23", AT_EXPECT_PROMPT, "\r\n+CMTI: \"SM\",1\r\n> ",
               "U+CMTI:+CMTI: \"SM\",1|P|", "URC before the prompt");
}

static void test_response_prefix(void)
{
    expect_log("AT+CREG?", 0, "+CREG: 0,1\r\nOK\r\n", "L+CREG: 0,1|FOK|", "CREG? answer");
    expect_log("at+creg?", 0, "+CREG: 0,1\r\nOK\r\n", "L+CREG: 0,1|FOK|", "lower case cmd");
    expect_log("AT+CSQ", 0, "+CREG: 1\r\n+CSQ: 3,4\r\nOK\r\n", "U+CREG:+CREG: 1|L+CSQ: 3,4|FOK|",
               "CREG during CSQ");
    expect_log("AT+CGREG?", 0, "+CREG: 1\r\n+CGREG: 0,1\r\nOK\r\n",
               "U+CREG:+CREG: 1|L+CGREG: 0,1|FOK|", "CREG during CGREG?");
    expect_log("AT+CPIN?", 0, "+CPIN: READY\r\nOK\r\n", "L+CPIN: READY|FOK|", "CPIN? answer");
    expect_log("AT+CSQ", 0, "+CPIN: READY\r\nCall Ready\r\nSMS Ready\r\nOK\r\n",
               "Uboot:+CPIN: READY|Uboot:Call Ready|Uboot:SMS Ready|FOK|", "boot URCs");
    expect_log("AT+CFUN?", 0, "+CFUN: 1\r\nOK\r\n", "L+CFUN: 1|FOK|", "CFUN? answer");
    expect_log("AT^SYSINFO", 0, "^SYSINFO:2,3\r\n^RSSI:9\r\nOK\r\n",
               "L^SYSINFO:2,3|Unoise:^RSSI:9|FOK|", "Huawei prefix");
    expect_log("AT+CPIN?", 0, "\r\nERROR\r\n\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: SIM PIN\r\n",
               "FERROR|Uboot:RDY|Uboot:+CFUN: 1|Uboot:+CPIN: SIM PIN|", "boot after ERROR");
    expect_log("AT+CSQ", 0, "NORMAL POWER DOWN\r\nUNDER-VOLTAGE POWER DOWN\r\n",
               "Upower down:NORMAL POWER DOWN|Upower down:UNDER-VOLTAGE POWER DOWN|",
               "power down");
}

static void test_finals(void)
{
    expect_log("ATD123;", 0, "NO CARRIER\r\n", "FNO CARRIER|", "NO CARRIER");
    expect_log("ATD123;", 0, "BUSY\r\n", "FBUSY|", "BUSY");
    expect_log("ATD123;", 0, "NO ANSWER\r\n", "FNO ANSWER|", "NO ANSWER");
    expect_log("ATD123;", 0, "NO DIALTONE\r\n", "FNO DIALTONE|", "NO DIALTONE");
    expect_log("ATD123", 0, "CONNECT 9600\r\n", "FCONNECT|", "CONNECT 9600");
    expect_log("AT^X", 0, "COMMAND NOT SUPPORT\r\n", "FERROR|", "Huawei error");
    expect_log("AT+CPIN?", 0, "+CME ERROR: 10\r\n", "F+CME ERROR 10|", "CME number");
    expect_log("AT+CPIN?", 0, "+CME ERROR: SIM not inserted\r\n", "F+CME ERROR 10|",
               "CME verbose");
    expect_log("AT+CMGR=1", 0, "+CMS ERROR: sim pin required\r\n", "F+CMS ERROR 311|",
               "CMS verbose without (U)");
    expect_log("AT+CMGR=1", 0, "+CMS ERROR: what\r\n", "F+CMS ERROR|", "CMS unknown text");
    expect_log("AT+CMGR=1", 0, "+CMS ERROR:500\r\n", "F+CMS ERROR 500|", "no space");
    expect_log("AT+CUSD=1", 0, "+CUSD: 0,\"OK\",15\r\nTOKEN OK\r\nOK \r\nOKAY\r\nOK\r\n",
               "L+CUSD: 0,\"OK\",15|LTOKEN OK|LOK |LOKAY|FOK|", "OK only as a whole line");
    expect_log(NULL, 0, "OK\r\n+CME ERROR: 3\r\n", "XOK|X+CME ERROR 3|", "stray finals");
    expect_log("AT+CSQ", 0, "OK\r\nOK\r\n+CSQ: 1,1\r\n", "FOK|XOK|S+CSQ: 1,1|",
               "after the final: strays");
}

static void test_numeric(void)
{
    start("ATV0", 0);
    at_parser_set_numeric(&P, true);
    feed_str("0\r");
    KT_STREQ(log_buf, "FOK|", "numeric OK");
    KT_CHECK(at_parser_expect(&P, "AT+X", 0) == KZ_OK, "expect");
    feed_str("2\r4\r");
    KT_STREQ(log_buf, "FOK|URING:2|FERROR|", "numeric RING and ERROR");
    at_parser_reset(&P);
    KT_CHECK(at_parser_expect(&P, "AT+X", 0) == KZ_OK, "expect after reset");
    feed_str("12\r3\r");
    KT_STREQ(log_buf, "FOK|URING:2|FERROR|L12|FNO CARRIER|", "reset keeps numeric");
    expect_log("AT+CGSN", 0, "0\r\nOK\r\n", "L0|FOK|", "verbose mode: 0 is a line");
}

static void test_pending(void)
{
    start(NULL, 0);
    KT_CHECK(!at_parser_pending(&P), "nothing pending after init");
    KT_CHECK(at_parser_expect(&P, "XT+CSQ", 0) == KZ_ERR_INVALID, "not AT");
    KT_CHECK(at_parser_expect(&P, "A", 0) == KZ_ERR_INVALID, "too short");
    char longcmd[AT_CMD_MAX + 8];
    memset(longcmd, 'A', sizeof longcmd - 1);
    longcmd[1] = 'T';
    longcmd[sizeof longcmd - 1] = '\0';
    KT_CHECK(at_parser_expect(&P, longcmd, 0) == KZ_ERR_NOSPACE, "too long");
    KT_CHECK(!at_parser_pending(&P), "failures change nothing");
    KT_CHECK(at_parser_expect(&P, "AT", 0) == KZ_OK, "AT");
    KT_CHECK(at_parser_expect(&P, "AT", 0) == KZ_ERR_BUSY, "busy");
    at_parser_cancel(&P);
    KT_CHECK(!at_parser_pending(&P), "cancel");
    feed_str("OK\r\n");
    KT_STREQ(log_buf, "XOK|", "late OK after cancel is stray");
    KT_CHECK(at_parser_expect(&P, "AT+CSQ", 0) == KZ_OK, "expect again");
    feed_str("+CSQ: 1,");
    at_parser_reset(&P);
    KT_CHECK(!at_parser_pending(&P), "reset clears pending");
    feed_str("2\r\n");
    KT_STREQ(log_buf, "XOK|S2|", "reset drops the partial line");
}

/* A callback that sends the next command when the final arrives, and tries to re-enter. */
static int chain_count;
static void on_chain(void *ctx, const at_event *ev)
{
    at_parser *p = ctx;
    KT_CHECK(at_parser_feed(p, (const uint8_t *)"x", 1) == KZ_ERR_STATE, "nested feed");
    KT_CHECK(at_parser_flush(p) == KZ_ERR_STATE, "nested flush");
    if (ev->kind == AT_EV_FINAL && chain_count++ == 0)
        KT_CHECK(at_parser_expect(p, "AT+CSQ", 0) == KZ_OK, "expect from the callback");
}

static void test_reentry(void)
{
    at_parser p;
    at_parser_init(&p, on_chain, &p);
    chain_count = 0;
    KT_CHECK(at_parser_expect(&p, "ATE0", 0) == KZ_OK, "expect");
    KT_CHECK(at_parser_feed(&p, (const uint8_t *)"OK\r\nAT+CSQ\r\nOK\r\n", 16) == KZ_OK, "feed");
    KT_CHECK(chain_count == 2 && !at_parser_pending(&p), "two finals, %d", chain_count);
    at_parser_init(&p, NULL, NULL);
    KT_CHECK(at_parser_feed(&p, (const uint8_t *)"OK\r\n", 4) == KZ_OK, "no callback is fine");
}

static void test_nul_bytes(void)
{
    static const uint8_t bytes[] = {'+', 'C', 0, 'Q', '\r', '\n', 'O', 'K', '\r'};
    start("AT+CSQ", 0);
    at_parser_feed(&P, bytes, sizeof bytes);
    KT_CHECK(log_len == 10 && memcmp(log_buf, "L+C\0Q|FOK|", 10) == 0, "NUL kept in a line");
}

static void test_codes(void)
{
    KT_STREQ(at_cms_text(321), "invalid memory index", "CMS 321");
    KT_STREQ(at_cms_text(302), "operation not allowed", "CMS 302");
    KT_STREQ(at_cms_text(310), "(U)SIM not inserted", "CMS 310");
    KT_STREQ(at_cms_text(311), "(U)SIM PIN required", "CMS 311");
    KT_STREQ(at_cms_text(330), "SMSC address unknown", "CMS 330");
    KT_STREQ(at_cms_text(500), "unknown error", "CMS 500");
    KT_STREQ(at_cms_text(42), "congestion", "CMS 42 (RP cause)");
    KT_STREQ(at_cms_text(208), "(U)SIM SMS storage full", "CMS 208 (TP-FCS)");
    KT_STREQ(at_cms_text(515), "manufacturer specific error", "CMS 515");
    KT_STREQ(at_cms_text(-1), "unknown error code", "CMS -1");
    KT_STREQ(at_cme_text(16), "incorrect password", "CME 16");
    KT_STREQ(at_cme_text(3), "operation not allowed", "CME 3");
    KT_STREQ(at_cme_text(22), "not found", "CME 22");
    KT_STREQ(at_cme_text(30), "no network service", "CME 30");
    KT_STREQ(at_cme_text(10), "SIM not inserted", "CME 10");
    KT_STREQ(at_cme_text(148), "unspecified GPRS error", "CME 148");
    KT_STREQ(at_cme_text(9999), "unknown error code", "CME 9999");
    int ncme = 0, ncms = 0;
    for (int code = -2; code < 1200; code++) {
        const char *t = at_cme_text(code);
        if (strcmp(t, "unknown error code") != 0) {
            ncme++;
            KT_CHECK(strcmp(at_cme_text(at_cme_code(t, strlen(t))), t) == 0, "CME %d back", code);
        }
        t = at_cms_text(code);
        if (strcmp(t, "unknown error code") != 0 && code < 512) {
            ncms++;
            KT_CHECK(strcmp(at_cms_text(at_cms_code(t, strlen(t))), t) == 0, "CMS %d back", code);
        }
    }
    KT_CHECK(ncme >= 70 && ncms >= 70, "table sizes %d %d", ncme, ncms);
    KT_CHECK(at_cme_code("INCORRECT PASSWORD", 18) == 16, "case-insensitive");
    KT_CHECK(at_cme_code("incorrect", 9) == -1, "prefix is no match");
    KT_CHECK(at_cms_code("(U)SIM busy", 11) == 314 && at_cms_code("SIM busy", 8) == 314,
             "(U) optional");
    KT_CHECK(at_cms_code("", 0) == -1, "empty");
}

/* +CIEV indicator events (TS 27.007 8.10): a URC, named or numbered, except as the
 * answer of a command whose prefix it is. */
static void test_ciev(void)
{
    expect_log(NULL, 0, "\r\n+CIEV: \"SMSFULL\",1\r\n", "U+CIEV:+CIEV: \"SMSFULL\",1|",
               "SIMCom SMSFULL while idle");
    expect_log("AT+CMGL=4", 0, "+CMGL: 1,0,,5\r\n+CIEV: \"SMSFULL\",1\r\n0011\r\nOK\r\n",
               "L+CMGL: 1,0,,5|U+CIEV:+CIEV: \"SMSFULL\",1|L0011|FOK|",
               "SMSFULL in the middle of a listing");
    expect_log("AT+CSQ", 0, "+CIEV: 7,1\r\n+CSQ: 9,99\r\nOK\r\n",
               "U+CIEV:+CIEV: 7,1|L+CSQ: 9,99|FOK|", "numbered indicator during CSQ");
    expect_log("AT+CIEV?", 0, "+CIEV: 7,1\r\nOK\r\n", "L+CIEV: 7,1|FOK|",
               "the answer of a +CIEV command is not a URC");
    expect_log("AT+CSQ", 0, "+CIEVX\r\nOK\r\n", "L+CIEVX|FOK|", "exact prefix only");
}

static void test_names(void)
{
    KT_STREQ(at_urc_name(AT_URC_CMTI), "+CMTI", "urc name");
    KT_STREQ(at_urc_name(AT_URC_CIEV), "+CIEV", "+CIEV name");
    KT_STREQ(at_urc_name((at_urc)99), "?", "bad urc");
    KT_STREQ(at_final_name(AT_FINAL_CMS_ERROR), "+CMS ERROR", "final name");
    KT_STREQ(at_final_name((at_final)-1), "?", "bad final");
    KT_STREQ(at_event_name(AT_EV_OVERFLOW), "overflow", "event name");
    KT_STREQ(at_event_name((at_event_kind)0), "?", "bad event");
}

int main(void)
{
    test_line_endings();
    test_echo();
    test_interleaved_urcs();
    test_cusd_quotes();
    test_two_line_urcs();
    test_overflow();
    test_prompt();
    test_response_prefix();
    test_finals();
    test_numeric();
    test_pending();
    test_reentry();
    test_nul_bytes();
    test_codes();
    test_ciev();
    test_names();
    return kt_report();
}
