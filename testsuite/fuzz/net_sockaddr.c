/* Fuzz harness: listen address parsing and the inetd peer variables
 * (lib/net/sockaddr). Input: a spec, or "HOST\nPORT" for the env form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sockaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[1024], text[SOCKADDR_TEXT_MAX], host[64], *nl;
	struct sockaddr_any a[2];
	const char *why;
	unsigned port;
	int n;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	n = sockaddr_parse(s, a, &why);
	for (int i = 0; i < n; i++) {
		sockaddr_format((struct sockaddr *)&a[i].ss, a[i].len, text, sizeof(text));
		sockaddr_host_port((struct sockaddr *)&a[i].ss, a[i].len, host, sizeof(host), &port);
	}
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = 0;
		if (sockaddr_from_text(s, nl + 1, &a[0]) == 0)
			sockaddr_format((struct sockaddr *)&a[0].ss, a[0].len, text, sizeof(text));
	}
	return 0;
}
