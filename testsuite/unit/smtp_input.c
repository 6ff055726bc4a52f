/* Unit tests: the SMTP server's input (lib/smtp/input.c) over a socket
 * pair, and stream_read_some under it: a fill returns what the peer sent
 * without waiting for more, lines keep how they ended, data bytes stay
 * for the caller, timeouts and EOF are told apart. */
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smtp/input.h"
#include "tap.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
}

int main(void)
{
	int sv[2];
	struct stream *s;
	struct smtp_input *in;
	struct strbuf line = STRBUF_INIT;
	bool crlf;
	const char *p;
	size_t n, got;
	long long t0;
	char buf[64];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 2;
	s = stream_new(sv[0], sv[0], 3000, 1000);
	in = smtp_input_new(s, 100);

	say(sv[1], "EHLO a.test\r\nNOOP\nDA");
	ok(smtp_input_getline(in, &line, &crlf) == STREAM_OK && strcmp(line.buf, "EHLO a.test") == 0 &&
	   crlf, "a CRLF line");
	ok(smtp_input_getline(in, &line, &crlf) == STREAM_OK && strcmp(line.buf, "NOOP") == 0 &&
	   !crlf, "a bare-LF line says so");
	p = smtp_input_peek(in, &n);
	ok(n == 2 && memcmp(p, "DA", 2) == 0, "the rest stays buffered, nothing waited for");

	stream_set_timeout(s, 400);
	t0 = now_ms();
	ok(smtp_input_fill(in) == STREAM_TIMEOUT && now_ms() - t0 >= 350,
	   "a fill with nothing sent waits for the timeout");
	p = smtp_input_peek(in, &n);
	ok(n == 2, "a timeout loses nothing buffered");
	stream_set_timeout(s, 3000);

	say(sv[1], "TA\r\n");
	t0 = now_ms();
	ok(smtp_input_fill(in) == STREAM_OK && now_ms() - t0 < 1000,
	   "a fill returns as soon as some bytes come");
	ok(smtp_input_getline(in, &line, &crlf) == STREAM_OK && strcmp(line.buf, "DATA") == 0,
	   "a line split between reads is joined");

	say(sv[1], "abc\r\n.\r\nQUIT\r\n");
	ok(smtp_input_fill(in) == STREAM_OK, "data arrives");
	p = smtp_input_peek(in, &n);
	ok(n == 14 && memcmp(p, "abc\r\n.\r\nQUIT\r\n", 14) == 0, "peek shows every byte sent");
	smtp_input_consume(in, 8);
	ok(smtp_input_pending(in) == 6, "consume leaves the pipelined command");
	ok(smtp_input_getline(in, &line, &crlf) == STREAM_OK && strcmp(line.buf, "QUIT") == 0,
	   "the command after the data is read as a line");

	/* stream_read_some straight: buffered bytes first, never more than max */
	say(sv[1], "0123456789");
	ok(stream_read_some(s, buf, 4, &got) == STREAM_OK && got >= 1 && got <= 4,
	   "read_some: at most max");
	{
		size_t total = got, k;

		while (total < 10 && stream_read_some(s, buf + total, sizeof(buf) - total, &k) ==
		       STREAM_OK)
			total += k;
		ok(total == 10 && memcmp(buf, "0123456789", 10) == 0,
		   "read_some: every byte once, in order");
	}
	ok(stream_read_some(s, buf, 0, &got) == STREAM_OK && got == 0, "read_some: max 0");

	{
		char longline[300];

		memset(longline, 'x', sizeof(longline));
		longline[298] = '\r';
		longline[299] = '\n';
		if (write(sv[1], longline, sizeof(longline)) != sizeof(longline))
			abort();
		say(sv[1], "RSET\r\n");
		ok(smtp_input_getline(in, &line, &crlf) == STREAM_TOOLONG, "an over-long line");
		ok(smtp_input_getline(in, &line, &crlf) == STREAM_OK && strcmp(line.buf, "RSET") == 0,
		   "the next line is read whole after it");
	}

	say(sv[1], "par");
	shutdown(sv[1], SHUT_WR);
	ok(smtp_input_fill(in) == STREAM_OK, "the last bytes before EOF");
	ok(smtp_input_fill(in) == STREAM_EOF, "then EOF");
	p = smtp_input_peek(in, &n);
	ok(n == 3 && memcmp(p, "par", 3) == 0, "the bytes before EOF stay for the caller");
	ok(smtp_input_discard(in) == 3 && smtp_input_pending(in) == 0, "discard drops them");

	strbuf_release(&line);
	smtp_input_free(in);
	stream_free(s);
	close(sv[0]);
	close(sv[1]);
	return tap_done();
}
