/*
 * at_scan.c - the typed field scanner for AT reply lines and the helpers for
 * the replies the driver reads (see at_scan.h for the format language).
 * Owns: field syntax and reply shapes. Never allocates, never reads past the
 * given length, never trusts a number's size or a string's length.
 */
#include "at_scan.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

/* The line being scanned and the read position. */
typedef struct cursor {
    const char *s;
    size_t len;
    size_t pos;
    bool nospace; /* a string or list was cut short: KZ_ERR_NOSPACE at the end */
} cursor;

static bool at_end(const cursor *c)
{
    return c->pos >= c->len;
}

static char peek(const cursor *c)
{
    return at_end(c) ? '\0' : c->s[c->pos];
}

static void skip_spaces(cursor *c)
{
    while (!at_end(c) && c->s[c->pos] == ' ')
        c->pos++;
}

/* True when the field ends here: a comma or the end of the line. */
static bool at_field_end(cursor *c)
{
    skip_spaces(c);
    return at_end(c) || peek(c) == ',';
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Opening quote of a number, if any; *quoted says whether one was taken. */
static void open_quote(cursor *c, bool *quoted)
{
    skip_spaces(c);
    *quoted = peek(c) == '"';
    if (*quoted)
        c->pos++;
}

static kz_status close_quote(cursor *c, bool quoted)
{
    if (quoted) {
        if (peek(c) != '"')
            return KZ_ERR_INVALID;
        c->pos++;
    }
    return at_field_end(c) ? KZ_OK : KZ_ERR_INVALID;
}

/* Value of ch as a digit in base 10 or 16, or -1. */
static int digit_value(char ch, int base)
{
    int d = hex_value(ch);
    return d < base ? d : -1;
}

/*
 * %i (base 10, optional sign) and %x (base 16): optionally quoted; the value
 * must lie in [lo, hi]. *got stays false for an empty field.
 */
static kz_status scan_number(cursor *c, int base, long long lo, long long hi, long long *out,
                             bool *got)
{
    bool quoted, neg = false;
    long long v = 0;
    size_t digits = 0;
    int d;
    open_quote(c, &quoted);
    if ((quoted && peek(c) == '"') || (!quoted && at_field_end(c)))
        return close_quote(c, quoted); /* empty: "" or nothing */
    if (base == 10 && (peek(c) == '-' || peek(c) == '+')) {
        neg = peek(c) == '-';
        c->pos++;
    }
    for (; !at_end(c) && (d = digit_value(peek(c), base)) >= 0; c->pos++, digits++) {
        v = v * base + d;
        if (v > hi + 1)
            return KZ_ERR_RANGE;
    }
    if (digits == 0)
        return KZ_ERR_INVALID;
    v = neg ? -v : v;
    if (v < lo || v > hi)
        return KZ_ERR_RANGE;
    kz_status st = close_quote(c, quoted);
    if (st == KZ_OK) {
        *out = v;
        *got = true;
    }
    return st;
}

static kz_status scan_int(cursor *c, int *out, bool *got)
{
    long long v = 0;
    kz_status st = scan_number(c, 10, INT_MIN, INT_MAX, &v, got);
    if (st == KZ_OK && *got)
        *out = (int)v;
    return st;
}

static kz_status scan_hex(cursor *c, uint32_t *out, bool *got)
{
    long long v = 0;
    kz_status st = scan_number(c, 16, 0, UINT32_MAX, &v, got);
    if (st == KZ_OK && *got)
        *out = (uint32_t)v;
    return st;
}

/* Copy src[0..n) into buf (cap > 0), cutting it short and noting it if needed. */
static void copy_out(cursor *c, char *buf, size_t cap, const char *src, size_t n)
{
    if (cap == 0) {
        c->nospace = true;
        return;
    }
    if (n >= cap) {
        n = cap - 1;
        c->nospace = true;
    }
    memcpy(buf, src, n);
    buf[n] = '\0';
}

/* %s: quoted (commas, CR and LF allowed inside) or bare up to the next comma. */
static kz_status scan_str(cursor *c, char *buf, size_t cap, bool *got)
{
    if (cap > 0)
        buf[0] = '\0';
    skip_spaces(c);
    size_t start = c->pos;
    if (peek(c) == '"') {
        const char *q = memchr(c->s + start + 1, '"', c->len - start - 1);
        if (!q)
            return KZ_ERR_INVALID;
        size_t end = (size_t)(q - c->s);
        copy_out(c, buf, cap, c->s + start + 1, end - start - 1);
        c->pos = end + 1;
        *got = true;
        return at_field_end(c) ? KZ_OK : KZ_ERR_INVALID;
    }
    while (!at_end(c) && peek(c) != ',')
        c->pos++;
    size_t end = c->pos;
    while (end > start && c->s[end - 1] == ' ')
        end--;
    if (end > start) {
        copy_out(c, buf, cap, c->s + start, end - start);
        *got = true;
    }
    return KZ_OK;
}

/* One list item s[0..n): strip spaces and quotes, keep text and numeric range. */
static void list_add(cursor *c, at_list *l, const char *s, size_t n)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '"')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '"'))
        n--;
    if (n == 0)
        return;
    if (l->count == AT_LIST_MAX) {
        c->nospace = true;
        return;
    }
    size_t i = l->count++;
    cursor sub = {.s = s, .len = n};
    int lo = -1, hi = -1;
    bool got_lo = false, got_hi = false;
    const char *dash = memchr(s, '-', n);
    if (dash && dash != s) {
        sub.len = (size_t)(dash - s);
        cursor rest = {.s = dash + 1, .len = n - sub.len - 1};
        if (scan_int(&sub, &lo, &got_lo) != KZ_OK || scan_int(&rest, &hi, &got_hi) != KZ_OK)
            got_lo = got_hi = false;
    } else if (scan_int(&sub, &lo, &got_lo) == KZ_OK) {
        hi = lo;
        got_hi = got_lo;
    }
    l->lo[i] = got_lo && got_hi && lo <= hi ? lo : -1;
    l->hi[i] = got_lo && got_hi && lo <= hi ? hi : -1;
    copy_out(c, l->item[i], AT_LIST_ITEM_MAX, s, n);
}

