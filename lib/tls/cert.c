/* Certificate and key loading (PEM, DER, PKCS#12) with limits, and the
 * facts about a certificate that are logged and ranked on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "tls/cert.h"
#include "util/mem.h"
#include "util/strbuf.h"

/* Past this a PKCS#12 MAC costs seconds to check: a hostile file's way
 * to stall whoever opens it. Common tools use 2048 to 600000. */
#define P12_ITER_MAX 2000000

/* Puts prefix and OpenSSL's reason for the last error into why, and
 * empties the error queue so it does not leak into later messages. */
static void ossl_why(char *why, size_t whylen, const char *prefix)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r)
		snprintf(why, whylen, "%s (%s)", prefix, r);
	else
		snprintf(why, whylen, "%s", prefix);
	ERR_clear_error();
}

void cert_bundle_free(struct cert_bundle *b)
{
	X509_free(b->cert);
	sk_X509_pop_free(b->chain, X509_free);
	EVP_PKEY_free(b->key);
	memset(b, 0, sizeof(*b));
}

/* Hands an encrypted PEM key its passphrase; never prompts on a
 * terminal, which OpenSSL's default callback would do. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t len = u ? strlen(u) : 0;

	if (!u || len >= (size_t)size)
		return -1;
	memcpy(buf, u, len);
	return (int)len;
}

static int is_key_block(const char *name)
{
	size_t n = strlen(name);

	return n >= 11 && strcmp(name + n - 11, "PRIVATE KEY") == 0;
}

static int is_cert_block(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0 ||
	       strcmp(name, "TRUSTED CERTIFICATE") == 0;
}

/* Adds one DER certificate from a PEM block to b. */
static int pem_add_cert(struct cert_bundle *b, const char *name,
			const unsigned char *data, long len, char *why, size_t whylen)
{
	const unsigned char *p = data;
	X509 *x = strcmp(name, "TRUSTED CERTIFICATE") == 0 ?
		d2i_X509_AUX(NULL, &p, len) : d2i_X509(NULL, &p, len);

	if (!x) {
		ossl_why(why, whylen, "damaged certificate in PEM");
		return -1;
	}
	if (!b->cert)
		b->cert = x;
	else
		sk_X509_push(b->chain, x);
	return 0;
}

/* The certificates of a PEM buffer, with a count cap; notes whether a
 * key block is present so the key is looked for in a second pass. */
static int pem_certs(BIO *bio, struct cert_bundle *b, int *has_key,
		     char *why, size_t whylen)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int count = 0, rc = 0;
	unsigned long e;

	while (rc == 0 && PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
		if (is_cert_block(name)) {
			if (++count > CERT_COUNT_MAX) {
				snprintf(why, whylen, "more than %d certificates in one file",
					 CERT_COUNT_MAX);
				rc = -1;
			} else {
				rc = pem_add_cert(b, name, data, len, why, whylen);
			}
		} else if (is_key_block(name)) {
			(*has_key)++;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)len);
		name = header = NULL;
		data = NULL;
	}
	if (rc < 0)
		return -1;
	/* The loop always ends on an error; "no start line" is the normal
	 * end of input, anything else is a block cut short or damaged. */
	e = ERR_peek_last_error();
	if (e && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		ossl_why(why, whylen, "truncated or damaged PEM");
		return -1;
	}
	ERR_clear_error();
	return 0;
}

static int load_pem(const void *data, size_t len, const char *pass,
		    struct cert_bundle *b, char *why, size_t whylen)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	int has_key = 0, rc;

	rc = pem_certs(bio, b, &has_key, why, whylen);
	BIO_free(bio);
	if (rc < 0)
		return -1;
	if (has_key > 1) {
		snprintf(why, whylen, "more than one private key in one file");
		return -1;
	}
	if (has_key) {
		bio = BIO_new_mem_buf(data, (int)len);
		b->key = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)pass);
		BIO_free(bio);
		if (!b->key) {
			ossl_why(why, whylen, pass ? "cannot read private key" :
				 "cannot read private key (encrypted keys need a password file)");
			return -1;
		}
	}
	if (!b->cert && !b->key) {
		snprintf(why, whylen, "no certificate or key in PEM");
		return -1;
	}
	return 0;
}

/* A PKCS#12 bundle: checks the MAC's cost and the password first, so the
 * reason names what is wrong. */
