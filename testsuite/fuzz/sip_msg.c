/* libFuzzer harness: the SIP stream reader (lib/sip/msg.h) on arbitrary
 * bytes fed in pieces of varying size, with the header value helpers on
 * every message it frames. */
#include <stddef.h>
#include <stdint.h>

#include "sip/msg.h"

static void use(const struct sip_msg *m)
{
	char out[256];
	unsigned long n;
	const char *v;

	if ((v = sip_msg_get(m, "From")) != NULL) {
		(void)sip_addr_uri(v, out, sizeof(out));
		(void)sip_addr_param(v, "tag", out, sizeof(out));
	}
	if ((v = sip_msg_get(m, "CSeq")) != NULL)
		(void)sip_cseq_parse(v, &n, out, sizeof(out));
	if (m->request)
		(void)sip_uri_user(m->uri, out, sizeof(out));
	(void)sip_msg_get_nth(m, "Via", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_reader r;
	struct sip_msg m;
	char why[SIP_WHY_MAX];
	size_t off = 0, step = size ? (size_t)data[0] % 97 + 1 : 1;

	sip_reader_init(&r);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int k;

		sip_reader_feed(&r, data + off, n);
		off += n;
		while ((k = sip_reader_next(&r, &m, why, sizeof(why))) > 0) {
			if (k == SIP_READER_PING)
				continue;
			use(&m);
			sip_msg_free(&m);
		}
		if (k < 0)
			break;
	}
	sip_reader_clear(&r);
	return 0;
}
