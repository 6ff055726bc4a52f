/* Internals of lib/http shared by its files: the server, its rules and
 * routes, a connection and its response. Not for programs. */
#ifndef POSTERN_HTTP_HTTP_INT_H
#define POSTERN_HTTP_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"
#include "tls/report.h"
#include "tls/tls.h"

struct http_strs {
	char **v;
	size_t n;
};

struct http_rule {
	char *name, *path;
	bool deny;
	struct http_strs methods, blocked, exts;
	long long url_max, query_max, header_line_max, headers_size_max, headers_count_max,
		body_max;
};

struct http_route {
	char *method, *prefix;
	unsigned flags;
	http_handler_fn fn;
	void *user;
};

struct http_limits {
	long long header_timeout, idle_timeout, body_timeout, send_timeout;
	long long max_requests;
	bool security_headers;
	long long hsts;		/* seconds; 0: none */
	char *server_header;	/* "" for none */
	char *frame_options;
	struct http_strs proxies;
};

struct http_server {
	char *name;
	const json_t *sec;
	struct http_limits lim;
	struct http_rule *rules;	/* rules[0] is the section's defaults */
	size_t nrules;
	struct http_route routes[HTTP_ROUTES_MAX];
	size_t nroutes;
	struct tls_ctx *tls;
	int (*reload_fn)(void *);
	void *reload_user;
};

/* A header as offsets into the response's hb ("name\0value\0"), with
 * their lengths: no allocation a header, no strlen to write it. */
struct http_resp_header {
	size_t name, value, nlen, vlen;
};

struct http_response {
	struct http_conn *c;
	int status;
	struct http_resp_header *h;
	size_t nh, ah;
	struct strbuf hb;	/* the headers' bytes */
	struct strbuf body;
	bool started;		/* status line and headers sent */
	bool chunked;		/* streaming with chunked encoding */
	bool until_close;	/* streaming to an HTTP/1.0 client, no length */
	bool close;
	bool failed;		/* a write to the client failed */
	long long length;	/* announced, or -1 */
	long long sent;		/* body bytes sent */
	size_t unflushed;	/* written since the last flush */
};

#define HTTP_STREAM_FLUSH 65536

struct http_conn {
	struct http_server *srv;
	struct stream *s;
	const struct serve_peer *peer;
	const struct http_rule *rule;
	struct http_request req;
	struct http_response res;
	struct strbuf line;
	struct strbuf store;	/* method, target, path, query strings */
	struct http_header *hdrs;	/* req.headers, reused request after request */
	size_t ahdrs;
	char client_ip[SOCKADDR_TEXT_MAX];
	/* body state */
	long long body_max, body_got;
	long long left;		/* Content-Length left, or chunk left */
	bool body_done, body_failed, continue_sent, last_chunk;
	int body_status;
	char body_err[96];
	long long read_timeout, send_timeout;
	/* Bytes read before the layer took them (the event loop's reads):
	 * consumed before the stream's. */
	const struct strbuf *pre;
	size_t pre_off;
	bool pre_eof;		/* the client closed after them */
	bool loop;		/* in the event loop: the stream is never read */
	struct strbuf *out;	/* the loop's: answers go here, not to the stream */
	long long t0;		/* the request's start, for its log line */
	struct {
		http_resume_fn fn;
		void *arg;
		int fd;
		unsigned events;
		long long timeout_ms;
	} defer;		/* fn set: the handler deferred */
	struct http_keep keep;
};

/* server.c */
void http_conn_write_head(struct http_conn *c);
int http_conn_flush(struct http_conn *c);

/* What one request on a connection came to. */
enum http_req_end { HTTP_REQ_CLOSE, HTTP_REQ_KEEP, HTTP_REQ_DEFER, HTTP_REQ_HANDOFF };
/* For the event loop (loop.c): a connection's state set up on stream s;
 * one request from c->pre; a deferred one's continuation (HTTP_REQ_DEFER
 * again when it waits on); the next request's reset; the blocking rest
 * of the connection in a process it was handed to; the end. */
void http_conn_init(struct http_conn *c, struct http_server *srv, struct stream *s,
		    const struct serve_peer *peer);
enum http_req_end http_conn_request(struct http_conn *c);
enum http_req_end http_conn_resume(struct http_conn *c, enum http_resume how);
void http_conn_next(struct http_conn *c);
void http_conn_serve_rest(struct http_conn *c);
void http_conn_release(struct http_conn *c);
/* loop.c: is a whole request at the start of b[0..len), one the loop
 * serves itself (SCAN_WHOLE), one to wait for more of (SCAN_MORE), or
 * one for a process of its own (SCAN_ODD)? */
enum http_scan { SCAN_MORE, SCAN_WHOLE, SCAN_ODD };
enum http_scan http_loop_scan(const char *b, size_t len);
/* Half-closes and reads what still comes for a while (server.c). */
void http_linger_close(int in, int out);

/* util.c: is spec an address or CIDR http_cidr_match understands? */
bool http_cidr_valid(const char *spec);

/* rules.c */
int http_rules_load(struct http_server *srv, const json_t *sec, struct http_rule **rules,
		    size_t *nrules, struct http_limits *lim);
void http_rules_free(struct http_rule *rules, size_t n, struct http_limits *lim);
const struct http_rule *http_rule_find(const struct http_server *srv, const char *path);
/* 0 when the request passes the rule; else the status to send, with
 * check naming the test that failed. */
int http_rule_check(const struct http_rule *r, const struct http_request *req,
		    size_t hdr_bytes, size_t longest_line, const char **check);
void http_strs_free(struct http_strs *l);

/* response.c */
/* Ready for c's next request: what it holds is dropped, its buffers
 * kept (a small body's too) for the next; on a zeroed res, the first. */
void http_resp_reset(struct http_response *res, struct http_conn *c);
void http_resp_clear(struct http_response *res);
const char *http_resp_find(const struct http_response *res, const char *name);
/* Sends what the handler gathered, if it did not stream. */
int http_resp_finish(struct http_response *res);

#endif
