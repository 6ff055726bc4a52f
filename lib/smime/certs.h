/* Certificates as the directory publishes them: userSMIMECertificate as a
 * PKCS#7 certs-only SignedData or in the Active Directory (Outlook) TLV
 * form, userCertificate as a DER certificate. Outside input: sizes and
 * counts are capped. */
#ifndef POSTERN_SMIME_CERTS_H
#define POSTERN_SMIME_CERTS_H

#include <stddef.h>

#include <openssl/x509.h>

#define SMIME_BLOB_MAX (256 * 1024)	/* bytes of one attribute value */
#define SMIME_BLOB_CERTS_MAX 16		/* certificates taken from one value */

enum smime_blob_form {
	SMIME_BLOB_PKCS7,	/* certs-only SignedData */
	SMIME_BLOB_TLV,		/* AD / Outlook security settings */
	SMIME_BLOB_X509,	/* one DER certificate */
};
/* "pkcs7", "tlv", "x509". */
const char *smime_blob_form_name(enum smime_blob_form f);

/* Appends the certificates of one value to out (new references) and sets
 * *form. Returns the number appended (> 0), or -1 with why. */
int smime_certs_from_blob(const unsigned char *p, size_t len, STACK_OF(X509) *out,
			  enum smime_blob_form *form, char *why, size_t whylen);

#endif
