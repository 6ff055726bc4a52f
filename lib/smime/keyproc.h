/* The signing key in a process of its own (as OpenSMTPD's ca.c does): the
 * gateway forks a child that reads the key file or PKCS#12, sends the
 * (public) certificate chain up, then signs digests it is sent over a
 * socketpair until the other end closes. The process that parses mail
 * never holds the key. Also the key loading shared with `sign`. */
#ifndef POSTERN_SMIME_KEYPROC_H
#define POSTERN_SMIME_KEYPROC_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tls/cert.h"

/* Where a signer's key comes from; borrowed strings. */
struct smime_keysrc {
	const char *cert;	/* PEM certificate and chain (may hold the key), or PKCS#12 */
	const char *key;	/* the key alone, or NULL */
	const char *pass_file;	/* PKCS#12 password file, or NULL */
};

/* Loads certificate, chain and key; checks they match. Returns 0, or -1
 * with why (never holding key material). */
int smime_key_load(const struct smime_keysrc *src, struct cert_bundle *b,
		   char *why, size_t whylen);

struct smime_keyproc;

/* Forks the key-holding child. Returns NULL with why when the child cannot
 * start or cannot load the key (its reason is passed up). */
struct smime_keyproc *smime_keyproc_start(const struct smime_keysrc *src,
					  char *why, size_t whylen);
/* The certificate and chain the child sent; borrowed from kp. */
X509 *smime_keyproc_cert(const struct smime_keyproc *kp);
STACK_OF(X509) *smime_keyproc_chain(const struct smime_keyproc *kp);
/* A smime_sign_fn (smime/sign.h) whose ctx is the keyproc. */
int smime_keyproc_sign(void *ctx, const EVP_MD *md, bool pss,
		       const unsigned char *dgst, size_t dlen,
		       unsigned char *sig, size_t *siglen, char *why, size_t whylen);
/* Closes the socket and reaps the child. kp may be NULL. */
void smime_keyproc_stop(struct smime_keyproc *kp);

#endif
