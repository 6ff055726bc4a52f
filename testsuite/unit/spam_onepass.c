/* spam_features_mime on a tree the caller parsed gives the vector
 * spam_features gives on the raw bytes: same hashes, same order, same
 * names, for varied messages and for trees parsed as smtp-edge parses
 * (whole message, its own decode limit), fed in chunks, and for the
 * cases where the tree does not fit and the message is parsed again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "spam/feature.h"
#include "util/strbuf.h"
#include "tap.h"

static int same(const struct spam_fv *a, const struct spam_fv *b)
{
	if (a->n != b->n || a->n == 0)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->f[i].id != b->f[i].id || strcmp(spam_fv_name(a, i), spam_fv_name(b, i)) != 0)
			return 0;
	return 1;
}

/* Both entries on msg, the tree parsed with lim (NULL: defaults) over
 * the whole message; names kept and not, before and after finish. */
static int both(const char *msg, size_t len, const struct mime_limits *ml,
		const struct spam_fx_limits *fx)
{
	struct spam_fv a, b;
	struct mime_msg *m = mime_parse(msg, len, ml);
	int r;

	spam_fv_init(&a, true);
	spam_fv_init(&b, true);
	spam_features(&a, msg, len, fx);
	spam_features_mime(&b, m, msg, len, fx);
	r = same(&a, &b);
	spam_fv_finish(&a, 22);
	spam_fv_finish(&b, 22);
	r = r && same(&a, &b);
	spam_fv_release(&a);
	spam_fv_release(&b);
	spam_fv_init(&a, false);
	spam_fv_init(&b, false);
	spam_features(&a, msg, len, fx);
	spam_features_mime(&b, m, msg, len, fx);
	spam_fv_finish(&a, 18);
	spam_fv_finish(&b, 18);
	r = r && same(&a, &b);
	spam_fv_release(&a);
	spam_fv_release(&b);
	mime_free(m);
	return r;
}

static const char *const msgs[] = {
	/* multipart/alternative with a URL in each side */
	"Received: from a.example by b.example; Tue, 1 Jan 2030 00:00:00 +0000\r\n"
	"From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nSubject: Lunch\r\n"
	"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
	"preamble\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	"See http://menu.a.example/today for the menu.\r\n--b1\r\n"
	"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	"<p>See <a href=3D\"http://menu.a.example/today\">the menu</a> =C3=A9t=C3=A9</p>\r\n"
	"--b1--\r\n",
	/* HTML only, Reply-To elsewhere, numeric URL */
	"From: Shop <deals@shop.example>\nReply-To: x@other.example\nSubject: FREE offer\n"
	"Content-Type: text/html\n\n<html><body><p>CLICK <a href=\"http://192.0.2.7/x\">HERE</a>"
	"<img src=\"https://cdn.shop.example/p.gif\"></p></body></html>\n",
	/* base64 text and a base64 attachment with a file name */
	"From: bob@b.example\nSubject: report\nMIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=XX\n\n--XX\n"
	"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n"
	"SGVsbG8sIGhlcmUgaXMgdGhlIHJlcG9ydCBmb3IgWvxyaWNoLgo=\n--XX\n"
	"Content-Type: application/octet-stream; name=\"Invoice.PDF.exe\"\n"
	"Content-Disposition: attachment; filename=\"Invoice.PDF.exe\"\n"
	"Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\n--XX--\n",
	/* RFC 2047 subject and From, Q and B encodings, two charsets */
	"From: =?utf-8?B?SsO8cmdlbg==?= <j@c.example>\n"
	"Subject: =?iso-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?= =?utf-8?B?4pyI?= today\n"
	"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
	"Gr\xc3\xbc\xc3\x9f""e, WIN A PRIZE now!!! https://win.example.net/a?b=c\n",
	/* broken MIME: no boundary, unterminated multipart, bad base64, bad
	 * content type, a header line without a colon */
	"From: x@y.example\nSubject: broken\nContent-Type: multipart/mixed\n"
	"this line has no colon\n\nbody without boundary\n",
	"From: x@y.example\nContent-Type: multipart/mixed; boundary=\"q\"\n\n--q\n"
	"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n@@@notbase64!!\n"
	"--q\nContent-Type: ///\n\nodd part\n",
	/* message/rfc822 inside, digest default */
	"From: list@l.example\nSubject: digest\nContent-Type: multipart/digest; boundary=d\n\n--d\n\n"
	"From: inner@i.example\nSubject: inner\n\ninner words http://inner.example/\n--d--\n",
	/* mbox From_ line first (the tree does not fit: parsed again) */
	"From sender@example.com Tue Jan  1 00:00:00 2030\nFrom: a@b.example\nSubject: mbox\n\nhi there\n",
	/* no header at all, bare bytes with NULs handled by length */
	"just some words, no header\n",
	"",
};

