/* SHA-256 (FIPS 180-4), for the programs that need a digest but not the
 * rest of a crypto library: loading libcrypto costs scl-score more at
 * start-up (about 0.6 ms a process) than scoring a message does. Not
 * for secrets: no constant-time promises, no wiping. */
#ifndef POSTERN_UTIL_SHA256_H
#define POSTERN_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];
	size_t used;		/* bytes waiting in buf */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Writes the digest; c must be initialised again before reuse. */
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* The digest of one buffer. */
void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

#endif
