/* Unit tests: the MIME parser on hand-written messages: nesting,
 * message/rfc822, parameters, broken structure, NULs, huge lines and part
 * counts within the limits, CRLF against LF, chunked feeding against one
 * buffer, text and URL extraction, speed. */
#include <stdlib.h>
#include <time.h>

#include "mail/mime.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "tap.h"

/* The tree as text: depth, type, disposition, name, defects; with
 * offsets when asked. Caller frees. */
static char *tree(const struct mime_msg *m, int offsets)
{
	struct strbuf sb = STRBUF_INIT;

	for (unsigned i = 0; i < mime_part_count(m); i++) {
		const struct mime_part *p = mime_part_at(m, i);

		strbuf_addf(&sb, "%u:%s/%s", p->depth, p->type, p->subtype);
		if (p->is_attachment)
			strbuf_addstr(&sb, " att");
		if (p->filename)
			strbuf_addf(&sb, " \"%s\"", p->filename);
		if (p->defects) {
			strbuf_addch(&sb, ' ');
			mime_defects_format(p->defects, &sb);
		}
		if (offsets)
			strbuf_addf(&sb, " %zu+%zu,%zu+%zu", p->hdr_off, p->hdr_len, p->body_off,
				    p->body_len);
		strbuf_addch(&sb, '|');
	}
	return strbuf_detach(&sb, NULL);
}

static char *parse_tree(const char *msg, size_t len, int offsets)
{
	struct mime_msg *m = mime_parse(msg, len, NULL);
	char *t = tree(m, offsets);

	mime_free(m);
	return t;
}

static void check_tree(const char *msg, const char *want, const char *what)
{
	char *t = parse_tree(msg, strlen(msg), 0);

	is_str(t, want, "%s", what);
	free(t);
}

/* The body of part i, decoded, as a string (static buffer). */
static const char *decoded(struct mime_msg *m, unsigned i)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	mime_part_decode(m, mime_part_at(m, i), &sb);
	return sb.buf ? sb.buf : "";
}

static const char nested[] =
	"From: \"Bloggs, Joe\" <joe@example.test>\n"
	"Subject: =?utf-8?q?R=C3=A9sum=C3=A9?=\n"
	"  =?utf-8?q?_attached?=\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\n"
	"\n"
	"preamble\n"
	"--outer\n"
	"Content-Type: multipart/alternative; boundary=inner\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"Caf=E9 http://plain.example.test/x\n"
	"--inner\n"
	"Content-Type: text/html; charset=utf-8\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"PHA+SGk8YSBocmVmPSJodHRwczovL2h0bWwuZXhhbXBsZS50ZXN0Lz9hPTEmYW1wO2I9MiI+\n"
	"eDwvYT48L3A+\n"
	"--inner--\n"
	"--outer\n"
	"Content-Type: application/pdf; name=\"ignored.pdf\"\n"
	"Content-Disposition: attachment;\n"
	" filename*0*=utf-8''R%C3%A9sum;\n"
	" filename*1*=%C3%A9.pdf\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0=\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: inner@example.test\n"
	"Subject: inner\n"
	"Content-Type: multipart/mixed; boundary=deep\n"
	"\n"
	"--deep\n"
	"\n"
	"deep text\n"
	"--deep\n"
	"Content-Type: image/png; name==?iso-8859-1?q?b=E9b=E9.png?=\n"
	"\n"
	"PNG\n"
	"--deep--\n"
	"--outer--\n"
	"epilogue\n";

