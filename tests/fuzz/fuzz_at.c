/*
 * fuzz_at.c - libFuzzer target for the AT response parser and the reply
 * scanner. Byte 0 picks the pending command (and numeric mode, and whether
 * the callback announces the next command on a final), byte 1 the chunking;
 * the rest is fed in chunks whose sizes come from the data, then flushed.
 * Every emitted line also goes through every at_scan helper.
 * Never writes files.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "at_parse.h"
#include "at_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
    const char *cmd;
    unsigned flags;
} cmds[] = {
    {NULL, 0},
    {"AT+CSQ", 0},
    {"AT+CREG?", 0},
    {"AT+CMGL=4", 0},
    {"AT+CMGS=23", AT_EXPECT_PROMPT},
    {"AT+CPMS?", 0},
    {"AT+CPMS=?", 0},
    {"AT+CUSD=1,\"*144#\",15", 0},
    {"AT+CPIN?", 0},
    {"AT+CNMI=?", 0},
    {"AT+CSCA?", 0},
    {"AT+CMGR=1", 0},
    {"AT+CSCS?", 0},
    {"ATE0", 0},
    {"AT^SYSINFO", 0},
    {"AT+CMGW=10", AT_EXPECT_PROMPT},
};

static at_parser parser;
static size_t cmd_index;
static int rechain;

static bool inside(const char *p, size_t len, const char *buf, size_t cap)
{
    return p >= buf && p + len < buf + cap; /* the NUL after the line fits too */
}

static void check_header(const at_msg_header *h, const char *line, size_t len)
{
    assert(memchr(h->alpha, '\0', sizeof h->alpha) != NULL);
    if (h->pdu)
        assert(h->pdu >= line && h->pdu + h->pdu_len <= line + len && h->pdu_len > 0);
}

/* Run every scanner on the line; none may crash, overrun or leave a string open. */
static void scan_all(const char *line, size_t len)
{
    static at_cpms_test ct;
    static at_cnmi_test nt;
    static at_list list;
    at_csq q;
    at_creg r;
    at_cpms c;
    at_msg_header h;
    at_mem_index m;
    char num[24] = "", s[12] = "";
    int mr, tosca, a = 0;
    uint32_t x = 0;
    unsigned got;

    if (at_scan_csq(line, len, &q) == KZ_OK)
        assert(q.rssi == 99 || (q.dbm >= -113 && q.dbm <= -51));
    (void)at_scan_creg(line, len, true, &r);
    (void)at_scan_creg(line, len, false, &r);
    if (at_scan_cpms(line, len, &c) == KZ_OK)
        assert(c.count >= 1 && c.count <= 3);
    if (at_scan_cpms_test(line, len, &ct) == KZ_OK)
        assert(ct.count <= 3 && ct.mem[0].count <= AT_LIST_MAX);
    if (at_scan_cnmi_test(line, len, &nt) == KZ_OK)
        assert(nt.count <= 5);
    if (at_scan_cmgl(line, len, &h) == KZ_OK)
        check_header(&h, line, len);
    if (at_scan_cmgr(line, len, &h) == KZ_OK)
        check_header(&h, line, len);
    if (at_scan_cmt(line, len, &h) == KZ_OK)
        check_header(&h, line, len);
    if (at_scan_cmti(line, len, &m) == KZ_OK)
        assert(memchr(m.mem, '\0', sizeof m.mem) != NULL);
    if (at_scan_cmgs(line, len, &mr) == KZ_OK)
        assert(mr >= 0 && mr <= 255);
    if (at_scan_csca(line, len, num, sizeof num, &tosca) == KZ_OK)
        assert(strlen(num) < sizeof num);
    if (at_scan_cscs(line, len, s, sizeof s) == KZ_OK)
        assert(strlen(s) < sizeof s);
    kz_status st = at_scan(line, len, &got, "+%s,%i?,%x,%l,%s", s, sizeof s, &a, &x, &list, s,
                           sizeof s);
    assert(st != KZ_OK || (got & ~31u) == 0);
    assert(memchr(s, '\0', sizeof s) != NULL && list.count <= AT_LIST_MAX);
}

static void check_final(const at_event *ev)
{
    assert(!at_parser_pending(&parser));
    assert(ev->final != AT_FINAL_NONE);
    if (ev->final == AT_FINAL_CME_ERROR)
        assert(at_cme_text(ev->code) != NULL);
    else if (ev->final == AT_FINAL_CMS_ERROR)
        assert(at_cms_text(ev->code) != NULL);
    else
        assert(ev->code == -1);
    if (ev->kind == AT_EV_FINAL && rechain && cmds[cmd_index].cmd)
        assert(at_parser_expect(&parser, cmds[cmd_index].cmd, cmds[cmd_index].flags) == KZ_OK);
}

static void on_event(void *ctx, const at_event *ev)
{
    (void)ctx;
    assert(ev->len <= AT_LINE_MAX && ev->line[ev->len] == '\0');
    assert(at_parser_feed(&parser, (const uint8_t *)"x", 1) == KZ_ERR_STATE);
    if (ev->kind == AT_EV_PROMPT) {
        assert(ev->len == 2 && memcmp(ev->line, "> ", 2) == 0);
        return;
    }
    assert(inside(ev->line, ev->len, parser.line, sizeof parser.line) ||
           inside(ev->line, ev->len, parser.head, sizeof parser.head));
    assert(ev->body == NULL || ev->kind == AT_EV_URC);
    if (ev->body)
        assert(inside(ev->body, ev->body_len, parser.line, sizeof parser.line));
    switch (ev->kind) {
    case AT_EV_FINAL:
    case AT_EV_STRAY_FINAL:
        check_final(ev);
        break;
    case AT_EV_URC:
        assert(ev->urc != AT_URC_NONE && ev->len > 0);
        scan_all(ev->line, ev->len);
        break;
    case AT_EV_LINE:
        assert(at_parser_pending(&parser) && ev->len > 0);
        scan_all(ev->line, ev->len);
        break;
    case AT_EV_STRAY_LINE:
        assert(!at_parser_pending(&parser) && ev->len > 0);
        scan_all(ev->line, ev->len);
        break;
    case AT_EV_OVERFLOW:
        assert(ev->len == AT_LINE_MAX);
        break;
    default:
        assert(0 && "unknown event kind");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    cmd_index = data[0] % (sizeof cmds / sizeof cmds[0]);
    rechain = (data[0] & 0x40) != 0;
    size_t max_chunk = 1 + data[1] % 64;
    at_parser_init(&parser, on_event, NULL);
    at_parser_set_numeric(&parser, (data[0] & 0x80) != 0);
    if (cmds[cmd_index].cmd)
        assert(at_parser_expect(&parser, cmds[cmd_index].cmd, cmds[cmd_index].flags) == KZ_OK);
    data += 2;
    size -= 2;
    for (size_t i = 0; i < size;) {
        size_t n = 1 + data[i] % max_chunk;
        if (n > size - i)
            n = size - i;
        assert(at_parser_feed(&parser, data + i, n) == KZ_OK);
        i += n;
    }
    assert(at_parser_flush(&parser) == KZ_OK);
    assert(parser.len == 0 && !parser.head_pending && !parser.overflow);
    return 0;
}
