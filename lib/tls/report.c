/* The TLS report: filled from an SSL after the handshake, judged into a
 * posttls-finger verdict, written as logfmt or JSON. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "tls/names.h"
#include "tls/report.h"
#include "util/mem.h"
#include "util/msg.h"

void tls_report_init(struct tls_report *r)
{
	memset(r, 0, sizeof(*r));
	r->verify_depth = -1;
}

static void cert_clear(struct tls_report_cert *c)
{
	free(c->subject);
	free(c->issuer);
	free(c->names);
}

static void chain_clear(struct tls_report *r)
{
	for (size_t i = 0; i < r->nchain; i++)
		cert_clear(&r->chain[i]);
	free(r->chain);
	r->chain = NULL;
	r->nchain = 0;
}

static void ca_names_clear(struct tls_report *r)
{
	for (size_t i = 0; i < r->nca_names; i++)
		free(r->ca_names[i]);
	free(r->ca_names);
	r->ca_names = NULL;
	r->nca_names = 0;
}

void tls_report_clear(struct tls_report *r)
{
	free(r->error);
	free(r->version);
	free(r->cipher);
	free(r->group);
	free(r->peer_sig);
	free(r->peer_digest);
	free(r->sni);
	free(r->alpn);
	chain_clear(r);
	free(r->verify_text);
	free(r->names_expected);
	free(r->name_matched);
	free(r->name_how);
	ca_names_clear(r);
	free(r->ccert_error);
	tls_rev_result_clear(&r->crl);
	tls_rev_result_clear(&r->ocsp);
	tls_dane_clear(&r->dane);
	tls_report_init(r);
}

static void set(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

void tls_report_cert_fill(struct tls_report_cert *rc, X509 *x)
{
	struct strbuf sb = STRBUF_INIT;

	cert_subject(x, &sb);
	rc->subject = strbuf_detach(&sb, NULL);
	cert_issuer(x, &sb);
	rc->issuer = strbuf_detach(&sb, NULL);
	cert_serial(x, rc->serial, sizeof(rc->serial));
	cert_fingerprint(x, EVP_sha1(), true, rc->sha1, sizeof(rc->sha1));
	cert_fingerprint(x, EVP_sha256(), true, rc->sha256, sizeof(rc->sha256));
	cert_time_format(cert_not_before(x), rc->not_before, sizeof(rc->not_before));
	cert_time_format(cert_not_after(x), rc->not_after, sizeof(rc->not_after));
	tls_names_list(x, &sb);
	rc->names = strbuf_detach(&sb, NULL);
	if (rc->names == NULL)
		rc->names = xstrdup("");
}

static void fill_chain(struct tls_report *r, SSL *ssl)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
	int n = sk ? sk_X509_num(sk) : 0;

	chain_clear(r);
	if (leaf == NULL)
		return;
	r->chain = xcalloc(TLS_REPORT_CHAIN_MAX, sizeof(*r->chain));
	tls_report_cert_fill(&r->chain[r->nchain++], leaf);
	/* A client's chain holds the leaf; a server's does not. */
	for (int i = 0; i < n && r->nchain < TLS_REPORT_CHAIN_MAX; i++) {
		X509 *x = sk_X509_value(sk, i);

		if (X509_cmp(x, leaf) != 0)
			tls_report_cert_fill(&r->chain[r->nchain++], x);
	}
}

