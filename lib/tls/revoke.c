/* Revocation sources: CRLs fetched over HTTP(S) by libcurl and cached
 * until their nextUpdate, CRL files, and OCSP (stapled or queried). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "tls/fetch.h"
#include "tls/revoke.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"

#define CRL_KEEP_DEFAULT 3600	/* seconds to keep a CRL without nextUpdate */
#define CRL_FAIL_KEEP 30	/* seconds a failed fetch is not retried */
#define CRL_CACHE_MAX 256	/* URLs kept in memory */

const char *tls_rev_status_name(enum tls_rev_status s)
{
	switch (s) {
	case TLS_REV_GOOD: return "good";
	case TLS_REV_REVOKED: return "revoked";
	case TLS_REV_UNKNOWN: return "unknown";
	default: return "not checked";
	}
}

void tls_rev_result_set(struct tls_rev_result *r, enum tls_rev_status s,
			const char *source, const char *detail)
{
	tls_rev_result_clear(r);
	r->status = s;
	r->source = source ? xstrdup(source) : NULL;
	r->detail = detail ? xstrdup(detail) : NULL;
}

void tls_rev_result_clear(struct tls_rev_result *r)
{
	free(r->source);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

/* --- HTTP --- */

/* GET url, or POST post when it is not NULL; only a 200 counts. Returns
 * 0 with the body in out, or -1 with why. */
static int http_fetch(const char *url, const char *ctype, const void *post, size_t post_len,
		      long long timeout_ms, size_t max, struct strbuf *out,
		      char *why, size_t whylen)
{
	struct tls_fetch_req q = {
		.url = url, .post_type = ctype, .post = post, .post_len = post_len,
		.timeout_ms = timeout_ms, .max = max,
	};
	struct strbuf ct = STRBUF_INIT;
	long status;
	int rc;

	strbuf_init(out, 0);
	rc = tls_fetch(&q, &status, &ct, out, why, whylen);
	strbuf_release(&ct);
	if (rc == 0 && status != 200) {
		snprintf(why, whylen, "HTTP status %ld", status);
		rc = -1;
	}
	if (rc < 0)
		strbuf_release(out);
	return rc;
}

/* --- CRLs --- */

struct crl_entry {
	struct crl_entry *next;
	char *url;
	X509_CRL *crl;		/* NULL for a remembered failure */
	time_t until;		/* use it until then */
	char *why;		/* the failure */
};

struct tls_crl_cache {
	char *dir;
	long long timeout_ms;
	struct crl_entry *head;
	size_t n;
};

struct tls_crl_cache *tls_crl_cache_new(const char *dir, long long timeout_ms)
{
	struct tls_crl_cache *c = xcalloc(1, sizeof(*c));

	c->dir = dir ? xstrdup(dir) : NULL;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	return c;
}

static void entry_free(struct crl_entry *e)
{
	free(e->url);
	X509_CRL_free(e->crl);
	free(e->why);
	free(e);
}

void tls_crl_cache_free(struct tls_crl_cache *c)
{
	if (c == NULL)
		return;
	while (c->head) {
		struct crl_entry *e = c->head;

		c->head = e->next;
		entry_free(e);
	}
	free(c->dir);
	free(c);
}

static X509_CRL *crl_parse(const void *data, size_t len)
{
	const unsigned char *p = data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *b;

	if (crl)
		return crl;
	b = BIO_new_mem_buf(data, (int)len);
	crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	return crl;
}

/* Until when a CRL may be used: its nextUpdate, else an hour. */
static time_t crl_until(X509_CRL *crl, time_t now)
{
	const ASN1_TIME *t = X509_CRL_get0_nextUpdate(crl);
	struct tm tm;
	time_t until;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return now + CRL_KEEP_DEFAULT;
	until = timegm(&tm);
	/* A stale CRL is still handed over (OpenSSL then says it expired)
	 * but fetched again soon. */
	return until > now ? until : now + CRL_FAIL_KEEP;
}

static char *cache_path(const struct tls_crl_cache *c, const char *url)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	SHA256((const unsigned char *)url, strlen(url), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return xasprintf("%s/%s.crl", c->dir, hex);
}

static X509_CRL *disk_get(const struct tls_crl_cache *c, const char *url, time_t now)
{
	struct strbuf sb = STRBUF_INIT;
	X509_CRL *crl = NULL;
	char *path;

	if (c->dir == NULL)
		return NULL;
	path = cache_path(c, url);
	if (strbuf_read_file(&sb, path, TLS_CRL_MAX) == 0)
		crl = crl_parse(sb.buf, sb.len);
	if (crl && crl_until(crl, now) <= now + CRL_FAIL_KEEP) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	strbuf_release(&sb);
	free(path);
	return crl;
}

static void disk_put(const struct tls_crl_cache *c, const char *url, X509_CRL *crl)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(crl, &der);
	char *path;

	if (c->dir == NULL || n <= 0) {
		OPENSSL_free(der);
		return;
	}
	path = cache_path(c, url);
	if (atomic_write(path, der, (size_t)n, 0644) < 0)
		msg_warn("cannot write CRL cache '%s': %s", path, strerror(errno));
	free(path);
	OPENSSL_free(der);
}

