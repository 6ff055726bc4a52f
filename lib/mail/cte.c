/* Transfer decoders for mail bodies and encoded-words: base64 that skips
 * what it cannot read, quoted-printable that keeps bad escapes. */
#include <string.h>

#include "mail/cte.h"
#include "mail/defect.h"
#include "util/pct.h"

static signed char b64val[256];
static int b64ready;

static void b64_init(void)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (int i = 0; i < 256; i++)
		b64val[i] = -1;
	for (int i = 0; i < 64; i++)
		b64val[(unsigned char)a[i]] = (signed char)i;
	b64ready = 1;
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Appends n bytes if they fit under max; returns 0, or -1 when cut. */
static int put(struct strbuf *out, size_t base, size_t max, const unsigned char *b, size_t n)
{
	size_t room = max - (out->len - base);

	if (n > room) {
		strbuf_add(out, b, room);
		return -1;
	}
	strbuf_add(out, b, n);
	return 0;
}

/* Writes what the n (< 4) sextets in acc hold: n 2 gives one byte, 3 two.
 * Returns 0, or -1 when the output was cut. */
static int partial(unsigned acc, unsigned n, struct strbuf *out, size_t base, size_t max)
{
	unsigned char b[2];

	if (n < 2)
		return 0;
	if (n == 2) {
		b[0] = (unsigned char)(acc >> 4);
	} else {
		b[0] = (unsigned char)(acc >> 10);
		b[1] = (unsigned char)(acc >> 2);
	}
	return put(out, base, max, b, n - 1);
}

unsigned cte_base64_decode(const char *s, size_t len, size_t max, struct strbuf *out)
{
	unsigned defects = 0, acc = 0, n = 0;
	size_t base = out->len;
	int padded = 0;		/* the last quantum ended with a pad */
	unsigned char chunk[3];

	if (!b64ready)
		b64_init();
	strbuf_grow(out, len / 4 * 3 + 3 < max ? len / 4 * 3 + 3 : max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v = b64val[c];

		if (v >= 0) {
			padded = 0;
			acc = acc << 6 | (unsigned)v;
			if (++n < 4)
				continue;
			chunk[0] = (unsigned char)(acc >> 16);
			chunk[1] = (unsigned char)(acc >> 8);
			chunk[2] = (unsigned char)acc;
			if (put(out, base, max, chunk, 3) < 0)
				return defects | MIME_D_DECODE_LIMIT;
			acc = n = 0;
		} else if (c == '=') {
			/* A pad ends the quantum; a second one is fine, one
			 * with nothing to end is noted. */
			if (n == 0 && padded)
				continue;
			if (n < 2)
				defects |= MIME_D_BAD_BASE64;
			if (partial(acc, n, out, base, max) < 0)
				return defects | MIME_D_DECODE_LIMIT;
			padded = 1;
			acc = n = 0;
		} else if (!is_blank(c)) {
			defects |= MIME_D_BAD_BASE64;
		}
	}
	/* A last quantum without its padding: what it holds. */
	if (n == 1)
		defects |= MIME_D_BAD_BASE64;
	if (partial(acc, n, out, base, max) < 0)
		defects |= MIME_D_DECODE_LIMIT;
	return defects;
}

/* Length of the line starting at s[i] without its line end, and where the
 * next line starts. */
static size_t line_end(const char *s, size_t len, size_t i, size_t *next)
{
	size_t e = i;

	while (e < len && s[e] != '\n')
		e++;
	*next = e < len ? e + 1 : e;
	if (e > i && s[e - 1] == '\r' && e < len)
		e--;
	return e;
}

/* Decodes one line s[i..e) (no line end) of QP; returns whether it ended
 * in a soft break, or -1 when the output was cut. */
static int qp_line(const char *s, size_t i, size_t e, size_t base, size_t max,
		   struct strbuf *out, unsigned *defects)
{
	/* Trailing blanks are transport padding (RFC 2045 6.7 rule 3). */
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	while (i < e) {
		const char *eq = memchr(s + i, '=', e - i);
		size_t run = eq ? (size_t)(eq - s) - i : e - i;
		int hi, lo;

		if (put(out, base, max, (const unsigned char *)s + i, run) < 0)
			return -1;
		i += run;
		if (i >= e)
			break;
		if (i + 1 == e)
			return 1;	/* soft line break */
		hi = hex_digit((unsigned char)s[i + 1]);
		lo = i + 2 < e ? hex_digit((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			*defects |= MIME_D_BAD_QP;
			if (put(out, base, max, (const unsigned char *)"=", 1) < 0)
				return -1;
			i++;
			continue;
		}
		if (put(out, base, max, (unsigned char[]){ (unsigned char)(hi << 4 | lo) }, 1) < 0)
			return -1;
		i += 3;
	}
	return 0;
}

unsigned cte_qp_decode(const char *s, size_t len, size_t max, struct strbuf *out)
{
	unsigned defects = 0;
	size_t base = out->len, i = 0, next;

	strbuf_grow(out, len < max ? len : max);
	while (i < len) {
		size_t e = line_end(s, len, i, &next);
		int soft = qp_line(s, i, e, base, max, out, &defects);

		if (soft < 0)
			return defects | MIME_D_DECODE_LIMIT;
		/* The line's own end, as written (CRLF or LF), unless soft. */
		if (!soft && next > e && put(out, base, max, (const unsigned char *)s + e, next - e) < 0)
			return defects | MIME_D_DECODE_LIMIT;
		i = next;
	}
	return defects;
}

unsigned cte_q_decode(const char *s, size_t len, struct strbuf *out)
{
	unsigned defects = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '_') {
			strbuf_addch(out, ' ');
		} else if (s[i] != '=') {
			strbuf_addch(out, s[i]);
		} else if (i + 2 < len && (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
			   (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
			strbuf_addch(out, hi << 4 | lo);
			i += 2;
		} else {
			defects |= MIME_D_BAD_QP;
			strbuf_addch(out, '=');
		}
	}
	return defects;
}
