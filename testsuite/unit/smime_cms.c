/* Unit tests: lib/smime's CMS side: certificates out of directory values
 * (PKCS#7 certs-only, the TLV form, bare DER, damaged and oversized
 * values), recipient checks, SignedData built around one key operation
 * (local and through the key-holding child) checked by OpenSSL, and a
 * GCM round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "smime/certs.h"
#include "smime/envelope.h"
#include "smime/keyproc.h"
#include "smime/sign.h"
#include "smime/verify.h"
#include "tap.h"

static char why[512];
static EVP_PKEY *ca_key, *ec_key, *rsa_key;
static X509 *ca, *ec_cert, *rsa_cert;

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static X509 *make(const char *cn, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik, const char *ku,
		  const char *san, long from)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(uintptr_t)k & 0x7fffffff);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), from + 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	X509_set_pubkey(x, k);
	if (issuer == NULL) {
		ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		ext(x, issuer, NID_key_usage, ku);
		ext(x, issuer, NID_ext_key_usage, "emailProtection");
		if (san)
			ext(x, issuer, NID_subject_alt_name, san);
	}
	X509_sign(x, ik ? ik : k, EVP_sha256());
	return x;
}

static size_t der_of(X509 *x, unsigned char *buf, size_t room)
{
	unsigned char *p = buf;
	int n = i2d_X509(x, NULL);

	if (n <= 0 || (size_t)n > room)
		return 0;
	return (size_t)i2d_X509(x, &p);
}

static void test_blobs(void)
{
	unsigned char der[4096], blob[9000];
	size_t n = der_of(ec_cert, der, sizeof(der)), off = 0;
	STACK_OF(X509) *sk = sk_X509_new_null();
	enum smime_blob_form form;

	is_int(smime_certs_from_blob(der, n, sk, &form, why, sizeof(why)), 1, "bare DER certificate");
	ok(form == SMIME_BLOB_X509, "form x509");
	sk_X509_pop_free(sk, X509_free);

	/* TLV: version, then the same certificate as exchange and signing
	 * certificate, then the RSA one as exchange certificate. */
	blob[off++] = 1; blob[off++] = 0; blob[off++] = 8; blob[off++] = 0;
	memcpy(blob + off, "\1\0\0\0", 4); off += 4;
	for (int tag = 3; tag <= 8; tag += 5) {
		blob[off++] = (unsigned char)tag; blob[off++] = 0;
		blob[off++] = (unsigned char)((n + 4) & 0xff); blob[off++] = (unsigned char)((n + 4) >> 8);
		memcpy(blob + off, der, n); off += n;
	}
	size_t m = der_of(rsa_cert, der, sizeof(der));

	blob[off++] = 3; blob[off++] = 0;
	blob[off++] = (unsigned char)((m + 4) & 0xff); blob[off++] = (unsigned char)((m + 4) >> 8);
	memcpy(blob + off, der, m); off += m;
	sk = sk_X509_new_null();
	is_int(smime_certs_from_blob(blob, off, sk, &form, why, sizeof(why)), 2,
	       "TLV: two certificates, the one named twice kept once");
	ok(form == SMIME_BLOB_TLV, "form tlv");
	sk_X509_pop_free(sk, X509_free);

	blob[10] = 0xff;	/* the second setting's length runs past the end */
	blob[11] = 0xff;
	sk = sk_X509_new_null();
	ok(smime_certs_from_blob(blob, off, sk, &form, why, sizeof(why)) < 0, "damaged TLV refused");
	ok(strstr(why, "damaged TLV value") != NULL, "reason: %s", why);
	ok(smime_certs_from_blob(blob, 8, sk, &form, why, sizeof(why)) < 0, "TLV without a certificate");
	ok(smime_certs_from_blob(blob, 0, sk, &form, why, sizeof(why)) < 0, "empty value");
	ok(smime_certs_from_blob(blob, SMIME_BLOB_MAX + 1, sk, &form, why, sizeof(why)) < 0,
	   "oversized value");
	blob[0] = 0x30;
	ok(smime_certs_from_blob(blob, 40, sk, &form, why, sizeof(why)) < 0, "ASN.1 garbage");
	sk_X509_pop_free(sk, X509_free);

	/* PKCS#7 certs-only: the leaf and the CA. */
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL);
	unsigned char *p = NULL;
	int len;

	CMS_add1_cert(cms, rsa_cert);
	CMS_add1_cert(cms, ca);
	len = i2d_CMS_ContentInfo(cms, &p);
	sk = sk_X509_new_null();
	is_int(smime_certs_from_blob(p, (size_t)len, sk, &form, why, sizeof(why)), 2, "PKCS#7 certs-only");
	ok(form == SMIME_BLOB_PKCS7, "form pkcs7");
	sk_X509_pop_free(sk, X509_free);
	OPENSSL_free(p);
	CMS_ContentInfo_free(cms);
}

