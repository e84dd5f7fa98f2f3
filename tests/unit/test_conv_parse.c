/*
 * test_conv_parse.c - tasks/conv_parse.c: every command of
 * docs/sms-commands.md in English and Swahili, with the habits of keypad
 * phones (case, spacing, punctuation, '*' and '#' separators, smart quotes)
 * and misuse (empty, junk, 1,000 characters, emoji, invalid UTF-8).
 * Table-driven; each keyword is also tried in generated variants.
 */
#include <string.h>

#include "conv_parse.h"
#include "harness.h"

typedef struct row {
    const char *in;
    conv_kind kind;
    int ref;
    const char *arg;  /* expected free text, NULL = not checked */
    conv_args args;
    const char *lang; /* keyword language, NULL = not checked */
} row;

static const row rows[] = {
    /* answers */
    {"42 2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42 Nairobi West", CONV_ANSWER, 42, "Nairobi West", CONV_ARGS_OK, ""},
    {"42*2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42.2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42#2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"#42 2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"#42#2#", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"*42*2#", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42,2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42-2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42:2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42/2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42 2.", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42  2 ", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"  42\t2\r\n", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"42 YES", CONV_ANSWER, 42, "YES", CONV_ARGS_OK, ""},
    {"42 yes!", CONV_ANSWER, 42, "yes", CONV_ARGS_OK, ""},
    {"42YES", CONV_ANSWER, 42, "YES", CONV_ARGS_OK, ""},
    {"42 ndiyo", CONV_ANSWER, 42, "ndiyo", CONV_ARGS_OK, ""},
    {"42 Hapana.", CONV_ANSWER, 42, "Hapana", CONV_ARGS_OK, ""},
    {"7 3", CONV_ANSWER, 7, "3", CONV_ARGS_OK, ""},
    {"9999 1", CONV_ANSWER, 9999, "1", CONV_ARGS_OK, ""},
    {"1 1", CONV_ANSWER, 1, "1", CONV_ARGS_OK, ""},
    {"42 St. Mary's Rd.", CONV_ANSWER, 42, "St. Mary's Rd.", CONV_ARGS_OK, ""},
    {"42 \xE2\x80\x9CMama Oliech\xE2\x80\x9D", CONV_ANSWER, 42, "Mama Oliech", CONV_ARGS_OK, ""},
    {"42 Mama\xE2\x80\x99s shop", CONV_ANSWER, 42, "Mama's shop", CONV_ARGS_OK, ""},
    {"42 Duka la Mama \xC3\xA9", CONV_ANSWER, 42, "Duka la Mama \xC3\xA9", CONV_ARGS_OK, ""},
    {"42\xC2\xA0" "2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""},
    {"\xEF\xBC\x94\xEF\xBC\x92 2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, ""}, /* full-width 42 */
    {"42 \xF0\x9F\x91\x8D", CONV_ANSWER, 42, "\xF0\x9F\x91\x8D", CONV_ARGS_OK, ""},
    {"2", CONV_ANSWER, 0, "2", CONV_ARGS_OK, ""},
    {"2.", CONV_ANSWER, 0, "2", CONV_ARGS_OK, ""},
    {"#2#", CONV_ANSWER, 0, "2", CONV_ARGS_OK, ""},
    {"42", CONV_ANSWER, 0, "42", CONV_ARGS_OK, ""},
    {"0 2", CONV_ANSWER, 0, "0 2", CONV_ARGS_OK, ""},
    {"12345 2", CONV_ANSWER, 0, "12345 2", CONV_ARGS_OK, ""},
    {"0712345678", CONV_ANSWER, 0, "0712345678", CONV_ARGS_OK, ""},
    {"YES", CONV_ANSWER, 0, "YES", CONV_ARGS_OK, ""},
    {"yes.", CONV_ANSWER, 0, "yes", CONV_ARGS_OK, ""},
    {"No", CONV_ANSWER, 0, "No", CONV_ARGS_OK, ""},
    {"y", CONV_ANSWER, 0, "y", CONV_ARGS_OK, ""},
    {"Ndiyo", CONV_ANSWER, 0, "Ndiyo", CONV_ARGS_OK, ""},
    {"HAPANA!", CONV_ANSWER, 0, "HAPANA", CONV_ARGS_OK, ""},
    {"ANSWER 42 2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, "en"},
    {"ans 42 Moi Avenue", CONV_ANSWER, 42, "Moi Avenue", CONV_ARGS_OK, "en"},
    {"JIBU 42 2", CONV_ANSWER, 42, "2", CONV_ARGS_OK, "sw"},
    {"jibu 2", CONV_ANSWER, 2, "", CONV_ARGS_MISSING, "sw"},
    {"JIBU", CONV_ANSWER, 0, "", CONV_ARGS_MISSING, "sw"},
    /* JOIN */
    {"JOIN", CONV_JOIN, 0, "", CONV_ARGS_OK, "en"},
    {"join", CONV_JOIN, 0, "", CONV_ARGS_OK, "en"},
    {"Join Amina", CONV_JOIN, 0, "Amina", CONV_ARGS_OK, "en"},
    {"JOIN Amina Wanjiru", CONV_JOIN, 0, "Amina Wanjiru", CONV_ARGS_OK, "en"},
    {"join, amina.", CONV_JOIN, 0, "amina", CONV_ARGS_OK, "en"},
    {"JOIN: Mary-Jane O'Neil", CONV_JOIN, 0, "Mary-Jane O'Neil", CONV_ARGS_OK, "en"},
    {"START", CONV_JOIN, 0, "", CONV_ARGS_OK, "en"},
    {"register", CONV_JOIN, 0, "", CONV_ARGS_OK, "en"},
    {"JIUNGE", CONV_JOIN, 0, "", CONV_ARGS_OK, "sw"},
    {"jiunge Baraka", CONV_JOIN, 0, "Baraka", CONV_ARGS_OK, "sw"},
    {"Sajili Neema", CONV_JOIN, 0, "Neema", CONV_ARGS_OK, "sw"},
    {"JOINS", CONV_UNKNOWN, 0, "JOINS", CONV_ARGS_OK, ""},
    /* NEXT */
    {"NEXT", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "en"},
    {"next.", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "en"},
    {"Next please", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "en"},
    {"nxt", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "en"},
    {"TASK", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "en"},
    {"INAYOFUATA", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "sw"},
    {"ijayo", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "sw"},
    {"Kazi", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "sw"},
    {"kazi?", CONV_NEXT, 0, NULL, CONV_ARGS_OK, "sw"},
    /* SKIP / MORE / WHO */
    {"SKIP 42", CONV_SKIP, 42, NULL, CONV_ARGS_OK, "en"},
    {"skip42", CONV_SKIP, 42, NULL, CONV_ARGS_OK, "en"},
    {"Skip #42.", CONV_SKIP, 42, NULL, CONV_ARGS_OK, "en"},
    {"SKIP*42#", CONV_SKIP, 42, NULL, CONV_ARGS_OK, "en"},
    {"SKIP", CONV_SKIP, 0, NULL, CONV_ARGS_OK, "en"},
    {"SKIP it", CONV_SKIP, 0, NULL, CONV_ARGS_BAD, "en"},
    {"SKIP 0", CONV_SKIP, 0, NULL, CONV_ARGS_BAD, "en"},
    {"SKIP 12345", CONV_SKIP, 0, NULL, CONV_ARGS_BAD, "en"},
    {"PASS 7", CONV_SKIP, 7, NULL, CONV_ARGS_OK, "en"},
    {"CANCEL 42", CONV_SKIP, 42, NULL, CONV_ARGS_OK, "en"},
    {"RUKA 42", CONV_SKIP, 42, NULL, CONV_ARGS_OK, "sw"},
    {"ruka", CONV_SKIP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"MORE 42", CONV_MORE, 42, NULL, CONV_ARGS_OK, "en"},
    {"more", CONV_MORE, 0, NULL, CONV_ARGS_OK, "en"},
    {"EXTEND 9", CONV_MORE, 9, NULL, CONV_ARGS_OK, "en"},
    {"ZAIDI 42", CONV_MORE, 42, NULL, CONV_ARGS_OK, "sw"},
    {"muda 42", CONV_MORE, 42, NULL, CONV_ARGS_OK, "sw"},
    {"MORE 42 please", CONV_MORE, 42, NULL, CONV_ARGS_BAD, "en"},
    {"WHO 42", CONV_WHO, 42, NULL, CONV_ARGS_OK, "en"},
    {"who?", CONV_WHO, 0, NULL, CONV_ARGS_OK, "en"},
    {"Who 42?", CONV_WHO, 42, NULL, CONV_ARGS_OK, "en"},
    {"NANI 42", CONV_WHO, 42, NULL, CONV_ARGS_OK, "sw"},
    {"nani?", CONV_WHO, 0, NULL, CONV_ARGS_OK, "sw"},
    /* HOURS */
    {"HOURS", CONV_HOURS, 0, NULL, CONV_ARGS_MISSING, "en"},
    {"hours all", CONV_HOURS, 0, NULL, CONV_ARGS_OK, "en"},
    {"HOURS 7x", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    {"HOURS 8", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    {"HOURS 25-3", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    {"HOURS 8-8", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    {"HOURS 8:75-17", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    {"HOURS 13pm-5", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    {"HOURS 8-17 daily", CONV_HOURS, 0, NULL, CONV_ARGS_BAD, "en"},
    /* PAUSE / RESUME */
    {"PAUSE", CONV_PAUSE, 0, NULL, CONV_ARGS_OK, "en"},
    {"pause.", CONV_PAUSE, 0, NULL, CONV_ARGS_OK, "en"},
    {"PAUSE 0", CONV_PAUSE, 0, NULL, CONV_ARGS_BAD, "en"},
    {"PAUSE x", CONV_PAUSE, 0, NULL, CONV_ARGS_BAD, "en"},
    {"PAUSE 3 weeks", CONV_PAUSE, 0, NULL, CONV_ARGS_BAD, "en"},
    {"PAUSE 99999", CONV_PAUSE, 0, NULL, CONV_ARGS_BAD, "en"},
    {"PAUSE 91d", CONV_PAUSE, 0, NULL, CONV_ARGS_BAD, "en"},
    {"BREAK 2", CONV_PAUSE, 0, NULL, CONV_ARGS_OK, "en"},
    {"SIMAMISHA", CONV_PAUSE, 0, NULL, CONV_ARGS_OK, "sw"},
    {"pumzika 2", CONV_PAUSE, 0, NULL, CONV_ARGS_OK, "sw"},
    {"RESUME", CONV_RESUME, 0, NULL, CONV_ARGS_OK, "en"},
    {"Resume!", CONV_RESUME, 0, NULL, CONV_ARGS_OK, "en"},
    {"continue", CONV_RESUME, 0, NULL, CONV_ARGS_OK, "en"},
    {"ENDELEA", CONV_RESUME, 0, NULL, CONV_ARGS_OK, "sw"},
    {"rejea", CONV_RESUME, 0, NULL, CONV_ARGS_OK, "sw"},
    /* money */
    {"BAL", CONV_BAL, 0, NULL, CONV_ARGS_OK, "en"},
    {"bal?", CONV_BAL, 0, NULL, CONV_ARGS_OK, "en"},
    {"Balance", CONV_BAL, 0, NULL, CONV_ARGS_OK, "en"},
    {"SALIO", CONV_BAL, 0, NULL, CONV_ARGS_OK, "sw"},
    {"salio?", CONV_BAL, 0, NULL, CONV_ARGS_OK, "sw"},
    {"PAY", CONV_PAY, 0, "", CONV_ARGS_OK, "en"},
    {"PAY 100", CONV_PAY, 0, "100", CONV_ARGS_OK, "en"},
    {"pay ksh 150", CONV_PAY, 0, "ksh 150", CONV_ARGS_OK, "en"},
    {"PAY 1,200.", CONV_PAY, 0, "1,200", CONV_ARGS_OK, "en"},
    {"withdraw 50", CONV_PAY, 0, "50", CONV_ARGS_OK, "en"},
    {"LIPA", CONV_PAY, 0, "", CONV_ARGS_OK, "sw"},
    {"lipa 200", CONV_PAY, 0, "200", CONV_ARGS_OK, "sw"},
    {"TOA 100", CONV_PAY, 0, "100", CONV_ARGS_OK, "sw"},
    /* ASK / APPEAL */
    {"ASK 42 what is a kiosk?", CONV_ASK, 42, "what is a kiosk?", CONV_ARGS_OK, "en"},
    {"ask 42: is a kiosk a shop", CONV_ASK, 42, "is a kiosk a shop", CONV_ARGS_OK, "en"},
    {"ASK how do I get paid", CONV_ASK, 0, "how do I get paid", CONV_ARGS_OK, "en"},
    {"ASK 42", CONV_ASK, 42, "", CONV_ARGS_MISSING, "en"},
    {"ASK", CONV_ASK, 0, "", CONV_ARGS_MISSING, "en"},
    {"ULIZA 42 duka ni nini?", CONV_ASK, 42, "duka ni nini?", CONV_ARGS_OK, "sw"},
    {"swali 42 hii ni nini", CONV_ASK, 42, "hii ni nini", CONV_ARGS_OK, "sw"},
    {"APPEAL 42 the shop was open", CONV_APPEAL, 42, "the shop was open", CONV_ARGS_OK, "en"},
    {"appeal 42", CONV_APPEAL, 42, "", CONV_ARGS_OK, "en"},
    {"APPEAL", CONV_APPEAL, 0, "", CONV_ARGS_OK, "en"},
    {"RUFANI 42 duka lilikuwa wazi", CONV_APPEAL, 42, "duka lilikuwa wazi", CONV_ARGS_OK, "sw"},
    {"rufaa 42 nilijibu sawa", CONV_APPEAL, 42, "nilijibu sawa", CONV_ARGS_OK, "sw"},
    /* record */
    {"HIST", CONV_HIST, 0, NULL, CONV_ARGS_OK, "en"},
    {"history", CONV_HIST, 0, NULL, CONV_ARGS_OK, "en"},
    {"HISTORIA", CONV_HIST, 0, NULL, CONV_ARGS_OK, "sw"},
    {"rekodi", CONV_HIST, 0, NULL, CONV_ARGS_OK, "sw"},
    {"CERT", CONV_CERT, 0, NULL, CONV_ARGS_OK, "en"},
    {"certificate", CONV_CERT, 0, NULL, CONV_ARGS_OK, "en"},
    {"CHETI", CONV_CERT, 0, NULL, CONV_ARGS_OK, "sw"},
    {"CHECK", CONV_CHECK, 0, NULL, CONV_ARGS_MISSING, "en"},
    {"CHECK AB", CONV_CHECK, 0, NULL, CONV_ARGS_BAD, "en"},
    {"CHECK ABCDEFGHJKMNPQRSTUV", CONV_CHECK, 0, NULL, CONV_ARGS_BAD, "en"},
    {"CHECK K7PX-\xC3\xA9", CONV_CHECK, 0, NULL, CONV_ARGS_BAD, "en"},
    /* LANG */
    {"LANG", CONV_LANG, 0, NULL, CONV_ARGS_MISSING, "en"},
    {"LANG fr", CONV_LANG, 0, NULL, CONV_ARGS_BAD, "en"},
    {"LANG sw please", CONV_LANG, 0, NULL, CONV_ARGS_BAD, "en"},
    /* HELP */
    {"HELP", CONV_HELP, 0, NULL, CONV_ARGS_OK, "en"},
    {"help!", CONV_HELP, 0, NULL, CONV_ARGS_OK, "en"},
    {"Help me", CONV_HELP, 0, NULL, CONV_ARGS_OK, "en"},
    {"INFO", CONV_HELP, 0, NULL, CONV_ARGS_OK, "en"},
    {"menu", CONV_HELP, 0, NULL, CONV_ARGS_OK, "en"},
    {"?", CONV_HELP, 0, NULL, CONV_ARGS_OK, ""},
    {"??", CONV_HELP, 0, NULL, CONV_ARGS_OK, ""},
    {"MSAADA", CONV_HELP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"saidia", CONV_HELP, 0, NULL, CONV_ARGS_OK, "sw"},
    /* STOP, always */
    {"STOP", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"stop", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"stop.", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"Stop!", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"STOP!!!", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"  *STOP#  ", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"\xE2\x80\x9CSTOP\xE2\x80\x9D", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"STOP sending me messages", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"please stop", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"pls STOP now", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"STOPALL", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"Stop all", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"UNSUBSCRIBE", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"unsubscribe me", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"OPTOUT", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"CANCEL", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"cancel.", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"END", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"quit", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    {"ACHA", CONV_STOP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"acha!", CONV_STOP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"tafadhali acha", CONV_STOP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"SITISHA", CONV_STOP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"ondoa", CONV_STOP, 0, NULL, CONV_ARGS_OK, "sw"},
    {"S\xE2\x80\x8BTOP", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"}, /* zero-width space */
    {"\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0", CONV_STOP, 0, NULL, CONV_ARGS_OK, "en"},
    /* an answer that mentions stop is an answer, not a STOP */
    {"42 bus stop", CONV_ANSWER, 42, "bus stop", CONV_ARGS_OK, ""},
    {"42 STOP", CONV_ANSWER, 42, "STOP", CONV_ARGS_OK, ""},
    /* a long message that mentions stop is not a STOP */
    {"the shop near the bus stop is open every day", CONV_UNKNOWN, 0, NULL, CONV_ARGS_OK, ""},
    /* empty and junk */
    {"", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    {" ", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    {"...", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    {"#*#", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    {"\r\n\t", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    {"\xE2\x80\x8B\xEF\xBB\xBF", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    {"\xFF\xFE", CONV_EMPTY, 0, NULL, CONV_ARGS_OK, ""},
    /* unknown */
    {"hello", CONV_UNKNOWN, 0, "hello", CONV_ARGS_OK, ""},
    {"Habari yako", CONV_UNKNOWN, 0, "Habari yako", CONV_ARGS_OK, ""},
    {"What is this?", CONV_UNKNOWN, 0, "What is this?", CONV_ARGS_OK, ""},
    {"\xF0\x9F\x98\x80\xF0\x9F\x98\x80", CONV_UNKNOWN, 0, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80",
     CONV_ARGS_OK, ""},
    {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", CONV_UNKNOWN, 0, NULL, CONV_ARGS_OK, ""},
    {"Nairobi West", CONV_UNKNOWN, 0, "Nairobi West", CONV_ARGS_OK, ""},
    {"Message received, thank you", CONV_UNKNOWN, 0, NULL, CONV_ARGS_OK, ""},
    {"NEXTT", CONV_UNKNOWN, 0, NULL, CONV_ARGS_OK, ""},
    {"SUPERCALIFRAGILISTICEXPIALIDOCIOUS", CONV_UNKNOWN, 0, NULL, CONV_ARGS_OK, ""},
    {"Y E S", CONV_UNKNOWN, 0, NULL, CONV_ARGS_OK, ""},
};

static void test_rows(void)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *r = &rows[i];
        conv_cmd c;
        conv_parse(r->in, strlen(r->in), &c);
        KT_CHECK(c.kind == r->kind, "'%s': kind %s, want %s", r->in, conv_kind_name(c.kind),
                 conv_kind_name(r->kind));
        KT_CHECK(c.ref == r->ref, "'%s': ref %d, want %d", r->in, c.ref, r->ref);
        KT_CHECK(c.args == r->args, "'%s': args %d, want %d", r->in, (int)c.args, (int)r->args);
        if (r->arg)
            KT_CHECK(strcmp(c.text + c.arg_off, r->arg) == 0, "'%s': arg '%s', want '%s'", r->in,
                     c.text + c.arg_off, r->arg);
        if (r->lang)
            KT_CHECK(strcmp(c.lang, r->lang) == 0, "'%s': lang '%s', want '%s'", r->in, c.lang,
                     r->lang);
    }
}

typedef struct hours_row {
    const char *in;
    conv_args args;
    int from, to;
} hours_row;

static const hours_row hours_rows[] = {
    {"HOURS 8-17", CONV_ARGS_OK, 480, 1020},
    {"hours 8 17", CONV_ARGS_OK, 480, 1020},
    {"HOURS 8 to 17", CONV_ARGS_OK, 480, 1020},
    {"HOURS 08:00-17:00", CONV_ARGS_OK, 480, 1020},
    {"HOURS 0800-1700", CONV_ARGS_OK, 480, 1020},
    {"HOURS 8.30-17.15", CONV_ARGS_OK, 510, 1035},
    {"HOURS 8am-5pm", CONV_ARGS_OK, 480, 1020},
    {"HOURS 8 AM - 5 PM", CONV_ARGS_OK, 480, 1020},
    {"HOURS 12pm-12am", CONV_ARGS_OK, 720, 1440},
    {"HOURS 8*17", CONV_ARGS_OK, 480, 1020},
    {"HOURS 8\xE2\x80\x93" "17", CONV_ARGS_OK, 480, 1020}, /* en dash */
    {"HOURS 18-6", CONV_ARGS_OK, 1080, 360},
    {"HOURS 20-24", CONV_ARGS_OK, 1200, 1440},
    {"HOURS 0-24", CONV_ARGS_OK, -1, -1},
    {"HOURS ALL", CONV_ARGS_OK, -1, -1},
    {"hours any", CONV_ARGS_OK, -1, -1},
    {"HOURS OFF", CONV_ARGS_OK, -1, -1},
    {"SAA 8-17", CONV_ARGS_OK, 480, 1020},
    {"saa 8 hadi 17", CONV_ARGS_OK, 480, 1020},
    {"MASAA 9 mpaka 16", CONV_ARGS_OK, 540, 960},
    {"SAA ZOTE", CONV_ARGS_OK, -1, -1},
    {"HOURS8-17", CONV_ARGS_OK, 480, 1020},
    {"HRS 6-10", CONV_ARGS_OK, 360, 600},
};

typedef struct pause_row {
    const char *in;
    conv_args args;
    int hours;
} pause_row;

static const pause_row pause_rows[] = {
    {"PAUSE", CONV_ARGS_OK, 0},       {"PAUSE 3", CONV_ARGS_OK, 3},
    {"PAUSE 3h", CONV_ARGS_OK, 3},    {"pause 3 hours", CONV_ARGS_OK, 3},
    {"PAUSE 2d", CONV_ARGS_OK, 48},   {"PAUSE 2 days", CONV_ARGS_OK, 48},
    {"PAUSE 90d", CONV_ARGS_OK, 2160}, {"SIMAMISHA 5", CONV_ARGS_OK, 5},
    {"PUMZIKA SAA 3", CONV_ARGS_OK, 3}, {"pumzika siku 2", CONV_ARGS_OK, 48},
    {"PUMZIKA 2 siku", CONV_ARGS_OK, 48}, {"PAUSE 3 weeks", CONV_ARGS_BAD, 0},
};

typedef struct lang_row {
    const char *in;
    const char *set;
    const char *kw;
} lang_row;

static const lang_row lang_rows[] = {
    {"LANG sw", "sw", "en"},         {"lang SW", "sw", "en"},
    {"LANG swahili", "sw", "en"},    {"LANGUAGE Kiswahili", "sw", "en"},
    {"LANG en", "en", "en"},         {"lang english.", "en", "en"},
    {"LUGHA sw", "sw", "sw"},        {"lugha kiswahili", "sw", "sw"},
    {"LUGHA en", "en", "sw"},        {"LUGHA KIINGEREZA", "en", "sw"},
    {"lugha kizungu", "en", "sw"},   {"#LANG*sw#", "sw", "en"},
};

typedef struct check_row {
    const char *in;
    const char *code;
} check_row;

static const check_row check_rows[] = {
    {"CHECK K7PX3M9R", "K7PX3M9R"},   {"check k7px3m9r", "K7PX3M9R"},
    {"CHECK K7PX-3M9R", "K7PX3M9R"},  {"CHECK K7PX 3M9R", "K7PX3M9R"},
    {"check: k7px.3m9r.", "K7PX3M9R"}, {"VERIFY K7PX3M9R", "K7PX3M9R"},
    {"HAKIKI K7PX3M9R", "K7PX3M9R"},  {"thibitisha k7px-3m9r", "K7PX3M9R"},
    {"CHECK 4711", "4711"},
};

static void test_arguments(void)
{
    for (size_t i = 0; i < sizeof hours_rows / sizeof hours_rows[0]; i++) {
        const hours_row *r = &hours_rows[i];
        conv_cmd c;
        conv_parse(r->in, strlen(r->in), &c);
        KT_CHECK(c.kind == CONV_HOURS && c.args == r->args, "'%s': kind %s args %d", r->in,
                 conv_kind_name(c.kind), (int)c.args);
        KT_CHECK(c.hours_from == r->from && c.hours_to == r->to, "'%s': %d-%d, want %d-%d",
                 r->in, c.hours_from, c.hours_to, r->from, r->to);
    }
    for (size_t i = 0; i < sizeof pause_rows / sizeof pause_rows[0]; i++) {
        const pause_row *r = &pause_rows[i];
        conv_cmd c;
        conv_parse(r->in, strlen(r->in), &c);
        KT_CHECK(c.kind == CONV_PAUSE && c.args == r->args && c.pause_hours == r->hours,
                 "'%s': kind %s args %d hours %d", r->in, conv_kind_name(c.kind), (int)c.args,
                 c.pause_hours);
    }
    for (size_t i = 0; i < sizeof lang_rows / sizeof lang_rows[0]; i++) {
        const lang_row *r = &lang_rows[i];
        conv_cmd c;
        conv_parse(r->in, strlen(r->in), &c);
        KT_CHECK(c.kind == CONV_LANG && c.args == CONV_ARGS_OK && strcmp(c.set_lang, r->set) == 0 &&
                     strcmp(c.lang, r->kw) == 0,
                 "'%s': kind %s args %d set '%s' kw '%s'", r->in, conv_kind_name(c.kind),
                 (int)c.args, c.set_lang, c.lang);
    }
    for (size_t i = 0; i < sizeof check_rows / sizeof check_rows[0]; i++) {
        const check_row *r = &check_rows[i];
        conv_cmd c;
        conv_parse(r->in, strlen(r->in), &c);
        KT_CHECK(c.kind == CONV_CHECK && c.args == CONV_ARGS_OK && strcmp(c.code, r->code) == 0,
                 "'%s': kind %s args %d code '%s'", r->in, conv_kind_name(c.kind), (int)c.args,
                 c.code);
    }
}

/* Every keyword, in the spellings keypad users send, maps to its command. */
typedef struct kw_row {
    const char *word;
    conv_kind kind;
    const char *lang;
} kw_row;

static const kw_row kw_rows[] = {
    {"JOIN", CONV_JOIN, "en"},       {"JIUNGE", CONV_JOIN, "sw"},
    {"NEXT", CONV_NEXT, "en"},       {"INAYOFUATA", CONV_NEXT, "sw"},
    {"IJAYO", CONV_NEXT, "sw"},      {"SKIP", CONV_SKIP, "en"},
    {"RUKA", CONV_SKIP, "sw"},       {"MORE", CONV_MORE, "en"},
    {"ZAIDI", CONV_MORE, "sw"},      {"MUDA", CONV_MORE, "sw"},
    {"PAUSE", CONV_PAUSE, "en"},     {"SIMAMISHA", CONV_PAUSE, "sw"},
    {"RESUME", CONV_RESUME, "en"},   {"ENDELEA", CONV_RESUME, "sw"},
    {"BAL", CONV_BAL, "en"},         {"SALIO", CONV_BAL, "sw"},
    {"PAY", CONV_PAY, "en"},         {"LIPA", CONV_PAY, "sw"},
    {"WHO", CONV_WHO, "en"},         {"NANI", CONV_WHO, "sw"},
    {"APPEAL", CONV_APPEAL, "en"},   {"RUFANI", CONV_APPEAL, "sw"},
    {"HIST", CONV_HIST, "en"},       {"HISTORIA", CONV_HIST, "sw"},
    {"CERT", CONV_CERT, "en"},       {"CHETI", CONV_CERT, "sw"},
    {"HELP", CONV_HELP, "en"},       {"MSAADA", CONV_HELP, "sw"},
    {"STOP", CONV_STOP, "en"},       {"ACHA", CONV_STOP, "sw"},
};

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static void test_keyword_variants(void)
{
    static const char *const pre[] = {"", "", "", " ", "#", "*", "", "\"", "  ", "", ""};
    static const char *const post[] = {"", ".", "!", " ", "", "#", "?", "\"", "\t", ",",
                                       "\xE2\x80\xA6"};
    for (size_t i = 0; i < sizeof kw_rows / sizeof kw_rows[0]; i++) {
        for (size_t f = 0; f < sizeof pre / sizeof pre[0]; f++) {
            for (int lc = 0; lc < 3; lc++) {
                char word[32], in[64];
                snprintf(word, sizeof word, "%s", kw_rows[i].word);
                if (lc == 1)
                    lower(word);
                if (lc == 2)
                    lower(word + 1); /* "Next" */
                snprintf(in, sizeof in, "%s%s%s", pre[f], word, post[f]);
                conv_cmd c;
                conv_parse(in, strlen(in), &c);
                KT_CHECK(c.kind == kw_rows[i].kind && strcmp(c.lang, kw_rows[i].lang) == 0,
                         "'%s': kind %s lang '%s'", in, conv_kind_name(c.kind), c.lang);
            }
        }
    }
}

static void test_misuse(void)
{
    conv_cmd c;
    /* a 1,000-character answer is too long for a task; the text is kept, cut */
    char big[1100];
    memcpy(big, "42 ", 3);
    memset(big + 3, 'a', 1000);
    conv_parse(big, 1003, &c);
    KT_CHECK(c.kind == CONV_ANSWER && c.ref == 42 && c.args == CONV_ARGS_TOO_LONG,
             "1000 chars: kind %s args %d", conv_kind_name(c.kind), (int)c.args);
    /* 2,000 bytes: cut at the cap, flagged */
    char huge[2100];
    memset(huge, 'b', sizeof huge);
    conv_parse(huge, sizeof huge, &c);
    KT_CHECK(c.truncated && c.text_len < CONV_TEXT_CAP && c.kind == CONV_UNKNOWN,
             "2100 bytes: truncated %d len %zu", c.truncated, c.text_len);
    /* emoji cut at the cap stay whole characters */
    char emoji[4 * 400];
    for (size_t i = 0; i < 400; i++)
        memcpy(emoji + 4 * i, "\xF0\x9F\x98\x80", 4);
    conv_parse(emoji, sizeof emoji, &c);
    KT_CHECK(c.truncated && c.text_len % 4 == 0, "emoji cut at %zu", c.text_len);
    /* 480 bytes is the longest answer; 481 is too long */
    char edge[600];
    memcpy(edge, "5 ", 2);
    memset(edge + 2, 'x', 481);
    conv_parse(edge, 2 + 480, &c);
    KT_CHECK(c.kind == CONV_ANSWER && c.args == CONV_ARGS_OK, "480-byte answer");
    conv_parse(edge, 2 + 481, &c);
    KT_CHECK(c.args == CONV_ARGS_TOO_LONG, "481-byte answer");
    /* NUL bytes inside the message are spaces, invalid bytes dropped */
    conv_parse("42\0002", 4, &c);
    KT_CHECK(c.kind == CONV_ANSWER && c.ref == 42 && strcmp(c.text + c.arg_off, "2") == 0,
             "NUL separator");
    conv_parse("ST\xC0OP", 5, &c);
    KT_CHECK(c.kind == CONV_STOP, "invalid byte inside STOP: %s", conv_kind_name(c.kind));
    conv_parse(NULL, 0, &c);
    KT_CHECK(c.kind == CONV_EMPTY, "NULL text");
    /* the cleaned text is always NUL-terminated valid text */
    conv_parse("\xE2\x80", 2, &c);
    KT_CHECK(c.kind == CONV_EMPTY && c.text[0] == '\0', "truncated UTF-8");
    KT_STREQ(conv_kind_name(CONV_CHECK), "CHECK", "kind name");
    KT_STREQ(conv_kind_name((conv_kind)99), "?", "bad kind name");
}

int main(void)
{
    test_rows();
    test_arguments();
    test_keyword_variants();
    test_misuse();
    return kt_report();
}
