/* CMS SignedData built by hand around one private-key operation, so that
 * the key may live in another process; and the multipart/signed or
 * opaque message around it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "smime/entity.h"
#include "smime/sign.h"
#include "util/mem.h"

void smime_ossl_why(const char *prefix, char *why, size_t whylen)
{
	unsigned long e, last = 0;
	char buf[256];

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last) {
		ERR_error_string_n(last, buf, sizeof(buf));
		/* "error:1E08010C:DECODER routines::unsupported" -> the tail. */
		const char *r = strrchr(buf, ':');

		snprintf(why, whylen, "%s: %s", prefix, r && r[1] ? r + 1 : buf);
	} else {
		snprintf(why, whylen, "%s", prefix);
	}
}

const char *smime_micalg(const EVP_MD *md)
{
	switch (EVP_MD_get_type(md)) {
	case NID_sha256: return "sha-256";
	case NID_sha384: return "sha-384";
	case NID_sha512: return "sha-512";
	default: return NULL;
	}
}

const EVP_MD *smime_md_by_name(const char *name)
{
	if (strcmp(name, "sha256") == 0)
		return EVP_sha256();
	if (strcmp(name, "sha384") == 0)
		return EVP_sha384();
	if (strcmp(name, "sha512") == 0)
		return EVP_sha512();
	return NULL;
}

int smime_sign_with_key(void *ctx, const EVP_MD *md, bool pss, const unsigned char *dgst,
			size_t dlen, unsigned char *sig, size_t *siglen, char *why, size_t whylen)
{
	EVP_PKEY *key = ctx;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
	bool rsa = EVP_PKEY_is_a(key, "RSA");
	int ok;

	if (pss && !rsa) {
		EVP_PKEY_CTX_free(pc);
		snprintf(why, whylen, "RSA-PSS needs an RSA key");
		return -1;
	}
	ok = pc && EVP_PKEY_sign_init(pc) > 0 &&
	     (!rsa || EVP_PKEY_CTX_set_rsa_padding(pc, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) > 0) &&
	     (!pss || (EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) > 0 &&
		       EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) > 0)) &&
	     EVP_PKEY_CTX_set_signature_md(pc, md) > 0 &&
	     EVP_PKEY_sign(pc, sig, siglen, dgst, dlen) > 0;
	EVP_PKEY_CTX_free(pc);
	if (!ok) {
		smime_ossl_why("cannot sign", why, whylen);
		return -1;
	}
	return 0;
}

/* Modern algorithms only: AES-GCM and AES-CBC, strongest first. */
static int add_caps(CMS_SignerInfo *si)
{
	static const int nids[] = { NID_aes_256_gcm, NID_aes_128_gcm, NID_aes_256_cbc,
				    NID_aes_128_cbc };
	STACK_OF(X509_ALGOR) *algs = NULL;
	int ok = 1;

	for (size_t i = 0; ok && i < sizeof(nids) / sizeof(nids[0]); i++)
		ok = CMS_add_simple_smimecap(&algs, nids[i], -1);
	ok = ok && CMS_add_smimecap(si, algs);
	sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
	return ok;
}

/* RSASSA-PSS-params: the digest, MGF1 with the same digest, salt as long
 * as the digest (RFC 4056). */
static int set_pss_alg(CMS_SignerInfo *si, const EVP_MD *md)
{
	X509_ALGOR *sigalg = NULL, *mgfmd = X509_ALGOR_new();
	RSA_PSS_PARAMS *pss = RSA_PSS_PARAMS_new();
	ASN1_STRING *mgfparam = NULL, *params = NULL;
	int ok = 0;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sigalg);
	if (!sigalg || !mgfmd || !pss)
		goto out;
	X509_ALGOR_set_md(mgfmd, md);
	pss->hashAlgorithm = X509_ALGOR_new();
	pss->maskGenAlgorithm = X509_ALGOR_new();
	pss->saltLength = ASN1_INTEGER_new();
	if (!pss->hashAlgorithm || !pss->maskGenAlgorithm || !pss->saltLength)
		goto out;
	X509_ALGOR_set_md(pss->hashAlgorithm, md);
	if (!ASN1_item_pack(mgfmd, ASN1_ITEM_rptr(X509_ALGOR), &mgfparam))
		goto out;
	X509_ALGOR_set0(pss->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, mgfparam);
	ASN1_INTEGER_set(pss->saltLength, EVP_MD_get_size(md));
	if (!ASN1_item_pack(pss, ASN1_ITEM_rptr(RSA_PSS_PARAMS), &params))
		goto out;
	X509_ALGOR_set0(sigalg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, params);
	ok = 1;
