/* HTML reduced to text for classification and rules: a bounded, single
 * pass tag stripper, not an HTML parser. */
#ifndef POSTERN_MAIL_HTMLTEXT_H
#define POSTERN_MAIL_HTMLTEXT_H

#include <stddef.h>

#include "util/strbuf.h"

/* Called with each value of an href, src, action or background attribute,
 * entities decoded (NUL-terminated for the call). Returns 0 to go on. */
typedef int (*htmltext_attr_fn)(const char *value, size_t len, void *ctx);

/* Appends the text of HTML s[0..len) (UTF-8) to out, at most max bytes:
 * tags, comments, <!...> and <?...?> removed, script and style elements
 * removed with their content, entities decoded (numeric, and the common
 * named ones; an unknown one is kept as written), a line break for block
 * elements (br, p, div, tr, li, h1-h6, ...), runs of blanks collapsed.
 * An unterminated tag or comment runs to the end. If fn is not NULL it
 * gets the URL-bearing attribute values; a non-zero return stops the
 * whole pass and is returned. Returns 0 otherwise. */
int htmltext_strip(const char *s, size_t len, size_t max, struct strbuf *out,
		   htmltext_attr_fn fn, void *ctx);

#endif
