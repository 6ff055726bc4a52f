/* Unit tests: lib/mail's decoders: tolerant base64, quoted-printable, RFC
 * 2047 words in several charsets, charset conversion and its fallbacks,
 * the HTML stripper. */
#include <iconv.h>
#include <stdlib.h>

#include "mail/charset.h"
#include "mail/cte.h"
#include "mail/defect.h"
#include "mail/htmltext.h"
#include "mail/rfc2047.h"
#include "util/strbuf.h"
#include "tap.h"

static struct strbuf sb = STRBUF_INIT;
static unsigned d;

static const char *b64(const char *s)
{
	strbuf_reset(&sb);
	d = cte_base64_decode(s, strlen(s), (size_t)-1, &sb);
	return sb.buf ? sb.buf : "";
}

static const char *qp(const char *s)
{
	strbuf_reset(&sb);
	d = cte_qp_decode(s, strlen(s), (size_t)-1, &sb);
	return sb.buf ? sb.buf : "";
}

static const char *w2047(const char *s)
{
	strbuf_reset(&sb);
	d = rfc2047_decode(s, strlen(s), &sb);
	return sb.buf ? sb.buf : "";
}

static const char *conv(const char *cs, const char *s, size_t len)
{
	strbuf_reset(&sb);
	d = charset_to_utf8(cs, s, len, &sb);
	return sb.buf ? sb.buf : "";
}

static const char *html(const char *s, size_t max)
{
	strbuf_reset(&sb);
	htmltext_strip(s, strlen(s), max, &sb, NULL, NULL);
	return sb.buf ? sb.buf : "";
}

static void test_base64(void)
{
	is_str(b64("aGVsbG8gd29ybGQ="), "hello world", "base64: padded");
	ok(d == 0, "base64: clean input has no defect");
	is_str(b64("aGVs\r\nbG8g\n  d29y bGQ"), "hello world", "base64: whitespace and no padding");
	ok(d == 0, "base64: whitespace is no defect");
	is_str(b64("aGV*sb!G8"), "hello", "base64: garbage skipped");
	ok(d & MIME_D_BAD_BASE64, "base64: garbage flagged");
	is_str(b64("aGk==aGk="), "hihi", "base64: double pad and a second run");
	ok(d == 0, "base64: double pad is fine");
	is_str(b64("aGVsbG8=\n=\n"), "hello", "base64: stray pad after padding ignored");
	is_str(b64("aGVsbA"), "hell", "base64: last quantum without padding");
	is_str(b64("a"), "", "base64: a single sextet gives nothing");
	ok(d & MIME_D_BAD_BASE64, "base64: a single sextet flagged");
	strbuf_reset(&sb);
	d = cte_base64_decode("aGVsbG8gd29ybGQ=", 16, 4, &sb);
	ok(sb.len == 4 && (d & MIME_D_DECODE_LIMIT), "base64: output cap");
}

static void test_qp(void)
{
	is_str(qp("caf=C3=A9 =e9t=\r\nsoft=\nbreak  \nend"), "caf\xc3\xa9 \xe9tsoftbreak\nend",
	       "qp: escapes either case, soft breaks CRLF and LF, trailing blanks");
	ok(d == 0, "qp: clean");
	is_str(qp("a=ZZb =4 =\t \nc"), "a=ZZb =4 c", "qp: bad escapes kept, soft break with blanks");
	ok(d & MIME_D_BAD_QP, "qp: bad escape flagged");
	is_str(qp("x="), "x", "qp: '=' at the very end is a soft break");
	is_str(qp("line1\r\nline2\r\n"), "line1\r\nline2\r\n", "qp: line ends kept as written");
	strbuf_reset(&sb);
	cte_q_decode("a_b=3Fc=", 8, &sb);
	is_str(sb.buf, "a b?c=", "q: underscore and escapes");
}

