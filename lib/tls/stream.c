/* The buffered stream: non-blocking descriptors polled against a
 * deadline, plain or through OpenSSL, and the switch to TLS. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "net/wait.h"
#include "tls/stream.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/msg.h"

#define STREAM_CHUNK 16384	/* bytes asked of the descriptor at once */

struct stream {
	int rfd, wfd;
	long long timeout_ms;
	size_t line_max;
	struct strbuf rbuf;	/* read ahead; unread bytes from rpos */
	size_t rpos;
	struct strbuf wbuf;
	SSL *ssl;
	bool dead;		/* a failed handshake: no more I/O */
	bool skipping;		/* inside an over-long line */
	bool rblock;		/* stream_block: plain reads block in the
				   kernel for up to rtimeo ms */
	bool wsend;		/* wfd blocks too (the same open socket):
				   writes are send(MSG_DONTWAIT), polled */
	long long rtimeo;
	int rflags;		/* rfd's file status flags, non-blocking */
	char err[256];
};

/* Returns the flags fd has now (-1 when unknown). */
static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && !!(fl & O_NONBLOCK) != on) {
		fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
		if (fcntl(fd, F_SETFL, fl) < 0)
			return -1;
	}
	return fl;
}

static struct stream *stream_alloc(int rfd, int wfd, long long timeout_ms, size_t line_max)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->rfd = rfd;
	s->wfd = wfd;
	s->timeout_ms = timeout_ms;
	s->line_max = line_max;
	strbuf_init(&s->rbuf, STREAM_CHUNK);
	strbuf_init(&s->wbuf, 0);
	return s;
}

struct stream *stream_new(int rfd, int wfd, long long timeout_ms, size_t line_max)
{
	struct stream *s = stream_alloc(rfd, wfd, timeout_ms, line_max);

	s->rflags = set_nonblock(rfd, true);
	if (wfd != rfd)
		set_nonblock(wfd, true);
	return s;
}

void stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->ssl) {
		if (!s->dead && SSL_is_init_finished(s->ssl))
			SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	strbuf_release(&s->rbuf);
	strbuf_release(&s->wbuf);
	free(s);
}

void stream_set_timeout(struct stream *s, long long timeout_ms)
{
	s->timeout_ms = timeout_ms;
}

