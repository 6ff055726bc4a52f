/* Unit tests: certificate loading and facts (lib/tls/cert): PEM with
 * chain and key, DER, PKCS#12, the caps, damaged input, thumbprints,
 * serial, purpose, validity, self-signed. */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "tls/cert.h"
#include "util/strbuf.h"
#include "tap.h"

static EVP_PKEY *key, *other;
static char why[CERT_WHY_MAX];

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn signed by (issuer, ikey), or self-signed when
 * issuer is NULL; eku NULL for none; valid from now+from for days. */
static X509 *mk(const char *cn, X509 *issuer, EVP_PKEY *ikey, const char *eku,
		long from, long days)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1003);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), from + days * 86400);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Test, Inc", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	if (eku)
		ext(x, issuer ? issuer : x, NID_ext_key_usage, eku);
	X509_sign(x, issuer ? ikey : key, EVP_sha256());
	return x;
}

static void pem_add(struct strbuf *sb, X509 *x, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	if (x)
		PEM_write_bio_X509(b, x);
	if (k)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	strbuf_add(sb, p, (size_t)n);
	BIO_free(b);
}

static void test_pem(X509 *leaf, X509 *ca)
{
	struct strbuf sb = STRBUF_INIT;
	struct cert_bundle b;

	strbuf_addstr(&sb, "comment before\n");
	pem_add(&sb, leaf, NULL);
	pem_add(&sb, ca, key);
	ok(cert_load_mem(sb.buf, sb.len, NULL, &b, why, sizeof(why)) == 0, "PEM leaf, chain and key: %s", why);
	ok(b.cert && X509_cmp(b.cert, leaf) == 0, "first certificate is the leaf");
	is_int(sk_X509_num(b.chain), 1, "the chain holds the rest");
	ok(b.key && cert_key_matches(b.cert, b.key), "the key matches");
	ok(!cert_key_matches(b.cert, other), "another key does not");
	cert_bundle_free(&b);

	ok(cert_load_mem(sb.buf, sb.len / 2, NULL, &b, why, sizeof(why)) < 0 && b.cert == NULL,
	   "truncated PEM refused");
	ok(strncmp(why, "truncated or damaged PEM", 24) == 0, "with its reason: %s", why);
	ok(cert_load_mem("garbage\n", 8, NULL, &b, why, sizeof(why)) < 0, "garbage refused");
	is_str(why, "not PEM, DER or PKCS#12", "garbage reason");
	ok(cert_load_mem("", 0, NULL, &b, why, sizeof(why)) < 0, "empty refused");
	is_str(why, "empty file", "empty reason");

	strbuf_reset(&sb);
	for (int i = 0; i < CERT_COUNT_MAX + 1; i++)
		pem_add(&sb, ca, NULL);
	ok(cert_load_mem(sb.buf, sb.len, NULL, &b, why, sizeof(why)) < 0, "too many certificates refused");
	is_str(why, "more than 16 certificates in one file", "count reason");
	strbuf_reset(&sb);
	pem_add(&sb, NULL, key);
	pem_add(&sb, NULL, other);
	ok(cert_load_mem(sb.buf, sb.len, NULL, &b, why, sizeof(why)) < 0, "two keys refused: %s", why);
	strbuf_release(&sb);
}

static void test_der_p12(X509 *leaf, X509 *ca)
{
	unsigned char *der = NULL;
	int n = i2d_X509(leaf, &der);
	struct cert_bundle b;
	STACK_OF(X509) *cas = sk_X509_new_null();
	PKCS12 *p12;

	ok(cert_load_mem(der, (size_t)n, NULL, &b, why, sizeof(why)) == 0 && b.cert && !b.key, "DER certificate");
	cert_bundle_free(&b);
	ok(cert_load_mem(der, (size_t)n - 10, NULL, &b, why, sizeof(why)) < 0, "truncated DER refused: %s", why);
	OPENSSL_free(der);

	sk_X509_push(cas, ca);
	p12 = PKCS12_create("pw", "test", key, leaf, cas, 0, 0, 0, 0, 0);
	der = NULL;
	n = i2d_PKCS12(p12, &der);
	ok(cert_load_mem(der, (size_t)n, "pw", &b, why, sizeof(why)) == 0 && b.cert && b.key &&
	   sk_X509_num(b.chain) == 1, "PKCS#12 with the password: %s", why);
	cert_bundle_free(&b);
	ok(cert_load_mem(der, (size_t)n, "nope", &b, why, sizeof(why)) < 0, "wrong password refused");
	is_str(why, "PKCS#12 password is wrong", "wrong password reason");
	ok(cert_load_mem(der, (size_t)n, NULL, &b, why, sizeof(why)) < 0, "no password refused");
	is_str(why, "PKCS#12 needs a password file", "missing password reason");
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(cas);
}

