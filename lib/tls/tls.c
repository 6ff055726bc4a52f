/* The TLS module: the "tls" config keys, policies, server and client
 * contexts, and the per-connection checks (chain, names, CRLs, OCSP, DANE,
 * client certificate) recorded into a struct tls_report. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "net/wait.h"
#include "tls/certstore.h"
#include "tls/tls.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"

/* TLS 1.2 suites with ephemeral key exchange only; TLS 1.3's are all
 * forward secret. */
#define TLS_FS_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:" \
	"ECDHE+AES:DHE+AES:!aNULL:!eNULL:!PSK:!SRP:!DSS"
/* How long to wait for a TLS 1.3 server's verdict on our certificate. */
#define TLS_CCERT_WAIT_MS 2000

const struct conf_key tls_conf_keys[] = {
	{ "cert", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "certificate file (PEM: leaf, then chain, maybe the key), or \"auto\" for certsel's choice from store" },
	{ "key", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "private key file; absent: the key is in the certificate file" },
	{ "store", CONF_PATH, "\"/etc/postern/certs\"", 0, 0, NULL, NULL, 0,
	  "certificate store for \"cert\": \"auto\"" },
	{ "cert_names", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "names the automatically chosen certificate must cover" },
	{ "ca", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "trusted CA certificates: a PEM file or a hashed directory; absent: the system's" },
	{ "min_version", CONF_ENUM, "\"1.2\"", 0, 0, "1.2|1.3", NULL, 0,
	  "lowest TLS version accepted" },
	{ "mutual", CONF_ENUM, "\"off\"", 0, 0, "off|optional|required", NULL, 0,
	  "server: ask clients for a certificate, and whether one that fails is refused" },
	{ "verify", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "client: refuse a server whose chain, name, revocation or DANE check fails" },
	{ "names", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "peer names expected (any one matches); empty: the host connected to" },
	{ "name_rule", CONF_ENUM, "\"dns\"", 0, 0, "dns|sip", NULL, 0,
	  "name matching: RFC 9525 (dns) or RFC 5922 (sip)" },
	{ "revocation", CONF_ENUM, "\"none\"", 0, 0, "none|leaf|chain", NULL, 0,
	  "which certificates of the peer's chain are checked against CRLs" },
	{ "crl_fetch", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "fetch CRLs from the certificates' distribution points (http, https)" },
	{ "crl_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "CRLs from a file (PEM or DER), reloaded on SIGHUP" },
	{ "crl_cache", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "directory keeping fetched CRLs until their nextUpdate" },
	{ "revocation_soft_fail", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "accept a peer whose CRL cannot be had (reported as unknown)" },
	{ "ocsp", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "client: ask for a stapled OCSP response, else query the responder" },
	{ "ocsp_url", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "OCSP responder for certificates without one in their AIA" },
	{ "fetch_timeout", CONF_DURATION, "\"10s\"", 100, 300000, NULL, NULL, 0,
	  "how long one CRL or OCSP fetch may take" },
	{ "dane", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "client: authenticate servers by DNSSEC-secure TLSA records" },
	{ "sni", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "client: server name to send; absent: the host connected to" },
	{ "alpn", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "application protocols offered (client) or accepted (server)" },
	{ "keylog", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "append session secrets in SSLKEYLOGFILE format (debugging only)" },
	{ NULL }
};

const struct conf_section tls_conf_section = {
	"tls", tls_conf_keys, "TLS policy: certificate, trust, versions, mutual TLS, revocation, DANE"
};

struct tls_ctx {
	bool server;
	struct tls_policy pol;
	SSL_CTX *ssl_ctx;
	struct tls_crl_cache *crls;
};

/* One connection's checks, attached to its SSL. */
struct tls_conn {
	struct tls_ctx *c;
	struct tls_report *r;
	char *host;
	struct tls_strings names;	/* expected: the policy's or host */
	bool enforce;			/* refuse on a failed check */
	int first_err, first_depth;
	bool revoked;
	int revoked_depth;
	char *crl_err;			/* first CRL problem, for "unknown" */
	bool crl_looked;		/* a CRL lookup ran for the leaf */
	struct strbuf crl_src;		/* where the leaf's CRLs came from */
	STACK_OF(X509_CRL) *seen;	/* every CRL fetched for this chain */
	bool ticket_seen;
};

static int conn_idx = -1, ctx_idx = -1;

static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
			 long argl, void *argp)
{
	struct tls_conn *cn = ptr;

	if (cn == NULL)
		return;
	free(cn->host);
	tls_strings_clear(&cn->names);
	free(cn->crl_err);
	strbuf_release(&cn->crl_src);
	sk_X509_CRL_pop_free(cn->seen, X509_CRL_free);
	free(cn);
}

