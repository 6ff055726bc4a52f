/* A small HTTP client on libcurl for programs that call out (eas-policy
 * to its ActiveSync backend, owa-cas for WebReady documents,
 * autodiscover-gen --probe). libcurl is loaded with dlopen on the first
 * request, as lib/tls/fetch.c does, so programs that never call out do
 * not pay for its dependency tree at every start.
 *
 * Usage, whole body in memory:
 *
 *	struct http_client_req q = { .method = "GET", .url = url, .max = 1 << 20 };
 *	struct http_client_resp r;
 *	char why[256];
 *
 *	http_client_resp_init(&r);
 *	if (http_client_fetch(&q, &r, why, sizeof(why)) < 0)
 *		msg_warn("cannot fetch %s: %s", url, why);
 *	else
 *		use r.status, http_client_header(&r, "Content-Type"), r.body;
 *	http_client_resp_clear(&r);
 *
 * Streamed both ways (a proxy): set body_read to feed the request body
 * (say from http_body_read) and on_headers/on_body to pass the response
 * on as it comes (say with http_resp_start and http_resp_write). */
#ifndef POSTERN_HTTP_CLIENT_H
#define POSTERN_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"
#include "util/strbuf.h"

struct http_client_resp;

/* Every pointer is borrowed for the call. */
struct http_client_req {
	const char *method;		/* NULL: GET, or POST with a body */
	const char *url;
	const char *const *headers;	/* "Name: value" lines to send */
	size_t nheaders;
	/* Request body in memory, or streamed from body_read (which returns
	 * a count, 0 at the end, -1 to abort); body_size is its length, -1
	 * when unknown (sent chunked). */
	const void *body;
	size_t body_len;
	long (*body_read)(void *buf, size_t max, void *user);
	long long body_size;
	/* Called once with the final status and headers, before any body;
	 * non-zero aborts. May be NULL. */
	int (*on_headers)(const struct http_client_resp *r, void *user);
	/* Called with each piece of the body; non-zero aborts. NULL: the
	 * body is collected in r->body (at most max bytes, more is an error). */
	int (*on_body)(const void *data, size_t len, void *user);
	void *user;
	size_t max;			/* 0: 16 MB */
	long long timeout_ms;		/* whole transfer; 0: none (long polls) */
	long long connect_timeout_ms;	/* 0: 10 s */
	const char *protocols;		/* "http,https" (default) or "https" */
	int follow;			/* redirects to follow (0: none) */
	bool follow_https_only;		/* a redirect to anything else stops */
	const char *ca_file;		/* file or hashed dir; NULL: the system's */
	bool insecure;			/* skip certificate checks (probe only) */
	const char *cert_file, *key_file;	/* client certificate */
	const char *const *resolve;	/* curl's HOST:PORT:ADDR */
	size_t nresolve;
	const char *unix_socket;	/* connect to this socket instead */
	const char *const *connect_to;	/* curl's HOST:PORT:HOST2:PORT2 */
	size_t nconnect_to;
};

/* What came back. Owned by the caller: init before, clear after. */
struct http_client_resp {
	long status;			/* 0 when no response came */
	struct http_header *headers;	/* of the final response */
	size_t nheaders;
	struct strbuf body;
	char *effective_url;		/* after redirects */
	char *primary_ip;
	long redirects;
	char *redirect_url;		/* Location not followed, or NULL */
};

void http_client_resp_init(struct http_client_resp *r);
void http_client_resp_clear(struct http_client_resp *r);
const char *http_client_header(const struct http_client_resp *r, const char *name);

/* Returns 0 when a response came (any status), or -1 with why (no
 * libcurl, connection, TLS, timeout, body over max, aborted). */
int http_client_fetch(const struct http_client_req *q, struct http_client_resp *r,
		      char *why, size_t whylen);

#endif
