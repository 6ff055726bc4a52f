/* The MIME parser: a line-driven state machine over the raw bytes, so that
 * fed chunks and one whole buffer give the same tree. A line is handled
 * once it is complete; only the first bytes of a body line are looked at
 * (for a boundary), which keeps the work linear in the message size. */
#include <stdlib.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/mime.h"
#include "mail/mime_int.h"
#include "util/mem.h"
#include "util/msg.h"

/* A part and what only the parser needs about it. */
struct part {
	struct mime_part p;		/* first: a mime_part * is a part * */
	struct mime_part *last;		/* last child */
	int digest;			/* children default to message/rfc822 */
};

struct span {
	size_t off, len;		/* the field in raw, line ends included */
	int cut;
};

enum state { ST_HEADERS, ST_BODY };

struct mime_msg {
	const char *raw;
	size_t len;
	struct strbuf own;		/* the fed bytes */
	int fed, finished;
	struct mime_limits lim;

	struct part **parts;
	size_t nparts, parts_alloc;

	/* Parser state. */
	size_t pos;			/* start of the next line */
	size_t look;			/* where the search for '\n' resumes */
	enum state state;
	struct part *cur;		/* whose headers or body the line is in */
	struct part **open;		/* multiparts awaiting a boundary, outer first */
	unsigned nopen;
	int opaque;			/* parts_max reached */
	int first_line;			/* of cur's header block */
	struct span *fields;		/* cur's header fields so far */
	size_t nfields, fields_alloc, field_bytes;
	int skipping;			/* over fields past the limits */
};

static void limits_set(struct mime_limits *l, const struct mime_limits *given)
{
	static const struct mime_limits zero = MIME_LIMITS_INIT;

	*l = given ? *given : zero;
	if (!l->depth_max)
		l->depth_max = MIME_DEPTH_MAX_DEFAULT;
	if (!l->parts_max)
		l->parts_max = MIME_PARTS_MAX_DEFAULT;
	if (!l->header_bytes_max)
		l->header_bytes_max = MIME_HEADER_BYTES_MAX_DEFAULT;
	if (!l->headers_max)
		l->headers_max = MIME_HEADERS_MAX_DEFAULT;
	if (!l->decode_max)
		l->decode_max = MIME_DECODE_MAX_DEFAULT;
	if (!l->urls_max)
		l->urls_max = MIME_URLS_MAX_DEFAULT;
}

static struct part *part_new(struct mime_msg *m, struct part *parent, size_t off)
{
	struct part *np = xcalloc(1, sizeof(*np));

	np->p.hdr_off = np->p.body_off = off;
	np->p.index = (unsigned)m->nparts;
	xgrow((void **)&m->parts, &m->parts_alloc, m->nparts + 1, sizeof(*m->parts));
	m->parts[m->nparts++] = np;
	if (parent) {
		np->p.parent = &parent->p;
		np->p.depth = parent->p.depth + 1;
		if (parent->last)
			parent->last->next = &np->p;
		else
			parent->p.child = &np->p;
		parent->last = &np->p;
		parent->p.nchildren++;
	}
	m->cur = np;
	m->state = ST_HEADERS;
	m->first_line = 1;
	m->nfields = m->field_bytes = 0;
	m->skipping = 0;
	return np;
}

static struct mime_msg *msg_new(const struct mime_limits *limits)
{
	struct mime_msg *m = xcalloc(1, sizeof(*m));

	limits_set(&m->lim, limits);
	strbuf_init(&m->own, 0);
	m->open = xcalloc(m->lim.depth_max + 1, sizeof(*m->open));
	part_new(m, NULL, 0);
	return m;
}

/* Header fields */

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The length of a field name at s (then optional blanks and ':'), or 0. */
static size_t field_name(const char *s, size_t len)
{
	size_t n = 0, i;

	while (n < len && s[n] > 32 && s[n] < 127 && s[n] != ':')
		n++;
	if (n == 0)
		return 0;
	for (i = n; i < len && is_wsp(s[i]); i++)
		;
	return i < len && s[i] == ':' ? n : 0;
}