int main(void)
{
	struct mime_limits edge = MIME_LIMITS_INIT, big = MIME_LIMITS_INIT;
	struct spam_fx_limits fx = { 0, 0, 0, 0 };
	struct strbuf s = STRBUF_INIT;
	size_t nm = sizeof(msgs) / sizeof(msgs[0]);

	edge.decode_max = 16 << 20;	/* smtp-edge: attachments.archive_bytes_max */
	for (size_t i = 0; i < nm; i++) {
		char t[64];

		snprintf(t, sizeof(t), "message %zu: same vector (default limits)", i);
		ok(both(msgs[i], strlen(msgs[i]), NULL, NULL), "%s", t);
		snprintf(t, sizeof(t), "message %zu: same vector (smtp-edge limits)", i);
		ok(both(msgs[i], strlen(msgs[i]), &edge, NULL), "%s", t);
	}

	/* Fed in chunks: the tree's bytes are a copy, compared, not pointed. */
	{
		const char *msg = msgs[0];
		struct mime_msg *m = mime_new(NULL);
		struct spam_fv a, b;

		for (size_t i = 0, len = strlen(msg); i < len; i += 7)
			mime_feed(m, msg + i, len - i < 7 ? len - i : 7);
		mime_finish(m);
		spam_fv_init(&a, true);
		spam_fv_init(&b, true);
		spam_features(&a, msg, strlen(msg), NULL);
		spam_features_mime(&b, m, msg, strlen(msg), NULL);
		ok(same(&a, &b), "a tree fed in chunks gives the same vector");
		spam_fv_release(&a);
		spam_fv_release(&b);
		mime_free(m);
	}

	/* The tree is used, not parsed again: a tree whose Subject no longer
	 * matches its bytes (changed after the parse; header values are
	 * copies) gives the features of the bytes it was parsed from. */
	{
		char *buf = strdup(msgs[0]), *subj = strstr(buf, "Subject: Lunch");
		size_t len = strlen(buf);
		struct mime_msg *m = mime_parse(buf, len, NULL);
		struct spam_fv a, b, c;

		spam_fv_init(&a, true);
		spam_fv_init(&b, true);
		spam_fv_init(&c, true);
		spam_features(&a, buf, len, NULL);
		memcpy(subj, "Subject: Lunce", 14);
		spam_features_mime(&b, m, buf, len, NULL);
		spam_features(&c, buf, len, NULL);
		ok(same(&a, &b) && !same(&b, &c), "a fitting tree is used, not parsed again");
		spam_fv_release(&a);
		spam_fv_release(&b);
		spam_fv_release(&c);
		mime_free(m);
		free(buf);
	}

	/* NULL tree: parsed here. */
	{
		struct spam_fv a, b;

		spam_fv_init(&a, true);
		spam_fv_init(&b, true);
		spam_features(&a, msgs[1], strlen(msgs[1]), NULL);
		spam_features_mime(&b, NULL, msgs[1], strlen(msgs[1]), NULL);
		ok(same(&a, &b), "no tree: the message is parsed");
		spam_fv_release(&a);
		spam_fv_release(&b);
	}

	/* More than 200 URLs: the first 200 count either way. */
	strbuf_addstr(&s, "From: u@u.example\nSubject: urls\nContent-Type: text/html\n\n");
	for (int i = 0; i < 300; i++)
		strbuf_addf(&s, "<a href=\"http://h%d.example%d.com/\">x%d</a>\n", i, i % 7, i);
	ok(both(s.buf, s.len, NULL, NULL), "300 URLs, default urls_max: same vector");
	ok(both(s.buf, s.len, &edge, NULL), "300 URLs, smtp-edge limits: same vector");

	/* Larger than scan_bytes: the whole-message tree does not fit, the
	 * prefix is parsed again; a tree of the prefix is used. */
	strbuf_reset(&s);
	strbuf_addstr(&s, "From: big@b.example\nSubject: big\nMIME-Version: 1.0\n"
		      "Content-Type: multipart/mixed; boundary=BB\n\n--BB\n"
		      "Content-Type: text/plain\n\n");
	for (int i = 0; i < 2000; i++)
		strbuf_addf(&s, "line %d of a long text with http://l%d.example/ in it\n", i, i % 50);
	strbuf_addstr(&s, "--BB\nContent-Type: text/html\n\n<p>tail</p>\n--BB--\n");
	fx.scan_bytes = 8192;
	ok(both(s.buf, s.len, NULL, &fx), "longer than scan_bytes, whole tree: same vector");
	ok(both(s.buf, s.len, &edge, &fx), "longer than scan_bytes, smtp-edge limits: same vector");
	{
		struct mime_limits pl = MIME_LIMITS_INIT;
		struct mime_msg *m;
		struct spam_fv a, b;

		pl.decode_max = fx.scan_bytes;
		m = mime_parse(s.buf, fx.scan_bytes, &pl);
		spam_fv_init(&a, true);
		spam_fv_init(&b, true);
		spam_features(&a, s.buf, s.len, &fx);
		spam_features_mime(&b, m, s.buf, s.len, &fx);
		ok(same(&a, &b), "a tree of the scanned prefix gives the same vector");
		spam_fv_release(&a);
		spam_fv_release(&b);
		mime_free(m);
	}

	/* A tree parsed with other structural limits is not used. */
	big.depth_max = 2;
	{
		const char *nest = "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
			"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
			"Content-Type: multipart/mixed; boundary=c\n\n--c\n\ndeep words\n--c--\n--b--\n--a--\n";

		ok(both(nest, strlen(nest), &big, NULL), "other depth limit: parsed again, same vector");
		ok(both(nest, strlen(nest), NULL, NULL), "nested multiparts: same vector");
	}
	strbuf_release(&s);
	return tap_done();
}
