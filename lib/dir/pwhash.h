/* Checking a password against a userPassword value as slapd stores it:
 * {SSHA}, {SSHA256}, {SSHA384}, {SSHA512}, their unsalted {SHA...}
 * forms, and {CRYPT} (crypt(3) with libcrypt's methods). */
#ifndef POSTERN_DIR_PWHASH_H
#define POSTERN_DIR_PWHASH_H

#include <stddef.h>

enum pwhash_result {
	PWHASH_MATCH,
	PWHASH_MISMATCH,
	PWHASH_UNSUPPORTED,	/* no {SCHEME} (plain text), an unknown scheme,
				   or a value that does not decode */
	PWHASH_ERROR,		/* libcrypto or libcrypt could not be loaded:
				   pwhash_error() says why */
};

/* Compares in constant time once the scheme is known. stored is the raw
 * value (len bytes, need not be NUL-terminated); password a C string. */
enum pwhash_result pwhash_verify(const void *stored, size_t len, const char *password);

/* Why the last PWHASH_ERROR happened. */
const char *pwhash_error(void);

/* The scheme of a stored value ("SSHA", "CRYPT", "" for none) in buf,
 * for messages; never any of the hash itself. */
const char *pwhash_scheme(const void *stored, size_t len, char *buf, size_t size);

/* Burns about the time of one salted hash, so an unknown user costs
 * what a wrong password does. */
void pwhash_dummy(const char *password);

#endif
