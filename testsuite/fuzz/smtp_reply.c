/* libFuzzer harness: mtls-probe's SMTP reply parser on arbitrary bytes,
 * cut into lines at LF (a CR before it dropped) as the stream does, with
 * the EHLO keyword search after each complete reply. The parser lives in
 * the program, so its source is included here. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../cmd/mtls-probe/reply.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	const char *p = (const char *)data, *end = p + size;

	smtp_reply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int k;

		if (len && p[len - 1] == '\r')
			len--;
		k = smtp_reply_add(&r, p, len);
		if (k != 0) {
			if (k == 1) {
				(void)smtp_reply_has(&r, "STARTTLS");
				(void)smtp_reply_has(&r, "SIZE");
			}
			smtp_reply_clear(&r);
		}
		p = nl ? nl + 1 : end;
	}
	smtp_reply_clear(&r);
	return 0;
}
