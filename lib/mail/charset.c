/* Charset conversion to UTF-8: UTF-8, ASCII, latin1 and windows-1252 here,
 * everything else through iconv with a small cache of descriptors. */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/charset.h"
#include "mail/defect.h"
#include "util/mem.h"

enum cs_kind { CS_NONE, CS_UTF8, CS_1252, CS_8859_15, CS_ICONV, CS_UNKNOWN };

struct alias {
	const char *name, *to;
	enum cs_kind kind;
};

/* Labels mail uses for charsets iconv names otherwise or not at all. The
 * latin1 labels read as windows-1252, as mail readers and WHATWG do: mail
 * labelled latin1 is very often windows-1252, and 1252 agrees with latin1
 * on every printable byte. */
static const struct alias aliases[] = {
	{ "us-ascii", NULL, CS_NONE }, { "ascii", NULL, CS_NONE },
	{ "us", NULL, CS_NONE }, { "ansi_x3.4-1968", NULL, CS_NONE },
	{ "iso646-us", NULL, CS_NONE }, { "646", NULL, CS_NONE },
	{ "utf-8", NULL, CS_UTF8 }, { "utf8", NULL, CS_UTF8 },
	{ "x-utf8", NULL, CS_UTF8 }, { "unicode-1-1-utf-8", NULL, CS_UTF8 },
	{ "iso-8859-1", NULL, CS_1252 }, { "iso8859-1", NULL, CS_1252 },
	{ "iso_8859-1", NULL, CS_1252 }, { "iso_8859-1:1987", NULL, CS_1252 },
	{ "iso88591", NULL, CS_1252 }, { "8859-1", NULL, CS_1252 },
	{ "latin1", NULL, CS_1252 }, { "latin-1", NULL, CS_1252 },
	{ "l1", NULL, CS_1252 }, { "cp819", NULL, CS_1252 }, { "ibm819", NULL, CS_1252 },
	{ "windows-1252", NULL, CS_1252 }, { "cp1252", NULL, CS_1252 },
	{ "x-cp1252", NULL, CS_1252 }, { "cp-1252", NULL, CS_1252 },
	/* Here rather than through iconv, byte for byte what iconv gives:
	 * opening iconv loads a module, a tenth of a millisecond in a
	 * process per message, for a table of eight differences. */
	{ "iso-8859-15", NULL, CS_8859_15 }, { "iso8859-15", NULL, CS_8859_15 },
	{ "iso_8859-15", NULL, CS_8859_15 },
	{ "gb2312", "GB18030", CS_ICONV }, { "gbk", "GB18030", CS_ICONV },
	{ "x-gbk", "GB18030", CS_ICONV }, { "cp936", "GB18030", CS_ICONV },
	{ "euc-cn", "GB18030", CS_ICONV },
	{ "ks_c_5601-1987", "CP949", CS_ICONV }, { "ks_c_5601", "CP949", CS_ICONV },
	{ "ksc5601", "CP949", CS_ICONV }, { "euc-kr", "CP949", CS_ICONV },
	{ "x-windows-949", "CP949", CS_ICONV },
	{ "shift_jis", "CP932", CS_ICONV }, { "shift-jis", "CP932", CS_ICONV },
	{ "sjis", "CP932", CS_ICONV }, { "x-sjis", "CP932", CS_ICONV },
	{ "ms_kanji", "CP932", CS_ICONV }, { "windows-31j", "CP932", CS_ICONV },
	{ "iso-8859-8-i", "ISO-8859-8", CS_ICONV },
	{ "x-mac-roman", "MACINTOSH", CS_ICONV },
	{ "unicode-1-1-utf-7", "UTF-7", CS_ICONV },
	{ "default", NULL, CS_UNKNOWN }, { "x-unknown", NULL, CS_UNKNOWN },
	{ "unknown", NULL, CS_UNKNOWN }, { "unknown-8bit", NULL, CS_UNKNOWN },
	{ "x-user-defined", NULL, CS_UNKNOWN },
};

/* windows-1252 0x80-0x9f; the five bytes it leaves undefined map to the
 * C1 controls, as WHATWG does, so that every byte maps. */
static const unsigned short cp1252_hi[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

static void put_cp(struct strbuf *out, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(out, 0xc0 | cp >> 6);
		strbuf_addch(out, 0x80 | (cp & 0x3f));
	} else {
		strbuf_addch(out, 0xe0 | cp >> 12);
		strbuf_addch(out, 0x80 | (cp >> 6 & 0x3f));
		strbuf_addch(out, 0x80 | (cp & 0x3f));
	}
}

#define REPLACEMENT "\xef\xbf\xbd"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static int utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n) {
		if (s[i] < 0x80) {
			n = 1;
			continue;
		}
		if (!(n = utf8_seq(s + i, len - i)))
			return 0;
	}
	return 1;
}

static unsigned from_utf8(const unsigned char *s, size_t len, struct strbuf *out)
{
	unsigned defects = 0;
	size_t i = 0, start = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, len - i))) {
			i += n;
			continue;
		}
		strbuf_add(out, s + start, i - start);
		strbuf_addstr(out, REPLACEMENT);
		defects |= MIME_D_BAD_TEXT;
		start = ++i;
	}
	strbuf_add(out, s + start, i - start);
	return defects;
}

