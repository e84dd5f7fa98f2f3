/*
 * pseudonym.h - pseudonymous worker ids for results given to requesters, and
 * the keyed hash behind them (SipHash-2-4, Aumasson & Bernstein 2012).
 * Owns: the derivation "W" + 16 hex digits of SipHash-2-4 keyed with the
 * database's secret over (requester id, worker id): stable for one requester
 * across batches, unlinkable between requesters without the secret.
 * Never allocates; never sees a phone number.
 */
#ifndef KAZI_PSEUDONYM_H
#define KAZI_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of a pseudonym including the NUL: 'W' + 16 hex + NUL. */
#define PSEUDONYM_LEN 18

/* SipHash-2-4 of msg[0..len) under the 16-byte key. */
uint64_t siphash24(const uint8_t key[16], const uint8_t *msg, size_t len);

/*
 * Write the pseudonym of worker_id as seen by requester_id into out.
 * secret_hex is the database secret (store_secret); its first 32 hex digits
 * are the key (missing or bad digits count as 0, so a bad secret still gives
 * stable ids, but store_open always creates a good one).
 */
void pseudonym_worker(const char *secret_hex, int64_t requester_id, int64_t worker_id,
                      char out[PSEUDONYM_LEN]);

#endif