static void field_add(struct mime_msg *m, size_t off, size_t len)
{
	size_t room = m->lim.header_bytes_max - m->field_bytes;

	if (m->nfields >= m->lim.headers_max || room == 0) {
		m->cur->p.defects |= MIME_D_HEADER_LIMIT;
		m->skipping = 1;
		return;
	}
	m->skipping = 0;
	xgrow((void **)&m->fields, &m->fields_alloc, m->nfields + 1, sizeof(*m->fields));
	m->fields[m->nfields].off = off;
	m->fields[m->nfields].len = 0;
	m->fields[m->nfields].cut = 0;
	m->nfields++;
}

/* Extends the last field by a line of len bytes, within the limit. */
static void field_extend(struct mime_msg *m, size_t len)
{
	struct span *f = &m->fields[m->nfields - 1];
	size_t room = m->lim.header_bytes_max - m->field_bytes;

	if (m->skipping || f->cut)
		return;
	if (len > room) {
		len = room;
		f->cut = 1;
		m->cur->p.defects |= MIME_D_HEADER_LIMIT;
	}
	f->len += len;
	m->field_bytes += len;
}

/* Builds the unfolded value: line ends dropped, NULs made spaces. */
/* The value s[0..len) unfolded into v (len + 1 bytes). */
static void unfold(struct mime_part *p, const char *s, size_t len, char *v, struct mime_header *h)
{
	size_t n = 0, a = 0;

	while (a < len && (is_wsp(s[a]) || s[a] == '\r' || s[a] == '\n'))
		a++;
	for (size_t i = a; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == 0) {
			p->defects |= MIME_D_NUL;
			c = ' ';
		} else if (c >= 0x80) {
			p->defects |= MIME_D_8BIT_HEADER;
		}
		v[n++] = (char)c;
	}
	while (n > 0 && is_wsp(v[n - 1]))
		n--;
	v[n] = 0;
	h->value = v;
	h->value_len = n;
}

static void headers_build(struct mime_msg *m)
{
	struct mime_part *p = &m->cur->p;

	p->nheaders = 0;
	p->headers = m->nfields ? xcalloc(m->nfields, sizeof(*p->headers)) : NULL;
	for (size_t i = 0; i < m->nfields; i++) {
		struct mime_header *h = &p->headers[p->nheaders];
		const char *f = m->raw + m->fields[i].off;
		size_t flen = m->fields[i].len, n = field_name(f, flen), colon, end;

		if (n == 0)
			continue;	/* cut at the limit before its colon */
		p->nheaders++;
		for (colon = n; f[colon] != ':'; colon++)
			;
		/* The name and the value in one allocation (name first; it
		 * is what mime_free frees): two mallocs a field were a
		 * tenth of the parse. */
		h->name = xmalloc(n + 1 + flen - colon);
		memcpy(h->name, f, n);
		h->name[n] = 0;
		h->off = m->fields[i].off;
		h->len = flen;
		h->cut = m->fields[i].cut;
		h->raw_value_off = h->off + colon + 1;
		end = flen;
		if (!h->cut && end > colon + 1 && f[end - 1] == '\n')
			end -= end > colon + 2 && f[end - 2] == '\r' ? 2 : 1;
		h->raw_value_len = end - colon - 1;
		unfold(p, f + colon + 1, end - colon - 1, h->name + n + 1, h);
	}
}

/* Content-Type, Content-Transfer-Encoding, Content-Disposition */

static int token_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= 32 || *s >= 127 || strchr("()<>@,;:\\\"/[]?=", *s))
			return 0;
	return 1;
}

static void set_type(struct mime_part *p, const char *type, const char *subtype)
{
	free(p->type);
	free(p->subtype);
	p->type = xstrdup(type);
	p->subtype = xstrdup(subtype);
}

static void content_type(struct part *pt, const struct mime_header *h)
{
	struct mime_part *p = &pt->p;
	char *tok, *slash;

	p->defects |= mime_params_parse(h->value, h->value_len, &tok, &p->params, &p->nparams);
	slash = strchr(tok, '/');
	if (slash) {
		*slash = 0;
		if (token_ok(tok) && token_ok(slash + 1)) {
			set_type(p, tok, slash + 1);
			free(tok);
			return;
		}
	}
	p->defects |= MIME_D_BAD_CTYPE;
	free(tok);
}