static void fill_ca_names(struct tls_report *r, SSL *ssl)
{
	const STACK_OF(X509_NAME) *names = SSL_get0_peer_CA_list(ssl);

	if (names == NULL || sk_X509_NAME_num(names) == 0)
		names = SSL_get_client_CA_list(ssl);
	ca_names_clear(r);
	for (int i = 0; names && i < sk_X509_NAME_num(names) &&
	     r->nca_names < TLS_REPORT_CA_NAMES_MAX; i++) {
		BIO *b = BIO_new(BIO_s_mem());
		char *p;
		long n;

		X509_NAME_print_ex(b, sk_X509_NAME_value(names, i), 0,
				   XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
		n = BIO_get_mem_data(b, &p);
		r->ca_names = xrealloc(r->ca_names, (r->nca_names + 1) * sizeof(char *));
		r->ca_names[r->nca_names++] = xstrndup(p, (size_t)n);
		BIO_free(b);
	}
}

/* Group names as posttls-finger prints them ("X25519", "prime256v1"). */
static const char *group_name(int nid, const char *fallback)
{
	const char *n = NULL;

	if (nid != NID_undef && (nid & TLSEXT_nid_unknown) == 0)
		n = OBJ_nid2sn(nid);
	return n ? n : fallback;
}

static void fill_sig(struct tls_report *r, SSL *ssl)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	EVP_PKEY *pk = leaf ? X509_get0_pubkey(leaf) : NULL;
	struct strbuf sb = STRBUF_INIT;
	int type = NID_undef, md = NID_undef;
	char group[64];

	if (pk == NULL)
		return;
	if (SSL_get_peer_signature_type_nid(ssl, &type) != 1)
		type = EVP_PKEY_get_base_id(pk);
	strbuf_addstr(&sb, type == EVP_PKEY_RSA_PSS ? "RSA-PSS" : type == EVP_PKEY_EC ?
		      "ECDSA" : OBJ_nid2sn(type));
	if (EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), NULL) == 1)
		strbuf_addf(&sb, " (%s)", group_name(OBJ_sn2nid(group), group));
	else
		strbuf_addf(&sb, " (%d bits)", EVP_PKEY_get_bits(pk));
	free(r->peer_sig);
	r->peer_sig = strbuf_detach(&sb, NULL);
	if (SSL_get_peer_signature_nid(ssl, &md) == 1 && md != NID_undef)
		set(&r->peer_digest, OBJ_nid2sn(md));
}

void tls_report_fill(struct tls_report *r, SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	int group;

	if (r->handshake_ok) {
		set(&r->version, SSL_get_version(ssl));
		if (c) {
			set(&r->cipher, SSL_CIPHER_get_name(c));
			r->bits = SSL_CIPHER_get_bits(c, &r->alg_bits);
		}
		group = SSL_get_negotiated_group(ssl);
		if (group > 0)
			set(&r->group, group_name(group, SSL_group_to_name(ssl, group)));
		SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
		free(r->alpn);
		r->alpn = alpn_len ? xstrndup((const char *)alpn, alpn_len) : NULL;
		fill_sig(r, ssl);
	}
	if (r->server_side)
		set(&r->sni, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	else
		fill_ca_names(r, ssl);
	fill_chain(r, ssl);
}

void tls_report_verdict(struct tls_report *r)
{
	if (!r->handshake_ok && r->nchain == 0)
		r->verdict = TLS_VERDICT_NONE;
	else if (r->nchain == 0)
		r->verdict = TLS_VERDICT_ANONYMOUS;
	else if (r->dane.state == TLS_DANE_MATCHED && r->chain_ok)
		r->verdict = TLS_VERDICT_VERIFIED;
	else if (!r->chain_ok)
		r->verdict = TLS_VERDICT_UNTRUSTED;
	else if (r->names_expected && !r->name_ok)
		r->verdict = TLS_VERDICT_TRUSTED;
	else
		r->verdict = TLS_VERDICT_VERIFIED;
}

const char *tls_verdict_name(enum tls_verdict v)
{
	switch (v) {
	case TLS_VERDICT_ANONYMOUS: return "Anonymous";
	case TLS_VERDICT_UNTRUSTED: return "Untrusted";
	case TLS_VERDICT_TRUSTED: return "Trusted";
	case TLS_VERDICT_VERIFIED: return "Verified";
	default: return "none";
	}
}

static const char *tri_name(enum tls_tri t)
{
	return t == TLS_TRI_YES ? "yes" : t == TLS_TRI_NO ? "no" : "unknown";
}

static void kv(struct strbuf *out, const char *k, const char *v)
{
	if (v)
		strbuf_addf(out, "%s%s=%s", out->len ? " " : "", k, msg_q(v));
}

void tls_report_logfmt(const struct tls_report *r, struct strbuf *out)
{
	if (!r->handshake_ok)
		kv(out, "tls_error", r->error ? r->error : "handshake failed");
	kv(out, "tls", r->version);
	kv(out, "cipher", r->cipher);
	kv(out, "group", r->group);
	kv(out, "verdict", tls_verdict_name(r->verdict));
	if (r->nchain) {
		kv(out, "subject", r->chain[0].subject);
		kv(out, "issuer", r->chain[0].issuer);
		kv(out, "serial", r->chain[0].serial);
		kv(out, "sha256", r->chain[0].sha256);
	}
	if (r->verify_text)
		kv(out, "verify_error", r->verify_text);
	kv(out, "name", r->name_ok ? r->name_how : NULL);
	kv(out, "sni", r->sni);
	kv(out, "alpn", r->alpn);
	if (r->ccert_asked) {
		kv(out, "ccert_sent", r->ccert_sent ? "yes" : "no");
		kv(out, "ccert_accepted", tri_name(r->ccert_accepted));
	}
	if (r->crl.status != TLS_REV_NOT_CHECKED)
		kv(out, "crl", tls_rev_status_name(r->crl.status));
	if (r->ocsp.status != TLS_REV_NOT_CHECKED)
		kv(out, "ocsp", tls_rev_status_name(r->ocsp.status));
	if (r->dane.state != TLS_DANE_NOT_REQUESTED)
		kv(out, "dane", tls_dane_state_name(r->dane.state));
	if (r->discarded)
		strbuf_addf(out, " discarded=%zu", r->discarded);
}

void tls_report_log(const struct tls_report *r, const char *peer)
{
	struct strbuf sb = STRBUF_INIT;

	tls_report_logfmt(r, &sb);
	if (r->handshake_ok)
		msg_info("TLS peer %s", sb.buf);
	else
		msg_warn("TLS handshake failed with %s: %s %s", peer ? peer : "peer",
			 r->error ? r->error : "", sb.buf);
	strbuf_release(&sb);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *cert_json(const struct tls_report_cert *c)
{
	return json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o}",
			 "subject", str_or_null(c->subject), "issuer", str_or_null(c->issuer),
			 "serial", c->serial, "sha1", c->sha1, "sha256", c->sha256,
			 "not_before", c->not_before, "not_after", c->not_after,
			 "names", str_or_null(c->names));
}

