/* libFuzzer harness: CMS load from hostile DER (lib/smime): the bytes as
 * the signature of a multipart/signed, as opaque signed-data, and as the
 * enveloped-data decrypt reads, with a key made once. */
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509v3.h>

#include "smime/envelope.h"
#include "smime/verify.h"
#include "util/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *key;
static X509 *cert;

static void setup(void)
{
	key = EVP_EC_gen("P-256");
	cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_set_pubkey(cert, key);
	X509_sign(cert, key, EVP_sha256());
}

static void verify(const struct strbuf *msg)
{
	struct smime_verify_opts o = { 0 };
	struct smime_verify_result r;

	o.store = X509_STORE_new();
	X509_STORE_add_cert(o.store, cert);
	o.from_check = true;
	smime_verify_message(&o, msg->buf, msg->len, &r);
	smime_verify_result_free(&r);
	X509_STORE_free(o.store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf b64 = STRBUF_INIT, msg = STRBUF_INIT, out = STRBUF_INIT;
	char why[256];

	if (key == NULL)
		setup();
	base64_encode(data, size, &b64);
	strbuf_addf(&msg, "From: a@example.test\nContent-Type: multipart/signed; "
		    "protocol=\"application/pkcs7-signature\"; boundary=b\n\n--b\n"
		    "Content-Type: text/plain\n\nhello\n--b\nContent-Type: application/pkcs7-signature\n"
		    "Content-Transfer-Encoding: base64\n\n%s\n--b--\n", b64.buf);
	verify(&msg);
	strbuf_reset(&msg);
	strbuf_addf(&msg, "From: a@example.test\nContent-Type: application/pkcs7-mime; "
		    "smime-type=signed-data\nContent-Transfer-Encoding: base64\n\n%s\n", b64.buf);
	verify(&msg);
	strbuf_reset(&msg);
	strbuf_addf(&msg, "From: a@example.test\nContent-Type: application/pkcs7-mime; "
		    "smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\n%s\n", b64.buf);
	smime_decrypt_message(key, cert, msg.buf, msg.len, &out, why, sizeof(why));
	strbuf_release(&b64);
	strbuf_release(&msg);
	strbuf_release(&out);
	return 0;
}