static void test_recipients(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *sign_only = make("so", k, ca, ca_key, "critical,digitalSignature", "email:so@x.test", 0);
	X509 *old = make("old", k, ca, ca_key, "critical,keyAgreement", NULL, -3 * 86400);

	ok(smime_recipient_ok(ec_cert, 0, why, sizeof(why)) == 0, "EC with key agreement");
	ok(smime_recipient_ok(rsa_cert, 0, why, sizeof(why)) == 0, "RSA with key encipherment");
	ok(smime_recipient_ok(sign_only, 0, why, sizeof(why)) < 0, "signing only refused");
	is_str(why, "key usage does not allow key agreement", "reason");
	ok(smime_recipient_ok(old, 0, why, sizeof(why)) < 0 && strncmp(why, "expired", 7) == 0,
	   "expired refused: %s", why);
	ok(smime_cert_has_email(ec_cert, "EC@Example.TEST") == 1, "email compared without case");
	ok(smime_cert_has_email(ec_cert, "other@example.test") == 0, "other address");
	X509_free(sign_only);
	X509_free(old);
	EVP_PKEY_free(k);
}

static int cms_ok(const struct strbuf *der, const char *content, size_t len, bool detached)
{
	const unsigned char *p = (const unsigned char *)der->buf;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der->len);
	BIO *d = detached ? BIO_new_mem_buf(content, (int)len) : NULL, *out = BIO_new(BIO_s_mem());
	int ok_ = cms && CMS_verify(cms, NULL, NULL, d, out, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
	char *data;
	long n = BIO_get_mem_data(out, &data);

	if (ok_ && !detached)
		ok_ = (size_t)n == len && memcmp(data, content, len) == 0;
	ERR_clear_error();
	BIO_free(d);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return ok_;
}

static void test_sign(void)
{
	const char *ent = "Content-Type: text/plain\r\n\r\nhello\r\n";
	struct strbuf der = STRBUF_INIT;
	struct smime_signer s = { .cert = ec_cert, .md = EVP_sha256(), .sign = smime_sign_with_key,
				  .ctx = ec_key };

	ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) == 0, "ECDSA detached");
	ok(cms_ok(&der, ent, strlen(ent), true), "OpenSSL verifies it");
	ok(!cms_ok(&der, "other", 5, true), "and not over other content");
	strbuf_reset(&der);
	s.opaque = true;
	s.md = EVP_sha384();
	ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) == 0 &&
	   cms_ok(&der, ent, strlen(ent), false), "opaque SHA-384, content inside");
	strbuf_reset(&der);
	s = (struct smime_signer){ .cert = rsa_cert, .md = EVP_sha512(), .pss = true,
				   .sign = smime_sign_with_key, .ctx = rsa_key };
	ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) == 0 &&
	   cms_ok(&der, ent, strlen(ent), true), "RSA-PSS SHA-512");
	strbuf_reset(&der);
	s.cert = ec_cert;
	s.ctx = ec_key;
	ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) < 0, "PSS with an EC key refused");
	s.pss = false;
	s.md = EVP_sha1();
	ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) < 0, "SHA-1 refused");
	s.md = EVP_sha256();
	s.ctx = rsa_key;
	strbuf_reset(&der);
	ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) < 0 ||
	   !cms_ok(&der, ent, strlen(ent), true), "the wrong key gives no valid signature");
	strbuf_release(&der);
	is_str(smime_micalg(EVP_sha384()), "sha-384", "micalg");
	ok(smime_md_by_name("md5") == NULL && smime_md_by_name("sha512") == EVP_sha512(), "digest names");
}

