/* The pass-through to a plain-HTTP backend (the usual case: Z-Push, SOGo
 * or grommunio on the same host or LAN) over one kept-alive connection
 * per session process, instead of a libcurl handle and a new TCP
 * connection per request: the request goes out with the device's
 * headers, its body streamed (or re-sent from memory), and the answer
 * comes back streamed, whatever its framing (length, chunked, close).
 * https backends go through lib/http's client (front.c). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"
#include "eas-policy.h"

#define HEAD_MAX (64 * 1024)
#define PIECE 16384
#define SMALL_ANSWER 65536

static struct {
	int fd;
	time_t used;		/* when the kept connection last answered */
	char host[256];
	char port[8];
	char hostport[300];
	char prefix[512];
	bool parsed;
} be = { .fd = -1 };

/* http://HOST[:PORT][/PREFIX]; 0, or -1 for anything else. */
int backend_plain_url(const char *url)
{
	const char *h, *end, *colon, *slash;

	if (be.parsed)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	slash = strchr(h, '/');
	end = slash ? slash : h + strlen(h);
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb)
			return -1;
		snprintf(be.host, sizeof(be.host), "%.*s", (int)(rb - h - 1), h + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		snprintf(be.host, sizeof(be.host), "%.*s", (int)((colon ? colon : end) - h), h);
	}
	snprintf(be.port, sizeof(be.port), "%.*s", colon ? (int)(end - colon - 1) : 2,
		 colon ? colon + 1 : "80");
	snprintf(be.hostport, sizeof(be.hostport), "%.*s", (int)(end - h), h);
	snprintf(be.prefix, sizeof(be.prefix), "%s", slash ? slash : "");
	if (be.prefix[0] && be.prefix[strlen(be.prefix) - 1] == '/')
		be.prefix[strlen(be.prefix) - 1] = 0;
	be.parsed = true;
	return be.host[0] ? 0 : -1;
}

static int wait_fd(int fd, short ev, long long ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n;

	do
		n = poll(&p, 1, ms > 0 ? (int)(ms > 0x7fffffff ? 0x7fffffff : ms) : -1);
	while (n < 0 && errno == EINTR);
	return n;
}

static int connect_backend(const struct eas *e, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc, fd = -1;

	if ((rc = getaddrinfo(be.host, be.port, &hints, &res)) != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", be.host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, err = 0;
		socklen_t len = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, e->backend_connect_ms) > 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			/* Blocking from now on, bounded by the socket timeouts:
			 * one recv per read instead of recv, poll, recv. */
			if (e->backend_timeout_ms > 0) {
				struct timeval tv = { e->backend_timeout_ms / 1000,
						      (e->backend_timeout_ms % 1000) * 1000 };

				setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			}
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			break;
		}
		snprintf(why, whylen, "cannot connect to %s: %s", be.hostport,
			 strerror(err ? err : errno ? errno : ETIMEDOUT));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* A kept connection the backend closed in between reads as readable
 * (EOF): drop it rather than send a request into it. */
static bool still_open(int fd)
{
	char c;

	if (wait_fd(fd, POLLIN, 1) == 0)
		return true;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static int send_all(int fd, const void *data, size_t len, long long ms)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(fd, POLLOUT, ms) <= 0)
				return -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct rd {
	int fd;
	char *buf;
	size_t cap, off, len;
};

