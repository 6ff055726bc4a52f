/* Safe-sender and blocked-sender lists as the directory publishes them:
 * blobs of 4-byte hashes, each the first 4 bytes of the SHA-256 of the
 * address in normal form (mail/address.h: lowercased, no brackets), in
 * the digest's order (big-endian when read as a number); scl-score
 * safelist-hash prints them as 8 hex digits in that same order. */
#ifndef POSTERN_SPAM_SAFELIST_H
#define POSTERN_SPAM_SAFELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAFELIST_HASH_LEN 4

/* The hash of addr (any form address_normalise accepts). */
void safelist_hash(const char *addr, size_t len, unsigned char out[SAFELIST_HASH_LEN]);
/* Whether blob (len bytes; a trailing partial hash is ignored) holds the
 * hash of addr. */
bool safelist_has(const unsigned char *blob, size_t len, const char *addr);

#endif
