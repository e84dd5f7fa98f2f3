/*
 * modem_gammu_pdu.c - libgammu's messages to and from ours. libgammu hands
 * back decoded messages, not the PDU a modem printed, so a DELIVER is written
 * back as a PDU with our codec: originator, SMSC, time stamp, class, coding,
 * the user data header as read and the text re-encoded in its own coding
 * (UCS-2 and 8-bit octets unchanged), so the daemon sees what the AT driver
 * would have handed over. Outbound, our SUBMIT PDU is decoded by libgammu.
 * Owns nothing; never blocks, allocates or logs.
 */
#include <string.h>

#include "gsm7.h"
#include "modem_gammu_internal.h"
#include "ucs2.h"

static size_t units(const unsigned char *u, size_t max_units)
{
    size_t n = 0;
    while (n < max_units && (u[2 * n] || u[2 * n + 1]))
        n++;
    return n;
}

void gm_text_to_utf8(const unsigned char *u, size_t max_units, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (ucs2_to_utf8(u, 2 * units(u, max_units), out, cap, &len, NULL) != KZ_OK)
        out[0] = '\0';
}

kz_status gm_text_from_utf8(const char *s, unsigned char *out, size_t cap)
{
    size_t n = 0;
    if (cap < 2)
        return KZ_ERR_NOSPACE;
    kz_status st = ucs2_from_utf8((const uint8_t *)s, strlen(s), out, cap - 2, &n, NULL);
    if (st != KZ_OK)
        return st;
    out[n] = out[n + 1] = 0;
    return KZ_OK;
}

static void time_from_gammu(const GSM_DateTime *d, sms_time *t)
{
    /* the PDU holds two digits of the year: libgammu reads 70-99 as 20xx, we as 19xx */
    int yy = d->Year % 100;
    *t = (sms_time){.year = yy >= 70 ? 1900 + yy : 2000 + yy, .month = d->Month, .day = d->Day, .hour = d->Hour,
                    .minute = d->Minute, .second = d->Second, .tz_minutes = d->Timezone / 60};
    if (t->year < 1970 || t->year > 2069 || t->month < 1 || t->day < 1)
        *t = (sms_time){.year = 2000, .month = 1, .day = 1};
}

/* TP-UDL and TP-UD for a GSM-7 text after a header of udh_len octets. */
static kz_status gsm7_ud(const GSM_SMSMessage *g, size_t udh_len, uint8_t *ud, size_t cap,
                         size_t *ud_len, uint8_t *udl, kz_err *err)
{
    char utf8[3 * (GSM_MAX_SMS_LENGTH + 1) + 1];
    uint8_t sept[2 * SMS_UD_MAX];
    size_t n = 0, packed = 0;
    gm_text_to_utf8(g->Text, GSM_MAX_SMS_LENGTH, utf8, sizeof utf8);
    size_t hs = (udh_len * 8 + 6) / 7;
    kz_status st = gsm7_from_utf8((const uint8_t *)utf8, strlen(utf8), sept, sizeof sept, &n, err);
    if (st == KZ_OK && hs + n > 160)
        st = kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "GSM-7 text of %zu septets", n);
    if (st == KZ_OK)
        st = gsm7_pack(sept, n, (unsigned)(hs * 7 - udh_len * 8), ud, cap, &packed);
    if (st != KZ_OK)
        return st;
    *ud_len = packed;
    *udl = (uint8_t)(hs + n);
    return KZ_OK;
}

