/* Unit tests: certificate name matching (lib/tls/names), RFC 9525 and
 * RFC 5922, on certificates built in memory and, when $POSTERN_PKI is
 * set, on the fixture PKI's. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls/names.h"
#include "util/strbuf.h"
#include "tap.h"

static EVP_PKEY *key;

/* A self-signed certificate with subject CN cn (NULL: none) and the
 * subjectAltName san in openssl's config syntax (NULL: none). */
static X509 *mkcert(const char *cn, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Test", -1, -1, 0);
	if (cn)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_NAME_free(name);
	X509_set_pubkey(x, key);
	if (san) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		if (!ext) {
			printf("# bad SAN '%s'\n", san);
			exit(2);
		}
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, key, EVP_sha256());
	return x;
}

static char why[256];

/* "yes MATCHED" or "no WHY" for one check, to compare as a string. */
static const char *check(X509 *x, const char *host, enum tls_name_rule rule)
{
	static char out[300];
	int r = tls_name_match(x, host, rule, why, sizeof(why));

	snprintf(out, sizeof(out), "%s %s", r ? "yes" : "no", why);
	return out;
}

static void test_dns(void)
{
	X509 *x = mkcert("mail.example.test",
			 "DNS:mail.example.test,DNS:*.web.example.test,DNS:Autodiscover.Example.Test,IP:127.0.0.1,IP:::1");

	is_str(check(x, "mail.example.test", TLS_NAMES_DNS), "yes DNS:mail.example.test", "exact DNS-ID");
	is_str(check(x, "MAIL.example.TEST.", TLS_NAMES_DNS), "yes DNS:mail.example.test", "case and trailing dot ignored");
	is_str(check(x, "autodiscover.example.test", TLS_NAMES_DNS), "yes DNS:autodiscover.example.test", "mixed-case SAN");
	is_str(check(x, "a.web.example.test", TLS_NAMES_DNS), "yes DNS:*.web.example.test", "wildcard covers one label");
	is_str(check(x, "web.example.test", TLS_NAMES_DNS), "no no SAN matches web.example.test", "wildcard does not cover the bare domain");
	is_str(check(x, "a.b.web.example.test", TLS_NAMES_DNS), "no wildcard *.web.example.test covers one label only", "wildcard does not cover two labels");
	is_str(check(x, "127.0.0.1", TLS_NAMES_DNS), "yes IP:127.0.0.1", "IPv4 literal against IP SAN");
	is_str(check(x, "[::1]", TLS_NAMES_DNS), "yes IP:::1", "bracketed IPv6 literal");
	is_str(check(x, "10.0.0.1", TLS_NAMES_DNS), "no no IP SAN matches 10.0.0.1", "other address refused");
	is_str(check(x, "other.test", TLS_NAMES_DNS), "no no SAN matches other.test", "other name refused");
	X509_free(x);

	x = mkcert("mail.example.test", "DNS:other.example.test");
	is_str(check(x, "mail.example.test", TLS_NAMES_DNS),
	       "no no SAN matches mail.example.test; CN ignored because SANs are present",
	       "no CN fallback when a DNS SAN is present");
	X509_free(x);

	x = mkcert("10.1.1.1", "DNS:a.test");
	is_str(check(x, "10.1.1.1", TLS_NAMES_DNS), "no no IP SAN matches 10.1.1.1", "IP literal never matches the CN");
	X509_free(x);
	x = mkcert(NULL, "DNS:127.0.0.1");
	is_str(check(x, "127.0.0.1", TLS_NAMES_DNS), "no no IP SAN matches 127.0.0.1", "IP literal never matches a DNS-ID");
	X509_free(x);
}

static void test_wildcards(void)
{
	X509 *x = mkcert("w*.example.test", "DNS:w*.example.test,DNS:*.test,DNS:*.*.deep.test,DNS:f*o.bar.test");

	is_str(check(x, "www.example.test", TLS_NAMES_DNS), "no partial wildcard w*.example.test not accepted", "partial wildcard refused with reason");
	is_str(check(x, "a.test", TLS_NAMES_DNS), "no wildcard *.test needs two labels after it", "wildcard over a single label refused");
	is_str(check(x, "a.b.deep.test", TLS_NAMES_DNS), "no partial wildcard *.*.deep.test not accepted", "two wildcards refused");
	is_str(check(x, "foo.bar.test", TLS_NAMES_DNS), "no partial wildcard f*o.bar.test not accepted", "inner wildcard refused");
	X509_free(x);
	x = mkcert(NULL, "DNS:*.example.test");
	is_str(check(x, "example.test", TLS_NAMES_DNS), "no no SAN matches example.test", "*.example.test not example.test");
	is_str(check(x, "a.example.test", TLS_NAMES_DNS), "yes DNS:*.example.test", "*.example.test matches a.example.test");
	is_str(check(x, ".example.test", TLS_NAMES_DNS), "no no SAN matches .example.test", "empty left label");
	X509_free(x);
}

