/* libFuzzer harness: certificates out of directory values (lib/smime/
 * certs): PKCS#7 certs-only, the AD/Outlook TLV form and bare DER, as
 * userSMIMECertificate and userCertificate hand them over. */
#include <stddef.h>
#include <stdint.h>

#include "smime/certs.h"
#include "smime/envelope.h"
#include "smime/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int any(const char *addr, void *ctx)
{
	(void)addr;
	(void)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	enum smime_blob_form form;
	char why[256];

	if (smime_certs_from_blob(data, size, sk, &form, why, sizeof(why)) > 0)
		for (int i = 0; i < sk_X509_num(sk); i++) {
			X509 *x = sk_X509_value(sk, i);

			smime_recipient_ok(x, (time_t)1800000000, why, sizeof(why));
			smime_cert_emails(x, any, NULL);
			smime_cert_has_email(x, "alice@example.test");
		}
	sk_X509_pop_free(sk, X509_free);
	return 0;
}
