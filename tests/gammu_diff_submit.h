/*
 * gammu_diff_submit.h - test helper for tests/unit/test_gammu_diff.c: the
 * encode direction. Owns the SUBMIT case (submit_case): its random options,
 * encoding the text with pdu_encode_submit, and the checks that gammu decodes
 * each of our PDUs to the same destination, SMSC, TP-MR, TP-VP, class,
 * coding, concatenation header and text, and that our parts and part count
 * agree with gammu's splitter and the TS 23.040 cutting rule.
 * Never decodes with our decoder (that is gammu_diff_deliver.h), never
 * prints except through diff_check, never writes files and never relies on
 * the locale.
 */
#ifndef KAZI_TEST_GAMMU_DIFF_SUBMIT_H
#define KAZI_TEST_GAMMU_DIFF_SUBMIT_H

#include <gammu.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "gammu_diff_check.h"
#include "gammu_diff_gen.h"
#include "gammu_oracle.h"
#include "pdu.h"

typedef struct submit_case {
    diff_case c;
    sms_submit_opts opts;
    char to[ADDR_MAX];
    char smsc[ADDR_MAX];
    size_t nparts;
    bool ref16;
    bool same_cuts;             /* our cuts and gammu's splitter's must coincide */
    size_t nwant;               /* UCS-2: parts under the TS 23.040 rule, else 0 */
    size_t want_units[PDU_CAP]; /* UCS-2: UTF-16 units part k must carry */
} submit_case;

static void submit_opts_generate(submit_case *s)
{
    sms_submit_opts_init(&s->opts);
    addr_generate(s->to, true);
    s->opts.to = s->to;
    s->smsc[0] = '\0';
    if (rng_chance(60)) {
        s->smsc[0] = '+';
        digits_put(s->smsc + 1, (size_t)rng_range(8, 12), true);
        s->opts.smsc = s->smsc;
    }
    s->opts.mr = (uint8_t)rng_below(256);
    s->opts.vp_relative = rng_chance(50) ? (int)rng_below(256) : -1;
    s->opts.srr = rng_chance(30);
    s->opts.class0 = rng_chance(10);
    s->ref16 = rng_chance(30);
    s->opts.concat_ref_bits = s->ref16 ? 16 : 8;
    s->opts.concat_ref = (uint16_t)rng_below(s->ref16 ? 65536 : 256);
}

/* The header fields of one of our SUBMIT PDUs as gammu read them. */
static void submit_check_fields(diff_ctx *x, const submit_case *s, const diff_case *c)
{
    const GSM_SMSMessage *g = x->sms;
    char got[4 * ADDR_MAX];
    gammu_to_utf8(g->Number, got, sizeof(got));
    diff_check(c, g->PDU == SMS_Submit, "gammu reads TP-MTI as %d, not SUBMIT", (int)g->PDU);
    diff_check(c, strcmp(got, s->to) == 0, "destination: gammu reads \"%s\", we meant \"%s\"", got,
               s->to);
    gammu_to_utf8(g->SMSC.Number, got, sizeof(got));
    diff_check(c, strcmp(got, s->smsc) == 0, "SMSC: gammu reads \"%s\", we meant \"%s\"", got,
               s->smsc);
    diff_check(c, g->MessageReference == s->opts.mr, "TP-MR: gammu reads %d, we wrote %d",
               g->MessageReference, s->opts.mr);
    bool vp = g->SMSC.Validity.Format == SMS_Validity_RelativeFormat;
    diff_check(c, vp == (s->opts.vp_relative >= 0) && (!vp || (int)g->SMSC.Validity.Relative ==
                                                                    s->opts.vp_relative),
               "TP-VP: gammu reads format %d value %d, we wrote %d", (int)g->SMSC.Validity.Format,
               (int)g->SMSC.Validity.Relative, s->opts.vp_relative);
    diff_check(c, g->Class == (s->opts.class0 ? 0 : -1), "class: gammu reads %d, class0=%d",
               g->Class, s->opts.class0);
    GSM_Coding_Type want = x->text.gsm ? SMS_Coding_Default_No_Compression
                                       : SMS_Coding_Unicode_No_Compression;
    diff_check(c, g->Coding == want, "coding: gammu reads %d, want %d", (int)g->Coding, (int)want);
}

static void submit_check_udh(diff_ctx *x, const submit_case *s, const diff_case *c, size_t k)
{
    const GSM_UDHHeader *u = &x->sms->UDH;
    if (s->nparts == 1) {
        diff_check(c, u->Type == UDH_NoUDH, "single part carries a UDH (gammu type %d)",
                   (int)u->Type);
        return;
    }
    GSM_UDH want = s->ref16 ? UDH_ConcatenatedMessages16bit : UDH_ConcatenatedMessages;
    int ref = s->ref16 ? u->ID16bit : u->ID8bit;
    diff_check(c,
               u->Type == want && ref == s->opts.concat_ref && u->PartNumber == (int)k + 1 &&
                   u->AllParts == (int)s->nparts,
               "concat: gammu reads type %d ref %d part %d/%d, want type %d ref %u part %zu/%zu",
               (int)u->Type, ref, u->PartNumber, u->AllParts, (int)want, s->opts.concat_ref,
               k + 1, s->nparts);
}