static void test_nested(void)
{
	struct mime_msg *m = mime_parse(nested, strlen(nested), NULL);
	char *t = tree(m, 0);
	const struct mime_part *root = mime_root(m), *p;
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	const char *raw = mime_raw(m, &len);

	is_str(t, "0:multipart/mixed|1:multipart/alternative|2:text/plain|2:text/html|"
	       "1:application/pdf att \"R\xc3\xa9sum\xc3\xa9.pdf\"|1:message/rfc822|"
	       "2:multipart/mixed|3:text/plain|3:image/png att \"b\xc3\xa9" "b\xc3\xa9.png\"|",
	       "nested: the tree, RFC 2231 and RFC 2047 file names");
	is_int(mime_part_count(m), 9, "nested: 9 parts");
	ok(root->nchildren == 3 && root->child->nchildren == 2, "nested: children counts");
	is_str(mime_header_find(root, "subject", 0)->value,
	       "=?utf-8?q?R=C3=A9sum=C3=A9?=  =?utf-8?q?_attached?=", "nested: unfolded value");
	mime_subject(m, &sb);
	is_str(sb.buf, "R\xc3\xa9sum\xc3\xa9 attached", "nested: decoded subject");
	strbuf_reset(&sb);
	is_str(decoded(m, 2), "Caf\xe9 http://plain.example.test/x", "nested: QP decoded");
	is_str(decoded(m, 4), "%PDF-", "nested: base64 decoded");
	p = mime_part_at(m, 2);
	ok(p->cte == MIME_CTE_QP && strcmp(p->charset, "iso-8859-1") == 0, "nested: cte and charset");
	p = mime_part_at(m, 4);
	ok(p->disp == MIME_DISP_ATTACHMENT && p->is_attachment, "nested: disposition");
	/* Byte ranges: a part is [hdr_off, body_off + body_len). */
	ok(memcmp(raw + p->hdr_off, "Content-Type: application/pdf", 29) == 0 &&
	   memcmp(raw + p->body_off, "JVBERi0=", p->body_len) == 0 && p->body_len == 8,
	   "nested: offsets of the attachment");
	p = mime_part_at(m, 5);
	ok(p->child && p->child->depth == 2 &&
	   strcmp(mime_header_find(p->child, "Subject", 0)->value, "inner") == 0,
	   "nested: message/rfc822 parsed as a message");
	p = mime_part_at(m, 7);
	ok(p->nheaders == 0 && memcmp(raw + p->body_off, "deep text", p->body_len) == 0 &&
	   p->body_len == 9, "nested: a part without headers");
	mime_text(m, 0, 0, &sb);
	is_str(sb.buf, "R\xc3\xa9sum\xc3\xa9 attached\nCaf\xc3\xa9 http://plain.example.test/x\nHix\n\n"
	       "deep text\n", "nested: text of the message");
	strbuf_release(&sb);
	free(t);

	/* Dropping the attachment's range leaves a message with one part less. */
	{
		struct strbuf cut = STRBUF_INIT;
		struct mime_msg *m2;
		char *t2;

		p = mime_part_at(m, 4);
		strbuf_add(&cut, raw, p->hdr_off);
		strbuf_addstr(&cut, "Content-Type: text/plain\n\n[removed]");
		strbuf_add(&cut, raw + p->body_off + p->body_len, len - p->body_off - p->body_len);
		m2 = mime_parse(cut.buf, cut.len, NULL);
		t2 = tree(m2, 0);
		is_str(t2, "0:multipart/mixed|1:multipart/alternative|2:text/plain|2:text/html|"
		       "1:text/plain|1:message/rfc822|2:multipart/mixed|3:text/plain|"
		       "3:image/png att \"b\xc3\xa9" "b\xc3\xa9.png\"|", "nested: a part replaced by its range");
		free(t2);
		mime_free(m2);
		strbuf_release(&cut);
	}
	mime_free(m);
}

static int collect(const char *url, size_t len, void *ctx)
{
	strbuf_addstr(ctx, url);
	strbuf_addch(ctx, ' ');
	return 0;
}