static int load_p12(PKCS12 *p12, const char *pass, struct cert_bundle *b,
		    char *why, size_t whylen)
{
	const ASN1_INTEGER *iter = NULL;
	STACK_OF(X509) *ca = NULL;

	if (PKCS12_mac_present(p12)) {
		PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
		if (iter && ASN1_INTEGER_get(iter) > P12_ITER_MAX) {
			snprintf(why, whylen, "PKCS#12 MAC iteration count over %d", P12_ITER_MAX);
			return -1;
		}
		/* No password file: try both spellings of "no password". */
		if (pass ? !PKCS12_verify_mac(p12, pass, -1) :
		    !PKCS12_verify_mac(p12, NULL, 0) && !PKCS12_verify_mac(p12, "", 0)) {
			ERR_clear_error();
			snprintf(why, whylen, pass ? "PKCS#12 password is wrong" :
				 "PKCS#12 needs a password file");
			return -1;
		}
	}
	/* PKCS12_parse itself tells NULL from "" for an empty password. */
	if (!PKCS12_parse(p12, pass ? pass : "", &b->key, &b->cert, &ca)) {
		ossl_why(why, whylen, "cannot open PKCS#12");
		return -1;
	}
	if (ca && sk_X509_num(ca) >= CERT_COUNT_MAX) {
		sk_X509_pop_free(ca, X509_free);
		snprintf(why, whylen, "more than %d certificates in one file", CERT_COUNT_MAX);
		return -1;
	}
	if (ca) {
		sk_X509_pop_free(b->chain, X509_free);
		b->chain = ca;
	}
	if (!b->cert && !b->key) {
		snprintf(why, whylen, "no certificate or key in PKCS#12");
		return -1;
	}
	return 0;
}

/* DER: a certificate, else a PKCS#12 bundle, else a key alone. */
static int load_der(const void *data, size_t len, const char *pass,
		    struct cert_bundle *b, char *why, size_t whylen)
{
	const unsigned char *p = data;
	PKCS12 *p12;
	int rc;

	if ((b->cert = d2i_X509(NULL, &p, (long)len)))
		return 0;
	p = data;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)len))) {
		ERR_clear_error();
		rc = load_p12(p12, pass, b, why, whylen);
		PKCS12_free(p12);
		return rc;
	}
	p = data;
	if ((b->key = d2i_AutoPrivateKey(NULL, &p, (long)len))) {
		ERR_clear_error();
		return 0;
	}
	ERR_clear_error();
	snprintf(why, whylen, "not PEM, DER or PKCS#12");
	return -1;
}

int cert_load_mem(const void *data, size_t len, const char *pass,
		  struct cert_bundle *b, char *why, size_t whylen)
{
	int rc;

	memset(b, 0, sizeof(*b));
	if (len == 0) {
		snprintf(why, whylen, "empty file");
		return -1;
	}
	if (len > CERT_FILE_MAX) {
		snprintf(why, whylen, "larger than %d bytes", CERT_FILE_MAX);
		return -1;
	}
	b->chain = sk_X509_new_null();
	ERR_clear_error();
	if (memmem(data, len, "-----BEGIN", 10))
		rc = load_pem(data, len, pass, b, why, whylen);
	else
		rc = load_der(data, len, pass, b, why, whylen);
	if (rc < 0)
		cert_bundle_free(b);
	return rc;
}

static int read_capped(const char *path, size_t max, struct strbuf *sb,
		       char *why, size_t whylen)
{
	if (strbuf_read_file(sb, path, max) == 0)
		return 0;
	if (errno == EFBIG)
		snprintf(why, whylen, "larger than %zu bytes", max);
	else
		snprintf(why, whylen, "cannot read: %s", strerror(errno));
	return -1;
}

int cert_load_file(const char *path, const char *pass,
		   struct cert_bundle *b, char *why, size_t whylen)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	if (read_capped(path, CERT_FILE_MAX, &sb, why, whylen) == 0)
		rc = cert_load_mem(sb.buf, sb.len, pass, b, why, whylen);
	/* The buffer may have held a private key. */
	mem_wipe(sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}

int cert_load_key_file(const char *path, EVP_PKEY **key, char *why, size_t whylen)
{
	struct cert_bundle b;

	*key = NULL;
	if (cert_load_file(path, NULL, &b, why, whylen) < 0)
		return -1;
	if (!b.key) {
		cert_bundle_free(&b);
		snprintf(why, whylen, "no private key in '%s'", path);
		return -1;
	}
	*key = b.key;
	b.key = NULL;
	cert_bundle_free(&b);
	return 0;
}

