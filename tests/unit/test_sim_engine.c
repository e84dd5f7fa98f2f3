/*
 * test_sim_engine.c - drives the modem simulator engine (modem/sim_engine.h)
 * with the bytes a host would write and checks what it answers: echo, PIN,
 * AT+CMGS with the prompt and the sent log, multipart, storage listing and
 * deletion, CNMI routing, status reports, USSD menus, faults, latency and
 * the storage limit. Never touches a pty (tests/integration/sim_gammu.sh does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hex.h"
#include "pdu.h"
#include "sim_engine.h"

static char outbuf[65536];
static uint64_t clock_ms = 1000;

static sim_engine *make(sim_config *cfg)
{
    kz_err err;
    kz_err_clear(&err);
    sim_engine *e = sim_new(cfg, clock_ms, &err);
    KT_CHECK(e != NULL, "sim_new: %s", err.msg);
    return e;
}

static sim_engine *make_default(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    return make(&cfg);
}

/* Everything the modem has said since the last call, as a string. */
static const char *drain(sim_engine *e)
{
    size_t n = sim_output(e, (uint8_t *)outbuf, sizeof outbuf - 1);
    outbuf[n] = '\0';
    return outbuf;
}

/* Write s, let time tick once, return the answer. */
static const char *at(sim_engine *e, const char *s)
{
    sim_input(e, (const uint8_t *)s, strlen(s), clock_ms);
    sim_tick(e, clock_ms);
    return drain(e);
}

static void advance(sim_engine *e, uint64_t ms)
{
    clock_ms += ms;
    sim_tick(e, clock_ms);
}

static bool has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

#define KT_HAS(hay, needle) KT_CHECK(has((hay), (needle)), "want \"%s\" in \"%s\"", (needle), (hay))
#define KT_HASNT(hay, needle) KT_CHECK(!has((hay), (needle)), "did not want \"%s\" in \"%s\"", (needle), (hay))

/* A quiet modem: echo off, numeric CME errors, boot noise drained. */
static sim_engine *quiet(sim_config *cfg)
{
    sim_engine *e = cfg ? make(cfg) : make_default();
    drain(e);
    at(e, "ATE0\r");
    KT_STREQ(at(e, "AT+CMEE=1\r"), "\r\nOK\r\n", "CMEE=1");
    return e;
}

/* Send one PDU through AT+CMGS; returns the final answer. */
static const char *send_pdu(sim_engine *e, const sms_pdu *p)
{
    char cmd[32], hex[2 * SMS_PDU_MAX + 2];
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu\r", p->tpdu_len);
    KT_STREQ(at(e, cmd), "\r\n> ", "prompt");
    hex_encode(p->bytes, p->len, hex, sizeof hex);
    size_t n = strlen(hex);
    hex[n] = 0x1A;
    hex[n + 1] = '\0';
    return at(e, hex);
}

static size_t encode(const char *text, const char *to, bool srr, sms_pdu *out, size_t cap)
{
    sms_submit_opts o;
    sms_submit_opts_init(&o);
    o.to = to;
    o.srr = srr;
    o.concat_ref = 77;
    size_t n = 0;
    kz_status st = pdu_encode_submit((const uint8_t *)text, strlen(text), &o, out, cap, &n, NULL);
    KT_CHECK(st == KZ_OK, "encode: %s", kz_strerror(st));
    return st == KZ_OK ? n : 0;
}

static void test_boot_and_echo(void)
{
    sim_engine *e = make_default();
    const char *boot = drain(e);
    KT_STREQ(boot, "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n",
             "boot URCs");
    KT_STREQ(at(e, "AT\r"), "AT\r\r\nOK\r\n", "echo on by default");
    KT_STREQ(at(e, "ATE0\r"), "ATE0\r\r\nOK\r\n", "ATE0 echoed itself");
    KT_STREQ(at(e, "AT\r"), "\r\nOK\r\n", "echo off");
    KT_STREQ(at(e, "AT+CGMI\r"), "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n", "CGMI");
    KT_STREQ(at(e, "AT+BOGUS\r"), "\r\nERROR\r\n", "unknown, CMEE=0");
    KT_STREQ(at(e, "AT+CMEE=1;+BOGUS\r"), "\r\n+CME ERROR: 100\r\n", "chained, unknown, CMEE=1");
    KT_STREQ(at(e, "hello\r"), "\r\n+CME ERROR: 100\r\n", "no AT prefix");
    KT_STREQ(at(e, "\x1b\r"), "", "ESC CR (gammu's wake-up) is ignored");
    KT_STREQ(at(e, "ATE1\r"), "\r\nOK\r\n", "ATE1");
    KT_STREQ(at(e, "AT+CSQ\r"), "AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n", "CSQ with echo");
    KT_STREQ(at(e, "at+cgmm\r"), "at+cgmm\r\r\nSIMCOM_SIM800\r\n\r\nOK\r\n", "lower case");
    KT_STREQ(at(e, "AT+CPMS?\r"), "AT+CPMS?\r\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n",
             "CPMS?");
    sim_free(e);
}

