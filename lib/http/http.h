/* The HTTP layer shared by owa-cas, eas-policy and autodiscover-gen
 * (SPEC section 9): an HTTP/1.1 server with keep-alive over TLS
 * (lib/tls) or plain behind a reverse proxy, publishing rules per path
 * prefix as an ISA server applies them, a router, response helpers, and
 * a small HTTP client on libcurl (lib/http/client.h).
 *
 * Usage (error handling left out):
 *
 *	static int hello(struct http_request *req, struct http_response *res, void *user)
 *	{
 *		http_resp_header(res, "Content-Type", "text/plain");
 *		http_resp_printf(res, "hello %s\n", req->client_ip);
 *		return 0;		// the layer sends it (200 by default)
 *	}
 *
 *	static const struct conf_key my_keys[] = {
 *		{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
 *		... the program's own keys ...
 *	};
 *	...
 *	struct http_server *srv = http_server_new(conf_section(conf, "my-prog"), "my-prog");
 *	http_route(srv, "GET", "/hello", 0, hello, NULL);
 *	rc = http_server_run(srv, mode);	// -d, --inetd or systemd
 *	http_server_free(srv);
 *
 * Each connection runs in its own process (lib/net/serve.h), so a
 * handler may block (a backend call, a long poll) without holding up
 * other clients; state a handler changes is the process's own.
 *
 * Order of work per request: read the request line and headers (limits
 * and the header deadline apply), believe X-Forwarded-* from trusted
 * proxies, apply the publishing rule of the longest matching path prefix
 * (refusals are answered here and logged as "refused rule=NAME
 * check=..."), find the route (404, or 405 with Allow), call the handler,
 * finish the response, log one "request" line, then read the rest of the
 * body and wait for the next request (keep-alive) or close. */
#ifndef POSTERN_HTTP_HTTP_H
#define POSTERN_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "net/serve.h"
#include "tls/stream.h"
#include "util/strbuf.h"

/* Hard caps, whatever the config says. */
#define HTTP_LINE_MAX 16384		/* request line, one header line */
#define HTTP_HEADERS_MAX 200		/* header fields in one request */
#define HTTP_RULES_MAX 64
#define HTTP_ROUTES_MAX 64

/* The keys of an HTTP server, to splice into the program's section with
 * CONF_INCLUDE. They include serve_conf_keys (listen, workers, user, ...)
 * and a "tls" object (tls_conf_keys: with tls.cert set the server speaks
 * HTTPS, else plain HTTP for behind a proxy), so the program must not
 * splice those itself. The others: header_timeout (the whole request
 * head must arrive within it: slowloris), idle_timeout (keep-alive wait
 * for the next request), body_timeout (each read of a body), send_timeout,
 * max_requests (per connection), url_max, query_max, header_line_max,
 * headers_size_max, headers_count_max, body_max, methods,
 * blocked_signatures, extensions (these last seven are the defaults of
 * every rule), trusted_proxies (CIDR: whose X-Forwarded-For and
 * X-Forwarded-Proto are believed), security_headers, hsts, server_header,
 * rules (a list of http_rule_keys objects). */
extern const struct conf_key http_conf_keys[];
/* One publishing rule: path (prefix, matched without letter case; the
 * longest wins), name (for logs; default: the path), action
 * (allow|deny), and overrides of methods, url_max, query_max,
 * header_line_max, headers_size_max, headers_count_max, body_max,
 * blocked_signatures, extensions (absent: the section's value).
 * extensions lists allowed extensions of the last path segment without
 * the dot ("xml"; "" for none); empty: any. */
extern const struct conf_key http_rule_keys[];

struct http_server;
struct http_response;
struct http_conn;

struct http_header {
	char *name;	/* as received; compare without case */
	char *value;	/* leading and trailing blanks removed */
};

/* A request as the handler sees it. Everything is owned by the layer and
 * lives until the handler returns; copy what must live longer. */