int cert_read_pass_file(const char *path, char *pass, size_t passlen,
			char *why, size_t whylen)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	int rc = -1;

	if (read_capped(path, CERT_PASS_MAX, &sb, why, whylen) == 0) {
		n = strcspn(sb.buf, "\r\n");
		if (n >= passlen) {
			snprintf(why, whylen, "password in '%s' too long", path);
		} else {
			memcpy(pass, sb.buf, n);
			pass[n] = 0;
			rc = 0;
		}
	}
	mem_wipe(sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}

void cert_fingerprint(X509 *x, const EVP_MD *md, bool colons, char *out, size_t outlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t pos = 0;

	out[0] = 0;
	if (!X509_digest(x, md, d, &n))
		return;
	for (unsigned int i = 0; i < n && pos + 4 <= outlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%s%02X",
					colons && i ? ":" : "", d[i]);
}

void cert_serial(X509 *x, char *out, size_t outlen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(out, outlen, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

static void name_oneline(const X509_NAME *name, struct strbuf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_get_mem_data(bio, &p);
	strbuf_add(out, p, (size_t)n);
	BIO_free(bio);
}

void cert_issuer(X509 *x, struct strbuf *out)
{
	name_oneline(X509_get_issuer_name(x), out);
}

void cert_subject(X509 *x, struct strbuf *out)
{
	name_oneline(X509_get_subject_name(x), out);
}

int cert_key_matches(X509 *x, EVP_PKEY *key)
{
	int ok = x && key && X509_check_private_key(x, key) == 1;

	ERR_clear_error();
	return ok;
}

static const char *const purpose_names[] = { "server", "client", "smime" };

int cert_purpose_parse(const char *s, enum cert_purpose *p)
{
	for (size_t i = 0; i < sizeof(purpose_names) / sizeof(purpose_names[0]); i++)
		if (strcmp(s, purpose_names[i]) == 0) {
			*p = (enum cert_purpose)i;
			return 0;
		}
	return -1;
}

const char *cert_purpose_name(enum cert_purpose p)
{
	return purpose_names[p];
}

int cert_purpose_ok(X509 *x, enum cert_purpose p, char *why, size_t whylen)
{
	static const struct { uint32_t ku, xku; const char *eku; } need[] = {
		[CERT_PURPOSE_SERVER] = { KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT,
					  XKU_SSL_SERVER, "serverAuth" },
		[CERT_PURPOSE_CLIENT] = { KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT,
					  XKU_SSL_CLIENT, "clientAuth" },
		[CERT_PURPOSE_SMIME] = { KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_ENCIPHERMENT,
					 XKU_SMIME, "emailProtection" },
	};
	uint32_t ku, xku;

	/* Caches the extensions and tells whether they parse at all. */
	X509_check_purpose(x, -1, 0);
	if (X509_get_extension_flags(x) & EXFLAG_INVALID) {
		ERR_clear_error();
		snprintf(why, whylen, "certificate extensions are invalid");
		return 0;
	}
	ku = X509_get_key_usage(x);
	xku = X509_get_extended_key_usage(x);
	if (ku != UINT32_MAX && !(ku & need[p].ku)) {
		snprintf(why, whylen, "key usage does not allow %s use", purpose_names[p]);
		return 0;
	}
	if (xku != UINT32_MAX && !(xku & (need[p].xku | XKU_ANYEKU))) {
		snprintf(why, whylen, "extended key usage lacks %s", need[p].eku);
		return 0;
	}
	return 1;
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

time_t cert_not_before(X509 *x)
{
	return asn1_time(X509_get0_notBefore(x));
}

time_t cert_not_after(X509 *x)
{
	return asn1_time(X509_get0_notAfter(x));
}

void cert_time_format(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outlen, "?");
}

int cert_time_ok(X509 *x, time_t at, char *why, size_t whylen)
{
	/* ASN1 compare, not time_t: exact at the edges and no overflow. */
	int after = X509_cmp_time(X509_get0_notAfter(x), &at);
	int before = X509_cmp_time(X509_get0_notBefore(x), &at);
	char when[32];

	if (after == 0 || before == 0) {
		snprintf(why, whylen, "validity dates are unreadable");
		return -1;
	}
	if (after < 0) {
		cert_time_format(cert_not_after(x), when, sizeof(when));
		snprintf(why, whylen, "expired %s", when);
		return -1;
	}
	if (before > 0) {
		cert_time_format(cert_not_before(x), when, sizeof(when));
		snprintf(why, whylen, "not yet valid (from %s)", when);
		return -1;
	}
	return 0;
}

int cert_self_signed(X509 *x)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	int r;

	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) != 0 || !pub)
		return 0;
	r = X509_verify(x, pub) == 1;
	ERR_clear_error();
	return r;
}
