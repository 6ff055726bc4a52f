/* smime-sign: S/MIME sign, verify, encrypt and decrypt for pipelines,
 * directory lookup of certificates, and the outbound gateway (SPEC
 * section 5). The CMS work is lib/smime's; this file is the command line,
 * the config and the four filters. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "smime/entity.h"
#include "smime/envelope.h"
#include "smime/sign.h"
#include "smime/verify.h"
#include "tls/revoke.h"
#include "util/atomic.h"
#include "util/exitcodes.h"
#include "util/msg.h"
#include "smime-sign.h"

enum {
	O_CERT = OPT_ID(0), O_KEY, O_PASS, O_TO_CERT, O_CIPHER, O_OAEP, O_DIGEST, O_PSS,
	O_OPAQUE, O_NO_FROM, O_CA, O_CRL, O_SENDER = 'f', O_SELF = OPT_ID(20),
};

static const struct opt smime_opts[] = {
	{ "cert", O_CERT, OPT_ARG, "FILE", "file", "our certificate (PEM with chain, maybe the key; or PKCS#12)" },
	{ "key", O_KEY, OPT_ARG, "FILE", "file", "our private key when not in --cert" },
	{ "password-file", O_PASS, OPT_ARG, "FILE", "file", "the PKCS#12 password" },
	{ "to-cert", O_TO_CERT, OPT_ARG, "FILE", "file", "encrypt: a recipient's certificate (repeatable)" },
	{ "cipher", O_CIPHER, OPT_ARG, "NAME", "aes-256-cbc|aes-128-cbc|aes-256-gcm|aes-128-gcm",
	  "encrypt: content cipher (GCM gives AuthEnvelopedData)" },
	{ "oaep", O_OAEP, OPT_NOARG, NULL, NULL, "encrypt: RSA-OAEP (SHA-256) for RSA recipients" },
	{ "digest", O_DIGEST, OPT_ARG, "NAME", "sha256|sha384|sha512", "sign: the digest" },
	{ "pss", O_PSS, OPT_NOARG, NULL, NULL, "sign: RSA-PSS instead of PKCS#1 v1.5" },
	{ "opaque", O_OPAQUE, OPT_NOARG, NULL, NULL, "sign: opaque signed-data instead of multipart/signed" },
	{ "no-from-check", O_NO_FROM, OPT_NOARG, NULL, NULL, "verify: do not match the signer against From:" },
	{ "ca", O_CA, OPT_ARG, "FILE", "file", "verify: trusted CAs (replaces ca_file and ca_dir)" },
	{ "crl", O_CRL, OPT_NOARG, NULL, NULL, "verify: check the signer against its CRL" },
	{ "sender", O_SENDER, OPT_ARG, "ADDR", NULL, "gateway: the envelope sender" },
	{ "self", O_SELF, OPT_NOARG, NULL, NULL, "encrypt: to our own --cert too" },
	{ NULL }
};

static const struct opt_cmd smime_cmds[] = {
	{ "sign", "< MSG", "sign the message (multipart/signed, or --opaque)" },
	{ "verify", "< MSG", "check the signature; print the message with an Authentication-Results field" },
	{ "encrypt", "[--to-cert FILE]... [ADDR...] < MSG", "encrypt to certificates from files or the directory" },
	{ "decrypt", "< MSG", "decrypt with --cert/--key or a PKCS#12" },
	{ "lookup", "ADDR...", "print the certificates the directory has for each address" },
	{ "gateway", "-f SENDER [--] RCPT... < MSG", "outbound filter: sign and encrypt by policy" },
	{ NULL }
};

static const struct conf_key signer_keys[] = {
	{ "match", CONF_STRINGS, NULL, 0, 0, NULL, NULL, CONF_REQUIRED,
	  "sender addresses or @domains signed with this certificate" },
	{ "cert", CONF_PATH, NULL, 0, 0, NULL, NULL, CONF_REQUIRED,
	  "certificate and chain (PEM, maybe with the key) or PKCS#12" },
	{ "key", CONF_PATH, NULL, 0, 0, NULL, NULL, 0, "the key when not in cert" },
	{ "password_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0, "the PKCS#12 password" },
	{ NULL }
};

static const struct conf_key rule_keys[] = {
	{ "senders", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "sender addresses or @domains the rule applies to (empty: any)" },
	{ "recipients", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "recipient addresses or @domains the rule applies to (empty: any)" },
	{ "sign", CONF_BOOL, "false", 0, 0, NULL, NULL, 0, "sign the message" },
	{ "encrypt", CONF_ENUM, "\"never\"", 0, 0, "never|opportunistic|required", NULL, 0,
	  "encrypt: never, when every recipient has a certificate, or always (5.7.1 otherwise)" },
	{ NULL }
};

static const struct conf_key gateway_keys[] = {
	{ "signers", CONF_LIST, "[]", 0, 0, NULL, signer_keys, 0,
	  "signing certificates by sender; the key stays in a child process" },
	{ "rules", CONF_LIST, "[]", 0, 0, NULL, rule_keys, 0,
	  "policy: the first rule matching the sender and a recipient decides for that recipient" },
	{ "reinject", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "command given the result with -f SENDER -- RCPT... (empty: write to stdout)" },
	{ NULL }
};

static const struct conf_key smime_keys[] = {
	{ "cert", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "our certificate and chain (PEM, maybe with the key) or PKCS#12 (sign, decrypt)" },
	{ "key", CONF_PATH, NULL, 0, 0, NULL, NULL, 0, "our private key when not in cert" },
	{ "password_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0, "the PKCS#12 password" },
	{ "ca_file", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "trusted CA certificates for verify (a bundle); the system store is never implied" },
	{ "ca_dir", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "trusted CA certificates for verify (a hashed directory, as c_rehash makes)" },
	{ "crl_check", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "verify: fetch the signer's CRL from its distribution point and refuse a revoked signer" },
	{ "crl_cache_dir", CONF_PATH, NULL, 0, 0, NULL, NULL, 0, "where fetched CRLs are kept" },
	{ "crl_timeout", CONF_DURATION, "\"5s\"", 100, 120000, NULL, NULL, 0, "one CRL fetch" },
	{ "from_check", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "verify: the signer's address must match From:" },
	{ "authserv_id", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "the Authentication-Results authserv-id (default: the host name)" },
	{ "digest", CONF_ENUM, "\"sha256\"", 0, 0, "sha256|sha384|sha512", NULL, 0, "sign: the digest" },
	{ "signature", CONF_ENUM, "\"pkcs1\"", 0, 0, "pkcs1|pss", NULL, 0,
	  "sign: RSA signature scheme (ECDSA keys sign ECDSA)" },
	{ "opaque", CONF_BOOL, "false", 0, 0, NULL, NULL, 0, "sign: opaque signed-data" },
	{ "cipher", CONF_ENUM, "\"aes-256-cbc\"", 0, 0,
	  "aes-256-cbc|aes-128-cbc|aes-256-gcm|aes-128-gcm", NULL, 0, "encrypt: content cipher" },
	{ "oaep", CONF_BOOL, "false", 0, 0, NULL, NULL, 0, "encrypt: RSA-OAEP for RSA recipients" },
	{ "encrypt_to_self", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "encrypt to the sender's certificate too, so the Sent copy stays readable" },
	{ "cert_dir", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "recipients' certificates as ADDR.pem, looked at before the directory" },
	{ "directory", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "look recipients' certificates up in the directory" },
	{ "max_size", CONF_SIZE, "\"64M\"", 1024, 1LL << 30, NULL, NULL, 0, "largest message taken" },
	{ "gateway", CONF_OBJECT, NULL, 0, 0, NULL, gateway_keys, 0, "the outbound gateway" },
	{ NULL }
};
static const struct conf_section smime_section = {
	"smime-sign", smime_keys, "S/MIME signing, verification, encryption and the gateway"
};
static const struct conf_section *const sections[] = {
	&log_conf_section, &dir_conf_section, &smime_section, NULL
};

static struct smime_cli cli;

static int cli_option(int id, const char *arg, void *ctx)
{
	struct smime_cli *c = ctx;

	switch (id) {
	case O_CERT: c->cert = arg; break;
	case O_KEY: c->key = arg; break;
	case O_PASS: c->pass = arg; break;
	case O_TO_CERT:
		if (c->nto_certs == TO_CERTS_MAX) {
			fprintf(stderr, "smime-sign: more than %d --to-cert options\n", TO_CERTS_MAX);
			return -1;
		}
		c->to_certs[c->nto_certs++] = arg;
		break;
	case O_CIPHER: c->cipher = arg; break;
	case O_OAEP: c->oaep = true; break;
	case O_DIGEST: c->digest = arg; break;
	case O_PSS: c->pss = true; break;
	case O_OPAQUE: c->opaque = true; break;
	case O_NO_FROM: c->no_from_check = true; break;
	case O_CA: c->ca = arg; break;
	case O_CRL: c->crl = true; break;
	case O_SENDER: c->sender = arg; break;
	case O_SELF: c->self = true; break;
	default: return -1;
	}
	return 0;
}

static const struct prog smime_prog = {
	"smime-sign", "command [options] [ADDR...] < MSG",
	"S/MIME sign, verify, encrypt, decrypt, certificate lookup and the outbound gateway",
	smime_opts, smime_cmds, sections, cli_option, &cli, NULL,
};

static int usage(const char *what)
{
	fprintf(stderr, "smime-sign: %s\n", what);
	return EX_USAGE;
}

static int settle(struct smime_ctx *c, const struct prog_state *st)
{
	const json_t *sec = conf_section(st->conf, "smime-sign");
	static char host[256];

	memset(c, 0, sizeof(*c));
	c->st = st;
	c->cli = &cli;
	c->sec = sec;
	c->key.cert = cli.cert ? cli.cert : conf_str(sec, "cert");
	c->key.key = cli.cert ? cli.key : (cli.key ? cli.key : conf_str(sec, "key"));
	c->key.pass_file = cli.pass ? cli.pass : conf_str(sec, "password_file");
	c->md = smime_md_by_name(cli.digest ? cli.digest : conf_str(sec, "digest"));
	if (c->md == NULL)
		return usage("--digest takes sha256, sha384 or sha512");
	c->cipher = smime_cipher_by_name(cli.cipher ? cli.cipher : conf_str(sec, "cipher"));
	if (c->cipher == NULL)
		return usage("--cipher takes aes-256-cbc, aes-128-cbc, aes-256-gcm or aes-128-gcm");
	c->pss = cli.pss || strcmp(conf_str(sec, "signature"), "pss") == 0;
	c->opaque = cli.opaque || conf_bool(sec, "opaque");
	c->oaep = cli.oaep || conf_bool(sec, "oaep");
	c->from_check = !cli.no_from_check && conf_bool(sec, "from_check");
	c->crl = cli.crl || conf_bool(sec, "crl_check");
	c->self = cli.self || conf_bool(sec, "encrypt_to_self");
	c->ca_file = cli.ca ? cli.ca : conf_str(sec, "ca_file");
	c->ca_dir = cli.ca ? NULL : conf_str(sec, "ca_dir");
	c->cert_dir = conf_str(sec, "cert_dir");
	c->use_dir = conf_bool(sec, "directory");
	c->max_size = (size_t)conf_int(sec, "max_size");
	c->authserv_id = conf_str(sec, "authserv_id");
	if (c->authserv_id == NULL) {
		if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
			snprintf(host, sizeof(host), "localhost");
		c->authserv_id = host;
	}
	return 0;
}

struct dir *ctx_dir(struct smime_ctx *c)
{
	if (c->dir == NULL)
		c->dir = dir_open(conf_section(c->st->conf, "directory"));
	return c->dir;
}

int read_message(struct smime_ctx *c, struct strbuf *sb)
{
	if (strbuf_read_fd(sb, 0, c->max_size) < 0) {
		msg_error("cannot read the message: %s", strerror(errno));
		return errno == EFBIG ? EX_DATAERR : EX_IOERR;
	}
	return 0;
}

static int emit(const struct strbuf *out)
{
	if (write_all(1, out->buf, out->len) < 0) {
		msg_error("cannot write the message: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

static int cmd_sign(struct smime_ctx *c)
{
	struct cert_bundle b;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	char why[SMIME_WHY_MAX];
	int rc;

	if (smime_key_load(&c->key, &b, why, sizeof(why)) < 0) {
		msg_error("cannot load the signing key: %s", why);
		return c->key.cert ? EX_CONFIG : EX_USAGE;
	}
	if ((rc = read_message(c, &in)) == 0) {
		struct smime_signer s = {
			.cert = b.cert, .chain = b.chain, .md = c->md, .pss = c->pss,
			.opaque = c->opaque, .sign = smime_sign_with_key, .ctx = b.key,
		};

		if (smime_sign_message(&s, in.buf, in.len, &out, why, sizeof(why)) < 0) {
			msg_error("cannot sign: %s", why);
			rc = EX_DATAERR;
		} else {
			rc = emit(&out);
		}
	}
	cert_bundle_free(&b);
	strbuf_release(&in);
	strbuf_release(&out);
	return rc;
}

static X509_STORE *trust_store(const struct smime_ctx *c)
{
	X509_STORE *s;

	if (c->ca_file == NULL && c->ca_dir == NULL) {
		msg_error("no trusted CAs: set ca_file or ca_dir (or --ca); the system store is not used unless configured");
		return NULL;
	}
	s = X509_STORE_new();
	if ((c->ca_file && !X509_STORE_load_file(s, c->ca_file)) ||
	    (c->ca_dir && !X509_STORE_load_path(s, c->ca_dir))) {
		char why[SMIME_WHY_MAX];

		smime_ossl_why("cannot load the trusted CAs", why, sizeof(why));
		msg_error("%s: %s", why, c->ca_file ? c->ca_file : c->ca_dir);
		X509_STORE_free(s);
		return NULL;
	}
	return s;
}

static void quote_into(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, (unsigned char)*s < 0x20 ? ' ' : *s);
	}
	strbuf_addch(out, '"');
}

static void result_field(const struct smime_ctx *c, const struct smime_verify_result *r,
			 bool crlf, struct strbuf *out)
{
	strbuf_addf(out, "Authentication-Results: %s; smime=%s", c->authserv_id,
		    r->valid ? "pass" : "fail");
	if (r->valid) {
		if (r->from[0])
			strbuf_addf(out, " header.from=%s", r->from);
		strbuf_addstr(out, " (signer=");
		quote_into(out, r->signer.len ? r->signer.buf : "");
		strbuf_addstr(out, "; ca=");
		quote_into(out, r->ca.len ? r->ca.buf : "");
		strbuf_addch(out, ')');
	} else {
		strbuf_addstr(out, " (reason=");
		quote_into(out, r->reason);
		strbuf_addch(out, ')');
	}
	strbuf_addstr(out, crlf ? "\r\n" : "\n");
}

/* Appends msg without the Authentication-Results fields that claim our
 * authserv-id: only ours may say what we checked (RFC 8601 section 5). */
