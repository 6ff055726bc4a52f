/* Unit tests: the RDATA parser on crafted wire bytes (good records,
 * truncated ones, over-long names, compression pointers and loops), names,
 * reverse names and type names. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "tap.h"

#define B(...) (const unsigned char[]){ __VA_ARGS__ }, sizeof((const unsigned char[]){ __VA_ARGS__ })

/* Parses and formats; returns the text (caller frees) or NULL with *why. */
static char *fmt(int type, const unsigned char *p, size_t len, const char **why)
{
	struct dns_rr rr;
	struct strbuf sb = STRBUF_INIT;

	*why = NULL;
	if (dns_rr_parse(&rr, type, p, len, why) < 0)
		return NULL;
	dns_rr_format(&rr, &sb);
	dns_rr_clear(&rr);
	return strbuf_detach(&sb, NULL);
}

static void check(int type, const unsigned char *p, size_t len, const char *want,
		  const char *what)
{
	const char *why;
	char *got = fmt(type, p, len, &why);

	is_str(got, want, "%s", what);
	if (!got && want)
		printf("#   why: %s\n", why);
	free(got);
}

static void refuse(int type, const unsigned char *p, size_t len, const char *want_why,
		   const char *what)
{
	const char *why;
	char *got = fmt(type, p, len, &why);

	ok(!got, "%s: refused", what);
	if (got)
		printf("#   parsed as '%s'\n", got);
	else if (want_why)
		is_str(why, want_why, "%s: reason", what);
	free(got);
}