static void indexes_init(void)
{
	if (conn_idx < 0)
		conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_cb);
	if (ctx_idx < 0)
		ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct tls_conn *conn_of(const SSL *ssl)
{
	return ssl ? SSL_get_ex_data(ssl, conn_idx) : NULL;
}

static SSL *ssl_of_store(const X509_STORE_CTX *xs)
{
	return X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
}

void tls_error_text(char *buf, size_t len)
{
	/* The earliest error is the cause; the later ones say where it
	 * surfaced ("system lib", "no such file"). */
	unsigned long e = ERR_get_error();
	const char *r;

	if (e == 0)
		r = "unknown error";
	else if (ERR_SYSTEM_ERROR(e))
		r = strerror(ERR_GET_REASON(e));
	else
		r = ERR_reason_error_string(e);
	if (r)
		snprintf(buf, len, "%s", r);
	else
		snprintf(buf, len, "OpenSSL error %lx", e);
	ERR_clear_error();
}

/* --- policies --- */

void tls_strings_add(struct tls_strings *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrdup(s);
}

void tls_strings_clear(struct tls_strings *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void strings_copy(struct tls_strings *to, const struct tls_strings *from)
{
	memset(to, 0, sizeof(*to));
	for (size_t i = 0; i < from->n; i++)
		tls_strings_add(to, from->v[i]);
}

void tls_policy_init(struct tls_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->min_version = TLS1_2_VERSION;
	p->verify = true;
	p->name_rule = TLS_NAMES_DNS;
	p->crl_fetch = true;
	p->fetch_timeout_ms = 10000;
}

void tls_policy_clear(struct tls_policy *p)
{
	free(p->cert_file);
	free(p->key_file);
	free(p->cert_store);
	tls_strings_clear(&p->cert_names);
	free(p->ca_file);
	free(p->ca_dir);
	tls_strings_clear(&p->names);
	free(p->crl_file);
	free(p->crl_cache_dir);
	free(p->ocsp_url);
	free(p->sni);
	tls_strings_clear(&p->alpn);
	free(p->keylog_file);
	tls_policy_init(p);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void policy_copy(struct tls_policy *to, const struct tls_policy *from)
{
	*to = *from;
	to->cert_file = dup_or_null(from->cert_file);
	to->key_file = dup_or_null(from->key_file);
	to->cert_store = dup_or_null(from->cert_store);
	strings_copy(&to->cert_names, &from->cert_names);
	to->ca_file = dup_or_null(from->ca_file);
	to->ca_dir = dup_or_null(from->ca_dir);
	strings_copy(&to->names, &from->names);
	to->crl_file = dup_or_null(from->crl_file);
	to->crl_cache_dir = dup_or_null(from->crl_cache_dir);
	to->ocsp_url = dup_or_null(from->ocsp_url);
	to->sni = dup_or_null(from->sni);
	strings_copy(&to->alpn, &from->alpn);
	to->keylog_file = dup_or_null(from->keylog_file);
}

static void conf_strings(const json_t *node, const char *key, struct tls_strings *l)
{
	size_t n = conf_strings_len(node, key);

	for (size_t i = 0; i < n && l->n < TLS_LIST_MAX; i++)
		tls_strings_add(l, conf_strings_at(node, key, i));
}

static int enum_index(const char *v, const char *const *names, int def)
{
	for (int i = 0; v && names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return def;
}

int tls_policy_from_conf(const json_t *node, struct tls_policy *p)
{
	static const char *const mutual[] = { "off", "optional", "required", NULL };
	static const char *const revo[] = { "none", "leaf", "chain", NULL };
	const char *cert = conf_str(node, "cert"), *ca = conf_str(node, "ca");
	struct stat st;

	if (cert && strcmp(cert, "auto") == 0) {
		p->cert_auto = true;
		p->cert_store = dup_or_null(conf_str(node, "store"));
	} else {
		p->cert_file = dup_or_null(cert);
	}
	p->key_file = dup_or_null(conf_str(node, "key"));
	conf_strings(node, "cert_names", &p->cert_names);
	if (ca && stat(ca, &st) == 0 && S_ISDIR(st.st_mode))
		p->ca_dir = xstrdup(ca);
	else
		p->ca_file = dup_or_null(ca);
	p->min_version = strcmp(conf_str(node, "min_version"), "1.3") == 0 ?
		TLS1_3_VERSION : TLS1_2_VERSION;
	p->mutual = enum_index(conf_str(node, "mutual"), mutual, TLS_MUTUAL_OFF);
	p->verify = conf_bool(node, "verify");
	conf_strings(node, "names", &p->names);
	p->name_rule = strcmp(conf_str(node, "name_rule"), "sip") == 0 ?
		TLS_NAMES_SIP : TLS_NAMES_DNS;
	p->revocation = enum_index(conf_str(node, "revocation"), revo, TLS_REVOKE_NONE);
	p->crl_fetch = conf_bool(node, "crl_fetch");
	p->crl_file = dup_or_null(conf_str(node, "crl_file"));
	p->crl_cache_dir = dup_or_null(conf_str(node, "crl_cache"));
	p->revocation_soft_fail = conf_bool(node, "revocation_soft_fail");
	p->ocsp = conf_bool(node, "ocsp");
	p->ocsp_url = dup_or_null(conf_str(node, "ocsp_url"));
	p->fetch_timeout_ms = conf_int(node, "fetch_timeout");
	p->dane = conf_bool(node, "dane");
	p->sni = dup_or_null(conf_str(node, "sni"));
	conf_strings(node, "alpn", &p->alpn);
	p->keylog_file = dup_or_null(conf_str(node, "keylog"));
	if (p->cert_auto && p->cert_names.n == 0 && p->names.n == 0) {
		msg_error("\"cert\": \"auto\" needs cert_names to choose by");
		return -1;
	}
	return 0;
}

/* --- callbacks --- */

static bool crl_error(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
		return true;
	}
	return false;
}

/* Records every problem and, when the policy enforces, refuses. Returning
 * 1 on an error lets OpenSSL go on, so that one handshake reports all. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	struct tls_conn *cn = conn_of(ssl_of_store(xs));
	int err = X509_STORE_CTX_get_error(xs);
	int depth = X509_STORE_CTX_get_error_depth(xs);

	if (cn == NULL)
		return ok;
	if (ok)
		return 1;
	if (err == X509_V_ERR_CERT_REVOKED) {
		if (!cn->revoked || depth < cn->revoked_depth)
			cn->revoked_depth = depth;
		cn->revoked = true;
		return cn->enforce ? 0 : 1;
	}
	if (crl_error(err)) {
		if (cn->crl_err == NULL)
			cn->crl_err = xasprintf("%s (depth %d)",
						X509_verify_cert_error_string(err), depth);
		return cn->enforce && !cn->c->pol.revocation_soft_fail ? 0 : 1;
	}
	if (cn->first_err == 0) {
		cn->first_err = err;
		cn->first_depth = depth;
	}
	return cn->enforce ? 0 : 1;
}

static bool same_issuer(X509_CRL *crl, const X509_NAME *nm)
{
	return X509_NAME_cmp(X509_CRL_get_issuer(crl), nm) == 0;
}

/* CRLs for the certificate being checked: those of the store (crl_file),
 * those fetched earlier in this chain from the same issuer (a root's own
 * CRL is named only by the certificates below it), and those of its
 * distribution points. */
static STACK_OF(X509_CRL) *lookup_crls(const X509_STORE_CTX *xs, const X509_NAME *nm)
{
	STACK_OF(X509_CRL) *sk = X509_STORE_CTX_get1_crls(xs, nm), *got;
	struct tls_conn *cn = conn_of(ssl_of_store(xs));
	X509 *x = X509_STORE_CTX_get_current_cert(xs);
	int depth = X509_STORE_CTX_get_error_depth(xs);
	struct strbuf src = STRBUF_INIT;

	if (sk == NULL)
		sk = sk_X509_CRL_new_null();
	if (cn == NULL || x == NULL)
		return sk;
	if (sk_X509_CRL_num(sk) > 0 && cn->c->pol.crl_file)
		strbuf_addf(&src, "file %s", cn->c->pol.crl_file);
	for (int i = 0; i < sk_X509_CRL_num(cn->seen); i++) {
		X509_CRL *crl = sk_X509_CRL_value(cn->seen, i);

		if (same_issuer(crl, nm) && X509_CRL_up_ref(crl))
			sk_X509_CRL_push(sk, crl);
	}
	if (cn->c->pol.crl_fetch && cn->c->crls) {
		got = tls_crl_for_cert(cn->c->crls, x, &src);
		while (sk_X509_CRL_num(got) > 0) {
			X509_CRL *crl = sk_X509_CRL_shift(got);

			if (X509_CRL_up_ref(crl))
				sk_X509_CRL_push(cn->seen, crl);
			sk_X509_CRL_push(sk, crl);
		}
		sk_X509_CRL_free(got);
	}
	if (depth == 0) {
		cn->crl_looked = true;
		strbuf_reset(&cn->crl_src);
		strbuf_addstr(&cn->crl_src, src.len ? src.buf : "no CRL source");
	}
	strbuf_release(&src);
	return sk;
}

static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_ctx *c = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	char *text;
	int fd;

	if (c == NULL || c->pol.keylog_file == NULL)
		return;
	fd = open(c->pol.keylog_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg_warn("cannot open key log '%s': %s", c->pol.keylog_file, strerror(errno));
		return;
	}
	/* One write per line, so that lines of concurrent processes never
	 * interleave. */
	text = xasprintf("%s\n", line);
	if (write(fd, text, strlen(text)) < 0)
		msg_warn("cannot write key log '%s': %s", c->pol.keylog_file, strerror(errno));
	free(text);
	close(fd);
}

/* Client: the server sent a CertificateRequest. */
static int cert_cb(SSL *ssl, void *arg)
{
	struct tls_conn *cn = conn_of(ssl);

	if (cn)
		cn->r->ccert_asked = true;
	return 1;
}

/* Client: a TLS 1.3 server sends tickets once it has accepted our
 * Finished, and so our certificate. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_conn *cn = conn_of(ssl);

	if (cn)
		cn->ticket_seen = true;
	return 0;
}

static void alpn_wire(const struct tls_strings *l, struct strbuf *out)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t n = strlen(l->v[i]);

		if (n == 0 || n > 255)
			continue;
		strbuf_addch(out, (char)n);
		strbuf_add(out, l->v[i], n);
	}
}

static int alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			  const unsigned char *in, unsigned inlen, void *arg)
{
	struct tls_ctx *c = arg;
	struct strbuf w = STRBUF_INIT;
	unsigned char *o;
	int rc;

	alpn_wire(&c->pol.alpn, &w);
	rc = SSL_select_next_proto(&o, outlen, (const unsigned char *)w.buf,
				   (unsigned)w.len, in, inlen);
	strbuf_release(&w);
	if (rc != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	/* o points into in, which outlives the callback. */
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

/* --- contexts --- */

static int install_cert(SSL_CTX *sc, X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key,
			const char *path)
{
	char err[256];

	if (SSL_CTX_use_certificate(sc, cert) != 1)
		goto fail;
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		if (SSL_CTX_add1_chain_cert(sc, sk_X509_value(chain, i)) != 1)
			goto fail;
	if (SSL_CTX_use_PrivateKey(sc, key) != 1 || SSL_CTX_check_private_key(sc) != 1)
		goto fail;
	return 0;
fail:
	tls_error_text(err, sizeof(err));
	msg_error("cannot use certificate '%s' with its key: %s", path, err);
	return -1;
}

/* The "cert": "auto" hook: certsel's choice from the store
 * (lib/tls/certstore.h), judged for this context's purpose. */
static int load_auto_cert(SSL_CTX *sc, const struct tls_policy *p, bool server)
{
	const struct tls_strings *names = p->cert_names.n ? &p->cert_names : &p->names;
	struct certstore_query q = {
		.store = p->cert_store,
		.names = (const char *const *)names->v,
		.nnames = names->n,
		.purpose = server ? CERT_PURPOSE_SERVER : CERT_PURPOSE_CLIENT,
	};
	struct certstore_choice ch;
	char why[CERTSTORE_WHY_MAX];
	int rc;

	if (p->cert_store == NULL) {
		msg_error("\"cert\": \"auto\" needs a store");
		return -1;
	}
	rc = certstore_select(&q, &ch, NULL, why, sizeof(why));
	if (rc != CERTSTORE_CHOSEN) {
		msg_error("no valid certificate in store '%s': %s", p->cert_store, why);
		return -1;
	}
	certstore_choice_log(&ch, 0);
	rc = install_cert(sc, ch.cert, ch.chain, ch.key, ch.cert_path);
	certstore_choice_free(&ch);
	return rc;
}

static int load_own_cert(SSL_CTX *sc, const struct tls_policy *p, bool server)
{
	struct cert_bundle b;
	char why[CERT_WHY_MAX];
	int rc;

	if (p->cert_auto)
		return load_auto_cert(sc, p, server);
	if (p->cert_file == NULL) {
		if (server)
			msg_error("a TLS server needs a certificate (tls.cert)");
		return server ? -1 : 0;
	}
	if (cert_load_file(p->cert_file, NULL, &b, why, sizeof(why)) < 0) {
		msg_error("cannot load certificate '%s': %s", p->cert_file, why);
		return -1;
	}
	if (p->key_file) {
		EVP_PKEY_free(b.key);
		b.key = NULL;
		if (cert_load_key_file(p->key_file, &b.key, why, sizeof(why)) < 0) {
			msg_error("cannot load key '%s': %s", p->key_file, why);
			cert_bundle_free(&b);
			return -1;
		}
	}
	if (b.key == NULL || b.cert == NULL) {
		msg_error("cannot use certificate '%s': %s", p->cert_file,
			  b.cert ? "no private key (set tls.key)" : "no certificate in it");
		cert_bundle_free(&b);
		return -1;
	}
	rc = install_cert(sc, b.cert, b.chain, b.key, p->cert_file);
	cert_bundle_free(&b);
	return rc;
}

static int load_trust(SSL_CTX *sc, const struct tls_policy *p, bool server)
{
	char err[256];

	if (p->ca_file || p->ca_dir) {
		if (SSL_CTX_load_verify_locations(sc, p->ca_file, p->ca_dir) != 1) {
			tls_error_text(err, sizeof(err));
			msg_error("cannot load CA certificates '%s': %s",
				  p->ca_file ? p->ca_file : p->ca_dir, err);
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(sc) != 1) {
		msg_warn("cannot load the system's CA certificates");
	}
	if (server && p->mutual != TLS_MUTUAL_OFF) {
		/* The acceptable CA names sent in the CertificateRequest. */
		STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();

		if (p->ca_file)
			SSL_add_file_cert_subjects_to_stack(names, p->ca_file);
		if (p->ca_dir)
			SSL_add_dir_cert_subjects_to_stack(names, p->ca_dir);
		SSL_CTX_set_client_CA_list(sc, names);
	}
	return 0;
}

static int load_crls(SSL_CTX *sc, const struct tls_policy *p)
{
	X509_STORE *store = SSL_CTX_get_cert_store(sc);
	unsigned long flags = X509_V_FLAG_CRL_CHECK;
	STACK_OF(X509_CRL) *crls;
	char why[256];

	if (p->revocation == TLS_REVOKE_NONE)
		return 0;
	if (p->crl_file) {
		crls = tls_crl_load_file(p->crl_file, why, sizeof(why));
		if (crls == NULL) {
			msg_error("cannot load CRL file '%s': %s", p->crl_file, why);
			return -1;
		}
		for (int i = 0; i < sk_X509_CRL_num(crls); i++)
			X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i));
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
	}
	if (p->revocation == TLS_REVOKE_CHAIN)
		flags |= X509_V_FLAG_CRL_CHECK_ALL;
	X509_STORE_set_flags(store, flags);
	X509_STORE_set_lookup_crls(store, lookup_crls);
	return 0;
}