static void content_cte(struct mime_part *p, const struct mime_header *h)
{
	static const struct { const char *name; enum mime_cte cte; } ctes[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY }, { "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	struct mime_param *params;
	unsigned n;
	char *tok;

	mime_params_parse(h->value, h->value_len, &tok, &params, &n);
	mime_params_free(params, n);
	p->cte = MIME_CTE_UNKNOWN;
	for (size_t i = 0; i < sizeof(ctes) / sizeof(ctes[0]); i++)
		if (strcmp(tok, ctes[i].name) == 0)
			p->cte = ctes[i].cte;
	if (p->cte == MIME_CTE_UNKNOWN)
		p->defects |= MIME_D_BAD_CTE;
	free(tok);
}

static void content_disp(struct mime_part *p, const struct mime_header *h)
{
	char *tok;

	p->defects |= mime_params_parse(h->value, h->value_len, &tok, &p->disp_params,
					&p->ndisp_params);
	if (strcmp(tok, "inline") == 0)
		p->disp = MIME_DISP_INLINE;
	else if (strcmp(tok, "attachment") == 0)
		p->disp = MIME_DISP_ATTACHMENT;
	else
		p->disp = MIME_DISP_OTHER;
	if (!token_ok(tok))
		p->defects |= MIME_D_BAD_DISP;
	free(tok);
}

static int is_leaf_type(const struct mime_part *p)
{
	return strcmp(p->type, "multipart") != 0 && strcmp(p->type, "message") != 0;
}

/* The first of each of the three fields counts; a second is a defect,
 * since two readers may pick different ones. */
enum { F_CTYPE, F_CTE, F_DISP, F_COUNT };

/* The first Content-Type, Content-Transfer-Encoding and
 * Content-Disposition of p and how many of each, in one pass over the
 * fields (six mime_header_find calls compared every field six times). */
static void content_fields(const struct mime_part *p, const struct mime_header *found[F_COUNT],
			   unsigned count[F_COUNT])
{
	static const char *const names[F_COUNT] = {
		"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"
	};

	for (int k = 0; k < F_COUNT; k++) {
		found[k] = NULL;
		count[k] = 0;
	}
	for (unsigned i = 0; i < p->nheaders; i++) {
		const char *name = p->headers[i].name;

		if ((name[0] | 0x20) != 'c')
			continue;
		for (int k = 0; k < F_COUNT; k++)
			if (ascii_caseeq(name, names[k])) {
				if (count[k]++ == 0)
					found[k] = &p->headers[i];
				break;
			}
	}
}

static void interpret(struct part *pt)
{
	struct mime_part *p = &pt->p;
	const struct mime_header *h, *found[F_COUNT];
	unsigned count[F_COUNT];
	int digest = p->parent && ((struct part *)p->parent)->digest;

	set_type(p, digest ? "message" : "text", digest ? "rfc822" : "plain");
	content_fields(p, found, count);
	if ((h = found[F_CTYPE]))
		content_type(pt, h);
	if (count[F_CTYPE] > 1)
		p->defects |= MIME_D_DUP_CTYPE;
	if ((h = found[F_CTE]))
		content_cte(p, h);
	if (count[F_CTE] > 1)
		p->defects |= MIME_D_BAD_CTE;
	if ((h = found[F_DISP]))
		content_disp(p, h);
	if (count[F_DISP] > 1)
		p->defects |= MIME_D_BAD_DISP;
	p->charset = mime_part_param(p, "charset");
	if (p->charset)
		for (char *c = (char *)p->charset; *c; c++)
			*c = (char)ascii_lower((unsigned char)*c);
	p->boundary = mime_part_param(p, "boundary");
	p->filename = mime_part_disp_param(p, "filename");
	if (!p->filename || !*p->filename)
		p->filename = mime_part_param(p, "name");
	if (p->filename && !*p->filename)
		p->filename = NULL;
	p->is_attachment = p->disp == MIME_DISP_ATTACHMENT || p->disp == MIME_DISP_OTHER ||
		p->filename ||
		(is_leaf_type(p) && strcmp(p->type, "text") != 0 && p->disp != MIME_DISP_INLINE);
	pt->digest = strcmp(p->type, "multipart") == 0 && strcmp(p->subtype, "digest") == 0;
}

/* Structure */

static int identity_cte(const struct mime_part *p)
{
	return p->cte == MIME_CTE_7BIT || p->cte == MIME_CTE_8BIT || p->cte == MIME_CTE_BINARY;
}

/* Whether a container may get children: the depth and part limits. */
static int may_nest(struct mime_msg *m, struct mime_part *p)
{
	if (m->opaque)
		return 0;
	if (p->depth + 1 > m->lim.depth_max) {
		p->defects |= MIME_D_DEPTH_LIMIT;
		return 0;
	}
	return 1;
}

/* The header block of cur is over; the body starts at body_off. */
static void headers_end(struct mime_msg *m, size_t hdr_end, size_t body_off)
{
	struct part *pt = m->cur;
	struct mime_part *p = &pt->p;

	p->hdr_len = hdr_end - p->hdr_off;
	p->body_off = body_off;
	headers_build(m);
	interpret(pt);
	m->state = ST_BODY;
	if (strcmp(p->type, "multipart") == 0) {
		if (!identity_cte(p))
			p->defects |= MIME_D_BAD_CTE;
		if (!p->boundary || !*p->boundary)
			p->defects |= MIME_D_NO_BOUNDARY;
		else if (may_nest(m, p))
			m->open[m->nopen++] = pt;
	} else if (strcmp(p->type, "message") == 0 &&
		   (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0)) {
		if (!identity_cte(p))
			p->defects |= MIME_D_BAD_CTE;
		else if (may_nest(m, p) && m->nparts < m->lim.parts_max)
			part_new(m, pt, body_off);
		else if (m->nparts >= m->lim.parts_max)
			p->defects |= MIME_D_PARTS_LIMIT;
	}
}

/* Where a part stops before the boundary line at start: the line end
 * before it belongs to the boundary (RFC 2046 5.1.1). */
static size_t end_before(const struct mime_msg *m, size_t start, size_t floor)
{
	size_t e = start;

	if (e > floor && m->raw[e - 1] == '\n') {
		e--;
		if (e > floor && m->raw[e - 1] == '\r')
			e--;
	}
	return e;
}

/* Ends cur (in its header block or body) at end. */
static void part_close(struct mime_msg *m, struct part *pt, size_t end)
{
	struct mime_part *p = &pt->p;

	if (m->cur == pt && m->state == ST_HEADERS) {
		/* No blank line after the fields: RFC 2046's body-part
		 * allows it, and so does RFC 5322 for a message. */
		if (end < p->hdr_off)
			end = p->hdr_off;
		headers_end(m, end, end);
		/* A message/rfc822 child just made: it is empty. */
		if (m->cur != pt) {
			struct part *child = m->cur;

			headers_build(m);	/* none: part_new emptied the list */
			interpret(child);
			m->cur = pt;
		}
	}
	p->body_len = end > p->body_off ? end - p->body_off : 0;
}

/* A multipart closed by something other than its own "--b--". */
static void unclosed(struct mime_part *p)
{
	p->defects |= p->nchildren ? MIME_D_NO_FINAL_BOUNDARY : MIME_D_BOUNDARY_NEVER;
}

/* Closes every part from cur up to (not including) upto. */
static void close_upto(struct mime_msg *m, struct part *upto, size_t end)
{
	while (m->cur && m->cur != upto) {
		struct part *pt = m->cur;

		part_close(m, pt, end);
		if (m->nopen && m->open[m->nopen - 1] == pt) {
			m->nopen--;
			unclosed(&pt->p);
		}
		m->cur = (struct part *)pt->p.parent;
		m->state = ST_BODY;
	}
}

/* Which open multipart's boundary the line is, innermost first: its index
 * in open, or -1; *close for "--b--". Blanks may follow the boundary. */
static int boundary_match(const struct mime_msg *m, const char *s, size_t len, int *close)
{
	if (len < 3 || s[0] != '-' || s[1] != '-' || m->opaque)
		return -1;
	for (int k = (int)m->nopen - 1; k >= 0; k--) {
		const char *b = m->open[k]->p.boundary;
		size_t bl = strlen(b), i;

		if (len - 2 < bl || memcmp(s + 2, b, bl) != 0)
			continue;
		i = 2 + bl;
		*close = i + 1 < len && s[i] == '-' && s[i + 1] == '-';
		if (*close)
			i += 2;
		while (i < len && is_wsp(s[i]))
			i++;
		if (i == len)
			return k;
	}
	return -1;
}

/* A boundary line [start, next) of open[k]. */
static void on_boundary(struct mime_msg *m, int k, int close, size_t start, size_t next)
{
	struct part *mp = m->open[k];

	if (!close && m->nparts >= m->lim.parts_max) {
		/* From here on everything is the body of the last part. */
		m->opaque = 1;
		m->cur->p.defects |= MIME_D_PARTS_LIMIT;
		m->parts[0]->p.defects |= MIME_D_PARTS_LIMIT;
		return;
	}
	close_upto(m, mp, end_before(m, start, m->cur->p.body_off));
	m->nopen = (unsigned)k + 1;
	if (close) {
		m->nopen = (unsigned)k;
		m->cur = mp;
		m->state = ST_BODY;
		return;
	}
	part_new(m, mp, next);
}

static void body_line(struct mime_msg *m, size_t start, size_t eol, size_t next)
{
	int close, k = boundary_match(m, m->raw + start, eol - start, &close);

	if (k >= 0)
		on_boundary(m, k, close, start, next);
}

static void header_line(struct mime_msg *m, size_t start, size_t eol, size_t next)
{
	const char *s = m->raw + start;
	size_t len = eol - start;
	int first = m->first_line, close, k;

	m->first_line = 0;
	if ((k = boundary_match(m, s, len, &close)) >= 0) {
		on_boundary(m, k, close, start, next);
		return;
	}
	if (len == 0) {
		/* A part of a multipart may have no header; a message may not. */
		if (first && (!m->cur->p.parent || !strcmp(m->cur->p.parent->type, "message")))
			m->cur->p.defects |= MIME_D_NO_HEADERS;
		headers_end(m, start, next);
		return;
	}
	if (is_wsp(s[0]) && m->nfields) {
		field_extend(m, next - start);
		return;
	}
	if (field_name(s, len)) {
		field_add(m, start, next - start);
		if (!m->skipping)
			field_extend(m, next - start);
		return;
	}
	if (first && m->cur->p.index == 0 && len >= 5 && memcmp(s, "From ", 5) == 0) {
		m->first_line = 1;	/* an mbox separator, not a header */
		m->cur->p.hdr_off = next;
		return;
	}
	/* Not a header: the body starts here, without a separator. */
	m->cur->p.defects |= first ? MIME_D_NO_HEADERS : MIME_D_BAD_HEADER | MIME_D_NO_SEPARATOR;
	headers_end(m, start, start);
	if (m->state == ST_HEADERS)	/* a message/rfc822 child: it has none */
		header_line(m, start, eol, next);
	else
		body_line(m, start, eol, next);
}

/* One complete line: [start, eol) its text, [eol, next) its line end. */
static void line(struct mime_msg *m, size_t start, size_t eol, size_t next)
{
	if (eol - start > 998)
		m->cur->p.defects |= MIME_D_LONG_LINE;
	if (m->state == ST_HEADERS)
		header_line(m, start, eol, next);
	else
		body_line(m, start, eol, next);
}

/* Handles the complete lines in raw[pos..len). */
static void scan(struct mime_msg *m)
{
	while (m->look < m->len) {
		const char *nl = memchr(m->raw + m->look, '\n', m->len - m->look);
		size_t next, eol;

		if (!nl) {
			m->look = m->len;
			return;
		}
		next = (size_t)(nl - m->raw) + 1;
		eol = next - 1;
		if (eol > m->pos && m->raw[eol - 1] == '\r')
			eol--;
		line(m, m->pos, eol, next);
		m->pos = m->look = next;
	}
}

static void finish(struct mime_msg *m)
{
	if (m->pos < m->len) {
		size_t eol = m->len;

		if (m->raw[eol - 1] == '\r')
			eol--;
		line(m, m->pos, eol, m->len);
	}
	m->pos = m->len;
	if (m->state == ST_HEADERS && m->first_line && m->cur->p.index == 0 && m->len == 0)
		m->cur->p.defects |= MIME_D_NO_HEADERS;
	close_upto(m, NULL, m->len);
	free(m->fields);
	m->fields = NULL;
	m->finished = 1;
}

struct mime_msg *mime_parse(const char *data, size_t len, const struct mime_limits *limits)
{
	struct mime_msg *m = msg_new(limits);

	m->raw = data ? data : "";
	m->len = len;
	scan(m);
	finish(m);
	return m;
}

struct mime_msg *mime_new(const struct mime_limits *limits)
{
	struct mime_msg *m = msg_new(limits);

	m->fed = 1;
	m->raw = "";
	return m;
}

void mime_feed(struct mime_msg *m, const void *data, size_t len)
{
	if (!m->fed || m->finished)
		msg_panic("mime_feed on a finished message");
	strbuf_add(&m->own, data, len);
	m->raw = m->own.buf ? m->own.buf : "";
	m->len = m->own.len;
	scan(m);
}

void mime_finish(struct mime_msg *m)
{
	if (!m->fed || m->finished)
		msg_panic("mime_finish on a finished message");
	finish(m);
}

void mime_free(struct mime_msg *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nparts; i++) {
		struct mime_part *p = &m->parts[i]->p;

		for (unsigned j = 0; j < p->nheaders; j++)
			free(p->headers[j].name);	/* the value with it */
		free(p->headers);
		free(p->type);
		free(p->subtype);
		mime_params_free(p->params, p->nparams);
		mime_params_free(p->disp_params, p->ndisp_params);
		free(m->parts[i]);
	}
	free(m->parts);
	free(m->open);
	free(m->fields);
	strbuf_release(&m->own);
	free(m);
}

