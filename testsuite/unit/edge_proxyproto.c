/* PROXY v1/v2 headers and XCLIENT arguments, well-formed, malformed and
 * over-long; proxy_read takes the header and not a byte more. Includes
 * smtp-edge's private proxyproto.c, which no library holds. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../cmd/smtp-edge/proxyproto.c"
#include "tap.h"

static int parse(const void *buf, size_t len, struct proxy_info *pi, const char **why)
{
	*why = "";
	return proxy_parse(buf, len, pi, why);
}

static void v1_tests(void)
{
	struct proxy_info pi;
	const char *why;
	const char *h = "PROXY TCP4 192.0.2.1 192.0.2.2 56324 25\r\nEHLO x\r\n";
	char big[200];

	is_int(parse(h, strlen(h), &pi, &why), 41, "v1 TCP4: header length");
	ok(pi.version == 1 && pi.family == AF_INET && strcmp(pi.src_ip, "192.0.2.1") == 0 &&
	   pi.src_port == 56324 && strcmp(pi.dst_ip, "192.0.2.2") == 0 && pi.dst_port == 25,
	   "v1 TCP4: addresses and ports");
	h = "PROXY TCP6 2001:db8:0::1 2001:db8::2 1 65535\r\n";
	ok(parse(h, strlen(h), &pi, &why) > 0 && strcmp(pi.src_ip, "2001:db8::1") == 0 &&
	   pi.dst_port == 65535, "v1 TCP6, canonical address");
	h = "PROXY UNKNOWN\r\n";
	ok(parse(h, strlen(h), &pi, &why) == 15 && pi.local, "v1 UNKNOWN keeps the socket peer");
	h = "PROXY TCP4 192.0.2.1 192.0.2.2 56324 25";
	is_int(parse(h, strlen(h), &pi, &why), 0, "v1 without CRLF yet: needs more");
	h = "PROX";
	is_int(parse(h, strlen(h), &pi, &why), 0, "a prefix of PROXY: needs more");
	static const char *const bad[] = {
		"PROXY TCP4 192.0.2.1 192.0.2.2 56324 65536\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 056324 25\r\n",
		"PROXY TCP4 2001:db8::1 192.0.2.2 1 25\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n",
		"PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n",
		"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n",
		"PROXY TCP4 192.0.2.1\t192.0.2.2 1 2\r\n",
		"EHLO client.example\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse(bad[i], strlen(bad[i]), &pi, &why), -1, "v1 refused: %.*s (%s)",
		       (int)strcspn(bad[i], "\r\n"), bad[i], why);
	memset(big, 'A', sizeof(big));
	memcpy(big, "PROXY TCP4 ", 11);
	is_int(parse(big, sizeof(big), &pi, &why), -1, "v1 over 107 bytes refused");
	is_str(why, "PROXY v1 line too long", "  with its reason");
}

static size_t v2_header(unsigned char *b, int cmd, int fam, size_t body)
{
	memcpy(b, v2_sig, 12);
	b[12] = (unsigned char)(0x20 | cmd);
	b[13] = (unsigned char)fam;
	b[14] = (unsigned char)(body >> 8);
	b[15] = (unsigned char)body;
	return 16;
}

static void v2_tests(void)
{
	unsigned char b[4200];
	struct proxy_info pi;
	const char *why;
	size_t n = v2_header(b, 1, 0x11, 12 + 7);

	inet_pton(AF_INET, "198.51.100.9", b + n);
	inet_pton(AF_INET, "192.0.2.25", b + n + 4);
	b[n + 8] = 0x12, b[n + 9] = 0x34, b[n + 10] = 0, b[n + 11] = 25;
	memcpy(b + n + 12, "\x04\x00\x04tlv", 7);	/* a TLV, skipped */
	is_int(parse(b, n + 19, &pi, &why), 35, "v2 TCP4 with a TLV: header length");
	ok(pi.version == 2 && strcmp(pi.src_ip, "198.51.100.9") == 0 && pi.src_port == 0x1234 &&
	   pi.dst_port == 25, "v2 TCP4: addresses and ports");
	is_int(parse(b, n + 10, &pi, &why), 0, "v2 cut short: needs more");
	is_int(parse(b, 10, &pi, &why), 0, "v2 signature cut short: needs more");
	n = v2_header(b, 1, 0x21, 36);
	inet_pton(AF_INET6, "2001:db8::9", b + n);
	inet_pton(AF_INET6, "2001:db8::25", b + n + 16);
	b[n + 32] = 1, b[n + 33] = 0, b[n + 34] = 0, b[n + 35] = 25;
	ok(parse(b, n + 36, &pi, &why) == 52 && strcmp(pi.src_ip, "2001:db8::9") == 0 &&
	   pi.src_port == 256, "v2 TCP6");
	n = v2_header(b, 0, 0, 0);
	ok(parse(b, n, &pi, &why) == 16 && pi.local, "v2 LOCAL");
	n = v2_header(b, 1, 0x11, 8);
	is_int(parse(b, n + 8, &pi, &why), -1, "v2 TCP4 with a short address block refused");
	n = v2_header(b, 2, 0x11, 12);
	is_int(parse(b, n + 12, &pi, &why), -1, "v2 unknown command refused");
	n = v2_header(b, 1, 0x31, 216);
	is_int(parse(b, n + 216, &pi, &why), -1, "v2 AF_UNIX refused");
	n = v2_header(b, 1, 0x11, 4000);
	is_int(parse(b, n, &pi, &why), -1, "v2 body over the limit refused before reading it");
	is_str(why, "PROXY v2 header too long", "  with its reason");
	n = v2_header(b, 1, 0x11, 12);
	b[12] = 0x31;
	is_int(parse(b, n + 12, &pi, &why), -1, "v2 version 3 refused");
}

