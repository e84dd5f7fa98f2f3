/*
 * conv_parse.c - the inbound SMS command parser (see conv_parse.h and
 * docs/sms-commands.md). Two passes: clean the text (typographic quotes,
 * odd spaces, control characters, full-width letters, invalid UTF-8), then
 * read the first word or number.
 * Owns: the keyword table. Never allocates, never touches the database.
 */
#include "conv_parse.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"

typedef struct keyword {
    const char *word; /* upper case ASCII */
    conv_kind kind;
    const char *lang;
} keyword;

/* Every keyword a worker may send. Order does not matter; words are unique. */
static const keyword keywords[] = {
    {"JOIN", CONV_JOIN, "en"},        {"REGISTER", CONV_JOIN, "en"},
    {"START", CONV_JOIN, "en"},       {"JIUNGE", CONV_JOIN, "sw"},
    {"SAJILI", CONV_JOIN, "sw"},      {"ANSWER", CONV_ANSWER, "en"},
    {"ANS", CONV_ANSWER, "en"},       {"JIBU", CONV_ANSWER, "sw"},
    {"NEXT", CONV_NEXT, "en"},        {"NXT", CONV_NEXT, "en"},
    {"TASK", CONV_NEXT, "en"},        {"INAYOFUATA", CONV_NEXT, "sw"},
    {"IJAYO", CONV_NEXT, "sw"},       {"KAZI", CONV_NEXT, "sw"},
    {"SKIP", CONV_SKIP, "en"},        {"PASS", CONV_SKIP, "en"},
    {"RUKA", CONV_SKIP, "sw"},        {"MORE", CONV_MORE, "en"},
    {"EXTEND", CONV_MORE, "en"},      {"ZAIDI", CONV_MORE, "sw"},
    {"MUDA", CONV_MORE, "sw"},        {"HOURS", CONV_HOURS, "en"},
    {"HOUR", CONV_HOURS, "en"},       {"HRS", CONV_HOURS, "en"},
    {"SAA", CONV_HOURS, "sw"},        {"MASAA", CONV_HOURS, "sw"},
    {"PAUSE", CONV_PAUSE, "en"},      {"BREAK", CONV_PAUSE, "en"},
    {"SIMAMISHA", CONV_PAUSE, "sw"},  {"PUMZIKA", CONV_PAUSE, "sw"},
    {"RESUME", CONV_RESUME, "en"},    {"UNPAUSE", CONV_RESUME, "en"},
    {"CONTINUE", CONV_RESUME, "en"},  {"ENDELEA", CONV_RESUME, "sw"},
    {"REJEA", CONV_RESUME, "sw"},     {"BAL", CONV_BAL, "en"},
    {"BALANCE", CONV_BAL, "en"},      {"SALIO", CONV_BAL, "sw"},
    {"PAY", CONV_PAY, "en"},          {"PAYOUT", CONV_PAY, "en"},
    {"CASHOUT", CONV_PAY, "en"},      {"WITHDRAW", CONV_PAY, "en"},
    {"LIPA", CONV_PAY, "sw"},         {"TOA", CONV_PAY, "sw"},
    {"WHO", CONV_WHO, "en"},          {"NANI", CONV_WHO, "sw"},
    {"ASK", CONV_ASK, "en"},          {"QUESTION", CONV_ASK, "en"},
    {"ULIZA", CONV_ASK, "sw"},        {"SWALI", CONV_ASK, "sw"},
    {"APPEAL", CONV_APPEAL, "en"},    {"RUFANI", CONV_APPEAL, "sw"},
    {"RUFAA", CONV_APPEAL, "sw"},     {"HIST", CONV_HIST, "en"},
    {"HISTORY", CONV_HIST, "en"},     {"RECORD", CONV_HIST, "en"},
    {"HISTORIA", CONV_HIST, "sw"},    {"REKODI", CONV_HIST, "sw"},
    {"CERT", CONV_CERT, "en"},        {"CERTIFICATE", CONV_CERT, "en"},
    {"CHETI", CONV_CERT, "sw"},       {"CHECK", CONV_CHECK, "en"},
    {"VERIFY", CONV_CHECK, "en"},     {"HAKIKI", CONV_CHECK, "sw"},
    {"THIBITISHA", CONV_CHECK, "sw"}, {"LANG", CONV_LANG, "en"},
    {"LANGUAGE", CONV_LANG, "en"},    {"LUGHA", CONV_LANG, "sw"},
    {"HELP", CONV_HELP, "en"},        {"INFO", CONV_HELP, "en"},
    {"MENU", CONV_HELP, "en"},        {"MSAADA", CONV_HELP, "sw"},
    {"SAIDIA", CONV_HELP, "sw"},      {"STOP", CONV_STOP, "en"},
    {"STOPALL", CONV_STOP, "en"},     {"UNSUBSCRIBE", CONV_STOP, "en"},
    {"OPTOUT", CONV_STOP, "en"},      {"ACHA", CONV_STOP, "sw"},
    {"SITISHA", CONV_STOP, "sw"},     {"ONDOA", CONV_STOP, "sw"},
};

