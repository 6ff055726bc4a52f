/* Unit tests: lib/smime/entity: the header split (folded fields, CRLF and
 * LF, no body, nameless lines, limits), line-end conversion, the inner
 * entity and outer fields, multipart/signed halves and the kind of a
 * message. */
#include <stdlib.h>
#include <string.h>

#include "smime/entity.h"
#include "tap.h"

static char why[256];

static void test_parse(void)
{
	const char *m = "From: a@b.test\nSubject: one\n two\nContent-Type: text/plain\n\nbody\n";
	struct smime_msg msg;
	struct strbuf v = STRBUF_INIT;

	ok(smime_msg_parse(m, strlen(m), &msg, why, sizeof(why)) == 0, "parses");
	is_int(msg.nf, 3, "three fields, the folded one counted once");
	ok(!msg.crlf, "LF message");
	is_str(m + msg.body_off, "body\n", "body after the blank line");
	ok(smime_field_is(&msg, 1, "subject"), "names compare without case");
	ok(smime_field_is_content(&msg, 2) && !smime_field_is_content(&msg, 0), "Content-* fields");
	ok(smime_field_value(&msg, "Subject", &v) == 0, "value found");
	is_str(v.buf, "one two", "unfolded");
	strbuf_release(&v);
	smime_msg_free(&msg);

	m = "From: a@b.test\r\nX: y";
	ok(smime_msg_parse(m, strlen(m), &msg, why, sizeof(why)) == 0 && msg.crlf && msg.nf == 2 &&
	   msg.body_off == strlen(m), "CRLF, no body, last field without a line end");
	smime_msg_free(&msg);

	m = "garbage line\n\nbody";
	ok(smime_msg_parse(m, strlen(m), &msg, why, sizeof(why)) == 0 && msg.nf == 1 &&
	   msg.f[0].name_len == 0, "a line without a colon is a nameless field");
	smime_msg_free(&msg);
}

static void test_limits(void)
{
	struct strbuf big = STRBUF_INIT;
	struct smime_msg msg;

	for (int i = 0; i <= SMIME_HEADERS_MAX; i++)
		strbuf_addf(&big, "X-%d: v\n", i);
	ok(smime_msg_parse(big.buf, big.len, &msg, why, sizeof(why)) < 0, "too many fields refused");
	is_str(why, "more than 1000 header fields", "with the reason");
	strbuf_reset(&big);
	strbuf_addstr(&big, "X: ");
	for (int i = 0; i < SMIME_HEADER_BYTES_MAX / 60 + 2; i++)
		strbuf_addstr(&big, "\n 123456789012345678901234567890123456789012345678901234567890");
	ok(smime_msg_parse(big.buf, big.len, &msg, why, sizeof(why)) < 0, "huge header block refused");
	strbuf_release(&big);
}

static void test_eol(void)
{
	struct strbuf out = STRBUF_INIT;

	smime_to_crlf("a\nb\r\nc\rd\n", 9, &out);
	ok(out.len == 11 && memcmp(out.buf, "a\r\nb\r\nc\rd\r\n", 11) == 0, "bare LF made CRLF, CR kept");
	strbuf_reset(&out);
	smime_to_lf("a\r\nb\nc\r", 7, &out);
	ok(out.len == 6 && memcmp(out.buf, "a\nb\nc\r", 6) == 0, "CRLF made LF");
	strbuf_release(&out);
}

static void test_entity(void)
{
	const char *m = "From: a@b.test\nContent-Type: text/plain\nMIME-Version: 1.0\n"
			"Content-Transfer-Encoding: 8bit\n\nline  \n";
	struct smime_msg msg;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;

	smime_msg_parse(m, strlen(m), &msg, why, sizeof(why));
	smime_inner_entity(&msg, &in);
	is_str(in.buf, "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nline  \r\n",
	       "inner entity: Content-* fields and body, CRLF");
	smime_outer_fields(&msg, false, &out);
	is_str(out.buf, "From: a@b.test\nMIME-Version: 1.0\n", "outer fields as written");
	strbuf_reset(&out);
	smime_outer_fields(&msg, true, &out);
	is_str(out.buf, "From: a@b.test\n", "MIME-Version skipped on request");
	smime_msg_free(&msg);
	strbuf_release(&in);
	strbuf_release(&out);
}

static void test_split(void)
{
	const char *m =
		"From: a@b.test\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
		" micalg=SHA-256; boundary=\"bb\"\n\npre\n--bb\nContent-Type: text/plain\n\nhi\n\n--bb\n"
		"Content-Type: application/pkcs7-signature\nContent-Transfer-Encoding: base64\n\n"
		"AQID\nBA==\n--bb--\n";
	struct smime_signed_parts sp;

	ok(smime_kind_of(m, strlen(m)) == SMIME_KIND_SIGNED, "multipart/signed kind");
	ok(smime_signed_split(m, strlen(m), &sp, why, sizeof(why)) == 0, "split");
	ok(sp.content_len == strlen("Content-Type: text/plain\n\nhi\n") &&
	   memcmp(sp.content, "Content-Type: text/plain\n\nhi\n", sp.content_len) == 0,
	   "the first part, its last line end given to the boundary");
	ok(sp.sig.len == 4 && memcmp(sp.sig.buf, "\1\2\3\4", 4) == 0, "signature decoded");
	is_str(sp.micalg, "sha-256", "micalg lowercased");
	is_str(sp.protocol, "application/pkcs7-signature", "protocol");
	strbuf_release(&sp.sig);

	const char *one = "Content-Type: multipart/signed; boundary=x\n\n--x\n\nhi\n--x--\n";

	ok(smime_signed_split(one, strlen(one), &sp, why, sizeof(why)) < 0, "one part refused");
	is_str(why, "multipart/signed has 1 parts, not 2", "reason");
	const char *plain = "Subject: x\n\nhi\n";

	ok(smime_signed_split(plain, strlen(plain), &sp, why, sizeof(why)) < 0 &&
	   smime_kind_of(plain, strlen(plain)) == SMIME_KIND_PLAIN, "plain message");
	const char *p7 = "Content-Type: application/x-pkcs7-mime; smime-type=signed-data\n\nAQ==\n";

	ok(smime_kind_of(p7, strlen(p7)) == SMIME_KIND_OPAQUE, "opaque kind (x- type)");
	const char *env = "Content-Type: application/pkcs7-mime; name=smime.p7m\n"
			  "Content-Transfer-Encoding: base64\n\nAQ==\n";
	struct strbuf der = STRBUF_INIT;

	ok(smime_kind_of(env, strlen(env)) == SMIME_KIND_ENVELOPED, "no smime-type: enveloped");
	ok(smime_pkcs7_body(env, strlen(env), &der, why, sizeof(why)) == 0 && der.len == 1 &&
	   der.buf[0] == 1, "pkcs7-mime body decoded");
	strbuf_release(&der);
}

int main(void)
{
	test_parse();
	test_limits();
	test_eol();
	test_entity();
	test_split();
	return tap_done();
}