/* More bytes into the buffer; 1, 0 at EOF, -1 on error or timeout. */
static int fill(struct rd *r)
{
	ssize_t n;

	if (r->off == r->len)
		r->off = r->len = 0;
	if (r->len == r->cap)
		return -1;
	for (;;) {
		n = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
		if (n > 0) {
			r->len += (size_t)n;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		return -1;	/* EAGAIN: SO_RCVTIMEO ran out */
	}
}

/* One line without its CRLF into sb (at most max). 0, or -1. */
static int getline_be(struct rd *r, struct strbuf *sb, size_t max)
{
	strbuf_reset(sb);
	for (;;) {
		char *nl = memchr(r->buf + r->off, '\n', r->len - r->off);
		size_t take = nl ? (size_t)(nl - (r->buf + r->off)) + 1 : r->len - r->off;

		strbuf_add(sb, r->buf + r->off, take);
		r->off += take;
		if (sb->len > max)
			return -1;
		if (nl)
			break;
		if (fill(r) <= 0)
			return -1;
	}
	strbuf_setlen(sb, sb->len - 1);
	if (sb->len && sb->buf[sb->len - 1] == '\r')
		strbuf_setlen(sb, sb->len - 1);
	return 0;
}

struct answer {
	int status;
	long long length;	/* -1: none given */
	bool chunked, close;
};

/* The status line "HTTP/1.x NNN ...": the status and whether HTTP/1.0
 * closes; 0, or -1 when it is none. */
static int status_line(const char *p, size_t len, struct answer *a)
{
	if (len < 12 || strncmp(p, "HTTP/1.", 7) != 0)
		return -1;
	a->status = atoi(p + 9);
	a->close = p[7] == '0';
	return a->status < 100 || a->status > 599 ? -1 : 0;
}

/* Does v hold word (lowercase) in any letter case, anywhere? As
 * strcasestr, without its setup for a needle of a few bytes. */
static bool has_nocase(const char *v, const char *word)
{
	size_t n = strlen(word);

	for (; *v; v++)
		if ((*v | 0x20) == word[0] && strncasecmp(v, word, n) == 0)
			return true;
	return false;
}

/* One header field of the answer, name[0..nl) and its value v (NUL-ended):
 * the framing noted in a; true when it is passed on to the device (not
 * hop-by-hop, not Date, no CR in it). */
static bool answer_field(struct answer *a, const char *name, size_t nl, const char *v)
{
	if (nl == 14 && strncasecmp(name, "Content-Length", 14) == 0)
		a->length = strtoll(v, NULL, 10);
	else if (nl == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0)
		a->chunked = has_nocase(v, "chunked");
	else if (nl == 10 && strncasecmp(name, "Connection", 10) == 0)
		a->close = has_nocase(v, "close");
	if (http_hop_by_hop(name, nl) || (nl == 4 && strncasecmp(name, "Date", 4) == 0))
		return false;
	/* A CR inside a name or a value (a line ends at its LF): dropped,
	 * as the layer would refuse to write it (msg_panic: a bug of ours,
	 * not the backend's). */
	return !memchr(name, '\r', nl) && strchr(v, '\r') == NULL;
}

/* The usual answer: its whole head came in the first read, CRLF line
 * ends, no 1xx before it. It is parsed where it lies, without copying
 * a line, with the same checks and results as read_head's general way.
 * 1 done, 0 not such a head (nothing consumed: the general way takes
 * it), -1 broken (res untouched). */
static int head_in_place(struct rd *r, struct http_response *res, struct answer *a)
{
	struct { const char *name, *value; size_t nl, vl; } h[200];
	char *p = r->buf + r->off, *end, *eol;
	size_t n = 0, count = 0, total = 0;

	if (r->off == r->len && fill(r) <= 0)
		return -1;	/* nothing came (r->len 0 tells the caller) */
	p = r->buf + r->off;
	end = (char *)http_head_end(p, r->len - r->off);
	/* A NUL anywhere: the general way, which refuses it in a field, as
	 * here, and has the last word on a status line. One search for the
	 * whole head, before anything in it is changed. */
	if (!end || end - p < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[9] == '1' ||
	    memchr(p, 0, (size_t)(end - p)))
		return 0;
	eol = memchr(p, '\n', (size_t)(end + 2 - p)) - 1;	/* the status line's CR */
	if (*eol != '\r' || eol - p > 8192)
		return 0;
	if (status_line(p, (size_t)(eol - p), a) < 0 || a->status < 200)
		return -1;
	a->length = -1;
	for (p = eol + 2; p < end + 2; p = eol + 2) {
		char *colon, *v;
		size_t len, nl;

		eol = memchr(p, '\n', (size_t)(end + 2 - p)) - 1;
		if (*eol != '\r')
			return 0;	/* a bare LF inside: the general way */
		len = (size_t)(eol - p);
		total += len;
		if (len > 8192 || total > HEAD_MAX || ++count > 200 ||
		    !(colon = memchr(p, ':', len)) || colon == p)
			return -1;
		nl = (size_t)(colon - p);
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		*eol = 0;	/* the value ends here */
		if (!answer_field(a, p, nl, v))
			continue;
		h[n].name = p;
		h[n].nl = nl;
		h[n].value = v;
		h[n].vl = (size_t)(eol - v);
		n++;
	}
	http_resp_status(res, a->status);
	for (size_t i = 0; i < n; i++)
		http_resp_header_n(res, h[i].name, h[i].nl, h[i].value, h[i].vl);
	r->off = (size_t)(end + 4 - r->buf);
	return 1;
}

static int read_head(struct rd *r, struct http_response *res, struct answer *a)
{
	static struct strbuf line = STRBUF_INIT, keep = STRBUF_INIT;	/* reused */
	size_t total = 0, count = 0;
	int rc = -1;

	strbuf_reset(&keep);
	if ((rc = head_in_place(r, res, a)) != 0)
		return rc > 0 ? 0 : -1;
	rc = -1;
	for (;;) {		/* 1xx answers are skipped */
		if (getline_be(r, &line, 8192) < 0 || status_line(line.buf, line.len, a) < 0)
			goto out;
		if (a->status >= 200)
			break;
		do
			if (getline_be(r, &line, 8192) < 0)
				goto out;
		while (line.len);
	}
	a->length = -1;
	/* The headers to pass on are kept as "name\0value\0" until the head
	 * is complete, so a broken one leaves res untouched (502). */
	for (;;) {
		char *colon, *v;

		if (getline_be(r, &line, 8192) < 0)
			goto out;
		if (line.len == 0)
			break;
		total += line.len;
		if (total > HEAD_MAX || ++count > 200 || !(colon = memchr(line.buf, ':', line.len)) ||
		    colon == line.buf || memchr(line.buf, 0, line.len))
			goto out;
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (!answer_field(a, line.buf, (size_t)(colon - line.buf), v))
			continue;
		strbuf_add(&keep, line.buf, (size_t)(colon - line.buf));
		strbuf_addch(&keep, 0);
		strbuf_addstr(&keep, v);
		strbuf_addch(&keep, 0);
	}
	http_resp_status(res, a->status);
	for (size_t i = 0; i < keep.len;) {
		const char *name = keep.buf + i, *value = name + strlen(name) + 1;

		http_resp_header(res, name, value);
		i = (size_t)(value - keep.buf) + strlen(value) + 1;
	}
	rc = 0;
out:
	return rc;
}

/* Copies n bytes (or up to EOF when n < 0) from the backend to the
 * client. 0, -1 backend failure, -2 client gone. */
static int relay(struct rd *r, struct http_response *res, long long n)
{
	while (n != 0) {
		size_t have, take;

		if (r->off == r->len) {
			int f = fill(r);

			if (f == 0 && n < 0)
				return 0;
			if (f <= 0)
				return -1;
		}
		have = r->len - r->off;
		take = n < 0 || (long long)have < n ? have : (size_t)n;
		if (http_resp_write(res, r->buf + r->off, take) < 0)
			return -2;
		r->off += take;
		if (n > 0)
			n -= (long long)take;
	}
	return 0;
}

static int relay_chunked(struct rd *r, struct http_response *res)
{
	struct strbuf line = STRBUF_INIT;
	int rc = -1;

	for (;;) {
		char *end;
		long long size;

		if (getline_be(r, &line, 1024) < 0)
			break;
		size = strtoll(line.buf, &end, 16);
		if (end == line.buf || size < 0)
			break;
		if (size == 0) {
			do	/* trailers, dropped */
				if (getline_be(r, &line, 8192) < 0)
					goto out;
			while (line.len);
			rc = 0;
			break;
		}
		if ((rc = relay(r, res, size)) < 0)
			break;
		rc = -1;
		if (getline_be(r, &line, 2) < 0 || line.len)
			break;
	}
out:
	strbuf_release(&line);
	return rc;
}

static int send_body(int fd, const struct eas *e, struct http_request *req,
		     const struct strbuf *pre, bool chunked)
{
	char buf[PIECE + 16];
	long n;

	if (pre)
		return pre->len ? send_all(fd, pre->buf, pre->len, e->backend_timeout_ms) : 0;
	if (!chunked && req->content_length <= 0)
		return 0;
	while ((n = http_body_read(req, buf + 10, PIECE)) > 0) {
		if (chunked) {
			int h = snprintf(buf, 11, "%lx\r\n", n);

			memmove(buf + 10 - h, buf, (size_t)h);
			memcpy(buf + 10 + n, "\r\n", 2);
			if (send_all(fd, buf + 10 - h, (size_t)(h + n + 2), e->backend_timeout_ms) < 0)
				return -1;
		} else if (send_all(fd, buf + 10, (size_t)n, e->backend_timeout_ms) < 0) {
			return -1;
		}
	}
	if (n < 0)
		return -2;
	return chunked ? send_all(fd, "0\r\n\r\n", 5, e->backend_timeout_ms) : 0;
}

/* The session's buffers, kept from request to request: the head going
 * out (with a small body) and what comes back. */
static struct strbuf head_buf = STRBUF_INIT;
static char rd_space[PIECE];

/* The request line, Host and the forwarded headers into hb (reset
 * first): their lengths added up, one capacity check, plain copies. */
static void head_start(struct strbuf *hb, const char *method, const char *target,
		       const struct strbuf *fwd)
{
	static const char v[] = " HTTP/1.1\r\nHost: ";
	size_t ml = strlen(method), pl = strlen(be.prefix), tl = strlen(target),
		hl = strlen(be.hostport), n = ml + 1 + pl + tl + sizeof(v) - 1 + hl + 2 + fwd->len;
	char *p;

	strbuf_reset(hb);
	strbuf_grow(hb, n);
	p = hb->buf;
	memcpy(p, method, ml);
	p += ml;
	*p++ = ' ';
	memcpy(p, be.prefix, pl);
	memcpy(p += pl, target, tl);
	memcpy(p += tl, v, sizeof(v) - 1);
	memcpy(p += sizeof(v) - 1, be.hostport, hl);
	memcpy(p += hl, "\r\n", 2);
	if (fwd->len)
		memcpy(p + 2, fwd->buf, fwd->len);
	strbuf_setlen(hb, n);
}

/* The request out on fd: the whole head in one buffer, one send (request
 * line, Host, the forwarded headers, the framing), a small body with it.
 * 0, or -1 with why (*nothing_back: not even the head went out). */
static int attempt_send(struct eas *e, int fd, struct http_request *req, const struct strbuf *pre,
			const struct strbuf *fwd, bool *nothing_back, char *why, size_t whylen)
{
	static const struct strbuf empty = STRBUF_INIT;
	struct strbuf *hb = &head_buf;
	bool chunked = !pre && req->chunked;
	int rc;

	head_start(hb, req->method, req->target, fwd);
	if (chunked) {
		strbuf_addstr(hb, "Transfer-Encoding: chunked\r\n\r\n");
	} else {
		strbuf_addstr(hb, "Content-Length: ");
		strbuf_adddec(hb, pre ? (unsigned long long)pre->len :
			      req->content_length > 0 ? (unsigned long long)req->content_length : 0);
		strbuf_add(hb, "\r\n\r\n", 4);
	}
	/* A small body leaves with the head, in one packet. */
	if (pre && pre->len <= PIECE) {
		strbuf_add(hb, pre->buf, pre->len);
		pre = &empty;
	} else if (!pre && !chunked && req->content_length > 0 && req->content_length <= PIECE) {
		size_t want = (size_t)req->content_length;

		strbuf_grow(hb, want);
		while (want > 0) {
			long n = http_body_read(req, hb->buf + hb->len, want);

			if (n <= 0) {
				snprintf(why, whylen, "the client's body failed: %s", http_body_error(req));
				return -1;
			}
			strbuf_setlen(hb, hb->len + (size_t)n);
			want -= (size_t)n;
		}
		pre = &empty;
	}
	if (send_all(fd, hb->buf, hb->len, e->backend_timeout_ms) < 0) {
		snprintf(why, whylen, "cannot send to %s: %s", be.hostport, strerror(errno));
		*nothing_back = true;
		return -1;
	}
	if ((rc = send_body(fd, e, req, pre, chunked)) < 0) {
		snprintf(why, whylen, rc == -2 ? "the client's body failed: %s" : "cannot send the body to %s",
			 rc == -2 ? http_body_error(req) : be.hostport);
		return -1;
	}
	return 0;
}

/* The answer on *fdp into res, from what r holds already and what comes.
 * 0, or -1 with why; *fdp closed (-1) when it cannot be used again. */
static int attempt_answer(struct eas *e, int *fdp, struct rd *r, struct http_request *req,
			  struct http_response *res, bool *started, bool *nothing_back, char *why,
			  size_t whylen)
{
	struct answer a = { 0 };
	int rc = -1;

	r->fd = *fdp;
	if (read_head(r, res, &a) < 0) {
		snprintf(why, whylen, "no valid answer from %s", be.hostport);
		*nothing_back = r->len == 0;
		goto out;
	}
	*started = true;
	if (strcmp(req->method, "HEAD") == 0 || a.status == 204 || a.status == 304) {
		rc = http_resp_start(res, 0) < 0 ? -2 : 0;
		goto out;
	}
	if (a.chunked) {
		if (http_resp_start(res, -1) < 0)
			rc = -2;
		else
			rc = relay_chunked(r, res);
	} else if (a.length >= 0 && a.length <= SMALL_ANSWER) {
		/* Gathered by the layer and sent with its head, in one write
		 * (a cut answer is replaced by the caller's 502). */
		size_t got = 0;

		rc = 0;
		while (got < (size_t)a.length) {
			size_t take;

			if (r->off == r->len && fill(r) <= 0) {
				rc = -1;
				break;
			}
			take = r->len - r->off;
			if (take > (size_t)a.length - got)
				take = (size_t)a.length - got;
			http_resp_body(res, r->buf + r->off, take);
			r->off += take;
			got += take;
		}
		*started = rc == 0;
	} else {
		if (a.length < 0)
			a.close = true;
		if (http_resp_start(res, a.length) < 0)
			rc = -2;
		else
			rc = relay(r, res, a.length);
	}
	if (rc == -1)
		snprintf(why, whylen, "the answer from %s was cut short", be.hostport);
	else if (rc == -2)
		snprintf(why, whylen, "client gone");
out:
	/* Bytes left over, an error or a closing answer: not reusable. */
	if (rc != 0 || a.close || r->off != r->len) {
		close(*fdp);
		*fdp = -1;
	}
	return rc == 0 ? 0 : -1;
}

static int attempt(struct eas *e, int *fdp, struct http_request *req, struct http_response *res,
		   const struct strbuf *pre, const struct strbuf *fwd, bool *started,
		   bool *nothing_back, char *why, size_t whylen)
{
	struct rd r = { .buf = rd_space, .cap = sizeof(rd_space) };

	*started = false;
	*nothing_back = false;
	if (attempt_send(e, *fdp, req, pre, fwd, nothing_back, why, whylen) < 0) {
		close(*fdp);
		*fdp = -1;
		return -1;
	}
	return attempt_answer(e, fdp, &r, req, res, started, nothing_back, why, whylen);
}

/* Whether the body can be sent again on a new connection. */
static bool resendable(const struct http_request *req, const struct strbuf *pre)
{
	return pre || (!req->chunked && req->content_length <= 0);
}

int backend_pass(struct eas *e, struct http_request *req, struct http_response *res,
		 const struct strbuf *pre, const struct strbuf *fwd, bool *started, char *why,
		 size_t whylen)
{
	bool reused, nothing_back;
	int rc;

	/* Idle for a second or more: the backend may have closed it (its
	 * keep-alive timeout); a closed one is dropped before use. */
	if (be.fd >= 0 && time(NULL) - be.used >= 1 && !still_open(be.fd)) {
		close(be.fd);
		be.fd = -1;
	}
	reused = be.fd >= 0;
	if (be.fd < 0 && (be.fd = connect_backend(e, why, whylen)) < 0)
		return -1;
	rc = attempt(e, &be.fd, req, res, pre, fwd, started, &nothing_back, why, whylen);
	be.used = time(NULL);
	/* A kept connection the backend closed just as we sent: once more
	 * on a new one, when the body can be sent again. */
	if (rc < 0 && reused && nothing_back && resendable(req, pre)) {
		if ((be.fd = connect_backend(e, why, whylen)) < 0)
			return -1;
		rc = attempt(e, &be.fd, req, res, pre, fwd, started, &nothing_back, why, whylen);
	}
	return rc;
}

/* ---- the event loop's pass-through: the same steps, split where the
 * process-per-connection way waits for the answer ---- */

/* Room for a head and a small answer whole: such an answer is served
 * from memory, without the blocking way. A waiting request (a Ping held
 * for minutes) holds PIECE; the room grows only for an answer that came. */
#define WAIT_ROOM (HEAD_MAX + SMALL_ANSWER)

struct backend_wait {
	struct rd rd;
	struct strbuf pre, fwd;	/* copies, for a second attempt */
	bool has_pre, reused, timed_out;
	bool connecting;	/* the connection is not made yet: then the request */
	struct backend_wait *next;	/* free list */
};

static struct backend_wait *spare;	/* freed ones, kept: no malloc a request */

void backend_wait_free(struct backend_wait *w)
{
	if (!w)
		return;
	strbuf_reset(&w->pre);
	strbuf_reset(&w->fwd);
	if (w->rd.cap > PIECE) {
		free(w->rd.buf);
		w->rd.buf = xmalloc(PIECE);
		w->rd.cap = PIECE;
	}
	w->next = spare;
	spare = w;
}

/* The connection k keeps, checked without waiting: open and silent. */
static bool kept_open(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* A connection begun without waiting: 1 made, 0 under way (fd set: wait
 * for it to be writable), -1 failed (why). The first address only: the
 * usual backend is one address (connect_backend tries them all). */
static int connect_start(const struct eas *e, int *fd, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc, one = 1;

	if ((rc = getaddrinfo(be.host, be.port, &hints, &res)) != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", be.host, gai_strerror(rc));
		return -1;
	}
	*fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	rc = *fd < 0 ? -1 : connect(*fd, res->ai_addr, res->ai_addrlen) == 0 ? 1 :
		errno == EINPROGRESS ? 0 : -1;
	freeaddrinfo(res);
	if (rc < 0) {
		snprintf(why, whylen, "cannot connect to %s: %s", be.hostport, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return rc;
}

/* Sends on a connection made, or starts one; 0 (sent or connecting),
 * -1 with why. */
static int send_or_connect(struct backend_wait *w, struct eas *e, struct http_keep *k,
			   struct http_request *req, char *why, size_t whylen)
{
	const struct strbuf *pre = w->has_pre ? &w->pre : NULL;
	bool nothing_back = false;
	int rc;

	if (k->fd >= 0) {
		if (attempt_send(e, k->fd, req, pre, &w->fwd, &nothing_back, why, whylen) == 0)
			return 0;
		close(k->fd);
		k->fd = -1;
		k->renewed = true;
		if (!w->reused || !nothing_back || !resendable(req, pre))
			return -1;
		w->reused = false;	/* closed just as we sent: once more */
	}
	k->renewed = true;
	if ((rc = connect_start(e, &k->fd, why, whylen)) < 0)
		return -1;
	w->connecting = rc == 0;
	if (w->connecting)
		return 0;
	return backend_connected(w, e, k, req, why, whylen);
}

bool backend_connecting(const struct backend_wait *w)
{
	return w->connecting;
}

int backend_connected(struct backend_wait *w, struct eas *e, struct http_keep *k,
		      struct http_request *req, char *why, size_t whylen)
{
	int err = 0;
	socklen_t len = sizeof(err);
	bool nothing_back = false;

	w->connecting = false;
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		snprintf(why, whylen, "cannot connect to %s: %s", be.hostport,
			 strerror(err ? err : errno));
		goto fail;
	}
	if (attempt_send(e, k->fd, req, w->has_pre ? &w->pre : NULL, &w->fwd, &nothing_back, why,
			 whylen) == 0)
		return 0;
fail:
	close(k->fd);
	k->fd = -1;
	k->renewed = true;
	return -1;
}

void backend_connect_timed_out(struct backend_wait *w, struct http_keep *k, char *why,
			       size_t whylen)
{
	/* The words connect_backend's poll leaves (errno of the connect). */
	snprintf(why, whylen, "cannot connect to %s: %s", be.hostport, strerror(EINPROGRESS));
	w->connecting = false;
	close(k->fd);
	k->fd = -1;
	k->renewed = true;
}

struct backend_wait *backend_send(struct eas *e, struct http_keep *k, struct http_request *req,
				  const struct strbuf *pre, const struct strbuf *fwd, char *why,
				  size_t whylen)
{
	struct backend_wait *w = spare;

	if (w) {
		spare = w->next;
	} else {
		w = xcalloc(1, sizeof(*w));
		strbuf_init(&w->pre, 0);
		strbuf_init(&w->fwd, 0);
		w->rd.buf = xmalloc(PIECE);
		w->rd.cap = PIECE;
	}
	w->rd.fd = -1;
	w->rd.off = w->rd.len = 0;
	w->has_pre = pre != NULL;
	w->timed_out = w->connecting = false;
	if (pre)
		strbuf_add(&w->pre, pre->buf ? pre->buf : "", pre->len);
	strbuf_add(&w->fwd, fwd->buf, fwd->len);
	if (k->fd >= 0 && time(NULL) - k->used >= 1 && !kept_open(k->fd)) {
		close(k->fd);
		k->fd = -1;
		k->renewed = true;
	}
	w->reused = k->fd >= 0;
	if (send_or_connect(w, e, k, req, why, whylen) == 0)
		return w;
	backend_wait_free(w);
	return NULL;
}

/* Status, Content-Length and Transfer-Encoding of a whole head h[0..n):
 * the answer's length when it is a plain one (no 1xx, no chunking, a
 * length given), else -1. */
static long long plain_length(const char *h, size_t n)
{
	long long len = -1;

	if (n < 12 || strncmp(h, "HTTP/1.", 7) != 0 || h[9] == '1')
		return -1;
	for (const char *p = h; (p = memchr(p, '\n', (size_t)(h + n - p))); ) {
		p++;
		if (*p != 'T' && *p != 't' && *p != 'C' && *p != 'c')
			continue;	/* neither name: no compare */
		if (strncasecmp(p, "Transfer-Encoding:", 18) == 0)
			return -1;
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			char *end;

			if (len >= 0)
				return -1;
			len = strtoll(p + 15, &end, 10);
			if (len < 0 || (*end != '\r' && *end != ' '))
				return -1;
		}
	}
	return len;
}

int backend_ready(struct backend_wait *w, struct http_keep *k)
{
	struct rd *r = &w->rd;
	const char *end;
	long long len;
	size_t need;

	/* One read: the answer is most often whole in it; if not, the
	 * loop calls again when more came. */
	if (r->len == r->cap)
		return -1;
	for (;;) {
		ssize_t n = recv(k->fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);

		if (n > 0) {
			r->len += (size_t)n;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		return -1;	/* the end or an error: the blocking way says which */
	}
	end = http_head_end(r->buf, r->len);
	if (!end)
		return r->len == r->cap ? -1 : 0;
	len = plain_length(r->buf, (size_t)(end + 2 - r->buf));
	if (len < 0 || len > SMALL_ANSWER)
		return -1;
	need = (size_t)(end + 4 - r->buf) + (size_t)len;
	if (need > WAIT_ROOM)
		return -1;
	if (r->len >= need)
		return 1;
	if (need > r->cap) {
		r->buf = xrealloc(r->buf, need);
		r->cap = need;
	}
	return 0;
}

void backend_timed_out(struct backend_wait *w)
{
	w->timed_out = true;
}

int backend_finish(struct backend_wait *w, struct eas *e, struct http_keep *k, bool blocking,
		   struct http_request *req, struct http_response *res, bool *started,
		   char *why, size_t whylen)
{
	bool nothing_back = false;
	const struct strbuf *pre = w->has_pre ? &w->pre : NULL;
	int rc;

	*started = false;
	/* In a process of its own the reads wait, as connect_backend's do;
	 * after the loop's timeout they find nothing, as the time is up. */
	if (blocking && !w->timed_out && k->fd >= 0) {
		struct timeval tv = { e->backend_timeout_ms / 1000,
				      (e->backend_timeout_ms % 1000) * 1000 };

		if (e->backend_timeout_ms > 0)
			setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) & ~O_NONBLOCK);
	}
	rc = attempt_answer(e, &k->fd, &w->rd, req, res, started, &nothing_back, why, whylen);
	k->used = time(NULL);
	k->renewed |= k->fd < 0;
	if (rc < 0 && w->reused && nothing_back && resendable(req, pre)) {
		if ((k->fd = connect_backend(e, why, whylen)) < 0)
			return -1;
		rc = attempt(e, &k->fd, req, res, pre, &w->fwd, started, &nothing_back, why, whylen);
	}
	/* The blocking way goes on with this connection as its own. */
	if (blocking && k->fd >= 0 && be.fd < 0) {
		be.fd = k->fd;
		be.used = k->used;
		k->fd = -1;
	}
	return rc;
}
