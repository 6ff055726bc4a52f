/* The HTTP event loop (http.h, lib/net/evloop.h): each connection's
 * bytes are read without blocking until a whole simple request is in,
 * then the layer's own request code runs on them (server.c, with
 * c->pre); a handler's wait is a deferral watched here; whatever is not
 * simple goes to a forked process that goes on the blocking way. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_int.h"
#include "net/evloop.h"
#include "util/mem.h"
#include "util/msg.h"

#define LINGER_MS 2000
#define LINGER_MAX 262144
#define READ_PIECE 16384

enum lstate { L_READ, L_DEFER, L_WRITE, L_LINGER };

struct lconn {
	struct http_conn c;
	struct serve_peer peer;
	struct stream *s;
	int fd;
	struct strbuf in;	/* c.pre: what came and is not used yet */
	struct strbuf out;	/* c.out: the answers not sent yet */
	size_t out_off;		/* sent of out */
	enum http_req_end then;	/* L_WRITE: what the request came to */
	bool eof;
	enum lstate state;
	long long deadline;	/* -1: none */
	long long head_from;	/* the first byte of the request came; 0: none yet */
	size_t lingered;
	int kept;		/* c.keep.fd as the loop watches it; -1: none */
	struct msg_state *ms;	/* its log fields (the peer), current while it runs */
	struct lconn *prev, *next;
};

static struct {
	struct http_server *srv;
	struct evloop *ev;
	struct lconn *all;
} L;


/* A header name at p (up to the colon) is name? */
static inline bool named(const char *p, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len == n && strncasecmp(p, name, n) == 0;
}

/* Content-Length's value b[0..len) (blanks around it allowed); a value
 * the layer will refuse counts as no body. */
static long long length_of(const char *b, size_t len)
{
	long long v = 0;
	size_t i = 0, digits = 0;

	while (i < len && (b[i] == ' ' || b[i] == '\t'))
		i++;
	for (; i < len && b[i] >= '0' && b[i] <= '9' && digits < 18; i++, digits++)
		v = v * 10 + (b[i] - '0');
	while (i < len && (b[i] == ' ' || b[i] == '\t'))
		i++;
	return digits && i == len ? v : 0;
}

/* Is a whole request at the start of b, one the loop serves itself: a
 * head within HTTP_LOOP_HEAD_MAX with CRLF line ends, no
 * Transfer-Encoding nor Expect, at most one Content-Length, a body
 * within HTTP_LOOP_BODY_MAX? Anything else is SCAN_ODD (handed off), so
 * the layer's parser never finds the bytes end sooner than here. */
enum http_scan http_loop_scan(const char *b, size_t len)
{
	const char *end, *p, *nl;
	size_t head;
	long long body = 0;
	bool have_length = false;

	if (len == 0)
		return SCAN_MORE;
	if (b[0] == '\r' || b[0] == '\n')
		return SCAN_ODD;
	end = http_head_end(b, len < HTTP_LOOP_HEAD_MAX ? len : HTTP_LOOP_HEAD_MAX);
	if (!end)
		return len >= HTTP_LOOP_HEAD_MAX ? SCAN_ODD : SCAN_MORE;
	head = (size_t)(end - b) + 4;
	for (p = b; (nl = memchr(p, '\n', (size_t)(end + 2 - p))); p = nl + 1) {
		const char *colon;

		if (nl == b || nl[-1] != '\r')
			return SCAN_ODD;
		if (p == b)
			continue;	/* the request line */
		/* Only three names matter here: the others are passed over
		 * by their first letter, without looking for their colon. */
		if (*p != 'C' && *p != 'c' && *p != 'E' && *p != 'e' && *p != 'T' && *p != 't')
			continue;
		colon = memchr(p, ':', (size_t)(nl - p));
		if (!colon)
			continue;	/* the layer refuses it */
		if (named(p, (size_t)(colon - p), "Transfer-Encoding") ||
		    named(p, (size_t)(colon - p), "Expect"))
			return SCAN_ODD;
		if (named(p, (size_t)(colon - p), "Content-Length")) {
			if (have_length)
				return SCAN_ODD;
			have_length = true;
			body = length_of(colon + 1, (size_t)(nl - 1 - colon - 1));
		}
	}
	if (body > HTTP_LOOP_BODY_MAX)
		return SCAN_ODD;
	return len >= head + (size_t)body ? SCAN_WHOLE : SCAN_MORE;
}

static void on_client(int fd, unsigned events, void *ctx);
static void on_defer(int fd, unsigned events, void *ctx);
static void keep_sync(struct lconn *lc);
static void keep_close(struct lconn *lc);

