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

/* The walk over the parts behind mime_text, mime_urls, mime_text_urls
 * and mime_part_text: each part decoded and converted once, for its text
 * and its URLs both. */

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
	size_t base;
	unsigned d;

	if (!text) {
		charset_to_utf8(p->charset, s, len, u8);
		*r = scan_text(u8->buf ? u8->buf : "", url_span(m, u8->buf, u8->len), u);
		return 0;
	}
	base = out->len;
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
	unsigned d = charset_to_utf8(p->charset, s, len, u8);
	const char *t = u8->buf ? u8->buf : "";
	bool reuse = false;
	size_t base;

	if (urls) {
		*r = htmltext_strip(t, u8->len, mime_limits(m)->decode_max, html, attr_url, u);
		reuse = *r == 0 && html->len < max && html->len < mime_limits(m)->decode_max;
		if (!*r && u->left)
			*r = scan_text(html->buf ? html->buf : "", html->len, u);
	}
	if (!text)
		return 0;
	base = out->len;
	if (reuse)
		strbuf_add(out, html->buf ? html->buf : "", html->len);
	else
		htmltext_strip(t, u8->len, max, out, NULL, NULL);
	return d | (u8->len && out->len - base >= max ? MIME_D_DECODE_LIMIT : 0);
}

/* Scratch buffers of a walk, reused from part to part. */
struct bufs {
	struct strbuf raw, u8, html;
};

static void bufs_release(struct bufs *b)
{
	strbuf_release(&b->raw);
	strbuf_release(&b->u8);
	strbuf_release(&b->html);
}

/* One part: its text appended to out (at most max bytes) when text, its
 * URLs reported to u when urls. Returns the defects for out. */
static unsigned one_part(const struct mime_msg *m, const struct mime_part *p, bool text,
			 bool urls, size_t max, struct strbuf *out, struct urls *u,
			 struct bufs *b, int *r)
{
	const char *s;
	size_t len;
	unsigned d;

	strbuf_reset(&b->raw);
	strbuf_reset(&b->u8);
	strbuf_reset(&b->html);
	d = body_bytes(m, p, &b->raw, &s, &len);
	if (is_html(p))
		return d | html_part(m, p, s, len, text, urls, max, out, &b->u8, &b->html, u, r);
	return d | plain_part(m, p, s, len, text, urls, max, out, &b->u8, u, r);
}

/* The text into out (NULL: none) and the URLs to u (NULL: none). */
static unsigned walk(const struct mime_msg *m, unsigned flags, size_t max, struct strbuf *out,
		     struct urls *u, int *urls_rc)
{
	struct bufs b = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	unsigned d = 0, n = mime_part_count(m);
	size_t base = out ? out->len : 0;
	int r = 0;

	if (!max)
		max = mime_limits(m)->decode_max;
	if (out && !(flags & MIME_TEXT_NO_SUBJECT)) {
		d |= mime_subject(m, out);
		strbuf_addch(out, '\n');
	}
	for (unsigned i = 0; i < n; i++) {
		const struct mime_part *p = mime_part_at(m, i);
		bool text_room = out && out->len - base < max, url_room = u && !r && u->left;
		bool text = text_room && counts(p, flags), urls = url_room && counts(p, 0);
		unsigned dd;

		if (!text_room && !url_room)
			break;
		if (!text && !urls)
			continue;
		dd = one_part(m, p, text, urls, text ? max - (out->len - base) : 0, out, u, &b, &r);
		if (text) {
			d |= dd;
			strbuf_addch(out, '\n');
		}
	}
	bufs_release(&b);
	if (urls_rc)
		*urls_rc = r;
	return out ? d | cut(out, base, max) : 0;
}

unsigned mime_text_urls(const struct mime_msg *m, unsigned flags, size_t max,
			struct strbuf *out, mime_url_fn fn, void *ctx, int *urls_rc)
{
	struct urls u = { fn, ctx, mime_limits(m)->urls_max, 1 };

	return walk(m, flags, max, out, &u, urls_rc);
}

unsigned mime_text(const struct mime_msg *m, unsigned flags, size_t max, struct strbuf *out)
{
	return walk(m, flags, max, out, NULL, NULL);
}

int mime_urls(const struct mime_msg *m, mime_url_fn fn, void *ctx)
{
	struct urls u = { fn, ctx, mime_limits(m)->urls_max, 1 };
	int r;

	walk(m, 0, 0, NULL, &u, &r);
	return r;
}

unsigned mime_part_text(const struct mime_msg *m, const struct mime_part *p,
			struct strbuf *out)
{
	struct bufs b = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	unsigned d = one_part(m, p, true, false, mime_limits(m)->decode_max, out, NULL, &b, NULL);

	bufs_release(&b);
	return d;
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
