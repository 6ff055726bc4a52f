/* Unit tests: strbuf, mem, atomic files, logfmt quoting. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "tap.h"

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	size_t len;

	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, 0);
	strbuf_addf(&sb, "%d-%s", 42, "x");
	is_int(sb.len, 8, "add keeps embedded NUL and counts bytes");
	ok(memcmp(sb.buf, "abc\0" "42-x", 8) == 0 && sb.buf[8] == 0, "bytes and terminator");
	for (int i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%05d", i);
	is_int(sb.len, 8 + 50000, "grows across many appends");
	strbuf_setlen(&sb, 3);
	strbuf_rtrim(&sb);
	is_str(sb.buf, "abc", "setlen truncates");
	p = strbuf_detach(&sb, &len);
	ok(len == 3 && strcmp(p, "abc") == 0 && sb.len == 0 && sb.alloc == 0 && sb.buf[0] == 0, "detach hands over and leaves sb empty");
	free(p);
	strbuf_release(&sb);
	strbuf_init(&sb, 0);
	ok(sb.buf && sb.buf[0] == 0, "empty strbuf reads as an empty string");
	p = strbuf_detach(&sb, NULL);
	ok(p && *p == 0, "detach of empty gives an allocated empty string");
	free(p);
}

static void test_read(void)
{
	struct strbuf sb = STRBUF_INIT;
	char path[] = "/tmp/postern-unit-XXXXXX";
	int fd = mkstemp(path);

	for (int i = 0; i < 1000; i++)
		(void)!write(fd, "0123456789", 10);
	close(fd);
	ok(strbuf_read_file(&sb, path, 100000) == 0 && sb.len == 10000, "read_file reads all");
	strbuf_reset(&sb);
	ok(strbuf_read_file(&sb, path, 500) < 0 && errno == EFBIG, "read_file refuses past max");
	strbuf_release(&sb);
	unlink(path);
}

static void test_atomic(void)
{
	char dir[] = "/tmp/postern-unit-XXXXXX";
	char *path;
	struct atomic_file af;
	struct stat st;
	struct strbuf sb = STRBUF_INIT;

	ok(mkdtemp(dir) != NULL, "temp dir");
	path = xasprintf("%s/file", dir);
	ok(atomic_write(path, "one\n", 4, 0600) == 0, "atomic_write");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 4, "mode and size");
	ok(atomic_open(&af, path, 0644) == 0, "atomic_open");
	write_all(af.fd, "two\n", 4);
	strbuf_read_file(&sb, path, 100);
	is_str(sb.buf, "one\n", "old content stays until commit");
	atomic_abort(&af);
	strbuf_reset(&sb);
	strbuf_read_file(&sb, path, 100);
	is_str(sb.buf, "one\n", "abort leaves the old content");
	ok(atomic_open(&af, path, 0644) == 0 && write_all(af.fd, "two\n", 4) == 0 &&
	   atomic_commit(&af) == 0, "commit");
	strbuf_reset(&sb);
	strbuf_read_file(&sb, path, 100);
	is_str(sb.buf, "two\n", "commit replaces");
	{
		char *cmd = xasprintf("test $(ls -A %s | wc -l) -eq 1", dir);

		ok(system(cmd) == 0, "no temporary file left behind");
		free(cmd);
	}
	ok(atomic_write("/nonexistent-dir/x", "a", 1, 0600) < 0 && errno == ENOENT,
	   "missing directory is an error with errno");
	unlink(path);
	rmdir(dir);
	free(path);
	strbuf_release(&sb);
}

static void test_quote(void)
{
	is_str(msg_q("plain"), "plain", "bare value stays bare");
	is_str(msg_q("two words"), "\"two words\"", "space quotes");
	is_str(msg_q("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash escaped");
	is_str(msg_q("line\nbreak"), "\"line\\nbreak\"", "newline escaped, never a second line");
	is_str(msg_q(""), "\"\"", "empty value quoted");
	is_str(msg_q("a=b"), "\"a=b\"", "equals sign quoted");
}

int main(void)
{
	test_strbuf();
	test_read();
	test_atomic();
	test_quote();
	return tap_done();
}
