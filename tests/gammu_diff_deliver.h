/*
 * gammu_diff_deliver.h - test helper for tests/unit/test_gammu_diff.c: the
 * decode direction. Owns the DELIVER case (deliver_case): its random sender,
 * SMSC, time stamp and header fields, having gammu encode each part, and the
 * checks that pdu_decode reads the same sender, SMSC, time stamp, coding,
 * class, TP-PID, first octet, concatenation header and text (and that
 * gammu's own decoder reads the time stamp back too).
 * Never encodes with our encoder (that is gammu_diff_submit.h), never prints
 * except through diff_check, never writes files and never relies on the
 * locale.
 */
#ifndef KAZI_TEST_GAMMU_DIFF_DELIVER_H
#define KAZI_TEST_GAMMU_DIFF_DELIVER_H

#include <gammu.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gammu_diff_check.h"
#include "gammu_diff_gen.h"
#include "gammu_oracle.h"
#include "pdu.h"

typedef struct deliver_case {
    diff_case c;
    char from[ADDR_MAX];
    char smsc[ADDR_MAX];
    sms_time scts;
    int msg_class;
    int replace;    /* gammu ReplaceMessage 0-7: TP-PID 0x40 + n when n > 0 */
    bool mms_bit;   /* first octet bit 2, which gammu sets for RejectDuplicates */
    bool reply_path;
    bool ref16;
    uint16_t ref;
    size_t nparts;
} deliver_case;

static void deliver_generate(deliver_case *d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    addr_generate(d->from, true);
    d->smsc[0] = '\0';
    if (rng_chance(80)) {
        d->smsc[0] = '+';
        digits_put(d->smsc + 1, (size_t)rng_range(8, 12), true);
    }
    /*
     * Two-digit years: gammu writes 2000-2069 as 00-69, read as 20xx by us
     * (70-99 are 19xx) and by gammu's decoder, which takes 90-99 as 1990 +
     * the value (99 -> 2089); so no year outside 2000-2069.
     */
    d->scts.year = rng_range(2000, 2069);
    d->scts.month = rng_range(1, 12);
    d->scts.day = rng_range(1, mdays[d->scts.month - 1]);
    d->scts.hour = rng_range(0, 23);
    d->scts.minute = rng_range(0, 59);
    d->scts.second = rng_range(0, 59);
    d->scts.tz_minutes = 15 * rng_range(-48, 56);
    d->msg_class = rng_range(-1, 3);
    d->replace = rng_chance(15) ? rng_range(1, 7) : 0;
    d->mms_bit = rng_chance(50);
    d->reply_path = rng_chance(20);
    d->ref16 = rng_chance(30);
    d->ref = (uint16_t)rng_below(d->ref16 ? 65536 : 256);
}

/* TS 23.040 9.2.3.11: quarter hours in swapped semi-octets, bit 3 the sign. */
static uint8_t tz_octet(int tz_minutes)
{
    int q = (tz_minutes < 0 ? -tz_minutes : tz_minutes) / 15;
    return (uint8_t)((q % 10) << 4 | (q / 10) | (tz_minutes < 0 ? 0x08 : 0));
}

/* Fill in the DELIVER fields of gammu's part g (its splitter made the text and UDH). */
static void deliver_fill_part(diff_ctx *x, const deliver_case *d, GSM_SMSMessage *g)
{
    g->PDU = SMS_Deliver;
    gammu_put_ascii(g->Number, d->from);
    gammu_put_ascii(g->SMSC.Number, d->smsc);
    g->DateTime = (GSM_DateTime){.Year = d->scts.year,
                                 .Month = d->scts.month,
                                 .Day = d->scts.day,
                                 .Hour = d->scts.hour,
                                 .Minute = d->scts.minute,
                                 .Second = d->scts.second,
                                 .Timezone = d->scts.tz_minutes * 60};
    g->Class = (signed char)d->msg_class;
    g->ReplaceMessage = (unsigned char)d->replace;
    g->RejectDuplicates = d->mms_bit;
    g->ReplyViaSameSMSC = d->reply_path;
    if (d->nparts > 1) {
        g->UDH.ID8bit = d->ref & 0xFF;
        g->UDH.ID16bit = d->ref;
        GSM_EncodeUDHHeader(x->di, &g->UDH);
    }
    if (g->Coding == SMS_Coding_Unicode_No_Compression)
        tilde_hide(g->Text);
}

