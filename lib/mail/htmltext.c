/* HTML to text in one bounded pass: tags and comments dropped, script and
 * style skipped, entities decoded, URL-bearing attributes handed out. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/htmltext.h"

/* The HTML 4 Latin-1 entities, U+00A0 to U+00FF in order. */
static const char *const latin1[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
	"uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr", "deg",
	"plusmn", "sup2", "sup3", "acute", "micro", "para", "middot", "cedil",
	"sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
	"Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute",
	"Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde",
	"Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
	"THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring",
	"aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave",
	"iacute", "icirc", "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc",
	"otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc", "uuml",
	"yacute", "thorn", "yuml",
};

static const struct { const char *name; unsigned cp; } others[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "euro", 0x20ac }, { "hellip", 0x2026 },
	{ "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 },
	{ "rsquo", 0x2019 }, { "ldquo", 0x201c }, { "rdquo", 0x201d },
	{ "sbquo", 0x201a }, { "bdquo", 0x201e }, { "bull", 0x2022 },
	{ "trade", 0x2122 }, { "dagger", 0x2020 }, { "permil", 0x2030 },
	{ "zwnj", 0x200c }, { "zwj", 0x200d }, { "lrm", 0x200e }, { "rlm", 0x200f },
	{ "thinsp", 0x2009 }, { "ensp", 0x2002 }, { "emsp", 0x2003 },
	{ "OElig", 0x152 }, { "oelig", 0x153 }, { "Scaron", 0x160 },
	{ "scaron", 0x161 }, { "Yuml", 0x178 }, { "fnof", 0x192 },
};

/* Whether the tag name (lowercased, n bytes) breaks the line: br, p,
 * div, tr, li, ul, ol, table, h1-h6, blockquote, pre, hr, title, dt, dd,
 * section, article, header, footer, td, th. By length and bytes, not a
 * list of strcmp calls: every tag of every HTML part is looked up, and
 * the list's 26 comparisons were a twentieth of a check's work. */
static int is_block(const char *name, size_t n)
{
	switch (n) {
	case 1:
		return name[0] == 'p';
	case 2:
		if (name[0] == 'h')
			return (name[1] >= '1' && name[1] <= '6') || name[1] == 'r';
		if (name[0] == 't')
			return name[1] == 'r' || name[1] == 'd' || name[1] == 'h';
		if (name[0] == 'd')
			return name[1] == 't' || name[1] == 'd';
		return !memcmp(name, "br", 2) || !memcmp(name, "li", 2) ||
		       !memcmp(name, "ul", 2) || !memcmp(name, "ol", 2);
	case 3:
		return !memcmp(name, "div", 3) || !memcmp(name, "pre", 3);
	case 5:
		return !memcmp(name, "table", 5) || !memcmp(name, "title", 5);
	case 6:
		return !memcmp(name, "header", 6) || !memcmp(name, "footer", 6);
	case 7:
		return !memcmp(name, "section", 7) || !memcmp(name, "article", 7);
	case 10:
		return !memcmp(name, "blockquote", 10);
	default:
		return 0;
	}
}

static const char *const url_attrs[] = { "href", "src", "action", "background" };

