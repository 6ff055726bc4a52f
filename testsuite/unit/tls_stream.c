/* Unit tests: lib/tls/stream (lines, caps, timeouts, exact reads) over a
 * socketpair, and STARTTLS between our own server and client contexts
 * (lib/tls/tls) in two processes: the discard of pipelined plaintext, the
 * reports on both sides, mutual TLS required, SIGHUP-style reload. The
 * TLS cases need the fixture PKI ($POSTERN_PKI). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tls/stream.h"
#include "tls/tls.h"
#include "util/mem.h"
#include "util/msg.h"
#include "tap.h"

static const char *pki;

static char *pki_path(const char *name)
{
	return xasprintf("%s/%s", pki, name);
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
}

static void test_lines(void)
{
	struct strbuf line = STRBUF_INIT;
	struct stream *s;
	char buf[16];
	int sv[2];

	pair(sv);
	s = stream_new(sv[0], sv[0], 200, 10);
	dprintf(sv[1], "one\r\ntwo\nthree-is-too-long\r\nfour\r\nabcdefgh");
	is_int(stream_getline(s, &line), STREAM_OK, "CRLF line");
	is_str(line.buf, "one", "its text, without CRLF");
	is_int(stream_getline(s, &line), STREAM_OK, "LF line");
	is_str(line.buf, "two", "its text");
	is_int(stream_getline(s, &line), STREAM_TOOLONG, "a line over the cap");
	is_str(line.buf, "three-is-t", "its first 10 bytes are kept");
	is_int(stream_getline(s, &line), STREAM_OK, "the next line is whole");
	is_str(line.buf, "four", "and right");
	is_int(stream_read(s, buf, 4), STREAM_OK, "exact read from the buffer");
	ok(memcmp(buf, "abcd", 4) == 0, "the bytes");
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "no end of line: timeout");
	dprintf(sv[1], "ij\r\n");
	is_int(stream_getline(s, &line), STREAM_OK, "the partial line was kept");
	is_str(line.buf, "efghij", "and completed");
	stream_puts(s, "QUIT");
	stream_printf(s, " %d\r\n", 42);
	is_int(stream_flush(s), STREAM_OK, "flush");
	ok(read(sv[1], buf, sizeof(buf)) == 9 && memcmp(buf, "QUIT 42\r\n", 9) == 0,
	   "written in one piece");
	dprintf(sv[1], "x");
	close(sv[1]);
	is_int(stream_getline(s, &line), STREAM_EOF, "EOF");
	is_str(line.buf, "x", "with the unterminated rest");
	stream_free(s);
	close(sv[0]);
	/* A line far longer than the buffer, arriving in pieces. */
	pair(sv);
	s = stream_new(sv[0], sv[0], 500, 100);
	if (fork() == 0) {
		for (int i = 0; i < 2000; i++)
			dprintf(sv[1], "0123456789abcdefghij0123456789abcdefghij");
		dprintf(sv[1], "\r\nafter\r\n");
		_exit(0);
	}
	is_int(stream_getline(s, &line), STREAM_TOOLONG, "an 80 KB line is refused");
	is_int(line.len, 100, "its head kept");
	is_int(stream_getline(s, &line), STREAM_OK, "the line after it");
	is_str(line.buf, "after", "is read whole");
	wait(NULL);
	stream_free(s);
	close(sv[0]);
	close(sv[1]);
	strbuf_release(&line);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A child that writes text to fd after ms milliseconds. */
static void later(int fd, int ms, const char *text)
{
	if (fork() == 0) {
		usleep((useconds_t)ms * 1000);
		dprintf(fd, "%s", text);
		_exit(0);
	}
}

