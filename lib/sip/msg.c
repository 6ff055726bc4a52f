/* SIP message framing and parsing (see msg.h): a table of compact header
 * forms, a start-line parser, header lines with folding, and the
 * Content-Length framing of a stream. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/msg.h"
#include "util/mem.h"

static const struct {
	const char *compact, *name;
} canon_names[] = {
	{ "i", "Call-ID" }, { "m", "Contact" }, { "e", "Content-Encoding" },
	{ "l", "Content-Length" }, { "c", "Content-Type" }, { "f", "From" },
	{ "s", "Subject" }, { "k", "Supported" }, { "t", "To" }, { "v", "Via" },
	{ "o", "Event" }, { "r", "Refer-To" }, { "u", "Allow-Events" },
	{ NULL, "CSeq" }, { NULL, "Max-Forwards" }, { NULL, "Record-Route" },
	{ NULL, "Route" }, { NULL, "Require" }, { NULL, "Allow" }, { NULL, "Accept" },
	{ NULL, "User-Agent" }, { NULL, "Proxy-Require" }, { NULL, "Session-Expires" },
	{ NULL, "Unsupported" }, { NULL, "Server" }, { NULL, "Reason" },
	{ NULL, NULL }
};

const char *sip_header_canon(const char *name)
{
	for (size_t i = 0; canon_names[i].name; i++) {
		if (canon_names[i].compact && strcasecmp(name, canon_names[i].compact) == 0)
			return canon_names[i].name;
		if (strcasecmp(name, canon_names[i].name) == 0)
			return canon_names[i].name;
	}
	return name;
}

static void why_set(char *why, size_t whylen, const char *s)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", s);
}

void sip_msg_free(struct sip_msg *m)
{
	if (m == NULL)
		return;
	free(m->method);
	free(m->uri);
	free(m->reason);
	for (size_t i = 0; i < m->nh; i++) {
		free(m->h[i].name);
		free(m->h[i].value);
	}
	free(m->h);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

static bool is_token_char(int c)
{
	return isalnum(c) || (c && strchr("-.!%*_+`'~", c));
}

/* "SIP/2.0" exactly (the version is case-insensitive in RFC 3261). */
static bool is_version(const char *s, size_t n)
{
	return n == 7 && strncasecmp(s, "SIP/2.0", 7) == 0;
}

static int parse_start(struct sip_msg *m, const char *s, size_t n)
{
	const char *sp1 = memchr(s, ' ', n), *sp2;

	if (sp1 == NULL || sp1 == s)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(s + n - sp1 - 1));
	if (is_version(s, (size_t)(sp1 - s))) {
		const char *code = sp1 + 1;
		size_t clen = sp2 ? (size_t)(sp2 - code) : (size_t)(s + n - code);

		if (clen != 3 || !isdigit((unsigned char)code[0]) ||
		    !isdigit((unsigned char)code[1]) || !isdigit((unsigned char)code[2]))
			return -1;
		m->status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
		if (m->status < 100 || m->status > 699)
			return -1;
		m->reason = sp2 ? xstrndup(sp2 + 1, (size_t)(s + n - sp2 - 1)) : xstrdup("");
		m->request = false;
		return 0;
	}
	if (sp2 == NULL || sp2 == sp1 + 1 || !is_version(sp2 + 1, (size_t)(s + n - sp2 - 1)))
		return -1;
	for (const char *p = s; p < sp1; p++)
		if (!is_token_char((unsigned char)*p))
			return -1;
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -1;
	m->request = true;
	m->method = xstrndup(s, (size_t)(sp1 - s));
	m->uri = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	return 0;
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
		(*e)--;
}