static void test_urls(void)
{
	struct mime_msg *m = mime_parse(nested, strlen(nested), NULL);
	struct strbuf sb = STRBUF_INIT;
	const char *h = "<a href=\" HTTP://A.test/1 \">see http://b.test/2, </a>"
		"<img src=https://c.test/i.png><a href=\"mailto:x@y\">m</a>xhttp://no.test";

	mime_urls(m, collect, &sb);
	is_str(sb.buf, "http://plain.example.test/x https://html.example.test/?a=1&b=2 ",
	       "urls: text and href, entities decoded");
	strbuf_reset(&sb);
	mime_urls_scan(h, strlen(h), true, 0, collect, &sb);
	is_str(sb.buf, "HTTP://A.test/1 https://c.test/i.png http://b.test/2 ", "urls: in HTML");
	strbuf_reset(&sb);
	mime_urls_scan(h, strlen(h), true, 2, collect, &sb);
	is_str(sb.buf, "HTTP://A.test/1 https://c.test/i.png ", "urls: at most max");
	strbuf_reset(&sb);
	ok(mime_url_host("https://user:pw@WWW.Example.TEST.:8080/p?q", 40, &sb) == 0, "url host: found");
	is_str(sb.buf, "www.example.test", "url host: lowercased, no userinfo, port or dot");
	strbuf_reset(&sb);
	ok(mime_url_host("http://[2001:db8::1]:80/", 24, &sb) == 0 && strcmp(sb.buf, "[2001:db8::1]") == 0,
	   "url host: IPv6 literal");
	ok(mime_url_host("http:///x", 9, &sb) < 0, "url host: none");
	strbuf_release(&sb);
	mime_free(m);
}

static void test_broken(void)
{
	check_tree("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo\n",
		   "0:multipart/mixed no-final-boundary|1:text/plain|1:text/html|",
		   "broken: missing final boundary");
	check_tree("Content-Type: multipart/mixed; boundary=nowhere\n\ntext only\n",
		   "0:multipart/mixed boundary-never|", "broken: a boundary that never occurs");
	check_tree("Content-Type: multipart/mixed\n\n--b\n\nx\n",
		   "0:multipart/mixed no-boundary|", "broken: multipart without boundary");
	check_tree("Content-Type: text/html\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n",
		   "0:text/html duplicate-content-type|", "broken: duplicate Content-Type, the first wins");
	check_tree("Content-Type: text\nContent-Transfer-Encoding: x-uue\n\nx\n",
		   "0:text/plain bad-content-type,bad-cte|", "broken: bad type and encoding");
	check_tree("Subject: no body\nFrom: a@b", "0:text/plain|", "broken: headers without a body");
	check_tree("just a body line\nand another\n", "0:text/plain no-headers|", "broken: body without headers");
	check_tree("\nbody after an empty header block\n", "0:text/plain no-headers|",
		   "broken: empty header block");
	check_tree("Subject: x\nthis is no header\n\nbody\n", "0:text/plain no-separator,bad-header|",
		   "broken: a non-header line ends the headers");
	check_tree("From sender@example.test Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n",
		   "0:text/plain|", "broken: an mbox From_ line is skipped");
	check_tree("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\n1\n--d\n"
		   "Content-Type: text/plain\n\nplain\n--d--\n",
		   "0:multipart/digest|1:message/rfc822|2:text/plain|1:text/plain|",
		   "broken: digest parts default to message/rfc822");
	check_tree("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n"
		   "--b\n\nin b\n--a\n\nafter\n--a--\n",
		   "0:multipart/mixed|1:multipart/mixed no-final-boundary|2:text/plain|1:text/plain|",
		   "broken: an outer boundary closes an unclosed inner multipart");
	check_tree("Content-Type: multipart/mixed; boundary=\"ab\"\n\n--abc\n--ab \n\nx\n--ab--\n",
		   "0:multipart/mixed|1:text/plain|", "broken: a longer boundary is no match; trailing blanks are fine");
	check_tree("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n--b\n\ny\n--b--\n",
		   "0:multipart/mixed|1:text/plain|1:text/plain|", "broken: headers ended by a boundary");
	check_tree("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n",
		   "0:message/rfc822 bad-cte|", "broken: base64 message/rfc822 kept opaque");
	check_tree("Content-Type: application/octet-stream; name=\"unterminated\n\nx\n",
		   "0:application/octet-stream att \"unterminated\" bad-param|", "broken: unterminated quote");
	check_tree("Content-Type: text/plain; (comment) charset = \"us-ascii\" (c2); format=flowed\n"
		   "Content-Disposition: inline; filename=my file.txt\n\nx\n",
		   "0:text/plain att \"my file.txt\"|", "broken: comments, blanks, unquoted file name with a space");
}

