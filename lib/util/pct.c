/* Percent-decoding; see pct.h. */
#include "util/pct.h"

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pct_decode(struct strbuf *out, const char *in, size_t len, unsigned flags)
{
	int bad = 0;
	const int plus = (flags & PCT_PLUS_SPACE) != 0;

	for (size_t i = 0; i < len; i++) {
		size_t run = 0;
		int hi, lo;

		/* A run of bytes that stay as they are goes in at once. */
		while (i + run < len && in[i + run] != '%' && !(plus && in[i + run] == '+'))
			run++;
		if (run) {
			strbuf_add(out, in + i, run);
			i += run - 1;
			continue;
		}
		if (in[i] == '+') {
			strbuf_addch(out, ' ');
		} else if (len - i >= 3 && (hi = hex_digit((unsigned char)in[i + 1])) >= 0 &&
			   (lo = hex_digit((unsigned char)in[i + 2])) >= 0) {
			strbuf_addch(out, hi << 4 | lo);
			i += 2;
		} else if (flags & PCT_STRICT) {
			return -1;
		} else {
			strbuf_addch(out, '%');
			bad++;
		}
	}
	return bad;
}