/* Words that stop a worker only when they are the whole message ("CANCEL 42" skips). */
static const keyword alone_stop[] = {
    {"CANCEL", CONV_STOP, "en"}, {"END", CONV_STOP, "en"}, {"QUIT", CONV_STOP, "en"},
};

/* "CANCEL 42" with a task number is a SKIP. */
static const keyword cancel_skip = {"CANCEL", CONV_SKIP, "en"};

/* Words that stop from anywhere in a short message ("please stop"). */
static const char *const stop_anywhere[] = {"STOP", "STOPALL", "UNSUBSCRIBE", "ACHA"};

/* Bare answers that are words, not numbers (the engine maps them to options). */
static const char *const bare_words[] = {"YES", "NO", "Y", "N", "NDIYO", "HAPANA", "NDIO", "LA"};

/* Messages of at most this many words are searched for a STOP word. */
#define STOP_SEARCH_WORDS 4
/* PAUSE longer than this many hours is refused (90 days). */
#define PAUSE_MAX_HOURS (24 * 90)

const char *conv_kind_name(conv_kind k)
{
    static const char *const names[CONV__COUNT] = {
        [CONV_UNKNOWN] = "UNKNOWN", [CONV_EMPTY] = "EMPTY",   [CONV_STOP] = "STOP",
        [CONV_JOIN] = "JOIN",       [CONV_ANSWER] = "ANSWER", [CONV_NEXT] = "NEXT",
        [CONV_SKIP] = "SKIP",       [CONV_MORE] = "MORE",     [CONV_HOURS] = "HOURS",
        [CONV_PAUSE] = "PAUSE",     [CONV_RESUME] = "RESUME", [CONV_BAL] = "BAL",
        [CONV_PAY] = "PAY",         [CONV_WHO] = "WHO",       [CONV_ASK] = "ASK",
        [CONV_APPEAL] = "APPEAL",   [CONV_HIST] = "HIST",     [CONV_CERT] = "CERT",
        [CONV_CHECK] = "CHECK",     [CONV_LANG] = "LANG",     [CONV_HELP] = "HELP",
    };
    return (unsigned)k < CONV__COUNT ? names[k] : "?";
}

/* ---- pass 1: cleaning ---- */

/* What a code point becomes: itself, a plain ASCII stand-in, ' ' or 0 (dropped). */
static uint32_t fold_cp(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F)
        return ' ';
    if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000)
        return ' ';
    if ((cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF || cp == 0x2060)
        return 0;
    if ((cp >= 0x2018 && cp <= 0x201B) || cp == 0x2032 || cp == 0xB4 || cp == 0x60)
        return '\'';
    if ((cp >= 0x201C && cp <= 0x201F) || cp == 0x2033 || cp == 0xAB || cp == 0xBB)
        return '"';
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
        return '-';
    if (cp == 0x2026)
        return '.';
    if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
        return cp - 0xFEE0;
    return cp;
}