static void test_nul(void)
{
	static const char msg[] = "Subject: a\0b\nContent-Type: text/plain\n\nbody\0with NUL\n";
	struct mime_msg *m = mime_parse(msg, sizeof(msg) - 1, NULL);
	const struct mime_part *p = mime_root(m);
	struct strbuf sb = STRBUF_INIT;

	is_str(mime_header_find(p, "Subject", 0)->value, "a b", "nul: NUL in a header is a space");
	ok(p->defects & MIME_D_NUL, "nul: flagged");
	mime_part_decode(m, p, &sb);
	ok(sb.len == 14 && memcmp(sb.buf, "body\0with NUL\n", 14) == 0, "nul: body bytes kept");
	strbuf_release(&sb);
	mime_free(m);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_long_line(void)
{
	struct strbuf sb = STRBUF_INIT, text = STRBUF_INIT;
	struct mime_msg *m;
	double t0;

	strbuf_addstr(&sb, "Subject: ");
	for (int i = 0; i < 10 * 1024 * 1024 / 8; i++)
		strbuf_add(&sb, "abcdefg ", 8);
	strbuf_addstr(&sb, "\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n");
	for (int i = 0; i < 10 * 1024 * 1024 / 8; i++)
		strbuf_add(&sb, "--b-xyz ", 8);
	strbuf_addstr(&sb, "\n--b--\n");
	t0 = now();
	m = mime_parse(sb.buf, sb.len, NULL);
	ok(now() - t0 < 1.0, "long line: two 10 MB lines parsed in %.3f s", now() - t0);
	ok(mime_root(m)->defects & MIME_D_HEADER_LIMIT, "long line: header cut at the limit");
	ok(mime_header_find(mime_root(m), "Subject", 0)->cut &&
	   mime_header_find(mime_root(m), "Content-Type", 0) == NULL, "long line: header cut, the rest skipped");
	ok(mime_part_count(m) == 1 && strcmp(mime_root(m)->type, "text") == 0,
	   "long line: Content-Type past the limit is not seen");
	mime_free(m);

	/* The same body line with a small header. */
	m = mime_parse(strstr(sb.buf, "Content-Type"), sb.len - (size_t)(strstr(sb.buf, "Content-Type") - sb.buf), NULL);
	ok(mime_part_count(m) == 2 && (mime_part_at(m, 1)->defects & MIME_D_LONG_LINE) &&
	   mime_part_at(m, 1)->body_len == 10 * 1024 * 1024, "long line: a 10 MB body line in one part");
	t0 = now();
	mime_text(m, 0, 0, &text);
	ok(text.len > 10 * 1024 * 1024 && now() - t0 < 1.0, "long line: its text in %.3f s", now() - t0);
	mime_free(m);
	strbuf_release(&text);
	strbuf_release(&sb);
}

static void test_many_parts(void)
{
	struct strbuf sb = STRBUF_INIT, text = STRBUF_INIT;
	struct mime_msg *m;
	double t0;
	unsigned depth = 0;

	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%sContent-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i ? "" : "Subject: deep\n", i, i);
	strbuf_addstr(&sb, "\ninnermost\n");
	for (int i = 999; i >= 0; i--)
		strbuf_addf(&sb, "--b%d--\n", i);
	t0 = now();
	m = mime_parse(sb.buf, sb.len, NULL);
	mime_text(m, 0, 0, &text);
	ok(now() - t0 < 0.5, "1000 nested: parsed and text in %.3f s", now() - t0);
	for (unsigned i = 0; i < mime_part_count(m); i++)
		if (mime_part_at(m, i)->depth > depth)
			depth = mime_part_at(m, i)->depth;
	is_int(depth, 32, "1000 nested: depth stops at 32");
	ok(mime_defects(m) & MIME_D_DEPTH_LIMIT, "1000 nested: depth limit flagged");
	mime_free(m);

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "Content-Type: multipart/mixed; boundary=s\n\n");
	for (int i = 0; i < 1500; i++)
		strbuf_addf(&sb, "--s\nContent-Type: text/plain\n\npart %d\n", i);
	strbuf_addstr(&sb, "--s--\n");
	t0 = now();
	m = mime_parse(sb.buf, sb.len, NULL);
	ok(now() - t0 < 0.5, "1500 siblings: parsed in %.3f s", now() - t0);
	is_int(mime_part_count(m), 1000, "1500 siblings: 1000 parts");
	ok((mime_root(m)->defects & MIME_D_PARTS_LIMIT) &&
	   (mime_part_at(m, 999)->defects & MIME_D_PARTS_LIMIT), "1500 siblings: flagged on root and last");
	ok(mime_part_at(m, 999)->body_off + mime_part_at(m, 999)->body_len == sb.len,
	   "1500 siblings: the rest is the body of the last part");
	mime_free(m);

	{
		struct mime_limits lim = MIME_LIMITS_INIT;

		lim.parts_max = 3;
		lim.depth_max = 1;
		m = mime_parse(nested, strlen(nested), &lim);
		is_int(mime_part_count(m), 3, "limits: given per call");
		ok(mime_part_at(m, 1)->defects & MIME_D_DEPTH_LIMIT, "limits: depth 1");
		mime_free(m);
	}
	strbuf_release(&sb);
	strbuf_release(&text);
}

