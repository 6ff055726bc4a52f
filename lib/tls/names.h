/* Does a certificate name a host? RFC 9525 for TLS services (DNS-ID and
 * IP-ID from subjectAltName; a wildcard only as the whole left-most label,
 * never partial like "w*"; the CN only when the certificate has no DNS or
 * IP SAN at all), and RFC 5922 for SIP (a SAN URI "sip:DOMAIN" or a DNS-ID,
 * no wildcards at all, no CN when any SAN is present). */
#ifndef POSTERN_TLS_NAMES_H
#define POSTERN_TLS_NAMES_H

#include <stddef.h>
#include <openssl/x509.h>

enum tls_name_rule {
	TLS_NAMES_DNS,		/* RFC 9525 */
	TLS_NAMES_SIP,		/* RFC 5922 */
};

/* Returns 1 when cert names host under rule and writes the identifier that
 * matched ("DNS:*.example.test", "URI:sip:example.test", "IP:127.0.0.1",
 * "CN:host") into matched; 0 when not, with why (e.g. "partial wildcard
 * w*.example.test not accepted", "no SAN matches; CN ignored because SANs
 * are present") in matched. host may be an IP address literal. */
int tls_name_match(X509 *cert, const char *host, enum tls_name_rule rule,
		   char *matched, size_t matched_len);

/* Appends every DNS, IP, URI and email SAN of cert, comma-separated, in
 * the form "DNS:a.test, IP:127.0.0.1" (for reports and logs). */
struct strbuf;
void tls_names_list(X509 *cert, struct strbuf *out);

#endif
