/* DANE: TLSA lookup with the DNSSEC rule of RFC 7672 section 2.2, and the
 * OpenSSL SSL_dane_* calls around a handshake. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/dane.h"
#include "util/mem.h"
#include "util/strbuf.h"

const char *tls_dane_state_name(enum tls_dane_state s)
{
	switch (s) {
	case TLS_DANE_NO_RECORDS: return "no records";
	case TLS_DANE_INSECURE: return "insecure";
	case TLS_DANE_UNUSABLE: return "unusable";
	case TLS_DANE_TEMPFAIL: return "lookup failed";
	case TLS_DANE_READY: return "ready";
	case TLS_DANE_MATCHED: return "matched";
	case TLS_DANE_FAILED: return "failed";
	default: return "not requested";
	}
}

void tls_dane_clear(struct tls_dane *d)
{
	free(d->qname);
	free(d->base);
	for (size_t i = 0; i < d->n; i++)
		free(d->rr[i].data);
	free(d->rr);
	free(d->matched);
	free(d->detail);
	memset(d, 0, sizeof(*d));
}

static void set_state(struct tls_dane *d, enum tls_dane_state s, char *detail)
{
	d->state = s;
	free(d->detail);
	d->detail = detail;	/* taken */
}

static void tlsa_text(unsigned u, unsigned s, unsigned m, const unsigned char *data,
		      size_t len, struct strbuf *out)
{
	strbuf_addf(out, "%u %u %u ", u, s, m);
	for (size_t i = 0; i < len; i++)
		strbuf_addf(out, "%02X", data[i]);
}

/* RFC 7672 2.2: SMTP uses DANE-TA(2) and DANE-EE(3) only. */
static bool usable(const struct dns_tlsa *t, bool smtp)
{
	if (t->usage > 3 || t->selector > 1 || t->mtype > 2 || t->data.len == 0)
		return false;
	return !smtp || t->usage >= 2;
}

static void take_records(struct tls_dane *d, const struct dns_result *res, bool smtp)
{
	d->rr = xcalloc(TLS_DANE_RR_MAX, sizeof(*d->rr));
	for (size_t i = 0; i < res->n && d->n < TLS_DANE_RR_MAX; i++) {
		const struct dns_tlsa *t = &res->rr[i].tlsa;

		if (res->rr[i].type != DNS_TYPE_TLSA || !usable(t, smtp))
			continue;
		d->rr[d->n].usage = t->usage;
		d->rr[d->n].selector = t->selector;
		d->rr[d->n].mtype = t->mtype;
		d->rr[d->n].data = xmemdup(t->data.data, t->data.len);
		d->rr[d->n].len = t->data.len;
		d->n++;
	}
	if (d->n)
		set_state(d, TLS_DANE_READY, xasprintf("%zu usable TLSA records of %zu", d->n, res->n));
	else
		set_state(d, TLS_DANE_UNUSABLE, xasprintf("%zu TLSA records, none usable%s", res->n,
							  smtp ? " for SMTP (usage 2 or 3)" : ""));
}

int tls_dane_lookup(struct dns *dns, const char *host, unsigned port, bool smtp,
		    struct tls_dane *d)
{
	unsigned char ip[16];
	size_t len = strlen(host);
	struct dns_result *res;

	tls_dane_clear(d);
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
		set_state(d, TLS_DANE_NO_RECORDS, xstrdup("an IP address has no TLSA records"));
		return -1;
	}
	if (len && host[len - 1] == '.')
		len--;
	d->base = xstrndup(host, len);
	d->qname = xasprintf("_%u._tcp.%s", port, d->base);
	res = dns_query(dns, d->qname, DNS_TYPE_TLSA);
	if (res == NULL) {
		set_state(d, TLS_DANE_TEMPFAIL, xasprintf("'%s' cannot be looked up", d->qname));
		return -1;
	}
	switch (res->status) {
	case DNS_OK:
		if (res->sec != DNS_SEC_SECURE)
			set_state(d, TLS_DANE_INSECURE, xasprintf("%zu TLSA records, but the answer is %s, "
				  "not DNSSEC-secure: not used", res->n, dns_sec_name(res->sec)));
		else
			take_records(d, res, smtp);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		set_state(d, TLS_DANE_NO_RECORDS, xasprintf("no TLSA records (%s, %s)",
			  dns_status_name(res->status), dns_sec_name(res->sec)));
		break;
	default:
		set_state(d, TLS_DANE_TEMPFAIL, xasprintf("TLSA lookup %s: %s",
			  dns_status_name(res->status), res->reason ? res->reason : "no reason"));
		break;
	}
	dns_result_free(res);
	return 0;
}

int tls_dane_apply(SSL *ssl, struct tls_dane *d)
{
	size_t ok = 0;

	if (d->state != TLS_DANE_READY || SSL_dane_enable(ssl, d->base) <= 0)
		return -1;
	/* RFC 7672 3.1.1: DANE-EE(3) binds the key, whatever names it has. */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (size_t i = 0; i < d->n; i++)
		if (SSL_dane_tlsa_add(ssl, (uint8_t)d->rr[i].usage, (uint8_t)d->rr[i].selector,
				      (uint8_t)d->rr[i].mtype, d->rr[i].data, d->rr[i].len) > 0)
			ok++;
	if (ok == 0) {
		set_state(d, TLS_DANE_UNUSABLE, xstrdup("OpenSSL could use none of the TLSA records"));
		return -1;
	}
	return 0;
}

void tls_dane_result(SSL *ssl, struct tls_dane *d)
{
	uint8_t u, s, m;
	const unsigned char *data;
	size_t len;
	struct strbuf sb = STRBUF_INIT;
	int depth = SSL_get0_dane_authority(ssl, NULL, NULL);

	if (depth >= 0 && SSL_get0_dane_tlsa(ssl, &u, &s, &m, &data, &len) >= 0) {
		tlsa_text(u, s, m, data, len, &sb);
		free(d->matched);
		d->matched = strbuf_detach(&sb, NULL);
		d->depth = depth;
		set_state(d, TLS_DANE_MATCHED, NULL);
	} else {
		set_state(d, TLS_DANE_FAILED, xasprintf("none of the %zu TLSA records matches the "
							"peer's chain", d->n));
	}
}