static void set_protocol(SSL_CTX *sc, struct tls_ctx *c)
{
	SSL_CTX_set_min_proto_version(sc, c->pol.min_version);
	SSL_CTX_set_cipher_list(sc, TLS_FS_CIPHERS);
	SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
			    (c->server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_clear_mode(sc, SSL_MODE_AUTO_RETRY);
	if (c->server)
		SSL_CTX_set_dh_auto(sc, 1);
}

static void set_callbacks(SSL_CTX *sc, struct tls_ctx *c)
{
	const struct tls_policy *p = &c->pol;
	int mode = SSL_VERIFY_PEER;

	if (c->server) {
		if (p->mutual == TLS_MUTUAL_OFF)
			mode = SSL_VERIFY_NONE;
		else if (p->mutual == TLS_MUTUAL_REQUIRED)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		if (p->alpn.n)
			SSL_CTX_set_alpn_select_cb(sc, alpn_select_cb, c);
		/* One session id context per program, for resumption. */
		SSL_CTX_set_session_id_context(sc, (const unsigned char *)"postern", 7);
	} else {
		struct strbuf w = STRBUF_INIT;

		SSL_CTX_set_cert_cb(sc, cert_cb, NULL);
		SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_CLIENT |
					       SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(sc, new_session_cb);
		alpn_wire(&p->alpn, &w);
		if (w.len)
			SSL_CTX_set_alpn_protos(sc, (const unsigned char *)w.buf, (unsigned)w.len);
		strbuf_release(&w);
		if (p->dane && SSL_CTX_dane_enable(sc) <= 0)
			msg_warn("cannot enable DANE in OpenSSL");
	}
	SSL_CTX_set_verify(sc, mode, verify_cb);
	SSL_CTX_set_verify_depth(sc, TLS_REPORT_CHAIN_MAX);
	if (p->keylog_file)
		SSL_CTX_set_keylog_callback(sc, keylog_cb);
}

/* A new SSL_CTX for c from its policy's files; NULL after logging. */
static SSL_CTX *ctx_build(struct tls_ctx *c)
{
	SSL_CTX *sc = SSL_CTX_new(c->server ? TLS_server_method() : TLS_client_method());

	if (sc == NULL) {
		msg_error("cannot make a TLS context: out of memory");
		return NULL;
	}
	SSL_CTX_set_ex_data(sc, ctx_idx, c);
	set_protocol(sc, c);
	set_callbacks(sc, c);
	if (load_own_cert(sc, &c->pol, c->server) < 0 || load_trust(sc, &c->pol, c->server) < 0 ||
	    load_crls(sc, &c->pol) < 0) {
		SSL_CTX_free(sc);
		return NULL;
	}
	return sc;
}

static struct tls_ctx *ctx_new(const struct tls_policy *p, bool server)
{
	struct tls_ctx *c = xcalloc(1, sizeof(*c));

	indexes_init();
	c->server = server;
	policy_copy(&c->pol, p);
	if (c->pol.revocation != TLS_REVOKE_NONE && c->pol.crl_fetch)
		c->crls = tls_crl_cache_new(c->pol.crl_cache_dir, c->pol.fetch_timeout_ms);
	c->ssl_ctx = ctx_build(c);
	if (c->ssl_ctx == NULL) {
		tls_ctx_free(c);
		return NULL;
	}
	return c;
}

struct tls_ctx *tls_server_new(const struct tls_policy *p)
{
	return ctx_new(p, true);
}

struct tls_ctx *tls_client_new(const struct tls_policy *p)
{
	return ctx_new(p, false);
}

int tls_ctx_reload(struct tls_ctx *c)
{
	SSL_CTX *sc = ctx_build(c);

	if (sc == NULL) {
		msg_warn("TLS files not reloaded; the old ones stay in force");
		return -1;
	}
	/* SSLs made from the old context hold a reference to it. */
	SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = sc;
	msg_info("TLS certificate, key, CA and CRL files reloaded");
	return 0;
}

void tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl_ctx);
	tls_crl_cache_free(c->crls);
	tls_policy_clear(&c->pol);
	free(c);
}

