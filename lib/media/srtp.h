/* SRTP and SRTCP (RFC 3711) through libsrtp2, keyed by SDES (RFC 4568):
 * a key for our direction made here, the peer's taken from its offer. */
#ifndef POSTERN_MEDIA_SRTP_H
#define POSTERN_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_SRTP_KEY_LEN 30		/* master key (16) and salt (14) */
#define MEDIA_SRTP_KEY_B64 41		/* its base64 and the NUL */
#define MEDIA_SRTP_TRAILER 148		/* room to leave after a packet */

struct media_srtp;

/* Makes a fresh random key and writes its base64 into b64 (at least
 * MEDIA_SRTP_KEY_B64 bytes). Returns 0, or -1. */
int media_srtp_key_new(char *b64, size_t b64len);
/* A session for one direction: suite "AES_CM_128_HMAC_SHA1_80" or
 * "..._32", the inline key in base64; inbound for what the peer sends.
 * Returns NULL with why. */
struct media_srtp *media_srtp_new(const char *suite, const char *key_b64, bool inbound,
				  char *why, size_t whylen);
void media_srtp_free(struct media_srtp *s);
/* In place: *len is the packet's length in and out; buf must have
 * MEDIA_SRTP_TRAILER bytes of room past it for protect. 0, or -1 when
 * authentication or replay checks fail (the packet is dropped). */
int media_srtp_protect(struct media_srtp *s, uint8_t *buf, size_t *len, bool rtcp);
int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, size_t *len, bool rtcp);

#endif