/* %l: "(a,b,c)" with items split at commas (quotes are not tracked inside). */
static kz_status scan_list(cursor *c, at_list *l, bool *got)
{
    memset(l, 0, sizeof *l);
    if (at_field_end(c))
        return KZ_OK;
    if (peek(c) != '(')
        return KZ_ERR_INVALID;
    c->pos++;
    size_t start = c->pos;
    while (!at_end(c) && peek(c) != ')') {
        if (peek(c) == ',') {
            list_add(c, l, c->s + start, c->pos - start);
            start = c->pos + 1;
        }
        c->pos++;
    }
    if (at_end(c))
        return KZ_ERR_INVALID;
    list_add(c, l, c->s + start, c->pos - start);
    c->pos++;
    *got = true;
    return at_field_end(c) ? KZ_OK : KZ_ERR_INVALID;
}

/* The literal part of fmt; returns the first '%' or '?' (or the NUL). */
static const char *match_literal(cursor *c, const char *fmt, kz_status *st)
{
    *st = KZ_OK;
    for (; *fmt && *fmt != '%' && *fmt != '?'; fmt++) {
        if (*fmt == ' ') {
            skip_spaces(c);
        } else if (peek(c) == *fmt && !at_end(c)) {
            c->pos++;
        } else {
            *st = KZ_ERR_INVALID;
            return fmt;
        }
    }
    return fmt;
}

/* Step to field k: a comma after field k-1. Returns false at the end of line. */
static bool next_field(cursor *c, unsigned k)
{
    skip_spaces(c);
    if (k == 0)
        return !at_end(c);
    if (at_end(c))
        return false;
    c->pos++; /* the comma: every conversion stops at one or at the end */
    return true;
}

static kz_status convert(cursor *c, char conv, va_list *ap, bool *got)
{
    switch (conv) {
    case 'i':
        return scan_int(c, va_arg(*ap, int *), got);
    case 'x':
        return scan_hex(c, va_arg(*ap, uint32_t *), got);
    case 's': {
        char *buf = va_arg(*ap, char *);
        size_t cap = va_arg(*ap, size_t);
        return scan_str(c, buf, cap, got);
    }
    case 'l':
        return scan_list(c, va_arg(*ap, at_list *), got);
    default:
        return KZ_ERR_INVALID; /* a bug in the format */
    }
}