out:
	X509_ALGOR_free(mgfmd);
	RSA_PSS_PARAMS_free(pss);
	return ok;
}

struct der_item {
	unsigned char *p;
	int len;
};

static int der_item_cmp(const void *a, const void *b)
{
	const struct der_item *x = a, *y = b;
	int n = x->len < y->len ? x->len : y->len, c = memcmp(x->p, y->p, (size_t)n);

	return c ? c : x->len - y->len;
}

static void der_len(struct strbuf *out, size_t n)
{
	if (n < 0x80) {
		strbuf_addch(out, (int)n);
		return;
	}
	int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;

	strbuf_addch(out, 0x80 | bytes);
	for (int i = bytes - 1; i >= 0; i--)
		strbuf_addch(out, (int)((n >> (8 * i)) & 0xff));
}

/* The signed attributes as the signature covers them: a DER SET OF, the
 * encodings sorted (X.690 11.6), which is also how they are written. */
static int attrs_der(CMS_SignerInfo *si, struct strbuf *out)
{
	int n = CMS_signed_get_attr_count(si);
	struct der_item *it;
	size_t total = 0;
	int ok = 1;

	if (n <= 0)
		return 0;
	it = xcalloc((size_t)n, sizeof(*it));
	for (int i = 0; i < n; i++) {
		it[i].len = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &it[i].p);
		if (it[i].len <= 0)
			ok = 0;
		else
			total += (size_t)it[i].len;
	}
	if (ok) {
		qsort(it, (size_t)n, sizeof(*it), der_item_cmp);
		strbuf_addch(out, 0x31);
		der_len(out, total);
		for (int i = 0; i < n; i++)
			strbuf_add(out, it[i].p, (size_t)it[i].len);
	}
	for (int i = 0; i < n; i++)
		OPENSSL_free(it[i].p);
	free(it);
	return ok;
}

static int add_attrs(CMS_SignerInfo *si, const EVP_MD *md, const char *entity, size_t len)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dglen = 0;
	ASN1_TIME *t = X509_gmtime_adj(NULL, 0);
	int ok = t && EVP_Digest(entity, len, dg, &dglen, md, NULL) &&
		 CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
					     OBJ_nid2obj(NID_pkcs7_data), -1) &&
		 CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t, -1) &&
		 CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
					     dg, (int)dglen) &&
		 add_caps(si);

	ASN1_TIME_free(t);
	return ok;
}

int smime_sign_der(const struct smime_signer *s, const char *entity, size_t len,
		   struct strbuf *der, char *why, size_t whylen)
{
	unsigned flags = CMS_PARTIAL | CMS_BINARY | (s->opaque ? 0 : CMS_DETACHED);
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	struct strbuf attrs = STRBUF_INIT;
	unsigned char h[EVP_MAX_MD_SIZE], sig[SMIME_SIG_MAX], *p = NULL;
	unsigned hlen = 0;
	size_t siglen = sizeof(sig);
	int rc = -1, n;