static void test_pin(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.pin = "1234";
    sim_engine *e = make(&cfg);
    KT_HAS(drain(e), "+CPIN: SIM PIN");
    at(e, "ATE0\r");
    at(e, "AT+CMEE=1\r");
    KT_STREQ(at(e, "AT+CPIN?\r"), "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", "locked");
    KT_STREQ(at(e, "AT+CMGL=4\r"), "\r\n+CMS ERROR: 311\r\n", "SMS refused while locked");
    KT_STREQ(at(e, "AT+CREG?\r"), "\r\n+CREG: 0,0\r\n\r\nOK\r\n", "not registered while locked");
    KT_STREQ(at(e, "AT+CPIN=\"0000\"\r"), "\r\n+CME ERROR: 16\r\n", "wrong PIN");
    KT_STREQ(at(e, "AT+CPIN=\"1234\"\r"), "\r\nOK\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n",
             "right PIN: OK before the URCs");
    KT_STREQ(at(e, "AT+CREG?\r"), "\r\n+CREG: 0,1\r\n\r\nOK\r\n", "registered");
    sim_fault(e, SIM_FAULT_RESET, 0, 0, clock_ms);
    KT_HAS(drain(e), "+CPIN: SIM PIN");
    sim_free(e);
}

static void test_send(void)
{
    sim_engine *e = quiet(NULL);
    sms_pdu p[4];
    KT_CHECK(encode("Habari", "+254712345678", false, p, 4) == 1, "one part");
    KT_STREQ(send_pdu(e, &p[0]), "\r\n+CMGS: 0\r\n\r\nOK\r\n", "first MR is 0");
    KT_STREQ(send_pdu(e, &p[0]), "\r\n+CMGS: 1\r\n\r\nOK\r\n", "MR increments");
    KT_CHECK(sim_sent_count(e) == 2, "two sent");
    const sim_sent *s = sim_sent_get(e, 0);
    KT_CHECK(s && s->msg.has_text, "decoded");
    if (s) {
        KT_STREQ(s->msg.text, "Habari", "text");
        KT_STREQ(s->msg.address.text, "+254712345678", "number");
    }
    /* ESC cancels; a wrong length is 304 */
    KT_STREQ(at(e, "AT+CMGS=10\r"), "\r\n> ", "prompt");
    KT_STREQ(at(e, "0011\x1b"), "\r\nOK\r\n", "ESC cancels");
    KT_CHECK(sim_sent_count(e) == 2, "nothing sent on ESC");
    char cmd[32], hex[400];
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu\r", p[0].tpdu_len + 1);
    at(e, cmd);
    hex_encode(p[0].bytes, p[0].len, hex, sizeof hex);
    strcat(hex, "\x1a");
    KT_STREQ(at(e, hex), "\r\n+CMS ERROR: 304\r\n", "length mismatch");
    KT_STREQ(at(e, "AT+CMGS=5\rZZ\x1a"), "\r\n> \r\n+CMS ERROR: 304\r\n", "not hex");
    /* PDU typed in pieces, with echo on the modem echoes it */
    at(e, "ATE1\r");
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu\r", p[0].tpdu_len);
    KT_HAS(at(e, cmd), "\r\n> ");
    hex_encode(p[0].bytes, p[0].len, hex, sizeof hex);
    KT_STREQ(at(e, "00"), "00", "echo of the first piece");
    const char *r = at(e, hex + 2);
    KT_CHECK(strncmp(r, hex + 2, strlen(hex + 2)) == 0, "echo of the rest");
    KT_STREQ(at(e, "\x1a"), "\r\n+CMGS: 2\r\n\r\nOK\r\n", "sent after Ctrl-Z alone");
    sim_free(e);
}

