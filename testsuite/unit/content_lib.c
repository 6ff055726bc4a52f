/* Unit tests for lib/content: the spool (memory, then a file), seals
 * (stamp and organisation seal: good, tampered, body changed, line ends),
 * transport rules (loading errors, conditions, exceptions, stop), the
 * quarantine store (store, list, read back the original, delete) and
 * archive listing (zip in zip, a lone gzip, not an archive). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content/archive.h"
#include "content/quarantine.h"
#include "content/rules.h"
#include "content/seal.h"
#include "content/spool.h"
#include "util/mem.h"
#include "tap.h"

static char tmpdir[] = "/tmp/content-unit.XXXXXX";

static void test_spool(void)
{
	struct spool sp;
	const char *d;
	size_t len;

	spool_init(&sp, 10, tmpdir);
	spool_add(&sp, "hello ", 6);
	d = spool_data(&sp, &len);
	ok(sp.fd < 0 && len == 6 && memcmp(d, "hello ", 6) == 0, "small message stays in memory");
	spool_reset(&sp);
	spool_add(&sp, "hello ", 6);
	spool_add(&sp, "world, more than ten", 20);
	d = spool_data(&sp, &len);
	ok(sp.fd >= 0 && len == 26 && memcmp(d, "hello world, more than ten", 26) == 0,
	   "past the limit: a file, mapped whole");
	spool_release(&sp);
}

static const char *get_field(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "X-Postern-SCL") == 0)
		return "3";
	if (strcmp(name, "X-Postern-Classification") == 0)
		return "Internal";
	return NULL;
}

static const char *get_field_changed(const char *name, void *ctx)
{
	(void)ctx;
	return strcmp(name, "X-Postern-SCL") == 0 ? "-1" : get_field(name, ctx);
}

static void test_seal(void)
{
	struct seal_key k = { "0123456789abcdef0123", 20 }, k2 = { "another key, long enough", 24 };
	unsigned char bh[SEAL_DIGEST_LEN], bh2[SEAL_DIGEST_LEN], bh3[SEAL_DIGEST_LEN];
	struct strbuf v = STRBUF_INIT;
	const char *why, *names[] = { "X-Postern-SCL", "X-Postern-Classification" };
	const char *vals[] = { "3", "Internal" };
	char verdict[16], *sealed = NULL;

	seal_body_digest("A: b\r\n\r\nline one\r\nline two\r\n\r\n", 30, bh);
	seal_body_digest("A: b\n\nline one\nline two\n", 24, bh2);
	ok(memcmp(bh, bh2, sizeof(bh)) == 0, "body digest: CRLF and LF bodies, trailing lines, agree");
	seal_digest_body("line one\r\nline twO\r\n", 20, bh3);
	ok(memcmp(bh, bh3, sizeof(bh)) != 0, "body digest: a changed byte changes it");
	seal_stamp_make(&k, "clean", "clamd", 1700000000, bh, &v);
	ok(strncmp(v.buf, "clean; engine=clamd; t=1700000000; bh=", 38) == 0, "stamp syntax");
	is_int(seal_stamp_verify(&k, v.buf, bh, verdict, sizeof(verdict), &why), 0, "stamp verifies");
	is_str(verdict, "clean", "stamp verdict");
	is_int(seal_stamp_verify(&k2, v.buf, bh, verdict, sizeof(verdict), &why), -1,
	       "another key: refused");
	is_str(why, "bad seal", "why: bad seal");
	is_int(seal_stamp_verify(&k, v.buf, bh3, verdict, sizeof(verdict), &why), -1,
	       "changed body: refused");
	is_str(why, "body changed", "why: body changed");
	v.buf[0] = 'C';	/* "Clean": the verdict is signed */
	is_int(seal_stamp_verify(&k, v.buf, bh, verdict, sizeof(verdict), &why), -1,
	       "changed verdict: refused");
	is_int(seal_stamp_verify(&k, "clean; garbage", bh, verdict, sizeof(verdict), &why), -1,
	       "malformed stamp refused");
	strbuf_reset(&v);
	seal_org_make(&k, names, vals, 2, 1700000000, bh, &v);
	is_int(seal_org_verify(&k, v.buf, bh, get_field, NULL, &sealed, &why), 0, "org seal verifies");
	is_str(sealed, "X-Postern-SCL:X-Postern-Classification", "org seal lists its fields");
	free(sealed);
	is_int(seal_org_verify(&k, v.buf, bh, get_field_changed, NULL, NULL, &why), -1,
	       "a sealed field changed: refused");
	strbuf_release(&v);
}

static const char *hdr(const char *name, unsigned nth, void *ctx)
{
	(void)ctx;
	return nth == 0 && strcasecmp(name, "X-Mailer") == 0 ? "Bulk Sender 3.0" : NULL;
}