/* Append cp to out (UTF-8), collapsing spaces. Returns 0 when out is full. */
static int put_cp(conv_cmd *out, uint32_t cp)
{
    if (cp == ' ' && (out->text_len == 0 || out->text[out->text_len - 1] == ' '))
        return 1;
    uint8_t b[4];
    size_t n = utf8_encode(cp, b);
    if (n == 0)
        return 1;
    if (out->text_len + n >= CONV_TEXT_CAP)
        return 0;
    memcpy(out->text + out->text_len, b, n);
    out->text_len += n;
    return 1;
}

static void clean(const char *text, size_t len, conv_cmd *out)
{
    const uint8_t *p = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) { /* invalid byte: dropped */
            i++;
            continue;
        }
        i += n;
        uint32_t f = fold_cp(cp);
        if (f && !put_cp(out, f)) {
            out->truncated = true;
            break;
        }
    }
    while (out->text_len && out->text[out->text_len - 1] == ' ')
        out->text_len--;
    out->text[out->text_len] = '\0';
}

/* ---- pass 2: reading ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* ASCII punctuation or space: what keypad users put around words. */
static bool is_junk(char c)
{
    return c == ' ' || (c > ' ' && c < 0x7F && !is_digit(c) && !is_alpha(c));
}

static size_t skip_junk(const char *s, size_t i)
{
    while (s[i] && is_junk(s[i]))
        i++;
    return i;
}

/* Length of the letter run at s (at most cap-1 letters copied upper-cased into w). */
static size_t read_word(const char *s, char *w, size_t cap)
{
    size_t n = 0;
    while (is_alpha(s[n])) {
        if (n + 1 < cap)
            w[n] = upper(s[n]);
        n++;
    }
    w[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* Digits at s: *val receives their value (capped), returns how many. */
static size_t read_number(const char *s, long *val)
{
    size_t n = 0;
    long v = 0;
    while (is_digit(s[n])) {
        if (v < 100000000L)
            v = v * 10 + (s[n] - '0');
        n++;
    }
    *val = v;
    return n;
}

static const keyword *find_keyword(const char *w, const keyword *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, table[i].word) == 0)
            return &table[i];
    return NULL;
}

static bool in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w, list[i]) == 0)
            return true;
    return false;
}

/* Does the rest of the text hold nothing but junk? */
static bool rest_empty(const char *s)
{
    return s[skip_junk(s, 0)] == '\0';
}

/* Set arg_off at i after junk, and trim trailing junk from a one-word argument. */
static void set_arg(conv_cmd *c, size_t i)
{
    c->arg_off = skip_junk(c->text, i);
    const char *a = c->text + c->arg_off;
    bool one_word = strchr(a, ' ') == NULL;
    size_t n = strlen(a);
    while (n && (a[n - 1] == '"' || (one_word && is_junk(a[n - 1]))))
        n--;
    c->text[c->arg_off + n] = '\0';
    c->text_len = c->arg_off + n;
}

/* An optional task reference at text+i: sets c->ref, returns the index after it. */
static size_t optional_ref(conv_cmd *c, size_t i, bool *bad)
{
    i = skip_junk(c->text, i);
    long v;
    size_t n = read_number(c->text + i, &v);
    *bad = false;
    if (n == 0)
        return i;
    if (n > 4 || v < 1) {
        *bad = true;
        return i + n;
    }
    c->ref = (int)v;
    return i + n;
}

/* SKIP, MORE, WHO: an optional reference and nothing else. */
static void args_ref_only(conv_cmd *c, size_t i)
{
    bool bad;
    i = optional_ref(c, i, &bad);
    if (bad || !rest_empty(c->text + i))
        c->args = CONV_ARGS_BAD;
    set_arg(c, i);
}