static void test_multipart(void)
{
    sim_engine *e = quiet(NULL);
    const char *text = "Kazi mpya: tafadhali soma maelezo haya kwa makini kabla ya kujibu. Jibu kwa "
                       "namba ya kazi na jibu lako, kwa mfano 42 2. Malipo ni KSh 20 kwa kila jibu "
                       "sahihi, yanalipwa kwa M-PESA kila Ijumaa. Asante!";
    sms_pdu p[4];
    size_t n = encode(text, "+254712345678", false, p, 4);
    KT_CHECK(n == 2, "two parts, got %zu", n);
    for (size_t i = 0; i < n; i++)
        KT_HAS(send_pdu(e, &p[i]), "+CMGS: ");
    char joined[1024] = "";
    for (size_t i = 0; i < sim_sent_count(e); i++) {
        const sim_sent *s = sim_sent_get(e, i);
        KT_CHECK(s->msg.has_concat && s->msg.concat.total == 2 && s->msg.concat.seq == i + 1,
                 "concat part %zu", i);
        KT_CHECK(s->msg.concat.ref == 77, "ref");
        strcat(joined, s->msg.text);
    }
    KT_STREQ(joined, text, "parts reassemble");
    sim_sent_clear(e);
    KT_CHECK(sim_sent_count(e) == 0, "cleared");
    sim_free(e);
}

/* Decode the PDU on the line after the first header line starting with prefix. */
static bool pdu_after(const char *out, const char *prefix, sms_message *m)
{
    const char *h = strstr(out, prefix);
    const char *nl = h ? strstr(h, "\r\n") : NULL;
    if (!nl)
        return false;
    nl += 2;
    size_t len = strcspn(nl, "\r");
    uint8_t pdu[SMS_PDU_MAX];
    size_t n;
    return hex_decode(nl, len, pdu, sizeof pdu, &n, NULL) == KZ_OK &&
           pdu_decode(pdu, n, true, m, NULL) == KZ_OK;
}

static void test_inbound_storage(void)
{
    sim_engine *e = quiet(NULL);
    size_t parts = 0;
    KT_CHECK(sim_inject_text(e, "+254700000001", "Habari", 6, SMS_CODING_AUTO, &parts, clock_ms,
                             NULL) == KZ_OK && parts == 1, "inject");
    KT_STREQ(drain(e), "\r\n+CMTI: \"SM\",1\r\n", "CMTI by default (CNMI 2,1)");
    const char *l = at(e, "AT+CMGL=4\r");
    sms_message m;
    KT_HAS(l, "+CMGL: 1,0,\"\",");
    KT_CHECK(pdu_after(l, "+CMGL: 1", &m) && m.type == SMS_DELIVER, "listed PDU decodes");
    KT_STREQ(m.text, "Habari", "listed text");
    KT_STREQ(m.address.text, "+254700000001", "sender");
    KT_HAS(at(e, "AT+CMGL=1\r"), "+CMGL: 1,1,");
    KT_STREQ(at(e, "AT+CMGL=0\r"), "\r\nOK\r\n", "listing marked it read");
    const char *ucs = "Jambo \xF0\x9F\x8C\x8D dunia";
    KT_CHECK(sim_inject_text(e, "+254700000002", ucs, strlen(ucs), SMS_CODING_UCS2, &parts,
                             clock_ms, NULL) == KZ_OK, "inject ucs2");
    KT_STREQ(drain(e), "\r\n+CMTI: \"SM\",2\r\n", "second slot");
    const char *r = at(e, "AT+CMGR=2\r");
    KT_HAS(r, "+CMGR: 0,\"\",");
    KT_CHECK(pdu_after(r, "+CMGR:", &m) && m.dcsinfo.coding == SMS_CODING_UCS2, "UCS-2 PDU");
    KT_STREQ(m.text, ucs, "ucs2 text");
    KT_HAS(at(e, "AT+CMGR=2\r"), "+CMGR: 1,");
    KT_STREQ(at(e, "AT+CMGR=9\r"), "\r\nOK\r\n", "empty slot");
    KT_STREQ(at(e, "AT+CMGR=31\r"), "\r\n+CMS ERROR: 321\r\n", "past the end");
    KT_STREQ(at(e, "AT+CMGD=1\r"), "\r\nOK\r\n", "delete one");
    KT_HASNT(at(e, "AT+CMGL=4\r"), "+CMGL: 1,");
    KT_STREQ(at(e, "AT+CMGD=1,4\r"), "\r\nOK\r\n", "delete all");
    KT_STREQ(at(e, "AT+CMGL=4\r"), "\r\nOK\r\n", "empty");
    /* multipart inbound */
    char longtxt[400];
    memset(longtxt, 'a', 300);
    longtxt[300] = '\0';
    KT_CHECK(sim_inject_text(e, "MPESA", longtxt, 300, SMS_CODING_AUTO, &parts, clock_ms, NULL) ==
                 KZ_OK && parts == 2, "two parts in, got %zu", parts);
    KT_STREQ(drain(e), "\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n", "two CMTI");
    sim_slot_view v;
    KT_CHECK(sim_storage_get(e, 1, &v) && v.index == 2 && strcmp(v.mem, "SM") == 0, "view");
    KT_CHECK(!sim_storage_get(e, 2, &v), "only two");
    sim_free(e);
}