static kz_status scan_fields(cursor *c, const char *fmt, unsigned *present, va_list *ap)
{
    bool optional = false;
    for (unsigned k = 0; *fmt; k++) {
        for (; *fmt == ',' || *fmt == '?'; fmt++)
            optional = optional || *fmt == '?';
        if (fmt[0] != '%' || fmt[1] == '\0')
            return KZ_ERR_INVALID; /* a bug in the format */
        if (!next_field(c, k))
            return optional ? KZ_OK : KZ_ERR_TRUNCATED;
        bool got = false;
        kz_status st = convert(c, fmt[1], ap, &got);
        if (st != KZ_OK)
            return st;
        if (got && k < sizeof(unsigned) * CHAR_BIT)
            *present |= 1u << k;
        fmt += 2;
    }
    skip_spaces(c);
    return at_end(c) ? KZ_OK : KZ_ERR_TRAILING;
}

kz_status at_scan(const char *line, size_t len, unsigned *present, const char *fmt, ...)
{
    cursor c = {.s = line, .len = line ? len : 0};
    unsigned bits = 0;
    kz_status st;
    const char *conv = match_literal(&c, fmt, &st);
    if (st == KZ_OK) {
        va_list ap;
        va_start(ap, fmt);
        st = scan_fields(&c, conv, &bits, &ap);
        va_end(ap);
    }
    if (present)
        *present = bits;
    if (st == KZ_OK && c.nospace)
        st = KZ_ERR_NOSPACE;
    return st;
}

bool at_list_has(const at_list *list, int v)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->lo[i] >= 0 && v >= list->lo[i] && v <= list->hi[i])
            return true;
    return false;
}

bool at_list_has_str(const at_list *list, const char *s)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->item[i], s) == 0)
            return true;
    return false;
}

/* ---- typed helpers ---------------------------------------------------- */

static unsigned popcount(unsigned v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* Number of top-level comma-separated fields in s[0..n) (quotes respected). */
static size_t count_fields(const char *s, size_t n)
{
    size_t fields = 1;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (s[i] == ',' && !quoted)
            fields++;
    }
    return fields;
}

/* Length of the prefix ("+CREG:") line starts with, 0 if none of them. */
static size_t which_prefix(const char *line, size_t len, const char *const *names)
{
    for (; *names; names++) {
        size_t n = strlen(*names);
        if (len >= n && memcmp(line, *names, n) == 0)
            return n;
    }
    return 0;
}

kz_status at_scan_csq(const char *line, size_t len, at_csq *out)
{
    memset(out, 0, sizeof *out);
    kz_status st = at_scan(line, len, NULL, "+CSQ: %i,%i", &out->rssi, &out->ber);
    if (st != KZ_OK)
        return st;
    if (out->rssi == 99)
        return KZ_OK;
    if (out->rssi < 0 || out->rssi > 31)
        return KZ_ERR_RANGE;
    out->dbm = -113 + 2 * out->rssi;
    out->dbm_known = true;
    return KZ_OK;
}

kz_status at_scan_creg(const char *line, size_t len, bool solicited, at_creg *out)
{
    static const char *const names[] = {"+CREG:", "+CGREG:", "+CEREG:", NULL};
    char extra[2][32];
    unsigned got = 0;
    kz_status st;
    memset(out, 0, sizeof *out);
    size_t n = which_prefix(line, len, names);
    if (n == 0)
        return KZ_ERR_INVALID;
    line += n;
    len -= n;
    if (solicited)
        st = at_scan(line, len, &got, " %i,%i?,%x,%x,%i,%s,%s", &out->n, &out->stat, &out->lac,
                     &out->ci, &out->act, extra[0], sizeof extra[0], extra[1], sizeof extra[1]);
    else
        st = at_scan(line, len, &got, " %i?,%x,%x,%i,%s,%s", &out->stat, &out->lac, &out->ci,
                     &out->act, extra[0], sizeof extra[0], extra[1], sizeof extra[1]);
    if (st == KZ_ERR_NOSPACE)
        st = KZ_OK; /* only the ignored trailing fields are strings */
    if (solicited) {
        out->has_n = (got & 1u) != 0;
        got >>= 1;
    }
    if (st == KZ_OK && !(got & 1u))
        st = KZ_ERR_INVALID; /* <stat> is required */
    out->has_lac = (got & 2u) != 0;
    out->has_ci = (got & 4u) != 0;
    out->has_act = (got & 8u) != 0;
    return st;
}

