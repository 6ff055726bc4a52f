/* Signing: CMS SignedData over a canonical MIME entity, built so that the
 * private key is needed for one operation only, the signature over the
 * digest of the signed attributes. That operation is a callback: the key
 * in this process (smime_sign_with_key) or in a key-holding child
 * (smime/keyproc.h). Signed attributes: content type, message digest,
 * signing time, SMIMECapabilities listing modern algorithms only. */
#ifndef POSTERN_SMIME_SIGN_H
#define POSTERN_SMIME_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/strbuf.h"

#define SMIME_SIG_MAX 1024		/* bytes of one signature (RSA 8192) */
#define SMIME_WHY_MAX 256

/* Signs the digest dgst (of md) with the private key; pss asks for
 * RSA-PSS (salt as long as the digest). Writes at most *siglen bytes to
 * sig and sets *siglen. Returns 0, or -1 with why. */
typedef int (*smime_sign_fn)(void *ctx, const EVP_MD *md, bool pss,
			     const unsigned char *dgst, size_t dlen,
			     unsigned char *sig, size_t *siglen, char *why, size_t whylen);

/* Everything here is borrowed for the call. */
struct smime_signer {
	X509 *cert;			/* the signer */
	STACK_OF(X509) *chain;		/* intermediates to include, or NULL */
	const EVP_MD *md;		/* SHA-256, -384 or -512 */
	bool pss;			/* RSA-PSS instead of PKCS#1 v1.5 */
	bool opaque;			/* signed-data with the content inside */
	smime_sign_fn sign;
	void *ctx;
};

/* The DER of a SignedData over entity (canonical CRLF bytes), detached
 * unless s->opaque. Returns 0, or -1 with why. */
int smime_sign_der(const struct smime_signer *s, const char *entity, size_t len,
		   struct strbuf *der, char *why, size_t whylen);
/* A whole message signed: the outer header fields stay outside, the
 * Content-* fields and body are signed. The result keeps the line-end
 * convention of msg. Returns 0, or -1 with why. */
int smime_sign_message(const struct smime_signer *s, const char *msg, size_t len,
		       struct strbuf *out, char *why, size_t whylen);

/* The callback for a key held in this process: ctx is the EVP_PKEY. */
int smime_sign_with_key(void *ctx, const EVP_MD *md, bool pss,
			const unsigned char *dgst, size_t dlen,
			unsigned char *sig, size_t *siglen, char *why, size_t whylen);
/* "sha-256" for micalg; NULL for an unsupported digest. */
const char *smime_micalg(const EVP_MD *md);
/* "sha256", "sha384", "sha512" -> the digest, else NULL. */
const EVP_MD *smime_md_by_name(const char *name);
/* The OpenSSL error queue (emptied) after prefix, into why. */
void smime_ossl_why(const char *prefix, char *why, size_t whylen);

#endif
