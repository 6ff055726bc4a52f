/* URLs met in HTML mail, sorted into what the reading pane may do with
 * them: a link, a remote resource, an inline part, an inline data image. */
#ifndef POSTERN_HTML_URL_H
#define POSTERN_HTML_URL_H

#include <stddef.h>

#include "util/strbuf.h"

enum url_kind {
	URL_BAD,	/* anything else: javascript:, relative, control chars */
	URL_HTTP,	/* http:// or https:// with a host */
	URL_MAILTO,
	URL_CID,	/* cid: an inline part of the same message */
	URL_DATA_IMAGE,	/* data:image/(png|gif|jpeg|webp);base64,... */
};

/* Longest URL kept in an attribute; data images have their own cap. */
#define URL_MAX 4096
#define URL_DATA_MAX (512 * 1024)

/* Classifies u[0..len) (entities already decoded). Leading and trailing
 * blanks are ignored; any other control character, blank or backslash
 * makes the URL bad, since browsers drop or rewrite those. *start and
 * *ulen give the trimmed URL. */
enum url_kind url_classify(const char *u, size_t len, size_t *start, size_t *ulen);

/* Appends s[0..len) percent-encoded for a query value (unreserved kept). */
void url_encode(struct strbuf *out, const char *s, size_t len);

/* Decodes a percent-encoded query value into out ('+' is a blank).
 * Returns -1 on a bad escape. */
int url_decode(struct strbuf *out, const char *s, size_t len);

#endif