static void conn_free(struct lconn *lc)
{
	if (lc->prev)
		lc->prev->next = lc->next;
	else
		L.all = lc->next;
	if (lc->next)
		lc->next->prev = lc->prev;
	http_conn_release(&lc->c);
	strbuf_release(&lc->in);
	strbuf_release(&lc->out);
	msg_state_free(lc->ms);
	free(lc);
	evloop_conn_end(L.ev);
}

/* The end as a connection process has it: half-close, then what still
 * comes is read and dropped for a while (http_linger_close). */
static void conn_close(struct lconn *lc)
{
	lc->state = L_LINGER;	/* no longer served, whatever comes */
	keep_close(lc);
	stream_free(lc->s);
	lc->s = NULL;
	if (!lc->eof && shutdown(lc->fd, SHUT_WR) == 0) {
		lc->state = L_LINGER;
		lc->deadline = evloop_now_ms() + LINGER_MS;
		evloop_watch(L.ev, lc->fd, EVLOOP_IN, on_client, lc);
		return;
	}
	evloop_forget(L.ev, lc->fd);
	close(lc->fd);
	conn_free(lc);
}

/* To a process of its own, which serves the rest of the connection the
 * blocking way (a deferred request from its continuation). */
static void handoff(struct lconn *lc)
{
	int keep[3] = { lc->fd, lc->c.keep.fd, lc->c.defer.fn ? lc->c.defer.fd : -1 };
	pid_t pid;

	evloop_forget(L.ev, lc->fd);
	if (lc->c.defer.fn)
		evloop_forget(L.ev, lc->c.defer.fd);
	keep_sync(lc);
	if (lc->kept >= 0)
		evloop_forget(L.ev, lc->kept);
	lc->kept = -1;
	pid = evloop_fork(L.ev, keep, 3);
	if (pid == 0) {
		lc->c.pre_eof = false;
		http_conn_serve_rest(&lc->c);
		stream_free(lc->s);
		http_linger_close(lc->fd, lc->fd);
		fflush(NULL);
		_exit(0);
	}
	if (pid > 0)
		msg_debug("connection handed off pid=%ld", (long)pid);
	if (lc->c.defer.fn)
		(void)lc->c.defer.fn(&lc->c.req, &lc->c.res, lc->c.defer.arg, HTTP_RESUME_DROP);
	keep_close(lc);
	if (lc->c.defer.fn && lc->c.defer.fd >= 0 && lc->c.defer.fd != keep[1])
		close(lc->c.defer.fd);
	stream_free(lc->s);
	close(lc->fd);
	conn_free(lc);
}

/* The handler's kept descriptor (a backend connection) is watched
 * between requests: readable then, the backend closed it (or sent what
 * was not asked for), and it is closed at once. After the handler ran,
 * the watch follows what it did with it (renewed). */
static void on_keep(int fd, unsigned events, void *ctx)
{
	struct lconn *lc = ctx;

	if (lc->state == L_DEFER && fd == lc->c.defer.fd)
		return;		/* the deferral's own watch takes it */
	keep_close(lc);
}

static void keep_sync(struct lconn *lc)
{
	struct http_keep *k = &lc->c.keep;

	if (k->renewed && lc->kept >= 0)
		evloop_drop(L.ev, lc->kept);	/* closed by the handler */
	if (k->renewed)
		lc->kept = -1;
	k->renewed = false;
	if (k->fd >= 0 && lc->kept != k->fd && evloop_rewatch(L.ev, k->fd, EVLOOP_IN, on_keep, lc) == 0)
		lc->kept = k->fd;
}

static void keep_close(struct lconn *lc)
{
	keep_sync(lc);
	if (lc->kept >= 0)
		evloop_forget(L.ev, lc->kept);
	if (lc->c.keep.fd >= 0)
		close(lc->c.keep.fd);
	lc->c.keep.fd = lc->kept = -1;
}

/* Sends what the answers left in out, without waiting: false when the
 * client is gone (a process writing to it would fail there too). */
static bool send_out(struct lconn *lc)
{
	while (lc->out_off < lc->out.len) {
		ssize_t n = send(lc->fd, lc->out.buf + lc->out_off, lc->out.len - lc->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0)
			return false;
		lc->out_off += (size_t)n;
	}
	strbuf_reset(&lc->out);
	lc->out_off = 0;
	return true;
}

/* A request done and its answer sent: the next, or the end. */
static bool done(struct lconn *lc, enum http_req_end end)
{
	struct http_conn *c = &lc->c;

	if (end != HTTP_REQ_KEEP) {
		conn_close(lc);
		return false;
	}
	keep_sync(lc);
	if (lc->kept >= 0)
		evloop_watch(L.ev, lc->kept, EVLOOP_IN, on_keep, lc);
	/* What came after the request (pipelined) moves up. */
	memmove(lc->in.buf, lc->in.buf + c->pre_off, lc->in.len - c->pre_off);
	strbuf_setlen(&lc->in, lc->in.len - c->pre_off);
	c->pre_off = 0;
	http_conn_next(c);
	c->loop = true;
	lc->state = L_READ;
	lc->head_from = 0;
	lc->deadline = evloop_now_ms() + L.srv->lim.idle_timeout;
	evloop_watch(L.ev, lc->fd, EVLOOP_IN, on_client, lc);
	return true;
}