	if (smime_micalg(s->md) == NULL) {
		snprintf(why, whylen, "digest must be SHA-256, SHA-384 or SHA-512");
		return -1;
	}
	if (s->pss && !EVP_PKEY_is_a(X509_get0_pubkey(s->cert), "RSA")) {
		snprintf(why, whylen, "RSA-PSS needs an RSA certificate");
		return -1;
	}
	ERR_clear_error();
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	si = cms ? CMS_add1_signer(cms, s->cert, X509_get0_pubkey(s->cert), s->md,
				   CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP) : NULL;
	if (si == NULL) {
		smime_ossl_why("cannot set up the signature", why, whylen);
		goto out;
	}
	for (int i = 0; s->chain && i < sk_X509_num(s->chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(s->chain, i)) &&
		    ERR_GET_REASON(ERR_peek_last_error()) != CMS_R_CERTIFICATE_ALREADY_PRESENT) {
			smime_ossl_why("cannot add the chain", why, whylen);
			goto out;
		}
	ERR_clear_error();
	if (!add_attrs(si, s->md, entity, len) || (s->pss && !set_pss_alg(si, s->md)) ||
	    !attrs_der(si, &attrs) || !EVP_Digest(attrs.buf, attrs.len, h, &hlen, s->md, NULL)) {
		smime_ossl_why("cannot build the signed attributes", why, whylen);
		goto out;
	}
	if (s->sign(s->ctx, s->md, s->pss, h, hlen, sig, &siglen, why, whylen) < 0)
		goto out;
	if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen))
		goto oom;
	if (s->opaque) {
		ASN1_OCTET_STRING **pos = CMS_get0_content(cms);

		if (pos == NULL)
			goto oom;
		if (*pos == NULL && (*pos = ASN1_OCTET_STRING_new()) == NULL)
			goto oom;
		if (!ASN1_OCTET_STRING_set(*pos, (const unsigned char *)entity, (int)len))
			goto oom;
	}
	if ((n = i2d_CMS_ContentInfo(cms, &p)) <= 0)
		goto oom;
	strbuf_add(der, p, (size_t)n);
	OPENSSL_free(p);
	rc = 0;
	goto out;
oom:
	smime_ossl_why("cannot encode the signature", why, whylen);
out:
	strbuf_release(&attrs);
	OPENSSL_cleanse(h, sizeof(h));
	CMS_ContentInfo_free(cms);
	return rc;
}

int smime_sign_message(const struct smime_signer *s, const char *msg, size_t len,
		       struct strbuf *out, char *why, size_t whylen)
{
	struct smime_msg m;
	struct strbuf inner = STRBUF_INIT, der = STRBUF_INIT;
	char b[64];
	const char *eol;
	bool has_mv = false;
	int rc = -1;

	if (smime_msg_parse(msg, len, &m, why, whylen) < 0)
		return -1;
	eol = m.crlf ? "\r\n" : "\n";
	smime_inner_entity(&m, &inner);
	if (smime_sign_der(s, inner.buf, inner.len, &der, why, whylen) < 0)
		goto out;
	for (size_t i = 0; i < m.nf; i++)
		has_mv |= smime_field_is(&m, i, "MIME-Version");
	smime_outer_fields(&m, false, out);
	if (!has_mv)
		strbuf_addf(out, "MIME-Version: 1.0%s", eol);
	if (s->opaque) {
		strbuf_addf(out, "Content-Type: application/pkcs7-mime; smime-type=signed-data;%s"
			    "\tname=\"smime.p7m\"%s"
			    "Content-Transfer-Encoding: base64%s"
			    "Content-Disposition: attachment; filename=\"smime.p7m\"%s%s",
			    eol, eol, eol, eol, eol);
		smime_base64_lines(der.buf, der.len, eol, out);
		rc = 0;
		goto out;
	}
	smime_boundary(b, sizeof(b));
	strbuf_addf(out, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";%s"
		    "\tmicalg=%s; boundary=\"%s\"%s%s"
		    "This is a cryptographically signed message in MIME format.%s%s--%s%s",
		    eol, smime_micalg(s->md), b, eol, eol, eol, eol, b, eol);
	smime_eol_convert(inner.buf, inner.len, m.crlf, out);
	strbuf_addf(out, "%s--%s%s"
		    "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"%s"
		    "Content-Transfer-Encoding: base64%s"
		    "Content-Disposition: attachment; filename=\"smime.p7s\"%s"
		    "Content-Description: S/MIME Cryptographic Signature%s%s",
		    eol, b, eol, eol, eol, eol, eol, eol);
	smime_base64_lines(der.buf, der.len, eol, out);
	strbuf_addf(out, "--%s--%s", b, eol);
	rc = 0;
out:
	strbuf_release(&inner);
	strbuf_release(&der);
	smime_msg_free(&m);
	return rc;
}
