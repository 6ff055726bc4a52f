/* owa-cas Maildir names, flags and folder names, the index over a
 * Maildir built here, and the form parsers (urlencoded, multipart). The
 * code is owa-cas's own, compiled in. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cmd/owa-cas/maildir.c"
#include "../../cmd/owa-cas/form.c"
#include "tap.h"

static void test_names(void)
{
	size_t bl;
	unsigned f;
	struct strbuf sb = STRBUF_INIT;

	is_int(md_name_parse("123.M1P2.host:2,FRS", &bl, &f), 0, "flags name");
	is_int(bl, 13, "base length");
	is_int(f, MDF_FLAGGED | MDF_REPLIED | MDF_SEEN, "F R S");
	is_int(md_name_parse("123.M1P2.host", &bl, &f), 0, "new/ name");
	is_int(f, 0, "no flags");
	is_int(md_name_parse("123.host,S=42:2,Sx", &bl, &f), 0, "unknown letter ignored");
	is_int(f, MDF_SEEN, "S");
	is_int(md_name_parse(".hidden", &bl, &f), -1, "dot file");
	is_int(md_name_parse("a/b", &bl, &f), -1, "slash");
	is_int(md_name_parse("a\nb", &bl, &f), -1, "control");
	is_int(md_name_parse(":2,S", &bl, &f), -1, "no base");
	md_name_make("abc", 3, MDF_SEEN | MDF_DRAFT | MDF_TRASHED, &sb);
	is_str(sb.buf, "abc:2,DST", "letters in order");
	is_int(md_folder_ok(""), 0, "inbox");
	is_int(md_folder_ok("Work.Projects 2026"), 0, "nested folder");
	is_int(md_folder_ok("../etc"), -1, "climbing");
	is_int(md_folder_ok("a..b"), -1, "double dot");
	is_int(md_folder_ok(".x"), -1, "leading dot");
	is_int(md_folder_ok("a/b"), -1, "slash in folder");
	strbuf_release(&sb);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	fputs(text, fp);
	fclose(fp);
}

static void test_index(void)
{
	char root[] = "/tmp/owa_maildir.XXXXXX", cache[600], cur[600], neu[600];
	struct md_index *x;
	struct md_msg m;
	struct strbuf base = STRBUF_INIT, path = STRBUF_INIT;

	ok(mkdtemp(root) != NULL, "temp root");
	md_folder_create(root, "");
	snprintf(cur, sizeof(cur), "%s/cur", root);
	snprintf(neu, sizeof(neu), "%s/new", root);
	snprintf(cache, sizeof(cache), "%s/idx", root);
	put(cur, "1000.A.h:2,S", "From: =?utf-8?q?J=C3=B6rg?= <j@x>\nSubject: old\n\nbody\n");
	put(neu, "2000.B.h", "From: b@y\nSubject: =?utf-8?b?bmV3?=\n\nbody\n");
	x = md_index_open(root, "", cache);
	ok(x != NULL, "index built");
	is_int(md_index_count(x), 2, "two messages");
	is_int(md_index_unseen(x), 1, "one unseen");
	md_index_get(x, 0, &m);
	is_str(m.subject, "new", "newest first, subject decoded");
	is_int(m.in_new, 1, "in new/");
	md_index_get(x, 1, &m);
	is_str(m.from, "J\xc3\xb6rg", "display name decoded");
	is_int(md_index_find(x, "1000.A.h"), 1, "found by base");
	is_int(md_msg_flags(root, "", x, "2000.B.h", MDF_SEEN, 0), 0, "mark seen");
	ok(access("/dev/null", F_OK) == 0 && md_msg_path(root, "", NULL, "2000.B.h", &path) == 0 &&
	   strstr(path.buf, "/cur/2000.B.h:2,S") != NULL, "moved to cur with S: %s", path.buf);
	md_index_close(x);
	x = md_index_open(root, "", cache);
	is_int(md_index_unseen(x), 0, "rebuilt: none unseen");
	md_index_close(x);
	ok(md_deliver(root, "Sent", "Subject: s\n\nx\n", 13, MDF_SEEN, &base) == 0, "delivered");
	ok(strstr(base.buf, ",S=13") != NULL, "size in the name");
	x = md_index_open(root, "Sent", NULL);
	is_int(x ? md_index_count(x) : 0, 1, "in Sent");
	md_index_get(x, 0, &m);
	is_int(m.size, 13, "size");
	is_int(md_msg_move(root, "Sent", x, base.buf, "Trash"), 0, "moved");
	md_index_close(x);
	is_int(md_msg_path(root, "Trash", NULL, base.buf, &path), 0, "in Trash");
	is_int(md_msg_delete(root, "Trash", NULL, base.buf), 0, "deleted");
	is_int(md_msg_path(root, "Trash", NULL, base.buf, &path), -1, "gone");
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		ok(system(cmd) == 0, "cleaned");
	}
	strbuf_release(&base);
	strbuf_release(&path);
}

static void test_forms(void)
{
	struct form f;
	const char *why = NULL;
	const char *mp = "--XyZ\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na@b\r\n"
			 "--XyZ\r\nContent-Disposition: form-data; name=\"att\"; filename=\"r\\\"x.txt\"\r\n"
			 "Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n--XyZ--\r\n";

	memset(&f, 0, sizeof(f));
	is_int(form_parse(NULL, "a=1&b=x+y%21&c", 14, &f, &why), 0, "urlencoded");
	is_str(form_get(&f, "b"), "x y!", "decoded");
	is_str(form_get(&f, "c"), "", "no value");
	form_free(&f);
	is_int(form_parse(NULL, "a=%zz", 5, &f, &why), -1, "bad escape");
	form_free(&f);
	is_int(form_parse("multipart/form-data; boundary=XyZ", mp, strlen(mp), &f, &why), 0,
	       "multipart");
	is_str(form_get(&f, "to"), "a@b", "text field");
	is_int(f.n, 2, "two fields");
	is_str(f.f[1].filename, "r\"x.txt", "file name unquoted");
	is_str(f.f[1].type, "text/plain", "type");
	is_int(f.f[1].len, 12, "value keeps its inner CRLF");
	form_free(&f);
	is_int(form_parse("multipart/form-data; boundary=XyZ", mp, 40, &f, &why), -1, "cut");
	form_free(&f);
	is_int(form_parse("multipart/form-data", mp, strlen(mp), &f, &why), -1, "no boundary");
	form_free(&f);
	{
		struct strbuf many = STRBUF_INIT;

		for (int i = 0; i < FORM_FIELDS_MAX + 1; i++)
			strbuf_addf(&many, "f%d=1&", i);
		is_int(form_parse(NULL, many.buf, many.len, &f, &why), -1, "field cap");
		is_str(why, "too many fields", "why");
		form_free(&f);
		strbuf_release(&many);
	}
}

int main(void)
{
	test_names();
	test_index();
	test_forms();
	return tap_done();
}
