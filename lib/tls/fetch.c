/* Fetches over HTTP(S) (CRLs, OCSP, MTA-STS) through libcurl, loaded on
 * first use (tls/curlapi.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "tls/curlapi.h"

#include "tls/fetch.h"


static const struct curl_api *curl;

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
		l = curl->slist_append(l, v[i]);
	return l;
}

static void set_request(CURL *h, const struct tls_fetch_req *q, struct sink *s,
			struct curl_slist *hdr, char *errbuf)
{
	struct stat st;

	curl->easy_setopt(h, CURLOPT_URL, q->url);
	curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, q->protocols ? q->protocols : "http,https");
	curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)q->timeout_ms);
	curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl->easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl->easy_setopt(h, CURLOPT_USERAGENT, "postern");
	if (q->ca_file && stat(q->ca_file, &st) == 0 && S_ISDIR(st.st_mode))
		curl->easy_setopt(h, CURLOPT_CAPATH, q->ca_file);
	else if (q->ca_file)
		curl->easy_setopt(h, CURLOPT_CAINFO, q->ca_file);
	if (q->post) {
		curl->easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl->easy_setopt(h, CURLOPT_POSTFIELDS, q->post);
		curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)q->post_len);
	}
}

int tls_fetch(const struct tls_fetch_req *q, long *status, struct strbuf *ctype,
	      struct strbuf *body, char *why, size_t whylen)
{
	struct sink s = { body, q->max, false };
	struct curl_slist *hdr = NULL, *res, *con;
	char errbuf[CURL_ERROR_SIZE] = "", *ct = NULL, *h_ct;
	const char *failed = NULL;
	CURLcode rc;
	CURL *h;

	strbuf_reset(body);
	strbuf_reset(ctype);
	*status = 0;
	if ((curl = curl_api(&failed)) == NULL || (h = curl->easy_init()) == NULL) {
		snprintf(why, whylen, "%s", failed ? failed : "cannot start libcurl");
		return -1;
	}
	if (q->post) {
		h_ct = NULL;
		if (asprintf(&h_ct, "Content-Type: %s", q->post_type) >= 0) {
			hdr = curl->slist_append(NULL, h_ct);
			free(h_ct);
		}
	}
	res = list(q->resolve, q->nresolve);
	con = list(q->connect_to, q->nconnect_to);
	set_request(h, q, &s, hdr, errbuf);
	curl->easy_setopt(h, CURLOPT_RESOLVE, res);
	curl->easy_setopt(h, CURLOPT_CONNECT_TO, con);
	rc = curl->easy_perform(h);
	curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl->easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		strbuf_addstr(ctype, ct);
	curl->easy_cleanup(h);
	curl->slist_free_all(hdr);
	curl->slist_free_all(res);
	curl->slist_free_all(con);
	if (rc == CURLE_OK)
		return 0;
	if (s.over)
		snprintf(why, whylen, "larger than %zu bytes", q->max);
	else
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl->easy_strerror(rc));
	strbuf_reset(body);
	return -1;
}
