/* Unit tests: the SMTP server's command parser (lib/smtp/cmd.c): verbs,
 * paths with and without brackets, ESMTP parameters, SMTPUTF8
 * addresses, the RFC 5321 limits, CR/LF/NUL refused, BDAT sizes. */
#include <stdlib.h>

#include "smtp/cmd.h"
#include "tap.h"

static char buf[8192];
static struct smtp_cmd c;

/* Parses text (len bytes, may hold NULs) from a private copy. */
static int parse_n(const char *text, size_t len)
{
	memcpy(buf, text, len);
	buf[len] = 0;
	return smtp_cmd_parse(buf, len, &c);
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void test_verbs(void)
{
	static const struct {
		const char *line;
		enum smtp_verb verb;
		const char *name;
	} t[] = {
		{ "HELO a.test", SMTP_HELO, "HELO" }, { "ehlo a.test", SMTP_EHLO, "EHLO" },
		{ "DATA", SMTP_DATA, "DATA" }, { "rset", SMTP_RSET, "RSET" },
		{ "NOOP", SMTP_NOOP, "NOOP" }, { "NOOP anything", SMTP_NOOP, "NOOP" },
		{ "QuIt", SMTP_QUIT, "QUIT" }, { "VRFY bob", SMTP_VRFY, "VRFY" },
		{ "EXPN list", SMTP_EXPN, "EXPN" }, { "HELP", SMTP_HELP, "HELP" },
		{ "STARTTLS", SMTP_STARTTLS, "STARTTLS" },
		{ "XCLIENT ADDR=192.0.2.1", SMTP_XCLIENT, "XCLIENT" },
		{ "AUTH PLAIN", SMTP_AUTH, "AUTH" }, { "BDAT 1", SMTP_BDAT, "BDAT" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok(parse(t[i].line) == 0 && c.verb == t[i].verb && strcmp(c.name, t[i].name) == 0,
		   "verb: '%s'", t[i].line);
	}
	ok(parse("FOO bar") == 0 && c.verb == SMTP_UNKNOWN && strcmp(c.arg, "bar") == 0,
	   "an unknown verb is not a parse error, verb UNKNOWN");
	ok(parse("MAILX FROM:<a@b.test>") == 0 && c.verb == SMTP_UNKNOWN,
	   "a verb with a prefix of a known one is unknown");
	ok(parse("") == 0 && c.verb == SMTP_UNKNOWN, "an empty line is an unknown verb");
	is_str((parse("EHLO  client.test  "), c.arg), " client.test",
	       "EHLO: trailing spaces dropped, the argument as sent");
	ok(parse("EHLO") < 0 && strncmp(c.error, "501 5.5.4", 9) == 0, "EHLO needs a name");
	ok(parse("HELO") < 0, "HELO needs a name");
	memset(buf, 'a', 300);
	memcpy(buf, "EHLO ", 5);
	ok(smtp_cmd_parse(buf, 300, &c) < 0 && strstr(c.error, "too long"),
	   "EHLO with a 295-byte name refused");
	ok(parse("DATA x") < 0 && strncmp(c.error, "501", 3) == 0, "DATA takes no argument");
	ok(parse("QUIT now") < 0, "QUIT takes no argument");
	ok(parse("RSET x") < 0, "RSET takes no argument");
	ok(parse("STARTTLS x") < 0, "STARTTLS takes no argument");
	ok(parse("DATA   ") == 0 && c.verb == SMTP_DATA, "DATA with trailing spaces is fine");
}

static void test_paths(void)
{
	ok(parse("MAIL FROM:<bob@example.test>") == 0 && strcmp(c.addr, "bob@example.test") == 0 &&
	   strcmp(c.domain, "example.test") == 0 && c.nparams == 0, "MAIL FROM:<addr>");
	ok(parse("mail from:<bob@example.test>") == 0 && c.verb == SMTP_MAIL &&
	   strcmp(c.addr, "bob@example.test") == 0, "lower-case verb and FROM:");
	ok(parse("MAIL FROM:<>") == 0 && strcmp(c.addr, "") == 0 && strcmp(c.domain, "") == 0,
	   "MAIL FROM:<> is the null sender");
	ok(parse("MAIL FROM: <bob@example.test>") == 0 && strcmp(c.addr, "bob@example.test") == 0,
	   "a space after FROM: is tolerated");
	ok(parse("MAIL FROM:bob@example.test") == 0 && strcmp(c.addr, "bob@example.test") == 0,
	   "an address without brackets");
	ok(parse("MAIL FROM:bob@example.test SIZE=10") == 0 &&
	   strcmp(c.addr, "bob@example.test") == 0 && c.nparams == 1 &&
	   strcmp(c.params[0].key, "SIZE") == 0, "an address without brackets, then a parameter");
	ok(parse("RCPT TO:<@relay.test,@b.test:alice@example.test>") == 0 &&
	   strcmp(c.addr, "alice@example.test") == 0 && strcmp(c.domain, "example.test") == 0,
	   "a source route is dropped");
	ok(parse("RCPT TO:<@relay.test>") < 0, "a source route without a mailbox is refused");
	ok(parse("RCPT TO:<Postmaster>") == 0 && strcmp(c.addr, "Postmaster") == 0 &&
	   strcmp(c.domain, "") == 0, "RCPT TO:<Postmaster> parses, no domain");
	ok(parse("RCPT TO:<\"a>b c\"@example.test>") == 0 &&
	   strcmp(c.addr, "\"a>b c\"@example.test") == 0,
	   "a quoted local part may hold '>' and spaces");
	ok(parse("RCPT TO:<\"a\\\"b\"@example.test>") == 0 &&
	   strcmp(c.addr, "\"a\\\"b\"@example.test") == 0, "a quoted pair in a quoted local part");
	ok(parse("RCPT TO:<a@b@example.test>") == 0 && strcmp(c.domain, "example.test") == 0,
	   "the domain is after the last '@' (the address checked later)");
	ok(parse("RCPT TO:<bob@example.test") < 0 && strncmp(c.error, "501 5.1.3", 9) == 0,
	   "a missing '>' is refused");
	ok(parse("RCPT TO:<bob@example.test>x") < 0, "junk right after '>' is refused");
	ok(parse("RCPT TO:") < 0, "RCPT TO: without an address is refused");
	ok(parse("RCPT <bob@example.test>") < 0 && strstr(c.error, "RCPT TO:"),
	   "RCPT without TO: gets the syntax reply");
	ok(parse("MAIL TO:<bob@example.test>") < 0 && strstr(c.error, "MAIL FROM:"),
	   "MAIL TO: gets the MAIL syntax reply");
	ok(parse("MAIL") < 0, "MAIL alone is refused");
}

static void test_params(void)
{
	const struct smtp_param *p;

	ok(parse("MAIL FROM:<a@b.test> size=100 body=8BITMIME SMTPUTF8") == 0 && c.nparams == 3,
	   "three parameters");
	p = smtp_cmd_param(&c, "SIZE");
	ok(p && strcmp(p->value, "100") == 0, "keywords are upper-cased, SIZE=100");
	p = smtp_cmd_param(&c, "BODY");
	ok(p && strcmp(p->value, "8BITMIME") == 0, "BODY value as sent");
	p = smtp_cmd_param(&c, "SMTPUTF8");
	ok(p && p->value == NULL, "a bare keyword has no value");
	ok(smtp_cmd_param(&c, "RET") == NULL, "an absent parameter is NULL");
	ok(parse("MAIL FROM:<a@b.test>   SIZE=1   ") == 0 && c.nparams == 1,
	   "extra spaces between and after parameters");
	ok(parse("RCPT TO:<a@b.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.test") == 0 &&
	   c.nparams == 2 && strcmp(smtp_cmd_param(&c, "ORCPT")->value, "rfc822;a@b.test") == 0,
	   "DSN parameters on RCPT");
	ok(parse("MAIL FROM:<a@b.test> SIZE=") < 0 && strstr(c.error, "bad parameter"),
	   "an empty value is refused");
	ok(parse("MAIL FROM:<a@b.test> =1") < 0, "an empty keyword is refused");
	ok(parse("MAIL FROM:<a@b.test> SI_ZE=1") < 0 && strstr(c.error, "keyword"),
	   "a keyword with '_' is refused");
	ok(parse("MAIL FROM:<a@b.test> SIZE=1 size=2") < 0 && strstr(c.error, "repeated"),
	   "a repeated parameter is refused, whatever its case");
	ok(parse_n("MAIL FROM:<a@b.test> X=a\x7f", 25) < 0, "DEL in a value is refused");
	ok(parse("MAIL FROM:<a@b.test> ENVID=a=b") == 0 &&
	   strcmp(smtp_cmd_param(&c, "ENVID")->value, "a=b") == 0, "the value may hold '='");
	{
		char line[1024] = "MAIL FROM:<a@b.test>";

		for (int i = 0; i < SMTP_PARAMS_MAX; i++)
			sprintf(line + strlen(line), " P%d=1", i);
		ok(parse(line) == 0 && c.nparams == SMTP_PARAMS_MAX, "%d parameters are fine",
		   SMTP_PARAMS_MAX);
		strcat(line, " LAST=1");
		ok(parse(line) < 0 && strstr(c.error, "too many"), "%d parameters are too many",
		   SMTP_PARAMS_MAX + 1);
	}
	{
		char line[1200];

		strcpy(line, "MAIL FROM:<a@b.test> X=");
		memset(line + strlen(line), 'v', SMTP_PARAM_MAX - 2);
		line[23 + SMTP_PARAM_MAX - 2] = 0;
		ok(parse(line) == 0, "a parameter of %d bytes is fine", SMTP_PARAM_MAX);
		strcat(line, "v");
		ok(parse(line) < 0 && strstr(c.error, "too long"), "a parameter of %d bytes is refused",
		   SMTP_PARAM_MAX + 1);
	}
}

static void test_addresses(void)
{
	static const struct {
		const char *addr;
		bool utf8, valid;
	} t[] = {
		{ "bob@example.test", false, true },
		{ "b.o.b+tag@sub.example.test", false, true },
		{ "!#$%&'*+-/=?^_`{|}~@example.test", false, true },
		{ "\"john doe\"@example.test", false, true },
		{ "\"a\\\"b\"@example.test", false, true },
		{ "bob@[192.0.2.1]", false, true },
		{ "bob@[IPv6:2001:db8::1]", false, true },
		{ "bob@example.test.", false, true },
		{ "bob", false, false },
		{ "@example.test", false, false },
		{ "bob@", false, false },
		{ ".bob@example.test", false, false },
		{ "bob.@example.test", false, false },
		{ "b..ob@example.test", false, false },
		{ "bob@exa_mple.test", false, false },
		{ "bob@.example.test", false, false },
		{ "bob@example..test", false, false },
		{ "bob@[192.0.2.1", false, false },
		{ "bo b@example.test", false, false },
		{ "\"unterminated@example.test", false, false },
		{ "j\xc3\xb6rg@example.test", false, false },
		{ "j\xc3\xb6rg@example.test", true, true },
		{ "bob@b\xc3\xbc" "cher.test", false, false },
		{ "bob@b\xc3\xbc" "cher.test", true, true },
		{ "\"j\xc3\xb6rg\"@example.test", false, false },
		{ "\"j\xc3\xb6rg\"@example.test", true, true },
	};
	char big[600], label[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(smtp_addr_valid(t[i].addr, t[i].utf8) == t[i].valid, "address %s%s is %s",
		   t[i].addr, t[i].utf8 ? " (SMTPUTF8)" : "", t[i].valid ? "valid" : "invalid");
	ok(parse("MAIL FROM:<j\xc3\xb6rg@example.test> SMTPUTF8") == 0 &&
	   strcmp(c.addr, "j\xc3\xb6rg@example.test") == 0 && smtp_cmd_param(&c, "SMTPUTF8"),
	   "SMTPUTF8: a UTF-8 address parses with the parameter");
	/* label of 63 is fine, 64 is not */
	memset(label, 'x', sizeof(label));
	snprintf(big, sizeof(big), "a@%.*s.test", 63, label);
	ok(smtp_addr_valid(big, false), "a 63-byte label is valid");
	snprintf(big, sizeof(big), "a@%.*s.test", 64, label);
	ok(!smtp_addr_valid(big, false), "a 64-byte label is not");
	/* a domain of 256 bytes */
	strcpy(big, "a@");
	for (int i = 0; i < 64; i++)
		strcat(big, "abc.");
	strcat(big, "te");
	ok(!smtp_addr_valid(big, false), "a domain over 255 bytes is not valid");
	/* local part over the limit (64 octets; UTF-8 room up to 4 times) */
	memset(big, 'l', 257);
	strcpy(big + 257, "@example.test");
	ok(!smtp_addr_valid(big, true), "a local part of 257 bytes is not valid");
}

static void test_limits(void)
{
	char line[700];

	/* a path of 256 bytes between the brackets is the limit */
	strcpy(line, "RCPT TO:<");
	memset(line + 9, 'a', 64);
	strcpy(line + 9 + 64, "@");
	memset(line + 9 + 65, 'b', SMTP_PATH_MAX - 65);
	strcpy(line + 9 + SMTP_PATH_MAX, ">");
	ok(parse(line) == 0 && strlen(c.addr) == SMTP_PATH_MAX, "a %d-byte path parses",
	   SMTP_PATH_MAX);
	strcpy(line + 9 + SMTP_PATH_MAX, "b>");
	ok(parse(line) < 0 && strncmp(c.error, "501 5.1.3", 9) == 0,
	   "a %d-byte path is refused", SMTP_PATH_MAX + 1);
	strcpy(line, "RCPT TO:");
	memset(line + 8, 'a', 400);
	strcpy(line + 408, "@b.test");
	ok(parse(line) < 0, "an over-long path without brackets is refused");
}

static void test_controls(void)
{
	static const struct {
		const char *line;
		size_t len;
		const char *what;
	} t[] = {
		{ "MAIL FROM:<a@b.test>\rRCPT TO:<c@d.test>", 39, "a CR inside" },
		{ "MAIL FROM:<a@b.test>\nRCPT TO:<c@d.test>", 39, "an LF inside" },
		{ "MAIL FROM:<a@b.test>\0RCPT TO:<c@d.test>", 39, "a NUL inside" },
		{ "NOOP\r", 5, "a trailing CR" },
		{ "NOOP\n", 5, "a trailing LF" },
		{ "\0", 1, "a lone NUL" },
		{ "DATA\r\n.\r\n", 9, "a smuggled end of data" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(parse_n(t[i].line, t[i].len) < 0 && strncmp(c.error, "500 5.5.2", 9) == 0 &&
		   strstr(c.error, "bare CR, LF or NUL"), "refused: %s", t[i].what);
	ok(parse_n("NOOP \x1b[31m", 10) < 0 && strstr(c.error, "control character"),
	   "an escape sequence is refused");
	ok(parse_n("NOOP \x7f", 6) < 0, "DEL is refused");
	ok(parse("EHLO\ta.test") == 0 && c.verb == SMTP_UNKNOWN,
	   "a tab is allowed but does not separate the verb");
}

static void test_bdat(void)
{
	ok(parse("BDAT 0") == 0 && c.size == 0 && !c.last, "BDAT 0");
	ok(parse("BDAT 1024") == 0 && c.size == 1024 && !c.last, "BDAT 1024");
	ok(parse("BDAT 1024 LAST") == 0 && c.size == 1024 && c.last, "BDAT 1024 LAST");
	ok(parse("bdat 7 last") == 0 && c.size == 7 && c.last, "bdat 7 last (case)");
	ok(parse("BDAT 0 LAST") == 0 && c.size == 0 && c.last, "BDAT 0 LAST");
	ok(parse("BDAT 1024   ") == 0 && c.size == 1024 && !c.last, "trailing spaces");
	ok(parse("BDAT") < 0 && strstr(c.error, "BDAT size"), "BDAT without a size");
	ok(parse("BDAT -1") < 0, "a negative size");
	ok(parse("BDAT +1") < 0, "a signed size");
	ok(parse("BDAT 0x10") < 0, "a hex size");
	ok(parse("BDAT 10LAST") < 0, "LAST glued to the size");
	ok(parse("BDAT 10  LAST") < 0, "two spaces before LAST");
	ok(parse("BDAT 10 LAST x") < 0, "junk after LAST");
	ok(parse("BDAT 10 FIRST") < 0, "another word than LAST");
	ok(parse("BDAT 1099511627776") == 0 && c.size == SMTP_BDAT_MAX, "the largest chunk");
	ok(parse("BDAT 1099511627777") < 0 && strncmp(c.error, "552 5.3.4", 9) == 0,
	   "one byte more: 552");
	ok(parse("BDAT 99999999999999999999999999") < 0 && strncmp(c.error, "552", 3) == 0,
	   "a size beyond 64 bits: 552, no wrap");
}

int main(void)
{
	test_verbs();
	test_paths();
	test_params();
	test_addresses();
	test_limits();
	test_controls();
	test_bdat();
	return tap_done();
}