static struct crl_entry *cache_find(struct tls_crl_cache *c, const char *url, time_t now)
{
	struct crl_entry **pp = &c->head;

	while (*pp) {
		struct crl_entry *e = *pp;

		if (e->until <= now) {
			*pp = e->next;
			entry_free(e);
			c->n--;
			continue;
		}
		if (strcmp(e->url, url) == 0)
			return e;
		pp = &e->next;
	}
	return NULL;
}

static struct crl_entry *cache_add(struct tls_crl_cache *c, const char *url)
{
	struct crl_entry *e = xcalloc(1, sizeof(*e));

	if (c->n >= CRL_CACHE_MAX) {
		/* Full: drop the oldest (the last of the list). */
		struct crl_entry **pp = &c->head;

		while ((*pp)->next)
			pp = &(*pp)->next;
		entry_free(*pp);
		*pp = NULL;
		c->n--;
	}
	e->url = xstrdup(url);
	e->next = c->head;
	c->head = e;
	c->n++;
	return e;
}

/* The CRL at url: memory, then disk, then the network. */
static X509_CRL *crl_get(struct tls_crl_cache *c, const char *url, struct strbuf *src)
{
	time_t now = time(NULL);
	struct crl_entry *e = cache_find(c, url, now);
	struct strbuf body = STRBUF_INIT;
	char why[256];
	X509_CRL *crl;

	if (e && e->crl) {
		strbuf_addf(src, "%s (cached)", url);
		return X509_CRL_up_ref(e->crl) ? e->crl : NULL;
	}
	if (e) {
		strbuf_addf(src, "%s: %s", url, e->why);
		return NULL;
	}
	crl = disk_get(c, url, now);
	if (crl) {
		strbuf_addf(src, "%s (cached on disk)", url);
	} else if (http_fetch(url, NULL, NULL, 0, c->timeout_ms, TLS_CRL_MAX, &body,
			      why, sizeof(why)) == 0) {
		crl = crl_parse(body.buf, body.len);
		if (crl == NULL)
			snprintf(why, sizeof(why), "not a CRL");
		else
			disk_put(c, url, crl);
		strbuf_release(&body);
	}
	e = cache_add(c, url);
	if (crl == NULL) {
		msg_warn("cannot fetch CRL '%s': %s", url, why);
		strbuf_addf(src, "%s: %s", url, why);
		e->why = xstrdup(why);
		e->until = now + CRL_FAIL_KEEP;
		return NULL;
	}
	if (src->len == 0 || strstr(src->buf, url) == NULL)
		strbuf_addstr(src, url);
	e->crl = crl;
	e->until = crl_until(crl, now);
	X509_CRL_up_ref(crl);
	return crl;
}

static bool is_http(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0;
}

STACK_OF(X509_CRL) *tls_crl_for_cert(struct tls_crl_cache *c, X509 *x, struct strbuf *src)
{
	STACK_OF(X509_CRL) *out = sk_X509_CRL_new_null();
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	int tried = 0;

	for (int i = 0; dps && i < sk_DIST_POINT_num(dps) && tried < TLS_CRL_URLS_MAX; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *gns;

		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		gns = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(gns) && tried < TLS_CRL_URLS_MAX; j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, j);
			char *url;
			size_t len;
			X509_CRL *crl;

			if (gn->type != GEN_URI)
				continue;
			len = (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier);
			url = xstrndup((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
				       len);
			/* An embedded NUL would make the URL say something else. */
			if (is_http(url) && strlen(url) == len) {
				if (src->len)
					strbuf_addstr(src, "; ");
				tried++;
				crl = crl_get(c, url, src);
				if (crl)
					sk_X509_CRL_push(out, crl);
			}
			free(url);
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return out;
}

STACK_OF(X509_CRL) *tls_crl_load_file(const char *path, char *why, size_t whylen)
{
	struct strbuf sb = STRBUF_INIT;
	STACK_OF(X509_CRL) *out;
	X509_CRL *crl;
	BIO *b;

	if (strbuf_read_file(&sb, path, TLS_CRL_MAX) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	out = sk_X509_CRL_new_null();
	b = BIO_new_mem_buf(sb.buf, (int)sb.len);
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL)
		sk_X509_CRL_push(out, crl);
	BIO_free(b);
	ERR_clear_error();
	if (sk_X509_CRL_num(out) == 0 && (crl = crl_parse(sb.buf, sb.len)) != NULL)
		sk_X509_CRL_push(out, crl);
	strbuf_release(&sb);
	if (sk_X509_CRL_num(out) == 0) {
		sk_X509_CRL_free(out);
		snprintf(why, whylen, "no CRL in it (PEM or DER)");
		return NULL;
	}
	return out;
}

/* --- OCSP --- */

static X509 *find_issuer(X509 *leaf, STACK_OF(X509) *chain, X509_STORE *store)
{
	X509_STORE_CTX *xs;
	X509 *issuer = NULL;

	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (X509_check_issued(c, leaf) == X509_V_OK && X509_up_ref(c))
			return c;
	}
	xs = X509_STORE_CTX_new();
	if (xs && X509_STORE_CTX_init(xs, store, leaf, chain) == 1)
		X509_STORE_CTX_get1_issuer(&issuer, xs, leaf);
	X509_STORE_CTX_free(xs);
	return issuer;
}

