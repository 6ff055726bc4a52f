/* libFuzzer harness: the ActiveSync WBXML decoder on arbitrary bytes
 * with small limits; what decodes must print as XML, read back from
 * that XML and re-encode to a document that decodes to the same XML
 * (the codec's fixed point). The XML reader also gets the raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wbxml/wbxml.h"
#include "wbxml/wbxml_xml.h"

static const struct wbxml_limits lim = {
	.depth_max = 16, .nodes_max = 2000, .string_max = 8192, .strtbl_max = 4096,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum wbxml_err err;
	size_t where;
	struct wbxml_doc *d = wbxml_decode(data, size, &lim, &err, &where), *x, *y;
	char msg[256];

	if (!d) {
		if (err == WBXML_OK || where > size)
			abort();
	} else {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, enc = STRBUF_INIT;

		wbxml_to_xml(d, &a, true);
		x = wbxml_from_xml(a.buf, a.len, &lim, msg, sizeof(msg));
		if (x) {
			wbxml_encode(x, &enc);
			y = wbxml_decode(enc.buf, enc.len, &lim, &err, NULL);
			if (!y)
				abort();
			wbxml_to_xml(y, &b, true);
			/* A second pass must not change the XML again. */
			{
				struct strbuf c = STRBUF_INIT;
				struct wbxml_doc *z = wbxml_from_xml(b.buf, b.len, &lim, msg, sizeof(msg));

				if (!z)
					abort();
				wbxml_to_xml(z, &c, true);
				if (c.len != b.len || memcmp(c.buf, b.buf, b.len) != 0)
					abort();
				wbxml_doc_free(z);
				strbuf_release(&c);
			}
			wbxml_doc_free(y);
			wbxml_doc_free(x);
		}
		strbuf_release(&a);
		strbuf_release(&b);
		strbuf_release(&enc);
		wbxml_doc_free(d);
	}
	x = wbxml_from_xml((const char *)data, size, &lim, msg, sizeof(msg));
	wbxml_doc_free(x);
	return 0;
}
