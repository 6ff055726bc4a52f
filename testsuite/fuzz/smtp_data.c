/* libFuzzer harness: the DATA/BDAT decoder fed in random pieces, then the
 * encoder on what came out. Checks the promise of smtp/data.h: the
 * encoded text has exactly one end marker, at its very end; and the BDAT
 * encoding is that text unstuffed, without the marker. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/data.h"
#include "util/strbuf.h"

static size_t count_ends(const struct strbuf *sb)
{
	size_t n = 0;

	if (sb->len >= 3 && memcmp(sb->buf, ".\r\n", 3) == 0)
		n++;
	for (size_t i = 0; i + 5 <= sb->len; i++)
		if (memcmp(sb->buf + i, "\r\n.\r\n", 5) == 0)
			n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_data_decoder d;
	struct smtp_data_encoder e;
	struct strbuf out = STRBUF_INIT, enc = STRBUF_INIT, bdat = STRBUF_INIT, back = STRBUF_INIT;
	size_t i = 1, step;

	if (size < 1)
		return 0;
	smtp_data_decoder_init(&d, data[0] & 1, data[0] & 2);
	step = (data[0] >> 2) + 1;
	while (i < size && !d.done) {
		size_t n = size - i < step ? size - i : step;

		i += smtp_data_decode(&d, (const char *)data + i, n, &out);
	}
	if (d.bdat)
		smtp_data_decode_finish(&d, &out);
	if (d.normalise) {
		for (size_t k = 0; k < out.len; k++)
			if (out.buf[k] == '\n' && (k == 0 || out.buf[k - 1] != '\r'))
				abort();	/* a bare LF survived normalising */
	}
	smtp_data_encoder_init(&e);
	smtp_data_encode(&e, out.buf ? out.buf : "", out.len, &enc);
	smtp_data_encode_end(&e, &enc);
	if (count_ends(&enc) != 1 || enc.len < 3 || memcmp(enc.buf + enc.len - 3, ".\r\n", 3))
		abort();
	/* For BDAT, the same text as DATA carries, once unstuffed and
	 * without its end marker: the next hop reads one message either way. */
	smtp_data_encoder_init_bdat(&e);
	smtp_data_encode(&e, out.buf ? out.buf : "", out.len, &bdat);
	smtp_data_encode_end(&e, &bdat);
	smtp_data_decoder_init(&d, false, false);
	if (smtp_data_decode(&d, enc.buf, enc.len, &back) != enc.len || !d.done ||
	    d.bare_cr || d.bare_lf || back.len != bdat.len ||
	    (bdat.len && memcmp(back.buf, bdat.buf, bdat.len)))
		abort();
	strbuf_release(&out);
	strbuf_release(&enc);
	strbuf_release(&bdat);
	strbuf_release(&back);
	return 0;
}
