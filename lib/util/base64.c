/* Base64 codec (RFC 4648). */
#include "util/base64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *s, size_t len, struct strbuf *out)
{
	size_t old = out->len, pad = 0, i;
	unsigned acc = 0, n = 0;

	while (len > 0 && s[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		goto bad;
	if (len % 4 == 1)
		goto bad;
	for (i = 0; i < len; i++) {
		int v = b64_val((unsigned char)s[i]);

		if (v < 0)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		if (++n == 4) {
			strbuf_addch(out, (acc >> 16) & 0xff);
			strbuf_addch(out, (acc >> 8) & 0xff);
			strbuf_addch(out, acc & 0xff);
			acc = 0;
			n = 0;
		}
	}
	if (n == 2) {
		strbuf_addch(out, (acc >> 4) & 0xff);
	} else if (n == 3) {
		strbuf_addch(out, (acc >> 10) & 0xff);
		strbuf_addch(out, (acc >> 2) & 0xff);
	}
	return 0;
bad:
	strbuf_setlen(out, old);
	return -1;
}

void base64_encode(const void *data, size_t len, struct strbuf *out)
{
	const unsigned char *p = data;
	size_t i;

	strbuf_grow(out, (len + 2) / 3 * 4);
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		strbuf_addch(out, alphabet[v >> 18]);
		strbuf_addch(out, alphabet[(v >> 12) & 63]);
		strbuf_addch(out, alphabet[(v >> 6) & 63]);
		strbuf_addch(out, alphabet[v & 63]);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		strbuf_addch(out, alphabet[v >> 18]);
		strbuf_addch(out, alphabet[(v >> 12) & 63]);
		strbuf_addstr(out, "==");
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		strbuf_addch(out, alphabet[v >> 18]);
		strbuf_addch(out, alphabet[(v >> 12) & 63]);
		strbuf_addch(out, alphabet[(v >> 6) & 63]);
		strbuf_addch(out, '=');
	}
}