/* stream_block: reads wait in the kernel, timeouts as before. */
static void test_block(void)
{
	struct strbuf line = STRBUF_INIT;
	struct stream *s;
	long long t0, took;
	char buf[16];
	int sv[2], pp[2];

	pair(sv);
	s = stream_new(sv[0], sv[0], 300, 100);
	ok(!stream_blocks(s), "a new stream does not block");
	ok(stream_block(s), "a socket can block");
	ok(stream_blocks(s), "and says so");
	ok(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK), "the socket is blocking");
	later(sv[1], 50, "one\r\n");
	is_int(stream_getline(s, &line), STREAM_OK, "a line that comes later");
	is_str(line.buf, "one", "its text");
	wait(NULL);
	t0 = ms_now();
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "nothing comes: timeout");
	took = ms_now() - t0;
	/* upper bounds loose: a loaded machine (ASan, benchmarks) is slow */
	ok(took >= 290 && took < 1400, "after the 300 ms timeout (%lld ms)", took);
	is_str(stream_error(s), "timeout", "the error says timeout");
	dprintf(sv[1], "par");
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "a partial line: timeout");
	dprintf(sv[1], "tial\r\n");
	is_int(stream_getline(s, &line), STREAM_OK, "the partial line was kept");
	is_str(line.buf, "partial", "and completed");
	/* a longer timeout than the socket's: not cut short */
	stream_set_timeout(s, 1500);
	later(sv[1], 700, "slow\r\n");
	t0 = ms_now();
	is_int(stream_getline(s, &line), STREAM_OK, "a longer timeout is waited whole");
	ok(ms_now() - t0 >= 650, "the line came after 700 ms");
	wait(NULL);
	/* commands and data alternate: a shorter one again */
	stream_set_timeout(s, 100);
	t0 = ms_now();
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "a shorter timeout");
	took = ms_now() - t0;
	ok(took >= 90 && took < 1000, "after 100 ms, not the 1500 before (%lld ms)", took);
	stream_set_timeout(s, 300);
	t0 = ms_now();
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "back to 300 ms");
	took = ms_now() - t0;
	ok(took >= 290 && took < 1400, "after 300 ms (%lld ms)", took);
	/* no time at all: what is there, without waiting */
	stream_set_timeout(s, 0);
	dprintf(sv[1], "now\r\n");
	is_int(stream_getline(s, &line), STREAM_OK, "timeout 0: a line already there is read");
	is_str(line.buf, "now", "its text");
	t0 = ms_now();
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "timeout 0, nothing there: timeout");
	ok(ms_now() - t0 < 250, "at once");
	stream_set_timeout(s, 300);
	stream_puts(s, "QUIT\r\n");
	is_int(stream_flush(s), STREAM_OK, "a flush on the blocking socket (MSG_DONTWAIT)");
	ok(read(sv[1], buf, sizeof(buf)) == 6 && memcmp(buf, "QUIT\r\n", 6) == 0, "written");
	/* a peer that reads nothing: the write times out */
	stream_set_timeout(s, 200);
	{
		int rc = STREAM_OK;

		t0 = ms_now();
		for (int i = 0; i < 200 && rc == STREAM_OK; i++) {
			for (int j = 0; j < 64; j++)
				stream_write(s, "0123456789abcdefghij0123456789abcdefghij"
					     "0123456789abcdefghij", 60);
			rc = stream_flush(s);
		}
		is_int(rc, STREAM_TIMEOUT, "a full socket: the flush times out");
	}
	stream_free(s);
	close(sv[0]);
	close(sv[1]);
	/* stream_new_blocking: the same in one, a non-blocking socket made
	 * blocking; apart descriptors (not a socket here) polled */
	pair(sv);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	s = stream_new_blocking(sv[0], sv[0], 200, 100);
	ok(stream_blocks(s), "stream_new_blocking: reads block");
	ok(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK), "the socket was made blocking");
	later(sv[1], 50, "late\r\n");
	is_int(stream_getline(s, &line), STREAM_OK, "a line that comes later");
	wait(NULL);
	t0 = ms_now();
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "its timeout");
	took = ms_now() - t0;
	ok(took >= 190 && took < 1300, "after 200 ms (%lld ms)", took);
	stream_puts(s, "250 ok\r\n");
	is_int(stream_flush(s), STREAM_OK, "a flush");
	ok(read(sv[1], buf, sizeof(buf)) == 8 && memcmp(buf, "250 ok\r\n", 8) == 0, "written");
	stream_free(s);
	close(sv[0]);
	close(sv[1]);
	if (pipe(pp) < 0) {
		perror("pipe");
		exit(1);
	}
	s = stream_new_blocking(pp[0], pp[1], 100, 100);
	ok(!stream_blocks(s), "stream_new_blocking on a pipe: polled");
	ok(fcntl(pp[0], F_GETFL) & O_NONBLOCK, "non-blocking");
	stream_free(s);
	close(pp[0]);
	close(pp[1]);
	/* not a socket: polled as before */
	if (pipe(pp) < 0) {
		perror("pipe");
		exit(1);
	}
	s = stream_new(pp[0], pp[1], 100, 100);
	ok(!stream_block(s), "a pipe cannot block");
	ok(fcntl(pp[0], F_GETFL) & O_NONBLOCK, "and stays non-blocking");
	is_int(stream_getline(s, &line), STREAM_TIMEOUT, "its timeout");
	stream_free(s);
	close(pp[0]);
	close(pp[1]);
	strbuf_release(&line);
}