/* What a request came to. true: the next may be served now. */
static bool after(struct lconn *lc, enum http_req_end end)
{
	struct http_conn *c = &lc->c;
	long long now = evloop_now_ms();

	switch (end) {
	case HTTP_REQ_DEFER:
		if (c->defer.fd < 0) {
			handoff(lc);	/* the handler's own: nothing to wait for here */
			return false;
		}
		lc->state = L_DEFER;
		lc->deadline = c->defer.timeout_ms > 0 ? now + c->defer.timeout_ms : -1;
		/* The client is not read meanwhile, as a process waiting for
		 * the backend would not read it (its events are turned off
		 * when one comes: on_client). */
		keep_sync(lc);
		if (c->defer.fd == lc->kept)
			evloop_watch(L.ev, c->defer.fd, c->defer.events, on_defer, lc);
		else
			evloop_rewatch(L.ev, c->defer.fd, c->defer.events, on_defer, lc);
		return false;
	case HTTP_REQ_HANDOFF:
		handoff(lc);
		return false;
	case HTTP_REQ_KEEP:
	case HTTP_REQ_CLOSE:
		break;
	}
	if (!send_out(lc)) {
		strbuf_reset(&lc->out);
		lc->out_off = 0;
		conn_close(lc);
		return false;
	}
	if (lc->out.len) {
		/* The client takes its time: sent as it reads. */
		lc->state = L_WRITE;
		lc->then = end;
		lc->deadline = now + c->send_timeout;
		evloop_watch(L.ev, lc->fd, EVLOOP_OUT, on_client, lc);
		return false;
	}
	return done(lc, end);
}

/* The connection's log fields, as a connection process has its own:
 * set once at the accept, made current for each of its callbacks (the
 * loop makes the process's own current again after each). */
static void context(const struct lconn *lc)
{
	msg_state_use(lc->ms);
}

/* Serves the requests that are in, while the connection stays ours. A
 * timeout or the client's end runs the request with what came, which
 * the layer answers as it would after its own wait (408, 400, close). */
static void serve_in(struct lconn *lc, bool timed_out)
{
	for (;;) {
		enum http_scan sc = http_loop_scan(lc->in.buf, lc->in.len);

		if (lc->in.len == 0 && (lc->eof || timed_out)) {
			conn_close(lc);
			return;
		}
		if (sc == SCAN_ODD) {
			handoff(lc);
			return;
		}
		if (sc == SCAN_MORE && !lc->eof && !timed_out) {
			if (lc->in.len && !lc->head_from) {
				lc->head_from = evloop_now_ms();
				lc->deadline = lc->head_from + L.srv->lim.header_timeout;
			}
			return;
		}
		context(lc);
		lc->c.pre_eof = lc->eof;
		lc->c.pre_off = 0;
		if (!after(lc, http_conn_request(&lc->c)) || lc->in.len == 0)
			return;
		timed_out = false;
	}
}

/* Reads what the client sent: false when the connection is gone. */
static bool read_in(struct lconn *lc)
{
	for (;;) {
		ssize_t n;

		strbuf_grow(&lc->in, READ_PIECE);
		n = recv(lc->fd, lc->in.buf + lc->in.len, lc->in.alloc - lc->in.len - 1, 0);
		if (n > 0) {
			strbuf_setlen(&lc->in, lc->in.len + (size_t)n);
			if (lc->in.len >= HTTP_LOOP_HEAD_MAX + HTTP_LOOP_BODY_MAX)
				return true;	/* enough to decide */
			if ((size_t)n < READ_PIECE)
				return true;	/* most likely all there is */
			continue;
		}
		if (n == 0) {
			lc->eof = true;
			return true;
		}
		if (errno == EAGAIN || errno == EINTR)
			return true;
		return false;
	}
}

static void linger(struct lconn *lc)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(lc->fd, buf, sizeof(buf), 0)) > 0)
		if ((lc->lingered += (size_t)n) >= LINGER_MAX)
			break;
	if (n < 0 && (errno == EAGAIN || errno == EINTR) && lc->lingered < LINGER_MAX)
		return;
	evloop_forget(L.ev, lc->fd);
	close(lc->fd);
	conn_free(lc);
}