static void test_keyproc(void)
{
	char dir[] = "/tmp/smime-unit-XXXXXX", cpath[64], kpath[64];
	const char *ent = "Content-Type: text/plain\r\n\r\nvia the child\r\n";
	struct strbuf der = STRBUF_INIT;
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(cpath, sizeof(cpath), "%s/c.pem", dir);
	snprintf(kpath, sizeof(kpath), "%s/k.pem", dir);
	fp = fopen(cpath, "w");
	PEM_write_X509(fp, ec_cert);
	PEM_write_X509(fp, ca);
	fclose(fp);
	fp = fopen(kpath, "w");
	PEM_write_PrivateKey(fp, ec_key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);

	struct smime_keysrc src = { cpath, kpath, NULL };
	struct smime_keyproc *kp = smime_keyproc_start(&src, why, sizeof(why));

	ok(kp != NULL, "key process started");
	if (kp) {
		ok(X509_cmp(smime_keyproc_cert(kp), ec_cert) == 0 &&
		   sk_X509_num(smime_keyproc_chain(kp)) == 1, "it sent the certificate and chain up");
		struct smime_signer s = { .cert = smime_keyproc_cert(kp), .md = EVP_sha256(),
					  .sign = smime_keyproc_sign, .ctx = kp };

		for (int i = 0; i < 3; i++) {
			strbuf_reset(&der);
			ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) == 0 &&
			   cms_ok(&der, ent, strlen(ent), true), "signature %d from the child verifies", i + 1);
		}
		s.pss = true;
		ok(smime_sign_der(&s, ent, strlen(ent), &der, why, sizeof(why)) < 0, "refusals come back");
		smime_keyproc_stop(kp);
	}
	src.key = cpath;	/* no key there */
	ok(smime_keyproc_start(&src, why, sizeof(why)) == NULL, "a bad key file: no process");
	ok(strstr(why, cpath) != NULL || strstr(why, "key") != NULL, "the child's reason: %s", why);
	unlink(cpath);
	unlink(kpath);
	rmdir(dir);
	strbuf_release(&der);
}

static void test_gcm(void)
{
	const char *msg = "From: a@x.test\nSubject: s\nMIME-Version: 1.0\n\nsecret text\n";
	STACK_OF(X509) *r = sk_X509_new_null();
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;

	sk_X509_push(r, ec_cert);
	sk_X509_push(r, rsa_cert);
	ok(smime_encrypt_message(r, EVP_aes_256_gcm(), true, msg, strlen(msg), &enc, why, sizeof(why)) == 0,
	   "GCM to EC and RSA (OAEP)");
	ok(strstr(enc.buf, "smime-type=authEnveloped-data") != NULL, "authEnveloped-data");
	ok(smime_decrypt_message(ec_key, ec_cert, enc.buf, enc.len, &dec, why, sizeof(why)) == 0 &&
	   strcmp(dec.buf, msg) == 0, "EC recipient gets the message back");
	strbuf_reset(&dec);
	ok(smime_decrypt_message(rsa_key, rsa_cert, enc.buf, enc.len, &dec, why, sizeof(why)) == 0 &&
	   strcmp(dec.buf, msg) == 0, "RSA recipient too");
	strbuf_reset(&dec);
	ok(smime_decrypt_message(ec_key, rsa_cert, enc.buf, enc.len, &dec, why, sizeof(why)) < 0 &&
	   dec.len == 0, "mismatched key: nothing out (%s)", why);
	ok(smime_decrypt_message(ec_key, ec_cert, msg, strlen(msg), &dec, why, sizeof(why)) < 0,
	   "plain text is not encrypted");
	sk_X509_free(r);
	strbuf_release(&enc);
	strbuf_release(&dec);
}

int main(void)
{
	ca_key = EVP_EC_gen("P-256");
	ec_key = EVP_EC_gen("P-256");
	rsa_key = EVP_RSA_gen(2048);
	ca = make("CA", ca_key, NULL, NULL, NULL, NULL, 0);
	ec_cert = make("ec", ec_key, ca, ca_key, "critical,digitalSignature,keyAgreement",
		       "email:ec@example.test", 0);
	rsa_cert = make("rsa", rsa_key, ca, ca_key, "critical,digitalSignature,keyEncipherment",
			"email:rsa@example.test", 0);
	test_blobs();
	test_recipients();
	test_sign();
	test_keyproc();
	test_gcm();
	X509_free(ca);
	X509_free(ec_cert);
	X509_free(rsa_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ec_key);
	EVP_PKEY_free(rsa_key);
	return tap_done();
}
