/* Decoding on demand over a parsed message: transfer decoding, text in
 * UTF-8 for classification and rules, and the URLs in it. */
#include <ctype.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/charset.h"
#include "mail/cte.h"
#include "mail/htmltext.h"
#include "mail/mime.h"
#include "mail/rfc2047.h"

unsigned mime_header_decode(const struct mime_header *h, struct strbuf *out)
{
	return rfc2047_decode(h->value, h->value_len, out);
}

unsigned mime_subject(const struct mime_msg *m, struct strbuf *out)
{
	const struct mime_header *h = mime_header_find(mime_root(m), "Subject", 0);

	return h ? mime_header_decode(h, out) : 0;
}

static unsigned decode(const struct mime_msg *m, const struct mime_part *p, size_t max,
		       struct strbuf *out)
{
	size_t len;
	const char *body = mime_part_body(m, p, &len);
	int container = p->child || !strcmp(p->type, "multipart");

	if (!container && p->cte == MIME_CTE_BASE64)
		return cte_base64_decode(body, len, max, out);
	if (!container && p->cte == MIME_CTE_QP)
		return cte_qp_decode(body, len, max, out);
	if (len > max) {
		strbuf_add(out, body, max);
		return MIME_D_DECODE_LIMIT;
	}
	strbuf_add(out, body, len);
	return 0;
}

unsigned mime_part_decode(const struct mime_msg *m, const struct mime_part *p,
			  struct strbuf *out)
{
	return decode(m, p, mime_limits(m)->decode_max, out);
}

/* Where to cut buf[base..at) so that no UTF-8 sequence is left half. */
static size_t utf8_cut(const char *buf, size_t base, size_t at)
{
	size_t p = at, need;
	unsigned char c;

	while (p > base && ((unsigned char)buf[p - 1] & 0xc0) == 0x80 && at - p < 3)
		p--;
	if (p == base)
		return at;
	c = (unsigned char)buf[p - 1];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	return p - 1 + need > at ? p - 1 : at;
}

/* Cuts out back to base + max, not inside a UTF-8 sequence. */
static unsigned cut(struct strbuf *out, size_t base, size_t max)
{
	if (out->len - base <= max)
		return 0;
	strbuf_setlen(out, utf8_cut(out->buf, base, base + max));
	return MIME_D_DECODE_LIMIT;
}

static int is_html(const struct mime_part *p)
{
	return mime_part_is(p, "text", "html");
}

/* The text of p, HTML reduced, at most max bytes; fn gets HTML's URL
 * attributes. */
static unsigned part_text(const struct mime_msg *m, const struct mime_part *p, size_t max,
			  struct strbuf *out, htmltext_attr_fn fn, void *ctx, int *stop)
{
	struct strbuf raw = STRBUF_INIT, utf8 = STRBUF_INIT;
	unsigned d = decode(m, p, mime_limits(m)->decode_max, &raw);
	size_t base = out->len;

	if (!is_html(p)) {
		d |= charset_to_utf8(p->charset, raw.buf, raw.len, out);
		d |= cut(out, base, max);
	} else {
		d |= charset_to_utf8(p->charset, raw.buf, raw.len, &utf8);
		*stop = htmltext_strip(utf8.buf ? utf8.buf : "", utf8.len, max, out, fn, ctx);
		if (utf8.len && out->len - base >= max)
			d |= MIME_D_DECODE_LIMIT;
	}
	strbuf_release(&raw);
	strbuf_release(&utf8);
	return d;
}

unsigned mime_part_text(const struct mime_msg *m, const struct mime_part *p,
			struct strbuf *out)
{
	int stop;

	return part_text(m, p, mime_limits(m)->decode_max, out, NULL, NULL, &stop);
}

/* Whether p's text counts for mime_text and mime_urls. */
static int counts(const struct mime_part *p, unsigned flags)
{
	if (p->child)
		return 0;
	if (!strcmp(p->type, "multipart"))
		return (p->defects & MIME_D_BOUNDARY_NEVER) != 0;
	if (!mime_part_is(p, "text", "plain") && !is_html(p))
		return 0;
	return !p->is_attachment || (flags & MIME_TEXT_ATTACHMENTS);
}

unsigned mime_text(const struct mime_msg *m, unsigned flags, size_t max, struct strbuf *out)
{
	unsigned d = 0, n = mime_part_count(m);
	size_t base = out->len;
	int stop;

	if (!max)
		max = mime_limits(m)->decode_max;
	if (!(flags & MIME_TEXT_NO_SUBJECT)) {
		d |= mime_subject(m, out);
		strbuf_addch(out, '\n');
	}
	for (unsigned i = 0; i < n && out->len - base < max; i++) {
		const struct mime_part *p = mime_part_at(m, i);

		if (!counts(p, flags))
			continue;
		d |= part_text(m, p, max - (out->len - base), out, NULL, NULL, &stop);
		strbuf_addch(out, '\n');
	}
	return d | cut(out, base, max);
}

/* URLs */

