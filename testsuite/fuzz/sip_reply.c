/* libFuzzer harness: mtls-probe's SIP response parser on arbitrary bytes,
 * cut into lines at LF (a CR before it dropped), with the header lookups
 * the probe makes once a header section is complete. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../cmd/mtls-probe/reply.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_reply r;
	const char *p = (const char *)data, *end = p + size;

	sip_reply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int k;

		if (len && p[len - 1] == '\r')
			len--;
		k = sip_reply_add(&r, p, len);
		if (k != 0) {
			if (k == 1) {
				(void)sip_reply_header(&r, "Allow");
				(void)sip_reply_header(&r, "l");
			}
			sip_reply_clear(&r);
		}
		p = nl ? nl + 1 : end;
	}
	sip_reply_clear(&r);
	return 0;
}