static kz_status deliver_to_pdu(const GSM_SMSMessage *g, sms_pdu *out, kz_err *err)
{
    char from[SMS_ADDR_MAX * 2], smsc[SMS_ADDR_MAX * 2];
    gm_text_to_utf8(g->Number, GSM_MAX_NUMBER_LENGTH, from, sizeof from);
    gm_text_to_utf8(g->SMSC.Number, GSM_MAX_NUMBER_LENGTH, smsc, sizeof smsc);
    bool ucs2 = g->Coding == SMS_Coding_Unicode_No_Compression;
    bool eight = g->Coding == SMS_Coding_8bit;
    if (!ucs2 && !eight && g->Coding != SMS_Coding_Default_No_Compression)
        return kz_err_set(err, KZ_ERR_UNSUPPORTED, KZ_NO_OFFSET, "compressed text from %s", from);

    sms_deliver_opts o;
    sms_deliver_opts_init(&o);
    o.from = from;
    o.smsc = smsc;
    o.msg_class = g->Class >= 0 && g->Class <= 3 ? g->Class : -1;
    o.coding = ucs2 ? SMS_CODING_UCS2 : SMS_CODING_GSM7;
    time_from_gammu(&g->DateTime, &o.scts);
    size_t n = 0;
    kz_status st = pdu_encode_deliver((const uint8_t *)"", 0, &o, out, 1, &n, err);
    if (st != KZ_OK)
        return st;
    out->len--; /* drop the empty TP-UDL: the user data is ours to write */

    uint8_t ud[SMS_UD_MAX], udl = 0;
    size_t udh_len = g->UDH.Type != UDH_NoUDH && g->UDH.Length > 0 ? (size_t)g->UDH.Length : 0;
    if (udh_len > SMS_UD_MAX)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "header of %zu octets", udh_len);
    memcpy(ud, g->UDH.Text, udh_len);
    size_t body = 0;
    if (ucs2 || eight) {
        body = ucs2 ? 2 * units(g->Text, GSM_MAX_SMS_LENGTH) : (size_t)g->Length;
        if (udh_len + body > SMS_UD_MAX)
            return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "user data of %zu octets",
                              udh_len + body);
        memcpy(ud + udh_len, g->Text, body);
        udl = (uint8_t)(udh_len + body);
    } else if ((st = gsm7_ud(g, udh_len, ud + udh_len, sizeof ud - udh_len, &body, &udl, err)) !=
               KZ_OK) {
        return st;
    }
    size_t fo = (size_t)out->bytes[0] + 1;
    if (udh_len)
        out->bytes[fo] |= 0x40;
    if (eight)
        out->bytes[out->len - 8] = (uint8_t)(0x04 | (o.msg_class >= 0 ? 0x10 | o.msg_class : 0));
    if (out->len + 1 + udh_len + body > SMS_PDU_MAX)
        return kz_err_set(err, KZ_ERR_RANGE, KZ_NO_OFFSET, "PDU too long");
    out->bytes[out->len++] = udl;
    memcpy(out->bytes + out->len, ud, udh_len + body);
    out->len += udh_len + body;
    out->tpdu_len = out->len - fo;
    return KZ_OK;
}

kz_status gm_sms_to_pdu(const GSM_SMSMessage *g, sms_pdu *out, kz_err *err)
{
    memset(out, 0, sizeof *out);
    if (g->PDU == SMS_Deliver)
        return deliver_to_pdu(g, out, err);
    if (g->PDU != SMS_Status_Report)
        return kz_err_set(err, KZ_ERR_UNSUPPORTED, KZ_NO_OFFSET, "not a DELIVER or a report");
    char to[SMS_ADDR_MAX * 2];
    sms_time scts, discharge;
    gm_text_to_utf8(g->Number, GSM_MAX_NUMBER_LENGTH, to, sizeof to);
    time_from_gammu(&g->SMSCTime, &scts);
    time_from_gammu(&g->DateTime, &discharge);
    return pdu_encode_status_report(to, g->MessageReference, &scts, &discharge,
                                    g->DeliveryStatus, out, err);
}

kz_status gm_pdu_to_sms(const gammu_lib *gl, GSM_StateMachine *sm, const sms_pdu *pdu,
                        GSM_SMSMessage *out, kz_err *err)
{
    sms_message msg;
    kz_status st = pdu_decode(pdu->bytes, pdu->len, true, &msg, err);
    if (st != KZ_OK)
        return st;
    if (msg.type != SMS_SUBMIT)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "not an SMS-SUBMIT");
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    GSM_Error ge =
        gl->GSM_DecodePDUFrame(gl->GSM_GetDebug(sm), out, pdu->bytes, pdu->len, &pos, TRUE);
    if (ge != ERR_NONE)
        return kz_err_set(err, KZ_ERR_INVALID, KZ_NO_OFFSET, "libgammu cannot read the PDU: %s",
                          gl->GSM_ErrorString(ge));
    /* libgammu asks for a status report by this message type */
    out->PDU = msg.status_report ? SMS_Status_Report : SMS_Submit;
    /* no SMSC in the PDU ("00"): the one configured on the SIM, as modems do */
    out->SMSC.Location = msg.has_smsc && msg.smsc.text[0] ? 0 : 1;
    /* the validity period we built (libgammu would put its SMSC profile's in) */
    out->SMSC.Validity.Format = SMS_Validity_NotAvailable;
    if (msg.vp_format == 2) {
        out->SMSC.Validity.Format = SMS_Validity_RelativeFormat;
        out->SMSC.Validity.Relative = (GSM_ValidityPeriod)msg.vp[0];
    }
    out->Location = 0;
    out->Folder = 0;
    return KZ_OK;
}

void gm_ussd_to_reply(const GSM_USSDMessage *u, cusd_reply *out)
{
    memset(out, 0, sizeof *out);
    out->dcs = -1;
    switch (u->Status) {
    case USSD_ActionNeeded: out->status = 1; break;
    case USSD_Terminated: out->status = 2; break;
    case USSD_AnotherClient: out->status = 3; break;
    case USSD_NotSupported: out->status = 4; break;
    case USSD_Timeout: out->status = 5; break;
    default: out->status = 0; break;
    }
    gm_text_to_utf8(u->Text, GSM_MAX_USSD_LENGTH, out->text, sizeof out->text);
    out->text_len = strlen(out->text);
    out->has_text = out->text_len > 0;
}
