/*
 * test_phone.c - tasks/phone.c: E.164 normalisation for each supported
 * country, and telling people from short codes and alphanumeric senders
 * (which Kazi must never answer). Table-driven.
 */
#include <string.h>

#include "harness.h"
#include "phone.h"

typedef struct phone_case {
    const char *country;
    const char *in;
    phone_kind kind;
    const char *e164; /* "" unless PHONE_PERSON */
} phone_case;

static const phone_case cases[] = {
    /* Kenya: +254, trunk 0, 9 national digits */
    {"KE", "+254712345678", PHONE_PERSON, "+254712345678"},
    {"KE", "254712345678", PHONE_PERSON, "+254712345678"},
    {"KE", "00254712345678", PHONE_PERSON, "+254712345678"},
    {"KE", "0712345678", PHONE_PERSON, "+254712345678"},
    {"KE", "712345678", PHONE_PERSON, "+254712345678"},
    {"KE", "0112345678", PHONE_PERSON, "+254112345678"},
    {"KE", "+254 712 345 678", PHONE_PERSON, "+254712345678"},
    {"KE", " 0712-345-678 ", PHONE_PERSON, "+254712345678"},
    {"KE", "(0712) 345.678", PHONE_PERSON, "+254712345678"},
    {"ke", "0712345678", PHONE_PERSON, "+254712345678"},
    {"KE", "+2547123456789", PHONE_INVALID, ""},
    {"KE", "+25471234567", PHONE_INVALID, ""},
    {"KE", "071234567", PHONE_INVALID, ""},
    {"KE", "07123456789", PHONE_INVALID, ""},
    {"KE", "+254 0712345678", PHONE_INVALID, ""},
    /* other countries' numbers reach a Kenyan gateway in international form */
    {"KE", "+255712345678", PHONE_PERSON, "+255712345678"},
    {"KE", "+447700900123", PHONE_PERSON, "+447700900123"},
    {"KE", "+12025550123", PHONE_PERSON, "+12025550123"},
    {"KE", "0044 7700 900123", PHONE_PERSON, "+447700900123"},
    /* Tanzania, Uganda, Rwanda, Ghana: 9 national digits */
    {"TZ", "0754123456", PHONE_PERSON, "+255754123456"},
    {"TZ", "255754123456", PHONE_PERSON, "+255754123456"},
    {"TZ", "+255 754 123 456", PHONE_PERSON, "+255754123456"},
    {"UG", "0772123456", PHONE_PERSON, "+256772123456"},
    {"UG", "+256772123456", PHONE_PERSON, "+256772123456"},
    {"RW", "0788123456", PHONE_PERSON, "+250788123456"},
    {"RW", "250788123456", PHONE_PERSON, "+250788123456"},
    {"GH", "0244123456", PHONE_PERSON, "+233244123456"},
    {"GH", "0551234567", PHONE_PERSON, "+233551234567"},
    {"GH", "+233 24 412 3456", PHONE_PERSON, "+233244123456"},
    {"GH", "024412345", PHONE_INVALID, ""},
    /* Nigeria: 10 national digits */
    {"NG", "08031234567", PHONE_PERSON, "+2348031234567"},
    {"NG", "+2348031234567", PHONE_PERSON, "+2348031234567"},
    {"NG", "2348031234567", PHONE_PERSON, "+2348031234567"},
    {"NG", "8031234567", PHONE_PERSON, "+2348031234567"},
    {"NG", "0803123456", PHONE_INVALID, ""},
    {"NG", "+234803123456", PHONE_INVALID, ""},
    /* a local number in another country's form is not guessed */
    {"TZ", "0712345678", PHONE_PERSON, "+255712345678"},
    {"XX", "0712345678", PHONE_INVALID, ""},
    {"XX", "+254712345678", PHONE_PERSON, "+254712345678"},
    {NULL, "+254712345678", PHONE_PERSON, "+254712345678"},
    /* short codes: operators and services, never answered */
    {"KE", "100", PHONE_SHORTCODE, ""},
    {"KE", "456", PHONE_SHORTCODE, ""},
    {"KE", "22141", PHONE_SHORTCODE, ""},
    {"KE", "40404", PHONE_SHORTCODE, ""},
    {"KE", "303030", PHONE_SHORTCODE, ""},
    {"NG", "3232", PHONE_SHORTCODE, ""},
    {"KE", "12", PHONE_INVALID, ""},
    {"KE", "1234567", PHONE_INVALID, ""},
    /* alphanumeric senders: always robots */
    {"KE", "MPESA", PHONE_ALPHA, ""},
    {"KE", "M-PESA", PHONE_ALPHA, ""},
    {"KE", "Safaricom", PHONE_ALPHA, ""},
    {"KE", "SAFCOM 100", PHONE_ALPHA, ""},
    {"KE", "Airtel", PHONE_ALPHA, ""},
    {"KE", "KCB", PHONE_ALPHA, ""},
    {"KE", "0712ABC678", PHONE_ALPHA, ""},
    {"KE", "Équity", PHONE_ALPHA, ""},
    {"NG", "MTN NG", PHONE_ALPHA, ""},
    /* junk */
    {"KE", "", PHONE_INVALID, ""},
    {"KE", "   ", PHONE_INVALID, ""},
    {"KE", "+", PHONE_INVALID, ""},
    {"KE", "++254712345678", PHONE_INVALID, ""},
    {"KE", "+0712345678", PHONE_INVALID, ""},
    {"KE", "0712345678#", PHONE_INVALID, ""},
    {"KE", "071234567800000000000000000000000000000000000000", PHONE_INVALID, ""},
    {"KE", "+1234567890123456", PHONE_INVALID, ""},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const phone_case *c = &cases[i];
        char out[PHONE_E164_CAP];
        memset(out, 'x', sizeof out);
        phone_kind k = phone_normalise(c->in, c->country, out);
        KT_CHECK(k == c->kind, "%s '%s': kind %s, want %s", c->country ? c->country : "-",
                 c->in, phone_kind_name(k), phone_kind_name(c->kind));
        KT_CHECK(strcmp(out, c->e164) == 0, "%s '%s': got '%s', want '%s'",
                 c->country ? c->country : "-", c->in, out, c->e164);
    }
}

static void test_countries(void)
{
    static const char *const iso[] = {"KE", "TZ", "UG", "NG", "GH", "RW"};
    static const char *const cc[] = {"254", "255", "256", "234", "233", "250"};
    for (size_t i = 0; i < 6; i++) {
        const phone_country *c = phone_country_find(iso[i]);
        KT_CHECK(c && strcmp(c->cc, cc[i]) == 0, "%s calling code", iso[i]);
    }
    KT_CHECK(phone_country_find("ZZ") == NULL && phone_country_find(NULL) == NULL, "unknown");
    KT_CHECK(phone_normalise(NULL, "KE", (char[PHONE_E164_CAP]){0}) == PHONE_INVALID, "NULL in");
    KT_STREQ(phone_kind_name(PHONE_ALPHA), "alpha", "kind name");
}

int main(void)
{
    test_table();
    test_countries();
    return kt_report();
}
