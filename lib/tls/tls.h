/* The one TLS module: programs fill a policy from their "tls" config
 * section (or their command line) and get server or client contexts from
 * it; they never call SSL_CTX_* themselves. TLS 1.2 at least, forward
 * secret key exchange only, mutual TLS, peer names (RFC 9525, RFC 5922),
 * revocation (CRL, OCSP), DANE, SNI, ALPN, a key log, and a reload for
 * SIGHUP. Connections go through lib/tls/stream.h; what each handshake
 * proved lands in a struct tls_report (lib/tls/report.h). */
#ifndef POSTERN_TLS_TLS_H
#define POSTERN_TLS_TLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "conf/conf.h"
#include "tls/names.h"
#include "tls/report.h"

#define TLS_LIST_MAX 64		/* names, ALPN protocols in one policy */

/* The shared "tls" section, and the same keys for a program that keeps a
 * "tls" object inside its own section ({ "tls", CONF_OBJECT, ...,
 * tls_conf_keys }). */
extern const struct conf_section tls_conf_section;
extern const struct conf_key tls_conf_keys[];

enum tls_mutual { TLS_MUTUAL_OFF, TLS_MUTUAL_OPTIONAL, TLS_MUTUAL_REQUIRED };
enum tls_revocation { TLS_REVOKE_NONE, TLS_REVOKE_LEAF, TLS_REVOKE_CHAIN };

/* A list of strings the policy owns. */
struct tls_strings {
	char **v;
	size_t n;
};

/* Every string here is owned by the policy (tls_policy_clear frees them);
 * set them with xstrdup or the tls_policy_* helpers. Contexts copy the
 * policy, so the caller may clear it after tls_*_new. */
struct tls_policy {
	/* Our certificate: server certificate, or client certificate. */
	char *cert_file;		/* PEM leaf then chain; may hold the key */
	char *key_file;			/* NULL: the key is in cert_file */
	bool cert_auto;			/* "cert": "auto": certsel's choice */
	char *cert_store;		/* the store for cert_auto */
	struct tls_strings cert_names;	/* names it must cover */

	/* Whom we trust. Neither set: the system's default CA paths. */
	char *ca_file;
	char *ca_dir;

	int min_version;		/* TLS1_2_VERSION (default) or TLS1_3_VERSION */
	enum tls_mutual mutual;		/* server: ask for a client certificate */
	/* Refuse in the handshake a peer whose chain, name, revocation or
	 * DANE check fails. Off: complete the handshake and report (mtls-probe,
	 * opportunistic SMTP, mutual "optional"). Servers with mutual
	 * "required" always refuse. */
	bool verify;
	struct tls_strings names;	/* expected peer names: any one matches */
	enum tls_name_rule name_rule;	/* TLS_NAMES_DNS or TLS_NAMES_SIP */

	enum tls_revocation revocation;
	bool crl_fetch;			/* fetch from distribution points */
	char *crl_file;			/* CRLs read from a file too */
	char *crl_cache_dir;		/* downloaded CRLs kept here, or NULL */
	bool revocation_soft_fail;	/* no CRL to be had: accept, report unknown */
	bool ocsp;			/* client: ask for stapling, else query */
	char *ocsp_url;			/* responder when the cert has no AIA */
	long long fetch_timeout_ms;	/* one CRL or OCSP fetch */

	bool dane;			/* client: use TLSA from lib/dns */
	char *sni;			/* client: server name sent; NULL: the
					   peer host when it is a name */
	struct tls_strings alpn;	/* protocols offered or accepted */
	char *keylog_file;		/* SSLKEYLOGFILE lines appended here */
};

void tls_policy_init(struct tls_policy *p);
void tls_policy_clear(struct tls_policy *p);
/* Appends a copy of s to l. */
void tls_strings_add(struct tls_strings *l, const char *s);
void tls_strings_clear(struct tls_strings *l);

/* Fills p (initialised by the caller) from a "tls" section or object node
 * as conf_load checked it. Returns 0, or -1 after logging what is wrong
 * (e.g. "cert": "auto" without a store). */
int tls_policy_from_conf(const json_t *node, struct tls_policy *p);

struct tls_ctx;

/* Contexts from a policy (copied). NULL after logging the reason: an
 * unreadable certificate, key or CA file, a key that does not match. */
struct tls_ctx *tls_server_new(const struct tls_policy *p);
struct tls_ctx *tls_client_new(const struct tls_policy *p);
/* Reads certificate, key, CA and CRL files again (SIGHUP). Connections
 * already made keep what they had. Returns 0, or -1 after logging, in
 * which case the old files stay in force. */
int tls_ctx_reload(struct tls_ctx *c);
void tls_ctx_free(struct tls_ctx *c);
const struct tls_policy *tls_ctx_policy(const struct tls_ctx *c);
bool tls_ctx_is_server(const struct tls_ctx *c);

/* For lib/tls/stream.c: a connection on fd (rfd/wfd may differ for
 * inetd), with the checks of the policy wired to report r, which must
 * outlive the SSL. peer_host is the name or address the client connected
 * to (SNI, default expected name, DANE base), or NULL on a server. */
SSL *tls_ssl_new(struct tls_ctx *c, int rfd, int wfd, const char *peer_host,
		 struct tls_report *r);
/* After SSL_do_handshake returned: completes the report (revocation by
 * OCSP, DANE, names, verdict). ok says whether the handshake succeeded;
 * err is the failure text when not. */
void tls_ssl_done(SSL *ssl, bool ok, const char *err);
/* Client, TLS 1.3, after a handshake in which the server asked for a
 * certificate: waits (at most timeout_ms, capped at 2 s, on the
 * non-blocking fd) for the server's tickets or alert, and records in the
 * report whether it accepted ours. Reads no application data. Returns 0,
 * or -1 when the server refused (the connection is then dead). */
int tls_ssl_ccert_wait(SSL *ssl, int timeout_ms);
/* The text of the OpenSSL error queue (emptied), or "unknown error". */
void tls_error_text(char *buf, size_t len);

#endif
