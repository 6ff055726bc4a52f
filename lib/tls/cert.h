/* Certificates and keys from files: PEM (certificate, chain and key in any
 * order), DER and PKCS#12, with size and count limits so a hostile file
 * gives a reason and never a crash; and the facts about a certificate that
 * programs log and rank by (thumbprints, serial, names, validity, purpose,
 * self-signed). */
#ifndef POSTERN_TLS_CERT_H
#define POSTERN_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CERT_FILE_MAX (1024 * 1024)	/* bytes in one certificate file */
#define CERT_COUNT_MAX 16		/* certificates in one file */
#define CERT_PASS_MAX 1024		/* bytes in a password file */
#define CERT_WHY_MAX 256		/* room for a reason */
#define CERT_FP_MAX 96			/* SHA-256 with colons, and the NUL */

/* What one file held. The bundle owns cert, chain and key; free it with
 * cert_bundle_free. chain holds the other certificates in file order
 * (never the leaf) and is never NULL after a successful load. */
struct cert_bundle {
	X509 *cert;		/* the leaf: the first certificate */
	STACK_OF(X509) *chain;
	EVP_PKEY *key;		/* NULL when the file held no key */
};

/* Loads data of len bytes: PEM when it holds a "-----BEGIN" line, else
 * DER, else PKCS#12 opened with pass (which may be NULL). A file with
 * neither certificate nor key is an error. Returns 0, or -1 with the
 * reason in why (e.g. "truncated or damaged PEM (bad end line)",
 * "PKCS#12 password is wrong", "not PEM, DER or PKCS#12"). */
int cert_load_mem(const void *data, size_t len, const char *pass,
		  struct cert_bundle *b, char *why, size_t whylen);
/* The same from a file, read up to CERT_FILE_MAX bytes. */
int cert_load_file(const char *path, const char *pass,
		   struct cert_bundle *b, char *why, size_t whylen);
/* Reads a key alone (PEM or DER, unencrypted) into *key (caller frees
 * with EVP_PKEY_free). Returns 0, or -1 with why. */
int cert_load_key_file(const char *path, EVP_PKEY **key, char *why, size_t whylen);
/* Reads the first line of a password file into pass (NUL-terminated,
 * no newline). Returns 0, or -1 with why. Callers wipe pass after use. */
int cert_read_pass_file(const char *path, char *pass, size_t passlen,
			char *why, size_t whylen);
void cert_bundle_free(struct cert_bundle *b);

/* Thumbprint of the DER encoding: "AB:CD:..." as openssl x509
 * -fingerprint prints it when colons, else "ABCD..." as Exchange and
 * Windows show a thumbprint. out needs CERT_FP_MAX bytes. */
void cert_fingerprint(X509 *x, const EVP_MD *md, bool colons, char *out, size_t outlen);
/* Serial number in upper-case hex ("1003"), as openssl x509 -serial. */
void cert_serial(X509 *x, char *out, size_t outlen);
/* Issuer or subject on one line, RFC 2253 ("CN=a,O=b"), UTF-8 kept.
 * Appends to out. */
struct strbuf;
void cert_issuer(X509 *x, struct strbuf *out);
void cert_subject(X509 *x, struct strbuf *out);

/* 1 when key is the private half of x's public key. */
int cert_key_matches(X509 *x, EVP_PKEY *key);

enum cert_purpose { CERT_PURPOSE_SERVER, CERT_PURPOSE_CLIENT, CERT_PURPOSE_SMIME };
/* "server", "client", "smime" -> 0 and *p; -1 for anything else. */
int cert_purpose_parse(const char *s, enum cert_purpose *p);
const char *cert_purpose_name(enum cert_purpose p);
/* 1 when the key usage and extended key usage (when present) allow the
 * purpose; 0 with why ("extended key usage lacks clientAuth"). */
int cert_purpose_ok(X509 *x, enum cert_purpose p, char *why, size_t whylen);

/* notBefore / notAfter as time_t (0 when unreadable). */
time_t cert_not_before(X509 *x);
time_t cert_not_after(X509 *x);
/* 0 when at lies in the validity window; else -1 and why ("expired
 * 2021-01-01T00:00:00Z", "not yet valid (from 2030-01-01T00:00:00Z)"). */
int cert_time_ok(X509 *x, time_t at, char *why, size_t whylen);
/* Formats t as "2027-03-01T12:00:00Z". */
void cert_time_format(time_t t, char *out, size_t outlen);

/* 1 when issuer equals subject and the signature verifies with the
 * certificate's own key. */
int cert_self_signed(X509 *x);

#endif
