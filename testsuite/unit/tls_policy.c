/* Unit tests: the "tls" config keys into a struct tls_policy (defaults,
 * every key, "cert": "auto", a CA directory), and a context refused with
 * a reason for a key that is not the certificate's. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tls/tls.h"
#include "util/mem.h"
#include "util/msg.h"
#include "tap.h"

static const struct conf_section *const sections[] = { &tls_conf_section, NULL };

static struct conf *load(const char *text)
{
	return conf_load_string(text, strlen(text), "test.json", sections, stderr);
}

static void test_defaults(void)
{
	struct conf *c = load("{}");
	struct tls_policy p;

	tls_policy_init(&p);
	ok(c != NULL, "empty config loads");
	is_int(tls_policy_from_conf(conf_section(c, "tls"), &p), 0, "policy from defaults");
	is_int(p.min_version, TLS1_2_VERSION, "TLS 1.2 at least");
	is_int(p.mutual, TLS_MUTUAL_OFF, "mutual off");
	ok(p.verify, "clients verify by default");
	is_int(p.revocation, TLS_REVOKE_NONE, "no revocation checks");
	ok(p.crl_fetch, "CRLs fetched when asked for");
	is_int(p.fetch_timeout_ms, 10000, "fetch timeout 10 s");
	ok(p.cert_file == NULL && p.ca_file == NULL && p.ca_dir == NULL, "no files");
	tls_policy_clear(&p);
	conf_free(c);
}

static void test_keys(void)
{
	struct conf *c = load("{ \"tls\": { \"cert\": \"/c.pem\", \"key\": \"/k.pem\", "
			      "\"ca\": \"/tmp\", \"min_version\": \"1.3\", \"mutual\": \"required\", "
			      "\"verify\": false, \"names\": [\"a.test\", \"b.test\"], "
			      "\"name_rule\": \"sip\", \"revocation\": \"chain\", "
			      "\"crl_file\": \"/crl.pem\", \"crl_cache\": \"/var/cache/x\", "
			      "\"revocation_soft_fail\": true, \"ocsp\": true, \"fetch_timeout\": \"3s\", "
			      "\"dane\": true, \"sni\": \"s.test\", \"alpn\": [\"h2\", \"http/1.1\"], "
			      "\"keylog\": \"/k.log\" } }");
	struct tls_policy p;

	tls_policy_init(&p);
	ok(c != NULL, "every key loads");
	is_int(tls_policy_from_conf(conf_section(c, "tls"), &p), 0, "policy");
	is_str(p.cert_file, "/c.pem", "cert");
	is_str(p.key_file, "/k.pem", "key");
	is_str(p.ca_dir, "/tmp", "a directory as ca is a CA directory");
	ok(p.ca_file == NULL, "and not a file");
	is_int(p.min_version, TLS1_3_VERSION, "min_version 1.3");
	is_int(p.mutual, TLS_MUTUAL_REQUIRED, "mutual required");
	ok(!p.verify, "verify off");
	ok(p.names.n == 2 && strcmp(p.names.v[1], "b.test") == 0, "names");
	is_int(p.name_rule, TLS_NAMES_SIP, "name_rule sip");
	is_int(p.revocation, TLS_REVOKE_CHAIN, "revocation chain");
	is_str(p.crl_file, "/crl.pem", "crl_file");
	is_str(p.crl_cache_dir, "/var/cache/x", "crl_cache");
	ok(p.revocation_soft_fail && p.ocsp && p.dane, "soft fail, ocsp, dane");
	is_int(p.fetch_timeout_ms, 3000, "fetch_timeout");
	is_str(p.sni, "s.test", "sni");
	ok(p.alpn.n == 2 && strcmp(p.alpn.v[0], "h2") == 0, "alpn");
	is_str(p.keylog_file, "/k.log", "keylog");
	tls_policy_clear(&p);
	conf_free(c);
}

static void test_auto_and_errors(void)
{
	struct conf *c = load("{ \"tls\": { \"cert\": \"auto\", \"store\": \"/s\", \"cert_names\": [\"m.test\"] } }");
	struct tls_policy p;

	tls_policy_init(&p);
	is_int(tls_policy_from_conf(conf_section(c, "tls"), &p), 0, "cert auto");
	ok(p.cert_auto && p.cert_file == NULL, "auto, no file");
	is_str(p.cert_store, "/s", "store");
	tls_policy_clear(&p);
	conf_free(c);
	c = load("{ \"tls\": { \"cert\": \"auto\" } }");
	tls_policy_init(&p);
	is_int(tls_policy_from_conf(conf_section(c, "tls"), &p), -1, "cert auto without names is an error");
	tls_policy_clear(&p);
	conf_free(c);
	ok(load("{ \"tls\": { \"mutual\": \"sometimes\" } }") == NULL, "a bad enum is refused by the loader");
	ok(load("{ \"tls\": { \"revocation\": \"all\" } }") == NULL, "revocation takes none|leaf|chain");
}

static void test_ctx_errors(void)
{
	const char *pki = getenv("POSTERN_PKI");
	struct tls_policy p;
	struct tls_ctx *c;

	tls_policy_init(&p);
	c = tls_server_new(&p);
	ok(c == NULL, "a server without a certificate is refused");
	ok(pki != NULL, "POSTERN_PKI names the fixture PKI");
	if (pki == NULL)
		return;
	p.cert_file = xasprintf("%s/server.pem", pki);
	p.key_file = xasprintf("%s/partner.key", pki);
	c = tls_server_new(&p);
	ok(c == NULL, "a key that is not the certificate's is refused");
	free(p.key_file);
	p.key_file = xasprintf("%s/server.key", pki);
	c = tls_server_new(&p);
	ok(c != NULL, "certificate with its key");
	tls_ctx_free(c);
	free(p.ca_file);
	p.ca_file = xstrdup("/nonexistent/ca.pem");
	c = tls_client_new(&p);
	ok(c == NULL, "an unreadable CA file is refused");
	tls_policy_clear(&p);
}

/* "cert": "auto": the context takes certsel's choice from the store, and
 * refuses to start when the store holds nothing valid for the names. */