static void drop_forged_results(const struct smime_ctx *c, const struct strbuf *msg,
				struct strbuf *out)
{
	struct smime_msg m;
	char why[SMIME_WHY_MAX];
	size_t idlen = strlen(c->authserv_id);

	if (smime_msg_parse(msg->buf, msg->len, &m, why, sizeof(why)) < 0) {
		strbuf_add(out, msg->buf, msg->len);
		return;
	}
	for (size_t i = 0; i < m.nf; i++) {
		const char *v = m.data + m.f[i].off + m.f[i].name_len;
		const char *end = m.data + m.f[i].off + m.f[i].len;

		if (smime_field_is(&m, i, "Authentication-Results")) {
			for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
				;
			if ((size_t)(end - v) > idlen && strncasecmp(v, c->authserv_id, idlen) == 0 &&
			    (v[idlen] == ';' || v[idlen] == ' ')) {
				msg_warn("removed an Authentication-Results field claiming to be ours");
				continue;
			}
		}
		strbuf_add(out, m.data + m.f[i].off, m.f[i].len);
	}
	strbuf_add(out, m.data + (m.nf ? m.f[m.nf - 1].off + m.f[m.nf - 1].len : 0),
		   m.len - (m.nf ? m.f[m.nf - 1].off + m.f[m.nf - 1].len : 0));
	smime_msg_free(&m);
}

