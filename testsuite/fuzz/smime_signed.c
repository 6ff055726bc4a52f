/* libFuzzer harness: S/MIME input parsing (lib/smime/entity and verify):
 * the header split, the multipart/signed split, the pkcs7-mime body and
 * the CMS load and checks of smime_verify_message, on whole messages. */
#include <stddef.h>
#include <stdint.h>

#include "smime/entity.h"
#include "smime/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *m = (const char *)data;
	struct smime_msg msg;
	struct smime_signed_parts sp;
	struct smime_verify_opts o = { 0 };
	struct smime_verify_result r;
	struct strbuf sb = STRBUF_INIT;
	char why[256];

	if (smime_msg_parse(m, size, &msg, why, sizeof(why)) == 0) {
		smime_inner_entity(&msg, &sb);
		smime_outer_fields(&msg, true, &sb);
		smime_field_value(&msg, "From", &sb);
		smime_msg_free(&msg);
	}
	strbuf_reset(&sb);
	smime_kind_of(m, size);
	if (smime_signed_split(m, size, &sp, why, sizeof(why)) == 0)
		strbuf_release(&sp.sig);
	smime_pkcs7_body(m, size, &sb, why, sizeof(why));
	strbuf_release(&sb);
	o.store = X509_STORE_new();
	o.from_check = true;
	smime_verify_message(&o, m, size, &r);
	smime_verify_result_free(&r);
	X509_STORE_free(o.store);
	return 0;
}
