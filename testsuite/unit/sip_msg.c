/* lib/sip/msg: framing by Content-Length (several messages in one read,
 * one message across reads, byte by byte), compact headers, folding,
 * limits, and the header value helpers. */
#include <stdlib.h>
#include <string.h>

#include "sip/msg.h"
#include "tap.h"

static const char invite[] =
	"INVITE sip:1234@um.example.test SIP/2.0\r\n"
	"v: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK-1\r\n"
	"Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-0\r\n"
	"f: \"Gate, Way\" <sip:555@gw.example.test>;tag=abc\r\n"
	"t: <sip:1234@um.example.test>\r\n"
	"i: call-1@gw\r\n"
	"CSeq: 1 INVITE\r\n"
	"Subject: folded\r\n  line\r\n"
	"c: application/sdp\r\n"
	"l: 5\r\n"
	"\r\n"
	"v=0\r\n";
static const char bye[] =
	"BYE sip:um SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";

static void test_one_read(void)
{
	struct sip_reader r;
	struct sip_msg m;
	char why[SIP_WHY_MAX], buf[4096];

	snprintf(buf, sizeof(buf), "\r\n\r\n%s%s", invite, bye);
	sip_reader_init(&r);
	sip_reader_feed(&r, buf, strlen(buf));
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), SIP_READER_PING, "a CRLF CRLF ping first");
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), 1, "first message of a read");
	ok(m.request, "is a request");
	is_str(m.method, "INVITE", "method");
	is_str(m.uri, "sip:1234@um.example.test", "Request-URI");
	is_str(sip_msg_get(&m, "Call-ID"), "call-1@gw", "compact i is Call-ID");
	is_str(sip_msg_get(&m, "via"), "SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK-1", "first Via");
	is_str(sip_msg_get_nth(&m, "v", 1), "SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK-0", "second Via");
	is_str(sip_msg_get(&m, "Subject"), "folded   line", "folded line joined");
	is_int(m.body_len, 5, "body by Content-Length");
	is_str(m.body, "v=0\r\n", "body bytes");
	sip_msg_free(&m);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), 1, "second message of the same read");
	is_str(m.method, "BYE", "it is the BYE");
	is_int(m.body_len, 0, "no body");
	sip_msg_free(&m);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), 0, "nothing left");
	sip_reader_clear(&r);
}

static void test_byte_by_byte(void)
{
	struct sip_reader r;
	struct sip_msg m;
	char why[SIP_WHY_MAX];
	size_t n = strlen(invite), got = 0, at = 0;

	sip_reader_init(&r);
	for (size_t i = 0; i < n; i++) {
		sip_reader_feed(&r, invite + i, 1);
		if (sip_reader_next(&r, &m, why, sizeof(why)) == 1) {
			got++;
			at = i + 1;
			is_str(m.body, "v=0\r\n", "body complete across reads");
			sip_msg_free(&m);
		}
	}
	is_int(got, 1, "one message from byte-by-byte reads");
	is_int(at, n, "only once its last body byte arrived");
	sip_reader_clear(&r);
}

static void test_ping_split(void)
{
	struct sip_reader r;
	struct sip_msg m;
	char why[SIP_WHY_MAX];

	sip_reader_init(&r);
	sip_reader_feed(&r, "\r\n", 2);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), 0, "half a ping: wait");
	sip_reader_feed(&r, "\r\n", 2);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), SIP_READER_PING, "the ping across reads");
	{
		const char *o = "\r\nOPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\n";

		sip_reader_feed(&r, o, strlen(o));
	}
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), 1, "a lone CRLF before a message is skipped");
	sip_msg_free(&m);
	sip_reader_clear(&r);
}

static void test_limits(void)
{
	struct sip_reader r;
	struct sip_msg m;
	char why[SIP_WHY_MAX];
	char *big = malloc(SIP_HEAD_MAX + 100);

	sip_reader_init(&r);
	memset(big, 'a', SIP_HEAD_MAX + 100);
	memcpy(big, "OPTIONS sip:x SIP/2.0\r\nX: ", 26);
	sip_reader_feed(&r, big, SIP_HEAD_MAX + 100);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), -1, "head over the cap");
	is_str(why, "header section too long", "reason");
	sip_reader_clear(&r);
	free(big);

	sip_reader_init(&r);
	sip_reader_feed(&r, "INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n", 50);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), -1, "huge Content-Length");
	is_str(why, "body too large", "reason");
	sip_reader_clear(&r);

	sip_reader_init(&r);
	sip_reader_feed(&r, "INVITE sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n", 44);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), -1, "negative Content-Length");
	sip_reader_clear(&r);

	sip_reader_init(&r);
	sip_reader_feed(&r, "HELLO\r\n\r\n", 9);
	is_int(sip_reader_next(&r, &m, why, sizeof(why)), -1, "not a start line");
	is_str(why, "bad start line", "reason");
	sip_reader_clear(&r);
}

static void test_response_and_helpers(void)
{
	struct sip_msg m;
	char why[SIP_WHY_MAX], out[128];
	unsigned long n;
	const char *resp = "SIP/2.0 180 Ringing\r\nTo: <sip:a@b>;tag=9\r\n\r\n";

	is_int(sip_msg_parse(resp, strlen(resp), &m, why, sizeof(why)), 0, "response parses");
	is_int(m.status, 180, "status");
	is_str(m.reason, "Ringing", "reason");
	sip_msg_free(&m);

	is_int(sip_addr_uri("\"A <b>\" <sip:1@x;transport=tls>;tag=5", out, sizeof(out)), 0, "name-addr");
	is_str(out, "sip:1@x;transport=tls", "URI inside <>");
	is_int(sip_addr_param("\"A;tag=no\" <sip:1@x;tag=no>;tag=5;lr", "tag", out, sizeof(out)), 0, "tag");
	is_str(out, "5", "tag outside the brackets");
	is_int(sip_addr_param("sip:1@x;tag=7", "tag", out, sizeof(out)), 0, "addr-spec tag");
	is_str(out, "7", "addr-spec tag value");
	ok(sip_addr_param("<sip:1@x>", "tag", out, sizeof(out)) < 0, "no tag");
	is_int(sip_uri_user("sips:+331234@gw.example.test;user=phone", out, sizeof(out)), 0, "user");
	is_str(out, "+331234", "user part");
	is_int(sip_uri_user("tel:+331234;phone-context=x", out, sizeof(out)), 0, "tel URI");
	is_str(out, "+331234", "tel number");
	ok(sip_uri_is_sips("sips:a@b"), "sips detected");
	is_int(sip_cseq_parse("42 INVITE", &n, out, sizeof(out)), 0, "CSeq");
	is_int(n, 42, "CSeq number");
	is_str(out, "INVITE", "CSeq method");
	ok(sip_cseq_parse("x INVITE", &n, out, sizeof(out)) < 0, "bad CSeq");
	ok(sip_cseq_parse("99999999999 INVITE", &n, out, sizeof(out)) < 0, "CSeq over 2^32");
}

int main(void)
{
	test_one_read();
	test_byte_by_byte();
	test_ping_split();
	test_limits();
	test_response_and_helpers();
	return tap_done();
}