static struct tls_ctx *server_ctx(const char *cert, enum tls_mutual mutual)
{
	struct tls_policy p;
	struct tls_ctx *c;

	tls_policy_init(&p);
	p.cert_file = pki_path(cert);
	p.key_file = NULL;
	p.ca_file = pki_path("ca.pem");
	p.mutual = mutual;
	c = tls_server_new(&p);
	tls_policy_clear(&p);
	return c;
}

static struct tls_ctx *client_ctx(const char *cert)
{
	struct tls_policy p;
	struct tls_ctx *c;

	tls_policy_init(&p);
	p.ca_file = pki_path("ca.pem");
	p.verify = false;
	tls_strings_add(&p.names, "mail.example.test");
	if (cert)
		p.cert_file = pki_path(cert);
	c = tls_client_new(&p);
	tls_policy_clear(&p);
	return c;
}

/* The client side, in a child: STARTTLS, then one line each way; what
 * it saw goes to out as "key=value" lines. */
static void client_side(int fd, FILE *out, const char *cert, bool pipeline)
{
	struct tls_ctx *c = client_ctx(cert);
	struct stream *s = stream_new(fd, fd, 3000, 512);
	struct strbuf line = STRBUF_INIT;
	struct tls_report r;

	tls_report_init(&r);
	stream_puts(s, pipeline ? "STARTTLS\r\nRSET\r\n" : "STARTTLS\r\n");
	stream_flush(s);
	stream_getline(s, &line);
	fprintf(out, "plain=%s\n", line.buf);
	if (stream_starttls_client(s, c, "mail.example.test", &r) < 0) {
		fprintf(out, "starttls=failed\nerror=%s\nccert=%d\n", stream_error(s),
			r.ccert_accepted);
	} else {
		fprintf(out, "starttls=ok\nverdict=%s\nversion=%s\nmatched=%s\nccert=%d\n",
			tls_verdict_name(r.verdict), r.version, r.name_how, r.ccert_accepted);
		fprintf(out, "discarded=%zu\n", r.discarded);
		stream_puts(s, "hello over tls\r\n");
		stream_flush(s);
		if (stream_getline(s, &line) == STREAM_OK)
			fprintf(out, "got=%s\n", line.buf);
	}
	fflush(out);
	tls_report_clear(&r);
	stream_free(s);
	tls_ctx_free(c);
	strbuf_release(&line);
}

/* Runs the client in a child and the server here. Returns what the
 * client saw; *srv is the server's report. */
static char *handshake(struct tls_ctx *sc, const char *ccert, bool pipeline,
		       struct tls_report *srv, int *srv_rc, char *srv_line, size_t srv_len)
{
	struct strbuf line = STRBUF_INIT, seen = STRBUF_INIT;
	struct stream *s;
	int sv[2], pp[2];
	pid_t pid;

	pair(sv);
	if (pipe(pp) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		FILE *out = fdopen(pp[1], "w");

		close(sv[0]);
		client_side(sv[1], out, ccert, pipeline);
		_exit(0);
	}
	close(sv[1]);
	close(pp[1]);
	s = stream_new(sv[0], sv[0], 3000, 512);
	tls_report_init(srv);
	stream_getline(s, &line);
	stream_puts(s, "220 go ahead\r\n");
	stream_flush(s);
	*srv_rc = stream_starttls_server(s, sc, srv);
	srv_line[0] = 0;
	if (*srv_rc == 0 && stream_getline(s, &line) == STREAM_OK) {
		snprintf(srv_line, srv_len, "%s", line.buf);
		stream_puts(s, "250 hello\r\n");
		stream_flush(s);
	}
	strbuf_read_fd(&seen, pp[0], 65536);
	waitpid(pid, NULL, 0);
	stream_free(s);
	close(sv[0]);
	close(pp[0]);
	strbuf_release(&line);
	return strbuf_detach(&seen, NULL);
}

static bool has(const char *text, const char *line)
{
	char *want = xasprintf("%s\n", line);
	bool yes = strstr(text, want) != NULL;

	if (!yes)
		printf("#   no line '%s' in:\n#   %s\n", line, text);
	free(want);
	return yes;
}

