/* Plain-text mail for the reading pane: escaped, with http(s) URLs and
 * www. names turned into links. */
#ifndef POSTERN_HTML_TEXT_H
#define POSTERN_HTML_TEXT_H

#include <stddef.h>

#include "html/sanitize.h"
#include "util/strbuf.h"

/* Appends s[0..len) as HTML text (the caller wraps it, for instance in
 * <pre>); each link's href goes through link (NULL: as is) with ctx. */
void html_text_linkify(const char *s, size_t len, html_rewrite_fn link,
		       void *ctx, struct strbuf *out);

#endif