static void test_addresses(void)
{
	struct dns_rr rr;
	const char *why;

	check(DNS_TYPE_A, B(127, 0, 0, 2), "127.0.0.2", "A");
	check(DNS_TYPE_AAAA, B(0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
	      "2001:db8::1", "AAAA");
	refuse(DNS_TYPE_A, B(127, 0, 0), "bad address length", "A of 3 bytes");
	refuse(DNS_TYPE_A, B(127, 0, 0, 1, 1), "bad address length", "A of 5 bytes");
	refuse(DNS_TYPE_AAAA, B(1, 2, 3, 4), "bad address length", "AAAA of 4 bytes");
	ok(dns_rr_parse(&rr, DNS_TYPE_A, B(10, 0, 0, 1), &why) == 0 &&
	   rr.addr.family == AF_INET && rr.addr.raw[0] == 10 && rr.addr.raw[3] == 1,
	   "A keeps the raw bytes and the family");
	dns_rr_clear(&rr);
}

static void test_names(void)
{
	unsigned char big[300];
	size_t n = 0;

	check(DNS_TYPE_MX, B(0, 10, 4, 'm', 'a', 'i', 'l', 4, 't', 'e', 's', 't', 0),
	      "10 mail.test.", "MX");
	check(DNS_TYPE_MX, B(0, 0, 0), "0 .", "null MX (RFC 7505) points at the root");
	check(DNS_TYPE_PTR, B(3, 'a', '.', 'b', 2, 'c', ' ', 0), "a\\.b.c\\032.",
	      "PTR escapes dots and spaces inside labels");
	check(DNS_TYPE_PTR, B(2, 'A', 0x80, 0), "A\\128.", "bytes above 0x7e as \\DDD");
	refuse(DNS_TYPE_MX, B(0), "truncated", "MX of one byte");
	refuse(DNS_TYPE_MX, B(0, 10), "malformed name", "MX without its name");
	refuse(DNS_TYPE_MX, B(0, 10, 4, 'm', 'a', 'i', 'l'), "malformed name",
	       "name without its final root label");
	refuse(DNS_TYPE_PTR, B(9, 'a', 'b', 0), "malformed name", "label longer than the RDATA");
	refuse(DNS_TYPE_PTR, B(0xc0, 0x00), "malformed name", "compression pointer to itself");
	refuse(DNS_TYPE_PTR, B(1, 'a', 0xc0, 0x00), "malformed name", "compression loop");
	refuse(DNS_TYPE_PTR, B(0x40, 'a', 0), "malformed name", "reserved label type 0x40");
	refuse(DNS_TYPE_PTR, B(1, 'a', 0, 'x'), "trailing bytes", "bytes after the name");
	/* 4 labels of 63: 256 octets with the root, one too many. */
	for (int l = 0; l < 4; l++) {
		big[n++] = 63;
		for (int i = 0; i < 63; i++)
			big[n++] = 'a';
	}
	big[n++] = 0;
	refuse(DNS_TYPE_PTR, big, n, "malformed name", "name of 256 octets");
	/* 3 labels of 63 and one of 61: 255 octets, the most there may be. */
	big[3 * 64] = 61;
	big[3 * 64 + 62] = 0;
	{
		const char *why;
		char *s = fmt(DNS_TYPE_PTR, big, 3 * 64 + 63, &why);

		ok(s && strlen(s) == 4 * 63 - 2 + 4 - 1 + 1, "name of 255 octets is taken");
		free(s);
	}
}

static void test_txt(void)
{
	struct dns_rr rr;
	const char *why;

	check(DNS_TYPE_TXT, B(6, 'v', '=', 's', 'p', 'f', '1'), "\"v=spf1\"", "TXT");
	check(DNS_TYPE_TXT, B(2, '"', '\\', 0, 1, 0), "\"\\\"\\\\\" \"\" \"\\000\"",
	      "TXT quotes, escapes, empty and NUL strings");
	ok(dns_rr_parse(&rr, DNS_TYPE_TXT, B(7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l'),
			&why) == 0, "two-string SPF record parses");
	is_int(rr.txt.nstrings, 2, "both strings kept");
	is_str((char *)rr.txt.joined.data, "v=spf1 -all", "joined with nothing between (RFC 7208)");
	is_int(rr.txt.joined.len, 11, "joined length");
	is_str((char *)rr.txt.strings[1].data, "-all", "second string");
	dns_rr_clear(&rr);
	ok(dns_rr_parse(&rr, DNS_TYPE_TXT, B(3, 'a', 0, 'b'), &why) == 0 &&
	   rr.txt.joined.len == 3 && rr.txt.joined.data[1] == 0,
	   "a NUL inside a string is kept, with its length");
	dns_rr_clear(&rr);
	refuse(DNS_TYPE_TXT, (const unsigned char *)"", 0, "empty TXT", "TXT without a string");
	refuse(DNS_TYPE_TXT, B(5, 'a', 'b'), "truncated string", "TXT string past the end");
	refuse(DNS_TYPE_TXT, B(1, 'a', 3, 'b'), "truncated string", "second string past the end");
}

static void test_srv_tlsa(void)
{
	struct dns_rr rr;
	const char *why;

	check(DNS_TYPE_SRV, B(0, 10, 0, 5, 0x13, 0xc4, 3, 's', 'i', 'p', 0),
	      "10 5 5060 sip.", "SRV");
	refuse(DNS_TYPE_SRV, B(0, 10, 0, 5, 0x13), "truncated", "SRV cut in the port");
	refuse(DNS_TYPE_SRV, B(0, 10, 0, 5, 0x13, 0xc4), "malformed name", "SRV without target");
	check(DNS_TYPE_TLSA, B(3, 1, 1, 0xab, 0x01), "3 1 1 ab01", "TLSA");
	ok(dns_rr_parse(&rr, DNS_TYPE_TLSA, B(2, 0, 1, 0xde, 0xad, 0xbe, 0xef), &why) == 0 &&
	   rr.tlsa.usage == 2 && rr.tlsa.selector == 0 && rr.tlsa.mtype == 1 &&
	   rr.tlsa.data.len == 4 && rr.tlsa.data.data[3] == 0xef, "TLSA fields and data");
	dns_rr_clear(&rr);
	refuse(DNS_TYPE_TLSA, B(3, 1, 1), "empty TLSA data", "TLSA without data");
	refuse(DNS_TYPE_TLSA, B(3, 1), "truncated", "TLSA cut in its header");
	check(99, B(1, 2, 0xff), "\\# 3 0102ff", "other types kept raw (RFC 3597 form)");
	check(99, (const unsigned char *)"", 0, "\\# 0 ", "empty RDATA of another type");
	{
		unsigned char *huge = xcalloc(DNS_RDATA_MAX + 1, 1);

		refuse(99, huge, DNS_RDATA_MAX + 1, "RDATA too long", "RDATA over 65535 bytes");
		free(huge);
	}
}

static void test_text_names(void)
{
	char label64[80], *r;

	ok(dns_name_check("example.test") == 0, "plain name is fit");
	ok(dns_name_check("_25._tcp.mail.example.test.") == 0, "service name with final dot");
	ok(dns_name_check(".") == 0, "root");
	ok(dns_name_check("") < 0, "empty name");
	ok(dns_name_check("a..b") < 0, "empty label");
	ok(dns_name_check(".a") < 0, "leading dot");
	ok(dns_name_check("a b") < 0, "space");
	ok(dns_name_check("a\\.b") < 0, "backslash escapes are not taken");
	memset(label64, 'a', 64);
	label64[64] = 0;
	ok(dns_name_check(label64) < 0, "label of 64");
	label64[63] = 0;
	ok(dns_name_check(label64) == 0, "label of 63");

	r = dns_name_reverse("127.0.0.2", "dnsbl.test");
	is_str(r, "2.0.0.127.dnsbl.test", "DNSBL name of 127.0.0.2");
	free(r);
	r = dns_name_reverse("192.0.2.10", NULL);
	is_str(r, "10.2.0.192.in-addr.arpa", "IPv4 reverse name");
	free(r);
	r = dns_name_reverse("2001:db8::1", NULL);
	is_str(r, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	       "IPv6 reverse name in nibbles");
	free(r);
	r = dns_name_reverse("2001:db8::1", "dnsbl.test.");
	ok(r && strcmp(r + strlen(r) - 11, ".dnsbl.test") == 0, "zone's final dot dropped");
	free(r);
	ok(dns_name_reverse("127.0.0", NULL) == NULL, "not an address");
	ok(dns_name_reverse("mail.example.test", "x") == NULL, "a name is not an address");
}

static void test_types(void)
{
	is_int(dns_type_parse("mx"), DNS_TYPE_MX, "type names are case-blind");
	is_int(dns_type_parse("TLSA"), 52, "TLSA");
	is_int(dns_type_parse("TYPE99"), 99, "TYPEnn");
	is_int(dns_type_parse("TYPE0"), -1, "TYPE0");
	is_int(dns_type_parse("TYPE70000"), -1, "TYPE out of range");
	is_int(dns_type_parse("BOGUS"), -1, "unknown name");
	is_str(dns_type_name(DNS_TYPE_SRV), "SRV", "name of SRV");
	is_str(dns_type_name(99), "TYPE99", "name of type 99");
	is_str(dns_status_name(DNS_NODATA), "NODATA", "status name");
	is_str(dns_sec_name(DNS_SEC_SECURE), "secure", "DNSSEC status name");
}

int main(void)
{
	test_addresses();
	test_names();
	test_txt();
	test_srv_tlsa();
	test_text_names();
	test_types();
	return tap_done();
}