const struct tls_policy *tls_ctx_policy(const struct tls_ctx *c)
{
	return &c->pol;
}

bool tls_ctx_is_server(const struct tls_ctx *c)
{
	return c->server;
}

/* --- connections --- */

static bool is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void client_setup(SSL *ssl, struct tls_conn *cn, const char *host)
{
	const struct tls_policy *p = &cn->c->pol;
	const char *sni = p->sni ? p->sni : (host && !is_ip(host) ? host : NULL);
	struct tls_report *r = cn->r;

	SSL_set_connect_state(ssl);
	if (sni && *sni) {
		SSL_set_tlsext_host_name(ssl, sni);
		free(r->sni);
		r->sni = xstrdup(sni);
	}
	if (p->ocsp)
		SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
	if (p->dane && r->dane.state == TLS_DANE_READY) {
		if (tls_dane_apply(ssl, &r->dane) == 0) {
			/* DANE-TA(2) checks names in OpenSSL, against these. */
			for (size_t i = 0; i < cn->names.n; i++)
				SSL_add1_host(ssl, cn->names.v[i]);
		}
	}
}

SSL *tls_ssl_new(struct tls_ctx *c, int rfd, int wfd, const char *peer_host,
		 struct tls_report *r)
{
	SSL *ssl = SSL_new(c->ssl_ctx);
	struct tls_conn *cn;

