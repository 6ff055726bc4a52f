/* What a TLS handshake established and what was verified: protocol,
 * cipher, group, the peer chain, chain and name checks, the client
 * certificate exchange, revocation, DANE, and the posttls-finger style
 * verdict. Programs log it as one logfmt line or turn it into JSON;
 * mtls-probe prints it. */
#ifndef POSTERN_TLS_REPORT_H
#define POSTERN_TLS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "tls/cert.h"
#include "tls/dane.h"
#include "tls/revoke.h"
#include "util/strbuf.h"

#define TLS_REPORT_CHAIN_MAX 10		/* certificates described */
#define TLS_REPORT_CA_NAMES_MAX 100	/* acceptable CA names kept */

/* posttls-finger's words for what was proved about the peer. */
enum tls_verdict {
	TLS_VERDICT_NONE,	/* no TLS session */
	TLS_VERDICT_ANONYMOUS,	/* no certificate */
	TLS_VERDICT_UNTRUSTED,	/* the chain does not verify */
	TLS_VERDICT_TRUSTED,	/* the chain verifies, the name does not match */
	TLS_VERDICT_VERIFIED,	/* chain and name (or a DANE match) */
};

enum tls_tri { TLS_TRI_UNKNOWN, TLS_TRI_NO, TLS_TRI_YES };

struct tls_report_cert {
	char *subject;		/* RFC 2253 */
	char *issuer;
	char serial[80];
	char sha1[CERT_FP_MAX];
	char sha256[CERT_FP_MAX];
	char not_before[32];	/* "2027-03-01T12:00:00Z" */
	char not_after[32];
	char *names;		/* "DNS:a.test, IP:127.0.0.1", or "" */
};

/* Filled by the TLS module during and after a handshake. Owns every
 * string and array in it: tls_report_clear. Callers may set discarded. */
struct tls_report {
	bool server_side;	/* we were the server; the peer is a client */
	bool handshake_ok;
	char *error;		/* the handshake failure, or NULL */
	size_t discarded;	/* plaintext bytes dropped at STARTTLS */
	char *version;		/* "TLSv1.3" */
	char *cipher;		/* "TLS_AES_256_GCM_SHA384" */
	int bits, alg_bits;
	char *group;		/* key exchange group: "X25519", "ffdhe2048" */
	char *peer_sig;		/* peer's signature: "ECDSA (P-256)", or NULL */
	char *peer_digest;	/* and its digest: "SHA256", or NULL */
	char *sni;		/* sent (client) or received (server) */
	char *alpn;		/* negotiated protocol */

	struct tls_report_cert *chain;	/* as the peer sent it, leaf first */
	size_t nchain;

	bool chain_checked;	/* a CA store was there to check against */
	bool chain_ok;
	int verify_error;	/* first X509_V_ERR_* that is not about revocation */
	int verify_depth;
	char *verify_text;	/* "unable to get local issuer certificate" */

	char *names_expected;	/* "a.test, b.test", or NULL when none */
	bool name_ok;
	char *name_matched;	/* expected name that matched, or NULL */
	char *name_how;		/* the identifier matched ("DNS:*.a.test") or
				   why none did */

	/* The client certificate exchange (client side: ours; server side:
	   the peer's is the chain above). */
	bool ccert_asked;
	char **ca_names;	/* acceptable CA names the server listed */
	size_t nca_names;
	bool ccert_sent;
	enum tls_tri ccert_accepted;
	char *ccert_error;	/* the alert when refused */

	struct tls_rev_result crl;
	struct tls_rev_result ocsp;
	struct tls_dane dane;

	enum tls_verdict verdict;
};

void tls_report_init(struct tls_report *r);
void tls_report_clear(struct tls_report *r);

/* Fills version, cipher, group, chain, names and verdict from ssl after
 * the handshake (the module's own checks have already been recorded). */
void tls_report_fill(struct tls_report *r, SSL *ssl);
/* Recomputes the verdict from the fields. */
void tls_report_verdict(struct tls_report *r);
/* Describes one certificate into rc (cleared first by the caller). */
void tls_report_cert_fill(struct tls_report_cert *rc, X509 *x);

/* "Anonymous", "Untrusted", "Trusted", "Verified", "none". */
const char *tls_verdict_name(enum tls_verdict v);

/* One logfmt line: "tls=TLSv1.3 cipher=... verdict=Verified ...".
 * Appends to out. */
void tls_report_logfmt(const struct tls_report *r, struct strbuf *out);
/* Logs it at info (a handshake failure at warning), after "TLS peer ". */
void tls_report_log(const struct tls_report *r, const char *peer);
/* A new JSON object with every field; the caller owns it. */
json_t *tls_report_json(const struct tls_report *r);

#endif
