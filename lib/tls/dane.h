/* DANE (RFC 6698, RFC 7672 for SMTP): TLSA records looked up through the
 * DNS module and used only when the answer is DNSSEC-secure, handed to
 * OpenSSL's SSL_dane_* verification, and the outcome for the report. */
#ifndef POSTERN_TLS_DANE_H
#define POSTERN_TLS_DANE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "dns/dns.h"

#define TLS_DANE_RR_MAX 32		/* TLSA records used from one answer */

enum tls_dane_state {
	TLS_DANE_NOT_REQUESTED,
	TLS_DANE_NO_RECORDS,	/* NXDOMAIN or NODATA: DANE does not apply */
	TLS_DANE_INSECURE,	/* records, but not DNSSEC-secure: ignored */
	TLS_DANE_UNUSABLE,	/* secure records, none usable (RFC 7672 2.2) */
	TLS_DANE_TEMPFAIL,	/* lookup failed or DNSSEC bogus */
	TLS_DANE_READY,		/* usable records, handshake not yet done */
	TLS_DANE_MATCHED,	/* a record matched the peer's chain */
	TLS_DANE_FAILED,	/* usable records, none matched */
};

struct tls_tlsa {
	unsigned usage, selector, mtype;
	unsigned char *data;
	size_t len;
};

/* What DANE found for one peer. Owns everything; tls_dane_clear. */
struct tls_dane {
	enum tls_dane_state state;
	char *qname;		/* "_25._tcp.mail.example.test" */
	char *base;		/* "mail.example.test": names for DANE-TA(2) */
	struct tls_tlsa *rr;	/* the usable records */
	size_t n;
	char *matched;		/* "3 1 1 AB12..." the record that matched */
	int depth;		/* the chain depth it matched at */
	char *detail;		/* why, for NO_RECORDS..TEMPFAIL and FAILED */
};

/* Looks up TLSA for _PORT._tcp.HOST and fills out (state READY when
 * usable records came with a secure answer). smtp: only DANE-TA(2) and
 * DANE-EE(3) are usable, as RFC 7672 says; else all four usages are.
 * Returns 0, or -1 when host is not a name fit for DANE (an IP). */
int tls_dane_lookup(struct dns *d, const char *host, unsigned port, bool smtp,
		    struct tls_dane *out);
/* Arms ssl with the records before the handshake (state READY only; the
 * SSL_CTX had DANE enabled by tls_client_new). Returns 0 or -1. */
int tls_dane_apply(SSL *ssl, struct tls_dane *dane);
/* After the handshake: MATCHED with the record, or FAILED. */
void tls_dane_result(SSL *ssl, struct tls_dane *dane);
void tls_dane_clear(struct tls_dane *dane);
/* "not requested", "no records", "insecure", ... "matched", "failed". */
const char *tls_dane_state_name(enum tls_dane_state s);

#endif