static kz_status cpms_read_form(const char *line, size_t len, at_cpms *out)
{
    unsigned got = 0;
    kz_status st = at_scan(line, len, &got, "+CPMS: %s,%i,%i?,%s,%i,%i,%s,%i,%i",
                           out->mem[0].name, sizeof out->mem[0].name, &out->mem[0].used,
                           &out->mem[0].total, out->mem[1].name, sizeof out->mem[1].name,
                           &out->mem[1].used, &out->mem[1].total, out->mem[2].name,
                           sizeof out->mem[2].name, &out->mem[2].used, &out->mem[2].total);
    if (st != KZ_OK)
        return st;
    for (size_t i = 0; i < 3; i++, got >>= 3) {
        if ((got & 7u) == 7u)
            out->count = i + 1;
        else if (got & 7u)
            return KZ_ERR_INVALID; /* a storage without both counts */
    }
    return out->count ? KZ_OK : KZ_ERR_INVALID;
}

static kz_status cpms_set_form(const char *line, size_t len, at_cpms *out)
{
    unsigned got = 0;
    kz_status st = at_scan(line, len, &got, "+CPMS: %i,%i?,%i,%i,%i,%i", &out->mem[0].used,
                           &out->mem[0].total, &out->mem[1].used, &out->mem[1].total,
                           &out->mem[2].used, &out->mem[2].total);
    if (st != KZ_OK)
        return st;
    unsigned fields = popcount(got);
    if (fields == 0 || fields % 2 != 0 || got != (1u << fields) - 1u)
        return KZ_ERR_INVALID;
    out->count = fields / 2;
    return KZ_OK;
}

kz_status at_scan_cpms(const char *line, size_t len, at_cpms *out)
{
    memset(out, 0, sizeof *out);
    cursor c = {.s = line, .len = len, .pos = 6};
    if (len < 6 || memcmp(line, "+CPMS:", 6) != 0)
        return KZ_ERR_INVALID;
    skip_spaces(&c);
    char first = peek(&c);
    if (first == '"' || (first >= 'A' && first <= 'Z'))
        return cpms_read_form(line, len, out);
    return cpms_set_form(line, len, out);
}

kz_status at_scan_cpms_test(const char *line, size_t len, at_cpms_test *out)
{
    unsigned got = 0;
    memset(out, 0, sizeof *out);
    kz_status st = at_scan(line, len, &got, "+CPMS: ?%l,%l,%l", &out->mem[0], &out->mem[1],
                           &out->mem[2]);
    out->count = popcount(got);
    return st;
}

kz_status at_scan_cnmi_test(const char *line, size_t len, at_cnmi_test *out)
{
    unsigned got = 0;
    memset(out, 0, sizeof *out);
    kz_status st = at_scan(line, len, &got, "+CNMI: %l?,%l,%l,%l,%l", &out->mode, &out->mt,
                           &out->bm, &out->ds, &out->bfr);
    out->count = popcount(got);
    return st;
}

/*
 * A PDU on the header line ("+CMGR: 1,,147 0791..."): after the last field's
 * digits come spaces and more text. Sets out->pdu and returns the header
 * length; returns len when there is none.
 */
static size_t split_pdu(const char *line, size_t len, at_msg_header *out)
{
    size_t i = len;
    while (i > 0 && line[i - 1] != ',' && line[i - 1] != ':')
        i--;
    while (i < len && line[i] == ' ')
        i++;
    while (i < len && line[i] >= '0' && line[i] <= '9')
        i++;
    size_t head = i;
    while (i < len && line[i] == ' ')
        i++;
    if (head == i || i == len)
        return len;
    out->pdu = line + i;
    out->pdu_len = len - i;
    return head;
}

static void header_init(at_msg_header *out)
{
    memset(out, 0, sizeof *out);
    out->index = -1;
    out->stat = -1;
}

/* st, or KZ_ERR_INVALID when a required field (bits in need) was empty. */
static kz_status required(kz_status st, unsigned got, unsigned need)
{
    return st == KZ_OK && (got & need) != need ? KZ_ERR_INVALID : st;
}

kz_status at_scan_cmgl(const char *line, size_t len, at_msg_header *out)
{
    unsigned got = 0;
    kz_status st;
    header_init(out);
    len = split_pdu(line, len, out);
    if (count_fields(line, len) >= 4) {
        out->has_alpha = true;
        st = at_scan(line, len, &got, "+CMGL: %i,%i,%s,%i", &out->index, &out->stat,
                     out->alpha, sizeof out->alpha, &out->length);
        return required(st, got, 0xBu);
    }
    st = at_scan(line, len, &got, "+CMGL: %i,%i,%i", &out->index, &out->stat, &out->length);
    return required(st, got, 7u);
}