static json_t *rev_json(const struct tls_rev_result *rv)
{
	return json_pack("{s:s, s:o, s:o}", "status", tls_rev_status_name(rv->status),
			 "source", str_or_null(rv->source), "detail", str_or_null(rv->detail));
}

static json_t *ccert_json(const struct tls_report *r)
{
	json_t *cas = json_array();

	for (size_t i = 0; i < r->nca_names; i++)
		json_array_append_new(cas, json_string(r->ca_names[i]));
	return json_pack("{s:b, s:o, s:b, s:s, s:o}", "asked", r->ccert_asked,
			 "ca_names", cas, "sent", r->ccert_sent,
			 "accepted", tri_name(r->ccert_accepted),
			 "error", str_or_null(r->ccert_error));
}

static json_t *dane_json(const struct tls_dane *d)
{
	return json_pack("{s:s, s:o, s:I, s:o, s:o}", "state", tls_dane_state_name(d->state),
			 "qname", str_or_null(d->qname), "records", (json_int_t)d->n,
			 "matched", str_or_null(d->matched), "detail", str_or_null(d->detail));
}

json_t *tls_report_json(const struct tls_report *r)
{
	json_t *chain = json_array();
	json_t *o;

	for (size_t i = 0; i < r->nchain; i++)
		json_array_append_new(chain, cert_json(&r->chain[i]));
	o = json_pack("{s:b, s:o, s:I, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:o}",
		      "handshake", r->handshake_ok, "error", str_or_null(r->error),
		      "discarded", (json_int_t)r->discarded, "version", str_or_null(r->version),
		      "cipher", str_or_null(r->cipher), "bits", r->bits, "alg_bits", r->alg_bits,
		      "group", str_or_null(r->group), "peer_signature", str_or_null(r->peer_sig),
		      "peer_digest", str_or_null(r->peer_digest),
		      "sni", str_or_null(r->sni), "alpn", str_or_null(r->alpn));
	json_object_set_new(o, "chain", chain);
	json_object_set_new(o, "verification", json_pack("{s:b, s:b, s:o, s:i}",
		"checked", r->chain_checked, "ok", r->chain_ok,
		"error", str_or_null(r->verify_text), "depth", r->verify_depth));
	json_object_set_new(o, "name", json_pack("{s:o, s:b, s:o, s:o}",
		"expected", str_or_null(r->names_expected), "ok", r->name_ok,
		"matched", str_or_null(r->name_matched), "how", str_or_null(r->name_how)));
	json_object_set_new(o, "client_certificate", ccert_json(r));
	json_object_set_new(o, "crl", rev_json(&r->crl));
	json_object_set_new(o, "ocsp", rev_json(&r->ocsp));
	json_object_set_new(o, "dane", dane_json(&r->dane));
	json_object_set_new(o, "verdict", json_string(tls_verdict_name(r->verdict)));
	return o;
}