/* Sends the request for id to url; NULL with why on failure. */
static OCSP_RESPONSE *ocsp_query(const char *url, OCSP_REQUEST *req, long long timeout_ms,
				 char *why, size_t whylen)
{
	unsigned char *der = NULL;
	int n = i2d_OCSP_REQUEST(req, &der);
	struct strbuf body = STRBUF_INIT;
	OCSP_RESPONSE *resp = NULL;
	const unsigned char *p;

	if (n <= 0) {
		snprintf(why, whylen, "cannot encode the OCSP request");
		return NULL;
	}
	if (http_fetch(url, "application/ocsp-request", der, (size_t)n, timeout_ms,
		       TLS_OCSP_MAX, &body, why, whylen) == 0) {
		p = (const unsigned char *)body.buf;
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)body.len);
		if (resp == NULL)
			snprintf(why, whylen, "not an OCSP response");
	}
	strbuf_release(&body);
	OPENSSL_free(der);
	return resp;
}

static void ocsp_status(OCSP_BASICRESP *bs, OCSP_CERTID *id, const char *src,
			struct tls_rev_result *out)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int status, reason;
	char detail[160], when[32] = "";
	struct tm tm;

	if (!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd)) {
		tls_rev_result_set(out, TLS_REV_UNKNOWN, src, "the response does not cover the certificate");
		return;
	}
	if (!OCSP_check_validity(thisupd, nextupd, 300, -1)) {
		tls_rev_result_set(out, TLS_REV_UNKNOWN, src, "the response is out of date");
		return;
	}
	if (status == V_OCSP_CERTSTATUS_GOOD) {
		tls_rev_result_set(out, TLS_REV_GOOD, src, NULL);
	} else if (status == V_OCSP_CERTSTATUS_REVOKED) {
		if (rev && ASN1_TIME_to_tm(rev, &tm) == 1)
			strftime(when, sizeof(when), " on %Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(detail, sizeof(detail), "revoked%s (%s)", when,
			 reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason given");
		tls_rev_result_set(out, TLS_REV_REVOKED, src, detail);
	} else {
		tls_rev_result_set(out, TLS_REV_UNKNOWN, src, "the responder does not know the certificate");
	}
}

static char *aia_url(X509 *leaf)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(leaf);
	char *u = NULL;

	if (urls && sk_OPENSSL_STRING_num(urls) > 0)
		u = xstrdup(sk_OPENSSL_STRING_value(urls, 0));
	X509_email_free(urls);
	return u;
}

void tls_ocsp_check(X509 *leaf, STACK_OF(X509) *chain, X509_STORE *store,
		    const unsigned char *stapled, size_t stapled_len,
		    const char *url, long long timeout_ms, struct tls_rev_result *out)
{
	X509 *issuer = find_issuer(leaf, chain, store);
	OCSP_CERTID *id = issuer ? OCSP_cert_to_id(NULL, leaf, issuer) : NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	char *aia = NULL, *src = NULL, why[256] = "";

	if (id == NULL) {
		tls_rev_result_set(out, TLS_REV_UNKNOWN, "ocsp", "the issuer of the certificate is unknown");
		goto done;
	}
	if (stapled) {
		const unsigned char *p = stapled;

		src = xstrdup("ocsp stapled");
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)stapled_len);
		if (resp == NULL)
			snprintf(why, sizeof(why), "the stapled response does not parse");
	} else {
		if (url == NULL)
			url = aia = aia_url(leaf);
		if (url == NULL) {
			tls_rev_result_set(out, TLS_REV_UNKNOWN, "ocsp",
					   "no stapled response and no responder in the certificate");
			goto done;
		}
		src = xasprintf("ocsp %s", url);
		req = OCSP_REQUEST_new();
		OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
		OCSP_request_add1_nonce(req, NULL, -1);
		resp = ocsp_query(url, req, timeout_ms, why, sizeof(why));
	}
	if (resp && OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		snprintf(why, sizeof(why), "responder says %s",
			 OCSP_response_status_str(OCSP_response_status(resp)));
	else if (resp && (bs = OCSP_response_get1_basic(resp)) == NULL)
		snprintf(why, sizeof(why), "no basic response");
	else if (bs && req && OCSP_check_nonce(req, bs) == 0)
		snprintf(why, sizeof(why), "the nonce does not match");
	else if (bs && OCSP_basic_verify(bs, chain, store, 0) <= 0)
		snprintf(why, sizeof(why), "the response signature does not verify");
	if (why[0] || bs == NULL)
		tls_rev_result_set(out, TLS_REV_UNKNOWN, src, why[0] ? why : "no response");
	else
		ocsp_status(bs, id, src, out);
done:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	X509_free(issuer);
	free(aia);
	free(src);
}