struct urls {
	mime_url_fn fn;
	void *ctx;
	unsigned left;		/* URLs still to report; 0 stops */
	int limited;
};

static int report(struct urls *u, const char *url, size_t len)
{
	char buf[MIME_URL_MAX + 1];

	if (u->limited && u->left == 0)
		return 0;
	if (len > MIME_URL_MAX)
		len = MIME_URL_MAX;
	memcpy(buf, url, len);
	buf[len] = 0;
	if (u->limited)
		u->left--;
	return u->fn(buf, len, u->ctx);
}

static int url_char(unsigned char c)
{
	return c > 32 && c != 127 && !strchr("<>\"'`{}|\\^", c);
}

/* The http(s) URL whose "://" is at s[i], or 0: its start and length. */
static size_t url_at(const char *s, size_t len, size_t i, size_t *start)
{
	size_t a, e = i + 3;

	if (i >= 5 && ascii_ncaseeq(s + i - 5, "https", 5))
		a = i - 5;
	else if (i >= 4 && ascii_ncaseeq(s + i - 4, "http", 4))
		a = i - 4;
	else
		return 0;
	if (a > 0 && isalnum((unsigned char)s[a - 1]))
		return 0;
	while (e < len && url_char((unsigned char)s[e]))
		e++;
	/* Punctuation that ends a sentence is not the URL's. */
	while (e > i + 3 && strchr(".,;:!?)]", s[e - 1]))
		e--;
	if (e == i + 3)
		return 0;
	*start = a;
	return e - a;
}

static int scan_text(const char *s, size_t len, struct urls *u)
{
	size_t i = 0, a, n;
	int r;

	while (i + 3 <= len) {
		const char *p = memmem(s + i, len - i, "://", 3);

		if (!p)
			break;
		i = (size_t)(p - s);
		if ((n = url_at(s, len, i, &a))) {
			if ((r = report(u, s + a, n)) != 0)
				return r;
			if (u->limited && u->left == 0)
				return 0;
			i = a + n;
		} else {
			i += 3;
		}
	}
	return 0;
}

static int attr_url(const char *v, size_t len, void *ctx)
{
	struct urls *u = ctx;
	size_t a;

	if (len > 7 && (ascii_ncaseeq(v, "http://", 7) || ascii_ncaseeq(v, "https://", 8))) {
		size_t n = url_at(v, len, (size_t)(strstr(v, "://") - v), &a);

		if (n && u->limited && u->left == 0)
			return 0;
		return n ? report(u, v + a, n) : 0;
	}
	return 0;
}

int mime_urls_scan(const char *s, size_t len, bool html, unsigned max, mime_url_fn fn,
		   void *ctx)
{
	struct urls u = { fn, ctx, max, max != 0 };
	struct strbuf text = STRBUF_INIT;
	int r;

	if (!html)
		return scan_text(s, len, &u);
	r = htmltext_strip(s, len, (size_t)-1 / 2, &text, attr_url, &u);
	if (!r)
		r = scan_text(text.buf ? text.buf : "", text.len, &u);
	strbuf_release(&text);
	return r;
}

int mime_urls(const struct mime_msg *m, mime_url_fn fn, void *ctx)
{
	struct urls u = { fn, ctx, mime_limits(m)->urls_max, 1 };
	unsigned n = mime_part_count(m);
	int r = 0;

	for (unsigned i = 0; i < n && !r && u.left; i++) {
		const struct mime_part *p = mime_part_at(m, i);
		struct strbuf text = STRBUF_INIT;

		if (!counts(p, 0))
			continue;
		part_text(m, p, mime_limits(m)->decode_max, &text, attr_url, &u, &r);
		if (!r && u.left)
			r = scan_text(text.buf ? text.buf : "", text.len, &u);
		strbuf_release(&text);
	}
	return r;
}

/* mime_text_urls: one decoding of each part for both. */

/* p's body with its transfer encoding undone, as decode gives it, in
 * *s and *len: base64 and quoted-printable decoded into raw, any other
 * body where it is in the message (decode's copy of it saved). Returns
 * decode's defects. */
static unsigned body_bytes(const struct mime_msg *m, const struct mime_part *p,
			  struct strbuf *raw, const char **s, size_t *len)
{
	size_t max = mime_limits(m)->decode_max, blen;
	const char *body = mime_part_body(m, p, &blen);
	int container = p->child || !strcmp(p->type, "multipart");
	unsigned d = 0;

	if (!container && (p->cte == MIME_CTE_BASE64 || p->cte == MIME_CTE_QP)) {
		d = decode(m, p, max, raw);
		*s = raw->buf ? raw->buf : "";
		*len = raw->len;
		return d;
	}
	*s = body;
	*len = blen > max ? max : blen;
	return blen > max ? MIME_D_DECODE_LIMIT : 0;
}

/* The length of u8[0..len) that mime_urls scans: at most decode_max, not
 * cutting a UTF-8 sequence. */
static size_t url_span(const struct mime_msg *m, const char *u8, size_t len)
{
	size_t max = mime_limits(m)->decode_max;

	return len <= max ? len : utf8_cut(u8, 0, max);
}