static void on_client(int fd, unsigned events, void *ctx)
{
	struct lconn *lc = ctx;

	if (lc->state == L_LINGER) {
		linger(lc);
		return;
	}
	if (lc->state == L_DEFER) {
		evloop_watch(L.ev, fd, 0, NULL, lc);
		return;
	}
	if (lc->state == L_WRITE) {
		if (!send_out(lc)) {
			strbuf_reset(&lc->out);
			lc->out_off = 0;
			conn_close(lc);
		} else if (!lc->out.len && done(lc, lc->then) && lc->in.len) {
			serve_in(lc, false);
		}
		return;
	}
	if (!read_in(lc)) {
		lc->eof = true;
		strbuf_reset(&lc->in);	/* a reset: nothing to answer */
	}
	serve_in(lc, false);
}

static void resume(struct lconn *lc, enum http_resume how)
{
	struct http_conn *c = &lc->c;
	int fd = c->defer.fd;

	context(lc);
	if (fd != lc->kept)
		evloop_forget(L.ev, fd);
	if (after(lc, http_conn_resume(c, how)) && lc->in.len)
		serve_in(lc, false);
}

static void on_defer(int fd, unsigned events, void *ctx)
{
	resume(ctx, HTTP_RESUME_READY);
}

static void loop_accept(struct evloop *ev, int fd, const struct serve_peer *peer, void *ctx)
{
	struct lconn *lc = xcalloc(1, sizeof(*lc));
	int one = 1;

	L.ev = ev;
	lc->peer = *peer;
	lc->fd = fd;
	lc->kept = -1;
	lc->ms = msg_state_new();
	msg_state_use(lc->ms);
	msg_context("peer", peer->addr);
	msg_state_use(NULL);
	strbuf_init(&lc->in, 0);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	lc->s = stream_new(fd, fd, L.srv->lim.header_timeout, HTTP_LINE_MAX);
	http_conn_init(&lc->c, L.srv, lc->s, &lc->peer);
	lc->c.loop = true;
	lc->c.pre = &lc->in;
	strbuf_init(&lc->out, 0);
	lc->c.out = &lc->out;
	lc->state = L_READ;
	lc->deadline = evloop_now_ms() + L.srv->lim.header_timeout;
	lc->next = L.all;
	if (L.all)
		L.all->prev = lc;
	L.all = lc;
	if (evloop_watch(ev, fd, EVLOOP_IN, on_client, lc) < 0) {
		msg_warn("cannot watch a connection: %s", strerror(errno));
		conn_close(lc);
	}
}

/* The deadlines passed, and the next one. */
static long long loop_tick(long long now, void *ctx)
{
	long long next = -1;
	struct lconn *lc, *nx;

	for (lc = L.all; lc; lc = nx) {
		nx = lc->next;
		if (lc->deadline >= 0 && lc->deadline <= now) {
			lc->deadline = -1;
			if (lc->state == L_LINGER) {
				evloop_forget(L.ev, lc->fd);
				close(lc->fd);
				conn_free(lc);
			} else if (lc->state == L_WRITE) {
				strbuf_reset(&lc->out);	/* send_timeout: as a process gives up */
				lc->out_off = 0;
				conn_close(lc);
			} else if (lc->state == L_DEFER) {
				resume(lc, HTTP_RESUME_TIMEOUT);
			} else {
				serve_in(lc, true);
			}
			msg_state_use(NULL);
			nx = L.all;	/* the list may have changed: again */
			continue;
		}
		if (lc->deadline >= 0 && (next < 0 || lc->deadline < next))
			next = lc->deadline;
	}
	return next;
}

/* SIGTERM: connections waiting for a request close now. */
static void loop_stop(void *ctx)
{
	struct lconn *lc, *nx;

	for (lc = L.all; lc; lc = nx) {
		nx = lc->next;
		if (lc->state == L_READ && lc->in.len == 0)
			conn_close(lc);
	}
}

static int loop_reload(void *ctx)
{
	struct http_server *srv = ctx;

	if (srv->reload_fn)
		return srv->reload_fn(srv->reload_user);
	return 0;
}

static void loop_refuse(int fd, const struct serve_peer *peer, void *ctx)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
		"Content-Length: 0\r\nRetry-After: 5\r\n\r\n";

	if (write(fd, busy, sizeof(busy) - 1) < 0)
		return;
}

int http_server_run_loop(struct http_server *srv, enum serve_mode mode)
{
	struct evloop_handler h = {
		.name = srv->name, .accept = loop_accept, .refuse = loop_refuse,
		.reload = loop_reload, .tick = loop_tick, .stop = loop_stop, .ctx = srv,
	};
	const char *lp = getenv("LISTEN_PID");

	/* TLS, inetd and systemd's sockets: the connection processes. */
	if (srv->tls || mode != SERVE_STANDALONE || (lp && atol(lp) == (long)getpid()))
		return http_server_run(srv, mode);
	L.srv = srv;
	return evloop_serve(srv->sec, &h);
}