	if (ssl == NULL)
		return NULL;
	if (rfd == wfd)
		SSL_set_fd(ssl, rfd);
	else {
		SSL_set_rfd(ssl, rfd);
		SSL_set_wfd(ssl, wfd);
	}
	cn = xcalloc(1, sizeof(*cn));
	cn->c = c;
	cn->r = r;
	cn->host = dup_or_null(peer_host);
	cn->seen = sk_X509_CRL_new_null();
	strbuf_init(&cn->crl_src, 0);
	strings_copy(&cn->names, &c->pol.names);
	if (cn->names.n == 0 && peer_host && !c->server)
		tls_strings_add(&cn->names, peer_host);
	cn->enforce = c->server ? c->pol.mutual == TLS_MUTUAL_REQUIRED : c->pol.verify;
	SSL_set_ex_data(ssl, conn_idx, cn);
	r->server_side = c->server;
	if (c->server)
		SSL_set_accept_state(ssl);
	else
		client_setup(ssl, cn, peer_host);
	return ssl;
}

static void check_names(struct tls_conn *cn, X509 *leaf)
{
	struct tls_report *r = cn->r;
	struct strbuf sb = STRBUF_INIT;
	char how[256] = "";

	for (size_t i = 0; i < cn->names.n; i++) {
		strbuf_addf(&sb, "%s%s", i ? ", " : "", cn->names.v[i]);
		if (r->name_ok)
			continue;
		if (tls_name_match(leaf, cn->names.v[i], cn->c->pol.name_rule, how, sizeof(how))) {
			r->name_ok = true;
			r->name_matched = xstrdup(cn->names.v[i]);
			free(r->name_how);
			r->name_how = xstrdup(how);
		} else if (r->name_how == NULL) {
			r->name_how = xstrdup(how);
		}
	}
	r->names_expected = sb.len ? strbuf_detach(&sb, NULL) : NULL;
	strbuf_release(&sb);
}