/* One header line (folded continuations already joined into line). */
static int add_header(struct sip_msg *m, const char *s, size_t n, size_t *cap)
{
	const char *colon = memchr(s, ':', n), *nb = s, *ne, *vb, *ve = s + n;
	char *name;

	if (colon == NULL)
		return -1;
	ne = colon;
	trim(&nb, &ne);
	if (nb == ne)
		return -1;
	for (const char *p = nb; p < ne; p++)
		if (!is_token_char((unsigned char)*p))
			return -1;
	vb = colon + 1;
	trim(&vb, &ve);
	if (m->nh >= SIP_HEADERS_MAX)
		return -2;
	xgrow((void **)&m->h, cap, m->nh + 1, sizeof(*m->h));
	name = xstrndup(nb, (size_t)(ne - nb));
	m->h[m->nh].name = xstrdup(sip_header_canon(name));
	free(name);
	m->h[m->nh].value = xstrndup(vb, (size_t)(ve - vb));
	for (char *p = m->h[m->nh].value; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	m->nh++;
	return 0;
}

/* Splits the head (without its blank line) into lines, joining folded
 * ones (a line starting with space or tab continues the previous). */
static int parse_head(struct sip_msg *m, const char *head, size_t len, char *why, size_t whylen)
{
	const char *p = head, *end = head + len, *nl;
	struct strbuf line = STRBUF_INIT;
	size_t cap = 0;
	int rc = 0;

	nl = memchr(p, '\n', len);
	if (nl == NULL)
		nl = end;
	{
		const char *le = nl;

		if (le > p && le[-1] == '\r')
			le--;
		if (parse_start(m, p, (size_t)(le - p)) < 0) {
			why_set(why, whylen, "bad start line");
			return -1;
		}
	}
	p = nl < end ? nl + 1 : end;
	while (p < end && rc == 0) {
		const char *le;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		le = nl;
		if (le > p && le[-1] == '\r')
			le--;
		if ((*p == ' ' || *p == '\t') && line.len) {
			strbuf_addch(&line, ' ');
			strbuf_add(&line, p, (size_t)(le - p));
		} else {
			if (line.len)
				rc = add_header(m, line.buf, line.len, &cap);
			strbuf_reset(&line);
			strbuf_add(&line, p, (size_t)(le - p));
		}
		p = nl < end ? nl + 1 : end;
	}
	if (rc == 0 && line.len)
		rc = add_header(m, line.buf, line.len, &cap);
	strbuf_release(&line);
	if (rc == -2)
		why_set(why, whylen, "too many headers");
	else if (rc < 0)
		why_set(why, whylen, "bad header line");
	return rc < 0 ? -1 : 0;
}

/* The end of the head: the index just past the blank line, and the
 * head's own length (without it). 0 when not there yet. */
static size_t head_end(const char *s, size_t n, size_t *head_len)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\n')
			continue;
		if (s[i + 1] == '\n') {
			*head_len = i;
			return i + 2;
		}
		if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			*head_len = i;
			return i + 3;
		}
	}
	return 0;
}

/* Content-Length: digits only, at most SIP_BODY_MAX. -1 absent, -2 bad. */
static long content_length(const struct sip_msg *m)
{
	const char *v = sip_msg_get(m, "Content-Length");
	long n = 0;

	if (v == NULL)
		return -1;
	if (*v == 0)
		return -2;
	for (const char *p = v; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -2;
		n = n * 10 + (*p - '0');
		if (n > SIP_BODY_MAX)
			return -3;
	}
	return n;
}

int sip_msg_parse(const char *data, size_t len, struct sip_msg *m, char *why, size_t whylen)
{
	size_t hlen = 0, hend;
	long cl;

	memset(m, 0, sizeof(*m));
	hend = head_end(data, len, &hlen);
	if (hend == 0) {
		hend = len;
		hlen = len;
	}
	if (hlen > SIP_HEAD_MAX) {
		why_set(why, whylen, "header section too long");
		return -1;
	}
	if (parse_head(m, data, hlen, why, whylen) < 0)
		goto bad;
	cl = content_length(m);
	if (cl == -2 || cl == -3) {
		why_set(why, whylen, cl == -3 ? "body too large" : "bad Content-Length");
		goto bad;
	}
	if (cl < 0)
		cl = (long)(len - hend);
	if ((size_t)cl > len - hend || cl > SIP_BODY_MAX) {
		why_set(why, whylen, cl > SIP_BODY_MAX ? "body too large" : "body shorter than Content-Length");
		goto bad;
	}
	m->body = xmalloc((size_t)cl + 1);
	memcpy(m->body, data + hend, (size_t)cl);
	m->body[cl] = 0;
	m->body_len = (size_t)cl;
	return 0;
bad:
	sip_msg_free(m);
	return -1;
}

