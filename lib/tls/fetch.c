/* libcurl through dlopen: the handful of calls postern makes, resolved on
 * the first fetch. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "tls/fetch.h"

#define LIBCURL "libcurl.so.4"

static struct {
	bool tried, ok;
	char why[200];
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} curl;

/* dlsym returns void *; going through a union keeps the conversion to a
 * function pointer well defined. */
static bool sym(void *lib, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		snprintf(curl.why, sizeof(curl.why), "%s has no %s", LIBCURL, name);
		return false;
	}
	memcpy(slot, &p, size);
	return true;
}

#define SYM(lib, name, field) sym(lib, name, &curl.field, sizeof(curl.field))

static bool curl_load(void)
{
	void *lib;

	if (curl.tried)
		return curl.ok;
	curl.tried = true;
	lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		snprintf(curl.why, sizeof(curl.why), "cannot load %s: %s", LIBCURL, dlerror());
		return false;
	}
	curl.ok = SYM(lib, "curl_global_init", global_init) &&
		SYM(lib, "curl_easy_init", easy_init) &&
		SYM(lib, "curl_easy_setopt", easy_setopt) &&
		SYM(lib, "curl_easy_perform", easy_perform) &&
		SYM(lib, "curl_easy_getinfo", easy_getinfo) &&
		SYM(lib, "curl_easy_cleanup", easy_cleanup) &&
		SYM(lib, "curl_easy_strerror", easy_strerror) &&
		SYM(lib, "curl_slist_append", slist_append) &&
		SYM(lib, "curl_slist_free_all", slist_free_all);
	if (curl.ok)
		curl.global_init(CURL_GLOBAL_DEFAULT);
	return curl.ok;
}

struct sink {
	struct strbuf *body;
	size_t max;
	bool over;
};

static size_t sink_write(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->body->len + size * n > s->max) {
		s->over = true;
		return 0;	/* curl stops with a write error */
	}
	strbuf_add(s->body, p, size * n);
	return size * n;
}

static struct curl_slist *list(const char *const *v, size_t n)
{
	struct curl_slist *l = NULL;

	for (size_t i = 0; i < n; i++)
		l = curl.slist_append(l, v[i]);
	return l;
}

static void set_request(CURL *h, const struct tls_fetch_req *q, struct sink *s,
			struct curl_slist *hdr, char *errbuf)
{
	struct stat st;

	curl.easy_setopt(h, CURLOPT_URL, q->url);
	curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, q->protocols ? q->protocols : "http,https");
	curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)q->timeout_ms);
	curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl.easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(h, CURLOPT_USERAGENT, "postern");
	if (q->ca_file && stat(q->ca_file, &st) == 0 && S_ISDIR(st.st_mode))
		curl.easy_setopt(h, CURLOPT_CAPATH, q->ca_file);
	else if (q->ca_file)
		curl.easy_setopt(h, CURLOPT_CAINFO, q->ca_file);
	if (q->post) {
		curl.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl.easy_setopt(h, CURLOPT_POSTFIELDS, q->post);
		curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)q->post_len);
	}
}

int tls_fetch(const struct tls_fetch_req *q, long *status, struct strbuf *ctype,
	      struct strbuf *body, char *why, size_t whylen)
{
	struct sink s = { body, q->max, false };
	struct curl_slist *hdr = NULL, *res, *con;
	char errbuf[CURL_ERROR_SIZE] = "", *ct = NULL, *h_ct;
	CURLcode rc;
	CURL *h;

	strbuf_reset(body);
	strbuf_reset(ctype);
	*status = 0;
	if (!curl_load() || (h = curl.easy_init()) == NULL) {
		snprintf(why, whylen, "%s", curl.why[0] ? curl.why : "cannot start libcurl");
		return -1;
	}
	if (q->post) {
		h_ct = NULL;
		if (asprintf(&h_ct, "Content-Type: %s", q->post_type) >= 0) {
			hdr = curl.slist_append(NULL, h_ct);
			free(h_ct);
		}
	}
	res = list(q->resolve, q->nresolve);
	con = list(q->connect_to, q->nconnect_to);
	set_request(h, q, &s, hdr, errbuf);
	curl.easy_setopt(h, CURLOPT_RESOLVE, res);
	curl.easy_setopt(h, CURLOPT_CONNECT_TO, con);
	rc = curl.easy_perform(h);
	curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl.easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		strbuf_addstr(ctype, ct);
	curl.easy_cleanup(h);
	curl.slist_free_all(hdr);
	curl.slist_free_all(res);
	curl.slist_free_all(con);
	if (rc == CURLE_OK)
		return 0;
	if (s.over)
		snprintf(why, whylen, "larger than %zu bytes", q->max);
	else
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl.easy_strerror(rc));
	strbuf_reset(body);
	return -1;
}