struct http_request {
	const char *method;	/* "GET", as sent (methods are case-sensitive) */
	const char *target;	/* the request-target as received */
	const char *raw_path;	/* target without the query, not decoded */
	const char *path;	/* raw_path percent-decoded once */
	const char *query;	/* after the '?', not decoded; "" if none */
	int version;		/* 10 or 11 */
	const char *host;	/* the Host header (port included), or "" */
	struct http_header *headers;
	size_t nheaders;
	long long content_length;	/* -1: none given (chunked or no body) */
	bool chunked;
	bool expect_continue;	/* "100 Continue" is sent at the first body read */
	/* The client: the socket's peer, or the address a trusted proxy put
	 * last in X-Forwarded-For; secure is TLS on this connection, or
	 * X-Forwarded-Proto: https from a trusted proxy. */
	const char *client_ip;
	bool secure;
	bool from_proxy;	/* the peer is a trusted proxy */
	const struct serve_peer *peer;
	struct stream *stream;	/* the connection (for SSL, TLS report) */
	const char *rule;	/* name of the publishing rule that let it in */
	const char *prefix;	/* the route's prefix that matched */
	unsigned serial;	/* 1 for the first request of the connection */
	struct http_conn *conn;	/* the layer's */
};

/* First header of that name (any letter case), or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* Query parameter name, percent-decoded ('+' is a space) into out (reset
 * first). Returns true when present. */
bool http_query_param(const struct http_request *req, const char *name, struct strbuf *out);
/* Cookie name from the Cookie headers into out (reset first). */
bool http_cookie_get(const struct http_request *req, const char *name, struct strbuf *out);

/* Request bodies. The body is read on demand, so a handler can refuse a
 * request (401, 413) before the client sends it, or stream it through to
 * a backend. The cap is the rule's body_max unless raised with
 * http_body_set_max before the first read. */
void http_body_set_max(struct http_request *req, long long max);
/* Reads up to max bytes of the body (de-chunked) into buf. Returns the
 * count (> 0), 0 at the end of the body, -1 on a timeout, an I/O error,
 * malformed chunking or a body over the cap (the connection is then
 * closed after the response; http_body_error says which, and a handler
 * should answer 400, 408 or 413: http_body_status gives the fitting one). */
long http_body_read(struct http_request *req, void *buf, size_t max);
/* The whole body into out (appended). 0, or -1 as above. */
int http_body_all(struct http_request *req, struct strbuf *out);
const char *http_body_error(const struct http_request *req);
int http_body_status(const struct http_request *req);
/* Bounds each later read of this connection (long polls: a handler
 * holding a request open sets this and the send timeout). */
void http_set_timeouts(struct http_request *req, long long read_ms, long long send_ms);

/* Responses. Headers and a body are gathered in memory and sent when the
 * handler returns (with Content-Length, Date, Connection and the
 * security headers) unless the handler streams with http_resp_start.
 * A HEAD request gets the headers of the GET response without its body. */
void http_resp_status(struct http_response *res, int status);
/* Adds a header (several of a name are kept). name and value are copied;
 * CR and LF in them are a bug (msg_panic): never put outside input there
 * unchecked. */
void http_resp_header(struct http_response *res, const char *name, const char *value);
/* The same with their lengths known (a head passed through): name[0..nl)
 * and value[0..vl), neither NUL-ended nor holding a NUL. */
void http_resp_header_n(struct http_response *res, const char *name, size_t nl, const char *value,
			size_t vl);
/* Replaces every header of that name (value NULL: removes them). */
void http_resp_set_header(struct http_response *res, const char *name, const char *value);

enum http_samesite { HTTP_SAMESITE_NONE_SET, HTTP_SAMESITE_STRICT, HTTP_SAMESITE_LAX,
		     HTTP_SAMESITE_NONE };

struct http_cookie {
	const char *name, *value;	/* value must be cookie-octets */
	const char *path;		/* NULL: "/" */
	const char *domain;		/* NULL: host-only */
	long long max_age;		/* seconds; < 0: a session cookie; 0: delete */
	bool secure, http_only;
	enum http_samesite samesite;
};
void http_resp_cookie(struct http_response *res, const struct http_cookie *c);

/* Security headers: X-Content-Type-Options: nosniff, X-Frame-Options,
 * Referrer-Policy: no-referrer and, on a secure request with hsts set,
 * Strict-Transport-Security. Added to every response when the config's
 * security_headers is on (the default), except those the handler set
 * itself; this call adds them for a server where it is off. */
