/*
 * pseudonym.c - SipHash-2-4 and worker pseudonyms (see pseudonym.h).
 * Written from the SipHash paper's description; checked against its test
 * vector in tests/unit/test_pseudonym.c. Never allocates.
 */
#include "pseudonym.h"

#include <stdio.h>

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

typedef struct sip_state {
    uint64_t v0, v1, v2, v3;
} sip_state;

static void sip_round(sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl(s->v2, 32);
}

uint64_t siphash24(const uint8_t key[16], const uint8_t *msg, size_t len)
{
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    sip_state s = {
        0x736f6d6570736575ULL ^ k0,
        0x646f72616e646f6dULL ^ k1,
        0x6c7967656e657261ULL ^ k0,
        0x7465646279746573ULL ^ k1,
    };
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(msg + i);
        s.v3 ^= m;
        sip_round(&s);
        sip_round(&s);
        s.v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)msg[full + i] << (8 * i);
    s.v3 ^= b;
    sip_round(&s);
    sip_round(&s);
    s.v0 ^= b;
    s.v2 ^= 0xff;
    for (int r = 0; r < 4; r++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 0;
}

void pseudonym_worker(const char *secret_hex, int64_t requester_id, int64_t worker_id,
                      char out[PSEUDONYM_LEN])
{
    uint8_t key[16] = {0};
    for (size_t i = 0; i < 16 && secret_hex && secret_hex[2 * i] && secret_hex[2 * i + 1]; i++)
        key[i] = (uint8_t)(hexval(secret_hex[2 * i]) << 4 | hexval(secret_hex[2 * i + 1]));
    uint8_t msg[16];
    uint64_t r = (uint64_t)requester_id, w = (uint64_t)worker_id;
    for (int i = 0; i < 8; i++) {
        msg[i] = (uint8_t)(r >> (8 * i));
        msg[8 + i] = (uint8_t)(w >> (8 * i));
    }
    snprintf(out, PSEUDONYM_LEN, "W%016llx", (unsigned long long)siphash24(key, msg, 16));
}
