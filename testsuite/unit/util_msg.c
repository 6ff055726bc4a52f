/* Unit tests: lib/util/msg's held lines (msg_hold, msg_flush): nothing
 * written while held, everything in order at the flush, a fatal line
 * never held (and what was held before it first), exit() writes what is
 * held; by default each line at once. stderr is a file, read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/msg.h"
#include "tap.h"

static char path[] = "/tmp/util_msg.XXXXXX";
static int saved_stderr;

/* stderr to the temporary file, emptied. */
static void capture(void)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || dup2(fileno(f), STDERR_FILENO) < 0) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static const char *captured(void)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static void test_default(void)
{
	capture();
	msg_info("one n=%d", 1);
	is_str(captured(), "util_msg: one n=1\n", "by default a line is written at once");
	msg_flush();
	is_str(captured(), "util_msg: one n=1\n", "a flush with nothing held writes nothing");
}

static void test_hold(void)
{
	capture();
	msg_hold(1);
	msg_info("spf: pass");
	msg_warn("odd x=%s", msg_q("a b"));
	is_str(captured(), "", "held: nothing written yet");
	msg_flush();
	is_str(captured(), "util_msg: spf: pass\nutil_msg: warning: odd x=\"a b\"\n",
	       "the flush writes them in order");
	msg_info("accept: passed");
	msg_info("message: sent");
	is_str(captured(), "util_msg: spf: pass\nutil_msg: warning: odd x=\"a b\"\n",
	       "held again after the flush");
	msg_hold(0);
	is_str(captured(), "util_msg: spf: pass\nutil_msg: warning: odd x=\"a b\"\n"
	       "util_msg: accept: passed\nutil_msg: message: sent\n", "msg_hold(0) flushes");
	msg_info("after");
	ok(strstr(captured(), "sent\nutil_msg: after\n") != NULL, "and lines go out at once again");
}

static void test_json(void)
{
	capture();
	msg_set_format(MSG_JSON);
	msg_hold(1);
	msg_info("held json k=v");
	is_str(captured(), "", "a JSON line is held too");
	msg_hold(0);
	ok(strstr(captured(), "\"msg\":\"held json\",\"k\":\"v\"}\n") != NULL,
	   "and written whole at the flush");
	msg_set_format(MSG_TEXT);
}

/* The context fields: after the text, once each; a field the line
 * carries itself is not added again, in text and in JSON; a change is
 * seen by the next line. */
static void test_fields(void)
{
	capture();
	msg_context("peer", "192.0.2.1:25");
	msg_context("client", "192.0.2.1");
	msg_info("plain n=1");
	is_str(captured(), "util_msg: plain n=1 peer=192.0.2.1:25 client=192.0.2.1\n",
	       "the fields after the text, in the order set");
	capture();
	msg_info("accept: x layer=1 client=%s", "198.51.100.7");
	is_str(captured(), "util_msg: accept: x layer=1 client=198.51.100.7 peer=192.0.2.1:25\n",
	       "a field the line carries is not added again");
	capture();
	msg_info("odd reply=%s", msg_q("5.7.1 client=x"));
	is_str(captured(),
	       "util_msg: odd reply=\"5.7.1 client=x\" peer=192.0.2.1:25 client=192.0.2.1\n",
	       "key=value inside a quoted value is not a field of the line");
	capture();
	msg_info("odd reply=%s n=1", msg_q("a \" client=x"));
	is_str(captured(),
	       "util_msg: odd reply=\"a \\\" client=x\" n=1 peer=192.0.2.1:25 client=192.0.2.1\n",
	       "nor behind an escaped quote inside it");
	capture();
	msg_info("helo=%s%c.", "abcdefghij\nFAKE line\r\tx\x01yz0123456789\x1f", 0);
	is_str(captured(),
	       "util_msg: helo=abcdefghij?FAKE line?\tx?yz0123456789??. peer=192.0.2.1:25 client=192.0.2.1\n",
	       "control bytes from outside (and a NUL) become ?, a tab stays: no forged line");
	capture();
	msg_context("client", "203.0.113.9");
	msg_context("peer", NULL);
	msg_warn("changed");
	is_str(captured(), "util_msg: warning: changed client=203.0.113.9\n",
	       "a changed and a removed field are seen by the next line");
	capture();
	msg_context("peer", "a b");
	msg_info("quoted");
	is_str(captured(), "util_msg: quoted peer=\"a b\" client=203.0.113.9\n",
	       "a field value is quoted as msg_q quotes (a freed slot is taken again)");
	capture();
	msg_set_format(MSG_JSON);
	msg_info("decide client=%s layer=2", "198.51.100.7");
	ok(strstr(captured(), "\"msg\":\"decide\",\"peer\":\"a b\",\"client\":\"198.51.100.7\","
		  "\"layer\":\"2\"}\n") != NULL && strstr(captured(), "203.0.113.9") == NULL,
	   "JSON: one client key, the line's");
	msg_set_format(MSG_TEXT);
	msg_context_reset();
	capture();
	msg_info("bare");
	is_str(captured(), "util_msg: bare\n", "no fields after a reset");
}

/* Two states, as two fibers have: fields and held lines apart. */
static void test_states(void)
{
	struct msg_state *a = msg_state_new(), *b = msg_state_new();

	capture();
	msg_context("proc", "own");
	ok(msg_state_use(a) == NULL, "the process's own state was current");
	msg_context("session", "A");
	msg_hold(1);
	msg_info("a1");
	ok(msg_state_use(b) == a, "a was current");
	msg_context("session", "B");
	msg_info("b1");
	is_str(captured(), "util_msg: b1 session=B\n",
	       "b holds nothing and has only its own field; a's line still held");
	msg_state_use(NULL);
	msg_info("own");
	is_str(captured(), "util_msg: b1 session=B\nutil_msg: own proc=own\n",
	       "the process's state: its own field, a's held line not written");
	msg_state_use(a);
	msg_info("a2");
	msg_state_use(NULL);
	msg_state_free(a);
	ok(strstr(captured(), "own proc=own\nutil_msg: a1 session=A\nutil_msg: a2 session=A\n") != NULL,
	   "freeing a writes what it held, with its fields");
	msg_state_free(b);
	msg_state_free(NULL);
	msg_context("proc", NULL);
}

/* In a child: what a fatal error and an exit() with lines held write. */
static void test_exits(void)
{
	int st;

	capture();
	fflush(stdout);
	if (fork() == 0) {
		msg_hold(1);
		msg_info("before the fatal");
		msg_fatal(3, "stop");
	}
	wait(&st);
	is_int(WEXITSTATUS(st), 3, "msg_fatal exits with its code");
	is_str(captured(), "util_msg: before the fatal\nutil_msg: fatal: stop\n",
	       "a fatal line is not held, and what was held comes first");
	capture();
	fflush(stdout);
	if (fork() == 0) {
		msg_hold(1);
		msg_info("held at exit");
		exit(0);
	}
	wait(&st);
	is_str(captured(), "util_msg: held at exit\n", "exit() writes what is held");
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	saved_stderr = dup(STDERR_FILENO);
	msg_setup("util_msg");
	test_default();
	test_hold();
	test_json();
	test_fields();
	test_states();
	test_exits();
	dup2(saved_stderr, STDERR_FILENO);
	unlink(path);
	return tap_done();
}
