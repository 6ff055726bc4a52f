/* Unit tests of the directory's parts: base64, attribute names, the LDIF
 * parser and writer, password hashes, phone numbers, and the file backend
 * through dir_open. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/base64.h"
#include "dir/dir.h"
#include "dir/ldif.h"
#include "dir/pwhash.h"
#include "util/strbuf.h"
#include "tap.h"

static void test_b64(void)
{
	struct strbuf sb = STRBUF_INIT;

	ok(base64_decode("AAH+/1NNSU1FAIA=", 16, &sb) == 0 && sb.len == 11 &&
	   memcmp(sb.buf, "\0\1\xfe\xffSMIME\0\x80", 11) == 0, "base64 decodes binary");
	strbuf_reset(&sb);
	ok(base64_decode("AAH+/1NNSU1FAIA", 15, &sb) == 0 && sb.len == 11,
	   "base64 without padding");
	strbuf_reset(&sb);
	ok(base64_decode("AA H+", 5, &sb) < 0 && sb.len == 0, "base64 refuses a space");
	ok(base64_decode("A===", 4, &sb) < 0, "base64 refuses bad padding");
	ok(base64_decode("AAAAA", 5, &sb) < 0, "base64 refuses a lone sextet");
	strbuf_reset(&sb);
	base64_encode("\0\1\xfe\xffSMIME\0\x80", 11, &sb);
	is_str(sb.buf, "AAH+/1NNSU1FAIA=", "base64 encodes");
	strbuf_release(&sb);
}

static void test_attr_match(void)
{
	ok(dir_attr_match("userSMIMECertificate;binary", "usersmimecertificate"),
	   ";binary on one side only matches");
	ok(dir_attr_match("userCertificate", "USERCERTIFICATE;Binary"),
	   ";binary matched whatever its case");
	ok(!dir_attr_match("cn;lang-fr", "cn"), "other options still count");
	ok(dir_attr_match("cn;lang-fr", "CN;LANG-FR"), "options compare without case");
	ok(!dir_attr_match("cn", "cns"), "a prefix is not a match");
	ok(!dir_attr_match("binary", "cn"), "an attribute named binary is an attribute");
}

struct collect {
	struct dir_entry *e[8];
	size_t n, line[8];
};

static int collect_entry(struct dir_entry *e, size_t line, void *ctx, struct strbuf *err)
{
	struct collect *c = ctx;

	if (c->n == 8) {
		dir_entry_free(e);
		return 0;
	}
	c->line[c->n] = line;
	c->e[c->n++] = e;
	return 0;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		dir_entry_free(c->e[i]);
	c->n = 0;
}

static int parse(const char *text, const struct ldif_limits *lim, struct collect *c,
		 struct strbuf *err)
{
	strbuf_reset(err);
	return ldif_parse(text, strlen(text), "t.ldif", lim, collect_entry, c, err);
}

static void test_ldif_parse(void)
{
	struct collect c = { .n = 0 };
	struct strbuf err = STRBUF_INIT;
	const struct dir_value *v;
	const char *text =
		"version: 1\n"
		"# comment\n"
		"\n"
		"dn: uid=a,dc=t\n"
		"cn: Al\n"
		" ice\n"
		"userCertificate;binary:: AAH+\n"
		" /1NNSU1FAIA=\n"
		"cn:   second\n"
		"description:\n"
		"\n\n"
		"dn:: dWlkPWIsZGM9dA==\n"
		"uid: b\n";

	ok(parse(text, NULL, &c, &err) == 0 && c.n == 2, "two records parse");
	if (c.n != 2)
		printf("#   %s\n", err.buf ? err.buf : "");
	if (c.n == 2) {
		is_str(c.e[0]->dn, "uid=a,dc=t", "dn");
		is_int(c.line[0], 4, "record line");
		is_int(dir_entry_get(c.e[0], "cn", &v), 2, "two cn values");
		is_str((char *)v[0].data, "Alice", "folded value joined");
		is_str((char *)v[1].data, "second", "leading spaces of a value dropped");
		ok(dir_entry_get(c.e[0], "usercertificate", &v) == 1 && v[0].len == 11 &&
		   v[0].data[0] == 0, "binary value found without ;binary");
		ok(dir_entry_get(c.e[0], "description", &v) == 1 && v[0].len == 0,
		   "empty value");
		is_str(dir_entry_str(c.e[0], "userCertificate"), NULL,
		       "dir_entry_str refuses a value with NUL");
		is_str(c.e[1]->dn, "uid=b,dc=t", "base64 dn");
		is_int(c.line[1], 13, "second record line");
	}
	collect_free(&c);

	ok(parse("dn: a=b\nx: 1\n\ndn: a=c\nx: 2\n\ndn: a=d\nx: 3\n",
		 &(struct ldif_limits){ 100, 100, 10, 2, 1000 }, &c, &err) < 0,
	   "entry limit");
	is_str(err.buf, "t.ldif:7: more than 2 entries", "entry limit message");
	collect_free(&c);
	ok(parse("dn: a=b\nx: 12345\n 6789\n", &(struct ldif_limits){ 100, 8, 10, 2, 1000 },
		 &c, &err) < 0, "value limit across folding");
	is_str(err.buf, "t.ldif:2: value longer than 8 bytes", "value limit message");
	collect_free(&c);
	ok(parse("dn: a=b\nx: 1\n", &(struct ldif_limits){ 100, 100, 10, 2, 5 }, &c, &err) < 0,
	   "total size limit");
	collect_free(&c);
	ok(parse("dn: a=b\n", NULL, &c, &err) < 0, "an entry needs attributes");
	is_str(err.buf, "t.ldif:1: entry has no attributes", "no attributes message");
	collect_free(&c);
	ok(parse("dn: a=b\ncontrol: 1.2.3 true\n", NULL, &c, &err) < 0, "controls refused");
	collect_free(&c);
	ok(parse("dn: a=b\nx: 1\nchangetype: add\n", NULL, &c, &err) < 0,
	   "changetype after attributes refused");
	collect_free(&c);
	strbuf_release(&err);
}

static void test_ldif_roundtrip(void)
{
	struct collect c = { .n = 0 }, d = { .n = 0 };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct dir_entry *e = dir_entry_new("cn=\xc3\xa9t\xc3\xa9,dc=t");

	dir_entry_add(e, "cn", "\xc3\xa9t\xc3\xa9", 5);
	dir_entry_add(e, "x", " leading space", 14);
	dir_entry_add(e, "x", ":colon", 6);
	dir_entry_add(e, "y", "a\nb", 3);
	dir_entry_add(e, "z", "plain", 5);
	dir_entry_add(e, "empty", "", 0);
	ldif_write_entry(&out, e);
	is_str(out.buf, "dn:: Y249w6l0w6ksZGM9dA==\ncn:: w6l0w6k=\nx:: IGxlYWRpbmcgc3BhY2U=\n"
	       "x:: OmNvbG9u\ny:: YQpi\nz: plain\nempty:\n\n", "writer output");
	ok(ldif_parse(out.buf, out.len, "w", NULL, collect_entry, &c, &err) == 0 && c.n == 1,
	   "writer output parses");
	if (c.n == 1) {
		strbuf_reset(&err);
		ldif_write_entry(&err, c.e[0]);
		is_str(err.buf, out.buf, "and writes back the same");
	}
	collect_free(&c);
	collect_free(&d);
	dir_entry_free(e);
	strbuf_release(&err);
	strbuf_release(&out);
}

static void test_pwhash(void)
{
	const char *ssha = "{SSHA}eNOR+VOJBB9zam17+jKI4Pm9lbwBAgMEBQYHCA==";
	const char *crypt6 = "{crypt}$6$bobsalt12$CgResj37z0EqJgMfO2nWZidb4DHB0Cd6nQ4zSMP3jG9"
		"en0rUHcBZG0gLC1Y/Br2qKoqF/MsBnGhL7nnwneuWT/";
	/* {SHA} of "password", as slappasswd -h {SHA} prints it. */
	const char *sha = "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=";
	char buf[16];

	is_int(pwhash_verify(ssha, strlen(ssha), "alice-Secret-1"), PWHASH_MATCH, "{SSHA} match");
	is_int(pwhash_verify(ssha, strlen(ssha), "alice-Secret-2"), PWHASH_MISMATCH,
	       "{SSHA} mismatch");
	is_int(pwhash_verify(crypt6, strlen(crypt6), "bob-Secret-2"), PWHASH_MATCH,
	       "{CRYPT} match, scheme any case");
	is_int(pwhash_verify(crypt6, strlen(crypt6), "bob-Secret-3"), PWHASH_MISMATCH,
	       "{CRYPT} mismatch");
	is_int(pwhash_verify(sha, strlen(sha), "password"), PWHASH_MATCH, "{SHA} match");
	is_int(pwhash_verify("secret", 6, "secret"), PWHASH_UNSUPPORTED, "plain text refused");
	is_int(pwhash_verify("{SSHA}!!", 8, "x"), PWHASH_UNSUPPORTED, "bad base64 refused");
	is_int(pwhash_verify("{SSHA}AAAA", 10, "x"), PWHASH_UNSUPPORTED, "short hash refused");
	is_int(pwhash_verify("{CRYPT}", 7, ""), PWHASH_UNSUPPORTED, "empty crypt refused");
	is_str(pwhash_scheme(crypt6, strlen(crypt6), buf, sizeof(buf)), "crypt", "scheme name");
	is_str(pwhash_scheme("plain", 5, buf, sizeof(buf)), "", "no scheme");
}

