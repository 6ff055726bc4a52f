/* Certificate name checks: RFC 9525 (DNS-ID, IP-ID, CN only without SANs)
 * and RFC 5922 for SIP (sip: URI or DNS-ID, no wildcards). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "tls/names.h"
#include "util/strbuf.h"

#define NAME_MAX_LEN 256	/* longer than any DNS name, with a dot */

/* What the SAN walk found, to say why nothing matched. */
struct name_scan {
	int dns_or_ip;		/* the certificate has a DNS or IP SAN */
	int sip_uri;		/* ... a sip: URI SAN without a user part */
	int any_san;		/* ... a subjectAltName extension at all */
	char why[160];		/* the most telling reason so far, or "" */
};

/* Lower-cases s into out without a trailing dot; -1 when it does not fit
 * or holds a NUL (an ASN.1 string with an embedded NUL is an attack). */
static int name_norm(const char *s, size_t len, char *out, size_t outlen)
{
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen || memchr(s, 0, len))
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = 0;
	return 0;
}

static int count_labels(const char *s)
{
	int n = 1;

	for (; *s; s++)
		if (*s == '.')
			n++;
	return n;
}

static int stars(const char *s)
{
	int n = 0;

	while ((s = strchr(s, '*')))
		n++, s++;
	return n;
}

/* '*' matching any run of characters within one label: only to explain
 * a refusal, never to accept; callers bound the stars, since the
 * backtracking grows with their number. */
static int label_glob(const char *pat, const char *s)
{
	for (; *pat; pat++, s++) {
		if (*pat == '*') {
			for (;; s++) {
				if (label_glob(pat + 1, s))
					return 1;
				if (!*s || *s == '.')
					return 0;
			}
		}
		if (*pat != *s)
			return 0;
	}
	return *s == 0;
}

/* A pattern compared with host, both normalised. Wildcards only when
 * allowed, only as "*." and at least two labels after it (RFC 9525
 * 6.3); the reason a wildcard was refused goes to scan->why. */
static int name_pattern_match(const char *pat, const char *host, int wild_ok,
			      struct name_scan *scan)
{
	const char *star = strchr(pat, '*'), *dot;

	if (!star)
		return strcmp(pat, host) == 0;
	if (!wild_ok) {
		snprintf(scan->why, sizeof(scan->why),
			 "wildcard %s not accepted for SIP", pat);
		return 0;
	}
	if (star != pat || pat[1] != '.' || strchr(pat + 1, '*')) {
		/* Say so only when the glob would have matched: otherwise
		 * the certificate is simply for another name. */
		if (stars(pat) <= 4 && label_glob(pat, host))
			snprintf(scan->why, sizeof(scan->why),
				 "partial wildcard %s not accepted", pat);
		return 0;
	}
	dot = strchr(host, '.');
	if (!dot || dot == host)
		return 0;
	if (count_labels(pat + 2) < 2) {
		if (strcmp(dot + 1, pat + 2) == 0)
			snprintf(scan->why, sizeof(scan->why),
				 "wildcard %s needs two labels after it", pat);
		return 0;
	}
	if (strcmp(dot + 1, pat + 2) == 0)
		return 1;
	if (strlen(host) > strlen(pat + 1) &&
	    strcmp(host + strlen(host) - strlen(pat + 1), pat + 1) == 0)
		snprintf(scan->why, sizeof(scan->why),
			 "wildcard %s covers one label only", pat);
	return 0;
}

/* The host part of a "sip:" URI without a user part, normalised; -1 for
 * any other URI (RFC 5922 7.1: a user part names a user, not a domain). */
static int sip_uri_host(const ASN1_IA5STRING *uri, char *out, size_t outlen)
{
	const char *s = (const char *)ASN1_STRING_get0_data(uri);
	size_t len = (size_t)ASN1_STRING_length(uri), n;

	if (len < 5 || strncasecmp(s, "sip:", 4) != 0 || memchr(s, '@', len))
		return -1;
	s += 4;
	len -= 4;
	if (*s == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return -1;
		n = (size_t)(close - s - 1);
		s++;
	} else {
		for (n = 0; n < len && s[n] != ':' && s[n] != ';' && s[n] != '?'; n++)
			;
	}
	return name_norm(s, n, out, outlen);
}