kz_status at_scan_cmgr(const char *line, size_t len, at_msg_header *out)
{
    unsigned got = 0;
    kz_status st;
    header_init(out);
    len = split_pdu(line, len, out);
    if (count_fields(line, len) >= 3) {
        out->has_alpha = true;
        st = at_scan(line, len, &got, "+CMGR: %i,%s,%i", &out->stat, out->alpha,
                     sizeof out->alpha, &out->length);
        return required(st, got, 5u);
    }
    st = at_scan(line, len, &got, "+CMGR: %i,%i", &out->stat, &out->length);
    return required(st, got, 3u);
}

kz_status at_scan_cmt(const char *line, size_t len, at_msg_header *out)
{
    unsigned got = 0;
    kz_status st;
    header_init(out);
    if (len >= 5 && memcmp(line, "+CDS:", 5) == 0) {
        st = at_scan(line, len, &got, "+CDS: %i", &out->length);
        return required(st, got, 1u);
    }
    if (count_fields(line, len) >= 2) {
        out->has_alpha = true;
        st = at_scan(line, len, &got, "+CMT: %s,%i", out->alpha, sizeof out->alpha,
                     &out->length);
        return required(st, got, 2u);
    }
    st = at_scan(line, len, &got, "+CMT: %i", &out->length);
    return required(st, got, 1u);
}

kz_status at_scan_cmti(const char *line, size_t len, at_mem_index *out)
{
    unsigned got = 0;
    kz_status st;
    memset(out, 0, sizeof *out);
    if (len >= 6 && memcmp(line, "+CDSI:", 6) == 0)
        st = at_scan(line, len, &got, "+CDSI: %s,%i", out->mem, sizeof out->mem, &out->index);
    else
        st = at_scan(line, len, &got, "+CMTI: %s,%i", out->mem, sizeof out->mem, &out->index);
    return required(st, got, 3u);
}

kz_status at_scan_cmgs(const char *line, size_t len, int *mr)
{
    unsigned got = 0;
    char scts[32];
    *mr = -1;
    kz_status st = at_scan(line, len, &got, "+CMGS: %i?,%s", mr, scts, sizeof scts);
    if (st == KZ_ERR_NOSPACE && (got & 1u))
        st = KZ_OK; /* only the ignored text-mode <scts> is a string */
    st = required(st, got, 1u);
    if (st == KZ_OK && (*mr < 0 || *mr > 255))
        st = KZ_ERR_RANGE;
    return st;
}

/* "002B0039..." -> "+9..." when every group is 00 followed by a dial character. */
static bool ucs2_number(const char *hex, size_t n, char *num, size_t cap)
{
    if (n < 4 || n % 4 != 0 || n / 4 >= cap)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        int hi = hex_value(hex[i + 2]), lo = hex_value(hex[i + 3]);
        if (hex[i] != '0' || hex[i + 1] != '0' || hi < 0 || lo < 0)
            return false;
        char ch = (char)(hi * 16 + lo);
        if (!((ch >= '0' && ch <= '9') || ch == '+' || ch == '*' || ch == '#'))
            return false;
        num[i / 4] = ch;
    }
    num[n / 4] = '\0';
    return true;
}

kz_status at_scan_csca(const char *line, size_t len, char *num, size_t cap, int *tosca)
{
    unsigned got = 0;
    char raw[128];
    *tosca = -1;
    if (cap > 0)
        num[0] = '\0';
    kz_status st = at_scan(line, len, &got, "+CSCA: %s?,%i", raw, sizeof raw, tosca);
    if (st != KZ_OK)
        return st;
    if (ucs2_number(raw, strlen(raw), num, cap))
        return KZ_OK;
    if (strlen(raw) >= cap) {
        if (cap > 0)
            num[0] = '\0';
        return KZ_ERR_NOSPACE;
    }
    memcpy(num, raw, strlen(raw) + 1);
    return KZ_OK;
}

kz_status at_scan_cscs(const char *line, size_t len, char *cs, size_t cap)
{
    unsigned got = 0;
    kz_status st = at_scan(line, len, &got, "+CSCS: %s", cs, cap);
    return required(st, got, 1u);
}