static void test_ctx_auto(void)
{
	const char *pki = getenv("POSTERN_PKI");
	char dir[] = "/tmp/postern-tls-auto-XXXXXX";
	struct tls_policy p;
	struct tls_ctx *c;
	char *cmd;

	ok(pki != NULL && mkdtemp(dir) != NULL, "a store directory");
	if (pki == NULL)
		return;
	tls_policy_init(&p);
	p.cert_auto = true;
	p.cert_store = xstrdup(dir);
	tls_strings_add(&p.cert_names, "mail.example.test");
	cmd = xasprintf("cp %s/expired-full.pem %s/", pki, dir);
	ok(system(cmd) == 0, "an expired certificate in the store");
	free(cmd);
	c = tls_server_new(&p);
	ok(c == NULL, "auto with nothing valid is refused");
	cmd = xasprintf("cp %s/server-full.pem %s/", pki, dir);
	ok(system(cmd) == 0, "a valid certificate added");
	free(cmd);
	c = tls_server_new(&p);
	ok(c != NULL, "auto picks the valid certificate and the server starts");
	tls_ctx_free(c);
	tls_strings_clear(&p.cert_names);
	tls_strings_add(&p.cert_names, "other.example.test");
	c = tls_server_new(&p);
	ok(c == NULL, "auto refuses when no certificate covers the name");
	tls_policy_clear(&p);
	cmd = xasprintf("rm -rf %s", dir);
	ok(system(cmd) == 0, "store removed");
	free(cmd);
}

int main(void)
{
	msg_setup("tls_policy");
	test_defaults();
	test_keys();
	test_auto_and_errors();
	test_ctx_errors();
	test_ctx_auto();
	return tap_done();
}
