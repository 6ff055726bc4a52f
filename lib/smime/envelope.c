/* (Auth)EnvelopedData in and out, with the recipient checks and the
 * reasons a decryption fails. */
#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "smime/entity.h"
#include "smime/envelope.h"
#include "smime/sign.h"
#include "tls/cert.h"

const EVP_CIPHER *smime_cipher_by_name(const char *name)
{
	if (strcmp(name, "aes-256-cbc") == 0)
		return EVP_aes_256_cbc();
	if (strcmp(name, "aes-128-cbc") == 0)
		return EVP_aes_128_cbc();
	if (strcmp(name, "aes-256-gcm") == 0)
		return EVP_aes_256_gcm();
	if (strcmp(name, "aes-128-gcm") == 0)
		return EVP_aes_128_gcm();
	return NULL;
}

bool smime_cipher_is_aead(const EVP_CIPHER *c)
{
	return (EVP_CIPHER_get_flags(c) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0;
}

int smime_recipient_ok(X509 *x, time_t at, char *why, size_t whylen)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	uint32_t ku;

	if (cert_time_ok(x, at ? at : time(NULL), why, whylen) < 0)
		return -1;
	if (pk == NULL) {
		snprintf(why, whylen, "unreadable public key");
		return -1;
	}
	ku = X509_get_key_usage(x);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (!(ku & KU_KEY_ENCIPHERMENT)) {
			snprintf(why, whylen, "key usage does not allow key encipherment");
			return -1;
		}
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		if (!(ku & KU_KEY_AGREEMENT)) {
			snprintf(why, whylen, "key usage does not allow key agreement");
			return -1;
		}
	} else {
		snprintf(why, whylen, "a %s key cannot receive encrypted mail", EVP_PKEY_get0_type_name(pk));
		return -1;
	}
	if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(x) & XKU_SMIME)) {
		snprintf(why, whylen, "extended key usage lacks emailProtection");
		return -1;
	}
	return 0;
}

/* EC recipients get ECDH with the SHA-256 KDF (dhSinglePass-stdDH-
 * sha256kdf-scheme) rather than OpenSSL's SHA-1 default. */
static int add_recipient(CMS_ContentInfo *cms, X509 *x, bool oaep)
{
	bool rsa = EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA");
	bool param = !rsa || oaep;
	CMS_RecipientInfo *ri = CMS_add1_recipient_cert(cms, x, param ? CMS_KEY_PARAM : 0);
	EVP_PKEY_CTX *pc;

	if (ri == NULL)
		return 0;
	if (!param)
		return 1;
	pc = CMS_RecipientInfo_get0_pkey_ctx(ri);
	if (!rsa)
		return pc && EVP_PKEY_CTX_set_ecdh_kdf_md(pc, EVP_sha256()) > 0;
	return pc && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) > 0;
}

int smime_encrypt_der(STACK_OF(X509) *rcpts, const EVP_CIPHER *cipher, bool oaep,
		      const char *entity, size_t len, struct strbuf *der, char *why, size_t whylen)
{
	CMS_ContentInfo *cms;
	BIO *in = NULL;
	unsigned char *p = NULL;
	int n, rc = -1;

	if (sk_X509_num(rcpts) < 1) {
		snprintf(why, whylen, "no recipient certificate");
		return -1;
	}
	ERR_clear_error();
	if ((cms = CMS_encrypt(NULL, NULL, cipher, CMS_PARTIAL | CMS_BINARY)) == NULL)
		goto err;
	for (int i = 0; i < sk_X509_num(rcpts); i++)
		if (!add_recipient(cms, sk_X509_value(rcpts, i), oaep))
			goto err;
	in = BIO_new_mem_buf(entity, (int)len);
	if (in == NULL || !CMS_final(cms, in, NULL, CMS_BINARY) ||
	    (n = i2d_CMS_ContentInfo(cms, &p)) <= 0)
		goto err;
	strbuf_add(der, p, (size_t)n);
	OPENSSL_free(p);
	rc = 0;
	goto out;
err:
	smime_ossl_why("cannot encrypt", why, whylen);
out:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return rc;
}

