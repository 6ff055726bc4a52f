/* The HTTP/1.1 server: a connection's keep-alive loop, the request
 * parser with its limits and deadlines, bodies by Content-Length or
 * chunked with a cap and 100-continue, forwarded-for from trusted
 * proxies, the publishing rules and the router. */
#include <arpa/inet.h>
#include <ctype.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_int.h"
#include "util/clock.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"

#define HTTP_TRAILERS_MAX 32

/* ---- server ---- */

struct http_server *http_server_new(const json_t *section, const char *name)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	const json_t *tls = conf_get(section, "tls");

	srv->name = xstrdup(name);
	srv->sec = section;
	if (http_rules_load(srv, section, &srv->rules, &srv->nrules, &srv->lim) < 0) {
		http_server_free(srv);
		return NULL;
	}
	if (tls && conf_str(tls, "cert") && conf_str(tls, "cert")[0]) {
		struct tls_policy p;

		tls_policy_init(&p);
		if (tls_policy_from_conf(tls, &p) == 0)
			srv->tls = tls_server_new(&p);
		tls_policy_clear(&p);
		if (srv->tls == NULL) {
			http_server_free(srv);
			return NULL;
		}
	}
	return srv;
}

void http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	http_rules_free(srv->rules, srv->nrules, &srv->lim);
	for (size_t i = 0; i < srv->nroutes; i++) {
		free(srv->routes[i].method);
		free(srv->routes[i].prefix);
	}
	tls_ctx_free(srv->tls);
	free(srv->name);
	free(srv);
}

bool http_server_tls(const struct http_server *srv)
{
	return srv->tls != NULL;
}

void http_route(struct http_server *srv, const char *method, const char *prefix,
		unsigned flags, http_handler_fn fn, void *user)
{
	struct http_route *r;

	if (srv->nroutes >= HTTP_ROUTES_MAX)
		msg_panic("http_route: more than %d routes", HTTP_ROUTES_MAX);
	r = &srv->routes[srv->nroutes++];
	r->method = xstrdup(method);
	r->prefix = xstrdup(prefix);
	r->flags = flags;
	r->fn = fn;
	r->user = user;
}

void http_server_on_reload(struct http_server *srv, int (*fn)(void *), void *user)
{
	srv->reload_fn = fn;
	srv->reload_user = user;
}

int http_server_reload(struct http_server *srv, const json_t *section)
{
	struct http_rule *rules;
	size_t n;
	struct http_limits lim;

	if (http_rules_load(srv, section, &rules, &n, &lim) < 0) {
		msg_error("reload failed: the old HTTP settings stay in force");
		return -1;
	}
	http_rules_free(srv->rules, srv->nrules, &srv->lim);
	srv->rules = rules;
	srv->nrules = n;
	srv->lim = lim;
	srv->sec = section;
	if (srv->tls && tls_ctx_reload(srv->tls) < 0)
		return -1;
	return 0;
}

static int reload_hook(void *ctx)
{
	struct http_server *srv = ctx;

	if (srv->reload_fn)
		return srv->reload_fn(srv->reload_user);
	if (srv->tls)
		return tls_ctx_reload(srv->tls);
	return 0;
}

static void refuse(int fd, const struct serve_peer *peer, void *ctx)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
		"Content-Length: 0\r\nRetry-After: 5\r\n\r\n";

	(void)peer;
	(void)ctx;
	if (write(fd, busy, sizeof(busy) - 1) < 0)
		return;
}

int http_server_run(struct http_server *srv, enum serve_mode mode)
{
	struct serve_handler h = {
		.name = srv->name, .session = http_server_session, .refuse = refuse,
		.reload = reload_hook, .ctx = srv,
	};

	return serve_run(srv->sec, mode, &h);
}

/* Closing with unread input makes the kernel send a reset, which can
 * destroy our last answer (a 413 or 414 sent before the client finished)
 * before the client reads it: half-close, then read and drop what still
 * comes, for two seconds and 256 KiB at most. */