static int cmd_verify(struct smime_ctx *c)
{
	struct smime_verify_opts o = { 0 };
	struct smime_verify_result r;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	int rc;

	if ((o.store = trust_store(c)) == NULL)
		return EX_CONFIG;
	if (c->crl)
		o.crls = tls_crl_cache_new(conf_str(c->sec, "crl_cache_dir"), conf_int(c->sec, "crl_timeout"));
	o.from_check = c->from_check;
	if ((rc = read_message(c, &in)) != 0)
		goto out;
	smime_verify_message(&o, in.buf, in.len, &r);
	if (r.valid)
		msg_info("signature valid: signer=%s ca=%s from=%s", msg_q(r.signer.buf),
			 msg_q(r.ca.buf), msg_q(r.signer_addr));
	else
		msg_warn("signature refused: %s signer=%s", r.reason,
			 msg_q(r.signer.len ? r.signer.buf : "unknown"));
	if (r.message.len) {
		const char *nl = memchr(r.message.buf, '\n', r.message.len);
		bool crlf = nl && nl > r.message.buf && nl[-1] == '\r';

		result_field(c, &r, crlf, &out);
		drop_forged_results(c, &r.message, &out);
		rc = emit(&out);
	}
	if (rc == 0)
		rc = r.valid ? 0 : EX_NEGATIVE;
	smime_verify_result_free(&r);
out:
	X509_STORE_free(o.store);
	tls_crl_cache_free(o.crls);
	strbuf_release(&in);
	strbuf_release(&out);
	return rc;
}