/* host as an IP address: fills addr and returns its length (4 or 16),
 * 0 when host is not an address literal. Brackets are accepted. */
static int ip_parse(const char *host, unsigned char addr[16])
{
	char buf[64];
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			return 0;
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = 0;
		host = buf;
	}
	if (inet_pton(AF_INET, host, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, host, addr) == 1)
		return 16;
	return 0;
}

static void ip_format(const unsigned char *addr, int len, char *out, size_t outlen)
{
	if (len == 4)
		inet_ntop(AF_INET, addr, out, (socklen_t)outlen);
	else if (len == 16)
		inet_ntop(AF_INET6, addr, out, (socklen_t)outlen);
	else
		snprintf(out, outlen, "(bad address length %d)", len);
}

static int match_ip(GENERAL_NAMES *sans, const unsigned char *addr, int alen,
		    char *matched, size_t mlen)
{
	char text[INET6_ADDRSTRLEN];

	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type != GEN_IPADD)
			continue;
		if (ASN1_STRING_length(gn->d.iPAddress) == alen &&
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), addr, (size_t)alen) == 0) {
			ip_format(addr, alen, text, sizeof(text));
			snprintf(matched, mlen, "IP:%s", text);
			return 1;
		}
	}
	return 0;
}

/* Walks the DNS SANs (and for SIP the sip: URIs first). */
static int match_sans(GENERAL_NAMES *sans, const char *host, enum tls_name_rule rule,
		      struct name_scan *scan, char *matched, size_t mlen)
{
	char pat[NAME_MAX_LEN];

	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type == GEN_DNS || gn->type == GEN_IPADD)
			scan->dns_or_ip = 1;
		if (gn->type == GEN_URI && rule == TLS_NAMES_SIP &&
		    sip_uri_host(gn->d.uniformResourceIdentifier, pat, sizeof(pat)) == 0) {
			scan->sip_uri = 1;
			if (strcmp(pat, host) == 0) {
				snprintf(matched, mlen, "URI:sip:%s", pat);
				return 1;
			}
		}
	}
	/* RFC 5922 7.1: a DNS-ID counts only when no sip: URI is present. */
	if (rule == TLS_NAMES_SIP && scan->sip_uri)
		return 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type != GEN_DNS)
			continue;
		if (name_norm((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
			      (size_t)ASN1_STRING_length(gn->d.dNSName), pat, sizeof(pat)) < 0)
			continue;
		if (name_pattern_match(pat, host, rule == TLS_NAMES_DNS, scan)) {
			snprintf(matched, mlen, "DNS:%s", pat);
			return 1;
		}
	}
	return 0;
}

/* The most specific (last) CN of the subject, normalised; -1 if none. */
static int subject_cn(X509 *cert, char *out, size_t outlen)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	int pos = -1, last = -1;
	X509_NAME_ENTRY *e;
	ASN1_STRING *data;
	unsigned char *utf8 = NULL;
	int len, rc;

	while ((pos = X509_NAME_get_index_by_NID(subj, NID_commonName, pos)) >= 0)
		last = pos;
	if (last < 0 || !(e = X509_NAME_get_entry(subj, last)) ||
	    !(data = X509_NAME_ENTRY_get_data(e)))
		return -1;
	if ((len = ASN1_STRING_to_UTF8(&utf8, data)) < 0)
		return -1;
	rc = name_norm((const char *)utf8, (size_t)len, out, outlen);
	OPENSSL_free(utf8);
	return rc;
}

static int match_cn(X509 *cert, const char *host, enum tls_name_rule rule,
		    struct name_scan *scan, char *matched, size_t mlen)
{
	char cn[NAME_MAX_LEN];

	if (subject_cn(cert, cn, sizeof(cn)) < 0) {
		snprintf(matched, mlen, "no SAN and no CN");
		return 0;
	}
	if (name_pattern_match(cn, host, rule == TLS_NAMES_DNS, scan)) {
		snprintf(matched, mlen, "CN:%s", cn);
		return 1;
	}
	if (scan->why[0])
		snprintf(matched, mlen, "%s", scan->why);
	else
		snprintf(matched, mlen, "CN %s does not match %s (no SAN)", cn, host);
	return 0;
}

