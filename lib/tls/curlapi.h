/* libcurl loaded with dlopen on first use, so programs that never fetch
 * (scl-score, smime-sign...) do not pay for it at start-up: the handful of
 * calls postern makes, for tls/fetch and the HTTP client. */
#ifndef TLS_CURLAPI_H
#define TLS_CURLAPI_H

#include <curl/curl.h>

struct curl_api {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/* The loaded calls (global_init done), or NULL with *why saying what
 * failed; loaded once per process, the answer kept. Not thread-safe on the
 * first call. */
const struct curl_api *curl_api(const char **why);

#endif