static int add_cert_file(STACK_OF(X509) *rcpts, const char *path)
{
	struct cert_bundle b;
	char why[SMIME_WHY_MAX];

	if (cert_load_file(path, NULL, &b, why, sizeof(why)) < 0 || b.cert == NULL) {
		msg_error("cannot load the recipient certificate '%s': %s", path,
			  b.cert ? why : "no certificate");
		return -1;
	}
	if (smime_recipient_ok(b.cert, 0, why, sizeof(why)) < 0) {
		msg_error("cannot encrypt to '%s': %s", path, why);
		cert_bundle_free(&b);
		return -1;
	}
	X509_up_ref(b.cert);
	sk_X509_push(rcpts, b.cert);
	cert_bundle_free(&b);
	return 0;
}

static int cmd_encrypt(struct smime_ctx *c)
{
	STACK_OF(X509) *rcpts = sk_X509_new_null();
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	char why[SMIME_WHY_MAX];
	int rc = 0;

	for (int i = 0; rc == 0 && i < cli.nto_certs; i++)
		if (add_cert_file(rcpts, cli.to_certs[i]) < 0)
			rc = EX_DATAERR;
	if (rc == 0 && c->self && c->key.cert && add_cert_file(rcpts, c->key.cert) < 0)
		rc = EX_CONFIG;
	for (int i = 0; rc == 0 && i < c->st->argc; i++) {
		X509 *x = NULL;

		switch (rcpt_find(c, c->st->argv[i], &x, why, sizeof(why))) {
		case RCPT_FOUND:
			sk_X509_push(rcpts, x);
			break;
		case RCPT_NONE:
			msg_error("no usable certificate for %s: %s", c->st->argv[i], why);
			rc = EX_NOUSER;
			break;
		default:
			msg_error("cannot look up %s: %s", c->st->argv[i], why);
			rc = EX_TEMPFAIL;
		}
	}
	if (rc == 0 && sk_X509_num(rcpts) == 0)
		rc = usage("encrypt needs --to-cert FILE or recipient addresses");
	if (rc == 0 && (rc = read_message(c, &in)) == 0) {
		if (smime_encrypt_message(rcpts, c->cipher, c->oaep, in.buf, in.len, &out, why, sizeof(why)) < 0) {
			msg_error("%s", why);
			rc = EX_DATAERR;
		} else {
			rc = emit(&out);
		}
	}
	sk_X509_pop_free(rcpts, X509_free);
	strbuf_release(&in);
	strbuf_release(&out);
	return rc;
}

