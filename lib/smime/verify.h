/* Verification of a signed message (multipart/signed or opaque, base64
 * or 8bit, CRLF or LF): the signature and content digest, the signer's
 * chain against the configured CAs only, optionally CRLs through the TLS
 * module, and the signer's address against From:. */
#ifndef POSTERN_SMIME_VERIFY_H
#define POSTERN_SMIME_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "tls/revoke.h"
#include "util/strbuf.h"

/* Borrowed for the call. */
struct smime_verify_opts {
	X509_STORE *store;		/* the trusted CAs, nothing else */
	struct tls_crl_cache *crls;	/* CRL checking when not NULL */
	bool from_check;		/* the signer must match From: */
	time_t at;			/* judge validity then; 0: now */
};

/* Owns its buffers: smime_verify_result_free. */
struct smime_verify_result {
	bool valid;
	char reason[512];		/* why not, when !valid */
	char signer_addr[256];		/* the signer's address that matched, or its first */
	char from[256];			/* the From: address */
	struct strbuf signer;		/* the signer's subject (RFC 2253) */
	struct strbuf ca;		/* the trust anchor's subject */
	struct strbuf crl;		/* where CRLs came from, when checked */
	/* The message without its signature: outer fields and the inner
	 * entity, in the line-end convention of the input. Filled whenever
	 * the content could be had, valid or not. */
	struct strbuf message;
};

/* Returns 0 when valid, 1 when not (reason says why). */
int smime_verify_message(const struct smime_verify_opts *o, const char *msg, size_t len,
			 struct smime_verify_result *r);
void smime_verify_result_free(struct smime_verify_result *r);

/* The signer addresses of x: SAN rfc822Names, else the subject's
 * emailAddress. Calls fn for each until it returns nonzero; returns that
 * or 0. */
int smime_cert_emails(X509 *x, int (*fn)(const char *addr, void *ctx), void *ctx);
/* 1 when x names addr (case-insensitive). */
int smime_cert_has_email(X509 *x, const char *addr);

#endif
