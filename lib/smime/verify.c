/* Verification of signed messages: the signature and digest by OpenSSL's
 * CMS code, the chain by an X509_STORE_CTX of our own so that each kind of
 * refusal gets its own reason, then the From: match. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "mail/address.h"
#include "smime/entity.h"
#include "smime/sign.h"
#include "smime/verify.h"
#include "tls/cert.h"

int smime_cert_emails(X509 *x, int (*fn)(const char *addr, void *ctx), void *ctx)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	X509_NAME *name = X509_get_subject_name(x);
	int any = 0, rc = 0, i = -1;

	for (int k = 0; rc == 0 && gens && k < sk_GENERAL_NAME_num(gens); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, k);
		const char *s;

		if (g->type != GEN_EMAIL)
			continue;
		s = (const char *)ASN1_STRING_get0_data(g->d.rfc822Name);
		if ((size_t)ASN1_STRING_length(g->d.rfc822Name) != strlen(s))
			continue;
		any = 1;
		rc = fn(s, ctx);
	}
	GENERAL_NAMES_free(gens);
	while (!any && rc == 0 && (i = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, i)) >= 0) {
		ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
		const char *s = (const char *)ASN1_STRING_get0_data(v);

		if ((size_t)ASN1_STRING_length(v) == strlen(s))
			rc = fn(s, ctx);
	}
	return rc;
}

static int email_eq(const char *addr, void *ctx)
{
	return strcasecmp(addr, ctx) == 0;
}

int smime_cert_has_email(X509 *x, const char *addr)
{
	return smime_cert_emails(x, email_eq, (void *)addr);
}

static int email_first(const char *addr, void *ctx)
{
	snprintf(ctx, 256, "%s", addr);
	return 1;
}

void smime_verify_result_free(struct smime_verify_result *r)
{
	strbuf_release(&r->signer);
	strbuf_release(&r->ca);
	strbuf_release(&r->crl);
	strbuf_release(&r->message);
}

/* Detached content for CMS_verify. Behind a null filter: OpenSSL 3.0
 * copies a memory BIO it is given and leaks the copy when the signature
 * fails before the content is read. Free with BIO_free_all. */
static BIO *content_bio(const char *p, size_t len)
{
	BIO *mem = BIO_new_mem_buf(p, (int)len), *f = BIO_new(BIO_f_null());

	if (mem == NULL || f == NULL) {
		BIO_free(mem);
		BIO_free(f);
		return NULL;
	}
	return BIO_push(f, mem);
}

/* Why CMS_verify refused, once more without the content check: a
 * signature that verifies over its attributes means the content changed. */
static void cms_reason(CMS_ContentInfo *cms, X509_STORE *store, const struct strbuf *detached,
		       char *why, size_t whylen)
{
	unsigned long e = ERR_peek_last_error();
	BIO *d;
	int ok;

	if (ERR_GET_LIB(e) == ERR_LIB_CMS && (ERR_GET_REASON(e) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND ||
					     ERR_GET_REASON(e) == CMS_R_NO_SIGNERS)) {
		snprintf(why, whylen, "the signer's certificate is not in the message");
		ERR_clear_error();
		return;
	}
	ERR_clear_error();
	d = detached ? content_bio(detached->buf, detached->len) : NULL;
	ok = CMS_verify(cms, NULL, store, d, NULL,
			CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NO_CONTENT_VERIFY);
	BIO_free_all(d);
	ERR_clear_error();
	if (ok)
		snprintf(why, whylen, "the content does not match the signature (message digest differs)");
	else
		snprintf(why, whylen, "the signature does not verify (damaged or forged)");
}

static void chain_reason(int err, X509 *signer, const struct strbuf *crl, char *why, size_t whylen)
{
	char t[64];

	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
		snprintf(why, whylen, "untrusted CA: the signer's chain does not reach a configured CA (%s)",
			 X509_verify_cert_error_string(err));
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		cert_time_format(cert_not_after(signer), t, sizeof(t));
		snprintf(why, whylen, "the signer's certificate expired %s", t);
		break;
	case X509_V_ERR_CERT_REVOKED:
		snprintf(why, whylen, "the signer's certificate is revoked (CRL %s)", crl->len ? crl->buf : "?");
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		snprintf(why, whylen, "no CRL for the signer's certificate (%s)", crl->len ? crl->buf : "none fetched");
		break;
	default:
		snprintf(why, whylen, "the signer's certificate does not verify: %s",
			 X509_verify_cert_error_string(err));
	}
}

/* The signer's chain against the configured CAs only. Returns 0 or 1. */
static int check_chain(const struct smime_verify_opts *o, CMS_ContentInfo *cms, X509 *signer,
		       struct smime_verify_result *r)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	STACK_OF(X509_CRL) *crls = NULL;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = 1;

	if (ctx == NULL || !X509_STORE_CTX_init(ctx, o->store, signer, certs)) {
		snprintf(r->reason, sizeof(r->reason), "cannot set up the chain check");
		goto out;
	}
	X509_STORE_CTX_set_default(ctx, "smime_sign");
	if (o->at)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), o->at);
	if (o->crls) {
		crls = tls_crl_for_cert(o->crls, signer, &r->crl);
		X509_STORE_CTX_set0_crls(ctx, crls);
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK);
	}
	if (X509_verify_cert(ctx) != 1) {
		chain_reason(X509_STORE_CTX_get_error(ctx), signer, &r->crl, r->reason, sizeof(r->reason));
		goto out;
	}
	{
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);

		cert_subject(sk_X509_value(chain, sk_X509_num(chain) - 1), &r->ca);
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(certs, X509_free);
	if (crls)
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
}