/* Part k as gammu's splitter cut it must hold the same units as our part k. */
static void submit_check_cut(diff_ctx *x, const diff_case *c, size_t k, const uint16_t *u,
                             size_t n)
{
    uint16_t g[2 * TEXT_U16_MAX];
    size_t gn = gammu_units(x->multi->SMS[k].Text, g, 2 * TEXT_U16_MAX);
    diff_check(c, gn == n && memcmp(g, u, n * sizeof(*u)) == 0,
               "part %zu differs from gammu's splitter's part %zu (%zu units, gammu %zu)", k + 1,
               k + 1, n, gn);
}

static void submit_check_part(diff_ctx *x, const submit_case *s, size_t k)
{
    const sms_pdu *p = &x->pdus[k];
    diff_case c = s->c;
    c.pdu = p->bytes;
    c.pdu_len = p->len;
    size_t fin;
    GSM_Error e = gammu_decode(x->di, x->sms, p->bytes, p->len, 1u + p->bytes[0] + 2, &fin); /* FO, MR, DA */
    if (!diff_check(&c, e == ERR_NONE && fin == p->len,
                    "gammu cannot read part %zu: error %d, stopped at %zu of %zu", k + 1, (int)e,
                    fin, p->len))
        return;
    diff_check(&c, p->tpdu_len == p->len - 1u - p->bytes[0], "tpdu_len %zu for %zu bytes",
               p->tpdu_len, p->len);
    submit_check_fields(x, s, &c);
    submit_check_udh(x, s, &c, k);
    uint16_t u[2 * TEXT_U16_MAX];
    size_t n = decoded_units(x->sms, u, 2 * TEXT_U16_MAX);
    diff_check(&c, n == 0 || !is_high_surrogate(u[n - 1]), "part %zu ends inside a surrogate pair",
               k + 1);
    if (s->same_cuts && k < (size_t)x->multi->Number)
        submit_check_cut(x, &c, k, u, n);
    if (k < s->nwant && k < PDU_CAP)
        diff_check(&c, n == s->want_units[k], "part %zu carries %zu units, TS 23.040 cuts give %zu",
                   k + 1, n, s->want_units[k]);
    acc_add(x, u, n);
}

/*
 * For UCS-2, where gammu's flag rule may cut elsewhere: gammu's parts must be
 * what the model of its rule says (ours were held to the TS 23.040 rule).
 * Returns whether the two rules cut this text alike.
 */
static bool submit_model_cuts(diff_ctx *x, const submit_case *s)
{
    size_t g_units[PDU_CAP];
    size_t theirs = ucs2_cut_model(&x->text, s->ref16 ? 66 : 67, true, g_units, PDU_CAP);
    bool g_ok = theirs == (size_t)x->multi->Number;
    for (size_t k = 0; g_ok && k < theirs && k < PDU_CAP; k++)
        g_ok = UnicodeLength(x->multi->SMS[k].Text) == g_units[k];
    diff_check(&s->c, g_ok, "gammu's splitter made %d parts, its rule as modelled %zu",
               x->multi->Number, theirs);
    return s->nwant == theirs && memcmp(s->want_units, g_units, theirs * sizeof(size_t)) == 0;
}

/* Our part count and coding choice against gammu's own splitter. */
static void submit_check_count(diff_ctx *x, submit_case *s)
{
    GSM_Error e = gammu_split(x->di, x->info, x->multi, x->text.u16, x->text.nu16, s->ref16);
    s->same_cuts = false;
    if (!diff_check(&s->c, e == ERR_NONE, "gammu's splitter failed: %d", (int)e))
        return;
    GSM_Coding_Type gc = x->multi->SMS[0].Coding;
    diff_check(&s->c, (gc == SMS_Coding_Default_No_Compression) == x->text.gsm,
               "gammu's automatic coding is %d, text is %sGSM-7", (int)gc, x->text.gsm ? "" : "not ");
    s->same_cuts = x->text.gsm || submit_model_cuts(x, s);
    x->flag_cuts += !s->same_cuts;
    if (s->same_cuts)
        diff_check(&s->c, s->nparts == (size_t)x->multi->Number,
                   "we make %zu parts, gammu's splitter %d", s->nparts, x->multi->Number);
}

static void submit_one(diff_ctx *x, int index)
{
    submit_case s;
    text_generate(&x->text);
    submit_opts_generate(&s);
    s.c = (diff_case){"submit", index, s.to, &x->text, NULL, 0};
    kz_err err;
    kz_err_clear(&err);
    kz_status st = pdu_encode_submit((const uint8_t *)x->text.utf8, x->text.len, &s.opts, x->pdus,
                                     PDU_CAP, &s.nparts, &err);
    if (!diff_check(&s.c, st == KZ_OK, "pdu_encode_submit: %s (%s)", kz_strerror(st), err.msg))
        return;
    s.nwant = 0;
    if (!x->text.gsm) {
        s.nwant = ucs2_cut_model(&x->text, s.ref16 ? 66 : 67, false, s.want_units, PDU_CAP);
        diff_check(&s.c, s.nparts == s.nwant, "we make %zu parts, TS 23.040 cuts give %zu",
                   s.nparts, s.nwant);
    }
    submit_check_count(x, &s);
    x->nacc = x->nacc8 = 0;
    for (size_t k = 0; k < s.nparts; k++)
        submit_check_part(x, &s, k);
    char got[2 * TEXT_UTF8_MAX];
    diff_check(&s.c, acc_matches(x, got, sizeof(got)), "gammu reads the parts as \"%s\"", got);
    x->submit_pdus += s.nparts;
    x->alnum_addrs += s.to[0] != '+' && (s.to[0] < '0' || s.to[0] > '9');
    x->multipart_msgs += s.nparts > 1;
    x->ucs2_msgs += !x->text.gsm;
}

#endif