static void test_rules(void)
{
	const char *bad[] = {
		"{\"rules\": [{\"name\": \"a\", \"if\": {\"colour\": \"red\"}, \"actions\": {\"delete\": true}}]}",
		"{\"rules\": [{\"name\": \"a\", \"actions\": {\"explode\": true}}]}",
		"{\"rules\": [{\"if\": {\"sender\": \"x\"}, \"actions\": {\"delete\": true}}]}",
		"{\"rules\": [{\"name\": \"a\", \"actions\": {\"add_header\": \"no colon\"}}]}",
		"{\"rules\": [{\"name\": \"a\", \"if\": {\"scl_at_least\": 12}, \"actions\": {\"delete\": true}}]}",
		"[1, 2]", "{\"rules\": [], \"more\": 1}", "{\"rules\": [",
	};
	const char *good =
		"{\"rules\": ["
		"{\"name\": \"tag-external\", \"if\": {\"sender_domain\": \"*.test\"},"
		" \"except\": {\"sender\": \"boss@partner.test\"},"
		" \"actions\": {\"prepend_subject\": \"[EXT] \", \"add_header\": \"X-External: yes\"}},"
		"{\"name\": \"invoices\", \"if\": {\"subject_or_body_words\": [\"invoice\"], \"attachment_name\": \"*.pdf\"},"
		" \"actions\": {\"add_recipient\": \"archive@example.test\", \"classification\": \"Finance\"}},"
		"{\"name\": \"bulk\", \"if\": {\"header\": {\"name\": \"X-Mailer\", \"contains\": \"bulk\"}, \"scl_at_least\": 5},"
		" \"actions\": {\"quarantine\": true}, \"stop\": true},"
		"{\"name\": \"never\", \"actions\": {\"delete\": true}}"
		"]}";
	struct strbuf why = STRBUF_INIT, ex = STRBUF_INIT;
	struct rules *r;
	struct rules_actions a;
	const char *rcpts[] = { "alice@example.test" }, *names[] = { "Q3-Invoice.PDF" };
	struct rules_msg m = { "bob@partner.test", "bob@partner.test", rcpts, 1,
			       "Your invoice", "please find it attached", 23, hdr, NULL,
			       names, 1, NULL, 0, 2, false, 1000 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&why);
		r = rules_parse(bad[i], strlen(bad[i]), "r.json", &why);
		ok(r == NULL && why.len > 0, "bad rules file %zu refused: %.60s", i, why.buf ? why.buf : "");
	}
	ok(strstr(why.buf, "r.json:") == why.buf, "errors name the file");
	strbuf_reset(&why);
	r = rules_parse(good, strlen(good), "good.json", &why);
	ok(r != NULL, "good rules load: %s", why.buf ? why.buf : "");
	is_int(rules_count(r), 4, "four rules");
	rules_actions_init(&a);
	is_int(rules_eval(r, &m, &a, &ex), 3, "tag-external, invoices and never fire (scl 2)");
	is_str(a.subject_prefix.buf, "[EXT] ", "subject prefix");
	is_str(a.headers.buf, "X-External: yes\r\n", "header added");
	is_str(a.classification, "Finance", "classification");
	ok(a.nadd_rcpt == 1 && strcmp(a.add_rcpt[0], "archive@example.test") == 0, "copy recipient");
	ok(a.delete && !a.quarantine, "delete from the unconditional rule, no quarantine");
	ok(strstr(ex.buf, "bulk: not fired (header X-Mailer has 'bulk'; scl 2: out of range)") != NULL,
	   "explains why a rule did not fire");
	rules_actions_release(&a);
	strbuf_reset(&ex);
	m.sender = "boss@partner.test";
	m.from = "";
	m.scl = 6;
	rules_actions_init(&a);
	rules_eval(r, &m, &a, &ex);
	ok(strstr(ex.buf, "tag-external: excepted (sender 'boss@partner.test')") != NULL,
	   "the exception applies");
	ok(a.quarantine && !a.delete, "stop after bulk: never is not evaluated");
	ok(strstr(ex.buf, "never: not evaluated (stopped)") != NULL, "explains the stop");
	rules_actions_release(&a);
	m.subject = "your invoices";
	m.body = "nothing";
	m.body_len = 7;
	rules_actions_init(&a);
	rules_eval(r, &m, &a, NULL);
	ok(a.classification == NULL, "words match whole words only (invoices is not invoice)");
	rules_actions_release(&a);
	rules_free(r);
	strbuf_release(&why);
	strbuf_release(&ex);
}

static int count_item(const struct quar_item *it, void *ctx)
{
	int *n = ctx;

	(*n)++;
	ok(strcmp(it->sender, "bob@sender.test") == 0 && it->nrcpt == 2 &&
	   strcmp(it->rcpts[1], "carol@example.test") == 0, "list gives the envelope");
	is_str(it->reason, "spam confidence level 9", "list gives the reason");
	return 0;
}

