/* The SIP response parser, line by line, with caps. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reply.h"
#include "util/mem.h"

static int fail(char *why, size_t len, const char *text)
{
	snprintf(why, len, "%s", text);
	return -1;
}

void sip_reply_init(struct sip_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

void sip_reply_clear(struct sip_reply *r)
{
	for (size_t i = 0; i < r->nhdr; i++) {
		free(r->hdr[i].name);
		free(r->hdr[i].value);
	}
	free(r->hdr);
	sip_reply_init(r);
}

/* "SIP/2.0 200 OK" */
static int status_line(struct sip_reply *r, const char *line, size_t len)
{
	size_t i = 8, rlen;

	if (len < 12 || strncasecmp(line, "SIP/2.0 ", 8) != 0)
		return fail(r->why, sizeof(r->why), "not a SIP/2.0 status line");
	if (!isdigit((unsigned char)line[i]) || !isdigit((unsigned char)line[i + 1]) ||
	    !isdigit((unsigned char)line[i + 2]) || line[i] < '1' || line[i] > '6' ||
	    (len > 11 && line[11] != ' '))
		return fail(r->why, sizeof(r->why), "bad status code");
	r->status = (line[i] - '0') * 100 + (line[i + 1] - '0') * 10 + (line[i + 2] - '0');
	rlen = len > 12 ? len - 12 : 0;
	if (rlen >= sizeof(r->reason))
		rlen = sizeof(r->reason) - 1;
	if (rlen)
		memcpy(r->reason, line + 12, rlen);
	r->reason[rlen] = 0;
	for (size_t j = 0; j < rlen; j++)
		if (iscntrl((unsigned char)r->reason[j]))
			r->reason[j] = '?';
	r->in_headers = true;
	return 0;
}

static const char *long_name(const char *n)
{
	static const char *const compact[][2] = {
		{ "l", "Content-Length" }, { "c", "Content-Type" }, { "f", "From" },
		{ "t", "To" }, { "v", "Via" }, { "i", "Call-ID" }, { "m", "Contact" },
		{ "k", "Supported" }, { "e", "Content-Encoding" }, { "s", "Subject" },
	};

	for (size_t i = 0; i < sizeof(compact) / sizeof(compact[0]); i++)
		if (strcasecmp(n, compact[i][0]) == 0)
			return compact[i][1];
	return n;
}

static void trim(const char **p, size_t *len)
{
	while (*len && (**p == ' ' || **p == '\t'))
		(*p)++, (*len)--;
	while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

static int fold(struct sip_reply *r, const char *line, size_t len)
{
	struct sip_header *h;
	size_t old;
	char *v;

	if (r->nhdr == 0)
		return fail(r->why, sizeof(r->why), "continuation line before any header");
	h = &r->hdr[r->nhdr - 1];
	trim(&line, &len);
	old = strlen(h->value);
	if (old + 1 + len > SIP_VALUE_MAX)
		return fail(r->why, sizeof(r->why), "header value too long");
	v = xmalloc(old + len + 2);
	memcpy(v, h->value, old);
	v[old] = ' ';
	memcpy(v + old + 1, line, len);
	v[old + 1 + len] = 0;
	free(h->value);
	h->value = v;
	return 0;
}

static int header_line(struct sip_reply *r, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *name = line, *val;
	size_t nlen, vlen;
	struct sip_header *h;

	if (line[0] == ' ' || line[0] == '\t')
		return fold(r, line, len);
	if (colon == NULL)
		return fail(r->why, sizeof(r->why), "header line without ':'");
	if (r->nhdr >= SIP_HEADERS_MAX)
		return fail(r->why, sizeof(r->why), "too many header fields");
	nlen = (size_t)(colon - line);
	trim(&name, &nlen);
	if (nlen == 0)
		return fail(r->why, sizeof(r->why), "empty header name");
	for (size_t i = 0; i < nlen; i++)
		if (!isgraph((unsigned char)name[i]))
			return fail(r->why, sizeof(r->why), "bad character in a header name");
	val = colon + 1;
	vlen = len - (size_t)(val - line);
	trim(&val, &vlen);
	if (vlen > SIP_VALUE_MAX)
		return fail(r->why, sizeof(r->why), "header value too long");
	r->hdr = xrealloc(r->hdr, (r->nhdr + 1) * sizeof(*r->hdr));
	h = &r->hdr[r->nhdr++];
	h->name = xstrndup(name, nlen);
	h->value = xstrndup(val, vlen);
	if (strcasecmp(long_name(h->name), "Content-Length") == 0) {
		char *end;
		long n = strtol(h->value, &end, 10);

		if (*end || end == h->value || n < 0 || n > SIP_BODY_MAX)
			return fail(r->why, sizeof(r->why), "bad or too large Content-Length");
		r->content_length = n;
	}
	return 0;
}

int sip_reply_add(struct sip_reply *r, const char *line, size_t len)
{
	if (len > REPLY_LINE_MAX)
		return fail(r->why, sizeof(r->why), "line too long");
	if (memchr(line, 0, len))
		return fail(r->why, sizeof(r->why), "NUL in a line");
	if (!r->in_headers) {
		if (len == 0)
			return 0;	/* a keep-alive CRLF */
		return status_line(r, line, len);
	}
	if (len == 0)
		return 1;
	return header_line(r, line, len);
}

const char *sip_reply_header(const struct sip_reply *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (strcasecmp(long_name(r->hdr[i].name), long_name(name)) == 0)
			return r->hdr[i].value;
	return NULL;
}
