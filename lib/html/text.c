/* Linkifying plain text: a URL runs from "http://", "https://" or "www."
 * to the first blank, quote or angle bracket, minus trailing punctuation. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "html/text.h"
#include "html/url.h"

static size_t url_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && (unsigned char)s[n] > 0x20 && s[n] != 0x7f &&
	       !strchr("<>\"'`\\", s[n]))
		n++;
	while (n > 0 && strchr(".,;:!?)]}", s[n - 1]))
		n--;
	return n;
}

static size_t url_at(const char *s, size_t len, size_t i, int *www)
{
	const char *p = s + i;
	size_t rest = len - i;

	if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '/'))
		return 0;
	*www = 0;
	if ((rest > 8 && strncasecmp(p, "https://", 8) == 0) ||
	    (rest > 7 && strncasecmp(p, "http://", 7) == 0)) {
		size_t n = url_len(p, rest);

		return n > 8 ? n : 0;
	}
	if (rest > 5 && strncasecmp(p, "www.", 4) == 0 && isalnum((unsigned char)p[4])) {
		*www = 1;
		return url_len(p, rest);
	}
	return 0;
}

static void link_put(const char *u, size_t n, int www, html_rewrite_fn link,
		     void *ctx, struct strbuf *out)
{
	struct strbuf full = STRBUF_INIT, v = STRBUF_INIT;
	size_t b, ulen;

	if (www)
		strbuf_addstr(&full, "http://");
	strbuf_add(&full, u, n);
	if (url_classify(full.buf, full.len, &b, &ulen) != URL_HTTP) {
		html_escape_text(out, u, n);
		goto done;
	}
	if (link == NULL)
		strbuf_add(&v, full.buf, full.len);
	else if (link(full.buf, full.len, &v, ctx) < 0) {
		html_escape_text(out, u, n);
		goto done;
	}
	strbuf_addstr(out, "<a href=\"");
	html_escape_attr(out, v.buf ? v.buf : "", v.len);
	strbuf_addstr(out, "\">");
	html_escape_text(out, u, n);
	strbuf_addstr(out, "</a>");
done:
	strbuf_release(&full);
	strbuf_release(&v);
}

void html_text_linkify(const char *s, size_t len, html_rewrite_fn link,
		       void *ctx, struct strbuf *out)
{
	size_t i = 0, from = 0;

	while (i < len) {
		int www;
		size_t n = (s[i] == 'h' || s[i] == 'H' || s[i] == 'w' || s[i] == 'W') ?
			   url_at(s, len, i, &www) : 0;

		if (n == 0) {
			i++;
			continue;
		}
		html_escape_text(out, s + from, i - from);
		link_put(s + i, n, www, link, ctx, out);
		i += n;
		from = i;
	}
	html_escape_text(out, s + from, len - from);
}