/* Accessors */

static void need_finished(const struct mime_msg *m)
{
	if (!m->finished)
		msg_panic("MIME tree read before mime_finish");
}

const char *mime_raw(const struct mime_msg *m, size_t *len)
{
	if (len)
		*len = m->len;
	return m->raw;
}

const struct mime_part *mime_root(const struct mime_msg *m)
{
	need_finished(m);
	return &m->parts[0]->p;
}

unsigned mime_part_count(const struct mime_msg *m)
{
	need_finished(m);
	return (unsigned)m->nparts;
}

const struct mime_part *mime_part_at(const struct mime_msg *m, unsigned i)
{
	need_finished(m);
	return i < m->nparts ? &m->parts[i]->p : NULL;
}

unsigned mime_defects(const struct mime_msg *m)
{
	unsigned d = 0;

	for (size_t i = 0; i < m->nparts; i++)
		d |= m->parts[i]->p.defects;
	return d;
}

const struct mime_limits *mime_limits(const struct mime_msg *m)
{
	return &m->lim;
}

const struct mime_header *mime_header_find(const struct mime_part *p, const char *name,
					   unsigned nth)
{
	for (unsigned i = 0; i < p->nheaders; i++)
		if (ascii_caseeq(p->headers[i].name, name) && nth-- == 0)
			return &p->headers[i];
	return NULL;
}

unsigned mime_header_count(const struct mime_part *p, const char *name)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->nheaders; i++)
		n += ascii_caseeq(p->headers[i].name, name);
	return n;
}

static const char *param_find(const struct mime_param *pp, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(pp[i].name, name) == 0)
			return pp[i].value;
	return NULL;
}

const char *mime_part_param(const struct mime_part *p, const char *name)
{
	return param_find(p->params, p->nparams, name);
}

const char *mime_part_disp_param(const struct mime_part *p, const char *name)
{
	return param_find(p->disp_params, p->ndisp_params, name);
}

bool mime_part_is(const struct mime_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 && (!subtype || strcmp(p->subtype, subtype) == 0);
}

const char *mime_part_body(const struct mime_msg *m, const struct mime_part *p, size_t *len)
{
	*len = p->body_len;
	return m->raw + p->body_off;
}
