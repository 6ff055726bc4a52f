/* Unit tests: lib/http/autodiscover: requests of both schemas, the error
 * codes for malformed XML (600) and a missing or unknown schema (601),
 * refusal of DTDs and entities, the size cap; responses of every kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/autodiscover.h"
#include "tap.h"

#define REQ(ns, body) "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" \
	"<Autodiscover xmlns=\"" ns "\"><Request>" body "</Request></Autodiscover>"
#define OUT_SCHEMA "<AcceptableResponseSchema>" AUTODISCOVER_NS_OUTLOOK_RESP "</AcceptableResponseSchema>"
#define MOB_SCHEMA "<AcceptableResponseSchema>" AUTODISCOVER_NS_MOBILE_RESP "</AcceptableResponseSchema>"

static int parse(const char *xml, struct autodiscover_request *r)
{
	return autodiscover_request_parse(xml, strlen(xml), r);
}

static void test_requests(void)
{
	struct autodiscover_request r;
	char *big;

	is_int(parse(REQ(AUTODISCOVER_NS_OUTLOOK_REQ, "<EMailAddress> alice@example.test </EMailAddress>"
			 OUT_SCHEMA), &r), 0, "Outlook request");
	is_str(r.email, "alice@example.test", "address, trimmed");
	is_int(r.schema, AUTODISCOVER_OUTLOOK, "Outlook schema");
	is_int(parse(REQ(AUTODISCOVER_NS_MOBILE_REQ, "<EMailAddress>a&amp;b@example.test</EMailAddress>"
			 MOB_SCHEMA), &r), 0, "mobilesync request");
	is_str(r.email, "a&b@example.test", "entity reference of XML decoded");
	is_int(r.schema, AUTODISCOVER_MOBILESYNC, "mobilesync schema");
	is_int(parse(REQ(AUTODISCOVER_NS_OUTLOOK_REQ, "<EMailAddress>a@b</EMailAddress>"), &r), 601,
	       "no AcceptableResponseSchema: 601");
	is_int(parse(REQ(AUTODISCOVER_NS_OUTLOOK_REQ, "<EMailAddress>a@b</EMailAddress>"
			 "<AcceptableResponseSchema>urn:x</AcceptableResponseSchema>"), &r), 601,
	       "unknown schema: 601");
	is_int(parse("<Autodiscover><Request>", &r), 600, "malformed XML: 600");
	is_int(parse("not xml at all", &r), 600, "not XML: 600");
	is_int(parse(REQ("urn:other", "<EMailAddress>a@b</EMailAddress>" OUT_SCHEMA), &r), 600,
	       "wrong namespace: 600");
	is_int(parse(REQ(AUTODISCOVER_NS_OUTLOOK_REQ, OUT_SCHEMA), &r), 600, "no address: 600");
	is_int(parse("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]>"
		     REQ(AUTODISCOVER_NS_OUTLOOK_REQ, "<EMailAddress>&x;</EMailAddress>" OUT_SCHEMA) + 21,
		     &r), 600, "DOCTYPE with an entity: 600");
	ok(strstr(r.why, "DOCTYPE") != NULL, "saying why (%s)", r.why);
	is_int(parse("<!DOCTYPE a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a/>", &r), 600,
	       "external DTD: refused, never fetched");
	big = malloc(AUTODISCOVER_XML_MAX + 100);
	memset(big, ' ', AUTODISCOVER_XML_MAX + 99);
	big[AUTODISCOVER_XML_MAX + 99] = 0;
	memcpy(big, "<a>", 3);
	is_int(parse(big, &r), 600, "over the size cap: 600");
	free(big);
	is_int(autodiscover_request_parse("\xff\xfe<\0!\0D\0", 8, &r), 600, "UTF-16: refused");
	is_int(parse(REQ(AUTODISCOVER_NS_OUTLOOK_REQ, "<!-- c --><EMailAddress>x@y</EMailAddress>"
			 OUT_SCHEMA), &r), 0, "comments are fine");
}

static void test_responses(void)
{
	struct autodiscover_response r;
	const char *ok_xml = "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\"><Response xmlns=\""
		AUTODISCOVER_NS_OUTLOOK_RESP "\"><Account><AccountType>email</AccountType>"
		"<Action>settings</Action><Protocol><Type>EXCH</Type></Protocol>"
		"<Protocol><Type>EXPR</Type></Protocol></Account></Response></Autodiscover>";
	const char *err_xml = "<Autodiscover xmlns=\"" AUTODISCOVER_NS_RESP "\"><Response><Error>"
		"<ErrorCode>500</ErrorCode><Message>nope</Message></Error></Response></Autodiscover>";
	const char *redir = "<Autodiscover><Response><Account><Action>redirectAddr</Action>"
		"<RedirectAddr>x@y.test</RedirectAddr></Account></Response></Autodiscover>";
	const char *mob = "<Autodiscover><Response><Action><Settings><Server><Type>MobileSync"
		"</Type></Server></Settings></Action></Response></Autodiscover>";

	is_int(autodiscover_response_parse(ok_xml, strlen(ok_xml), &r), 0, "settings response");
	is_int(r.action, AUTODISCOVER_ACT_SETTINGS, "action settings");
	is_str(r.types, "EXCH EXPR", "protocol types");
	is_int(autodiscover_response_parse(err_xml, strlen(err_xml), &r), 0, "error response");
	ok(r.action == AUTODISCOVER_ACT_ERROR && r.error_code == 500, "code 500");
	is_str(r.message, "nope", "message");
	is_int(autodiscover_response_parse(redir, strlen(redir), &r), 0, "redirect");
	ok(r.action == AUTODISCOVER_ACT_REDIRECT_ADDR && strcmp(r.redirect, "x@y.test") == 0,
	   "redirectAddr");
	is_int(autodiscover_response_parse(mob, strlen(mob), &r), 0, "mobilesync");
	is_str(r.types, "MobileSync", "server type");
	is_int(autodiscover_response_parse("<html/>", 7, &r), -1, "not autodiscover");
}

int main(void)
{
	test_requests();
	test_responses();
	return tap_done();
}
