/* Unit tests: strbuf, mem, atomic files, logfmt quoting, percent-decoding. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/pct.h"
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

static void test_dec(void)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[STRBUF_DEC_MAX];

	is_int(dec_format(buf, 0), 1, "0 is one digit");
	ok(buf[0] == '0', "and it is 0");
	is_int(dec_format(buf, 18446744073709551615ull), 20, "the largest value fills 20 bytes");
	ok(memcmp(buf, "18446744073709551615", 20) == 0, "with its digits in order");
	strbuf_addstr(&sb, "n=");
	strbuf_adddec(&sb, 4096);
	is_str(sb.buf, "n=4096", "strbuf_adddec appends");
	strbuf_release(&sb);
}

/* pct_decode with flags into a fresh buffer: the count or -1, and what
 * came out. */
static int pct(const char *in, unsigned flags, struct strbuf *out)
{
	strbuf_reset(out);
	return pct_decode(out, in, strlen(in), flags);
}

static void test_pct(void)
{
	struct strbuf sb = STRBUF_INIT;

	is_int(pct("a%40b.test", 0, &sb), 0, "clean input: no bad escape");
	is_str(sb.buf, "a@b.test", "%%40 is @");
	is_int(pct("x+y%2By", PCT_PLUS_SPACE, &sb), 0, "form encoding");
	is_str(sb.buf, "x y+y", "+ is a space, %%2B a plus");
	pct("x+y", 0, &sb);
	is_str(sb.buf, "x+y", "+ stays without PCT_PLUS_SPACE");
	is_int(pct("%e9%C3%a9", 0, &sb), 0, "hex digits in either case");
	ok(sb.len == 3 && (unsigned char)sb.buf[0] == 0xe9 && (unsigned char)sb.buf[2] == 0xa9,
	   "bytes as they are, not a charset");
	is_int(pct("100%", 0, &sb), 1, "a '%%' at the end is counted");
	is_str(sb.buf, "100%", "and kept");
	is_int(pct("%zz%4", 0, &sb), 2, "bad and short escapes counted");
	is_str(sb.buf, "%zz%4", "and kept as they are");
	is_int(pct("ok%4", PCT_STRICT, &sb), -1, "strict: a short escape is an error");
	is_int(pct("%g0", PCT_STRICT | PCT_PLUS_SPACE, &sb), -1, "strict: a bad digit is an error");
	is_int(pct("%00a", PCT_STRICT, &sb), 0, "%%00 decodes");
	ok(sb.len == 2 && sb.buf[0] == 0 && sb.buf[1] == 'a', "to a NUL byte, counted in len");
	ok(hex_digit('f') == 15 && hex_digit('F') == 15 && hex_digit('9') == 9 && hex_digit('g') == -1 &&
	   hex_digit(0x80 + '1') == -1, "hex_digit");
	strbuf_release(&sb);
}

int main(void)
{
	test_dec();
	test_pct();
	test_strbuf();
	test_read();
	test_atomic();
	test_quote();
	return tap_done();
}
