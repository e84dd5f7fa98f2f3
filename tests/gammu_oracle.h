/*
 * gammu_oracle.h - test helper: libgammu as the independent oracle for the
 * PDU codec differential test (tests/unit/test_gammu_diff.c). Wraps
 * GSM_DecodePDUFrame, GSM_EncodeMultiPartSMS and the PHONE_SMSDeliver frame
 * GSM_EncodeSMSFrame writes, converts to and from gammu's big-endian
 * NUL-terminated UCS-2 buffers, and undoes gammu's quirks.
 * Owns: only the gammu calls, buffer layouts and quirk handling. It never
 * judges (no checks, no counts, no output), never calls modem/ code (pdu.h
 * is included for its size limits only), never writes files and never
 * relies on the locale.
 *
 * gammu 1.42 quirks, handled here or in tests/gammu_diff_*.h, each named where it is
 * handled:
 *  - UCS-2 text goes through its Nokia "special chars" filter: on decoding a
 *    '~' becomes "~~" (and U+0001 becomes '~'); on encoding a lone '~'
 *    becomes U+0001 and "~~" becomes '~' (see tilde_hide).
 *  - GSM_EncodeSMSFrame always writes time zone octet 0 (GSM_EncodeSMSDateTime
 *    has a FIXME); we write the zone octet ourselves and have gammu's decoder
 *    read it too, so both decoders are compared on the same bytes.
 *  - Its GSM-7 table maps 0x1B (escape) to U+00B9, so U+00B9 looks like GSM-7
 *    to its automatic coding choice; the generator never uses U+00B9.
 *  - Alphanumeric addresses are packed and unpacked as raw GSM code points,
 *    so we only use [A-Za-z0-9], where GSM-7 and ASCII agree.
 *  - Numbers starting "00" are rewritten as international by its packer; the
 *    DELIVER senders we hand it never start with "00".
 *  - Its decoder compares an address length (semi-octets) with the whole
 *    buffer length (octets); see gammu_decode.
 *  - Its UCS-2 splitter keeps a flag (two regional indicators) in one part,
 *    which TS 23.040 does not ask for and we do not do; such texts are
 *    counted by each rule separately (ucs2_cut_model). It also keeps a
 *    combining mark with its base; the generator uses no combining marks.
 */
#ifndef KAZI_TEST_GAMMU_ORACLE_H
#define KAZI_TEST_GAMMU_ORACLE_H

#include <gammu.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"

/* ------------------------------------------------ gammu buffer adapters */

/* gammu's Unicode buffers: big-endian UTF-16 units, ended by a 0x0000 unit. */
static inline size_t gammu_units(const unsigned char *g, uint16_t *out, size_t cap)
{
    size_t n = 0;
    while ((g[2 * n] || g[2 * n + 1]) && n < cap) {
        out[n] = (uint16_t)(g[2 * n] << 8 | g[2 * n + 1]);
        n++;
    }
    return n;
}

static inline void gammu_put_units(unsigned char *g, const uint16_t *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g[2 * i] = (unsigned char)(u[i] >> 8);
        g[2 * i + 1] = (unsigned char)u[i];
    }
    g[2 * n] = g[2 * n + 1] = 0;
}

static inline void gammu_put_ascii(unsigned char *g, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        g[2 * i] = 0;
        g[2 * i + 1] = (unsigned char)s[i];
    }
    g[2 * n] = g[2 * n + 1] = 0;
}

/* Undo gammu's decoding quirk for UCS-2: every '~' in the PDU arrives as "~~". */
static inline size_t nokia_undouble_tilde(uint16_t *u, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        u[o++] = u[i];
        if (u[i] == '~' && i + 1 < n && u[i + 1] == '~')
            i++;
    }
    return o;
}

/*
 * The encoding side of the quirk: gammu turns a lone '~' into U+0001 and
 * "~~" into '~', but caps a part at 70 units before that filter, so "~~"
 * cannot be used in a full part. Hand it a private-use stand-in instead, and
 * put U+007E back into its user data octets (tilde_restore).
 */
#define TILDE_STANDIN 0xE000

static inline void tilde_hide(unsigned char *g)
{
    for (size_t i = 0; g[2 * i] || g[2 * i + 1]; i++)
        if (g[2 * i] == 0 && g[2 * i + 1] == '~')
            g[2 * i] = TILDE_STANDIN >> 8, g[2 * i + 1] = TILDE_STANDIN & 0xFF;
}

