/* SPF without DNS: record syntax, the RFC 7208 7.4 macro examples, the
 * headers. With options it is also the driver that t084x tests run
 * against the test DNS zone (spf_eval --resolver 127.0.0.1@PORT --ip IP
 * --sender ADDR --helo NAME), printing what smtp-edge spf prints. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "spf/spf.h"
#include "spf/spf_macro.h"
#include "spf/spf_record.h"
#include "util/msg.h"
#include "tap.h"

static struct spf_macro_ctx mctx;

static const char *expand(const char *spec, bool exp)
{
	static struct strbuf sb = STRBUF_INIT;
	const char *why;

	strbuf_reset(&sb);
	if (spf_macro_expand(spec, &mctx, exp, &sb, &why) < 0)
		return why;
	return sb.buf ? sb.buf : "";
}

static void macro_tests(void)
{
	static const char *const t[][2] = {
		{ "%{s}", "strong-bad@email.example.com" }, { "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" }, { "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" }, { "%{d2}", "example.com" }, { "%{d1}", "com" },
		{ "%{dr}", "com.example.email" }, { "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" }, { "%{l-}", "strong.bad" }, { "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" }, { "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
		{ "%%%_%-", "% %20" }, { "%{S}", "strong-bad%40email.example.com" },
		{ "%{h}", "mx.email.example.com" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(expand(t[i][0], false), t[i][1], "macro %s", t[i][0]);
	is_str(expand("%{c} %{r} %{t}", true), "192.0.2.3 mx.receiver.test 1700000000",
	       "exp-only macros in exp text");
	is_str(expand("%{c}", false), "macro letters c, r, t are for exp= only", "c outside exp");
	is_str(expand("%{d0}", false), "macro digit transformer of zero", "d0 refused");
	is_str(expand("%{x}", false), "unknown macro letter", "unknown letter");
	is_str(expand("a%b", false), "'%' not followed by '%', '_', '-' or '{'", "bad percent");
	is_str(expand("%{d", false), "malformed macro", "unterminated macro");
	mctx.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::cb01", mctx.addr);
	is_str(expand("%{ir}.%{v}._spf.%{d2}", false),
	       "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
	       "IPv6 ir.v");
	is_str(expand("%{c}", true), "2001:db8::cb01", "IPv6 %%{c}");
}

static void record_tests(void)
{
	static const struct { const char *rec; const char *why; } t[] = {
		{ "v=spf1 -all", NULL }, { "v=spf1", NULL }, { "V=SPF1 +ALL", NULL },
		{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24 a:x.test/24//64 ptr ~all", NULL },
		{ "v=spf1 include:_spf.example.test exists:%{ir}.%{v}._spf.%{d2} ?all", NULL },
		{ "v=spf1 redirect=_spf.example.test exp=explain.%{d} foo=bar%{d}", NULL },
		{ "v=spf1 a:1.2.3.4", "domain-spec does not end in a valid top label" },
		{ "v=spf1 a:museum", "domain-spec does not end in a valid top label" },
		{ "v=spf1 ip4:192.0.2.0/33", "bad ip4 network" },
		{ "v=spf1 ip4:192.0.2.0/024", "bad ip4 network" },
		{ "v=spf1 ip6:2001:db8::/129", "bad ip6 network" },
		{ "v=spf1 ip4:1.2.3", "bad ip4 network" },
		{ "v=spf1 include:", "empty domain-spec" },
		{ "v=spf1 exists", "mechanism needs a domain" },
		{ "v=spf1 all:x.test", "malformed mechanism" },
		{ "v=spf1 redirect=a.test redirect=b.test", "more than one redirect=" },
		{ "v=spf1 exp=a.test exp=b.test", "more than one exp=" },
		{ "v=spf1 foo:bar", "unknown mechanism" },
		{ "v=spf1 -redirect=a.test", "bad modifier name" },
		{ "v=spf1 a:%{x}.test", "unknown macro letter" },
		{ "v=spf1 ptr/24", "CIDR length on a mechanism that takes none" },
		{ "v=spf1 a//129", "bad CIDR length" },
		{ "v=spf10 -all", "not an SPF record" },
		{ "v=spf1 a:foo.test\t-all", "character not allowed in a macro string" },
	};
	struct spf_record rec;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *why = NULL;
		int rc = spf_record_parse(t[i].rec, &rec, &why);

		if (t[i].why)
			is_str(rc < 0 ? why : "parsed", t[i].why, "refused: %s", t[i].rec);
		else
			ok(rc == 0, "parses: %s%s%s", t[i].rec, rc ? " -- " : "", rc ? why : "");
		if (rc == 0)
			spf_record_clear(&rec);
	}
	spf_record_parse("v=spf1 a:x.test/24//64 mx//48 ip4:10.0.0.0/8", &rec, &(const char *){ 0 });
	ok(rec.n == 3 && rec.terms[0].cidr4 == 24 && rec.terms[0].cidr6 == 64 &&
	   strcmp(rec.terms[0].spec, "x.test") == 0 && rec.terms[1].cidr4 == 32 &&
	   rec.terms[1].cidr6 == 48 && rec.terms[2].cidr4 == 8, "dual CIDR lengths");
	spf_record_clear(&rec);
}

static void header_tests(void)
{
	struct spf_result r = { .result = SPF_PASS };
	struct strbuf sb = STRBUF_INIT;

	strcpy(r.identity, "mailfrom");
	strcpy(r.ip, "192.0.2.1");
	strcpy(r.sender, "myname@example.com");
	strcpy(r.helo, "foo.example.com");
	strcpy(r.mechanism, "ip4:192.0.2.0/24");
	spf_received_header(&r, "mybox.example.org", &sb);
	is_str(sb.buf, "Received-SPF: pass (mybox.example.org: domain of myname@example.com "
	       "designates 192.0.2.1 as permitted sender)\r\n\tclient-ip=192.0.2.1; "
	       "envelope-from=\"myname@example.com\"; helo=foo.example.com;\r\n\t"
	       "receiver=mybox.example.org; identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\";\r\n",
	       "Received-SPF for pass");
	strbuf_reset(&sb);
	spf_auth_results(&r, &sb);
	is_str(sb.buf, "spf=pass smtp.mailfrom=myname@example.com", "Authentication-Results part");
	strbuf_reset(&sb);
	r.result = SPF_FAIL;
	strcpy(r.explanation, "see http://example.com/why");
	spf_reply(&r, SPF_ACTION_REJECT, &sb);
	is_str(sb.buf, "550 5.7.23 SPF fail: see http://example.com/why", "reject reply");
	strbuf_reset(&sb);
	r.result = SPF_TEMPERROR;
	strcpy(r.problem, "DNS failure for example.com");
	spf_reply(&r, SPF_ACTION_TEMPFAIL, &sb);
	is_str(sb.buf, "451 4.7.24 SPF temperror for myname@example.com: DNS failure for example.com",
	       "tempfail reply");
	strbuf_release(&sb);
	is_int(spf_result_parse("softfail"), SPF_SOFTFAIL, "result names");
}

/* The driver: one check against a resolver, printed. */
static int drive(int argc, char **argv)
{
	const char *resolver = NULL, *ip = NULL, *sender = "", *helo = "", *receiver = "receiver.test";
	struct spf_request req = { 0 };
	struct spf_result r;
	struct strbuf sb = STRBUF_INIT;
	struct dns *d;
	json_t *sec;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--resolver") == 0) resolver = argv[i + 1];
		else if (strcmp(argv[i], "--ip") == 0) ip = argv[i + 1];
		else if (strcmp(argv[i], "--sender") == 0) sender = argv[i + 1];
		else if (strcmp(argv[i], "--helo") == 0) helo = argv[i + 1];
		else if (strcmp(argv[i], "--receiver") == 0) receiver = argv[i + 1];
	}
	if (!resolver || !ip)
		return 64;
	sec = json_pack("{s:[s], s:i, s:i}", "resolver", resolver, "timeout", 2000, "cache_size", 1048576);
	d = dns_new(sec);
	if (!d)
		return 69;
	req = (struct spf_request){ .ip = ip, .mail_from = sender, .helo = helo,
				    .receiver = receiver, .now = 1700000000 };
	spf_check_request(d, &req, &r);
	spf_result_format(&r, &sb);
	spf_received_header(&r, receiver, &sb);
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
	dns_free(d);
	json_decref(sec);
	return r.result == SPF_PASS ? 0 : r.result == SPF_TEMPERROR ? 75 : 1;
}

int main(int argc, char **argv)
{
	msg_setup("spf_eval");
	if (argc > 1)
		return drive(argc, argv);
	mctx = (struct spf_macro_ctx){
		.sender = "strong-bad@email.example.com", .local = "strong-bad",
		.sender_domain = "email.example.com", .domain = "email.example.com",
		.helo = "mx.email.example.com", .receiver = "mx.receiver.test", .now = 1700000000,
		.family = AF_INET,
	};
	inet_pton(AF_INET, "192.0.2.3", mctx.addr);
	macro_tests();
	record_tests();
	header_tests();
	return tap_done();
}