/* ASK, APPEAL: an optional reference, then free text (required for ASK). */
static void args_ref_text(conv_cmd *c, size_t i)
{
    bool bad;
    size_t j = optional_ref(c, i, &bad);
    if (bad) {
        c->ref = 0;
        j = i;
    }
    set_arg(c, j);
    if (c->kind == CONV_ASK && c->text[c->arg_off] == '\0')
        c->args = CONV_ARGS_MISSING;
}

/* One clock time "8", "08", "8:30", "0830", "8.30", "8am", "5pm" at s. */
static size_t read_clock(const char *s, int *minutes)
{
    long h, m = 0;
    size_t n = read_number(s, &h);
    if (n == 0 || n > 4)
        return 0;
    if (n > 2) { /* 0830 */
        m = h % 100;
        h /= 100;
    } else if ((s[n] == ':' || s[n] == '.' || s[n] == 'h' || s[n] == 'H') && is_digit(s[n + 1])) {
        size_t k = read_number(s + n + 1, &m);
        if (k != 2)
            return 0;
        n += 1 + k;
    }
    char w[4];
    size_t sp = s[n] == ' ' ? 1 : 0;
    size_t k = read_word(s + n + sp, w, sizeof w);
    if (k == 2 && (strcmp(w, "AM") == 0 || strcmp(w, "PM") == 0)) {
        if (h < 1 || h > 12)
            return 0;
        h = (h % 12) + (w[0] == 'P' ? 12 : 0);
        n += sp + k;
    }
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return 0;
    *minutes = (int)(h * 60 + m);
    return n;
}

/* HOURS 8-17, HOURS 8 TO 17, SAA 8 HADI 17, HOURS ALL. */
static void args_hours(conv_cmd *c, size_t i)
{
    const char *s = c->text;
    i = skip_junk(s, i);
    set_arg(c, i);
    char w[12];
    if (s[i] == '\0') {
        c->args = CONV_ARGS_MISSING;
        return;
    }
    size_t k = read_word(s + i, w, sizeof w);
    if (k && (strcmp(w, "ALL") == 0 || strcmp(w, "ANY") == 0 || strcmp(w, "OFF") == 0 ||
              strcmp(w, "ZOTE") == 0 || strcmp(w, "WOWOTE") == 0) &&
        rest_empty(s + i + k)) {
        c->hours_from = c->hours_to = -1;
        return;
    }
    int from, to;
    size_t n = read_clock(s + i, &from);
    if (n == 0) {
        c->args = CONV_ARGS_BAD;
        return;
    }
    i = skip_junk(s, i + n);
    k = read_word(s + i, w, sizeof w);
    if (k && (strcmp(w, "TO") == 0 || strcmp(w, "HADI") == 0 || strcmp(w, "MPAKA") == 0))
        i = skip_junk(s, i + k);
    n = read_clock(s + i, &to);
    if (n == 0 || !rest_empty(s + i + n)) {
        c->args = CONV_ARGS_BAD;
        return;
    }
    if (from == 1440)
        from = 0;
    if (to == 0)
        to = 1440;
    if (from == to) {
        c->args = CONV_ARGS_BAD;
        return;
    }
    if (from == 0 && to == 1440)
        from = to = -1; /* the whole day: no limit */
    c->hours_from = from;
    c->hours_to = to;
}