/* A text/plain part: converted straight into out when its text counts
 * (the URLs scanned there before out is cut to max), else into u8 for
 * the URLs alone. Returns the defects for out. */
static unsigned plain_part(const struct mime_msg *m, const struct mime_part *p, const char *s,
			   size_t len, bool text, bool urls, size_t max, struct strbuf *out,
			   struct strbuf *u8, struct urls *u, int *r)
{
	size_t base = out->len;
	unsigned d;

	if (!text) {
		charset_to_utf8(p->charset, s, len, u8);
		*r = scan_text(u8->buf ? u8->buf : "", url_span(m, u8->buf, u8->len), u);
		return 0;
	}
	d = charset_to_utf8(p->charset, s, len, out);
	if (urls)
		*r = scan_text(out->buf + base, url_span(m, out->buf + base, out->len - base), u);
	return d | cut(out, base, max);
}

/* A text/html part: stripped for the URLs (no limit but decode_max) and
 * for the text (at most max); the first pass's text is the second's
 * when it stayed under both limits (the two ran the same steps to the
 * end), else the text is stripped again. Returns the defects for out. */
static unsigned html_part(const struct mime_msg *m, const struct mime_part *p, const char *s,
			  size_t len, bool text, bool urls, size_t max, struct strbuf *out,
			  struct strbuf *u8, struct strbuf *html, struct urls *u, int *r)
{
	size_t base = out->len;
	unsigned d = charset_to_utf8(p->charset, s, len, u8);
	const char *t = u8->buf ? u8->buf : "";
	bool reuse = false;

	if (urls) {
		*r = htmltext_strip(t, u8->len, mime_limits(m)->decode_max, html, attr_url, u);
		reuse = *r == 0 && html->len < max && html->len < mime_limits(m)->decode_max;
		if (!*r && u->left)
			*r = scan_text(html->buf ? html->buf : "", html->len, u);
	}
	if (!text)
		return 0;
	if (reuse)
		strbuf_add(out, html->buf ? html->buf : "", html->len);
	else
		htmltext_strip(t, u8->len, max, out, NULL, NULL);
	return d | (u8->len && out->len - base >= max ? MIME_D_DECODE_LIMIT : 0);
}

unsigned mime_text_urls(const struct mime_msg *m, unsigned flags, size_t max,
			struct strbuf *out, mime_url_fn fn, void *ctx, int *urls_rc)
{
	struct urls u = { fn, ctx, mime_limits(m)->urls_max, 1 };
	struct strbuf raw = STRBUF_INIT, u8 = STRBUF_INIT, html = STRBUF_INIT;
	unsigned d = 0, n = mime_part_count(m);
	size_t base = out->len;
	int r = 0;

	if (!max)
		max = mime_limits(m)->decode_max;
	if (!(flags & MIME_TEXT_NO_SUBJECT)) {
		d |= mime_subject(m, out);
		strbuf_addch(out, '\n');
	}
	for (unsigned i = 0; i < n && (out->len - base < max || (!r && u.left)); i++) {
		const struct mime_part *p = mime_part_at(m, i);
		bool text = out->len - base < max && counts(p, flags);
		bool urls = !r && u.left && counts(p, 0);
		size_t left = max - (out->len - base), len;
		const char *s;
		unsigned dd;

		if (!text && !urls)
			continue;
		strbuf_reset(&raw);
		strbuf_reset(&u8);
		strbuf_reset(&html);
		dd = body_bytes(m, p, &raw, &s, &len);
		if (is_html(p))
			dd |= html_part(m, p, s, len, text, urls, left, out, &u8, &html, &u, &r);
		else
			dd |= plain_part(m, p, s, len, text, urls, left, out, &u8, &u, &r);
		if (text) {
			d |= dd;
			strbuf_addch(out, '\n');
		}
	}
	strbuf_release(&raw);
	strbuf_release(&u8);
	strbuf_release(&html);
	*urls_rc = r;
	return d | cut(out, base, max);
}

int mime_url_host(const char *url, size_t len, struct strbuf *out)
{
	const char *p = memmem(url, len, "://", 3), *end, *at, *colon;
	size_t n;

	if (!p)
		return -1;
	p += 3;
	for (end = p; end < url + len && !strchr("/?#\\", *end); end++)
		;
	for (at = end; at > p && at[-1] != '@'; at--)
		;
	p = at;
	if (p < end && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		end = rb ? rb + 1 : end;
	} else if ((colon = memchr(p, ':', (size_t)(end - p)))) {
		end = colon;
	}
	while (end > p && end[-1] == '.')
		end--;
	if (end == p)
		return -1;
	n = (size_t)(end - p);
	/* Lowered into the buffer at once, not a strbuf_addch a byte. */
	strbuf_grow(out, n);
	for (size_t i = 0; i < n; i++)
		out->buf[out->len + i] = (char)ascii_lower((unsigned char)p[i]);
	strbuf_setlen(out, out->len + n);
	return 0;
}