static void test_cn(void)
{
	X509 *x = mkcert("CnOnly.Example.Test", NULL);

	is_str(check(x, "cnonly.example.test", TLS_NAMES_DNS), "yes CN:cnonly.example.test", "CN used without any SAN");
	is_str(check(x, "other.example.test", TLS_NAMES_DNS), "no CN cnonly.example.test does not match other.example.test (no SAN)", "CN mismatch says so");
	is_str(check(x, "cnonly.example.test", TLS_NAMES_SIP), "yes CN:cnonly.example.test", "SIP: CN used without any SAN");
	X509_free(x);

	x = mkcert("mail.example.test", "email:postmaster@example.test");
	is_str(check(x, "mail.example.test", TLS_NAMES_DNS), "yes CN:mail.example.test", "DNS rule: CN used when only an email SAN exists");
	is_str(check(x, "mail.example.test", TLS_NAMES_SIP), "no no SAN matches mail.example.test; CN ignored because SANs are present", "SIP rule: no CN once any SAN exists");
	X509_free(x);

	x = mkcert(NULL, NULL);
	is_str(check(x, "a.test", TLS_NAMES_DNS), "no no SAN and no CN", "no names at all");
	X509_free(x);
}

static void test_sip(void)
{
	X509 *x = mkcert("gw.example.test", "DNS:gw.example.test,URI:sip:GW.example.test,URI:sip:user@other.test,URI:https://web.test/");

	is_str(check(x, "gw.example.test", TLS_NAMES_SIP), "yes URI:sip:gw.example.test", "sip: URI SAN matches, case-insensitively");
	is_str(check(x, "other.test", TLS_NAMES_SIP), "no no SAN matches other.test", "sip URI with a user part names no domain");
	is_str(check(x, "gw.example.test", TLS_NAMES_DNS), "yes DNS:gw.example.test", "DNS rule ignores URIs");
	X509_free(x);

	x = mkcert(NULL, "DNS:sip.example.test,URI:sip:example.test;transport=tls");
	is_str(check(x, "example.test", TLS_NAMES_SIP), "yes URI:sip:example.test", "URI parameters stripped");
	is_str(check(x, "sip.example.test", TLS_NAMES_SIP), "no no SAN matches sip.example.test", "DNS-ID ignored when a sip URI is present");
	X509_free(x);

	x = mkcert(NULL, "DNS:sip.example.test,DNS:*.example.test");
	is_str(check(x, "sip.example.test", TLS_NAMES_SIP), "yes DNS:sip.example.test", "DNS-ID used without sip URI");
	is_str(check(x, "a.example.test", TLS_NAMES_SIP), "no wildcard *.example.test not accepted for SIP", "no wildcards at all for SIP");
	is_str(check(x, "a.example.test", TLS_NAMES_DNS), "yes DNS:*.example.test", "same wildcard fine for DNS rule");
	X509_free(x);
}

static void test_list(void)
{
	X509 *x = mkcert("x", "DNS:a.test,IP:127.0.0.1,URI:sip:a.test,email:p@a.test,IP:::1");
	struct strbuf sb = STRBUF_INIT;

	tls_names_list(x, &sb);
	is_str(sb.buf, "DNS:a.test, IP:127.0.0.1, URI:sip:a.test, email:p@a.test, IP:::1", "names list");
	X509_free(x);
	x = mkcert("x", NULL);
	strbuf_reset(&sb);
	tls_names_list(x, &sb);
	is_int(sb.len, 0, "no SAN lists nothing");
	X509_free(x);
	strbuf_release(&sb);
	ok(tls_name_match(NULL, "a", TLS_NAMES_DNS, NULL, 0) == 0, "NULL certificate and buffer are safe");
}

static X509 *load_pki(const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if (!(fp = fopen(path, "r")))
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

/* The fixture certificates, as the TLS tests will see them. */
static void test_pki(const char *dir)
{
	static const struct { const char *file, *host; enum tls_name_rule rule; const char *want; } cases[] = {
		{ "server", "mail.example.test", TLS_NAMES_DNS, "yes DNS:mail.example.test" },
		{ "server", "127.0.0.1", TLS_NAMES_DNS, "yes IP:127.0.0.1" },
		{ "server", "mx.partner.test", TLS_NAMES_DNS, "no no SAN matches mx.partner.test" },
		{ "wildcard", "www.example.test", TLS_NAMES_DNS, "no partial wildcard w*.example.test not accepted" },
		{ "cnonly", "cnonly.example.test", TLS_NAMES_DNS, "yes CN:cnonly.example.test" },
		{ "gateway", "gw.example.test", TLS_NAMES_SIP, "yes URI:sip:gw.example.test" },
		{ "partner", "mx.partner.test", TLS_NAMES_SIP, "yes DNS:mx.partner.test" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509 *x = load_pki(dir, cases[i].file);

		if (!x) {
			ok(0, "cannot load %s/%s.pem", dir, cases[i].file);
			continue;
		}
		is_str(check(x, cases[i].host, cases[i].rule), cases[i].want,
		       "fixture %s for %s", cases[i].file, cases[i].host);
		X509_free(x);
	}
}

int main(void)
{
	const char *pki = getenv("POSTERN_PKI");

	key = EVP_EC_gen("P-256");
	test_dns();
	test_wildcards();
	test_cn();
	test_sip();
	test_list();
	if (pki && *pki)
		test_pki(pki);
	EVP_PKEY_free(key);
	return tap_done();
}
