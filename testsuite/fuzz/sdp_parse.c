/* libFuzzer harness: the SDP parser and the answer built from whatever
 * it accepted (lib/sip/sdp.h). */
#include <stddef.h>
#include <stdint.h>

#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp s;
	struct sdp_choice ch;
	struct sdp_answer_opts o = { .addr = "127.0.0.1", .port = 20000, .allow_srtp = true,
				     .our_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	char why[SDP_WHY_MAX];

	if (sdp_parse((const char *)data, size, &s, why, sizeof(why)) == 0 &&
	    sdp_choose(&s, &o, &ch, why, sizeof(why)) == 0) {
		struct strbuf a = STRBUF_INIT;

		sdp_answer(&s, &o, &ch, &a);
		strbuf_release(&a);
	}
	return 0;
}