static void explain(X509 *cert, const char *host, struct name_scan *scan,
		    char *matched, size_t mlen)
{
	char cn[NAME_MAX_LEN];

	if (scan->why[0])
		snprintf(matched, mlen, "%s", scan->why);
	else if (subject_cn(cert, cn, sizeof(cn)) == 0 && strcmp(cn, host) == 0)
		snprintf(matched, mlen, "no SAN matches %s; CN ignored because SANs are present",
			 host);
	else
		snprintf(matched, mlen, "no SAN matches %s", host);
}

int tls_name_match(X509 *cert, const char *host, enum tls_name_rule rule,
		   char *matched, size_t matched_len)
{
	struct name_scan scan = { 0 };
	GENERAL_NAMES *sans;
	unsigned char addr[16];
	char norm[NAME_MAX_LEN], dummy[1];
	int alen, found = 0;

	if (!matched || matched_len == 0) {
		matched = dummy;
		matched_len = sizeof(dummy);
	}
	matched[0] = 0;
	if (!cert || !host || name_norm(host, strlen(host), norm, sizeof(norm)) < 0) {
		snprintf(matched, matched_len, "empty or overlong name");
		return 0;
	}
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	scan.any_san = sans != NULL;
	/* IP literals only ever match IP SANs: never a DNS-ID nor the CN. */
	if ((alen = ip_parse(norm, addr)) > 0) {
		found = sans && match_ip(sans, addr, alen, matched, matched_len);
		if (!found)
			snprintf(matched, matched_len, "no IP SAN matches %s", norm);
		GENERAL_NAMES_free(sans);
		return found;
	}
	if (sans)
		found = match_sans(sans, norm, rule, &scan, matched, matched_len);
	GENERAL_NAMES_free(sans);
	if (found)
		return 1;
	/* RFC 9525 drops the CN when DNS or IP SANs exist; RFC 5922 when
	 * any SAN does. */
	if (rule == TLS_NAMES_DNS ? !scan.dns_or_ip : !scan.any_san)
		return match_cn(cert, norm, rule, &scan, matched, matched_len);
	explain(cert, norm, &scan, matched, matched_len);
	return 0;
}

static void list_one(const GENERAL_NAME *gn, struct strbuf *out)
{
	char text[INET6_ADDRSTRLEN];
	const ASN1_STRING *s = NULL;
	const char *tag = NULL;

	switch (gn->type) {
	case GEN_DNS: tag = "DNS"; s = gn->d.dNSName; break;
	case GEN_URI: tag = "URI"; s = gn->d.uniformResourceIdentifier; break;
	case GEN_EMAIL: tag = "email"; s = gn->d.rfc822Name; break;
	case GEN_IPADD:
		ip_format(ASN1_STRING_get0_data(gn->d.iPAddress),
			  ASN1_STRING_length(gn->d.iPAddress), text, sizeof(text));
		strbuf_addf(out, "%sIP:%s", out->len ? ", " : "", text);
		return;
	default:
		return;
	}
	strbuf_addf(out, "%s%s:", out->len ? ", " : "", tag);
	/* Printable bytes only: the list goes into logs. */
	for (int i = 0; i < ASN1_STRING_length(s); i++) {
		unsigned char c = ASN1_STRING_get0_data(s)[i];

		strbuf_addch(out, c >= 0x21 && c < 0x7f ? (char)c : '?');
	}
}

void tls_names_list(X509 *cert, struct strbuf *out)
{
	GENERAL_NAMES *sans;
	struct strbuf tmp = STRBUF_INIT;

	if (!cert || !(sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL)))
		return;
	/* Built apart so the separators do not depend on what out holds. */
	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++)
		list_one(sk_GENERAL_NAME_value(sans, i), &tmp);
	GENERAL_NAMES_free(sans);
	strbuf_add(out, tmp.buf ? tmp.buf : "", tmp.len);
	strbuf_release(&tmp);
}
