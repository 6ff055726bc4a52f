/* Unit tests: SMTP replies (lib/smtp/reply.c) as read from a next hop
 * over a real descriptor: single and multi-line replies, codes, enhanced
 * status codes (RFC 3463), malformed and over-long replies, the line
 * limits, and writing them back out for our client. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "smtp/reply.h"
#include "tap.h"

/* Reads one reply from text through a pipe (the writing end closed, so
 * an unfinished reply meets EOF). rc out; r filled. */
static int read_reply(const char *text, size_t n, struct smtp_reply *r)
{
	int p[2], devnull = open("/dev/null", O_WRONLY), rc;
	struct stream *s;
	size_t off = 0;

	if (pipe(p) < 0 || devnull < 0)
		return -100;
	while (off < n) {
		ssize_t k = write(p[1], text + off, n - off);

		if (k <= 0)
			return -100;
		off += (size_t)k;
	}
	close(p[1]);
	s = stream_new(p[0], devnull, 2000, SMTP_REPLY_LINE_MAX);
	smtp_reply_clear(r);
	rc = smtp_reply_read(s, r);
	stream_free(s);
	close(p[0]);
	close(devnull);
	return rc;
}

static int rd(const char *text, struct smtp_reply *r)
{
	return read_reply(text, strlen(text), r);
}

static bool text_is(const struct smtp_reply *r, const char *want)
{
	return strcmp(r->text.len ? r->text.buf : "", want) == 0;
}