static void test_header_limits(void)
{
	static const char msg[] = "A: 1\nB: 2\nC: 3\n continued\nSubject: late\n\n"
		"body\n";
	struct mime_limits lim = MIME_LIMITS_INIT;
	struct mime_msg *m;
	const struct mime_part *p;

	lim.headers_max = 2;
	m = mime_parse(msg, sizeof(msg) - 1, &lim);
	p = mime_root(m);
	ok(p->nheaders == 2 && (p->defects & MIME_D_HEADER_LIMIT) && !mime_header_find(p, "Subject", 0),
	   "header limits: headers_max");
	ok(memcmp(msg + p->body_off, "body", 4) == 0, "header limits: the body still found");
	mime_free(m);
	lim.headers_max = 0;
	lim.header_bytes_max = 9;
	m = mime_parse(msg, sizeof(msg) - 1, &lim);
	p = mime_root(m);
	ok(p->nheaders == 2 && strcmp(p->headers[1].value, "2") == 0 && p->headers[1].cut,
	   "header limits: header_bytes_max cuts the field that crosses it");
	mime_free(m);
}

static void test_attachment_text(void)
{
	static const char msg[] = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nshown\n--b\n"
		"Content-Type: text/plain; name=notes.txt\nContent-Disposition: attachment\n\nattached\n--b--\n";
	struct mime_msg *m = mime_parse(msg, sizeof(msg) - 1, NULL);
	struct strbuf sb = STRBUF_INIT;

	mime_text(m, MIME_TEXT_NO_SUBJECT, 0, &sb);
	is_str(sb.buf, "shown\n", "text: attachments left out");
	strbuf_reset(&sb);
	mime_text(m, MIME_TEXT_NO_SUBJECT | MIME_TEXT_ATTACHMENTS, 0, &sb);
	is_str(sb.buf, "shown\nattached\n", "text: attachments in with MIME_TEXT_ATTACHMENTS");
	strbuf_reset(&sb);
	mime_text(m, MIME_TEXT_NO_SUBJECT | MIME_TEXT_ATTACHMENTS, 8, &sb);
	is_str(sb.buf, "shown\nat", "text: at most max bytes");
	strbuf_release(&sb);
	mime_free(m);
}

