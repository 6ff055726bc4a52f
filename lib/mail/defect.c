/* Names of the MIME defect flags, for logs, dumps and explanations. */
#include "mail/defect.h"

static const char *const names[MIME_D_COUNT] = {
	"no-headers", "no-separator", "bad-header", "header-limit", "nul",
	"8bit-header", "bad-content-type", "duplicate-content-type", "bad-cte",
	"no-boundary", "boundary-never", "no-final-boundary", "depth-limit",
	"parts-limit", "bad-base64", "bad-qp", "bad-charset", "bad-text",
	"bad-2047", "bad-param", "decode-limit", "long-line", "bad-disposition",
};

const char *mime_defect_name(unsigned bit)
{
	for (unsigned i = 0; i < MIME_D_COUNT; i++)
		if (bit == 1u << i)
			return names[i];
	return NULL;
}

void mime_defects_format(unsigned defects, struct strbuf *out)
{
	const char *sep = "";

	for (unsigned i = 0; i < MIME_D_COUNT; i++) {
		if (!(defects & 1u << i))
			continue;
		strbuf_addstr(out, sep);
		strbuf_addstr(out, names[i]);
		sep = ",";
	}
}