static void test_phone(void)
{
	char *p;

	is_str(p = dir_phone_normalise("+33 1 23-45"), "+3312345", "phone keeps + and digits");
	free(p);
	is_str(p = dir_phone_normalise("(0)1.23"), "0123", "phone drops punctuation");
	free(p);
	is_str(dir_phone_normalise("+ -"), NULL, "phone without digits");
}

static void test_file_backend(void)
{
	char path[] = "/tmp/postern-dir-unit.XXXXXX";
	int fd = mkstemp(path);
	const char *text = "dn: uid=a,dc=t\nuid: A\nmail: A@T.example\nposternMailAlias: b@t.example\n"
		"telephoneNumber: +1 555 0100\nuserSMIMECertificate;binary:: AAE=\n";
	json_t *sec;
	struct dir *d;
	struct dir_entry *e = NULL;
	const struct dir_value *v;

	ok(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "temp file");
	close(fd);
	sec = json_pack("{s:s, s:s, s:[s], s:{}}", "backend", "file", "file", path,
			"alias_attributes", "posternMailAlias", "ldap");
	d = dir_open(sec);
	ok(d != NULL, "dir_open on a file");
	if (d == NULL)
		goto out;
	is_str(dir_backend(d), "file", "backend name");
	ok(dir_lookup_mail(d, "a@t.EXAMPLE", &e) == DIR_OK, "mail without case");
	dir_entry_free(e);
	ok(dir_lookup_mail(d, "B@t.example", &e) == DIR_OK, "alias");
	ok(e && dir_entry_get(e, "userSMIMECertificate", &v) == 1 && v[0].len == 2,
	   "binary value through dir_entry_get");
	dir_entry_free(e);
	ok(dir_lookup_uid(d, "a", &e) == DIR_OK, "uid without case");
	dir_entry_free(e);
	ok(dir_lookup_phone(d, "+15550100", &e) == DIR_OK, "phone");
	dir_entry_free(e);
	ok(dir_lookup_uid(d, "", &e) == DIR_NOTFOUND && e == NULL, "empty key not found");
	ok(dir_check_password(d, "a", "x") == DIR_NOTFOUND, "no password: refused");

	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "dn: uid=c,dc=t\nuid: c\n", 22) == 22, "file rewritten");
	close(fd);
	is_int(dir_reload(d), DIR_OK, "dir_reload");
	ok(dir_lookup_uid(d, "a", &e) == DIR_NOTFOUND, "old entry gone");
	ok(dir_lookup_uid(d, "c", &e) == DIR_OK, "new entry there");
	dir_entry_free(e);
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "uid: c\n", 7) == 7, "file broken");
	close(fd);
	is_int(dir_reload(d), DIR_TEMPFAIL, "dir_reload of a bad file fails");
	ok(strstr(dir_error(d), ":1: record starts with 'uid:'") != NULL, "and says where");
	ok(dir_lookup_uid(d, "c", &e) == DIR_OK, "old data kept");
	dir_entry_free(e);
	dir_close(d);
out:
	json_decref(sec);
	unlink(path);
}

int main(void)
{
	test_b64();
	test_attr_match();
	test_ldif_parse();
	test_ldif_roundtrip();
	test_pwhash();
	test_phone();
	test_file_backend();
	return tap_done();
}
