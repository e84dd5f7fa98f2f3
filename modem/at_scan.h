/*
 * at_scan.h - one small typed scanner for the fields of AT reply lines, and
 * typed helpers on top of it for the replies the modem driver reads.
 * Owns: the field syntax (quoted or bare values, empty fields, parenthesised
 * lists and ranges) and the shapes of +CSQ, +CREG, +CPMS, +CMGL/+CMGR,
 * +CMGS, +CMTI/+CDSI, +CMT/+CDS, +CSCA, +CSCS and +CNMI=? replies.
 * Never allocates, never reads past len, and fails on a missing field as
 * well as on one left over.
 */
#ifndef KAZI_AT_SCAN_H
#define KAZI_AT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define AT_LIST_MAX 16      /* items kept from one (...) list */
#define AT_LIST_ITEM_MAX 16 /* bytes of one list item, NUL included */

/* A parenthesised list: ("SM","ME") or (0-3) or (0,1,3-5). */
typedef struct at_list {
    size_t count;
    char item[AT_LIST_MAX][AT_LIST_ITEM_MAX]; /* text, spaces and quotes removed */
    int lo[AT_LIST_MAX], hi[AT_LIST_MAX];     /* numeric items: range (lo == hi for one
                                                 value); -1, -1 when not a number */
} at_list;

/*
 * Scan one reply line (no terminator) against fmt: literal text, then
 * comma-separated conversions.
 *   literal  must match exactly, except that a space matches any run of
 *            spaces, none included ("+CSQ: " matches "+CSQ:4,0");
 *   %i       int *: decimal, optional sign, leading zeros and surrounding
 *            spaces allowed, optionally quoted;
 *   %x       uint32_t *: up to 8 hex digits, quoted or bare (LAC, CI);
 *   %s       char *buf, size_t cap: a quoted string (may hold commas, CR and
 *            LF; no escapes) or a bare one up to the next comma, spaces
 *            trimmed; always NUL-terminated; too long: truncated to cap-1
 *            bytes and KZ_ERR_NOSPACE after the scan;
 *   %l       at_list *: "(...)" items separated by commas, or an empty field;
 *   ?        the line may end here; every later field is optional too.
 * An empty field ("+CMGL: 0,0,,23") leaves its output untouched (a %s gets
 * "", a %l count 0) and its bit in *present clear. present (may be NULL)
 * receives bit i set for each conversion i that held a value.
 * Returns KZ_OK; KZ_ERR_INVALID if the literal or a value does not match
 * (a letter in a number, an unterminated quote or list); KZ_ERR_TRUNCATED if
 * the line ends before a required field; KZ_ERR_TRAILING if fields are left
 * over; KZ_ERR_RANGE for a number that does not fit; KZ_ERR_NOSPACE as above
 * (a list with more than AT_LIST_MAX items keeps the first ones).
 */
kz_status at_scan(const char *line, size_t len, unsigned *present, const char *fmt, ...);

/* True if list holds value v (in one of its ranges). */
bool at_list_has(const at_list *list, int v);

/* True if list holds the text item s (exact, case-sensitive). */
bool at_list_has_str(const at_list *list, const char *s);

/* +CSQ: <rssi>,<ber>. dbm = -113 + 2*rssi; dbm_known false for rssi 99. */
typedef struct at_csq {
    int rssi, ber;
    int dbm;
    bool dbm_known;
} at_csq;

/* KZ_ERR_RANGE for rssi outside 0..31 and 99; other failures as at_scan. */
kz_status at_scan_csq(const char *line, size_t len, at_csq *out);

/* +CREG:, +CGREG:, +CEREG: (response or URC shape). */
typedef struct at_creg {
    bool has_n, has_lac, has_ci, has_act;
    int n;        /* <n>, response shape only */
    int stat;     /* 0 not registered, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming,
                     6 home SMS only, 7 roaming SMS only ... */
    uint32_t lac; /* LAC or TAC */
    uint32_t ci;
    int act;
} at_creg;

