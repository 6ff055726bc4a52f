/* Unit tests: lib/http's server over a socketpair, the server in a child
 * process: request parsing and its refusals, keep-alive and its idle timeout, HEAD, bodies by
 * Content-Length and chunked, 100-continue, streamed responses, the
 * publishing rules, the router (404, 405 with Allow), X-Forwarded-For
 * from trusted proxies only, and a connection taken over with bytes read
 * before (the event loop's hand-off: a line cut between them and the
 * socket). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http/http.h"
#include "http/http_int.h"
#include "util/mem.h"
#include "util/msg.h"
#include "tap.h"

static const struct conf_key keys[] = {
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
	{ NULL }
};
static const struct conf_section sec = { "autodiscover-gen", keys, "test" };
static const struct conf_section *const sections[] = { &sec, NULL };

static int h_hello(struct http_request *req, struct http_response *res, void *user)
{
	struct strbuf v = STRBUF_INIT;

	http_resp_header(res, "Content-Type", "text/plain");
	http_resp_printf(res, "hello %s %s", (const char *)user, req->client_ip);
	if (http_query_param(req, "name", &v))
		http_resp_printf(res, " name=%s", v.buf);
	if (req->secure)
		http_resp_puts(res, " secure");
	strbuf_release(&v);
	return 0;
}

static int h_echo(struct http_request *req, struct http_response *res, void *user)
{
	struct strbuf b = STRBUF_INIT;

	if (http_body_all(req, &b) < 0) {
		http_resp_error(res, http_body_status(req), http_body_error(req));
	} else {
		http_resp_printf(res, "got %zu:", b.len);
		http_resp_body(res, b.buf ? b.buf : "", b.len);
	}
	strbuf_release(&b);
	return 0;
}

static int h_stream(struct http_request *req, struct http_response *res, void *user)
{
	struct http_cookie ck = { "s", "abc", NULL, NULL, -1, true, true, HTTP_SAMESITE_STRICT };

	http_resp_cookie(res, &ck);
	http_resp_start(res, -1);
	http_resp_write(res, "part1,", 6);
	http_resp_flush(res);
	http_resp_write(res, "part2", 5);
	return 0;
}

static int h_deny(struct http_request *req, struct http_response *res, void *user)
{
	http_resp_error(res, 401, NULL);
	return 0;
}

static int h_cookie(struct http_request *req, struct http_response *res, void *user)
{
	struct strbuf v = STRBUF_INIT;

	if (http_cookie_get(req, "sid", &v))
		http_resp_printf(res, "sid=[%s]", v.buf);
	if (http_cookie_get(req, "q", &v))
		http_resp_printf(res, " q=[%s]", v.buf);
	if (!http_cookie_get(req, "none", &v))
		http_resp_puts(res, " none=absent");
	strbuf_release(&v);
	return 0;
}

/* Whether the server's stream blocks in the kernel (stream_block, as
 * http_server_session makes a plain connection's) or polls. */
static bool blocking;
/* When set, the session starts with these bytes as read before it
 * (http_conn_serve_rest, as a process the event loop handed it to). */
static const char *pre_read;

/* Runs the server in a child on one end of a socketpair with config
 * text; returns the other end, *pid the child. -1 for a bad config. */