int smime_encrypt_message(STACK_OF(X509) *rcpts, const EVP_CIPHER *cipher, bool oaep,
			  const char *msg, size_t len, struct strbuf *out, char *why, size_t whylen)
{
	struct smime_msg m;
	struct strbuf inner = STRBUF_INIT, der = STRBUF_INIT;
	const char *eol;
	bool has_mv = false;
	int rc = -1;

	if (smime_msg_parse(msg, len, &m, why, whylen) < 0)
		return -1;
	eol = m.crlf ? "\r\n" : "\n";
	smime_inner_entity(&m, &inner);
	if (smime_encrypt_der(rcpts, cipher, oaep, inner.buf, inner.len, &der, why, whylen) < 0)
		goto out;
	for (size_t i = 0; i < m.nf; i++)
		has_mv |= smime_field_is(&m, i, "MIME-Version");
	smime_outer_fields(&m, false, out);
	if (!has_mv)
		strbuf_addf(out, "MIME-Version: 1.0%s", eol);
	strbuf_addf(out, "Content-Type: application/pkcs7-mime; smime-type=%s;%s"
		    "\tname=\"smime.p7m\"%s"
		    "Content-Transfer-Encoding: base64%s"
		    "Content-Disposition: attachment; filename=\"smime.p7m\"%s%s",
		    smime_cipher_is_aead(cipher) ? "authEnveloped-data" : "enveloped-data",
		    eol, eol, eol, eol, eol);
	smime_base64_lines(der.buf, der.len, eol, out);
	rc = 0;
out:
	strbuf_release(&inner);
	strbuf_release(&der);
	smime_msg_free(&m);
	return rc;
}

static void decrypt_reason(bool aead, char *why, size_t whylen)
{
	unsigned long e = ERR_peek_last_error();
	int r = ERR_GET_LIB(e) == ERR_LIB_CMS ? ERR_GET_REASON(e) : 0;

	if (r == CMS_R_NO_MATCHING_RECIPIENT)
		snprintf(why, whylen, "no recipient matches our certificate (encrypted for someone else)");
	else if (r == CMS_R_DECRYPT_ERROR || r == CMS_R_UNABLE_TO_FINALIZE_CONTEXT)
		snprintf(why, whylen, "cannot recover the content key: wrong key or damaged message");
	else if (aead)
		snprintf(why, whylen, "the authentication tag does not verify: the content was altered");
	else
		smime_ossl_why("cannot decrypt: wrong key or damaged message", why, whylen);
	ERR_clear_error();
}

/* Whether decrypted content starts as a MIME entity does: a header field
 * name and its colon, or the blank line of an entity without headers.
 * CBC has no integrity, and on a content key that does not decrypt CMS
 * goes on with a random one (against padding oracles), so a damaged key
 * gives random bytes that pass the padding check one time in 256; those
 * must not be printed as the message. */
static bool looks_like_entity(const char *d, size_t n)
{
	if (n >= 2 && d[0] == '\r' && d[1] == '\n')
		return true;
	if (n >= 1 && d[0] == '\n')
		return true;
	for (size_t i = 0; i < n && i < 998; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == ':')
			return i > 0;
		if (c < 33 || c > 126)
			return false;
	}
	return false;
}

int smime_decrypt_message(EVP_PKEY *key, X509 *cert, const char *msg, size_t len,
			  struct strbuf *out, char *why, size_t whylen)
{
	struct smime_msg m;
	struct strbuf der = STRBUF_INIT;
	CMS_ContentInfo *cms = NULL;
	const unsigned char *p;
	BIO *plain = NULL;
	char *data;
	long n;
	int rc = -1, type;

	if (smime_msg_parse(msg, len, &m, why, whylen) < 0)
		return -1;
	if (smime_pkcs7_body(msg, len, &der, why, whylen) < 0) {
		snprintf(why, whylen, "the message is not encrypted");
		goto out;
	}
	p = (const unsigned char *)der.buf;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	if (cms == NULL) {
		snprintf(why, whylen, "not a readable CMS structure");
		goto out;
	}
	type = OBJ_obj2nid(CMS_get0_type(cms));
	if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) {
		snprintf(why, whylen, "not enveloped-data but %s", OBJ_nid2sn(type));
		goto out;
	}
	if (cert_key_matches(cert, key) != 1) {
		snprintf(why, whylen, "the key does not match the certificate");
		goto out;
	}
	plain = BIO_new(BIO_s_mem());
	ERR_clear_error();
	/* Into memory: nothing is written out unless the whole content
	 * decrypted and, for GCM, the tag verified. */
	if (!CMS_decrypt(cms, key, cert, NULL, plain, CMS_BINARY)) {
		decrypt_reason(type == NID_id_smime_ct_authEnvelopedData, why, whylen);
		goto out;
	}
	n = BIO_get_mem_data(plain, &data);
	if (type == NID_pkcs7_enveloped && !looks_like_entity(data, n > 0 ? (size_t)n : 0)) {
		snprintf(why, whylen, "cannot recover the content: wrong key or damaged message "
			 "(what decrypts is no MIME entity)");
		goto out;
	}
	smime_outer_fields(&m, false, out);
	smime_eol_convert(data, (size_t)n, m.crlf, out);
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(plain);
	CMS_ContentInfo_free(cms);
	strbuf_release(&der);
	smime_msg_free(&m);
	return rc;
}