static void put_cp(struct strbuf *out, unsigned cp)
{
	if (cp == 0 || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		strbuf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(out, 0xc0 | cp >> 6);
		strbuf_addch(out, 0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		strbuf_addch(out, 0xe0 | cp >> 12);
		strbuf_addch(out, 0x80 | (cp >> 6 & 0x3f));
		strbuf_addch(out, 0x80 | (cp & 0x3f));
	} else {
		strbuf_addch(out, 0xf0 | cp >> 18);
		strbuf_addch(out, 0x80 | (cp >> 12 & 0x3f));
		strbuf_addch(out, 0x80 | (cp >> 6 & 0x3f));
		strbuf_addch(out, 0x80 | (cp & 0x3f));
	}
}

static int named(const char *name, size_t n, unsigned *cp)
{
	for (unsigned i = 0; i < 96; i++)
		if (strlen(latin1[i]) == n && memcmp(latin1[i], name, n) == 0)
			return *cp = 0xa0 + i, 1;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (strlen(others[i].name) == n && memcmp(others[i].name, name, n) == 0)
			return *cp = others[i].cp, 1;
	return 0;
}

/* Decodes the entity at s[i] ('&'); returns the bytes it took, 0 if it is
 * none (the '&' is then text). */
static size_t entity(const char *s, size_t len, size_t i, unsigned *cp)
{
	size_t j = i + 1, start;

	if (j < len && s[j] == '#') {
		int hex = j + 1 < len && (s[j + 1] == 'x' || s[j + 1] == 'X');
		unsigned long v = 0;

		j += hex ? 2 : 1;
		start = j;
		while (j < len && j - start < 8 &&
		       (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])))
			v = v * (hex ? 16 : 10) + (unsigned long)(isdigit((unsigned char)s[j]) ?
				s[j] - '0' : ascii_lower((unsigned char)s[j]) - 'a' + 10), j++;
		if (j == start)
			return 0;
		*cp = v > 0x10ffff ? 0xfffd : (unsigned)v;
		return (j < len && s[j] == ';' ? j + 1 : j) - i;
	}
	start = j;
	while (j < len && j - start <= 8 && isalnum((unsigned char)s[j]))
		j++;
	if (j >= len || s[j] != ';' || !named(s + start, j - start, cp))
		return 0;
	return j + 1 - i;
}

/* Appends s[a..b) with entities decoded. */
static void decode_entities(const char *s, size_t a, size_t b, struct strbuf *out)
{
	while (a < b) {
		unsigned cp;
		size_t n = s[a] == '&' ? entity(s, b, a, &cp) : 0;

		if (n) {
			put_cp(out, cp);
			a += n;
		} else {
			strbuf_addch(out, s[a++]);
		}
	}
}

struct html {
	const char *s;
	size_t len, i, base, max;
	struct strbuf *out;
	htmltext_attr_fn fn;
	void *ctx;
	int stop;
};