/* The revocation entry for a revoked certificate, for the report. */
static void revoked_detail(struct tls_conn *cn, SSL *ssl, struct strbuf *out)
{
	STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
	X509 *x = chain ? sk_X509_value(chain, cn->revoked_depth) : NULL;
	char serial[80] = "?", when[32] = "";

	if (x == NULL && cn->revoked_depth == 0)
		x = SSL_get0_peer_certificate(ssl);
	if (x)
		cert_serial(x, serial, sizeof(serial));
	for (int i = 0; x && i < sk_X509_CRL_num(cn->seen); i++) {
		X509_REVOKED *rv = NULL;

		if (X509_CRL_get0_by_cert(sk_X509_CRL_value(cn->seen, i), &rv, x) == 1 && rv) {
			const ASN1_TIME *t = X509_REVOKED_get0_revocationDate(rv);
			struct tm tm;

			if (t && ASN1_TIME_to_tm(t, &tm) == 1)
				strftime(when, sizeof(when), " on %Y-%m-%dT%H:%M:%SZ", &tm);
			break;
		}
	}
	strbuf_addf(out, "certificate at depth %d (serial %s) revoked%s", cn->revoked_depth,
		    serial, when);
}

static void crl_result(struct tls_conn *cn, SSL *ssl, X509 *leaf)
{
	struct tls_report *r = cn->r;
	struct strbuf d = STRBUF_INIT;
	const char *src = cn->crl_src.len ? cn->crl_src.buf : NULL;

	if (cn->c->pol.revocation == TLS_REVOKE_NONE || leaf == NULL)
		return;
	if (src == NULL && cn->c->pol.crl_file)
		src = cn->c->pol.crl_file;
	if (cn->revoked) {
		revoked_detail(cn, ssl, &d);
		tls_rev_result_set(&r->crl, TLS_REV_REVOKED, src, d.buf);
	} else if (cn->crl_err) {
		tls_rev_result_set(&r->crl, TLS_REV_UNKNOWN, src, cn->crl_err);
	} else if (cn->crl_looked) {
		tls_rev_result_set(&r->crl, TLS_REV_GOOD, src,
				   cn->c->pol.revocation == TLS_REVOKE_CHAIN ?
				   "whole chain checked" : "leaf checked");
	} else {
		tls_rev_result_set(&r->crl, TLS_REV_UNKNOWN, src,
				   "the chain was not checked far enough to look for a CRL");
	}
	strbuf_release(&d);
}

