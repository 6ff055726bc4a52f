/* Building and sending responses: status, headers, cookies, security
 * headers, a body gathered in memory or streamed (Content-Length,
 * chunked, or until close for HTTP/1.0). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/msg.h"

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 102: return "Processing";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 449: return "Retry With";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "";
}

/* A body buffer larger than this is freed between requests rather than
 * kept for the next (a connection waiting in the loop holds little). */
#define KEEP_BODY 16384

void http_resp_reset(struct http_response *res, struct http_conn *c)
{
	struct http_resp_header *h = res->h;
	size_t ah = res->ah;
	struct strbuf hb = res->hb, body = res->body;

	if (body.alloc > KEEP_BODY)
		strbuf_release(&body);
	memset(res, 0, sizeof(*res));
	res->h = h;
	res->ah = ah;
	res->hb = hb;
	res->body = body;
	if (!hb.alloc)
		strbuf_init(&res->hb, 0);
	if (!body.alloc)
		strbuf_init(&res->body, 0);
	strbuf_reset(&res->hb);
	strbuf_reset(&res->body);
	res->c = c;
	res->status = 200;
	res->length = -1;
}

void http_resp_clear(struct http_response *res)
{
	free(res->h);
	strbuf_release(&res->hb);
	strbuf_release(&res->body);
	memset(res, 0, sizeof(*res));
}

void http_resp_status(struct http_response *res, int status)
{
	if (status < 100 || status > 999)
		msg_panic("http_resp_status: status %d", status);
	res->status = status;
}

int http_resp_get_status(const struct http_response *res)
{
	return res->status;
}

static void check_field(const char *s, size_t n)
{
	if (memchr(s, '\r', n) || memchr(s, '\n', n))
		msg_panic("HTTP response header with CR or LF");
}

static const char *hname(const struct http_response *res, size_t i)
{
	return res->hb.buf + res->h[i].name;
}

static const char *hvalue(const struct http_response *res, size_t i)
{
	return res->hb.buf + res->h[i].value;
}

/* The first header named name (nl bytes), or -1. */
static long find(const struct http_response *res, const char *name, size_t nl)
{
	for (size_t i = 0; i < res->nh; i++)
		if (res->h[i].nlen == nl && strcasecmp(hname(res, i), name) == 0)
			return (long)i;
	return -1;
}

void http_resp_header(struct http_response *res, const char *name, const char *value)
{
	http_resp_header_n(res, name, strlen(name), value, strlen(value));
}

void http_resp_header_n(struct http_response *res, const char *name, size_t nl, const char *value,
			size_t vl)
{
	size_t off = res->hb.len;
	char *p;

	check_field(name, nl);
	check_field(value, vl);
	if (res->started)
		msg_panic("http_resp_header after the headers were sent: %s", name);
	if (res->nh == res->ah)
		xgrow((void **)&res->h, &res->ah, res->nh + 1, sizeof(*res->h));
	if (res->hb.alloc < off + nl + vl + 3)
		strbuf_grow(&res->hb, nl + vl + 2);
	p = res->hb.buf + off;
	memcpy(p, name, nl);
	p[nl] = 0;
	memcpy(p + nl + 1, value, vl);
	p[nl + 1 + vl] = 0;
	res->hb.len = off + nl + vl + 2;
	res->hb.buf[res->hb.len] = 0;
	res->h[res->nh] = (struct http_resp_header){ off, off + nl + 1, nl, vl };
	res->nh++;
}

void http_resp_set_header(struct http_response *res, const char *name, const char *value)
{
	size_t j = 0, nl = strlen(name);

	/* What is dropped stays in hb, unused, until the next request. */
	for (size_t i = 0; i < res->nh; i++)
		if (res->h[i].nlen != nl || strcasecmp(hname(res, i), name) != 0)
			res->h[j++] = res->h[i];
	res->nh = j;
	if (value)
		http_resp_header(res, name, value);
}

const char *http_resp_find(const struct http_response *res, const char *name)
{
	long i = find(res, name, strlen(name));

	return i < 0 ? NULL : hvalue(res, (size_t)i);
}

void http_resp_cookie(struct http_response *res, const struct http_cookie *c)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s=%s; Path=%s", c->name, c->value, c->path ? c->path : "/");
	if (c->domain)
		strbuf_addf(&sb, "; Domain=%s", c->domain);
	if (c->max_age >= 0) {
		char date[30];

		strbuf_addf(&sb, "; Max-Age=%lld", c->max_age);
		http_date(c->max_age == 0 ? 0 : (long long)time(NULL) + c->max_age, date);
		strbuf_addf(&sb, "; Expires=%s", date);
	}
	if (c->secure)
		strbuf_addstr(&sb, "; Secure");
	if (c->http_only)
		strbuf_addstr(&sb, "; HttpOnly");
	if (c->samesite == HTTP_SAMESITE_STRICT)
		strbuf_addstr(&sb, "; SameSite=Strict");
	else if (c->samesite == HTTP_SAMESITE_LAX)
		strbuf_addstr(&sb, "; SameSite=Lax");
	else if (c->samesite == HTTP_SAMESITE_NONE)
		strbuf_addstr(&sb, "; SameSite=None");
	http_resp_header(res, "Set-Cookie", sb.buf);
	strbuf_release(&sb);
}