static int server_start(const char *conf_text, struct conf **cp, pid_t *pid)
{
	struct conf *c = conf_load_string(conf_text, strlen(conf_text), "t.json", sections, stderr);
	int sv[2];

	*cp = c;
	if (c == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(1);
	*pid = fork();
	if (*pid == 0) {
		struct http_server *srv = http_server_new(conf_section(c, "autodiscover-gen"), "t");
		struct serve_peer peer = { .addr = "10.1.2.3:1234", .host = "10.1.2.3", .port = 1234 };
		struct stream *s;

		close(sv[1]);
		if (srv == NULL)
			_exit(2);
		http_route(srv, "GET", "/hello", 0, h_hello, "world");
		http_route(srv, "POST", "/echo", 0, h_echo, NULL);
		http_route(srv, "GET", "/stream", 0, h_stream, NULL);
		http_route(srv, "POST", "/deny", 0, h_deny, NULL);
		http_route(srv, "GET", "/cookie", HTTP_ROUTE_EXACT, h_cookie, NULL);
		http_route(srv, "GET", "/Microsoft-Server-ActiveSync", HTTP_ROUTE_NOCASE, h_hello, "eas");
		s = stream_new(sv[0], sv[0], 1000, HTTP_LINE_MAX);
		if (blocking && !stream_block(s))
			_exit(3);
		if (pre_read) {
			struct http_conn hc;
			struct strbuf pre = STRBUF_INIT;

			strbuf_addstr(&pre, pre_read);
			http_conn_init(&hc, srv, s, &peer);
			hc.pre = &pre;
			http_conn_serve_rest(&hc);
			http_conn_release(&hc);
			strbuf_release(&pre);
		} else {
			http_serve_stream(srv, s, &peer);
		}
		stream_free(s);
		http_server_free(srv);
		_exit(0);
	}
	close(sv[0]);
	return sv[1];
}

/* Sends req to a server with config text and returns what came back
 * (caller frees). */
static char *roundtrip(const char *conf_text, const char *req, size_t req_len)
{
	struct conf *c;
	struct strbuf out = STRBUF_INIT;
	pid_t pid;
	int fd = server_start(conf_text, &c, &pid);

	if (fd < 0)
		return xstrdup("(bad config)");
	if (write(fd, req, req_len) != (ssize_t)req_len)
		exit(1);
	shutdown(fd, SHUT_WR);	/* the server sees the end at once */
	strbuf_read_fd(&out, fd, 1 << 20);
	close(fd);
	waitpid(pid, NULL, 0);
	conf_free(c);
	return strbuf_detach(&out, NULL) ?: xstrdup("");
}

static char *rt(const char *conf_text, const char *req)
{
	return roundtrip(conf_text, req, strlen(req));
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

#define BASIC "{\"autodiscover-gen\": {\"idle_timeout\": \"300ms\", \"header_timeout\": \"500ms\"}}"

/* One request with byte b at offset at of a 42-byte header value (or of
 * the target's query): its status. The checks go eight bytes at a time,
 * so every place in a word and in the tail after the last whole word is
 * tried. A NUL is put in after the request is made. */
static int status_with(unsigned char b, size_t at, bool in_target)
{
	char v[43], req[160];
	size_t n;
	int status;
	char *r;

	memset(v, 'a', sizeof(v) - 1);
	v[sizeof(v) - 1] = 0;
	if (in_target)
		snprintf(req, sizeof(req), "GET /hello?q=%s HTTP/1.1\r\nHost: x\r\n\r\n", v);
	else
		snprintf(req, sizeof(req), "GET /hello HTTP/1.1\r\nHost: x\r\nX-V: %s\r\n\r\n", v);
	n = strlen(req);
	req[strstr(req, v) - req + (ptrdiff_t)at] = (char)b;
	r = roundtrip(BASIC, req, n);
	status = strncmp(r, "HTTP/1.1 ", 9) == 0 ? atoi(r + 9) : -1;
	free(r);
	return status;
}

static void test_bytes(void)
{
	static const unsigned char bad_value[] = { 0x00, 0x01, 0x0b, 0x1f, 0x7f, '\r' };
	static const unsigned char bad_target[] = { 0x01, 0x7f, 0x80, 0xff, '\t' };
	bool values = true, targets = true;

	for (size_t at = 0; at < 42; at++) {
		unsigned char bv = bad_value[at % sizeof(bad_value)];
		unsigned char bt = bad_target[at % sizeof(bad_target)];

		if (status_with(bv, at, false) != 400 || status_with(0x7f, at, false) != 400) {
			printf("# value byte 0x%02x or DEL at %zu not refused\n", bv, at);
			values = false;
		}
		if (status_with('\t', at, false) != 200 || status_with(0xe9, at, false) != 200) {
			printf("# tab or obs-text at %zu refused\n", at);
			values = false;
		}
		if (status_with(bt, at, true) != 400 || status_with(0x80, at, true) != 400) {
			printf("# target byte 0x%02x or 0x80 at %zu not refused\n", bt, at);
			targets = false;
		}
	}
	ok(values, "header values: NUL, controls and DEL refused, tab and obs-text taken, at every offset");
	ok(targets, "request targets: controls, DEL and bytes above 0x7f refused at every offset");
}

static void test_basic(void)
{
	char *r;

	r = rt(BASIC, "GET /hello?name=a%20b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "GET: 200 status line");
	ok(strstr(r, "\r\nDate: ") != NULL, "Date header");
	ok(strstr(r, "\r\nContent-Length: 29\r\n") != NULL, "Content-Length");
	ok(strstr(r, "\r\nConnection: close\r\n") != NULL, "Connection: close echoed");
	ok(strstr(r, "\r\nX-Content-Type-Options: nosniff\r\n") != NULL, "security headers");
	ok(strstr(r, "\r\n\r\nhello world 10.1.2.3 name=a b") != NULL, "body with decoded query");
	free(r);

	r = rt(BASIC, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
	       "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
	is_int(count(r, "HTTP/1.1 200 OK"), 2, "keep-alive: two answers on one connection");
	is_int(count(r, "hello world"), 1, "HEAD has no body");
	ok(strstr(r, "HTTP/1.1 404 Not Found") != NULL, "third request: 404");
	free(r);

	r = rt(BASIC, "GET /hello HTTP/1.0\r\n\r\nGET /hello HTTP/1.0\r\n\r\n");
	is_int(count(r, "HTTP/1.1 200"), 1, "HTTP/1.0 without keep-alive closes");
	free(r);

	r = rt(BASIC, "GET /hello HTTP/1.1\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "HTTP/1.1 without Host: 400");
	free(r);
	r = rt(BASIC, "GET /hello HTTP/2.0\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 505 ", 13) == 0, "HTTP/2.0 request line: 505");
	free(r);
	r = rt(BASIC, "GET /hello HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "obsolete line folding: 400");
	free(r);
	r = rt(BASIC, "GET /hello HTTP/1.1\r\nHost : x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "space before the colon: 400");
	free(r);
	r = rt(BASIC, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "Content-Length with chunked: 400");
	free(r);
	r = rt(BASIC, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "two Content-Length values: 400");
	free(r);
	r = rt(BASIC, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 501 ", 13) == 0, "unknown transfer coding: 501");
	free(r);
	r = rt(BASIC, "GET /hello HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "two Host headers: 400");
	free(r);
	test_bytes();
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One request on a kept-alive connection, then after wait_ms the bytes
 * of more (or nothing); what came back in *out, the milliseconds from
 * the first answer to the server's close returned. */
static long long idle_session(const char *more, long long wait_ms, struct strbuf *out)
{
	static const char first[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	struct conf *c;
	pid_t pid;
	int fd = server_start("{\"autodiscover-gen\": {\"idle_timeout\": \"1s\", "
			      "\"header_timeout\": \"5s\"}}", &c, &pid);
	char buf[4096];
	long long t0;
	ssize_t n;

	if (fd < 0 || write(fd, first, sizeof(first) - 1) != (ssize_t)sizeof(first) - 1)
		exit(1);
	n = read(fd, buf, sizeof(buf));	/* the first answer, in one write */
	if (n > 0)
		strbuf_add(out, buf, (size_t)n);
	t0 = now_ms();
	usleep((useconds_t)wait_ms * 1000);
	if (*more && write(fd, more, strlen(more)) != (ssize_t)strlen(more))
		exit(1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	t0 = now_ms() - t0;
	close(fd);
	waitpid(pid, NULL, 0);
	conf_free(c);
	return t0;
}

/* The wait between two requests: the idle timeout closes a quiet
 * connection; one where a request began and was left unfinished is
 * closed too when the idle timeout (not the header timeout, not a new
 * idle timeout from the first byte) runs out; a request sent in time
 * is served. */
static void test_idle(void)
{
	struct strbuf out = STRBUF_INIT;
	long long ms;

	for (int b = 0; b < 2; b++) {
		const char *how = b ? "blocking" : "polled";

		blocking = b;
		strbuf_reset(&out);
		ms = idle_session("", 0, &out);
		is_int(count(out.buf, "HTTP/1.1 200 OK"), 1, "idle, %s: the first answer", how);
		ok(ms >= 900 && ms < 1800, "idle, %s: closed after the idle timeout (%lld ms)", how, ms);
		ok(strstr(out.buf, "408") == NULL, "idle, %s: closed without an answer", how);
		strbuf_reset(&out);
		ms = idle_session("GET /hel", 700, &out);
		is_int(count(out.buf, "HTTP/1.1 "), 1, "idle, %s: an unfinished request line: no answer",
		       how);
		ok(ms >= 900 && ms < 1600, "idle, %s: closed when the idle timeout ran out (%lld ms)",
		   how, ms);
		strbuf_reset(&out);
		ms = idle_session("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 700,
				  &out);
		is_int(count(out.buf, "HTTP/1.1 200 OK"), 2,
		       "idle, %s: a request within the idle timeout served", how);
		/* at once: not after the 5 s header timeout (the bound leaves
		 * room for a busy machine's scheduling) */
		ok(ms >= 650 && ms < 1500, "idle, %s: and answered at once (%lld ms)", how, ms);
	}
	blocking = false;
	strbuf_release(&out);
}

static void test_bodies(void)
{
	char *r;

	r = rt(BASIC, "GET /cookie HTTP/1.1\r\nHost: x\r\nCookie: a=1; sid=\"abc\"\r\nCookie: q=x=y\r\n\r\n");
	ok(strstr(r, "sid=[abc] q=[x=y] none=absent") != NULL, "cookies over two headers, quotes removed");
	free(r);
	r = rt(BASIC, "GET /cookie/more HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 404 ", 13) == 0, "an exact route is not a prefix");
	free(r);

	r = rt(BASIC, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
	       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n");
	ok(strstr(r, "got 5:hello") != NULL, "Content-Length body");
	ok(strstr(r, "got 5:abcde") != NULL, "chunked body after it, with a trailer");
	free(r);

	r = rt(BASIC, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	       "Content-Length: 2\r\n\r\nok");
	ok(strncmp(r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", 40) == 0,
	   "100 Continue before the answer");
	free(r);
	r = rt(BASIC, "POST /deny HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	       "Content-Length: 2\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 401 ", 13) == 0, "refused before the body: no 100 Continue");
	ok(strstr(r, "Connection: close") != NULL, "and the connection closes");
	free(r);
	r = rt(BASIC, "POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
	       "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strstr(r, "hello world") != NULL, "an unread body is skipped for keep-alive");
	free(r);

	r = rt("{\"autodiscover-gen\": {\"body_max\": 4}}",
	       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
	ok(strncmp(r, "HTTP/1.1 413 ", 13) == 0, "Content-Length over body_max: 413");
	free(r);
	r = rt("{\"autodiscover-gen\": {\"body_max\": 4}}",
	       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 413 ", 13) == 0, "chunked over body_max: 413");
	free(r);
	r = rt(BASIC, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "zz\r\nabc\r\n0\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "bad chunk size: 400");
	free(r);

	r = rt(BASIC, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strstr(r, "Transfer-Encoding: chunked\r\n") != NULL, "streamed: chunked");
	ok(strstr(r, "\r\n\r\n6\r\npart1,\r\n5\r\npart2\r\n0\r\n\r\n") != NULL, "the chunks");
	ok(strstr(r, "Set-Cookie: s=abc; Path=/; Secure; HttpOnly; SameSite=Strict\r\n") != NULL,
	   "cookie attributes");
	free(r);
	r = rt(BASIC, "GET /stream HTTP/1.0\r\n\r\n");
	ok(strstr(r, "Transfer-Encoding") == NULL && strstr(r, "\r\n\r\npart1,part2") != NULL,
	   "streamed to HTTP/1.0: until close");
	free(r);
}

static void test_rules(void)
{
	static const char conf[] = "{\"autodiscover-gen\": {"
		"\"trusted_proxies\": [\"10.1.0.0/16\"],"
		"\"rules\": [{\"path\": \"/Microsoft-Server-ActiveSync\", \"name\": \"eas\","
		" \"methods\": [\"POST\", \"OPTIONS\"]},"
		"{\"path\": \"/private\", \"action\": \"deny\"},"
		"{\"path\": \"/hello/x\", \"extensions\": [\"xml\"]}]}}";
	char long_url[1200], long_q[700], req[2000];
	char *r;

	memset(long_url, 'a', sizeof(long_url) - 1);
	long_url[sizeof(long_url) - 1] = 0;
	snprintf(req, sizeof(req), "GET /hello/%s HTTP/1.1\r\nHost: x\r\n\r\n", long_url);
	r = rt(conf, req);
	ok(strncmp(r, "HTTP/1.1 414 ", 13) == 0, "URL over 1024: 414");
	free(r);
	memset(long_q, 'q', sizeof(long_q) - 1);
	long_q[sizeof(long_q) - 1] = 0;
	snprintf(req, sizeof(req), "GET /hello?%s HTTP/1.1\r\nHost: x\r\n\r\n", long_q);
	r = rt(conf, req);
	ok(strncmp(r, "HTTP/1.1 414 ", 13) == 0, "query over 512: 414");
	free(r);
	r = rt(conf, "GET /hello/../etc HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 403 ", 13) == 0, "..: 403");
	free(r);
	r = rt(conf, "GET /hello/%2e%2e/etc HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 403 ", 13) == 0, "%%2e%%2e: 403");
	free(r);
	r = rt(conf, "GET /hello/%252e HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 403 ", 13) == 0, "double encoding: 403");
	free(r);
	r = rt(conf, "GET /hello\\x HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 403 ", 13) == 0, "backslash: 403");
	free(r);
	r = rt(conf, "PUT /microsoft-server-activesync HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 405 ", 13) == 0, "PUT to ActiveSync (any case): 405");
	ok(strstr(r, "\r\nAllow: POST, OPTIONS\r\n") != NULL, "with Allow");
	free(r);
	r = rt(conf, "GET /private/x HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 403 ", 13) == 0, "deny rule: 403");
	free(r);
	r = rt(conf, "GET /hello/x/a.exe HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/x/a.XML HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 403 ", 13) == 0, "extension not allowed: 403");
	free(r);
	r = rt(conf, "GET /hello/x/a.XML HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 200 ", 13) == 0, "allowed extension: 200");
	free(r);
	r = rt(conf, "DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 405 ", 13) == 0, "method outside the default list: 405");
	free(r);
	r = rt(conf, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 405 ", 13) == 0 && strstr(r, "Allow: GET\r\n"),
	   "router: no POST route: 405 with Allow: GET");
	free(r);

	r = rt(conf, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.9, 10.1.9.9\r\n"
	       "X-Forwarded-Proto: https\r\n\r\n");
	ok(strstr(r, "hello world 192.0.2.9 secure") != NULL,
	   "trusted proxy: X-Forwarded-For (skipping our proxies) and -Proto believed");
	free(r);
	r = rt(BASIC, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.9\r\n"
	       "X-Forwarded-Proto: https\r\n\r\n");
	ok(strstr(r, "hello world 10.1.2.3\r\n") == NULL && strstr(r, "hello world 10.1.2.3") &&
	   strstr(r, "secure") == NULL, "untrusted peer: forwarded headers ignored");
	free(r);
}

static void test_helpers(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *nets[] = { "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" };
	char d[30];

	http_xml_escape(&sb, "a&b<c>\"'");
	is_str(sb.buf, "a&amp;b&lt;c&gt;&quot;&apos;", "XML escape");
	strbuf_reset(&sb);
	http_pct_encode(&sb, "a b/ü");
	is_str(sb.buf, "a%20b%2F%C3%BC", "percent-encode");
	strbuf_reset(&sb);
	http_pct_decode(&sb, "%41%zz+%4", 9, true);
	is_str(sb.buf, "A%zz %4", "percent-decode keeps bad escapes");
	ok(http_hop_by_hop("connection", 10) && http_hop_by_hop("TE", 2) &&
	   http_hop_by_hop("Transfer-Encoding", 17) && http_hop_by_hop("Proxy-Authorization", 19),
	   "hop-by-hop fields, any case");
	ok(!http_hop_by_hop("Content-Type", 12) && !http_hop_by_hop("TEX", 3) &&
	   !http_hop_by_hop("X-MS-PolicyKey", 14), "end-to-end fields pass");
	ok(http_hop_by_hop("Keep-Alive: 5", 10), "the name ends at len");
	ok(http_cidr_match("10.9.8.7", nets, 3), "CIDR v4");
	ok(http_cidr_match("2001:db8::5", nets, 3), "CIDR v6");
	ok(http_cidr_match("192.0.2.1", nets, 3), "a lone address");
	ok(!http_cidr_match("192.0.2.2", nets, 3), "outside");
	ok(!http_cidr_match("garbage", nets, 3), "not an address");
	http_date(784111777, d);
	is_str(d, "Sun, 06 Nov 1994 08:49:37 GMT", "IMF-fixdate");
	strbuf_release(&sb);
}

/* http_head_end against memmem, its model, on every cut of some heads. */
static void test_head_end(void)
{
	static const char *const heads[] = {
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody\r\n\r\n",
		"\r\n\r\n", "\n\r\n\r\n", "a\r\n\r", "a\n\n\r\n\r\nb", "a\r\n\n\r\n",
		"H: x\r\r\n\r\n", "H: x\r\n\r\r\n\r\n", "\r\n\r\r\n", "", "\r\n\r",
	};
	bool same = true;

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		for (size_t len = 0; len <= strlen(heads[i]); len++)
			if (http_head_end(heads[i], len) != memmem(heads[i], len, "\r\n\r\n", 4)) {
				printf("# head %zu, %zu bytes\n", i, len);
				same = false;
			}
	ok(same, "http_head_end finds the first CRLF CRLF as memmem does, at every length");
	is_int((int)(http_head_end(heads[0], strlen(heads[0])) - heads[0]), 23,
	       "the head's end, not the body's");
}

static void test_config(void)
{
	static const char bad[] = "{\"autodiscover-gen\": {\"trusted_proxies\": [\"10.0.0.0/33\"]}}";
	static const char good[] = "{\"autodiscover-gen\": {}}";
	struct conf *c = conf_load_string(bad, strlen(bad), "t", sections, stderr);
	struct http_server *srv;

	ok(c != NULL, "config with a bad CIDR loads (the key is a string list)");
	srv = http_server_new(conf_section(c, "autodiscover-gen"), "t");
	ok(srv == NULL, "but the server refuses it");
	conf_free(c);
	c = conf_load_string(good, strlen(good), "t", sections, stderr);
	srv = http_server_new(conf_section(c, "autodiscover-gen"), "t");
	ok(srv != NULL && !http_server_tls(srv), "defaults: plain HTTP");
	http_server_free(srv);
	conf_free(c);
}

static void test_pre_read(void)
{
	char *r;

	pre_read = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Le";
	r = rt("{}", "ngth: 3\r\n\r\nabcGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(strstr(r, "got 3:abc") != NULL, "pre-read: a header cut between them and the socket");
	ok(strstr(r, "hello world") != NULL, "pre-read: the next request from the socket");
	free(r);
	pre_read = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\n"
		"Content-Length: 5\r\n\r\nab";
	r = rt("{}", "cde");
	is_int(count(r, "HTTP/1.1 200"), 2, "pre-read: a whole request, then one whose body ends on the socket");
	ok(strstr(r, "got 5:abcde") != NULL, "pre-read: the body put together");
	free(r);
	pre_read = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";
	r = rt("{}", "");
	ok(strstr(r, "hello world") != NULL, "pre-read: a whole request and nothing on the socket");
	free(r);
	pre_read = NULL;
}

int main(void)
{
	msg_setup("http_server");
	msg_set_level(MSG_ERROR);
	test_helpers();
	test_head_end();
	test_config();
	test_basic();
	test_idle();
	test_bodies();
	test_rules();
	test_pre_read();
	return tap_done();
}