const char *sip_msg_get_nth(const struct sip_msg *m, const char *name, size_t i)
{
	const char *c = sip_header_canon(name);

	for (size_t k = 0; k < m->nh; k++)
		if (strcasecmp(m->h[k].name, c) == 0 && i-- == 0)
			return m->h[k].value;
	return NULL;
}

const char *sip_msg_get(const struct sip_msg *m, const char *name)
{
	return sip_msg_get_nth(m, name, 0);
}

/* --- the stream reader --- */

void sip_reader_init(struct sip_reader *r)
{
	strbuf_init(&r->buf, 0);
	r->off = 0;
}

void sip_reader_clear(struct sip_reader *r)
{
	strbuf_release(&r->buf);
	r->off = 0;
}

void sip_reader_feed(struct sip_reader *r, const void *data, size_t len)
{
	/* Drop what was framed already before growing. */
	if (r->off && r->off == r->buf.len) {
		strbuf_reset(&r->buf);
		r->off = 0;
	} else if (r->off > 4096) {
		memmove(r->buf.buf, r->buf.buf + r->off, r->buf.len - r->off);
		strbuf_setlen(&r->buf, r->buf.len - r->off);
		r->off = 0;
	}
	strbuf_add(&r->buf, data, len);
}

size_t sip_reader_pending(const struct sip_reader *r)
{
	return r->buf.len - r->off;
}

int sip_reader_next(struct sip_reader *r, struct sip_msg *m, char *why, size_t whylen)
{
	const char *s;
	size_t n, hlen = 0, hend, scan;
	struct sip_msg head;
	long cl;

	if (r->buf.len - r->off >= 4 && memcmp(r->buf.buf + r->off, "\r\n\r\n", 4) == 0) {
		r->off += 4;
		return SIP_READER_PING;
	}
	while (r->off < r->buf.len && (r->buf.buf[r->off] == '\r' || r->buf.buf[r->off] == '\n')) {
		/* a ping may still be arriving: wait for its end */
		if (r->buf.len - r->off < 4 && r->buf.buf[r->off] == '\r' &&
		    memcmp(r->buf.buf + r->off, "\r\n\r\n", r->buf.len - r->off) == 0)
			return 0;
		r->off++;
	}
	s = r->buf.buf + r->off;
	n = r->buf.len - r->off;
	if (n == 0)
		return 0;
	scan = n < SIP_HEAD_MAX + 4 ? n : SIP_HEAD_MAX + 4;
	hend = head_end(s, scan, &hlen);
	if (hend == 0 || hlen > SIP_HEAD_MAX) {
		if (n > SIP_HEAD_MAX || hlen > SIP_HEAD_MAX) {
			why_set(why, whylen, "header section too long");
			return -1;
		}
		return 0;
	}
	/* Parse the head alone for its Content-Length; the head is parsed
	 * again with the body below, which keeps one parser for both. */
	memset(&head, 0, sizeof(head));
	if (parse_head(&head, s, hlen, why, whylen) < 0) {
		sip_msg_free(&head);
		return -1;
	}
	cl = content_length(&head);
	sip_msg_free(&head);
	if (cl == -2 || cl == -3) {
		why_set(why, whylen, cl == -3 ? "body too large" : "bad Content-Length");
		return -1;
	}
	if (cl < 0)
		cl = 0;	/* RFC 3261 18.3: required on streams; absent means none */
	if (n - hend < (size_t)cl)
		return 0;
	if (sip_msg_parse(s, hend + (size_t)cl, m, why, whylen) < 0)
		return -1;
	r->off += hend + (size_t)cl;
	return 1;
}

/* --- header values --- */

static int copy_out(const char *b, const char *e, char *out, size_t outlen)
{
	size_t n = (size_t)(e - b);

	if (n + 1 > outlen)
		return -1;
	memcpy(out, b, n);
	out[n] = 0;
	return 0;
}

/* Skips a quoted string starting at p (on the quote); returns the char
 * after the closing quote, or the end. */
