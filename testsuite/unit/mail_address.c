/* Unit tests: addr-specs out of From/To-style header values, and the
 * normal form safelist hashes are made of. */
#include <stdlib.h>

#include "mail/address.h"
#include "util/strbuf.h"
#include "tap.h"

/* "addr[display]" for each mailbox, space-separated (static buffer). */
static const char *list(const char *v)
{
	static struct strbuf sb = STRBUF_INIT;
	struct mail_addr *a;
	size_t n = address_parse_list(v, strlen(v), 0, &a);

	strbuf_reset(&sb);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s[%s]", i ? " " : "", a[i].addr, a[i].display ? a[i].display : "");
	address_list_free(a, n);
	return sb.buf ? sb.buf : "";
}

static const char *first(const char *v)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	if (address_first(v, strlen(v), &sb) < 0)
		return NULL;
	return sb.buf;
}

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct mail_addr *a;
	size_t n;

	is_str(first("Joe <Joe.Bloggs@Example.TEST>"), "Joe.Bloggs@example.test",
	       "first: angle address, domain lowercased, local part kept");
	is_str(first("joe@EXAMPLE.test (Joe Bloggs)"), "joe@example.test", "first: bare address with a comment");
	is_str(first("\"Bloggs, Joe\" <joe@x.test>, other@y.test"), "joe@x.test",
	       "first: comma in a quoted display name");
	is_str(first("=?utf-8?q?J=C3=B6e?= <joe@x.test>"), "joe@x.test", "first: 2047 display name");
	is_str(first("Undisclosed recipients:;"), NULL, "first: an empty group has none");
	is_str(first(""), NULL, "first: empty value");
	is_str(first("<@relay.test:joe@x.test>"), "joe@x.test", "first: obsolete route dropped");
	is_str(first("\"joe smith\"@x.test"), "\"joe smith\"@x.test", "first: quoted local part");
	is_str(first("joe (comment) @ (more) x.test"), "joe@x.test", "first: comments inside the address");

	is_str(list("\"Bloggs, Joe\" <joe@x.test>, =?iso-8859-1?q?Ren=E9?= <rene@y.test>"),
	       "joe@x.test[Bloggs, Joe] rene@y.test[Ren\xc3\xa9]", "list: display names, quoted and 2047");
	is_str(list("friends: a@x.test, B <b@y.test>; c@z.test"), "a@x.test[] b@y.test[B] c@z.test[]",
	       "list: a group and a mailbox after it");
	is_str(list("a@x.test (Alice)"), "a@x.test[Alice]", "list: comment as display name");
	is_str(list("garbage <<< ,,, a@b.test"), "a@b.test[]", "list: garbage skipped");
	is_str(list("MAILER-DAEMON"), "MAILER-DAEMON[]", "list: a local part alone");
	n = address_parse_list("\"q\\\"x\" <\"a b\"@c.test>", 22, 0, &a);
	ok(n == 1 && strcmp(a[0].local, "a b") == 0 && strcmp(a[0].domain, "c.test") == 0 &&
	   strcmp(a[0].display, "q\"x") == 0, "list: local part and display unquoted in their fields");
	address_list_free(a, n);
	n = address_parse_list("a@b, c@d, e@f", 13, 2, &a);
	ok(n == 2, "list: at most max");
	address_list_free(a, n);

	address_normalise(" <Joe.Bloggs@Example.TEST> ", 27, &sb);
	is_str(sb.buf, "joe.bloggs@example.test", "normalise: lowercased, brackets and blanks dropped");
	strbuf_release(&sb);
	return tap_done();
}