static void test_read(void)
{
	struct smtp_reply r;

	smtp_reply_init(&r);
	ok(rd("250 2.1.0 Ok\r\n", &r) == STREAM_OK && r.code == 250 &&
	   strcmp(r.enh, "2.1.0") == 0 && text_is(&r, "Ok") && r.nlines == 1,
	   "one line with an enhanced code");
	ok(rd("220 mx.test ESMTP ready\r\n", &r) == STREAM_OK && r.code == 220 && r.enh[0] == 0 &&
	   text_is(&r, "mx.test ESMTP ready"), "one line without an enhanced code");
	ok(rd("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n", &r) ==
	   STREAM_OK && r.code == 250 && r.nlines == 4 &&
	   text_is(&r, "mx.test\nPIPELINING\nSIZE 1000\n8BITMIME"), "an EHLO reply of four lines");
	ok(rd("550-5.1.1 <x@y.test>: no such user\r\n550 5.1.1 see the directory\r\n", &r) ==
	   STREAM_OK && r.code == 550 && strcmp(r.enh, "5.1.1") == 0 &&
	   text_is(&r, "<x@y.test>: no such user\nsee the directory"),
	   "multi-line: the enhanced code taken from every line");
	ok(rd("250\r\n", &r) == STREAM_OK && r.code == 250 && text_is(&r, "") && r.nlines == 1,
	   "a bare code is a last line");
	ok(rd("250 2.0.0\r\n", &r) == STREAM_OK && strcmp(r.enh, "2.0.0") == 0 && text_is(&r, ""),
	   "an enhanced code and no text");
	ok(rd("250 Ok\n", &r) == STREAM_OK && r.code == 250 && text_is(&r, "Ok"),
	   "a bare LF ends a reply line too");
	ok(rd("250 Ok\r\n250 next\r\n", &r) == STREAM_OK && r.nlines == 1 && text_is(&r, "Ok"),
	   "one reply read, not the one after");
	ok(rd("451 4.3.0 try later\r\n", &r) == STREAM_OK && r.code == 451 &&
	   strcmp(r.enh, "4.3.0") == 0, "a 4xx");
	ok(rd("354 End data with <CR><LF>.<CR><LF>\r\n", &r) == STREAM_OK && r.code == 354 &&
	   r.enh[0] == 0, "354 has no enhanced code");
	ok(rd("250 5.1.1 odd\r\n", &r) == STREAM_OK && r.enh[0] == 0 && text_is(&r, "5.1.1 odd"),
	   "an enhanced code of another class than the reply is text");
	ok(rd("250 2.1 short\r\n", &r) == STREAM_OK && r.enh[0] == 0 && text_is(&r, "2.1 short"),
	   "two parts are not an enhanced code");
	ok(rd("250 2.1.0x\r\n", &r) == STREAM_OK && r.enh[0] == 0,
	   "an enhanced code glued to text is text");
	ok(rd("250 2.1234.0 x\r\n", &r) == STREAM_OK && r.enh[0] == 0,
	   "a part of four digits is not an enhanced code");
	ok(rd("250 2.999.999 big\r\n", &r) == STREAM_OK && strcmp(r.enh, "2.999.999") == 0 &&
	   text_is(&r, "big"), "three digits per part are fine");
	ok(rd("250-2.0.0 a\r\n250 2.1.0 b\r\n", &r) == STREAM_OK && strcmp(r.enh, "2.0.0") == 0 &&
	   text_is(&r, "a\n2.1.0 b"), "a differing code on a later line stays in its text");
	smtp_reply_clear(&r);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"25 short\r\n", "2500 long\r\n", "abc\r\n", "250x\r\n", "600 no such class\r\n",
		"199 info\r\n", "-250 x\r\n", " 250 x\r\n", "2a0 x\r\n", "\r\n",
		"250-a\r\n251 b\r\n", "250-a\r\n550 b\r\n", "250-a\r\nxyz\r\n",
	};
	struct smtp_reply r;
	struct strbuf many = STRBUF_INIT;
	char *big;

	smtp_reply_init(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(rd(bad[i], &r) == STREAM_ERR && r.code == 0 &&
		   text_is(&r, "malformed reply from the next hop"), "malformed reply %zu refused",
		   i + 1);
	for (int i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++)
		strbuf_addstr(&many, "250-line\r\n");
	strbuf_addstr(&many, "250 last\r\n");
	ok(read_reply(many.buf, many.len, &r) == STREAM_OK && r.nlines == SMTP_REPLY_LINES_MAX,
	   "%d lines are fine", SMTP_REPLY_LINES_MAX);
	strbuf_reset(&many);
	for (int i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		strbuf_addstr(&many, "250-line\r\n");
	strbuf_addstr(&many, "250 last\r\n");
	ok(read_reply(many.buf, many.len, &r) == STREAM_ERR && r.code == 0,
	   "%d lines are refused", SMTP_REPLY_LINES_MAX + 1);
	strbuf_release(&many);

	big = malloc(SMTP_REPLY_LINE_MAX + 16);
	memcpy(big, "250 ", 4);
	memset(big + 4, 'x', SMTP_REPLY_LINE_MAX - 4);
	memcpy(big + SMTP_REPLY_LINE_MAX, "\r\n", 3);
	ok(rd(big, &r) == STREAM_OK && r.text.len == SMTP_REPLY_LINE_MAX - 4,
	   "a line of %d bytes is fine", SMTP_REPLY_LINE_MAX);
	memcpy(big + SMTP_REPLY_LINE_MAX, "x\r\n", 4);
	ok(rd(big, &r) == STREAM_TOOLONG, "a line of %d bytes is too long",
	   SMTP_REPLY_LINE_MAX + 1);
	free(big);
	ok(rd("250-a\r\n", &r) == STREAM_EOF, "EOF in the middle of a reply");
	ok(rd("", &r) == STREAM_EOF && r.code == 0, "EOF before a reply");
	ok(rd("250 no line end", &r) != STREAM_OK, "a last line without its line end");
	smtp_reply_clear(&r);
}

static void test_parse_line(void)
{
	int code = 0;
	size_t off = 0;

	ok(smtp_reply_parse_line("250-x", 5, &code, &off) == 0 && code == 250 && off == 4,
	   "parse_line: a continuation");
	ok(smtp_reply_parse_line("554 x", 5, &code, &off) == 1 && code == 554 && off == 4,
	   "parse_line: a last line");
	ok(smtp_reply_parse_line("421", 3, &code, &off) == 1 && code == 421 && off == 3,
	   "parse_line: the code alone");
	ok(smtp_reply_parse_line("421", 2, &code, &off) == -1, "parse_line: honours len");
	ok(smtp_reply_parse_line("250\t", 4, &code, &off) == -1, "parse_line: a tab separator");
}

static void test_format(void)
{
	struct smtp_reply r;
	struct strbuf out = STRBUF_INIT;
	char first[64];

	smtp_reply_init(&r);
	rd("550-5.1.1 a\r\n550 5.1.1 b\r\n", &r);
	smtp_reply_format(&r, &out);
	is_str(out.buf, "550-5.1.1 a\r\n550 5.1.1 b\r\n", "format: multi-line, code on each line");
	is_str(smtp_reply_first(&r, first, sizeof(first)), "550 5.1.1 a", "first line for logs");
	strbuf_reset(&out);
	rd("250-mx.test\r\n250 SIZE 10\r\n", &r);
	smtp_reply_format(&r, &out);
	is_str(out.buf, "250-mx.test\r\n250 SIZE 10\r\n", "format: without an enhanced code");
	strbuf_reset(&out);
	rd("250\r\n", &r);
	smtp_reply_format(&r, &out);
	is_str(out.buf, "250 \r\n", "format: an empty text");
	strbuf_reset(&out);
	smtp_reply_set(&r, 451, "4.4.2", "Next hop %s lost", "hub");
	smtp_reply_format(&r, &out);
	is_str(out.buf, "451 4.4.2 Next hop hub lost\r\n", "set then format");
	ok(r.nlines == 1 && r.code == 451, "set: one line, the code");
	strbuf_reset(&out);
	smtp_reply_set(&r, 421, NULL, "bye");
	smtp_reply_format(&r, &out);
	is_str(out.buf, "421 bye\r\n", "set without an enhanced code");
	is_str(smtp_reply_first(&r, first, 8), "421 bye", "first line fits");
	is_str(smtp_reply_first(&r, first, 6), "421 b", "first line truncated to the buffer");
	strbuf_reset(&out);
	{
		/* read -> format -> read again gives the same reply */
		struct smtp_reply again;
		const char *in = "250-2.0.0 one\r\n250-2.0.0 two\r\n250 2.0.0 three\r\n";

		smtp_reply_init(&again);
		rd(in, &r);
		smtp_reply_format(&r, &out);
		ok(read_reply(out.buf, out.len, &again) == STREAM_OK && again.code == r.code &&
		   strcmp(again.enh, r.enh) == 0 && again.nlines == 3 &&
		   strcmp(again.text.buf, r.text.buf) == 0, "read, format, read: the same reply");
		is_str(out.buf, in, "...and the same bytes");
		smtp_reply_clear(&again);
	}
	strbuf_release(&out);
	smtp_reply_clear(&r);
}

int main(void)
{
	test_read();
	test_malformed();
	test_parse_line();
	test_format();
	return tap_done();
}