static void set_err(struct stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

static int set_timeo(int fd, int opt, long long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* The descriptor polled again (TLS). */
static void unblock(struct stream *s)
{
	if (s->rblock)
		set_nonblock(s->rfd, true);
	s->rblock = s->wsend = false;
}

bool stream_block(struct stream *s)
{
	int fl;

	/* in a fiber every read is MSG_DONTWAIT and waits in the loop: a
	 * socket that blocks would be two system calls for nothing */
	if (s->ssl || s->rblock || s->rflags < 0 || wait_in_fiber())
		return s->rblock;
	/* 0 would be no timeout at all: any value will do, raw_read sets
	 * the one it needs */
	s->rtimeo = s->timeout_ms > 0 ? s->timeout_ms : 1;
	if (set_timeo(s->rfd, SO_RCVTIMEO, s->rtimeo) < 0)
		return false;	/* not a socket: polled */
	if (fcntl(s->rfd, F_SETFL, s->rflags & ~O_NONBLOCK) < 0)
		return false;
	s->rblock = true;
	/* writes stay non-blocking: on the same socket by MSG_DONTWAIT
	 * (inetd's stdout may be the same open socket as stdin, which now
	 * blocks too, or another file, still non-blocking) */
	fl = s->wfd == s->rfd ? 0 : fcntl(s->wfd, F_GETFL);
	s->wsend = fl >= 0 && !(fl & O_NONBLOCK);
	return true;
}

/* A socket accepted by a server is blocking already: no switch to
 * non-blocking and back, two system calls a connection fewer. rfd and
 * wfd apart (inetd) take the long way, which tells whether they share
 * the open socket. */
struct stream *stream_new_blocking(int rfd, int wfd, long long timeout_ms, size_t line_max)
{
	struct stream *s;
	int fl;

	if (wfd != rfd)
		goto slow;
	s = stream_alloc(rfd, wfd, timeout_ms, line_max);
	s->rtimeo = timeout_ms > 0 ? timeout_ms : 1;
	if (wait_in_fiber()) {
		/* reads and writes are MSG_DONTWAIT there (read_blocking):
		 * the socket may block or not, no system call to set it */
		s->rflags = O_RDWR | O_NONBLOCK;
		s->rblock = s->wsend = true;
		return s;
	}
	fl = fcntl(rfd, F_GETFL);
	if (fl < 0 || set_timeo(rfd, SO_RCVTIMEO, s->rtimeo) < 0 ||
	    ((fl & O_NONBLOCK) && fcntl(rfd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
		stream_free(s);
		goto slow;
	}
	s->rflags = fl | O_NONBLOCK;	/* what unblock sets again */
	s->rblock = s->wsend = true;
	return s;
slow:
	s = stream_new(rfd, wfd, timeout_ms, line_max);
	stream_block(s);
	return s;
}

bool stream_blocks(const struct stream *s)
{
	return s->rblock;
}

/* A read on the blocking socket, for up to the time left: SO_RCVTIMEO
 * is made the time left when it would wait past the deadline (by more
 * than a few milliseconds) or is under half of it. A shorter one is fine
 * otherwise: the read gives EAGAIN early and wait_ready polls the rest. So
 * the setsockopt is rare: not when a session alternates between two
 * timeouts (commands, data), nor on every wait. With no time left, it
 * takes what is there without waiting, as a non-blocking read would. */
static ssize_t read_blocking(struct stream *s, void *buf, size_t n, long long deadline)
{
	long long left = deadline - clock_ms();

	/* in a fiber the wait is the loop's, never the kernel's: a read
	 * that blocked would hold every session of the process */
	if (left <= 0 || wait_in_fiber())
		return recv(s->rfd, buf, n, MSG_DONTWAIT);
	if (s->rtimeo > left + 10 || s->rtimeo < left / 2) {
		if (set_timeo(s->rfd, SO_RCVTIMEO, left) < 0)
			return -1;
		s->rtimeo = left;
	}
	return read(s->rfd, buf, n);
}

const char *stream_error(const struct stream *s)
{
	return s->err;
}

/* Waits for fd to be ready for ev until deadline (in a fiber, the other
 * fibers run meanwhile). 1 ready, 0 timeout, -1 error. */
static int wait_ready(struct stream *s, int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - clock_ms();
		int n;

		if (left <= 0) {
			set_err(s, "timeout");
			return 0;
		}
		n = wait_fd(fd, ev, left > 1 << 30 ? 1 << 30 : (int)left, NULL);
		if (n > 0)
			return 1;
		if (n == 0) {
			set_err(s, "timeout");
			return 0;
		}
		if (errno != EINTR) {
			set_err(s, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* What an SSL call's failure means: the fd and event to wait for (1), or
 * an error recorded in s (-1), or the peer's close (0). */
static int ssl_want(struct stream *s, int ret, int *fd, short *ev)
{
	int e = SSL_get_error(s->ssl, ret);
	char text[200];

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*fd = s->rfd, *ev = POLLIN;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		*fd = s->wfd, *ev = POLLOUT;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == EINTR || errno == EAGAIN)
				return *fd = s->rfd, *ev = POLLIN, 1;
			set_err(s, "%s", errno ? strerror(errno) : "the peer closed the connection");
			ERR_clear_error();
			return -1;
		}
		/* fall through */
	default:
		tls_error_text(text, sizeof(text));
		set_err(s, "%s", text);
		return -1;
	}
}

/* Some bytes from the peer. >0, 0 at EOF, STREAM_ERR or STREAM_TIMEOUT. */
static long raw_read(struct stream *s, void *buf, size_t n, long long deadline)
{
	for (;;) {
		int fd = s->rfd, r;
		short ev = POLLIN;

		if (s->dead) {
			set_err(s, "the TLS handshake failed");
			return STREAM_ERR;
		}
		if (s->ssl) {
			ERR_clear_error();
			errno = 0;
			r = SSL_read(s->ssl, buf, n > 1 << 30 ? 1 << 30 : (int)n);
			if (r > 0)
				return r;
			r = ssl_want(s, r, &fd, &ev);
			if (r <= 0)
				return r < 0 ? STREAM_ERR : 0;
		} else {
			/* blocking: EAGAIN at the socket's timeout (then
			 * wait_ready finds the deadline past), EINTR on a signal */
			ssize_t got = s->rblock ? read_blocking(s, buf, n, deadline) :
				      read(s->rfd, buf, n);

			if (got >= 0)
				return (long)got;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				set_err(s, "%s", strerror(errno));
				return STREAM_ERR;
			}
		}
		r = wait_ready(s, fd, ev, deadline);
		if (r <= 0)
			return r == 0 ? STREAM_TIMEOUT : STREAM_ERR;
	}
}

/* Reads more into rbuf. >0, 0 EOF, or an error code. */
static long fill(struct stream *s, long long deadline)
{
	long n;

	if (s->rpos == s->rbuf.len) {
		strbuf_reset(&s->rbuf);
		s->rpos = 0;
	} else if (s->rpos > STREAM_CHUNK) {
		memmove(s->rbuf.buf, s->rbuf.buf + s->rpos, s->rbuf.len - s->rpos);
		strbuf_setlen(&s->rbuf, s->rbuf.len - s->rpos);
		s->rpos = 0;
	}
	strbuf_grow(&s->rbuf, STREAM_CHUNK);
	n = raw_read(s, s->rbuf.buf + s->rbuf.len, STREAM_CHUNK, deadline);
	if (n > 0)
		strbuf_setlen(&s->rbuf, s->rbuf.len + (size_t)n);
	return n;
}

static void strip_eol(struct strbuf *line)
{
	if (line->len && line->buf[line->len - 1] == '\n')
		strbuf_setlen(line, line->len - 1);
	if (line->len && line->buf[line->len - 1] == '\r')
		strbuf_setlen(line, line->len - 1);
}

int stream_getline(struct stream *s, struct strbuf *line)
{
	long long deadline = clock_ms() + s->timeout_ms;
	size_t cap = s->line_max + 2;	/* the line and its CRLF */

	strbuf_reset(line);
	for (;;) {
		const char *start = s->rbuf.buf + s->rpos;
		size_t avail = s->rbuf.len - s->rpos;
		const char *nl = avail ? memchr(start, '\n', avail) : NULL;
		long n;

		if (nl && !s->skipping) {
			size_t take = (size_t)(nl - start) + 1;

			s->rpos += take;
			if (take <= cap) {
				strbuf_add(line, start, take);
				strip_eol(line);
				return STREAM_OK;
			}
			strbuf_add(line, start, s->line_max);
			return STREAM_TOOLONG;
		}
		if (nl) {
			/* The end of an over-long line seen earlier. */
			s->rpos += (size_t)(nl - start) + 1;
			s->skipping = false;
			return STREAM_TOOLONG;
		}
		if (avail > cap || s->skipping) {
			/* Keep the head for the caller, drop the rest as it comes. */
			if (!s->skipping && line->len == 0)
				strbuf_add(line, start, s->line_max);
			s->skipping = true;
			s->rpos = s->rbuf.len;
		}
		n = fill(s, deadline);
		if (n == 0) {
			strbuf_add(line, s->rbuf.buf + s->rpos, s->rbuf.len - s->rpos);
			s->rpos = s->rbuf.len;
			return STREAM_EOF;
		}
		if (n < 0)
			return (int)n;
	}
}

int stream_read(struct stream *s, void *buf, size_t n)
{
	long long deadline = clock_ms() + s->timeout_ms;
	size_t got = 0;

	while (got < n) {
		size_t avail = s->rbuf.len - s->rpos, take;
		long r;

		if (avail) {
			take = avail < n - got ? avail : n - got;
			memcpy((char *)buf + got, s->rbuf.buf + s->rpos, take);
			s->rpos += take;
			got += take;
			continue;
		}
		r = raw_read(s, (char *)buf + got, n - got, deadline);
		if (r <= 0)
			return r == 0 ? STREAM_EOF : (int)r;
		got += (size_t)r;
	}
	return STREAM_OK;
}

int stream_read_some(struct stream *s, void *buf, size_t max, size_t *got)
{
	size_t avail = s->rbuf.len - s->rpos;
	long r;

	*got = 0;
	if (max == 0)
		return STREAM_OK;
	if (avail) {
		/* what TLS holds decrypted comes with the next call */
		*got = avail < max ? avail : max;
		memcpy(buf, s->rbuf.buf + s->rpos, *got);
		s->rpos += *got;
		return STREAM_OK;
	}
	r = raw_read(s, buf, max, clock_ms() + s->timeout_ms);
	if (r <= 0)
		return r == 0 ? STREAM_EOF : (int)r;
	*got = (size_t)r;
	return STREAM_OK;
}

size_t stream_buffered(const struct stream *s)
{
	size_t n = s->rbuf.len - s->rpos;

	if (s->ssl && !s->dead)
		n += (size_t)SSL_pending(s->ssl);
	return n;
}

int stream_rfd(const struct stream *s)
{
	return s->rfd;
}

void stream_write(struct stream *s, const void *data, size_t n)
{
	strbuf_add(&s->wbuf, data, n);
}

void stream_puts(struct stream *s, const char *str)
{
	strbuf_addstr(&s->wbuf, str);
}

void stream_printf(struct stream *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&s->wbuf, fmt, ap);
	va_end(ap);
}

/* Writes some of data; >0 written, or STREAM_ERR / STREAM_TIMEOUT. */
static long raw_write(struct stream *s, const char *data, size_t n, long long deadline)
{
	for (;;) {
		int fd = s->wfd, r;
		short ev = POLLOUT;

		if (s->ssl) {
			ERR_clear_error();
			errno = 0;
			r = SSL_write(s->ssl, data, n > 1 << 30 ? 1 << 30 : (int)n);
			if (r > 0)
				return r;
			r = ssl_want(s, r, &fd, &ev);
			if (r <= 0) {
				if (r == 0)
					set_err(s, "the peer closed the connection");
				return STREAM_ERR;
			}
		} else {
			ssize_t put = s->wsend ? send(s->wfd, data, n, MSG_DONTWAIT) :
				      write(s->wfd, data, n);

			if (put > 0)
				return (long)put;
			if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				set_err(s, "%s", strerror(errno));
				return STREAM_ERR;
			}
		}
		r = wait_ready(s, fd, ev, deadline);
		if (r <= 0)
			return r == 0 ? STREAM_TIMEOUT : STREAM_ERR;
	}
}

int stream_flush(struct stream *s)
{
	long long deadline = clock_ms() + s->timeout_ms;
	size_t off = 0;

	if (s->dead) {
		set_err(s, "the TLS handshake failed");
		return STREAM_ERR;
	}
	while (off < s->wbuf.len) {
		long n = raw_write(s, s->wbuf.buf + off, s->wbuf.len - off, deadline);

		if (n < 0) {
			strbuf_reset(&s->wbuf);
			return (int)n;
		}
		off += (size_t)n;
	}
	strbuf_reset(&s->wbuf);
	return STREAM_OK;
}

/* Drops the plaintext read ahead; returns how many bytes that was. */
static size_t discard(struct stream *s)
{
	size_t n = s->rbuf.len - s->rpos;

	strbuf_reset(&s->rbuf);
	s->rpos = 0;
	s->skipping = false;
	return n;
}

/* Adds the chain verification error to a bare "certificate verify
 * failed", the only thing OpenSSL's error queue says about it. */
static void handshake_error(struct stream *s)
{
	long v = SSL_get_verify_result(s->ssl);

	if (v != X509_V_OK && strstr(s->err, "certificate verify failed")) {
		size_t len = strlen(s->err);

		snprintf(s->err + len, sizeof(s->err) - len, ": %s",
			 X509_verify_cert_error_string(v));
	}
}

static int handshake(struct stream *s, long long deadline)
{
	for (;;) {
		int fd = s->rfd, r;
		short ev = POLLIN;

		ERR_clear_error();
		errno = 0;
		r = SSL_do_handshake(s->ssl);
		if (r == 1)
			return 0;
		r = ssl_want(s, r, &fd, &ev);
		if (r == 0)
			set_err(s, "the peer closed the connection during the handshake");
		if (r <= 0) {
			handshake_error(s);
			return -1;
		}
		if (wait_ready(s, fd, ev, deadline) <= 0)
			return -1;
	}
}

static int starttls(struct stream *s, struct tls_ctx *ctx, const char *host,
		    struct tls_report *r)
{
	long long deadline;
	int rc;

	if (s->ssl) {
		set_err(s, "TLS is already on");
		return -1;
	}
	r->discarded = discard(s);
	if (s->wbuf.len && stream_flush(s) != STREAM_OK)
		return -1;
	unblock(s);	/* TLS waits in poll, with OpenSSL's retries */
	s->ssl = tls_ssl_new(ctx, s->rfd, s->wfd, host, r);
	if (s->ssl == NULL) {
		set_err(s, "cannot make a TLS connection: out of memory");
		return -1;
	}
	deadline = clock_ms() + s->timeout_ms;
	s->err[0] = 0;
	rc = handshake(s, deadline);
	tls_ssl_done(s->ssl, rc == 0, s->err);
	if (rc < 0) {
		s->dead = true;
		return -1;
	}
	if (!tls_ctx_is_server(ctx) &&
	    tls_ssl_ccert_wait(s->ssl, (int)(deadline - clock_ms())) < 0) {
		set_err(s, "the server refused our certificate: %s",
			r->ccert_error ? r->ccert_error : "");
		s->dead = true;
		return -1;
	}
	return 0;
}

int stream_starttls_client(struct stream *s, struct tls_ctx *ctx, const char *peer_host,
			   struct tls_report *r)
{
	return starttls(s, ctx, peer_host, r);
}

int stream_starttls_server(struct stream *s, struct tls_ctx *ctx, struct tls_report *r)
{
	int rc = starttls(s, ctx, NULL, r);

	if (r->discarded)
		msg_warn("discarded %zu bytes the client sent before the TLS handshake "
			 "(pipelined past STARTTLS)", r->discarded);
	return rc;
}

bool stream_is_tls(const struct stream *s)
{
	return s->ssl != NULL && !s->dead;
}

SSL *stream_ssl(const struct stream *s)
{
	return s->ssl;
}