static void add_absent(struct http_response *res, const char *name, size_t nl,
		       const char *value)
{
	if (find(res, name, nl) < 0)
		http_resp_header(res, name, value);
}

void http_resp_security_headers(struct http_response *res)
{
	const struct http_limits *lim = &res->c->srv->lim;

	add_absent(res, "X-Content-Type-Options", 22, "nosniff");
	add_absent(res, "X-Frame-Options", 15, lim->frame_options[0] ? lim->frame_options : "DENY");
	add_absent(res, "Referrer-Policy", 15, "no-referrer");
	if (res->c->req.secure && lim->hsts > 0) {
		char v[64];

		snprintf(v, sizeof(v), "max-age=%lld", lim->hsts);
		add_absent(res, "Strict-Transport-Security", 25, v);
	}
}

void http_resp_body(struct http_response *res, const void *data, size_t len)
{
	if (res->started) {
		http_resp_write(res, data, len);
		return;
	}
	strbuf_add(&res->body, data, len);
}

void http_resp_puts(struct http_response *res, const char *s)
{
	http_resp_body(res, s, strlen(s));
}

void http_resp_printf(struct http_response *res, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	http_resp_body(res, sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
}

void http_resp_error(struct http_response *res, int status, const char *text)
{
	http_resp_status(res, status);
	http_resp_set_header(res, "Content-Type", "text/plain; charset=utf-8");
	strbuf_reset(&res->body);
	if (text)
		strbuf_addf(&res->body, "%s\n", text);
	else
		strbuf_addf(&res->body, "%d %s\n", status, http_reason(status));
}

void http_resp_redirect(struct http_response *res, int status, const char *location)
{
	http_resp_error(res, status, NULL);
	http_resp_set_header(res, "Location", location);
}

void http_resp_close(struct http_response *res)
{
	res->close = true;
}

static bool no_body_status(int status)
{
	return status < 200 || status == 204 || status == 304;
}

/* Output goes to the stream, or in the event loop to the connection's
 * own buffer, which the loop sends without waiting (a client that does
 * not read holds up only itself). */
static void out_write(struct http_conn *c, const void *data, size_t n)
{
	if (c->out)
		strbuf_add(c->out, data, n);
	else
		stream_write(c->s, data, n);
}

static void out_puts(struct http_conn *c, const char *str)
{
	out_write(c, str, strlen(str));
}

/* The head is put together here and handed to the stream in one piece:
 * a buffer kept by the process, memcpy for each part, no printf. */
struct head {
	char *b;
	size_t n, cap;
};

static void put(struct head *h, const char *s, size_t n)
{
	if (h->n + n > h->cap)
		xgrow((void **)&h->b, &h->cap, h->n + n, 1);
	memcpy(h->b + h->n, s, n);
	h->n += n;
}

static void puts_(struct head *h, const char *s)
{
	put(h, s, strlen(s));
}

#define PUT_LIT(h, s) put(h, s, sizeof(s) - 1)

/* A decimal number (>= 0). */
static void put_num(struct head *h, long long v)
{
	char buf[STRBUF_DEC_MAX];

	put(h, buf, dec_format(buf, v < 0 ? 0 : (unsigned long long)v));
}

/* Headers the layer writes itself from the response's framing (n is
 * nl bytes long). */
static bool framing_name(const char *n, size_t nl)
{
	switch (nl) {
	case 14:
		return strcasecmp(n, "Content-Length") == 0;
	case 10:
		return strcasecmp(n, "Connection") == 0;
	case 17:
		return strcasecmp(n, "Transfer-Encoding") == 0;
	}
	return false;
}

/* The security headers the response lacks, as http_resp_security_headers
 * would add them, written straight into the head: not copied into the
 * response first for every answer. */
static void put_security(struct head *h, const struct http_response *res)
{
	const struct http_limits *lim = &res->c->srv->lim;
	const char *fo = lim->frame_options[0] ? lim->frame_options : "DENY";

	if (find(res, "X-Content-Type-Options", 22) < 0)
		PUT_LIT(h, "X-Content-Type-Options: nosniff\r\n");
	if (find(res, "X-Frame-Options", 15) < 0) {
		check_field(fo, strlen(fo));
		PUT_LIT(h, "X-Frame-Options: ");
		puts_(h, fo);
		PUT_LIT(h, "\r\n");
	}
	if (find(res, "Referrer-Policy", 15) < 0)
		PUT_LIT(h, "Referrer-Policy: no-referrer\r\n");
	if (res->c->req.secure && lim->hsts > 0 && find(res, "Strict-Transport-Security", 25) < 0) {
		PUT_LIT(h, "Strict-Transport-Security: max-age=");
		put_num(h, lim->hsts);
		PUT_LIT(h, "\r\n");
	}
}

/* Status line and headers into the stream's buffer. */
static void write_head(struct http_response *res)
{
	static struct head h;
	struct http_conn *c = res->c;
	static long long last;
	static char date[30];
	long long now = (long long)time(NULL);

	if (now != last) {
		http_date(now, date);
		last = now;
	}
	h.n = 0;
	put(&h, "HTTP/1.1 ", 9);
	put_num(&h, res->status);
	put(&h, " ", 1);
	puts_(&h, http_reason(res->status));
	put(&h, "\r\nDate: ", 8);
	puts_(&h, date);
	put(&h, "\r\n", 2);
	if (c->srv->lim.server_header[0]) {
		put(&h, "Server: ", 8);
		puts_(&h, c->srv->lim.server_header);
		put(&h, "\r\n", 2);
	}
	if (!no_body_status(res->status)) {
		if (res->chunked) {
			puts_(&h, "Transfer-Encoding: chunked\r\n");
		} else if (res->length >= 0) {
			puts_(&h, "Content-Length: ");
			put_num(&h, res->length);
			put(&h, "\r\n", 2);
		}
	}
	if (res->close)
		puts_(&h, "Connection: close\r\n");
	else if (c->req.version == 10)
		puts_(&h, "Connection: keep-alive\r\n");
	for (size_t i = 0; i < res->nh; i++) {
		const struct http_resp_header *f = &res->h[i];

		if (framing_name(hname(res, i), f->nlen))
			continue;
		put(&h, hname(res, i), f->nlen);
		put(&h, ": ", 2);
		put(&h, hvalue(res, i), f->vlen);
		put(&h, "\r\n", 2);
	}
	if (c->srv->lim.security_headers)
		put_security(&h, res);
	put(&h, "\r\n", 2);
	out_write(c, h.b, h.n);
	res->started = true;
}

static int flush(struct http_response *res)
{
	res->unflushed = 0;
	if (res->c->out)
		return 0;	/* the loop sends it */
	stream_set_timeout(res->c->s, res->c->send_timeout);
	if (stream_flush(res->c->s) != STREAM_OK) {
		res->failed = true;
		res->close = true;
		return -1;
	}
	return 0;
}

int http_resp_start(struct http_response *res, long long length)
{
	if (res->started)
		msg_panic("http_resp_start twice");
	res->length = length;
	if (length < 0 && !no_body_status(res->status)) {
		if (res->c->req.version >= 11) {
			res->chunked = true;
		} else {
			res->until_close = true;
			res->close = true;
		}
	}
	write_head(res);
	/* Anything gathered before the start goes first. */
	if (res->body.len) {
		struct strbuf pending = res->body;

		strbuf_init(&res->body, 0);
		http_resp_write(res, pending.buf, pending.len);
		strbuf_release(&pending);
	}
	return flush(res);
}

int http_resp_write(struct http_response *res, const void *data, size_t len)
{
	struct http_conn *c = res->c;

	if (!res->started) {
		strbuf_add(&res->body, data, len);
		return 0;
	}
	if (res->failed)
		return -1;
	if (len == 0 || strcmp(res->c->req.method, "HEAD") == 0)
		return 0;
	if (no_body_status(res->status))
		return 0;
	if (res->length >= 0 && res->sent + (long long)len > res->length)
		msg_panic("HTTP response body longer than its Content-Length");
	if (res->chunked) {
		char size[24];

		out_write(c, size, (size_t)snprintf(size, sizeof(size), "%zx\r\n", len));
	}
	out_write(c, data, len);
	if (res->chunked)
		out_puts(c, "\r\n");
	res->sent += (long long)len;
	/* A streamed body is not gathered in memory whole: push it on
	 * every 64 KiB (a proxied attachment can be large). */
	res->unflushed += len;
	if (res->unflushed >= HTTP_STREAM_FLUSH)
		return flush(res);
	return 0;
}

int http_resp_flush(struct http_response *res)
{
	if (!res->started)
		return 0;
	return flush(res);
}

int http_resp_interim(struct http_response *res, int status)
{
	if (res->started || status < 100 || status > 199 || res->c->req.version < 11)
		return -1;
	{
		char line[64];

		out_write(res->c, line, (size_t)snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n\r\n",
							  status, http_reason(status)));
	}
	return flush(res);
}

int http_resp_finish(struct http_response *res)
{
	if (!res->started) {
		if (no_body_status(res->status))
			strbuf_reset(&res->body);
		res->length = (long long)res->body.len;
		write_head(res);
		if (strcmp(res->c->req.method, "HEAD") != 0)
			out_write(res->c, res->body.buf ? res->body.buf : "", res->body.len);
		strbuf_reset(&res->body);
		return flush(res);
	}
	if (res->failed)
		return -1;
	if (res->chunked && strcmp(res->c->req.method, "HEAD") != 0)
		out_puts(res->c, "0\r\n\r\n");
	else if (res->length >= 0 && res->sent < res->length &&
		 strcmp(res->c->req.method, "HEAD") != 0) {
		/* The handler sent less than it announced: the client would
		 * wait for the rest, so the connection must end. */
		msg_warn("response shorter than announced: %lld of %lld bytes", res->sent,
			 res->length);
		res->close = true;
	}
	return flush(res);
}
