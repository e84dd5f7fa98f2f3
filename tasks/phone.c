/*
 * phone.c - sender classification and E.164 normalisation (see phone.h).
 * Owns: the country table. Never allocates; never answers for numbers it
 * cannot place (they are PHONE_INVALID, so nobody replies to them).
 */
#include "phone.h"

#include <string.h>
#include <strings.h>

static const phone_country countries[] = {
    {"KE", "254", 9}, /* 07xx xxx xxx, 01xx xxx xxx */
    {"TZ", "255", 9}, /* 07xx xxx xxx, 06xx xxx xxx */
    {"UG", "256", 9}, /* 07xx xxx xxx */
    {"NG", "234", 10}, /* 080x xxx xxxx */
    {"GH", "233", 9}, /* 02x xxx xxxx, 05x xxx xxxx */
    {"RW", "250", 9}, /* 07xx xxx xxx */
};

#define N_COUNTRIES (sizeof countries / sizeof countries[0])

/* Shortest and longest digit strings taken as a short code. */
#define SHORTCODE_MIN 3
#define SHORTCODE_MAX 6
/* Digits of a whole E.164 number (country code included). */
#define E164_MIN 7
#define E164_MAX 15

const char *phone_kind_name(phone_kind k)
{
    switch (k) {
    case PHONE_PERSON: return "person";
    case PHONE_SHORTCODE: return "shortcode";
    case PHONE_ALPHA: return "alpha";
    case PHONE_INVALID: break;
    }
    return "invalid";
}

const phone_country *phone_country_find(const char *iso)
{
    for (size_t i = 0; iso && i < N_COUNTRIES; i++)
        if (strcasecmp(iso, countries[i].iso) == 0)
            return &countries[i];
    return NULL;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_filler(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t';
}

/*
 * Collect the digits of in into dig (cap bytes). *plus is set for a leading
 * '+'. Returns the digit count, or -1 for a character that is neither a digit
 * nor filler (a letter makes the caller's verdict PHONE_ALPHA).
 */
static int collect_digits(const char *in, char *dig, size_t cap, int *plus, int *letter)
{
    size_t n = 0;
    *plus = 0;
    *letter = 0;
    const char *p = in;
    while (is_filler(*p))
        p++;
    if (*p == '+') {
        *plus = 1;
        p++;
    }
    for (; *p; p++) {
        if (is_digit(*p)) {
            if (n + 1 >= cap)
                return -1;
            dig[n++] = *p;
        } else if (!is_filler(*p)) {
            *letter = (*p & 0x80) || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
            return -1;
        }
    }
    dig[n] = '\0';
    return (int)n;
}

/* Write "+" cc national into out; PHONE_PERSON, or PHONE_INVALID if too long. */
static phone_kind emit(const char *cc, const char *national, char out[PHONE_E164_CAP])
{
    size_t n = strlen(cc) + strlen(national);
    if (n < E164_MIN || n > E164_MAX || national[0] == '0')
        return PHONE_INVALID;
    out[0] = '+';
    memcpy(out + 1, cc, strlen(cc));
    memcpy(out + 1 + strlen(cc), national, strlen(national) + 1);
    return PHONE_PERSON;
}

/* An international digit string (after '+' or "00"): checks home-country length. */
static phone_kind international(const char *dig, const phone_country *home,
                                char out[PHONE_E164_CAP])
{
    size_t n = strlen(dig);
    if (n < E164_MIN || n > E164_MAX || dig[0] == '0')
        return PHONE_INVALID;
    if (home && strncmp(dig, home->cc, strlen(home->cc)) == 0) {
        const char *nat = dig + strlen(home->cc);
        if (strlen(nat) != home->nsn)
            return PHONE_INVALID;
        return emit(home->cc, nat, out);
    }
    return emit("", dig, out);
}

phone_kind phone_normalise(const char *in, const char *country, char out[PHONE_E164_CAP])
{
    char dig[40];
    int plus, letter;
    out[0] = '\0';
    if (!in)
        return PHONE_INVALID;
    int n = collect_digits(in, dig, sizeof dig, &plus, &letter);
    if (n < 0)
        return letter ? PHONE_ALPHA : PHONE_INVALID;
    if (n == 0)
        return PHONE_INVALID;
    const phone_country *home = phone_country_find(country);
    if (plus)
        return international(dig, home, out);
    if (dig[0] == '0' && dig[1] == '0')
        return international(dig + 2, home, out);
    if (n >= SHORTCODE_MIN && n <= SHORTCODE_MAX)
        return PHONE_SHORTCODE;
    if (!home)
        return PHONE_INVALID;
    size_t cc = strlen(home->cc);
    if ((size_t)n == cc + home->nsn && strncmp(dig, home->cc, cc) == 0)
        return emit(home->cc, dig + cc, out);
    if (dig[0] == '0' && n == 1 + (int)home->nsn)
        return emit(home->cc, dig + 1, out);
    if ((size_t)n == home->nsn)
        return emit(home->cc, dig, out);
    return PHONE_INVALID;
}
