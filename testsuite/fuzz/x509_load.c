/* libFuzzer harness: certificate loading (lib/tls/cert) on arbitrary
 * bytes, PEM, DER and PKCS#12 alike; whatever loads is then asked for
 * everything certsel logs, so the helpers see hostile certificates too. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tls/cert.h"
#include "tls/names.h"
#include "util/strbuf.h"

static void facts(X509 *x, EVP_PKEY *key)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[CERT_FP_MAX], why[CERT_WHY_MAX];

	cert_fingerprint(x, EVP_sha1(), true, buf, sizeof(buf));
	cert_serial(x, buf, sizeof(buf));
	cert_issuer(x, &sb);
	cert_subject(x, &sb);
	tls_names_list(x, &sb);
	strbuf_release(&sb);
	cert_time_ok(x, (time_t)1700000000, why, sizeof(why));
	cert_purpose_ok(x, CERT_PURPOSE_SERVER, why, sizeof(why));
	cert_self_signed(x);
	tls_name_match(x, "mail.example.test", TLS_NAMES_DNS, why, sizeof(why));
	tls_name_match(x, "127.0.0.1", TLS_NAMES_DNS, why, sizeof(why));
	tls_name_match(x, "example.test", TLS_NAMES_SIP, why, sizeof(why));
	if (key)
		cert_key_matches(x, key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_bundle b;
	char why[CERT_WHY_MAX];

	/* "pw" is the seed PKCS#12 files' password. */
	if (cert_load_mem(data, size, "pw", &b, why, sizeof(why)) == 0) {
		if (b.cert)
			facts(b.cert, b.key);
		cert_bundle_free(&b);
	}
	return 0;
}