/*
 * solicited: the line answers AT+CREG? (<n>,<stat>[,<lac>,<ci>[,<act>]]);
 * otherwise it is the URC (<stat>[,<lac>,<ci>[,<act>]]), as at_parse tells
 * them apart (AT_EV_LINE vs AT_EV_URC). LAC and CI may be quoted or bare hex
 * or empty; up to two further fields (+CGREG <rac>, +CEREG causes) are
 * ignored. Failures as at_scan.
 */
kz_status at_scan_creg(const char *line, size_t len, bool solicited, at_creg *out);

/* +CPMS: read form ("SM",2,10,...) or set form (2,10[,...]). */
typedef struct at_cpms {
    size_t count; /* memories reported: 1..3 */
    struct {
        char name[8]; /* "" in the set form */
        int used, total;
    } mem[3];
} at_cpms;

/* Failures as at_scan; KZ_ERR_INVALID for an odd number of counts. */
kz_status at_scan_cpms(const char *line, size_t len, at_cpms *out);

/*
 * +CPMS: (mem1 list),(mem2 list),(mem3 list) answering AT+CPMS=?. Missing
 * quotes are tolerated; an empty reply ("+CPMS: ") gives count 0.
 */
typedef struct at_cpms_test {
    size_t count;
    at_list mem[3];
} at_cpms_test;

kz_status at_scan_cpms_test(const char *line, size_t len, at_cpms_test *out);

/* +CNMI: (mode),(mt),(bm),(ds),(bfr) answering AT+CNMI=?. */
typedef struct at_cnmi_test {
    size_t count;
    at_list mode, mt, bm, ds, bfr;
} at_cnmi_test;

kz_status at_scan_cnmi_test(const char *line, size_t len, at_cnmi_test *out);

/* The header of a PDU-mode message: +CMGL, +CMGR, +CMT, +CDS. */
typedef struct at_msg_header {
    int index;        /* +CMGL only, else -1 */
    int stat;         /* +CMGL, +CMGR: 0 unread, 1 read, 2 unsent, 3 sent; else -1 */
    bool has_alpha;   /* the line has an <alpha> field (possibly empty) */
    char alpha[64];   /* <alpha> as given (TE character set), "" when empty */
    int length;       /* TPDU length in octets (SMSC address not counted) */
    const char *pdu;  /* PDU on the same line after a space, else NULL */
    size_t pdu_len;
} at_msg_header;

/*
 * +CMGL: <index>,<stat>,[<alpha>],<length>; the <alpha> field may be absent
 * (3 fields). The PDU normally follows on the next line; some modems put it
 * on the same line after a space, then out->pdu points into line.
 */
kz_status at_scan_cmgl(const char *line, size_t len, at_msg_header *out);

/* +CMGR: <stat>,[<alpha>],<length> (or without <alpha>); PDU as for +CMGL. */
kz_status at_scan_cmgr(const char *line, size_t len, at_msg_header *out);

/* +CMT: [<alpha>],<length> or +CDS: <length> (PDU mode URC headers). */
kz_status at_scan_cmt(const char *line, size_t len, at_msg_header *out);

/* +CMTI: <mem>,<index> or +CDSI: <mem>,<index>. */
typedef struct at_mem_index {
    char mem[8];
    int index;
} at_mem_index;

kz_status at_scan_cmti(const char *line, size_t len, at_mem_index *out);

/* +CMGS: <mr>[,<scts>]: the message reference (0..255). */
kz_status at_scan_cmgs(const char *line, size_t len, int *mr);

/*
 * +CSCA: <sca>[,<tosca>]. A number sent as UCS2 hex (+CSCS="UCS2",
 * "002B0039...") is decoded when every group of four hex digits is 00XX
 * with XX a digit, '+', '*' or '#'. tosca is -1 when absent.
 */
kz_status at_scan_csca(const char *line, size_t len, char *num, size_t cap, int *tosca);

/* +CSCS: <chset> ("GSM", "UCS2", "IRA"). */
kz_status at_scan_cscs(const char *line, size_t len, char *cs, size_t cap);

#endif
