/*
 * phone.h - telephone numbers as they arrive from a modem or a person, made
 * E.164 ("+254712345678") with the deployment's country, and the senders
 * Kazi must never answer: alphanumeric senders ("MPESA", "Safaricom") and
 * short codes ("100", "40404").
 * Owns: the table of supported countries (calling code, trunk prefix,
 * national number length). Never allocates, never logs, never guesses a
 * country for a number that does not say it.
 */
#ifndef KAZI_PHONE_H
#define KAZI_PHONE_H

#include <stddef.h>

/* Bytes for an E.164 number with its '+' and NUL. */
#define PHONE_E164_CAP 17

/* What a sender address is. Only PHONE_PERSON may ever be answered. */
typedef enum phone_kind {
    PHONE_PERSON = 0, /* a full number, normalised to E.164 */
    PHONE_SHORTCODE,  /* all digits, too short to be a subscriber (operator/service) */
    PHONE_ALPHA,      /* contains letters: a named sender, always a robot */
    PHONE_INVALID     /* empty, junk, or a number of the wrong length */
} phone_kind;

/* "person", "shortcode", "alpha", "invalid". */
const char *phone_kind_name(phone_kind k);

/* One supported country. */
typedef struct phone_country {
    char iso[3];         /* "KE" */
    char cc[4];          /* calling code digits, "254" */
    unsigned char nsn;   /* digits of a national significant number (after the trunk 0) */
} phone_country;

/* The country with ISO 3166 code iso (case-insensitive), or NULL if not supported. */
const phone_country *phone_country_find(const char *iso);

/*
 * Classify `in` (NUL-terminated) and, for a person, write its E.164 form
 * into out (PHONE_E164_CAP bytes; "" otherwise). Accepted forms: "+CC...",
 * "00CC...", "CC..." with the national length, "0..." trunk form and the bare
 * national number of the configured country; spaces, dashes, dots and
 * brackets between digits are ignored. Numbers of the configured country
 * must have its exact national length; other countries 7-15 digits in all.
 * country is an ISO code ("KE"); an unknown country accepts only
 * international forms. Digits-only input of 3-6 digits (no '+') is a short code.
 */
phone_kind phone_normalise(const char *in, const char *country, char out[PHONE_E164_CAP]);

#endif