void http_linger_close(int in, int out)
{
	char buf[8192];
	size_t total = 0;
	long long end = clock_ms() + 2000, left;
	struct pollfd pfd = { .fd = in, .events = POLLIN };

	if (shutdown(out, SHUT_WR) < 0)
		return;		/* not a socket: nothing to protect */
	while (total < 262144 && (left = end - clock_ms()) > 0 && poll(&pfd, 1, (int)left) == 1) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

int http_server_session(int in, int out, const struct serve_peer *peer, void *ctx)
{
	struct http_server *srv = ctx;
	struct stream *s = stream_new(in, out, srv->lim.header_timeout, HTTP_LINE_MAX);
	struct tls_report rep;
	int rc = EX_OK;
	int one = 1;

	/* Streamed answers leave in several writes (head, then body pieces):
	 * without TCP_NODELAY each later one waits for the client's delayed
	 * ACK, 40 ms a response. Not a TCP socket (inetd pipes): no harm. */
	(void)setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	tls_report_init(&rep);
	if (srv->tls && stream_starttls_server(s, srv->tls, &rep) < 0) {
		msg_info("TLS handshake failed: %s client=%s", msg_q(stream_error(s)), peer->addr);
		rc = EX_PROTOCOL;
	} else {
		/* A plain connection's reads wait in the kernel: one system
		 * call for each wait instead of a read, a poll, a read. */
		if (!srv->tls)
			stream_block(s);
		http_serve_stream(srv, s, peer);
	}
	stream_free(s);
	tls_report_clear(&rep);
	http_linger_close(in, out);
	return rc;
}

/* ---- requests ---- */

const char *http_header(const struct http_request *req, const char *name)
{
	int c0 = tolower((unsigned char)name[0]);

	/* The first letter first: most names differ there. */
	for (size_t i = 0; i < req->nheaders; i++)
		if (tolower((unsigned char)req->headers[i].name[0]) == c0 &&
		    strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static bool param_next(const char **p, const char **k, size_t *kl, const char **v, size_t *vl,
		       char sep)
{
	const char *s = *p, *end, *eq;

	while (*s == sep || *s == ' ')
		s++;
	if (*s == 0)
		return false;
	end = strchr(s, sep);
	if (end == NULL)
		end = s + strlen(s);
	eq = memchr(s, '=', (size_t)(end - s));
	*k = s;
	*kl = eq ? (size_t)(eq - s) : (size_t)(end - s);
	*v = eq ? eq + 1 : end;
	*vl = (size_t)(end - *v);
	*p = end;
	return true;
}

bool http_query_param(const struct http_request *req, const char *name, struct strbuf *out)
{
	const char *p = req->query, *k, *v;
	size_t kl, vl;
	struct strbuf key = STRBUF_INIT;
	bool found = false;

	strbuf_reset(out);
	while (!found && param_next(&p, &k, &kl, &v, &vl, '&')) {
		strbuf_reset(&key);
		http_pct_decode(&key, k, kl, true);
		if (key.len && strcmp(key.buf, name) == 0) {
			http_pct_decode(out, v, vl, true);
			found = true;
		}
	}
	strbuf_release(&key);
	return found;
}

bool http_cookie_get(const struct http_request *req, const char *name, struct strbuf *out)
{
	size_t nl = strlen(name);

	strbuf_reset(out);
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *p = req->headers[i].value, *k, *v;
		size_t kl, vl;

		if (strcasecmp(req->headers[i].name, "Cookie") != 0)
			continue;
		while (param_next(&p, &k, &kl, &v, &vl, ';')) {
			if (kl == nl && memcmp(k, name, nl) == 0) {
				if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
					v++;
					vl -= 2;
				}
				strbuf_add(out, v, vl);
				return true;
			}
		}
	}
	return false;
}

void http_set_timeouts(struct http_request *req, long long read_ms, long long send_ms)
{
	if (read_ms > 0)
		req->conn->read_timeout = read_ms;
	if (send_ms > 0)
		req->conn->send_timeout = send_ms;
}

/* ---- input: the bytes read ahead first, then the stream ---- */

/* A line from c->pre as stream_getline gives one. In the event loop the
 * stream is never waited on: past the bytes read ahead it is as if the
 * wait had timed out (or the client had closed), which is what the loop
 * saw. Elsewhere a line begun in them ends with the stream's. */
static int conn_getline(struct http_conn *c, struct strbuf *line)
{
	const char *p, *nl;
	size_t left, n;
	int rc;

	if (!c->pre || c->pre_off >= c->pre->len) {
		if (c->loop)
			return c->pre_eof ? STREAM_EOF : STREAM_TIMEOUT;
		return stream_getline(c->s, line);
	}
	p = c->pre->buf + c->pre_off;
	left = c->pre->len - c->pre_off;
	nl = memchr(p, '\n', left);
	n = nl ? (size_t)(nl - p) : left;
	c->pre_off += nl ? n + 1 : n;
	/* One line of every request's head: one capacity check, a copy. */
	if (line->alloc < n + 1) {
		strbuf_reset(line);
		strbuf_grow(line, n);
	}
	memcpy(line->buf, p, n);
	line->buf[line->len = n] = 0;
	if (!nl && c->loop) {
		return c->pre_eof ? STREAM_EOF : STREAM_TIMEOUT;
	} else if (!nl) {
		struct strbuf rest = STRBUF_INIT;

		rc = stream_getline(c->s, &rest);
		strbuf_add(line, rest.buf ? rest.buf : "", rest.len);
		strbuf_release(&rest);
		if (rc != STREAM_OK && rc != STREAM_TOOLONG)
			return rc;
	} else if (n && p[n - 1] == '\r') {
		line->buf[line->len = n - 1] = 0;
	}
	if (line->len > HTTP_LINE_MAX) {
		strbuf_setlen(line, HTTP_LINE_MAX);
		return STREAM_TOOLONG;
	}
	return STREAM_OK;
}

static int conn_read_some(struct http_conn *c, void *buf, size_t max, size_t *got)
{
	if (c->pre && c->pre_off < c->pre->len) {
		size_t n = c->pre->len - c->pre_off < max ? c->pre->len - c->pre_off : max;

		memcpy(buf, c->pre->buf + c->pre_off, n);
		c->pre_off += n;
		*got = n;
		return STREAM_OK;
	}
	if (c->loop)
		return c->pre_eof ? STREAM_EOF : STREAM_TIMEOUT;
	return stream_read_some(c->s, buf, max, got);
}

static size_t conn_buffered(const struct http_conn *c)
{
	size_t n = c->pre && c->pre_off < c->pre->len ? c->pre->len - c->pre_off : 0;

	return n + (c->loop ? 0 : stream_buffered(c->s));
}

/* ---- bodies ---- */

void http_body_set_max(struct http_request *req, long long max)
{
	req->conn->body_max = max;
}

static long body_fail(struct http_conn *c, int status, const char *why)
{
	c->body_failed = true;
	c->body_status = status;
	snprintf(c->body_err, sizeof(c->body_err), "%s", why);
	c->res.close = true;
	return -1;
}

static long stream_fail(struct http_conn *c, int rc)
{
	if (rc == STREAM_TIMEOUT)
		return body_fail(c, 408, "timeout reading the body");
	if (rc == STREAM_EOF)
		return body_fail(c, 400, "the client closed before the end of the body");
	if (rc == STREAM_TOOLONG)
		return body_fail(c, 400, "chunk line too long");
	return body_fail(c, 400, "read error in the body");
}

/* The line after a chunk, then the next chunk's size line; or the trailers. */
static long next_chunk(struct http_conn *c, bool after_data)
{
	int rc;
	char *end;
	unsigned long long n;

	stream_set_timeout(c->s, c->read_timeout);
	if (after_data) {
		rc = conn_getline(c, &c->line);
		if (rc != STREAM_OK)
			return stream_fail(c, rc);
		if (c->line.len != 0)
			return body_fail(c, 400, "no CRLF after chunk data");
	}
	rc = conn_getline(c, &c->line);
	if (rc != STREAM_OK)
		return stream_fail(c, rc);
	if (c->line.len == 0 || !isxdigit((unsigned char)c->line.buf[0]))
		return body_fail(c, 400, "bad chunk size");
	for (size_t i = 0; i < c->line.len && isxdigit((unsigned char)c->line.buf[i]); i++)
		if (i >= 15)
			return body_fail(c, 400, "bad chunk size");
	n = strtoull(c->line.buf, &end, 16);
	if (*end != 0 && *end != ';' && *end != ' ' && *end != '\t')
		return body_fail(c, 400, "bad chunk size");
	if (n == 0) {
		/* Trailers: read and dropped, within limits. */
		for (int i = 0;; i++) {
			rc = conn_getline(c, &c->line);
			if (rc != STREAM_OK)
				return stream_fail(c, rc);
			if (c->line.len == 0)
				break;
			if (i >= HTTP_TRAILERS_MAX)
				return body_fail(c, 400, "too many trailer fields");
		}
		c->body_done = true;
		return 0;
	}
	c->left = (long long)n;
	return 1;
}

long http_body_read(struct http_request *req, void *buf, size_t max)
{
	struct http_conn *c = req->conn;
	size_t want, got = 0;
	int rc;

	if (c->body_failed)
		return -1;
	if (c->body_done || max == 0)
		return 0;
	if (req->expect_continue && !c->continue_sent && !c->res.started) {
		c->continue_sent = true;
		stream_puts(c->s, "HTTP/1.1 100 Continue\r\n\r\n");
		stream_set_timeout(c->s, c->send_timeout);
		if (stream_flush(c->s) != STREAM_OK)
			return body_fail(c, 400, "cannot send 100 Continue");
	}
	if (req->chunked && c->left == 0) {
		long r = next_chunk(c, c->body_got > 0);

		if (r <= 0)
			return r;
	}
	if (c->body_got + c->left > c->body_max)
		return body_fail(c, 413, "body larger than the limit");
	want = max;
	if ((long long)want > c->left)
		want = (size_t)c->left;
	stream_set_timeout(c->s, c->read_timeout);
	rc = conn_read_some(c, buf, want, &got);
	if (rc != STREAM_OK)
		return stream_fail(c, rc);
	c->left -= (long long)got;
	c->body_got += (long long)got;
	if (!req->chunked && c->left == 0)
		c->body_done = true;
	return (long)got;
}

int http_body_all(struct http_request *req, struct strbuf *out)
{
	char buf[16384];
	long n;

	while ((n = http_body_read(req, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

const char *http_body_error(const struct http_request *req)
{
	return req->conn->body_err;
}

int http_body_status(const struct http_request *req)
{
	return req->conn->body_status ? req->conn->body_status : 400;
}

/* ---- parsing ---- */

/* RFC 9110 tchar (digits, letters, !#$%&'*+-.^_`|~) as a bitmap: it
 * is asked of every byte of every header name. */
static inline bool is_tchar(int c)
{
	static const unsigned long long map[4] = { 0x03ff6cfa00000000ULL, 0x57ffffffc7fffffeULL };

	return (map[(unsigned char)c >> 6] >> (c & 63)) & 1;
}

/* Eight bytes at a time, for the bytes of a request line and of header
 * values (most of a head): whether any byte of w is below n (n <= 128),
 * is zero, or is 0x80 or above; exact as a whole, not which byte. A word
 * these flag is looked at byte by byte. */
#define BYTES(b) (0x0101010101010101ULL * (b))

static inline unsigned long long below(unsigned long long w, unsigned n)
{
	return (w - BYTES(n)) & ~w & BYTES(0x80);
}

/* A value's bytes are all visible, SP, HTAB or obs-text (>= 0x80). */
static bool value_ok(const char *s, size_t n)
{
	size_t i = 0;

	for (unsigned long long w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (below(w, 0x20) | below(w ^ BYTES(0x7f), 1))
			break;	/* a control, a tab or DEL among them */
	}
	for (; i < n; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

/* A request target's bytes are all visible ASCII. */
static bool target_ok(const char *s, size_t n)
{
	size_t i = 0;

	for (unsigned long long w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (below(w, 0x21) | (w & BYTES(0x80)) | below(w ^ BYTES(0x7f), 1))
			break;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Stores s[0..n) in c->store; returns the offset (pointers are made once
 * the store stops growing). */
static size_t keep(struct http_conn *c, const char *s, size_t n)
{
	struct strbuf *sb = &c->store;
	size_t off = sb->len;

	if (sb->alloc < sb->len + n + 2)
		strbuf_grow(sb, n + 1);
	memcpy(sb->buf + off, s, n);	/* the bytes and their NUL, one copy */
	sb->buf[off + n] = 0;
	sb->len = off + n + 1;
	sb->buf[sb->len] = 0;
	return off;
}

/* One request head as offsets into c->store. Kept by the connection and
 * reused (the header table is large): one_request clears the part
 * before h. */
struct parsed {
	const char *check;	/* the rule's limit a header broke */
	size_t method, target, raw_path, path, query;
	size_t nh;
	size_t hdr_bytes, longest;
	struct { size_t name, value; } h[HTTP_HEADERS_MAX];
};

/* "METHOD SP target SP HTTP/1.x". Returns 0 or the status to answer. */
static int parse_request_line(struct http_conn *c, struct parsed *p)
{
	char *l = c->line.buf, *sp1, *sp2, *t, *q;
	size_t ml;

	sp1 = strchr(l, ' ');
	if (sp1 == NULL || sp1 == l)
		return 400;
	ml = (size_t)(sp1 - l);
	for (size_t i = 0; i < ml; i++)
		if (!is_tchar((unsigned char)l[i]))
			return 400;
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL || sp2 == sp1 + 1 || strchr(sp2 + 1, ' '))
		return 400;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		c->req.version = 11;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		c->req.version = 10;
	else if (strncmp(sp2 + 1, "HTTP/", 5) == 0)
		return 505;
	else
		return 400;
	t = sp1 + 1;
	*sp2 = 0;
	if (!target_ok(t, (size_t)(sp2 - t)))	/* no NUL before sp2: strchr found it */
		return 400;
	p->method = keep(c, l, ml);
	p->target = keep(c, t, (size_t)(sp2 - t));
	/* Absolute form (a proxy's): only the path counts. */
	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		t = strchr(strchr(t, ':') + 3, '/');
		if (t == NULL)
			t = "/";
	}
	if (t[0] != '/' && strcmp(t, "*") != 0)
		return 400;
	q = strchr(t, '?');
	p->raw_path = keep(c, t, q ? (size_t)(q - t) : strlen(t));
	p->query = keep(c, q ? q + 1 : "", q ? strlen(q + 1) : 0);
	/* Decoded straight into the store, where a NUL it made is refused. */
	p->path = c->store.len;
	http_pct_decode(&c->store, t, q ? (size_t)(q - t) : strlen(t), false);
	if (memchr(c->store.buf + p->path, 0, c->store.len - p->path))
		return 400;
	strbuf_addch(&c->store, 0);
	return 0;
}

static int parse_header(struct http_conn *c, struct parsed *p)
{
	char *l = c->line.buf, *colon, *v, *e;

	if (l[0] == ' ' || l[0] == '\t')
		return 400;	/* obsolete line folding: a smuggling vector */
	colon = strchr(l, ':');
	if (colon == NULL || colon == l)
		return 400;
	for (char *x = l; x < colon; x++)
		if (!is_tchar((unsigned char)*x))
			return 400;
	/* The value to the line's end: a NUL in it is a control too. */
	if (!value_ok(colon + 1, (size_t)(l + c->line.len - colon - 1)))
		return 400;
	if ((long long)p->nh >= c->rule->headers_count_max || p->nh >= HTTP_HEADERS_MAX) {
		p->check = "headers_count_max";
		return 400;
	}
	if ((long long)c->line.len > c->rule->header_line_max) {
		p->check = "header_line_max";
		return 400;
	}
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = l + c->line.len;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	p->h[p->nh].name = keep(c, l, (size_t)(colon - l));
	p->h[p->nh].value = keep(c, v, (size_t)(e - v));
	p->nh++;
	p->hdr_bytes += c->line.len + 2;
	if (c->line.len > p->longest)
		p->longest = c->line.len;
	if ((long long)p->hdr_bytes > c->rule->headers_size_max) {
		p->check = "headers_size_max";
		return 400;
	}
	return 0;
}

static bool token_in(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (strncasecmp(p, tok, n) == 0 && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

/* Framing and the headers the layer itself uses. 0 or a status. */
static int framing(struct http_conn *c)
{
	struct http_request *r = &c->req;
	const char *cl = NULL, *te = NULL, *host = NULL, *conn, *ex;

	for (size_t i = 0; i < r->nheaders; i++) {
		const char *n = r->headers[i].name, *v = r->headers[i].value;

		switch (n[0] | 0x20) {
		case 'c': case 't': case 'h':
			break;
		default:
			continue;	/* none of the three */
		}
		if (strcasecmp(n, "Content-Length") == 0) {
			if (cl && strcmp(cl, v) != 0)
				return 400;
			cl = v;
		} else if (strcasecmp(n, "Transfer-Encoding") == 0) {
			if (te)
				return 400;
			te = v;
		} else if (strcasecmp(n, "Host") == 0) {
			if (host)
				return 400;
			host = v;
		}
	}
	if (r->version == 11 && host == NULL)
		return 400;
	r->host = host ? host : "";
	r->content_length = -1;
	if (te) {
		if (cl || r->version == 10)
			return 400;
		if (strcasecmp(te, "chunked") != 0)
			return 501;
		r->chunked = true;
	} else if (cl) {
		char *end;

		if (!isdigit((unsigned char)cl[0]) || strlen(cl) > 18)
			return 400;
		r->content_length = strtoll(cl, &end, 10);
		if (*end)
			return 400;
	}
	conn = http_header(r, "Connection");
	if (token_in(conn, "close") || (r->version == 10 && !token_in(conn, "keep-alive")))
		c->res.close = true;
	ex = http_header(r, "Expect");
	if (ex) {
		if (strcasecmp(ex, "100-continue") != 0)
			return 417;
		r->expect_continue = r->version == 11;
	}
	return 0;
}

/* Believes X-Forwarded-For and -Proto only from a trusted proxy: the
 * rightmost address that is not itself one of our proxies is the client. */
static void forwarded(struct http_conn *c)
{
	struct http_request *r = &c->req;
	const struct http_strs *px = &c->srv->lim.proxies;
	const char *xff, *proto;
	char buf[HTTP_LINE_MAX];
	const char *peer = c->peer->host[0] ? c->peer->host : c->peer->addr;
	size_t n = strnlen(peer, sizeof(c->client_ip) - 1);

	memcpy(c->client_ip, peer, n);	/* what snprintf "%s" did, without printf */
	c->client_ip[n] = 0;
	r->client_ip = c->client_ip;
	r->secure = stream_is_tls(c->s);
	if (px->n == 0 || !http_cidr_match(c->client_ip, (const char *const *)px->v, px->n))
		return;
	r->from_proxy = true;
	proto = http_header(r, "X-Forwarded-Proto");
	if (proto)
		r->secure = strcasecmp(proto, "https") == 0;
	xff = http_header(r, "X-Forwarded-For");
	if (xff == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", xff);
	for (;;) {
		char *comma = strrchr(buf, ','), *ip = comma ? comma + 1 : buf, *e;
		unsigned char tmp[16];

		while (*ip == ' ' || *ip == '\t')
			ip++;
		e = ip + strlen(ip);
		while (e > ip && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (inet_pton(AF_INET, ip, tmp) != 1 && inet_pton(AF_INET6, ip, tmp) != 1)
			return;	/* garbage: keep the last good one */
		snprintf(c->client_ip, sizeof(c->client_ip), "%.*s", (int)sizeof(c->client_ip) - 1, ip);
		if (comma == NULL || !http_cidr_match(ip, (const char *const *)px->v, px->n))
			return;
		*comma = 0;
	}
}

/* Reads one request head. Returns 0, -1 to close silently (EOF, idle
 * timeout), or the status to answer before closing. */
static int read_head(struct http_conn *c, struct parsed *p)
{
	struct http_server *srv = c->srv;
	long long deadline = 0;
	int rc, st;

	/* Between requests, the idle timeout; once a byte came, the header
	 * deadline covers the whole head however slowly it trickles. */
	for (int blank = 0;; blank++) {
		stream_set_timeout(c->s, c->req.serial == 1 ? srv->lim.header_timeout
				   : srv->lim.idle_timeout);
		rc = conn_getline(c, &c->line);
		if (rc == STREAM_TIMEOUT && c->line.len > 0)
			return 408;
		if (rc == STREAM_EOF || rc == STREAM_TIMEOUT || rc == STREAM_ERR)
			return c->line.len && rc == STREAM_EOF ? 400 : -1;
		if (rc == STREAM_TOOLONG)
			return 414;
		if (c->line.len > 0)
			break;
		if (blank >= 4)
			return 400;
	}
	deadline = clock_ms() + srv->lim.header_timeout;
	stream_set_timeout(c->s, srv->lim.header_timeout);
	if ((st = parse_request_line(c, p)) != 0)
		return st;
	/* The path picks the rule whose header limits apply from here on. */
	c->rule = http_rule_find(srv, c->store.buf + p->path);
	for (;;) {
		/* The clock is asked only when the next line may have to be
		 * waited for: lines already read ahead take microseconds. */
		if (conn_buffered(c) == 0) {
			long long left = deadline - clock_ms();

			if (left <= 0)
				return 408;
			stream_set_timeout(c->s, left);
		}
		rc = conn_getline(c, &c->line);
		if (rc == STREAM_TIMEOUT)
			return 408;
		if (rc == STREAM_TOOLONG)
			return 431;
		if (rc != STREAM_OK)
			return rc == STREAM_EOF ? 400 : -1;
		if (c->line.len == 0)
			return 0;
		if ((st = parse_header(c, p)) != 0)
			return st;
	}
}

static void fill_request(struct http_conn *c, struct parsed *p)
{
	struct http_request *r = &c->req;
	char *b = c->store.buf;

	r->method = b + p->method;
	r->target = b + p->target;
	r->raw_path = b + p->raw_path;
	r->path = b + p->path;
	r->query = b + p->query;
	/* The connection's table, grown when needed, not one per request. */
	xgrow((void **)&c->hdrs, &c->ahdrs, p->nh + 1, sizeof(*c->hdrs));
	r->headers = c->hdrs;
	for (size_t i = 0; i < p->nh; i++) {
		r->headers[i].name = b + p->h[i].name;
		r->headers[i].value = b + p->h[i].value;
	}
	r->nheaders = p->nh;
}

/* ---- routing ---- */

static bool route_path_match(const struct http_route *rt, const char *path)
{
	size_t n = strlen(rt->prefix);

	if (rt->flags & HTTP_ROUTE_EXACT)
		return (rt->flags & HTTP_ROUTE_NOCASE) ? strcasecmp(path, rt->prefix) == 0
			: strcmp(path, rt->prefix) == 0;
	return (rt->flags & HTTP_ROUTE_NOCASE) ? strncasecmp(path, rt->prefix, n) == 0
		: strncmp(path, rt->prefix, n) == 0;
}

static bool route_method_match(const struct http_route *rt, const char *method)
{
	return strcmp(rt->method, "*") == 0 || strcmp(rt->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

/* The route, or NULL with *status 404 or 405 (and Allow set). Among
 * the routes whose prefix matches, the longest prefix owns the path; the
 * first of those that takes the method serves it. */
static const struct http_route *route_find(struct http_conn *c, int *status)
{
	struct http_server *srv = c->srv;
	size_t best_len = 0;
	bool seen = false;
	struct strbuf allow = STRBUF_INIT;

	for (size_t i = 0; i < srv->nroutes; i++) {
		size_t n = strlen(srv->routes[i].prefix);

		if (route_path_match(&srv->routes[i], c->req.path) && (!seen || n > best_len)) {
			best_len = n;
			seen = true;
		}
	}
	*status = 404;
	if (!seen)
		return NULL;
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route *rt = &srv->routes[i];

		if (strlen(rt->prefix) == best_len && route_path_match(rt, c->req.path) &&
		    route_method_match(rt, c->req.method))
			return rt;
	}
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route *rt = &srv->routes[i];

		if (strlen(rt->prefix) == best_len && route_path_match(rt, c->req.path))
			strbuf_addf(&allow, "%s%s", allow.len ? ", " : "", rt->method);
	}
	*status = 405;
	http_resp_header(&c->res, "Allow", allow.buf);
	strbuf_release(&allow);
	return NULL;
}

/* ---- the connection loop ---- */

/* msg_q(s), without its copy when s needs no quotes and is not cut (the
 * request line is logged for every request). */
static const char *log_q(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] <= ' ' || s[n] == '"' || s[n] == '=' || s[n] == '\\' ||
		    (unsigned char)s[n] == 0x7f || n >= 500)
			return msg_q(s);
	return n ? s : msg_q(s);
}

static void log_request(struct http_conn *c, long long t0)
{
	struct http_request *r = &c->req;

	if (!msg_enabled(MSG_INFO))
		return;
	msg_info("request method=%s path=%s status=%d bytes=%lld client=%s rule=%s ms=%lld",
		 log_q(r->method ? r->method : "-"), log_q(r->raw_path ? r->raw_path : "-"),
		 c->res.status, c->res.started && c->res.length < 0 ? c->res.sent
		 : c->res.length < 0 ? 0 : c->res.length, c->client_ip,
		 log_q(c->rule ? c->rule->name : "-"), clock_ms() - t0);
}

/* Answers an error the layer found itself; the connection then closes. */
static void answer(struct http_conn *c, int status)
{
	http_resp_error(&c->res, status, NULL);
	c->res.close = true;
	if (c->req.method == NULL)
		c->req.method = "GET";	/* for HEAD detection when unparsed */
}

static void drain(struct http_conn *c)
{
	char buf[16384];
	long n;

	if (c->res.close || c->body_done || c->body_failed)
		return;
	if (c->req.expect_continue && !c->continue_sent) {
		/* The client may or may not send the body now: only a close
		 * is safe. */
		c->res.close = true;
		return;
	}
	if (!c->req.chunked && c->req.content_length <= 0)
		return;
	c->read_timeout = c->srv->lim.body_timeout;
	while ((n = http_body_read(&c->req, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		c->res.close = true;
}

/* A request's end once its handler is done: the response finished,
 * its log line, the body left unread. Returns true to keep the
 * connection for another. */
static bool request_end(struct http_conn *c)
{
	if (c->req.serial >= (unsigned)c->srv->lim.max_requests)
		c->res.close = true;
	/* A body the handler left unread and cannot be skipped safely. */
	if (!c->res.close && !c->body_done && c->req.expect_continue && !c->continue_sent)
		c->res.close = true;
	http_resp_finish(&c->res);
	log_request(c, c->t0);
	drain(c);
	return !c->res.close && !c->res.failed;
}

/* A handler's return: -1 closes after the response; HTTP_DEFERRED with
 * a continuation set waits for it. */
static enum http_req_end handled(struct http_conn *c, int rc)
{
	if (rc == HTTP_DEFERRED && c->defer.fn)
		return HTTP_REQ_DEFER;
	if (rc == HTTP_DEFERRED)
		msg_panic("http handler returned HTTP_DEFERRED without http_defer");
	c->defer.fn = NULL;
	if (rc < 0)
		c->res.close = true;
	return request_end(c) ? HTTP_REQ_KEEP : HTTP_REQ_CLOSE;
}

/* One request: read, check, route, handle, respond. */
static enum http_req_end one_request(struct http_conn *c, struct parsed *p)
{
	const struct http_route *rt = NULL;
	const char *check = NULL;
	int st;

	c->t0 = clock_ms();
	memset(p, 0, offsetof(struct parsed, h));
	st = read_head(c, p);
	if (st < 0)
		return HTTP_REQ_CLOSE;
	c->t0 = clock_ms();
	if (st == 0) {
		fill_request(c, p);
		st = framing(c);
	}
	if (st == 0) {
		forwarded(c);
		c->rule = http_rule_find(c->srv, c->req.path);
		st = http_rule_check(c->rule, &c->req, p->hdr_bytes, p->longest, &check);
		if (st == 405) {
			struct strbuf allow = STRBUF_INIT;

			for (size_t i = 0; i < c->rule->methods.n; i++)
				strbuf_addf(&allow, "%s%s", i ? ", " : "", c->rule->methods.v[i]);
			http_resp_header(&c->res, "Allow", allow.buf ? allow.buf : "");
			strbuf_release(&allow);
		}
		if (st) {
			msg_warn("refused rule=%s check=%s status=%d method=%s path=%s client=%s",
				 msg_q(c->rule->name), check, st, msg_q(c->req.method),
				 msg_q(c->req.raw_path), c->client_ip);
			answer(c, st);
		}
	} else if (p->check) {
		msg_warn("refused rule=%s check=%s status=%d method=%s path=%s client=%s",
			 msg_q(c->rule->name), p->check, st, msg_q(c->store.buf + p->method),
			 msg_q(c->store.buf + p->raw_path), c->client_ip);
		answer(c, st);
	} else {
		msg_warn("bad request status=%d client=%s", st, c->client_ip);
		answer(c, st);
	}
	if (st == 0) {
		c->body_max = c->rule->body_max;
		c->left = c->req.chunked ? 0 : c->req.content_length > 0 ? c->req.content_length : 0;
		c->body_done = !c->req.chunked && c->left == 0;
		rt = route_find(c, &st);
		if (rt == NULL) {
			http_resp_error(&c->res, st, NULL);
		} else {
			c->req.prefix = rt->prefix;
			c->req.rule = c->rule->name;
			return handled(c, rt->fn(&c->req, &c->res, rt->user));
		}
	}
	return handled(c, 0);
}

static void conn_reset(struct http_conn *c, unsigned serial)
{
	memset(&c->req, 0, sizeof(c->req));
	strbuf_reset(&c->store);
	c->req.serial = serial;
	c->req.conn = c;
	c->req.peer = c->peer;
	c->req.stream = c->s;
	c->req.client_ip = c->client_ip;
	c->req.query = "";
	c->req.host = "";
	c->req.content_length = -1;
	c->rule = NULL;
	c->body_max = c->body_got = c->left = 0;
	c->body_done = c->body_failed = c->continue_sent = c->last_chunk = false;
	c->body_status = 0;
	c->body_err[0] = 0;
	c->read_timeout = c->srv->lim.body_timeout;
	c->send_timeout = c->srv->lim.send_timeout;
	http_resp_reset(&c->res, c);
}

int http_serve_stream(struct http_server *srv, struct stream *s, const struct serve_peer *peer)
{
	struct http_conn c;
	struct parsed *p = xmalloc(sizeof(*p));
	unsigned serial = 1;

	memset(&c, 0, sizeof(c));
	c.keep.fd = -1;
	c.srv = srv;
	c.s = s;
	c.peer = peer;
	strbuf_init(&c.line, 0);
	strbuf_init(&c.store, 0);
	snprintf(c.client_ip, sizeof(c.client_ip), "%s", peer->host[0] ? peer->host : peer->addr);
	conn_reset(&c, serial);
	while (one_request(&c, p) == HTTP_REQ_KEEP)
		conn_reset(&c, ++serial);
	free(p);
	http_conn_release(&c);
	return 0;
}

/* ---- the event loop's side (loop.c) ---- */

bool http_loop(const struct http_request *req)
{
	return req->conn->loop;
}

void http_defer(struct http_request *req, int fd, unsigned events, long long timeout_ms,
		http_resume_fn fn, void *arg)
{
	struct http_conn *c = req->conn;

	if (!c->loop)
		msg_panic("http_defer outside the event loop");
	c->defer.fn = fn;
	c->defer.arg = arg;
	c->defer.fd = fd;
	c->defer.events = events;
	c->defer.timeout_ms = timeout_ms;
}

struct http_keep *http_conn_keep(struct http_request *req)
{
	return &req->conn->keep;
}

void http_conn_init(struct http_conn *c, struct http_server *srv, struct stream *s,
		    const struct serve_peer *peer)
{
	memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->s = s;
	c->peer = peer;
	c->keep.fd = -1;
	strbuf_init(&c->line, 0);
	strbuf_init(&c->store, 0);
	snprintf(c->client_ip, sizeof(c->client_ip), "%s", peer->host[0] ? peer->host : peer->addr);
	conn_reset(c, 1);
}

enum http_req_end http_conn_request(struct http_conn *c)
{
	static struct parsed *p;	/* only within the call: one for the loop */

	if (!p)
		p = xmalloc(sizeof(*p));
	return one_request(c, p);
}

enum http_req_end http_conn_resume(struct http_conn *c, enum http_resume how)
{
	int rc = c->defer.fn(&c->req, &c->res, c->defer.arg, how);

	if (rc == HTTP_AGAIN && how != HTTP_RESUME_BLOCKING)
		return HTTP_REQ_DEFER;
	if (rc == HTTP_HANDOFF && how != HTTP_RESUME_BLOCKING)
		return HTTP_REQ_HANDOFF;
	if (rc == HTTP_AGAIN || rc == HTTP_HANDOFF || rc == HTTP_DEFERRED)
		msg_panic("http resume: %d from a blocking continuation", rc);
	c->defer.fn = NULL;
	return handled(c, rc);
}

void http_conn_next(struct http_conn *c)
{
	conn_reset(c, c->req.serial + 1);
}

void http_conn_serve_rest(struct http_conn *c)
{
	struct parsed *p = xmalloc(sizeof(*p));
	enum http_req_end end = HTTP_REQ_KEEP;

	c->loop = false;
	c->out = NULL;	/* empty: the loop hands a connection off between answers */
	if (!c->srv->tls)
		stream_block(c->s);
	if (c->defer.fn)
		end = http_conn_resume(c, HTTP_RESUME_BLOCKING);
	else
		end = one_request(c, p);
	while (end == HTTP_REQ_KEEP) {
		conn_reset(c, c->req.serial + 1);
		end = one_request(c, p);
	}
	free(p);
}

void http_conn_release(struct http_conn *c)
{
	free(c->hdrs);
	c->hdrs = NULL;
	http_resp_clear(&c->res);
	strbuf_release(&c->line);
	strbuf_release(&c->store);
	if (c->keep.fd >= 0)
		close(c->keep.fd);
	c->keep.fd = -1;
}