/* URLs as collect gives them, stopping (returning 7) at the stop-th
 * when stop is not 0. */
struct stopper {
	struct strbuf got;
	unsigned n, stop;
};

static int collect_upto(const char *url, size_t len, void *ctx)
{
	struct stopper *st = ctx;

	strbuf_add(&st->got, url, len);
	strbuf_addch(&st->got, ' ');
	return ++st->n == st->stop ? 7 : 0;
}

/* mime_text_urls against mime_urls and mime_text one after the other, on
 * one parse: every max up to past the whole text, with and without the
 * subject and attachments, walks stopped by the callback and by urls_max.
 * Returns the number of cases that differed. */
static unsigned text_urls_differ(const char *msg, unsigned urls_max)
{
	struct mime_limits ml = MIME_LIMITS_INIT;
	static const unsigned flag_sets[] = { 0, MIME_TEXT_NO_SUBJECT, MIME_TEXT_ATTACHMENTS };
	struct mime_msg *m;
	unsigned bad = 0;
	size_t full;
	struct strbuf t = STRBUF_INIT;

	ml.urls_max = urls_max;
	m = mime_parse(msg, strlen(msg), &ml);
	mime_text(m, MIME_TEXT_ATTACHMENTS, 0, &t);
	full = t.len + 3;
	for (unsigned f = 0; f < 3; f++)
		for (size_t max = 0; max <= full; max++)
			for (unsigned stop = 0; stop < 4; stop++) {
				struct stopper a = { STRBUF_INIT, 0, stop }, b = { STRBUF_INIT, 0, stop };
				struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
				int ra, rb;
				unsigned da, db;

				ra = mime_urls(m, collect_upto, &a);
				da = mime_text(m, flag_sets[f], max, &ta);
				db = mime_text_urls(m, flag_sets[f], max, &tb, collect_upto, &b, &rb);
				if (ra != rb || da != db || ta.len != tb.len ||
				    memcmp(ta.buf, tb.buf, ta.len) != 0 || a.got.len != b.got.len ||
				    memcmp(a.got.buf, b.got.buf, a.got.len) != 0) {
					if (bad++ == 0)
						printf("# differ: flags %u max %zu stop %u: [%s] [%s]\n", flag_sets[f],
						     max, stop, ta.buf, tb.buf);
				}
				strbuf_release(&a.got);
				strbuf_release(&b.got);
				strbuf_release(&ta);
				strbuf_release(&tb);
			}
	strbuf_release(&t);
	mime_free(m);
	return bad;
}

static void test_text_urls(void)
{
	static const char mixed[] =
		"Subject: =?utf-8?q?caf=C3=A9?= deals\n"
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: multipart/alternative; boundary=a\n\n"
		"--a\nContent-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"Caf=E9 at http://plain.test/1, see https://plain.test/2.\n"
		"--a\nContent-Type: text/html; charset=utf-8\n\n"
		"<html><head><title>T</title><style>p{}</style></head><body>"
		"<p>Hello &amp; <a href=\"http://h.test/a\">click</a> </p> <div>x</div>\n"
		"<img src='https://h.test/i.png'> http://h.test/text &nbsp; <br>"
		"<script>var u='http://no.test/';</script>end &euro; &#x41;</body></html>\n"
		"--a--\n"
		"--b\nContent-Type: text/plain; name=n.txt\nContent-Disposition: attachment\n\n"
		"attached http://att.test/\n"
		"--b\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n"
		"PHA+YjY0IDxhIGhyZWY9Imh0dHA6Ly9iNjQudGVzdC8iPmxpbms8L2E+PC9wPg==\n"
		"--b--\n";

	ok(text_urls_differ(nested, 0) == 0, "text and urls in one walk: as apart (nested)");
	ok(text_urls_differ(mixed, 0) == 0, "text and urls in one walk: as apart (HTML, QP, base64)");
	ok(text_urls_differ(mixed, 2) == 0, "text and urls in one walk: as apart (urls_max 2)");
	ok(text_urls_differ(mixed, 5) == 0, "text and urls in one walk: as apart (urls_max 5)");
}