static void test_starttls(void)
{
	struct tls_ctx *sc = server_ctx("server-full.pem", TLS_MUTUAL_OFF);
	struct tls_report r;
	char sline[256];
	int rc;
	char *seen;

	ok(sc != NULL, "server context from server-full.pem");
	seen = handshake(sc, NULL, true, &r, &rc, sline, sizeof(sline));
	is_int(rc, 0, "server handshake");
	is_int(r.discarded, 6, "the pipelined RSET (6 bytes) was discarded, not read");
	is_str(sline, "hello over tls", "the server reads the first line sent over TLS");
	is_str(tls_verdict_name(r.verdict), "Anonymous", "server side: the client sent no certificate");
	ok(has(seen, "plain=220 go ahead"), "client read the 220");
	ok(has(seen, "starttls=ok"), "client handshake");
	ok(has(seen, "verdict=Verified"), "client: Verified");
	ok(has(seen, "version=TLSv1.3"), "TLS 1.3");
	ok(has(seen, "matched=DNS:mail.example.test"), "the name matched");
	ok(has(seen, "discarded=0"), "the client had nothing to discard");
	ok(has(seen, "got=250 hello"), "an answer over TLS");
	free(seen);
	tls_report_clear(&r);
	tls_ctx_free(sc);
}

static void test_mutual(void)
{
	struct tls_ctx *sc = server_ctx("server-full.pem", TLS_MUTUAL_REQUIRED);
	struct tls_report r;
	char sline[256];
	char *seen;
	int rc;

	seen = handshake(sc, "client-full.pem", false, &r, &rc, sline, sizeof(sline));
	is_int(rc, 0, "mutual required: a client with a certificate gets in");
	is_str(tls_verdict_name(r.verdict), "Verified", "server side: the client chain verifies");
	ok(r.nchain >= 1 && strcmp(r.chain[0].subject, "CN=client.example.test") == 0,
	   "server side: the client's subject");
	ok(has(seen, "ccert=2"), "client: its certificate was accepted");
	free(seen);
	tls_report_clear(&r);

	seen = handshake(sc, NULL, false, &r, &rc, sline, sizeof(sline));
	is_int(rc, -1, "mutual required: without a certificate the server refuses");
	ok(r.error && strstr(r.error, "certificate"), "server side says why: %s", r.error ? r.error : "");
	ok(has(seen, "ccert=1"), "client: refused (TLS 1.3 alert seen)");
	free(seen);
	tls_report_clear(&r);
	tls_ctx_free(sc);
}

static void test_reload(void)
{
	char dir[] = "/tmp/tls_stream.XXXXXX";
	char *file, *cmd;
	struct tls_ctx *sc;
	struct tls_report r;
	char sline[256];
	char *seen;
	int rc;

	if (mkdtemp(dir) == NULL)
		return;
	file = xasprintf("%s/cert.pem", dir);
	cmd = xasprintf("cp %s/server-full.pem %s", pki, file);
	ok(system(cmd) == 0, "copy the server certificate");
	free(cmd);
	sc = tls_server_new(&(struct tls_policy){ .cert_file = file, .min_version = TLS1_2_VERSION });
	ok(sc != NULL, "server context from a copy");
	cmd = xasprintf("cp %s/partner-full.pem %s", pki, file);
	ok(system(cmd) == 0, "replace it with partner-full.pem");
	free(cmd);
	is_int(tls_ctx_reload(sc), 0, "reload");
	seen = handshake(sc, NULL, false, &r, &rc, sline, sizeof(sline));
	ok(has(seen, "verdict=Trusted"), "new handshakes get the new certificate (another name)");
	free(seen);
	tls_report_clear(&r);
	cmd = xasprintf("echo garbage >%s", file);
	ok(system(cmd) == 0, "break the file");
	free(cmd);
	is_int(tls_ctx_reload(sc), -1, "reload of a broken file fails");
	seen = handshake(sc, NULL, false, &r, &rc, sline, sizeof(sline));
	ok(has(seen, "starttls=ok"), "the old certificate stays in force");
	free(seen);
	tls_report_clear(&r);
	tls_ctx_free(sc);
	unlink(file);
	rmdir(dir);
	free(file);
}

int main(void)
{
	msg_setup("tls_stream");
	signal(SIGPIPE, SIG_IGN);
	test_lines();
	test_block();
	pki = getenv("POSTERN_PKI");
	if (pki == NULL || access(pki, R_OK) < 0) {
		ok(0, "POSTERN_PKI names the fixture PKI (run through run-tests.sh)");
		return tap_done();
	}
	test_starttls();
	test_mutual();
	test_reload();
	return tap_done();
}
