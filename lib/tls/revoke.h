/* Revocation: CRLs fetched with libcurl from a certificate's distribution
 * points (cached in memory and optionally in a directory until their
 * nextUpdate) or read from a file, and OCSP (a stapled response, or a query
 * to the AIA responder). The TLS module plugs the CRLs into OpenSSL's chain
 * check; OCSP is asked after the handshake. */
#ifndef POSTERN_TLS_REVOKE_H
#define POSTERN_TLS_REVOKE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "util/strbuf.h"

#define TLS_CRL_MAX (16 * 1024 * 1024)	/* bytes in one CRL download */
#define TLS_CRL_URLS_MAX 4		/* distribution points tried per cert */
#define TLS_OCSP_MAX (1024 * 1024)	/* bytes in one OCSP response */

enum tls_rev_status {
	TLS_REV_NOT_CHECKED,
	TLS_REV_GOOD,
	TLS_REV_REVOKED,
	TLS_REV_UNKNOWN,	/* no CRL or answer could be had or trusted */
};

/* One revocation verdict and where it came from. Owns its strings. */
struct tls_rev_result {
	enum tls_rev_status status;
	char *source;		/* "http://.../int.crl", "file /x.pem",
				   "ocsp http://...", "ocsp stapled" */
	char *detail;		/* "revoked 2025-01-01T00:00:00Z at depth 0",
				   "cannot fetch ...: timeout" */
};

/* "not checked", "good", "revoked", "unknown". */
const char *tls_rev_status_name(enum tls_rev_status s);
void tls_rev_result_set(struct tls_rev_result *r, enum tls_rev_status s,
			const char *source, const char *detail);
void tls_rev_result_clear(struct tls_rev_result *r);

/* CRLs by URL. A cache belongs to one process (a forked child may use its
 * copy). dir may be NULL (memory only). */
struct tls_crl_cache;
struct tls_crl_cache *tls_crl_cache_new(const char *dir, long long timeout_ms);
void tls_crl_cache_free(struct tls_crl_cache *c);

/* The CRLs named by x's distribution points (http and https only),
 * fetched or cached; each CRL's nextUpdate bounds how long it is kept.
 * Returns a new stack (maybe empty; the caller frees it with
 * sk_X509_CRL_pop_free) and appends to src the URLs used and, for those
 * that failed, why ("http://x/int.crl (fetched)", "http://y: timeout").
 * The signatures are not checked here: OpenSSL checks them against the
 * chain. */
STACK_OF(X509_CRL) *tls_crl_for_cert(struct tls_crl_cache *c, X509 *x,
				     struct strbuf *src);

/* Reads every CRL of a PEM or DER file. Returns a new stack, or NULL with
 * why. */
STACK_OF(X509_CRL) *tls_crl_load_file(const char *path, char *why, size_t whylen);

/* OCSP for leaf: the stapled response when stapled is not NULL, else a
 * query to url (or, when url is NULL, to the leaf's AIA responder). The
 * response must be signed by the issuer or its delegate and verify against
 * store; chain holds the intermediates the peer sent. Fills out. */
void tls_ocsp_check(X509 *leaf, STACK_OF(X509) *chain, X509_STORE *store,
		    const unsigned char *stapled, size_t stapled_len,
		    const char *url, long long timeout_ms, struct tls_rev_result *out);

#endif
