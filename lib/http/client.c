/* The HTTP client on libcurl, loaded with dlopen on the first request
 * (see client.h for why); request and response bodies in memory or
 * streamed through callbacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "tls/curlapi.h"

#include "http/client.h"
#include "util/mem.h"

#define CLIENT_MAX_DEFAULT (16u << 20)
#define CLIENT_HEADERS_MAX 200

static const struct curl_api *cu;

void http_client_resp_init(struct http_client_resp *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body, 0);
}

static void headers_clear(struct http_client_resp *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

void http_client_resp_clear(struct http_client_resp *r)
{
	headers_clear(r);
	strbuf_release(&r->body);
	free(r->effective_url);
	free(r->primary_ip);
	free(r->redirect_url);
	memset(r, 0, sizeof(*r));
}

const char *http_client_header(const struct http_client_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

struct xfer {
	const struct http_client_req *q;
	struct http_client_resp *r;
	size_t max;
	bool headers_told, over, aborted;
	CURL *h;
};

/* Headers of every response come through here (100 Continue and
 * redirects too): a status line starts a new set. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, e = len;
	const char *colon;

	while (e > 0 && (p[e - 1] == '\r' || p[e - 1] == '\n'))
		e--;
	if (e >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		headers_clear(x->r);
		return len;
	}
	colon = memchr(p, ':', e);
	if (colon == NULL || x->r->nheaders >= CLIENT_HEADERS_MAX)
		return len;
	x->r->headers = xrealloc(x->r->headers, (x->r->nheaders + 1) * sizeof(*x->r->headers));
	x->r->headers[x->r->nheaders].name = xstrndup(p, (size_t)(colon - p));
	colon++;
	while (colon < p + e && (*colon == ' ' || *colon == '\t'))
		colon++;
	x->r->headers[x->r->nheaders].value = xstrndup(colon, (size_t)(p + e - colon));
	x->r->nheaders++;
	return len;
}

static int tell_headers(struct xfer *x)
{
	if (x->headers_told)
		return 0;
	x->headers_told = true;
	cu->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->r->status);
	if (x->q->on_headers && x->q->on_headers(x->r, x->q->user) != 0) {
		x->aborted = true;
		return -1;
	}
	return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (tell_headers(x) < 0)
		return 0;
	if (x->q->on_body) {
		if (x->q->on_body(p, len, x->q->user) != 0) {
			x->aborted = true;
			return 0;
		}
		return len;
	}
	if (x->r->body.len + len > x->max) {
		x->over = true;
		return 0;
	}
	strbuf_add(&x->r->body, p, len);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	long got = x->q->body_read(buf, size * n, x->q->user);

	if (got < 0) {
		x->aborted = true;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static struct curl_slist *header_list(const struct http_client_req *q)
{
	struct curl_slist *l = NULL;

	for (size_t i = 0; i < q->nheaders; i++)
		l = cu->slist_append(l, q->headers[i]);
	if (q->body_read && q->body_size < 0)
		l = cu->slist_append(l, "Transfer-Encoding: chunked");
	/* No "Expect: 100-continue" round trip unless the caller asks. */
	l = cu->slist_append(l, "Expect:");
	return l;
}

static void set_body(CURL *h, const struct http_client_req *q, struct xfer *x)
{
	if (q->body) {
		cu->easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
		cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
	} else if (q->body_read) {
		cu->easy_setopt(h, CURLOPT_POST, 1L);
		cu->easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		cu->easy_setopt(h, CURLOPT_READDATA, x);
		cu->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_size);
	}
	if (q->method && strcmp(q->method, "HEAD") == 0)
		cu->easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (q->method && strcmp(q->method, q->body || q->body_read ? "POST" : "GET") != 0)
		cu->easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
}

static void set_tls(CURL *h, const struct http_client_req *q)
{
	struct stat st;

	if (q->ca_file && stat(q->ca_file, &st) == 0 && S_ISDIR(st.st_mode))
		cu->easy_setopt(h, CURLOPT_CAPATH, q->ca_file);
	else if (q->ca_file)
		cu->easy_setopt(h, CURLOPT_CAINFO, q->ca_file);
	if (q->insecure) {
		cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (q->cert_file)
		cu->easy_setopt(h, CURLOPT_SSLCERT, q->cert_file);
	if (q->key_file)
		cu->easy_setopt(h, CURLOPT_SSLKEY, q->key_file);
}

static void get_info(CURL *h, struct http_client_resp *r)
{
	char *s = NULL;

	cu->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (cu->easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
		r->effective_url = xstrdup(s);
	s = NULL;
	if (cu->easy_getinfo(h, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s && *s)
		r->primary_ip = xstrdup(s);
	s = NULL;
	if (cu->easy_getinfo(h, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s)
		r->redirect_url = xstrdup(s);
	cu->easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &r->redirects);
}

int http_client_fetch(const struct http_client_req *q, struct http_client_resp *r,
		      char *why, size_t whylen)
{
	struct xfer x = { q, r, q->max ? q->max : CLIENT_MAX_DEFAULT, false, false, false, NULL };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr, *res = NULL, *con = NULL;
	const char *failed = NULL;
	CURLcode rc;

	if ((cu = curl_api(&failed)) == NULL || (x.h = cu->easy_init()) == NULL) {
		snprintf(why, whylen, "%s", failed ? failed : "cannot start libcurl");
		return -1;
	}
	hdr = header_list(q);
	for (size_t i = 0; i < q->nresolve; i++)
		res = cu->slist_append(res, q->resolve[i]);
	for (size_t i = 0; i < q->nconnect_to; i++)
		con = cu->slist_append(con, q->connect_to[i]);
	cu->easy_setopt(x.h, CURLOPT_URL, q->url);
	cu->easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, q->protocols ? q->protocols : "http,https");
	cu->easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(x.h, CURLOPT_TIMEOUT_MS, (long)q->timeout_ms);
	cu->easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS,
		       (long)(q->connect_timeout_ms ? q->connect_timeout_ms : 10000));
	cu->easy_setopt(x.h, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(x.h, CURLOPT_HEADERDATA, &x);
	cu->easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_write);
	cu->easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	cu->easy_setopt(x.h, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(x.h, CURLOPT_USERAGENT, "postern");
	cu->easy_setopt(x.h, CURLOPT_HTTPHEADER, hdr);
	cu->easy_setopt(x.h, CURLOPT_RESOLVE, res);
	cu->easy_setopt(x.h, CURLOPT_CONNECT_TO, con);
	if (q->follow > 0) {
		cu->easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 1L);
		cu->easy_setopt(x.h, CURLOPT_MAXREDIRS, (long)q->follow);
		cu->easy_setopt(x.h, CURLOPT_REDIR_PROTOCOLS_STR,
			       q->follow_https_only ? "https" : "http,https");
	}
	if (q->unix_socket)
		cu->easy_setopt(x.h, CURLOPT_UNIX_SOCKET_PATH, q->unix_socket);
	set_tls(x.h, q);
	set_body(x.h, q, &x);
	rc = cu->easy_perform(x.h);
	get_info(x.h, r);
	if (rc == CURLE_OK)
		tell_headers(&x);
	cu->easy_cleanup(x.h);
	cu->slist_free_all(hdr);
	cu->slist_free_all(res);
	cu->slist_free_all(con);
	if (x.over) {
		snprintf(why, whylen, "body larger than %zu bytes", x.max);
		return -1;
	}
	if (x.aborted) {
		snprintf(why, whylen, "aborted");
		return -1;
	}
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf : cu->easy_strerror(rc));
		return -1;
	}
	return 0;
}