/* PAUSE, PAUSE 3, PAUSE 3h, PAUSE 2d, PUMZIKA SAA 3, PUMZIKA SIKU 2. */
static void args_pause(conv_cmd *c, size_t i)
{
    const char *s = c->text;
    i = skip_junk(s, i);
    set_arg(c, i);
    if (s[i] == '\0')
        return;
    char w[12];
    size_t k = read_word(s + i, w, sizeof w);
    long mult = 1;
    if (k && (strcmp(w, "SIKU") == 0 || strcmp(w, "SAA") == 0)) {
        mult = w[1] == 'I' ? 24 : 1;
        i = skip_junk(s, i + k);
    }
    long v;
    size_t n = read_number(s + i, &v);
    if (n == 0 || n > 4 || v < 1) {
        c->args = CONV_ARGS_BAD;
        return;
    }
    i += n;
    if (s[i] == ' ' && is_alpha(s[i + 1]))
        i++;
    k = read_word(s + i, w, sizeof w);
    if (k) {
        if (w[0] == 'D' || strcmp(w, "SIKU") == 0)
            mult = 24;
        else if (w[0] != 'H' && strcmp(w, "SAA") != 0) {
            c->args = CONV_ARGS_BAD;
            return;
        }
        i += k;
    }
    if (!rest_empty(s + i) || v * mult > PAUSE_MAX_HOURS) {
        c->args = CONV_ARGS_BAD;
        return;
    }
    c->pause_hours = (int)(v * mult);
}

/* LANG sw | LANG en | LUGHA KISWAHILI ... */
static void args_lang(conv_cmd *c, size_t i)
{
    static const struct { const char *word, *code; } names[] = {
        {"EN", "en"},        {"ENG", "en"},     {"ENGLISH", "en"}, {"KIINGEREZA", "en"},
        {"KIZUNGU", "en"},   {"SW", "sw"},      {"SWA", "sw"},     {"SWAHILI", "sw"},
        {"KISWAHILI", "sw"}, {"KISW", "sw"},
    };
    i = skip_junk(c->text, i);
    set_arg(c, i);
    if (c->text[i] == '\0') {
        c->args = CONV_ARGS_MISSING;
        return;
    }
    char w[16];
    size_t k = read_word(c->text + i, w, sizeof w);
    for (size_t j = 0; k && j < sizeof names / sizeof names[0]; j++) {
        if (strcmp(w, names[j].word) == 0 && rest_empty(c->text + i + k)) {
            memcpy(c->set_lang, names[j].code, 3);
            return;
        }
    }
    c->args = CONV_ARGS_BAD;
}

/* CHECK code: letters and digits, separators ignored, upper-cased. */
static void args_check(conv_cmd *c, size_t i)
{
    i = skip_junk(c->text, i);
    set_arg(c, i);
    size_t n = 0;
    for (const char *p = c->text + i; *p; p++) {
        if (is_alpha(*p) || is_digit(*p)) {
            if (n == CONV_CODE_MAX) {
                c->args = CONV_ARGS_BAD;
                c->code[0] = '\0';
                return;
            }
            c->code[n++] = upper(*p);
        } else if (!is_junk(*p)) {
            c->args = CONV_ARGS_BAD;
            c->code[0] = '\0';
            return;
        }
    }
    c->code[n] = '\0';
    if (n == 0)
        c->args = CONV_ARGS_MISSING;
    else if (n < 4)
        c->args = CONV_ARGS_BAD;
}

/* The answer after a reference (or a bare answer): checks its length. */
static void answer_at(conv_cmd *c, size_t i)
{
    c->kind = CONV_ANSWER;
    set_arg(c, i);
    if (c->truncated || strlen(c->text + c->arg_off) > CONV_ANSWER_MAX)
        c->args = CONV_ARGS_TOO_LONG;
    else if (c->text[c->arg_off] == '\0')
        c->args = CONV_ARGS_MISSING;
}

/* ANSWER/JIBU 42 text: the same as "42 text". */
static void args_answer(conv_cmd *c, size_t i)
{
    bool bad;
    size_t j = optional_ref(c, i, &bad);
    answer_at(c, bad ? skip_junk(c->text, i) : j);
    if (bad)
        c->ref = 0;
}