static bool time_equal(const sms_time *a, const sms_time *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->tz_minutes == b->tz_minutes;
}

/* gammu's decoder on the same bytes: its reading of the time stamp. */
static void deliver_check_gammu_time(diff_ctx *x, const deliver_case *d, const diff_case *c,
                                     const uint8_t *pdu, size_t len)
{
    size_t fin;
    GSM_Error e = gammu_decode(x->di, x->sms, pdu, len, 1u + pdu[0] + 1, &fin); /* FO, OA */
    const GSM_DateTime *t = &x->sms->DateTime;
    sms_time g = {t->Year, t->Month, t->Day, t->Hour, t->Minute, t->Second, t->Timezone / 60};
    diff_check(c, e == ERR_NONE && fin == len && time_equal(&g, &d->scts) && t->Timezone % 60 == 0,
               "gammu's own decoder reads its PDU's time as %04d-%02d-%02d %02d:%02d:%02d %+d s",
               t->Year, t->Month, t->Day, t->Hour, t->Minute, t->Second, t->Timezone);
}

static void deliver_check_fields(diff_ctx *x, const deliver_case *d, const diff_case *c)
{
    const sms_message *m = &x->msg;
    diff_check(c, m->type == SMS_DELIVER, "type %d, not DELIVER", (int)m->type);
    diff_check(c, strcmp(m->address.text, d->from) == 0, "sender: we read \"%s\", gammu wrote \"%s\"",
               m->address.text, d->from);
    diff_check(c, m->has_smsc == (d->smsc[0] != '\0') && strcmp(m->smsc.text, d->smsc) == 0,
               "SMSC: we read has=%d \"%s\", gammu wrote \"%s\"", m->has_smsc, m->smsc.text,
               d->smsc);
    diff_check(c, time_equal(&m->scts, &d->scts),
               "SCTS: we read %04d-%02d-%02d %02d:%02d:%02d %+d min, want %04d-%02d-%02d "
               "%02d:%02d:%02d %+d min",
               m->scts.year, m->scts.month, m->scts.day, m->scts.hour, m->scts.minute,
               m->scts.second, m->scts.tz_minutes, d->scts.year, d->scts.month, d->scts.day,
               d->scts.hour, d->scts.minute, d->scts.second, d->scts.tz_minutes);
    sms_coding want = x->text.gsm ? SMS_CODING_GSM7 : SMS_CODING_UCS2;
    diff_check(c, m->dcsinfo.coding == want && m->dcsinfo.msg_class == d->msg_class,
               "DCS 0x%02X: we read coding %d class %d, want coding %d class %d", m->dcs,
               (int)m->dcsinfo.coding, m->dcsinfo.msg_class, (int)want, d->msg_class);
    diff_check(c, m->pid == (d->replace ? 0x40 + d->replace : 0), "TP-PID: we read 0x%02X", m->pid);
    diff_check(c, m->more_messages == !d->mms_bit && m->reply_path == d->reply_path,
               "first octet 0x%02X: we read more_messages=%d reply_path=%d", m->first_octet,
               m->more_messages, m->reply_path);
}

static void deliver_check_concat(diff_ctx *x, const deliver_case *d, const diff_case *c, size_t k)
{
    const sms_message *m = &x->msg;
    if (d->nparts == 1) {
        diff_check(c, !m->has_concat, "single part read as concatenated");
        return;
    }
    unsigned bits = d->ref16 ? 16 : 8;
    diff_check(c,
               m->has_concat && m->concat.ref == d->ref && m->concat.ref_bits == bits &&
                   m->concat.total == d->nparts && m->concat.seq == k + 1,
               "concat: we read has=%d ref %u/%u-bit part %u/%u, gammu wrote ref %u/%u-bit part "
               "%zu/%zu",
               m->has_concat, m->concat.ref, m->concat.ref_bits, m->concat.seq, m->concat.total,
               d->ref, bits, k + 1, d->nparts);
}

/*
 * Gather our reading of a part: GSM-7 text as UTF-8; UCS-2 as the raw units,
 * and the part's own text must be those units.
 */