/* A single-byte charset whose bytes below 0x80 are ASCII: runs of
 * ASCII copied whole, each other byte through cp. */
static void from_8bit(const unsigned char *s, size_t len, unsigned (*cp)(unsigned char),
		      struct strbuf *out)
{
	size_t start = 0;

	strbuf_grow(out, len + len / 4);
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x80)
			continue;
		strbuf_add(out, s + start, i - start);
		put_cp(out, cp(s[i]));
		start = i + 1;
	}
	strbuf_add(out, s + start, len - start);
}

static unsigned cp1252_cp(unsigned char c)
{
	return c >= 0x80 && c < 0xa0 ? cp1252_hi[c - 0x80] : c;
}

/* ISO-8859-15: latin1 (0x80-0x9f the C1 controls) but for eight bytes. */
static unsigned latin9_cp(unsigned char c)
{
	switch (c) {
	case 0xa4: return 0x20ac;
	case 0xa6: return 0x0160;
	case 0xa8: return 0x0161;
	case 0xb4: return 0x017d;
	case 0xb8: return 0x017e;
	case 0xbc: return 0x0152;
	case 0xbd: return 0x0153;
	case 0xbe: return 0x0178;
	default: return c;
	}
}

/* Descriptors kept open: iconv_open reads gconv modules, which costs more
 * than converting a short part. A failed open is cached too. */
#define CACHE_SIZE 8
static struct {
	char name[48];
	iconv_t cd;
} cache[CACHE_SIZE];
static unsigned cache_used, cache_next;

static iconv_t cache_get(const char *name)
{
	unsigned i;

	for (i = 0; i < cache_used; i++)
		if (strcmp(cache[i].name, name) == 0)
			return cache[i].cd;
	if (cache_used < CACHE_SIZE) {
		i = cache_used++;
	} else {
		i = cache_next++ % CACHE_SIZE;
		if (cache[i].cd != (iconv_t)-1)
			iconv_close(cache[i].cd);
	}
	strcpy(cache[i].name, name);
	cache[i].cd = iconv_open("UTF-8", name);
	return cache[i].cd;
}

/* Only names iconv could mean: no "//TRANSLIT" or other suffixes. */
static int name_ok(const char *cs)
{
	size_t n = strlen(cs);

	if (n == 0 || n >= sizeof(cache[0].name))
		return 0;
	return strspn(cs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+()")
		== n;
}

static enum cs_kind lookup(const char *cs, const char **iconv_name)
{
	*iconv_name = cs;
	if (!cs || !*cs)
		return CS_NONE;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		/* The first byte without case first (every alias starts with
		 * a lowercase letter or a digit, which | 0x20 keeps): most
		 * aliases differ there, and this runs for every text part. */
		if ((cs[0] | 0x20) != aliases[i].name[0])
			continue;
		if (ascii_caseeq(cs, aliases[i].name)) {
			*iconv_name = aliases[i].to;
			return aliases[i].kind;
		}
	}
	if (!name_ok(cs) || cache_get(cs) == (iconv_t)-1)
		return CS_UNKNOWN;
	return CS_ICONV;
}

static unsigned from_iconv(iconv_t cd, const char *s, size_t len, struct strbuf *out)
{
	unsigned defects = 0;
	char *in = (char *)s;
	size_t inleft = len;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (inleft > 0) {
		size_t room = inleft * 2 + 16, r;
		char *op;

		strbuf_grow(out, room);
		op = out->buf + out->len;
		room = out->alloc - out->len - 1;
		r = iconv(cd, &in, &inleft, &op, &room);
		strbuf_setlen(out, (size_t)(op - out->buf));
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL for a sequence cut at the end: one
		 * replacement for the byte that cannot start a character. */
		strbuf_addstr(out, REPLACEMENT);
		defects |= MIME_D_BAD_TEXT;
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush a stateful encoding's shift state. */
	strbuf_grow(out, 16);
	{
		char *op = out->buf + out->len;
		size_t room = out->alloc - out->len - 1;

		iconv(cd, NULL, NULL, &op, &room);
		strbuf_setlen(out, (size_t)(op - out->buf));
	}
	return defects;
}

unsigned charset_to_utf8(const char *charset, const char *s, size_t len, struct strbuf *out)
{
	const char *iname;
	enum cs_kind kind = lookup(charset, &iname);
	const unsigned char *u;

	if (!len)
		s = "";		/* an empty strbuf's buf may be NULL */
	u = (const unsigned char *)s;

	switch (kind) {
	case CS_UTF8:
		return from_utf8(u, len, out);
	case CS_1252:
		from_8bit(u, len, cp1252_cp, out);
		return 0;
	case CS_8859_15:
		from_8bit(u, len, latin9_cp, out);
		return 0;
	case CS_ICONV:
		if (cache_get(iname) != (iconv_t)-1)
			return from_iconv(cache_get(iname), s, len, out);
		kind = CS_UNKNOWN;
		break;
	case CS_NONE:
	case CS_UNKNOWN:
		break;
	}
	if (utf8_valid(u, len))
		strbuf_add(out, s, len);
	else
		from_8bit(u, len, cp1252_cp, out);
	return kind == CS_UNKNOWN ? MIME_D_BAD_CHARSET : 0;
}

int charset_known(const char *charset)
{
	const char *iname;

	return lookup(charset, &iname) != CS_UNKNOWN;
}
