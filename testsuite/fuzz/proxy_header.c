/* Fuzz harness: PROXY v1/v2 headers and XCLIENT arguments (smtp-edge's
 * proxyproto.c, included since it is private to the program). Input: the
 * bytes at connection start; the same bytes as a string for XCLIENT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/smtp-edge/proxyproto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_info pi;
	struct xclient x;
	const char *why;
	char s[XCLIENT_ARGS_MAX + 2];
	int n = proxy_parse(data, size, &pi, &why);

	if (n > 0 && (size_t)n > size)
		abort();
	for (size_t k = 0; k < size && k < 64; k++)	/* every prefix agrees */
		if (proxy_parse(data, k, &pi, &why) > 0 && n <= 0)
			abort();
	if (size < sizeof(s)) {
		memcpy(s, data, size);
		s[size] = 0;
		xclient_parse(s, &x);
	}
	return 0;
}
