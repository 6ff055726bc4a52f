/* libFuzzer harness: the SMTP reply parser (lib/smtp/reply.c) on
 * arbitrary bytes, cut into lines at LF (a CR before it dropped) as the
 * stream does, with the EHLO keyword search and the re-formatting after
 * each complete reply. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
				{
					struct strbuf out = STRBUF_INIT;

					smtp_reply_format(&r, &out);
					strbuf_release(&out);
				}
			}
			smtp_reply_clear(&r);
		}
		p = nl ? nl + 1 : end;
	}
	smtp_reply_clear(&r);
	return 0;
}