static const char *skip_quoted(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

/* Where the parameters after the address start (";..."), or the end. */
static const char *addr_end(const char *v)
{
	const char *p = v;

	while (*p) {
		if (*p == '"')
			p = skip_quoted(p);
		else if (*p == '<') {
			const char *gt = strchr(p, '>');

			return gt ? gt + 1 : p + strlen(p);
		} else
			p++;
	}
	/* addr-spec: parameters after the first ';' are the header's */
	p = strchr(v, ';');
	return p ? p : v + strlen(v);
}

int sip_addr_uri(const char *value, char *out, size_t outlen)
{
	const char *p = value, *lt = NULL;

	while (*p) {
		if (*p == '"')
			p = skip_quoted(p);
		else if (*p == '<') {
			lt = p;
			break;
		} else
			p++;
	}
	if (lt) {
		const char *gt = strchr(lt, '>');

		if (gt == NULL)
			return -1;
		return copy_out(lt + 1, gt, out, outlen);
	}
	{
		const char *b = value, *e = addr_end(value);

		trim(&b, &e);
		if (b == e)
			return -1;
		return copy_out(b, e, out, outlen);
	}
}

int sip_addr_param(const char *value, const char *name, char *out, size_t outlen)
{
	const char *p = addr_end(value);
	size_t nlen = strlen(name);

	while ((p = strchr(p, ';')) != NULL) {
		const char *b = p + 1, *e;

		while (*b == ' ' || *b == '\t')
			b++;
		e = b;
		while (*e && *e != '=' && *e != ';' && *e != ' ' && *e != ',')
			e++;
		if ((size_t)(e - b) == nlen && strncasecmp(b, name, nlen) == 0) {
			const char *vb, *ve;

			while (*e == ' ')
				e++;
			if (*e != '=')
				return copy_out(e, e, out, outlen);
			vb = e + 1;
			while (*vb == ' ')
				vb++;
			if (*vb == '"') {
				ve = skip_quoted(vb);
				if (ve > vb + 1 && ve[-1] == '"')
					return copy_out(vb + 1, ve - 1, out, outlen);
				return -1;
			}
			ve = vb;
			while (*ve && *ve != ';' && *ve != ',' && *ve != ' ')
				ve++;
			return copy_out(vb, ve, out, outlen);
		}
		p = p + 1;
	}
	return -1;
}

int sip_uri_user(const char *uri, char *out, size_t outlen)
{
	const char *p, *at, *e;

	if (strncasecmp(uri, "sip:", 4) == 0)
		p = uri + 4;
	else if (strncasecmp(uri, "sips:", 5) == 0)
		p = uri + 5;
	else if (strncasecmp(uri, "tel:", 4) == 0) {
		p = uri + 4;
		e = p + strcspn(p, ";?");
		return p == e ? -1 : copy_out(p, e, out, outlen);
	} else
		return -1;
	at = strchr(p, '@');
	if (at == NULL)
		return -1;
	e = p + strcspn(p, ";:@?");
	if (e > at)
		e = at;
	return p == e ? -1 : copy_out(p, e, out, outlen);
}

bool sip_uri_is_sips(const char *uri)
{
	return strncasecmp(uri, "sips:", 5) == 0;
}

int sip_cseq_parse(const char *value, unsigned long *num, char *method, size_t mlen)
{
	char *end;
	const char *p = value, *mb;
	unsigned long n;

	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (errno || n > 0xffffffffUL || (*end != ' ' && *end != '\t'))
		return -1;
	p = end;
	while (*p == ' ' || *p == '\t')
		p++;
	mb = p;
	while (is_token_char((unsigned char)*p))
		p++;
	if (p == mb || *p)
		return -1;
	*num = n;
	return copy_out(mb, p, method, mlen);
}

const char *sip_reason(int status)
{
	static const struct {
		int code;
		const char *text;
	} t[] = {
		{ 100, "Trying" }, { 180, "Ringing" }, { 183, "Session Progress" },
		{ 200, "OK" }, { 400, "Bad Request" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 413, "Request Entity Too Large" },
		{ 415, "Unsupported Media Type" }, { 420, "Bad Extension" },
		{ 481, "Call/Transaction Does Not Exist" }, { 482, "Loop Detected" },
		{ 486, "Busy Here" }, { 487, "Request Terminated" },
		{ 488, "Not Acceptable Here" }, { 491, "Request Pending" },
		{ 500, "Server Internal Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" }, { 505, "Version Not Supported" },
		{ 513, "Message Too Large" }, { 0, NULL }
	};

	for (size_t i = 0; t[i].code; i++)
		if (t[i].code == status)
			return t[i].text;
	return status < 300 ? "OK" : "Error";
}