static void test_facts(X509 *leaf, X509 *ca, X509 *self)
{
	struct strbuf sb = STRBUF_INIT;
	char fp[CERT_FP_MAX], serial[64];
	time_t now = time(NULL);

	cert_fingerprint(leaf, EVP_sha1(), true, fp, sizeof(fp));
	ok(strlen(fp) == 59 && fp[2] == ':' && strspn(fp, "0123456789ABCDEF:") == 59, "SHA-1 with colons: %s", fp);
	cert_fingerprint(leaf, EVP_sha256(), false, fp, sizeof(fp));
	ok(strlen(fp) == 64 && strspn(fp, "0123456789ABCDEF") == 64, "SHA-256 plain hex");
	cert_serial(leaf, serial, sizeof(serial));
	is_str(serial, "1003", "serial in hex");
	cert_subject(leaf, &sb);
	is_str(sb.buf, "CN=leaf.test,O=Test\\, Inc", "subject RFC 2253");
	strbuf_reset(&sb);
	cert_issuer(leaf, &sb);
	is_str(sb.buf, "CN=Test CA,O=Test\\, Inc", "issuer RFC 2253");
	strbuf_release(&sb);

	ok(cert_self_signed(self) && cert_self_signed(ca), "self-signed detected");
	ok(!cert_self_signed(leaf), "CA-issued is not self-signed");
	ok(cert_time_ok(leaf, now, why, sizeof(why)) == 0, "valid now");
	ok(cert_time_ok(leaf, now + 40 * 86400, why, sizeof(why)) < 0 && strncmp(why, "expired ", 8) == 0,
	   "expired later: %s", why);
	ok(cert_time_ok(leaf, now - 86400, why, sizeof(why)) < 0 && strncmp(why, "not yet valid", 13) == 0,
	   "not yet valid before: %s", why);
	ok(cert_not_after(leaf) - cert_not_before(leaf) == 30 * 86400, "notBefore and notAfter as time_t");
}

static void test_purpose(X509 *ca)
{
	X509 *srv = mk("s", ca, key, "serverAuth", 0, 1);
	X509 *cli = mk("c", ca, key, "clientAuth", 0, 1);
	X509 *none = mk("n", ca, key, NULL, 0, 1);
	enum cert_purpose p;

	ok(cert_purpose_ok(srv, CERT_PURPOSE_SERVER, why, sizeof(why)), "serverAuth for server");
	ok(!cert_purpose_ok(srv, CERT_PURPOSE_CLIENT, why, sizeof(why)), "serverAuth not for client");
	is_str(why, "extended key usage lacks clientAuth", "purpose reason");
	ok(cert_purpose_ok(cli, CERT_PURPOSE_CLIENT, why, sizeof(why)), "clientAuth for client");
	ok(!cert_purpose_ok(cli, CERT_PURPOSE_SMIME, why, sizeof(why)), "clientAuth not for smime");
	ok(cert_purpose_ok(none, CERT_PURPOSE_SMIME, why, sizeof(why)), "no EKU fits any purpose");
	ok(cert_purpose_parse("client", &p) == 0 && p == CERT_PURPOSE_CLIENT &&
	   cert_purpose_parse("web", &p) < 0, "purpose names");
	X509_free(srv);
	X509_free(cli);
	X509_free(none);
}

int main(void)
{
	X509 *ca, *leaf, *self;

	key = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	ca = mk("Test CA", NULL, NULL, NULL, -60, 3650);
	leaf = mk("leaf.test", ca, key, "serverAuth,clientAuth", -60, 30);
	self = mk("self.test", NULL, NULL, "serverAuth", -60, 30);
	/* The CA uses the same key so one key pair serves every test. */
	test_pem(leaf, ca);
	test_der_p12(leaf, ca);
	test_facts(leaf, ca, self);
	test_purpose(ca);
	X509_free(ca);
	X509_free(leaf);
	X509_free(self);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return tap_done();
}
