/* Reading and writing SMTP replies: the next hop's answers, relayed to
 * our client. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/reply.h"

void smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->enh[0] = 0;
	strbuf_init(&r->text, 0);
	r->nlines = 0;
	r->why[0] = 0;
}

void smtp_reply_clear(struct smtp_reply *r)
{
	strbuf_release(&r->text);
	r->code = 0;
	r->enh[0] = 0;
	r->nlines = 0;
	r->why[0] = 0;
}

void smtp_reply_set(struct smtp_reply *r, int code, const char *enh, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh ? enh : "");
	strbuf_reset(&r->text);
	va_start(ap, fmt);
	strbuf_vaddf(&r->text, fmt, ap);
	va_end(ap);
	r->nlines = 1;
}

int smtp_reply_parse_line(const char *line, size_t len, int *code, size_t *text_off)
{
	if (len < 3 || !isdigit((unsigned char)line[0]) || line[0] < '2' || line[0] > '5' ||
	    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]))
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3) {
		*text_off = 3;
		return 1;
	}
	if (line[3] != ' ' && line[3] != '-')
		return -1;
	*text_off = 4;
	return line[3] == ' ';
}

/* "2.1.0 " at the start of text with the class of code: RFC 3463. */
static size_t enh_len(const char *t, size_t n, int code)
{
	size_t i = 0, parts = 0, digits;

	if (n < 5 || t[0] - '0' != code / 100 || t[1] != '.')
		return 0;
	while (parts < 3) {
		digits = 0;
		while (i < n && isdigit((unsigned char)t[i]) && digits < 3)
			i++, digits++;
		if (digits == 0)
			return 0;
		if (++parts < 3) {
			if (i >= n || t[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && t[i] != ' ')
		return 0;
	return i;
}

static int refuse(struct smtp_reply *r, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	return -1;
}

int smtp_reply_add(struct smtp_reply *r, const char *line, size_t len)
{
	int code, last;
	size_t off, el;

	if (len > SMTP_REPLY_LINE_MAX)
		return refuse(r, "reply line too long");
	if (r->nlines >= SMTP_REPLY_LINES_MAX)
		return refuse(r, "too many lines in one reply");
	last = smtp_reply_parse_line(line, len, &code, &off);
	if (last < 0)
		return refuse(r, len >= 3 && isdigit((unsigned char)line[0]) &&
			      isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2]) &&
			      line[0] >= '2' && line[0] <= '5'
			      ? "no space or '-' after the reply code"
			      : "not a reply line (no 3-digit code)");
	if (r->nlines && code != r->code)
		return refuse(r, "reply code changes inside a multi-line reply");
	r->code = code;
	el = enh_len(line + off, len - off, code);
	if (r->nlines == 0 && el && el < sizeof(r->enh))
		memcpy(r->enh, line + off, el), r->enh[el] = 0;
	if (el && strncmp(line + off, r->enh, el) == 0)
		off += el + (off + el < len);
	if (r->nlines++)
		strbuf_addch(&r->text, '\n');
	strbuf_add(&r->text, line + off, len - off);
	return last;
}

bool smtp_reply_has(const struct smtp_reply *r, const char *keyword)
{
	size_t k = strlen(keyword);
	const char *p = r->text.len ? r->text.buf : "";

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (n >= k && strncasecmp(p, keyword, k) == 0 &&
		    (n == k || p[k] == ' ' || p[k] == '='))
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

int smtp_reply_read(struct stream *s, struct smtp_reply *r)
{
	struct strbuf line = STRBUF_INIT;
	int rc, last = 0;

	r->code = 0;
	r->enh[0] = 0;
	r->nlines = 0;
	strbuf_reset(&r->text);
	while (!last) {
		rc = stream_getline(s, &line);
		if (rc != STREAM_OK)
			break;
		last = smtp_reply_add(r, line.buf, line.len);
		if (last < 0) {
			r->code = 0;
			strbuf_reset(&r->text);
			strbuf_addstr(&r->text, "malformed reply from the next hop");
			rc = STREAM_ERR;
			break;
		}
	}
	strbuf_release(&line);
	return rc;
}

void smtp_reply_format(const struct smtp_reply *r, struct strbuf *out)
{
	const char *p = r->text.len ? r->text.buf : "";
	const char *nl;

	do {
		nl = strchr(p, '\n');
		strbuf_addf(out, "%03d%c", r->code, nl ? '-' : ' ');
		if (r->enh[0])
			strbuf_addf(out, "%s ", r->enh);
		strbuf_add(out, p, nl ? (size_t)(nl - p) : strlen(p));
		strbuf_addstr(out, "\r\n");
		p = nl ? nl + 1 : NULL;
	} while (p);
}

const char *smtp_reply_first(const struct smtp_reply *r, char *buf, size_t len)
{
	const char *t = r->text.len ? r->text.buf : "";

	snprintf(buf, len, "%03d %s%s%.*s", r->code, r->enh, r->enh[0] ? " " : "",
		 (int)strcspn(t, "\n"), t);
	return buf;
}
