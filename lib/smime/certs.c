/* Certificates out of directory values: PKCS#7 certs-only, the AD/Outlook
 * TLV security settings (MS-OXOABK 2.2.4.36: 16-bit tag, 16-bit length
 * counting the header, little-endian), or a bare DER certificate. */
#include <stdio.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "smime/certs.h"

/* TLV tags holding a DER certificate: KeyExchangeCertificate, SignCertificate. */
#define TLV_KEYEX_CERT 0x0003
#define TLV_SIGN_CERT 0x0008

const char *smime_blob_form_name(enum smime_blob_form f)
{
	switch (f) {
	case SMIME_BLOB_PKCS7: return "pkcs7";
	case SMIME_BLOB_TLV: return "tlv";
	default: return "x509";
	}
}

/* Takes x; the same certificate twice (the TLV form's exchange and
 * signing tags often name one) is kept once. */
static int push(STACK_OF(X509) *out, X509 *x, int *n)
{
	for (int i = 0; i < sk_X509_num(out); i++)
		if (X509_cmp(sk_X509_value(out, i), x) == 0) {
			X509_free(x);
			return 1;
		}
	if (*n >= SMIME_BLOB_CERTS_MAX || !sk_X509_push(out, x)) {
		X509_free(x);
		return 0;
	}
	(*n)++;
	return 1;
}

static int from_der(const unsigned char *p, size_t len, STACK_OF(X509) *out,
		    enum smime_blob_form *form, char *why, size_t whylen)
{
	const unsigned char *q = p;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)len);
	X509 *x;
	int n = 0;

	if (cms) {
		STACK_OF(X509) *certs = NULL;

		*form = SMIME_BLOB_PKCS7;
		if (OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed)
			certs = CMS_get1_certs(cms);
		CMS_ContentInfo_free(cms);
		for (int i = 0; certs && i < sk_X509_num(certs); i++) {
			x = sk_X509_value(certs, i);
			X509_up_ref(x);
			push(out, x, &n);
		}
		sk_X509_pop_free(certs, X509_free);
		if (n == 0)
			snprintf(why, whylen, "PKCS#7 value without certificates");
		return n ? n : -1;
	}
	q = p;
	if ((x = d2i_X509(NULL, &q, (long)len)) != NULL) {
		*form = SMIME_BLOB_X509;
		push(out, x, &n);
		return n;
	}
	snprintf(why, whylen, "neither PKCS#7 nor a DER certificate");
	return -1;
}

static int from_tlv(const unsigned char *p, size_t len, STACK_OF(X509) *out,
		    char *why, size_t whylen)
{
	size_t off = 0;
	int n = 0;

	while (off + 4 <= len) {
		unsigned tag = p[off] | (unsigned)p[off + 1] << 8;
		size_t l = p[off + 2] | (size_t)p[off + 3] << 8;

		if (l < 4 || l > len - off) {
			snprintf(why, whylen, "damaged TLV value (length %zu at offset %zu)", l, off);
			return -1;
		}
		if (tag == TLV_KEYEX_CERT || tag == TLV_SIGN_CERT) {
			const unsigned char *q = p + off + 4;
			X509 *x = d2i_X509(NULL, &q, (long)(l - 4));

			if (x)
				push(out, x, &n);
		}
		off += l;
	}
	if (n == 0)
		snprintf(why, whylen, "TLV value without a certificate");
	return n ? n : -1;
}

int smime_certs_from_blob(const unsigned char *p, size_t len, STACK_OF(X509) *out,
			  enum smime_blob_form *form, char *why, size_t whylen)
{
	int n;

	*form = SMIME_BLOB_X509;
	if (len == 0 || len > SMIME_BLOB_MAX) {
		snprintf(why, whylen, "value of %zu bytes (1 to %d expected)", len, SMIME_BLOB_MAX);
		return -1;
	}
	/* MS-OXOABK: a first byte 0x30 is ASN.1, anything else the TLV form. */
	if (p[0] == 0x30) {
		n = from_der(p, len, out, form, why, whylen);
	} else {
		*form = SMIME_BLOB_TLV;
		n = from_tlv(p, len, out, why, whylen);
	}
	ERR_clear_error();
	return n;
}