static int check_from(const struct smime_msg *m, X509 *signer, struct smime_verify_result *r)
{
	struct strbuf v = STRBUF_INIT, a = STRBUF_INIT;
	int rc = 1;

	smime_cert_emails(signer, email_first, r->signer_addr);
	if (smime_field_value(m, "From", &v) < 0 || address_first(v.buf, v.len, &a) < 0) {
		snprintf(r->reason, sizeof(r->reason), "no From: address to match the signer against");
	} else {
		snprintf(r->from, sizeof(r->from), "%s", a.buf);
		if (smime_cert_has_email(signer, a.buf)) {
			snprintf(r->signer_addr, sizeof(r->signer_addr), "%s", a.buf);
			rc = 0;
		} else {
			snprintf(r->reason, sizeof(r->reason), "From: %s does not match the signer (%s)",
				 a.buf, r->signer_addr[0] ? r->signer_addr : "no address in the certificate");
		}
	}
	strbuf_release(&v);
	strbuf_release(&a);
	return rc;
}

/* The message to print: outer fields, then the inner entity. */
static void rebuild(const struct smime_msg *m, const char *inner, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	smime_outer_fields(m, false, out);
	smime_eol_convert(inner, len, m->crlf, out);
}

static CMS_ContentInfo *load_cms(const struct strbuf *der, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)der->buf;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der->len);

	ERR_clear_error();
	if (cms == NULL)
		snprintf(why, whylen, "the signature is not a readable CMS structure");
	else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		snprintf(why, whylen, "not signed-data but %s", OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms))));
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	return cms;
}

int smime_verify_message(const struct smime_verify_opts *o, const char *msg, size_t len,
			 struct smime_verify_result *r)
{
	struct smime_msg m;
	struct smime_signed_parts sp = { 0 };
	struct strbuf canon = STRBUF_INIT, der = STRBUF_INIT, opaque = STRBUF_INIT;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *signers = NULL;
	BIO *d = NULL, *out = NULL;
	bool detached;
	int rc = 1, split;

	memset(r, 0, sizeof(*r));
	if (smime_msg_parse(msg, len, &m, r->reason, sizeof(r->reason)) < 0)
		return 1;
	/* One MIME parse for the usual case; the opaque form is tried only
	 * when the message is not multipart/signed. */
	split = smime_signed_split(msg, len, &sp, r->reason, sizeof(r->reason));
	detached = split != -2;
	if (split == -1)
		goto out;
	if (detached) {
		smime_to_crlf(sp.content, sp.content_len, &canon);
		rebuild(&m, canon.buf, canon.len, &r->message);
		strbuf_add(&der, sp.sig.buf, sp.sig.len);
	} else if (smime_pkcs7_body(msg, len, &der, r->reason, sizeof(r->reason)) < 0) {
		snprintf(r->reason, sizeof(r->reason), "the message is not signed");
		strbuf_add(&r->message, msg, len);
		goto out;
	}
	if ((cms = load_cms(&der, r->reason, sizeof(r->reason))) == NULL)
		goto out;
	if (!detached) {
		ASN1_OCTET_STRING **pos = CMS_get0_content(cms);

		if (pos == NULL || *pos == NULL) {
			snprintf(r->reason, sizeof(r->reason), "signed-data without its content");
			goto out;
		}
		smime_to_crlf((const char *)ASN1_STRING_get0_data(*pos), (size_t)ASN1_STRING_length(*pos), &opaque);
		rebuild(&m, opaque.buf, opaque.len, &r->message);
	}
	d = detached ? content_bio(canon.buf, canon.len) : NULL;
	out = BIO_new(BIO_s_null());
	ERR_clear_error();
	if (!CMS_verify(cms, NULL, o->store, d, out, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)) {
		cms_reason(cms, o->store, detached ? &canon : NULL, r->reason, sizeof(r->reason));
		goto out;
	}
	signers = CMS_get0_signers(cms);
	if (signers == NULL || sk_X509_num(signers) < 1) {
		snprintf(r->reason, sizeof(r->reason), "the signer's certificate is not in the message");
		goto out;
	}
	X509 *signer = sk_X509_value(signers, 0);

	cert_subject(signer, &r->signer);
	smime_cert_emails(signer, email_first, r->signer_addr);
	if (check_chain(o, cms, signer, r) != 0)
		goto out;
	if (o->from_check && check_from(&m, signer, r) != 0)
		goto out;
	r->valid = true;
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_free(signers);
	BIO_free_all(d);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	strbuf_release(&sp.sig);
	strbuf_release(&canon);
	strbuf_release(&der);
	strbuf_release(&opaque);
	smime_msg_free(&m);
	return rc;
}