static void test_cnmi_routing(void)
{
    sim_engine *e = quiet(NULL);
    sms_message m;
    at(e, "AT+CNMI=2,2,0,1,0\r");
    sim_inject_text(e, "+254700000001", "direct", 6, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    const char *o = drain(e);
    KT_HAS(o, "\r\n+CMT: \"\",");
    KT_CHECK(pdu_after(o, "+CMT:", &m) && strcmp(m.text, "direct") == 0, "+CMT PDU");
    KT_STREQ(at(e, "AT+CMGL=4\r"), "\r\nOK\r\n", "+CMT is not stored");
    /* status report: ds=1 -> +CDS */
    sms_pdu p[2];
    encode("report me", "+254712345678", true, p, 2);
    o = send_pdu(e, &p[0]);
    KT_CHECK(strncmp(o, "\r\n+CMGS: 0\r\n\r\nOK\r\n\r\n+CDS: ", 24) == 0,
             "sent with SRR, report right after: %s", o);
    KT_CHECK(pdu_after(o, "+CDS:", &m) && m.type == SMS_STATUS_REPORT && m.mr == 0 &&
                 m.status == 0, "report for MR 0, delivered");
    KT_CHECK(sim_sent_get(e, 0)->report_status == 0, "sent log knows");
    /* SIM800 has no ds=2 (python-gsmmodem#60): refused, the setting stays */
    KT_STREQ(at(e, "AT+CNMI=?\r"), "\r\n+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)\r\n\r\nOK\r\n",
             "SIM800's CNMI=?");
    KT_STREQ(at(e, "AT+CNMI=2,1,0,2,0\r"), "\r\n+CMS ERROR: 303\r\n", "ds=2 refused");
    KT_STREQ(at(e, "AT+CNMI?\r"), "\r\n+CNMI: 2,2,0,1,0\r\n\r\nOK\r\n", "unchanged");
    KT_CHECK(sim_report(e, 99, 0, clock_ms, NULL) == KZ_ERR_NOTFOUND, "unknown MR");
    /* ds=0 -> dropped */
    at(e, "AT+CNMI=2,1,0,0,0\r");
    sim_report(e, 0, 0, clock_ms, NULL);
    KT_STREQ(drain(e), "", "no report shown with ds=0");
    /* mt=0 -> stored silently */
    at(e, "AT+CNMI=2,0,0,0,0\r");
    sim_inject_text(e, "+254700000001", "silent", 6, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    KT_STREQ(drain(e), "", "no CMTI with mt=0");
    KT_HAS(at(e, "AT+CMGL=4\r"), "+CMGL: 1,0");
    KT_STREQ(at(e, "AT+CNMI?\r"), "\r\n+CNMI: 2,0,0,0,0\r\n\r\nOK\r\n", "CNMI?");
    KT_STREQ(at(e, "AT+CNMA\r"), "\r\n+CMS ERROR: 340\r\n", "no +CNMA with service 0");
    sim_free(e);
}

/* --cnmi-mode cdsi: reports may be stored (ds=2, +CDSI). */
static void test_cnmi_cdsi(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.cnmi_mode = SIM_CNMI_CDSI;
    sim_engine *e = quiet(&cfg);
    sms_message m;
    sms_pdu p[2];
    KT_STREQ(at(e, "AT+CNMI=?\r"), "\r\n+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)\r\n\r\nOK\r\n",
             "CNMI=? with ds 0-2");
    at(e, "AT+CNMI=2,1,0,2,0\r");
    encode("report me", "+254712345678", true, p, 2);
    KT_HAS(send_pdu(e, &p[0]), "\r\n+CDSI: \"SM\",1\r\n");
    KT_CHECK(pdu_after(at(e, "AT+CMGR=1\r"), "+CMGR:", &m) && m.type == SMS_STATUS_REPORT,
             "stored report");
    KT_CHECK(sim_report(e, 0, 0x40, clock_ms, NULL) == KZ_OK, "manual report");
    KT_STREQ(drain(e), "\r\n+CDSI: \"SM\",2\r\n", "second CDSI");
    KT_CHECK(pdu_after(at(e, "AT+CMGR=2\r"), "+CMGR:", &m) && m.status == 0x40, "its status");
    sim_free(e);
}

/* --cnmi-mode cmt --csms-service 1: only direct routing, each +CMT/+CDS acknowledged. */
static void test_cnmi_cmt_cnma(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.cnmi_mode = SIM_CNMI_CMT;
    cfg.csms_service = 1;
    sim_engine *e = quiet(&cfg);
    sms_message m;
    KT_STREQ(at(e, "AT+CNMI=?\r"), "\r\n+CNMI: (0-3),(0,2),(0,2),(0,1),(0,1)\r\n\r\nOK\r\n",
             "CNMI=? without mt=1");
    KT_STREQ(at(e, "AT+CNMI?\r"), "\r\n+CNMI: 2,0,0,0,0\r\n\r\nOK\r\n", "boots with mt=0");
    KT_STREQ(at(e, "AT+CNMI=2,1,0,1,0\r"), "\r\n+CMS ERROR: 303\r\n", "mt=1 refused");
    KT_STREQ(at(e, "AT+CNMI=2,3,0,1,0\r"), "\r\n+CMS ERROR: 303\r\n", "mt=3 refused");
    KT_STREQ(at(e, "AT+CSMS?\r"), "\r\n+CSMS: 1,1,1,1\r\n\r\nOK\r\n", "service 1");
    KT_STREQ(at(e, "AT+CNMI=2,2,0,1,0\r"), "\r\nOK\r\n", "mt=2 taken");
    sim_inject_text(e, "+254700000001", "one", 3, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    sim_inject_text(e, "+254700000002", "two", 3, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    const char *o = drain(e);
    KT_CHECK(pdu_after(o, "+CMT:", &m) && strcmp(m.text, "one") == 0, "first +CMT: %s", o);
    KT_CHECK(strstr(strstr(o, "+CMT:") + 1, "+CMT:") == NULL, "the second waits for +CNMA");
    o = at(e, "AT+CNMA\r");
    KT_CHECK(strncmp(o, "\r\nOK\r\n", 6) == 0, "acknowledged: %s", o);
    KT_CHECK(pdu_after(o, "+CMT:", &m) && strcmp(m.text, "two") == 0, "then the second: %s", o);
    /* no acknowledgement: the network takes it back and offers it again */
    advance(e, 15000);
    o = drain(e);
    KT_CHECK(pdu_after(o, "+CMT:", &m) && strcmp(m.text, "two") == 0, "redelivered: %s", o);
    sim_stats st;
    sim_get_stats(e, &st);
    KT_CHECK(st.acks_missed == 1 && st.delivered == 2, "one ack missed (%lu), 2 delivered (%lu)",
             st.acks_missed, st.delivered);
    /* a reboot loses the outstanding one too: the network offers it again, and
     * with mt=0 (the boot default) it is stored without an indication */
    sim_fault(e, SIM_FAULT_RESET, 0, 0, clock_ms);
    drain(e);
    sim_get_stats(e, &st);
    KT_CHECK(st.acks_missed == 2 && st.queued == 0, "given back, then stored (%lu, %zu)",
             st.acks_missed, st.queued);
    at(e, "ATE0\r");
    KT_HAS(at(e, "AT+CMGL=4\r"), "+CMGL: 1,0");
    at(e, "AT+CNMI=2,2,0,1,0\r");
    o = at(e, "AT+CNMA\r");
    KT_STREQ(o, "\r\n+CMS ERROR: 340\r\n", "nothing to acknowledge");
    sim_inject_text(e, "+254700000003", "three", 5, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    KT_CHECK(pdu_after(drain(e), "+CMT:", &m) && strcmp(m.text, "three") == 0, "third");
    KT_STREQ(at(e, "AT+CNMA=0\r"), "\r\nOK\r\n", "acknowledged with n=0");
    KT_STREQ(at(e, "AT+CNMA\r"), "\r\n+CMS ERROR: 340\r\n", "nothing left to acknowledge");
    sim_free(e);
}

static void test_storage_limit(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.sm_slots = 2;
    sim_engine *e = quiet(&cfg);
    for (int i = 0; i < 3; i++)
        sim_inject_text(e, "+254700000001", "x", 1, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    KT_STREQ(drain(e),
             "\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",2\r\n\r\n+CIEV: \"SMSFULL\",1\r\n",
             "two stored, then full");
    sim_stats st;
    sim_get_stats(e, &st);
    KT_CHECK(st.queued == 1 && st.sm_used == 2, "one waits in the network");
    KT_STREQ(at(e, "AT+CMGW=5\r"), "\r\n> ", "CMGW prompt");
    sms_pdu p[1];
    encode("draft", "+254712345678", false, p, 1);
    char hex[400];
    hex_encode(p[0].bytes, p[0].len, hex, sizeof hex);
    strcat(hex, "\x1a");
    char cmd[32];
    snprintf(cmd, sizeof cmd, "AT+CMGW=%zu\r", p[0].tpdu_len);
    at(e, "\x1b");
    at(e, cmd);
    KT_STREQ(at(e, hex), "\r\n+CMS ERROR: 322\r\n", "memory full");
    KT_STREQ(at(e, "AT+CMGD=1\r"), "\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n", "freed slot filled");
    sim_get_stats(e, &st);
    KT_CHECK(st.queued == 0, "queue drained");
    sim_free(e);
}

static const char ussd_script[] = "# test\n"
                                  "timeout 20000\n"
                                  "code *334# top\n"
                                  "node top\n"
                                  "say M-PESA\n"
                                  "say 1. Send money\n"
                                  "on 1 phone\n"
                                  "node phone\n"
                                  "say Enter phone no.\n"
                                  "keep phone\n"
                                  "match 07[0-9]{8} done\n"
                                  "else bad\n"
                                  "end done\n"
                                  "say Sent to {phone}\n"
                                  "sms MPESA {ref} Confirmed. Sent to {phone}\n"
                                  "end bad\n"
                                  "say Failed\n";

static void test_ussd(void)
{
    sim_engine *e = quiet(NULL);
    kz_err err;
    kz_err_clear(&err);
    KT_CHECK(sim_ussd_load(e, ussd_script, strlen(ussd_script), &err) == KZ_OK, "load: %s",
             err.msg);
    KT_STREQ(at(e, "AT+CUSD=1,\"*334#\",15\r"),
             "\r\nOK\r\n\r\n+CUSD: 1,\"M-PESA\n1. Send money\",15\r\n", "menu");
    KT_STREQ(at(e, "AT+CUSD=1,\"1\",15\r"), "\r\nOK\r\n\r\n+CUSD: 1,\"Enter phone no.\",15\r\n",
             "step");
    const char *o = at(e, "AT+CUSD=1,\"0712345678\",15\r");
    KT_HAS(o, "\r\nOK\r\n\r\n+CUSD: 0,\"Sent to 0712345678\",15\r\n");
    KT_HAS(o, "+CMTI: \"SM\",1");
    sms_message m;
    KT_CHECK(pdu_after(at(e, "AT+CMGR=1\r"), "+CMGR:", &m), "confirmation SMS");
    KT_HAS(m.text, "Confirmed. Sent to 0712345678");
    KT_STREQ(m.address.text, "MPESA", "alphanumeric sender");
    /* timeout */
    at(e, "AT+CUSD=1,\"*334#\",15\r");
    advance(e, 19999);
    KT_STREQ(drain(e), "", "still open");
    advance(e, 1);
    KT_STREQ(drain(e), "\r\n+CUSD: 2\r\n", "network timeout");
    /* cancel, then an answer is a new (unknown) request */
    at(e, "AT+CUSD=1,\"*334#\",15\r");
    KT_STREQ(at(e, "AT+CUSD=2\r"), "\r\nOK\r\n", "cancel");
    KT_STREQ(at(e, "AT+CUSD=1,\"1\",15\r"), "\r\nOK\r\n\r\n+CUSD: 4\r\n", "no session");
    /* wrong input, UCS2 character set both ways */
    at(e, "AT+CSCS=\"UCS2\"\r");
    o = at(e, "AT+CUSD=1,\"002A0033003300340023\",15\r");
    KT_HAS(o, "+CUSD: 1,\"004D002D");
    KT_HAS(o, "\",72");
    at(e, "AT+CUSD=1,\"0031\",15\r");
    KT_HAS(at(e, "AT+CUSD=1,\"0031\",15\r"), "+CUSD: 0,\"004600610069006C00650064\",72");
    /* bad scripts */
    KT_CHECK(sim_ussd_load(e, "code *1# nowhere\n", 17, &err) == KZ_ERR_INVALID, "unknown node");
    KT_HAS(err.msg, "line 1");
    KT_CHECK(sim_ussd_load(e, "node a\nbogus x\n", 15, &err) == KZ_ERR_INVALID, "bad statement");
    KT_HAS(err.msg, "line 2");
    sim_free(e);
}

static void test_ussd_latency(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.ussd_latency_ms = 2000;
    sim_engine *e = quiet(&cfg);
    sim_ussd_load(e, ussd_script, strlen(ussd_script), NULL);
    KT_STREQ(at(e, "AT+CUSD=1,\"*334#\",15\r"), "\r\nOK\r\n", "OK first");
    KT_STREQ(at(e, "AT+CUSD=1,\"1\",15\r"), "\r\n+CME ERROR: 3\r\n", "busy until answered");
    advance(e, 2000);
    KT_HAS(drain(e), "+CUSD: 1,\"M-PESA");
    sim_free(e);
}

static void test_faults(void)
{
    sim_engine *e = quiet(NULL);
    sim_fault(e, SIM_FAULT_HANG, 500, 0, clock_ms);
    KT_STREQ(at(e, "AT\r"), "", "hung");
    advance(e, 500);
    KT_STREQ(at(e, "AT\r"), "\r\nOK\r\n", "hang over");
    sim_fault(e, SIM_FAULT_HANG, 0, 0, clock_ms);
    advance(e, 100000);
    KT_STREQ(at(e, "AT\r"), "", "hung until cleared");
    sim_fault(e, SIM_FAULT_CLEAR, 0, 0, clock_ms);
    KT_STREQ(at(e, "AT\r"), "\r\nOK\r\n", "cleared");

    sim_fault(e, SIM_FAULT_GARBAGE, 10, 0, clock_ms);
    const char *o = at(e, "AT+CGMI\r");
    KT_CHECK(strlen(o) <= strlen("\r\nSIMCOM_Ltd\r\n\r\nOK\r\n") + 10, "noise length");
    sim_stats st;
    sim_get_stats(e, &st);
    KT_CHECK(st.garbage == 10, "10 noise bytes, got %lu", st.garbage);
    KT_STREQ(at(e, "AT\r"), "\r\nOK\r\n", "noise is once");

    sms_pdu p[1];
    encode("x", "+254712345678", false, p, 1);
    sim_fault(e, SIM_FAULT_CMS, 500, 2, clock_ms);
    KT_STREQ(at(e, "AT\r"), "\r\nOK\r\n", "non-SMS commands unaffected");
    char cmd[32];
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu\r", p[0].tpdu_len);
    KT_STREQ(at(e, cmd), "\r\n+CMS ERROR: 500\r\n", "cms 1");
    KT_STREQ(at(e, cmd), "\r\n+CMS ERROR: 500\r\n", "cms 2");
    KT_HAS(send_pdu(e, &p[0]), "+CMGS: 0");

    at(e, "AT+CREG=1\r");
    sim_fault(e, SIM_FAULT_DEREGISTER, 0, 0, clock_ms);
    KT_STREQ(drain(e), "\r\n+CREG: 2\r\n", "CREG URC on loss");
    KT_STREQ(send_pdu(e, &p[0]), "\r\n+CMS ERROR: 331\r\n", "no network");
    sim_inject_text(e, "+254700000001", "later", 5, SMS_CODING_AUTO, NULL, clock_ms, NULL);
    KT_STREQ(drain(e), "", "inbound waits for the network");
    sim_fault(e, SIM_FAULT_REGISTER, 0, 0, clock_ms);
    KT_STREQ(drain(e), "\r\n+CREG: 1\r\n\r\n+CMTI: \"SM\",1\r\n", "back, message arrives");

    sim_fault(e, SIM_FAULT_RESET, 0, 0, clock_ms);
    KT_HAS(drain(e), "RDY");
    KT_STREQ(at(e, "AT\r"), "AT\r\r\nOK\r\n", "echo back on after reset");
    KT_HAS(at(e, "AT+CMGL=4\r"), "+CMGL: 1,"); /* SIM storage survives a reset */

    sim_fault(e, SIM_FAULT_DEAD, 0, 0, clock_ms);
    KT_STREQ(at(e, "AT\r"), "", "dead");
    sim_fault(e, SIM_FAULT_CLEAR, 0, 0, clock_ms);
    KT_STREQ(at(e, "AT\r"), "", "clear does not revive");
    sim_fault(e, SIM_FAULT_POWER_CYCLE, 0, 0, clock_ms);
    KT_HAS(drain(e), "SMS Ready");
    KT_STREQ(at(e, "AT\r"), "AT\r\r\nOK\r\n", "alive");
    KT_STREQ(at(e, "AT+CFUN=1,1\r"), "AT+CFUN=1,1\r\r\nOK\r\n\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: "
                                      "READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n",
             "CFUN=1,1 reboots");
    KT_CHECK(sim_fault(e, SIM_FAULT_GARBAGE, 0, 0, clock_ms) == KZ_ERR_RANGE, "garbage 0");
    sim_free(e);
}

static void test_latency(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.latency_ms = 100;
    cfg.cmgs_latency_ms = 3000;
    cfg.boot_ms = 50;
    sim_engine *e = make(&cfg);
    KT_STREQ(drain(e), "", "still booting");
    KT_STREQ(at(e, "AT\r"), "", "deaf while booting");
    advance(e, 50);
    KT_HAS(drain(e), "RDY");
    KT_STREQ(at(e, "AT\r"), "AT\r", "echo at once");
    uint64_t when = 0;
    KT_CHECK(sim_next_deadline(e, &when) && when == clock_ms + 100, "deadline");
    KT_STREQ(at(e, "ATE0\r"), "", "queued while busy");
    advance(e, 99);
    KT_STREQ(drain(e), "", "not yet");
    advance(e, 1);
    KT_STREQ(drain(e), "\r\nOK\r\nATE0\r", "OK, then the queued command's echo");
    advance(e, 100);
    KT_STREQ(drain(e), "\r\nOK\r\n", "its OK");
    sms_pdu p[1];
    encode("slow", "+254712345678", false, p, 1);
    char cmd[32], hex[400];
    snprintf(cmd, sizeof cmd, "AT+CMGS=%zu\r", p[0].tpdu_len);
    KT_STREQ(at(e, cmd), "\r\n> ", "prompt is immediate");
    hex_encode(p[0].bytes, p[0].len, hex, sizeof hex);
    strcat(hex, "\x1a");
    KT_STREQ(at(e, hex), "", "network round trip");
    advance(e, 3099);
    KT_STREQ(drain(e), "", "still waiting");
    advance(e, 1);
    KT_STREQ(drain(e), "\r\n+CMGS: 0\r\n\r\nOK\r\n", "sent");
    sim_free(e);
}

int main(void)
{
    test_boot_and_echo();
    test_pin();
    test_send();
    test_multipart();
    test_inbound_storage();
    test_cnmi_routing();
    test_cnmi_cdsi();
    test_cnmi_cmt_cnma();
    test_storage_limit();
    test_ussd();
    test_ussd_latency();
    test_faults();
    test_latency();
    return kt_report();
}
