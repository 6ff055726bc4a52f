/* The HTML sanitiser of the reading pane: a real HTML5 parse (libgumbo),
 * an allow-list of elements and attributes, inline CSS reduced by css.h,
 * URLs sorted by url.h, the result serialised from the tree. The output is
 * a body fragment that parses back to the same tree (checked on every
 * call: the pass is repeated until the serialisation is a fixed point). */
#ifndef POSTERN_HTML_SANITIZE_H
#define POSTERN_HTML_SANITIZE_H

#include <stddef.h>

#include "util/strbuf.h"

/* Rewrites a URL the sanitiser keeps: appends the value to put in the
 * attribute to out (unescaped; the sanitiser escapes it). Returns 0, or
 * -1 to drop the attribute. */
typedef int (*html_rewrite_fn)(const char *url, size_t len, struct strbuf *out,
			       void *ctx);

struct html_policy {
	int allow_remote;	/* keep http(s) images and backgrounds */
	html_rewrite_fn link;	/* a href (http, https, mailto); NULL: as is */
	html_rewrite_fn cid;	/* img src="cid:..."; NULL: dropped */
	html_rewrite_fn remote;	/* a kept remote resource; NULL: as is */
	void *ctx;		/* passed to the three functions */
	size_t input_max;	/* longer input is refused (0: 4 MiB) */
	unsigned depth_max;	/* deeper elements become text (0: 128) */
};

struct html_stats {
	unsigned blocked;	/* remote resources left out */
	unsigned dropped;	/* elements removed or unwrapped */
	unsigned passes;	/* parses until the fixed point */
	int text_only;		/* no fixed point: the text alone was kept */
};

/* Appends the sanitised fragment of in[0..len) (UTF-8) to out; stats may
 * be NULL. Returns 0, or -1 if the input is longer than input_max. */
int html_sanitize(const char *in, size_t len, const struct html_policy *pol,
		  struct strbuf *out, struct html_stats *stats);

/* Appends s[0..len) escaped for text content (& < > and NUL dropped). */
void html_escape_text(struct strbuf *out, const char *s, size_t len);
/* Appends s[0..len) escaped for a double-quoted attribute value. */
void html_escape_attr(struct strbuf *out, const char *s, size_t len);

#endif