static void ocsp_result(struct tls_conn *cn, SSL *ssl, X509 *leaf)
{
	const unsigned char *resp = NULL;
	long n;

	if (!cn->c->pol.ocsp || cn->c->server || leaf == NULL)
		return;
	n = SSL_get_tlsext_status_ocsp_resp(ssl, &resp);
	tls_ocsp_check(leaf, SSL_get_peer_cert_chain(ssl), SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)),
		       n > 0 ? resp : NULL, n > 0 ? (size_t)n : 0, cn->c->pol.ocsp_url,
		       cn->c->pol.fetch_timeout_ms, &cn->r->ocsp);
}

static void ccert_result(struct tls_conn *cn, SSL *ssl, bool ok, const char *err)
{
	struct tls_report *r = cn->r;

	if (cn->c->server || !r->ccert_asked)
		return;
	r->ccert_sent = SSL_get_certificate(ssl) != NULL;
	if (!ok) {
		r->ccert_accepted = TLS_TRI_NO;
		r->ccert_error = dup_or_null(err);
	} else if (SSL_version(ssl) < TLS1_3_VERSION) {
		/* TLS 1.2 servers judge the certificate inside the handshake. */
		r->ccert_accepted = TLS_TRI_YES;
	}
}

void tls_ssl_done(SSL *ssl, bool ok, const char *err)
{
	struct tls_conn *cn = conn_of(ssl);
	struct tls_report *r;
	X509 *leaf = SSL_get0_peer_certificate(ssl);

	if (cn == NULL)
		return;
	r = cn->r;
	r->handshake_ok = ok;
	if (!ok) {
		free(r->error);
		r->error = xstrdup(err ? err : "handshake failed");
	}
	tls_report_fill(r, ssl);
	r->chain_checked = leaf != NULL;
	r->chain_ok = leaf != NULL && cn->first_err == 0;
	if (cn->first_err) {
		r->verify_error = cn->first_err;
		r->verify_depth = cn->first_depth;
		r->verify_text = xstrdup(X509_verify_cert_error_string(cn->first_err));
	}
	if (leaf)
		check_names(cn, leaf);
	crl_result(cn, ssl, leaf);
	if (ok)
		ocsp_result(cn, ssl, leaf);
	if (cn->c->pol.dane && r->dane.state == TLS_DANE_READY)
		tls_dane_result(ssl, &r->dane);
	ccert_result(cn, ssl, ok, err);
	tls_report_verdict(r);
}