static inline void tilde_restore(uint8_t *ud, size_t len, bool udhi)
{
    for (size_t i = udhi && len ? 1u + ud[0] : 0; i + 1 < len; i += 2)
        if (ud[i] == TILDE_STANDIN >> 8 && ud[i + 1] == (TILDE_STANDIN & 0xFF))
            ud[i] = 0, ud[i + 1] = '~';
}

/* ------------------------------------------------------ gammu calls */

/* gammu's text of the part it just decoded, in UTF-16 units, quirk undone. */
static inline size_t decoded_units(const GSM_SMSMessage *g, uint16_t *u, size_t cap)
{
    size_t n = gammu_units(g->Text, u, cap);
    if (g->Coding == SMS_Coding_Unicode_No_Compression)
        n = nokia_undouble_tilde(u, n);
    return n;
}

/*
 * gammu's own splitter (GSM_EncodeMultiPartSMS with automatic coding) on the
 * n UTF-16 units u; its parts land in multi. Returns the gammu error.
 */
static inline GSM_Error gammu_split(GSM_Debug_Info *di, GSM_MultiPartSMSInfo *info,
                                    GSM_MultiSMSMessage *multi, const uint16_t *u, size_t n,
                                    bool ref16)
{
    unsigned char *buf = malloc(2 * n + 2);
    if (!buf)
        return ERR_MOREMEMORY;
    gammu_put_units(buf, u, n);
    GSM_ClearMultiPartSMSInfo(info);
    info->EntriesNum = 1;
    info->Entries[0].ID = ref16 ? SMS_ConcatenatedAutoTextLong16bit : SMS_ConcatenatedAutoTextLong;
    info->Entries[0].Buffer = buf; /* freed by GSM_FreeMultiPartSMSInfo */
    multi->Number = 0;
    GSM_Error e = GSM_EncodeMultiPartSMS(di, info, multi);
    GSM_FreeMultiPartSMSInfo(info);
    return e;
}

/*
 * gammu's reading of a PDU (with the SMSC field) into sms. Its 1.42 decoder refuses an
 * address whose length field, in semi-octets, exceeds the whole buffer's
 * length in octets (an 11-character alphanumeric address, 20 semi-octets, in
 * a PDU under 20 octets); only then it gets the PDU followed by zero octets,
 * and it must still stop exactly at our end (*fin).
 */
static inline GSM_Error gammu_decode(GSM_Debug_Info *di, GSM_SMSMessage *sms, const uint8_t *pdu,
                                     size_t len, size_t addr_at, size_t *fin)
{
    uint8_t padded[SMS_PDU_MAX + 32] = {0};
    *fin = 0;
    if (addr_at < len && pdu[addr_at] > len && len <= SMS_PDU_MAX) {
        memcpy(padded, pdu, len);
        pdu = padded;
        len = sizeof(padded);
    }
    return GSM_DecodePDUFrame(di, sms, pdu, len, fin, TRUE);
}

/*
 * gammu's PHONE_SMSDeliver frame has fixed offsets (SMSC field at 0, first
 * octet 12, PID 13, DCS 14, UDL 15, OA 16, SCTS 28, UD 35). Lay it out as a
 * modem prints it for AT+CMGR: SMSC field (length octet, TOA, digits, or
 * "00" when there is none), then the TPDU in TS 23.040 order. The zone
 * octet, which gammu leaves 0, becomes zone_octet (the caller's).
 */
static inline size_t deliver_flatten(const unsigned char *f, int flen, bool has_smsc,
                                     uint8_t zone_octet, uint8_t *out)
{
    const GSM_SMSMessageLayout L = PHONE_SMSDeliver;
    size_t n = 0;
    if (flen < L.Text || (size_t)flen - L.Text > SMS_UD_MAX)
        return 0;
    if (has_smsc) {
        memcpy(out, f + L.SMSCNumber, 1u + f[L.SMSCNumber]);
        n = 1u + f[L.SMSCNumber];
    } else {
        out[n++] = 0x00;
    }
    out[n++] = f[L.firstbyte];
    size_t oa = 2u + (f[L.Number] + 1u) / 2;
    memcpy(out + n, f + L.Number, oa);
    n += oa;
    out[n++] = f[L.TPPID];
    out[n++] = f[L.TPDCS];
    memcpy(out + n, f + L.DateTime, 7);
    out[n + 6] = zone_octet;
    n += 7;
    out[n++] = f[L.TPUDL];
    memcpy(out + n, f + L.Text, (size_t)flen - L.Text);
    return n + (size_t)flen - L.Text;
}

#endif