void http_resp_security_headers(struct http_response *res);

/* Body in memory (appended). */
void http_resp_body(struct http_response *res, const void *data, size_t len);
void http_resp_puts(struct http_response *res, const char *s);
void http_resp_printf(struct http_response *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A complete short answer: status, Content-Type text/plain and a one-line
 * body "STATUS REASON\n" (or text when not NULL). Replaces any body. */
void http_resp_error(struct http_response *res, int status, const char *text);
/* Redirect with Location (copied as is: check it first). */
void http_resp_redirect(struct http_response *res, int status, const char *location);

/* Streaming: sends the status line and headers now. length >= 0 is the
 * Content-Length; -1 sends the body chunked (HTTP/1.1) or until close
 * (HTTP/1.0). Returns 0, or -1 when the client is gone. */
int http_resp_start(struct http_response *res, long long length);
/* Sends a piece of the body (after http_resp_start; buffered before it
 * only if the handler did not start, like http_resp_body). Written out
 * every 64 KiB; http_resp_flush pushes a smaller piece. 0 or -1. */
int http_resp_write(struct http_response *res, const void *data, size_t len);
/* Pushes what is buffered to the client (long polls). 0 or -1. */
int http_resp_flush(struct http_response *res);
/* Ask that the connection close after this response. */
void http_resp_close(struct http_response *res);
/* Interim 1xx response (e.g. 102). 0 or -1. */
int http_resp_interim(struct http_response *res, int status);
int http_resp_get_status(const struct http_response *res);
/* The reason phrase of a status ("Not Found"), "" for an unknown one. */
const char *http_reason(int status);

/* A handler answers through res; returning -1 closes the connection
 * after the response (say a backend failure mid-stream). If the handler
 * sent nothing, the gathered status, headers and body are sent. */
typedef int (*http_handler_fn)(struct http_request *req, struct http_response *res,
			       void *user);

#define HTTP_ROUTE_NOCASE 0x1	/* prefix matched without letter case */
#define HTTP_ROUTE_EXACT 0x2	/* the whole path, not a prefix */

/* Builds a server from section (a node holding http_conf_keys, borrowed
 * for the server's life) for logs as name. Makes the TLS context when
 * tls.cert is set. Returns NULL after logging what is wrong. */
struct http_server *http_server_new(const json_t *section, const char *name);
void http_server_free(struct http_server *srv);
/* Adds a route: method ("GET", or "*" for any; GET also takes HEAD) and
 * path prefix; the longest matching prefix wins, then the first added.
 * prefix and method are copied; user is passed to fn. */
void http_route(struct http_server *srv, const char *method, const char *prefix,
		unsigned flags, http_handler_fn fn, void *user);
/* Called on SIGHUP in the listener (may be NULL): the program re-reads
 * its own state; it may call http_server_reload with a new section. */
void http_server_on_reload(struct http_server *srv, int (*fn)(void *), void *user);
/* Re-reads the rules and limits from section (borrowed from then on) and
 * the TLS files. 0, or -1 after logging (the old settings stay). */
int http_server_reload(struct http_server *srv, const json_t *section);
/* Serves in the mode given (serve_run), returns its exit code. */
int http_server_run(struct http_server *srv, enum serve_mode mode);
/* serve_handler.session, for a program that calls serve_run itself (ctx
 * is the http_server). */
int http_server_session(int in, int out, const struct serve_peer *peer, void *srv);
/* Serves requests on an open stream (TLS already done or plain) until
 * the connection ends. Returns 0. For the fuzz harness and tests. */
int http_serve_stream(struct http_server *srv, struct stream *s, const struct serve_peer *peer);
bool http_server_tls(const struct http_server *srv);

/* The event loop: one process serving many plain-HTTP connections
 * (lib/net/evloop.h). It reads each request head (and a body by
 * Content-Length up to HTTP_LOOP_BODY_MAX) without blocking, then runs
 * the same parsing, rules, routing and handler as a connection process
 * would, on those bytes. Anything else (TLS, a chunked or larger body,
 * Expect, a head over HTTP_LOOP_HEAD_MAX) is handed to a forked process
 * that serves the connection on the blocking way from where the loop
 * stopped, so it behaves as with http_server_run. A handler must not
 * block there: where it would wait for a descriptor (a backend's
 * answer), it calls http_defer and returns HTTP_DEFERRED; the loop calls
 * fn once fd is ready (HTTP_RESUME_READY), when timeout_ms passed first
 * (HTTP_RESUME_TIMEOUT), or, in the process a connection was handed to,
 * with HTTP_RESUME_BLOCKING, where fn may block and must finish. fn
 * returns as a handler does (0, or -1 to close), or HTTP_AGAIN to wait
 * for fd again, or HTTP_HANDOFF to be called again in a process of its
 * own, blocking. In the loop's process, once the connection went to
 * another, fn is called once more with HTTP_RESUME_DROP: it frees what
 * it holds and does nothing else (the descriptors are the layer's). */
#define HTTP_LOOP_HEAD_MAX 32768
#define HTTP_LOOP_BODY_MAX 65536
#define HTTP_DEFERRED 1
#define HTTP_AGAIN 2
#define HTTP_HANDOFF 3
enum http_resume { HTTP_RESUME_READY, HTTP_RESUME_TIMEOUT, HTTP_RESUME_BLOCKING,
		   HTTP_RESUME_DROP };
typedef int (*http_resume_fn)(struct http_request *req, struct http_response *res, void *arg,
			      enum http_resume how);
/* Serves as http_server_run, from the event loop when it can: standalone
 * (-d) plain HTTP; otherwise the way http_server_run does. */
int http_server_run_loop(struct http_server *srv, enum serve_mode mode);
/* Whether req is served by the event loop (its handler must not block). */
bool http_loop(const struct http_request *req);
/* See above; only in the event loop (a bug otherwise). events are
 * EVLOOP_IN and EVLOOP_OUT. */
void http_defer(struct http_request *req, int fd, unsigned events, long long timeout_ms,
		http_resume_fn fn, void *arg);
/* A descriptor a handler keeps with the connection from request to
 * request (a backend's kept-alive connection): fd -1 at first; the layer
 * closes it when the connection ends, and a process the connection is
 * handed to keeps it. In the event loop the layer watches it between
 * requests (a backend that closes it is seen at once) and a handler
 * that closes it or puts another there sets renewed. used is the
 * handler's. */
struct http_keep {
	int fd;
	bool renewed;
	long long used;
};
struct http_keep *http_conn_keep(struct http_request *req);

/* Helpers for handlers and programs. */
/* Percent-decodes in[0..len) once into out (appended); plus_space turns
 * '+' into ' '. A bad escape is kept as is. */
void http_pct_decode(struct strbuf *out, const char *in, size_t len, bool plus_space);
/* Whether a field a proxy must not pass on as it is, either way (RFC 9110
 * 7.6.1): the connection's own (Connection, Keep-Alive, Proxy-Connection,
 * Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Upgrade) and the
 * framing (Transfer-Encoding, Content-Length), which the proxy writes for
 * its own hop. name need not end at len. Picked by the first letter: it
 * runs for every field of every message passed through. */
bool http_hop_by_hop(const char *name, size_t len);
/* The blank line that ends a head in b[0..len): where its "\r\n\r\n"
 * begins, or NULL. Every head passed through is searched for it, some
 * twice: memchr for each line end instead of memmem, which is several
 * times slower on heads of a few hundred bytes. */
const char *http_head_end(const char *b, size_t len);
/* Appends s percent-encoded (unreserved characters kept). */
void http_pct_encode(struct strbuf *out, const char *s);
/* Appends s with & < > " ' escaped for XML and HTML text and attributes. */
void http_xml_escape(struct strbuf *out, const char *s);
/* Date in IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into buf[30]. */
void http_date(long long t, char buf[30]);
/* Does ip (text) fall in one of the CIDR strings ("10.0.0.0/8", "::1")? */
bool http_cidr_match(const char *ip, const char *const *cidrs, size_t n);

#endif