/* A message that starts with a digit: "42 2", "42*2", "42YES", "2", "0712345678". */
static void parse_number_first(conv_cmd *c, size_t i)
{
    long v;
    size_t n = read_number(c->text + i, &v);
    size_t after = i + n;
    bool ref_ok = n <= 4 && v >= 1;
    if (ref_ok && !rest_empty(c->text + after) &&
        (is_junk(c->text[after]) || is_alpha(c->text[after]))) {
        c->ref = (int)v;
        answer_at(c, after);
        return;
    }
    answer_at(c, i); /* a bare answer: the whole text */
}

static void parse_args(conv_cmd *c, size_t i)
{
    switch (c->kind) {
    case CONV_ANSWER: args_answer(c, i); break;
    case CONV_SKIP:
    case CONV_MORE:
    case CONV_WHO: args_ref_only(c, i); break;
    case CONV_ASK:
    case CONV_APPEAL: args_ref_text(c, i); break;
    case CONV_HOURS: args_hours(c, i); break;
    case CONV_PAUSE: args_pause(c, i); break;
    case CONV_LANG: args_lang(c, i); break;
    case CONV_CHECK: args_check(c, i); break;
    default: set_arg(c, i); break; /* JOIN name, PAY amount; others ignore the rest */
    }
}

/* A short message with a STOP word anywhere: "please stop", "ok acha". */
static bool stop_in_words(const char *s, const char **lang)
{
    size_t words = 0;
    bool found = false;
    for (size_t i = 0; s[i];) {
        if (!is_alpha(s[i])) {
            i++;
            continue;
        }
        char w[16];
        size_t k = read_word(s + i, w, sizeof w);
        words++;
        if (k < sizeof w && in_list(w, stop_anywhere, sizeof stop_anywhere / sizeof *stop_anywhere)) {
            found = true;
            *lang = strcmp(w, "ACHA") == 0 ? "sw" : "en";
        }
        i += k;
    }
    return found && words <= STOP_SEARCH_WORDS;
}

static void parse_word_first(conv_cmd *c, size_t i)
{
    char w[16];
    size_t k = read_word(c->text + i, w, sizeof w);
    const keyword *kw = k < sizeof w ? find_keyword(w, keywords, sizeof keywords / sizeof *keywords)
                                     : NULL;
    if (!kw && k < sizeof w && rest_empty(c->text + i + k))
        kw = find_keyword(w, alone_stop, sizeof alone_stop / sizeof *alone_stop);
    if (!kw && k < sizeof w && strcmp(w, "CANCEL") == 0)
        kw = &cancel_skip;
    if (kw) {
        c->kind = kw->kind;
        memcpy(c->lang, kw->lang, 3);
        parse_args(c, i + k);
        return;
    }
    const char *lang = NULL;
    if (stop_in_words(c->text + i, &lang)) {
        c->kind = CONV_STOP;
        memcpy(c->lang, lang, 3);
        set_arg(c, i);
        return;
    }
    if (k < sizeof w && in_list(w, bare_words, sizeof bare_words / sizeof *bare_words) &&
        rest_empty(c->text + i + k)) {
        answer_at(c, i);
        return;
    }
    c->kind = CONV_UNKNOWN;
    set_arg(c, 0);
}

void conv_parse(const char *text, size_t len, conv_cmd *out)
{
    memset(out, 0, sizeof *out);
    out->hours_from = out->hours_to = -1;
    if (text)
        clean(text, len, out);
    size_t i = skip_junk(out->text, 0);
    if (out->text[i] == '\0') {
        bool question = strchr(out->text, '?') != NULL;
        out->kind = question ? CONV_HELP : CONV_EMPTY;
        return;
    }
    if (is_digit(out->text[i]))
        parse_number_first(out, i);
    else if (is_alpha(out->text[i]))
        parse_word_first(out, i);
    else
        parse_word_first(out, i); /* non-ASCII first: unknown (maybe a bare answer) */
}