static int cmd_decrypt(struct smime_ctx *c)
{
	struct cert_bundle b;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	char why[SMIME_WHY_MAX];
	int rc;

	if (smime_key_load(&c->key, &b, why, sizeof(why)) < 0) {
		msg_error("cannot load the decryption key: %s", why);
		return c->key.cert ? EX_CONFIG : EX_USAGE;
	}
	if ((rc = read_message(c, &in)) == 0) {
		if (smime_decrypt_message(b.key, b.cert, in.buf, in.len, &out, why, sizeof(why)) < 0) {
			msg_error("cannot decrypt: %s", why);
			rc = EX_NEGATIVE;
		} else {
			rc = emit(&out);
		}
	}
	cert_bundle_free(&b);
	strbuf_release(&in);
	strbuf_release(&out);
	return rc;
}

int main(int argc, char **argv)
{
	struct prog_state st;
	struct smime_ctx c;
	const char *cmd;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	cmd = prog_take_command(&smime_prog, &argc, argv);
	prog_start(&smime_prog, &st, argc, argv);
	if (cmd == NULL) {
		if (st.argc > 0)
			fprintf(stderr, "smime-sign: unknown command '%s'; see --help\n", st.argv[0]);
		else
			fprintf(stderr, "smime-sign: a command is needed: sign, verify, encrypt, decrypt, lookup or gateway\n");
		conf_free(st.conf);
		return EX_USAGE;
	}
	if ((rc = settle(&c, &st)) != 0) {
		conf_free(st.conf);
		return rc;
	}
	if (st.argc > 0 && strcmp(cmd, "encrypt") != 0 && strcmp(cmd, "lookup") != 0 &&
	    strcmp(cmd, "gateway") != 0)
		rc = usage("this command takes no operands");
	else if (strcmp(cmd, "sign") == 0)
		rc = cmd_sign(&c);
	else if (strcmp(cmd, "verify") == 0)
		rc = cmd_verify(&c);
	else if (strcmp(cmd, "encrypt") == 0)
		rc = cmd_encrypt(&c);
	else if (strcmp(cmd, "decrypt") == 0)
		rc = cmd_decrypt(&c);
	else if (strcmp(cmd, "lookup") == 0)
		rc = cmd_lookup(&c);
	else
		rc = cmd_gateway(&c);
	dir_close(c.dir);
	conf_free(st.conf);
	return rc;
}