static void deliver_gather_text(diff_ctx *x, const diff_case *c)
{
    const sms_message *m = &x->msg;
    if (m->dcsinfo.coding != SMS_CODING_UCS2) {
        diff_check(c, m->has_text && strlen(m->text) == m->text_len, "no text (has_text=%d)",
                   m->has_text);
        size_t room = sizeof(x->acc8) - 1 - x->nacc8;
        size_t n = m->text_len < room ? m->text_len : room;
        memcpy(x->acc8 + x->nacc8, m->text, n);
        x->nacc8 += n;
        x->acc8[x->nacc8] = '\0';
        return;
    }
    uint16_t u[SMS_UD_MAX / 2];
    size_t n = 0;
    diff_check(c, m->data_len % 2 == 0, "odd UCS-2 length %zu", m->data_len);
    for (size_t i = 0; i + 1 < m->data_len; i += 2)
        u[n++] = (uint16_t)(m->data[i] << 8 | m->data[i + 1]);
    char s[TEXT_UTF8_MAX];
    utf16_to_utf8(u, n, s, sizeof(s));
    diff_check(c, m->has_text && strcmp(s, m->text) == 0,
               "text \"%s\" (has_text=%d) is not its own UCS-2 data", m->text, m->has_text);
    acc_add(x, u, n);
}

static void deliver_check_part(diff_ctx *x, const deliver_case *d, size_t k)
{
    GSM_SMSMessage *g = &x->multi->SMS[k];
    deliver_fill_part(x, d, g);
    unsigned char frame[512];
    int flen = 0;
    GSM_Error e = GSM_EncodeSMSFrame(x->di, g, frame, PHONE_SMSDeliver, &flen, TRUE);
    if (!diff_check(&d->c, e == ERR_NONE && flen >= PHONE_SMSDeliver.Text,
                    "gammu cannot encode part %zu: %d", k + 1, (int)e))
        return;
    if (g->Coding == SMS_Coding_Unicode_No_Compression)
        tilde_restore(frame + PHONE_SMSDeliver.Text, (size_t)flen - PHONE_SMSDeliver.Text,
                      frame[PHONE_SMSDeliver.firstbyte] & 0x40);
    uint8_t flat[SMS_PDU_MAX + 16];
    size_t len = deliver_flatten(frame, flen, d->smsc[0] != 0, tz_octet(d->scts.tz_minutes), flat);
    if (!diff_check(&d->c, len > 0, "gammu's part %zu has %d octets of user data", k + 1,
                    flen - PHONE_SMSDeliver.Text))
        return;
    uint8_t *exact = malloc(len); /* exact size, so ASan sees any read past the end */
    if (!exact)
        return;
    memcpy(exact, flat, len);
    diff_case c = d->c;
    c.pdu = exact;
    c.pdu_len = len;
    kz_err err;
    kz_err_clear(&err);
    kz_status st = pdu_decode(exact, len, true, &x->msg, &err);
    if (diff_check(&c, st == KZ_OK, "pdu_decode part %zu: %s at %zu (%s)", k + 1,
                   kz_strerror(st), err.offset, err.msg)) {
        deliver_check_fields(x, d, &c);
        deliver_check_concat(x, d, &c, k);
        deliver_gather_text(x, &c);
        deliver_check_gammu_time(x, d, &c, exact, len);
    }
    free(exact);
}

static void deliver_one(diff_ctx *x, int index)
{
    deliver_case d;
    text_generate(&x->text);
    deliver_generate(&d);
    d.c = (diff_case){"deliver", index, d.from, &x->text, NULL, 0};
    GSM_Error e = gammu_split(x->di, x->info, x->multi, x->text.u16, x->text.nu16, d.ref16);
    if (!diff_check(&d.c, e == ERR_NONE && x->multi->Number >= 1, "gammu's splitter failed: %d",
                    (int)e))
        return;
    d.nparts = (size_t)x->multi->Number;
    x->nacc = x->nacc8 = 0;
    for (size_t k = 0; k < d.nparts; k++)
        deliver_check_part(x, &d, k);
    char got[2 * TEXT_UTF8_MAX];
    diff_check(&d.c, acc_matches(x, got, sizeof(got)), "we read the parts as \"%s\"", got);
    x->deliver_pdus += d.nparts;
}

#endif
