/* URL classification for the sanitiser: a short allow-list of schemes,
 * checked on the bytes the browser would see. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "html/url.h"
#include "util/pct.h"

static int prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && strncasecmp(s, p, n) == 0;
}

static enum url_kind data_image(const char *u, size_t len)
{
	static const char *const types[] = {
		"data:image/png;base64,", "data:image/gif;base64,",
		"data:image/jpeg;base64,", "data:image/webp;base64,",
	};
	size_t i, n = 0;

	if (len > URL_DATA_MAX)
		return URL_BAD;
	for (i = 0; i < 4; i++)
		if (prefix(u, len, types[i])) {
			n = strlen(types[i]);
			break;
		}
	if (n == 0 || n == len)
		return URL_BAD;
	for (i = n; i < len; i++)
		if (!isalnum((unsigned char)u[i]) && u[i] != '+' && u[i] != '/' &&
		    u[i] != '=')
			return URL_BAD;
	return URL_DATA_IMAGE;
}

enum url_kind url_classify(const char *u, size_t len, size_t *start, size_t *ulen)
{
	size_t b = 0, e = len;

	while (b < e && strchr(" \t\n\r\f", u[b]) && u[b])
		b++;
	while (e > b && strchr(" \t\n\r\f", u[e - 1]) && u[e - 1])
		e--;
	*start = b;
	*ulen = e - b;
	u += b;
	len = e - b;
	if (len == 0)
		return URL_BAD;
	if (prefix(u, len, "data:"))
		return data_image(u, len);
	if (len > URL_MAX)
		return URL_BAD;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c <= 0x20 || c == 0x7f || c == '\\' || c == '"' || c == '<' ||
		    c == '>' || c == '`')
			return URL_BAD;
	}
	if (prefix(u, len, "http://") || prefix(u, len, "https://")) {
		const char *h = memchr(u, ':', len) + 3;
		size_t rest = len - (size_t)(h - u);

		/* A host must follow: "http:///x" and "http://@" are not links. */
		if (rest == 0 || *h == '/' || *h == '?' || *h == '#' || *h == '@')
			return URL_BAD;
		return URL_HTTP;
	}
	if (prefix(u, len, "mailto:") && len > 7)
		return URL_MAILTO;
	if (prefix(u, len, "cid:") && len > 4)
		return URL_CID;
	return URL_BAD;
}

void url_encode(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			strbuf_addch(out, c);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

int url_decode(struct strbuf *out, const char *s, size_t len)
{
	return pct_decode(out, s, len, PCT_PLUS_SPACE | PCT_STRICT) < 0 ? -1 : 0;
}