static void test_2047(void)
{
	is_str(w2047("=?utf-8?q?caf=C3=A9?="), "caf\xc3\xa9", "2047: UTF-8 Q");
	is_str(w2047("=?UTF-8?B?Y2Fmw6k=?="), "caf\xc3\xa9", "2047: UTF-8 B, charset case");
	is_str(w2047("=?utf-8?b?Y2Fmww==?= =?utf-8?b?qQ==?="), "caf\xc3\xa9",
	       "2047: a character split over two words is joined");
	ok(d == 0, "2047: the split character is no defect");
	is_str(w2047("=?iso-8859-1?q?d=E9j=E0?=   =?iso-8859-1?q?_vu?="), "d\xc3\xa9j\xc3\xa0 vu",
	       "2047: latin1, blanks between adjacent words dropped");
	is_str(w2047("Re: =?koi8-r?b?8NLJ18XU?= world"), "Re: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 world",
	       "2047: KOI8-R among plain words, blanks around kept");
	is_str(w2047("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	       "2047: ISO-2022-JP");
	is_str(w2047("=?gb2312?b?1tDOxA==?="), "\xe4\xb8\xad\xe6\x96\x87", "2047: GB2312 (read as GB18030)");
	is_str(w2047("=?shift_jis?b?k/qWe4zq?="), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	       "2047: Shift_JIS");
	is_str(w2047("=?utf-8*en?q?hi?="), "hi", "2047: RFC 2231 language suffix");
	is_str(w2047("=?utf-8?x?abc?= =?utf-8?q?no end"), "=?utf-8?x?abc?= =?utf-8?q?no end",
	       "2047: malformed words left as they are");
	ok(d & MIME_D_BAD_2047, "2047: malformed flagged");
	is_str(w2047("Buy=?utf-8?q?_now?=!"), "Buy now!", "2047: words glued to text decoded");
	is_str(w2047("=?x-bogus?q?caf=E9?="), "caf\xc3\xa9", "2047: unknown charset: windows-1252");
	ok(d & MIME_D_BAD_CHARSET, "2047: unknown charset flagged");
	is_str(w2047("=?utf-8?q?a?= b =?utf-8?q?c?="), "a b c", "2047: text between words kept");
	is_str(w2047("caf\xe9"), "caf\xc3\xa9", "2047: raw 8-bit outside words: windows-1252");
	is_str(w2047("=?utf-8?Q?" "?="), "", "2047: empty word");
}

/* ISO-8859-15, converted here, gives for every byte what iconv does. */
static void latin9_as_iconv(void)
{
	static const char *const names[] = { "iso-8859-15", "ISO8859-15", "iso_8859-15" };
	char all[256], want[1024], *in = all, *op = want;
	size_t inleft = sizeof(all), room = sizeof(want);
	iconv_t cd = iconv_open("UTF-8", "ISO-8859-15");
	int same = cd != (iconv_t)-1;

	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	if (same)
		same = iconv(cd, &in, &inleft, &op, &room) == 0;
	for (size_t i = 0; same && i < 3; i++)
		same = conv(names[i], all, sizeof(all)) && d == 0 &&
		       sb.len == (size_t)(op - want) && memcmp(sb.buf, want, sb.len) == 0;
	ok(same, "charset: ISO-8859-15 byte for byte as iconv's");
	if (cd != (iconv_t)-1)
		iconv_close(cd);
}

static void test_charset(void)
{
	is_str(conv("latin1", "\xe9\x80", 2), "\xc3\xa9\xe2\x82\xac", "charset: latin1 alias read as windows-1252");
	is_str(conv("ISO-8859-15", "\xa4", 1), "\xe2\x82\xac", "charset: iconv's ISO-8859-15");
	is_str(conv("utf-8", "a\xff" "b\xc3", 4), "a\xef\xbf\xbd" "b\xef\xbf\xbd",
	       "charset: invalid UTF-8 bytes become U+FFFD");
	ok(d & MIME_D_BAD_TEXT, "charset: invalid bytes flagged");
	is_str(conv("utf-8", "\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "charset: a surrogate is invalid, one U+FFFD per byte");
	is_str(conv("x-nonsense", "caf\xc3\xa9", 5), "caf\xc3\xa9", "charset: unknown, valid UTF-8 kept");
	ok(d == MIME_D_BAD_CHARSET, "charset: unknown flagged");
	is_str(conv("UTF-8//TRANSLIT", "\xe9", 1), "\xc3\xa9", "charset: iconv suffixes refused");
	is_str(conv(NULL, "\x93hi\x94", 4), "\xe2\x80\x9chi\xe2\x80\x9d", "charset: none, 8-bit is windows-1252");
	ok(d == 0, "charset: none is no defect");
	is_str(conv("shift_jis", "\x82\xa0\xff", 3), "\xe3\x81\x82\xef\xbf\xbd", "charset: iconv invalid byte");
	ok(d & MIME_D_BAD_TEXT, "charset: iconv invalid flagged");
	ok(conv("utf-8", "a\0b", 3) && sb.len == 3, "charset: NUL kept");
	ok(charset_known("koi8-r") && !charset_known("x-bogus"), "charset: charset_known");
	latin9_as_iconv();
}

static void test_html(void)
{
	is_str(html("<html><head><style>p{x}</style><title>T</title></head>"
		    "<body><p>Hello&nbsp;<b>W</b>orld &amp; &eacute;&#233;&#xE9; &bogus; &#0;</p>"
		    "<!-- hidden --><script>var a='<p>';</script>x<br>y</body>", 1000),
	       "T\nHello World & \xc3\xa9\xc3\xa9\xc3\xa9 &bogus; \xef\xbf\xbd\nx\ny",
	       "html: tags, comments, script, style, entities");
	is_str(html("a < b and c<d <!-- never ends", 1000), "a < b and c", "html: bare '<' and an open comment");
	is_str(html("<a href='x>y'>link</a>", 1000), "link", "html: '>' in a quoted attribute");
	is_str(html("\xc3\xa9\xc3\xa9", 3), "\xc3\xa9", "html: cut on a character boundary");
}

int main(void)
{
	test_base64();
	test_qp();
	test_2047();
	test_charset();
	test_html();
	strbuf_release(&sb);
	return tap_done();
}