static int in_list(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static void space(struct html *h, char c)
{
	struct strbuf *o = h->out;
	char last = o->len > h->base ? o->buf[o->len - 1] : '\n';

	if (c == '\n' && last == ' ')
		o->buf[o->len - 1] = '\n';
	else if (last != ' ' && last != '\n')
		strbuf_addch(o, c);
}

static int is_sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static void attr_value(struct html *h, const char *name, size_t a, size_t b)
{
	struct strbuf v = STRBUF_INIT;
	size_t x = 0, y;

	if (!h->fn || h->stop || !in_list(url_attrs, 4, name))
		return;
	decode_entities(h->s, a, b, &v);
	y = v.len;
	while (x < y && is_sp(v.buf[x]))
		x++;
	while (y > x && is_sp(v.buf[y - 1]))
		y--;
	if (y > x) {
		v.buf[y] = 0;
		h->stop = h->fn(v.buf + x, y - x, h->ctx);
	}
	strbuf_release(&v);
}

/* Attributes up to '>' (quotes may hold '>'); h->i is after the name. */
static void attributes(struct html *h)
{
	const char *s = h->s;

	while (h->i < h->len && s[h->i] != '>') {
		char name[16];
		size_t n = 0, a, b;

		if (is_sp(s[h->i]) || s[h->i] == '/') {
			h->i++;
			continue;
		}
		while (h->i < h->len && !is_sp(s[h->i]) && s[h->i] != '/' && s[h->i] != '>' &&
		       s[h->i] != '=') {
			if (n < sizeof(name) - 1)
				name[n++] = (char)ascii_lower((unsigned char)s[h->i]);
			h->i++;
		}
		name[n] = 0;
		while (h->i < h->len && is_sp(s[h->i]))
			h->i++;
		if (h->i >= h->len || s[h->i] != '=')
			continue;
		h->i++;
		while (h->i < h->len && is_sp(s[h->i]))
			h->i++;
		if (h->i < h->len && (s[h->i] == '"' || s[h->i] == '\'')) {
			const char *q = memchr(s + h->i + 1, s[h->i], h->len - h->i - 1);

			a = h->i + 1;
			b = q ? (size_t)(q - s) : h->len;
			h->i = q ? b + 1 : h->len;
		} else {
			a = h->i;
			while (h->i < h->len && !is_sp(s[h->i]) && s[h->i] != '>')
				h->i++;
			b = h->i;
		}
		attr_value(h, name, a, b);
	}
	if (h->i < h->len)
		h->i++;
}

/* Skips to the "</name" that ends a script or style element. */
static void skip_raw(struct html *h, const char *name)
{
	size_t n = strlen(name);

	while (h->i < h->len) {
		const char *lt = memchr(h->s + h->i, '<', h->len - h->i);

		if (!lt) {
			h->i = h->len;
			return;
		}
		h->i = (size_t)(lt - h->s);
		if (h->len - h->i >= n + 2 && lt[1] == '/' && ascii_ncaseeq(lt + 2, name, n))
			return;
		h->i++;
	}
}

static void tag(struct html *h)
{
	const char *s = h->s;
	size_t j = h->i + 1, n = 0;
	int closing = 0;
	char name[16];

	if (j < h->len && s[j] == '/')
		closing = 1, j++;
	if (j >= h->len || !isalpha((unsigned char)s[j])) {
		strbuf_addch(h->out, '<');
		h->i++;
		return;
	}
	while (j < h->len && isalnum((unsigned char)s[j])) {
		if (n < sizeof(name) - 1)
			name[n++] = (char)ascii_lower((unsigned char)s[j]);
		j++;
	}
	name[n] = 0;
	h->i = j;
	attributes(h);
	if (is_block(name, n))
		space(h, '\n');
	if (!closing && ((n == 6 && !memcmp(name, "script", 6)) || (n == 5 && !memcmp(name, "style", 5))))
		skip_raw(h, name);
}

static void markup(struct html *h)
{
	const char *s = h->s, *end;
	size_t rest = h->len - h->i;

	if (rest >= 4 && memcmp(s + h->i, "<!--", 4) == 0) {
		end = memmem(s + h->i + 4, rest - 4, "-->", 3);
		h->i = end ? (size_t)(end - s) + 3 : h->len;
	} else if (rest >= 2 && (s[h->i + 1] == '!' || s[h->i + 1] == '?')) {
		end = memchr(s + h->i, '>', rest);
		h->i = end ? (size_t)(end - s) + 1 : h->len;
	} else {
		tag(h);
	}
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

/* Bytes that end a run of plain text: markup, entities, blanks. */
static const unsigned char run_end[256] = {
	['<'] = 1, ['&'] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, ['\f'] = 1,
};

/* Appends the plain text at h->i (its first byte whatever it is) up to
 * the next byte of run_end, in one copy instead of a call a byte; no
 * further than max allows, where the byte-by-byte loop stopped too. */
static void text_run(struct html *h)
{
	size_t e = h->i + 1, room = h->max - (h->out->len - h->base);

	while (e < h->len && e - h->i < room && !run_end[(unsigned char)h->s[e]])
		e++;
	strbuf_add(h->out, h->s + h->i, e - h->i);
	h->i = e;
}

int htmltext_strip(const char *s, size_t len, size_t max, struct strbuf *out,
		   htmltext_attr_fn fn, void *ctx)
{
	struct html h = { s, len, 0, out->len, max, out, fn, ctx, 0 };

	while (h.i < len && !h.stop && out->len - h.base < max) {
		char c = s[h.i];
		unsigned cp;
		size_t n;

		if (c == '<') {
			markup(&h);
		} else if (c == '&' && (n = entity(s, len, h.i, &cp))) {
			if (cp == 0xa0)
				space(&h, ' ');
			else
				put_cp(out, cp);
			h.i += n;
		} else if (is_sp(c)) {
			space(&h, ' ');
			h.i++;
		} else {
			text_run(&h);
		}
	}
	if (out->len - h.base >= max && h.i < len) {
		strbuf_setlen(out, utf8_cut(out->buf, h.base, h.base + max));
	}
	return h.stop;
}