/* A TLS 1.3 server refuses our certificate after the handshake, with an
 * alert, or accepts it and sends tickets: wait for either. */
int tls_ssl_ccert_wait(SSL *ssl, int timeout_ms)
{
	struct tls_conn *cn = conn_of(ssl);
	struct timespec t0, t;
	char buf[1], err[256];

	if (cn == NULL || cn->c->server || !cn->r->ccert_asked ||
	    SSL_version(ssl) < TLS1_3_VERSION || cn->r->ccert_accepted != TLS_TRI_UNKNOWN)
		return 0;
	if (timeout_ms > TLS_CCERT_WAIT_MS)
		timeout_ms = TLS_CCERT_WAIT_MS;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { SSL_get_rfd(ssl), POLLIN, 0 };
		long left;
		int n;

		ERR_clear_error();
		n = SSL_peek(ssl, buf, 1);
		if (n > 0 || cn->ticket_seen) {
			cn->r->ccert_accepted = TLS_TRI_YES;
			return 0;
		}
		n = SSL_get_error(ssl, n);
		if (n != SSL_ERROR_WANT_READ) {
			tls_error_text(err, sizeof(err));
			cn->r->ccert_accepted = TLS_TRI_NO;
			cn->r->ccert_error = xstrdup(n == SSL_ERROR_ZERO_RETURN ?
						     "the server closed the connection" : err);
			tls_report_verdict(cn->r);
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || wait_poll(&pfd, 1, (int)left) <= 0)
			return 0;	/* no word from the server: unknown */
	}
}