static void test_quarantine(void)
{
	const char *msg = "From: bob@sender.test\r\nSubject: hi\r\n\r\n--=_not the boundary\r\nbody\r\n";
	const char *rcpts[] = { "alice@example.test", "carol@example.test" };
	struct quar_env env = { "bob@sender.test", rcpts, 2, "spam confidence level 9",
				"192.0.2.1", "edge.example.test", "hi" };
	char dir[256], id[QUAR_ID_MAX], path[512];
	struct quar_item it;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/q", tmpdir);
	is_int(quar_store(dir, &env, msg, strlen(msg), id), 0, "stored");
	ok(quar_id_valid(id), "id is valid: %s", id);
	ok(!quar_id_valid("../x") && !quar_id_valid("") && !quar_id_valid("a/b"), "bad ids refused");
	is_int(quar_list(dir, count_item, &n), 0, "list");
	is_int(n, 1, "one item");
	is_int(quar_read(dir, id, &it), 0, "read back");
	ok(it.original.len == strlen(msg) && memcmp(it.original.buf, msg, it.original.len) == 0,
	   "the original, byte for byte");
	is_str(it.subject, "hi", "subject");
	quar_item_clear(&it);
	is_int(quar_read(dir, "1.M2P3", &it), -1, "unknown id");
	is_int(errno, ENOENT, "ENOENT");
	is_int(quar_delete(dir, id), 0, "deleted");
	is_int(quar_path(dir, id, path, sizeof(path)), -1, "gone");
}

/* A zip in memory with the given (name, content) entries. */
static void make_zip(struct strbuf *out, const char *const *names, const char *const *data,
		     size_t n, const char *filter)
{
	struct archive *a = archive_write_new();
	size_t used = 0, cap = 1 << 20;
	char *buf = xmalloc(cap);

	if (filter)
		archive_write_set_format_raw(a), archive_write_add_filter_gzip(a);
	else
		archive_write_set_format_zip(a);
	archive_write_open_memory(a, buf, cap, &used);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(data[i]));
		archive_write_header(a, e);
		archive_write_data(a, data[i], strlen(data[i]));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	strbuf_add(out, buf, used);
	free(buf);
}

struct names {
	char got[512];
};

static int collect(const char *path, unsigned depth, void *ctx)
{
	struct names *n = ctx;
	size_t l = strlen(n->got);

	snprintf(n->got + l, sizeof(n->got) - l, "%s%s@%u", l ? " " : "", path, depth);
	return 0;
}

static void test_archive(void)
{
	struct strbuf inner = STRBUF_INIT, outer = STRBUF_INIT, gz = STRBUF_INIT;
	const char *in_names[] = { "setup.exe", "readme.txt" }, *in_data[] = { "MZ...", "hi" };
	const char *out_names[] = { "docs/inner.zip", "a.txt" }, *out_data[2];
	struct arch_limits lim = ARCH_LIMITS_INIT;
	struct arch_info info;
	struct names n = { "" };

	make_zip(&inner, in_names, in_data, 2, NULL);
	out_data[0] = xstrndup(inner.buf, inner.len);
	/* the inner zip holds NULs: write it with its real length */
	{
		struct archive *a = archive_write_new();
		size_t used = 0, cap = 1 << 20;
		char *buf = xmalloc(cap);
		struct archive_entry *e = archive_entry_new();

		archive_write_set_format_zip(a);
		archive_write_open_memory(a, buf, cap, &used);
		archive_entry_set_pathname(e, out_names[0]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)inner.len);
		archive_write_header(a, e);
		archive_write_data(a, inner.buf, inner.len);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, out_names[1]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 2);
		archive_write_header(a, e);
		archive_write_data(a, "hi", 2);
		archive_entry_free(e);
		archive_write_close(a);
		archive_write_free(a);
		strbuf_add(&outer, buf, used);
		free(buf);
	}
	free((char *)out_data[0]);
	arch_list(outer.buf, outer.len, "x.zip", &lim, collect, &n, &info);
	is_str(n.got, "docs/inner.zip@1 setup.exe@2 readme.txt@2 a.txt@1", "zip in zip listed");
	ok(info.is_archive && info.depth == 2 && info.entries == 4 && !info.encrypted,
	   "info: depth 2, 4 entries");
	n.got[0] = 0;
	lim.depth_max = 0;
	arch_list(outer.buf, outer.len, "x.zip", &lim, collect, &n, &info);
	is_str(n.got, "docs/inner.zip@1 a.txt@1", "depth 0: the inner zip is not opened");
	n.got[0] = 0;
	make_zip(&gz, (const char *[]){ "data" }, (const char *[]){ "MZ payload" }, 1, "gzip");
	arch_list(gz.buf, gz.len, "tool.exe.gz", NULL, collect, &n, &info);
	is_str(n.got, "tool.exe@1", "a lone gzip: the name without .gz");
	n.got[0] = 0;
	arch_list("just text, not an archive", 25, "a.zip", NULL, collect, &n, &info);
	ok(!info.is_archive && n.got[0] == 0, "not an archive: nothing listed");
	ok(arch_name_is_archive("A.ZIP") && arch_name_is_archive("x.tar.gz") &&
	   !arch_name_is_archive("x.pdf"), "archive extensions");
	strbuf_release(&inner);
	strbuf_release(&outer);
	strbuf_release(&gz);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_spool();
	test_seal();
	test_rules();
	test_quarantine();
	test_archive();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