static char *crlf(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		if (*s == '\n')
			strbuf_addch(&sb, '\r');
		strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb, NULL);
}

static void test_crlf(void)
{
	char *c = crlf(nested), *t1 = parse_tree(nested, strlen(nested), 0),
		*t2 = parse_tree(c, strlen(c), 0);
	struct mime_msg *m = mime_parse(c, strlen(c), NULL);
	struct strbuf text = STRBUF_INIT;

	is_str(t2, t1, "crlf: the same tree as LF");
	ok(strcmp(decoded(m, 4), "%PDF-") == 0, "crlf: base64 decoded the same");
	ok(strcmp(decoded(m, 2), "Caf\xe9 http://plain.example.test/x\r") != 0 &&
	   strcmp(decoded(m, 2), "Caf\xe9 http://plain.example.test/x") == 0, "crlf: QP body");
	mime_text(m, 0, 0, &text);
	ok(strstr(text.buf, "Hix\n") != NULL, "crlf: text");
	strbuf_release(&text);
	mime_free(m);
	free(t1);
	free(t2);
	free(c);
}

static void check_feed(const char *msg, size_t len, unsigned seed, const char *what)
{
	char *want = parse_tree(msg, len, 1), *got;
	struct mime_msg *m = mime_new(NULL);

	srand(seed);
	for (size_t i = 0; i < len;) {
		size_t n = (size_t)(rand() % 7 == 0 ? rand() % 200 : rand() % 5) + 1;

		if (n > len - i)
			n = len - i;
		mime_feed(m, msg + i, n);
		i += n;
	}
	mime_finish(m);
	got = tree(m, 1);
	is_str(got, want, "feed: %s", what);
	free(want);
	free(got);
	mime_free(m);
}

static void test_feed(void)
{
	char *c = crlf(nested);
	static const char mixed[] = "Subject: x\r\nContent-Type: multipart/mixed; boundary=q\n\r\n"
		"--q\r\n\r\na\r\n--q\nContent-Type: text/html\r\n\n<b>b</b>\r\n--q--\r";

	for (unsigned seed = 1; seed <= 20; seed++)
		check_feed(nested, strlen(nested), seed, "random chunks, LF");
	check_feed(c, strlen(c), 7, "random chunks, CRLF");
	check_feed(mixed, strlen(mixed), 3, "random chunks, mixed line ends, no final newline");
	check_tree(mixed, "0:multipart/mixed|1:text/plain|1:text/html|", "mixed line ends");
	free(c);
}

static void test_speed(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_msg *m;
	double t0, per;
	int n = 200;

	strbuf_addstr(&sb, "From: a@example.test\nTo: b@example.test\nSubject: speed\n"
		      "Content-Type: multipart/alternative; boundary=z\n\n--z\nContent-Type: text/plain\n\n");
	while (sb.len < 50 * 1024)
		strbuf_addstr(&sb, "The quick brown fox jumps over the lazy dog, again and again.\n");
	strbuf_addstr(&sb, "--z\nContent-Type: text/html\n\n");
	while (sb.len < 100 * 1024)
		strbuf_addstr(&sb, "<p>The quick <b>brown</b> fox jumps over the lazy dog.</p>\n");
	strbuf_addstr(&sb, "--z--\n");
	t0 = now();
	for (int i = 0; i < n; i++) {
		m = mime_parse(sb.buf, sb.len, NULL);
		mime_free(m);
	}
	per = (now() - t0) / n;
	ok(per < 0.001, "speed: a 100 KB message parsed in %.1f us", per * 1e6);
	strbuf_release(&sb);
}

int main(void)
{
	test_nested();
	test_urls();
	test_broken();
	test_nul();
	test_long_line();
	test_many_parts();
	test_header_limits();
	test_attachment_text();
	test_text_urls();
	test_crlf();
	test_feed();
	test_speed();
	return tap_done();
}
