/* HTTP(S) fetches for the TLS module and its programs (CRLs, OCSP, the
 * MTA-STS policy) through libcurl, which is loaded on the first fetch:
 * its dependency tree costs milliseconds at every start of a program
 * that mostly never fetches anything. */
#ifndef POSTERN_TLS_FETCH_H
#define POSTERN_TLS_FETCH_H

#include <stddef.h>

#include "util/strbuf.h"

/* What to fetch; every pointer is borrowed for the call. */
struct tls_fetch_req {
	const char *url;
	const char *protocols;		/* "http,https" (default) or "https" */
	const char *post_type;		/* POST with this Content-Type when post */
	const void *post;
	size_t post_len;
	long long timeout_ms;
	size_t max;			/* a larger body is an error */
	const char *ca_file;		/* trusted CAs for https: file or hashed
					   directory; NULL: the system's */
	const char *const *resolve;	/* curl's HOST:PORT:ADDR */
	size_t nresolve;
	const char *const *connect_to;	/* curl's HOST:PORT:HOST2:PORT2 */
	size_t nconnect_to;
};

/* Redirects are never followed. Returns 0 with the status in *status,
 * the Content-Type in ctype (reset first, "" when none) and the body in
 * body (reset first); or -1 with why (a transport error, or "larger than
 * N bytes"). Any HTTP status counts as a success here. */
int tls_fetch(const struct tls_fetch_req *q, long *status, struct strbuf *ctype,
	      struct strbuf *body, char *why, size_t whylen);

#endif
