/* Encryption and decryption: EnvelopedData with AES-CBC, or
 * AuthEnvelopedData with AES-GCM; RSA recipients by PKCS#1 v1.5 or OAEP,
 * EC recipients by ECDH. Recipients' certificates are checked first: valid
 * now, allowing key encipherment (RSA) or key agreement (EC). Decryption
 * hands the plaintext out only after the whole content decrypted and, for
 * GCM, its tag verified. */
#ifndef POSTERN_SMIME_ENVELOPE_H
#define POSTERN_SMIME_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/strbuf.h"

/* "aes-256-cbc" (default), "aes-128-cbc", "aes-128-gcm", "aes-256-gcm"
 * -> the cipher, else NULL. */
const EVP_CIPHER *smime_cipher_by_name(const char *name);
bool smime_cipher_is_aead(const EVP_CIPHER *c);

/* 0 when x may be an encryption recipient at time at; else -1 and why
 * ("expired 2021-01-01T00:00:00Z", "key usage allows neither key
 * encipherment nor key agreement"). */
int smime_recipient_ok(X509 *x, time_t at, char *why, size_t whylen);

/* The DER of an (Auth)EnvelopedData of entity to every certificate in
 * rcpts. oaep: RSA-OAEP with SHA-256 for RSA recipients. */
int smime_encrypt_der(STACK_OF(X509) *rcpts, const EVP_CIPHER *cipher, bool oaep,
		      const char *entity, size_t len, struct strbuf *der,
		      char *why, size_t whylen);
/* A whole message encrypted: outer fields stay, the rest goes inside. */
int smime_encrypt_message(STACK_OF(X509) *rcpts, const EVP_CIPHER *cipher, bool oaep,
			  const char *msg, size_t len, struct strbuf *out,
			  char *why, size_t whylen);
/* Decrypts an application/pkcs7-mime message with key and cert (which
 * must match): out gets the outer fields and the inner entity in the
 * input's line-end convention. Returns 0, or -1 with why ("no recipient
 * matches our certificate", "the authentication tag does not verify"). */
int smime_decrypt_message(EVP_PKEY *key, X509 *cert, const char *msg, size_t len,
			  struct strbuf *out, char *why, size_t whylen);

#endif