/* proxy_read over a socketpair leaves the SMTP bytes unread. */
static void read_tests(void)
{
	int sv[2];
	struct proxy_info pi;
	const char *why = "";
	char rest[64];
	unsigned char b[64];
	size_t n;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	const char *h = "PROXY TCP4 192.0.2.1 192.0.2.2 1 25\r\nEHLO x\r\n";
	write(sv[1], h, strlen(h));
	ok(proxy_read(sv[0], 1000, &pi, &why) == 0 && strcmp(pi.src_ip, "192.0.2.1") == 0,
	   "proxy_read v1");
	n = (size_t)read(sv[0], rest, sizeof(rest) - 1);
	rest[n] = 0;
	is_str(rest, "EHLO x\r\n", "v1: the SMTP stream starts clean after it");
	n = v2_header(b, 1, 0x11, 12);
	inet_pton(AF_INET, "203.0.113.5", b + n);
	memset(b + n + 4, 0, 8);
	memcpy(b + n + 12, "QUIT\r\n", 6);
	write(sv[1], b, n + 18);
	ok(proxy_read(sv[0], 1000, &pi, &why) == 0 && strcmp(pi.src_ip, "203.0.113.5") == 0,
	   "proxy_read v2");
	n = (size_t)read(sv[0], rest, sizeof(rest) - 1);
	rest[n] = 0;
	is_str(rest, "QUIT\r\n", "v2: the SMTP stream starts clean after it");
	write(sv[1], "PROXY TCP4 1", 12);
	ok(proxy_read(sv[0], 200, &pi, &why) < 0 && strcmp(why, "timeout") == 0,
	   "a header that stops coming times out");
	close(sv[1]);
	ok(proxy_read(sv[0], 200, &pi, &why) < 0, "a closed peer fails (%s)", why);
	close(sv[0]);
}

static void xclient_tests(void)
{
	struct xclient x;
	char big[1100];

	ok(xclient_parse("ADDR=192.0.2.7 PORT=4711 NAME=mx.example.test HELO=mx PROTO=ESMTP", &x) == 0 &&
	   x.addr_state == XCLIENT_VALUE && strcmp(x.addr, "192.0.2.7") == 0 && x.port == 4711 &&
	   strcmp(x.name, "mx.example.test") == 0 && strcmp(x.helo, "mx") == 0 &&
	   strcmp(x.proto, "ESMTP") == 0, "XCLIENT with every usual attribute");
	ok(xclient_parse("addr=IPV6:2001:DB8:0::1 name=[UNAVAILABLE] helo=[TEMPUNAVAIL]", &x) == 0 &&
	   strcmp(x.addr, "2001:db8::1") == 0 && x.name_state == XCLIENT_UNAVAILABLE &&
	   x.helo_state == XCLIENT_TEMPUNAVAIL, "IPV6: prefix, [UNAVAILABLE], [TEMPUNAVAIL]");
	ok(xclient_parse("HELO=a+20b+2Bc", &x) == 0 && strcmp(x.helo, "a b+c") == 0, "xtext decoded");
	ok(xclient_parse("LOGIN=alice DESTADDR=192.0.2.25 DESTPORT=25 REVERSE_NAME=r.test", &x) == 0 &&
	   strcmp(x.login, "alice") == 0 && x.destport == 25, "LOGIN, DESTADDR, DESTPORT, REVERSE_NAME");
	static const char *const bad[][2] = {
		{ "ADDR=192.0.2.300", "bad XCLIENT address" },
		{ "ADDR=2001:db8::1", "bad XCLIENT address" },
		{ "PORT=65536", "bad XCLIENT port" },
		{ "PORT=-1", "bad XCLIENT port" },
		{ "FOO=bar", "unknown XCLIENT attribute" },
		{ "ADDR=192.0.2.1 ADDR=192.0.2.2", "XCLIENT attribute given twice" },
		{ "HELO=a+2", "bad or over-long XCLIENT value" },
		{ "HELO=a+2b", "bad or over-long XCLIENT value" },
		{ "HELO=a+00", "bad or over-long XCLIENT value" },
		{ "HELO", "XCLIENT attribute without NAME=VALUE" },
		{ "=x", "XCLIENT attribute without NAME=VALUE" },
		{ "", "XCLIENT without attributes" },
		{ "PROTO=HTTP", "XCLIENT PROTO must be SMTP or ESMTP" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = xclient_parse(bad[i][0], &x);

		is_str(rc < 0 ? x.why : "accepted", bad[i][1], "XCLIENT refused: '%s'", bad[i][0]);
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "NAME=", 5);
	big[300] = 0;
	is_str(xclient_parse(big, &x) < 0 ? x.why : "accepted", "bad or over-long XCLIENT value",
	       "a 295-byte NAME refused");
	big[300] = 'a';
	big[sizeof(big) - 1] = 0;
	is_str(xclient_parse(big, &x) < 0 ? x.why : "accepted", "XCLIENT arguments too long",
	       "over 1024 bytes of arguments refused");
}

int main(void)
{
	v1_tests();
	v2_tests();
	read_tests();
	xclient_tests();
	return tap_done();
}
