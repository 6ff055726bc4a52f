/* WBXML decoding and encoding for ActiveSync (WAP-192 as profiled by
 * MS-ASWBXML). The decoder is a loop over tokens with an explicit parent
 * pointer (no recursion: depth is a limit, not a stack overflow). */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/msg.h"
#include "wbxml/codepage.h"
#include "wbxml/wbxml.h"

enum {
	T_SWITCH_PAGE = 0x00, T_END = 0x01, T_ENTITY = 0x02, T_STR_I = 0x03,
	T_STR_T = 0x83, T_OPAQUE = 0xc3,
};
#define TAG_ATTRS 0x80
#define TAG_CONTENT 0x40

static const struct wbxml_limits default_limits = {
	.depth_max = 32, .nodes_max = 10000, .string_max = 1 << 20, .strtbl_max = 64 << 10,
};

struct wbxml_doc *wbxml_doc_new(void)
{
	struct wbxml_doc *d = xcalloc(1, sizeof(*d));

	d->version = 0x03;
	d->publicid = 1;
	d->charset = 106;
	return d;
}

static void node_free(struct wbxml_node *n)
{
	/* Siblings in a loop, children by recursion: depth is bounded by
	 * the decoder's limit and by what the program builds. */
	while (n) {
		struct wbxml_node *next = n->next;

		node_free(n->child);
		free(n->data);
		free(n);
		n = next;
	}
}

void wbxml_doc_free(struct wbxml_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc);
}

static struct wbxml_node *link_node(struct wbxml_doc *doc, struct wbxml_node *parent,
				    struct wbxml_node *n)
{
	n->parent = parent;
	doc->nodes++;
	if (!parent) {
		if (doc->root)
			msg_panic("wbxml: a second root element");
		doc->root = n;
		return n;
	}
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	return n;
}

struct wbxml_node *wbxml_add_elem(struct wbxml_doc *doc, struct wbxml_node *parent,
				  unsigned page, unsigned tag)
{
	struct wbxml_node *n = xcalloc(1, sizeof(*n));

	if (!wbxml_tag_name(page, tag))
		msg_panic("wbxml: no tag 0x%02x in code page %u", tag, page);
	n->kind = WBXML_ELEM;
	n->page = (unsigned char)page;
	n->tag = (unsigned char)tag;
	return link_node(doc, parent, n);
}

static struct wbxml_node *add_data(struct wbxml_doc *doc, struct wbxml_node *parent,
				   enum wbxml_kind kind, const void *data, size_t len)
{
	struct wbxml_node *n = xcalloc(1, sizeof(*n));

	if (!parent)
		msg_panic("wbxml: text outside an element");
	n->kind = kind;
	n->data = xmalloc(len + 1);
	if (len)
		memcpy(n->data, data, len);
	n->data[len] = 0;
	n->len = len;
	return link_node(doc, parent, n);
}

struct wbxml_node *wbxml_add_text(struct wbxml_doc *doc, struct wbxml_node *parent,
				  const char *s, size_t len)
{
	return add_data(doc, parent, WBXML_TEXT, s, len);
}

struct wbxml_node *wbxml_add_opaque(struct wbxml_doc *doc, struct wbxml_node *parent,
				    const void *data, size_t len)
{
	return add_data(doc, parent, WBXML_OPAQUE, data, len);
}

struct wbxml_node *wbxml_add_elem_text(struct wbxml_doc *doc, struct wbxml_node *parent,
				       unsigned page, unsigned tag, const char *s)
{
	struct wbxml_node *e = wbxml_add_elem(doc, parent, page, tag);

	if (s)
		wbxml_add_text(doc, e, s, strlen(s));
	return e;
}

/* Decoding. */

struct dec {
	const unsigned char *p, *end, *start;
	const struct wbxml_limits *lim;
	enum wbxml_err err;
	const unsigned char *strtbl;
	size_t strtbl_len;
};

static int fail(struct dec *d, enum wbxml_err e)
{
	if (d->err == WBXML_OK)
		d->err = e;
	return -1;
}

/* mb_u_int32: at most 5 bytes of 7 bits, the value within 32 bits. */
static int get_mbuint(struct dec *d, uint32_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 5; i++) {
		if (d->p >= d->end)
			return fail(d, WBXML_ETRUNC);
		x = (x << 7) | (*d->p & 0x7f);
		if (!(*d->p++ & 0x80)) {
			if (x > UINT32_MAX)
				return fail(d, WBXML_EBIG);
			*v = (uint32_t)x;
			return 0;
		}
	}
	return fail(d, WBXML_EBIG);
}

static int header(struct dec *d, struct wbxml_doc *doc)
{
	uint32_t v, len;

	if (d->p >= d->end)
		return fail(d, WBXML_ETRUNC);
	doc->version = *d->p++;
	if (doc->version > 0x03)
		return fail(d, WBXML_EHEADER);
	if (get_mbuint(d, &v) < 0)
		return -1;
	if (v == 0 && get_mbuint(d, &v) < 0)	/* public id as a string table index */
		return -1;
	doc->publicid = v;
	if (get_mbuint(d, &v) < 0)
		return -1;
	/* UTF-8 (106) as MS-ASWBXML requires; 0 and US-ASCII (3) are its
	 * subsets and seen from some encoders. */
	if (v != 106 && v != 0 && v != 3)
		return fail(d, WBXML_EHEADER);
	doc->charset = v;
	if (get_mbuint(d, &len) < 0)
		return -1;
	if (len > d->lim->strtbl_max)
		return fail(d, WBXML_EBIG);
	if ((size_t)(d->end - d->p) < len)
		return fail(d, WBXML_ETRUNC);
	d->strtbl = d->p;
	d->strtbl_len = len;
	d->p += len;
	return 0;
}

/* Adds bytes to the element's text: a new node, or the last one grown
 * when it is of the same kind (adjacent strings make one text). */
static int add_bytes(struct dec *d, struct wbxml_doc *doc, struct wbxml_node *parent,
		     enum wbxml_kind kind, const void *data, size_t len)
{
	struct wbxml_node *last = parent->last;

	if (len == 0)	/* <Tag></Tag> is <Tag/> */
		return 0;
	if (last && last->kind == kind) {
		if (last->len + len > d->lim->string_max)
			return fail(d, WBXML_EBIG);
		last->data = xrealloc(last->data, last->len + len + 1);
		memcpy(last->data + last->len, data, len);
		last->len += len;
		last->data[last->len] = 0;
		return 0;
	}
	if (doc->nodes >= d->lim->nodes_max)
		return fail(d, WBXML_EBIG);
	add_data(doc, parent, kind, data, len);
	return 0;
}

static int str_inline(struct dec *d, struct wbxml_doc *doc, struct wbxml_node *parent)
{
	const unsigned char *nul = memchr(d->p, 0, (size_t)(d->end - d->p));
	size_t len;

	if (!nul) {
		if ((size_t)(d->end - d->p) > d->lim->string_max)
			return fail(d, WBXML_EBIG);
		return fail(d, WBXML_ETRUNC);
	}
	len = (size_t)(nul - d->p);
	if (len > d->lim->string_max)
		return fail(d, WBXML_EBIG);
	if (add_bytes(d, doc, parent, WBXML_TEXT, d->p, len) < 0)
		return -1;
	d->p = nul + 1;
	return 0;
}

static int str_table(struct dec *d, struct wbxml_doc *doc, struct wbxml_node *parent)
{
	uint32_t off;
	const unsigned char *s, *nul;

	if (get_mbuint(d, &off) < 0)
		return -1;
	if (off >= d->strtbl_len)
		return fail(d, WBXML_ESTRTBL);
	s = d->strtbl + off;
	nul = memchr(s, 0, d->strtbl_len - off);
	if (!nul)
		return fail(d, WBXML_ESTRTBL);
	return add_bytes(d, doc, parent, WBXML_TEXT, s, (size_t)(nul - s));
}

static int opaque(struct dec *d, struct wbxml_doc *doc, struct wbxml_node *parent)
{
	uint32_t len;

	if (get_mbuint(d, &len) < 0)
		return -1;
	if (len > d->lim->string_max)
		return fail(d, WBXML_EBIG);
	if ((size_t)(d->end - d->p) < len)
		return fail(d, WBXML_ETRUNC);
	if (add_bytes(d, doc, parent, WBXML_OPAQUE, d->p, len) < 0)
		return -1;
	d->p += len;
	return 0;
}

/* A character entity, written into the text as UTF-8. */
static int entity(struct dec *d, struct wbxml_doc *doc, struct wbxml_node *parent)
{
	uint32_t c;
	char u[4];
	size_t n;

	if (get_mbuint(d, &c) < 0)
		return -1;
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return fail(d, WBXML_ETOKEN);
	if (c < 0x80) {
		u[0] = (char)c; n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6); u[1] = (char)(0x80 | (c & 0x3f)); n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12); u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f)); n = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18); u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f)); u[3] = (char)(0x80 | (c & 0x3f)); n = 4;
	}
	return add_bytes(d, doc, parent, WBXML_TEXT, u, n);
}

static int body(struct dec *d, struct wbxml_doc *doc)
{
	struct wbxml_node *cur = NULL;	/* the open element */
	unsigned page = 0, depth = 0;
	bool done = false;

	while (d->p < d->end) {
		unsigned t = *d->p++;
		uint32_t v;

		if (done)
			return fail(d, WBXML_ESTRUCT);
		switch (t) {
		case T_SWITCH_PAGE:
			if (d->p >= d->end)
				return fail(d, WBXML_ETRUNC);
			page = *d->p++;
			if (page >= WBXML_PAGES)
				return fail(d, WBXML_EPAGE);
			continue;
		case T_END:
			if (!cur)
				return fail(d, WBXML_ESTRUCT);
			cur = cur->parent;
			depth--;
			if (!cur)
				done = true;
			continue;
		case T_STR_I:
		case T_STR_T:
		case T_ENTITY:
		case T_OPAQUE:
			if (!cur)
				return fail(d, WBXML_ESTRUCT);
			if ((t == T_STR_I ? str_inline(d, doc, cur) : t == T_STR_T ?
			     str_table(d, doc, cur) : t == T_ENTITY ? entity(d, doc, cur) :
			     opaque(d, doc, cur)) < 0)
				return -1;
			continue;
		}
		if ((t & 0x3f) < 0x05 || (t & TAG_ATTRS)) {
			/* Literals, extensions, processing instructions and
			 * attributes: not part of ActiveSync. */
			(void)v;
			return fail(d, WBXML_ETOKEN);
		}
		if (!wbxml_tag_name(page, t & 0x3f))
			return fail(d, WBXML_ETAG);
		if (!cur && doc->root)
			return fail(d, WBXML_ESTRUCT);
		if (doc->nodes >= d->lim->nodes_max)
			return fail(d, WBXML_EBIG);
		{
			struct wbxml_node *e = wbxml_add_elem(doc, cur, page, t & 0x3f);

			if (t & TAG_CONTENT) {
				if (++depth > d->lim->depth_max)
					return fail(d, WBXML_EDEPTH);
				cur = e;
			} else if (!cur) {
				done = true;
			}
		}
	}
	if (cur || !doc->root)
		return fail(d, WBXML_ETRUNC);
	return 0;
}

struct wbxml_doc *wbxml_decode(const void *buf, size_t len, const struct wbxml_limits *lim,
			       enum wbxml_err *err, size_t *where)
{
	struct wbxml_limits l = lim ? *lim : default_limits;
	struct wbxml_doc *doc = wbxml_doc_new();
	struct dec d = { .p = buf, .end = (const unsigned char *)buf + len, .start = buf,
			 .lim = &l };

	if (!l.depth_max) l.depth_max = default_limits.depth_max;
	if (!l.nodes_max) l.nodes_max = default_limits.nodes_max;
	if (!l.string_max) l.string_max = default_limits.string_max;
	if (!l.strtbl_max) l.strtbl_max = default_limits.strtbl_max;
	if (header(&d, doc) < 0 || body(&d, doc) < 0) {
		if (err)
			*err = d.err;
		if (where)
			*where = (size_t)(d.p - d.start);
		wbxml_doc_free(doc);
		return NULL;
	}
	if (err)
		*err = WBXML_OK;
	return doc;
}

const char *wbxml_strerror(enum wbxml_err err)
{
	switch (err) {
	case WBXML_OK: return "no error";
	case WBXML_ETRUNC: return "truncated document";
	case WBXML_EHEADER: return "bad header";
	case WBXML_ETOKEN: return "token not used by ActiveSync";
	case WBXML_EPAGE: return "unknown code page";
	case WBXML_ETAG: return "unknown tag in code page";
	case WBXML_EDEPTH: return "nested too deep";
	case WBXML_EBIG: return "too big";
	case WBXML_ESTRUCT: return "malformed structure";
	case WBXML_ESTRTBL: return "bad string table reference";
	}
	return "unknown error";
}

/* Encoding. */

static void put_mbuint(struct strbuf *out, uint32_t v)
{
	unsigned char b[5];
	int n = 0;

	do {
		b[n++] = v & 0x7f;
		v >>= 7;
	} while (v);
	while (n-- > 0)
		strbuf_addch(out, b[n] | (n ? 0x80 : 0));
}

static void encode_node(const struct wbxml_node *n, unsigned *page, struct strbuf *out)
{
	for (; n; n = n->next) {
		if (n->kind == WBXML_TEXT) {
			/* A NUL would end an inline string early: write text
			 * holding one as opaque. */
			if (memchr(n->data, 0, n->len)) {
				strbuf_addch(out, T_OPAQUE);
				put_mbuint(out, (uint32_t)n->len);
				strbuf_add(out, n->data, n->len);
			} else {
				strbuf_addch(out, T_STR_I);
				strbuf_add(out, n->data, n->len);
				strbuf_addch(out, 0);
			}
			continue;
		}
		if (n->kind == WBXML_OPAQUE) {
			strbuf_addch(out, T_OPAQUE);
			put_mbuint(out, (uint32_t)n->len);
			strbuf_add(out, n->data, n->len);
			continue;
		}
		if (n->page != *page) {
			strbuf_addch(out, T_SWITCH_PAGE);
			strbuf_addch(out, n->page);
			*page = n->page;
		}
		strbuf_addch(out, n->tag | (n->child ? TAG_CONTENT : 0));
		if (n->child) {
			encode_node(n->child, page, out);
			strbuf_addch(out, T_END);
		}
	}
}

void wbxml_encode(const struct wbxml_doc *doc, struct strbuf *out)
{
	unsigned page = 0;

	strbuf_addch(out, doc->version);
	put_mbuint(out, doc->publicid);
	put_mbuint(out, doc->charset);
	put_mbuint(out, 0);
	encode_node(doc->root, &page, out);
}

/* Navigation. */

struct wbxml_node *wbxml_next_elem(const struct wbxml_node *n, unsigned page, unsigned tag)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (n->kind == WBXML_ELEM && n->page == page && n->tag == tag)
			return (struct wbxml_node *)n;
	return NULL;
}

struct wbxml_node *wbxml_child(const struct wbxml_node *n, unsigned page, unsigned tag)
{
	const struct wbxml_node *c;

	if (!n)
		return NULL;
	c = n->child;
	if (c && c->kind == WBXML_ELEM && c->page == page && c->tag == tag)
		return (struct wbxml_node *)c;
	return c ? wbxml_next_elem(c, page, tag) : NULL;
}

struct wbxml_node *wbxml_path(const struct wbxml_node *n, ...)
{
	va_list ap;
	unsigned page, tag;

	va_start(ap, n);
	for (;;) {
		page = va_arg(ap, unsigned);
		tag = va_arg(ap, unsigned);
		if (tag == 0 || !n)
			break;
		n = wbxml_child(n, page, tag);
	}
	va_end(ap);
	return (struct wbxml_node *)n;
}

const char *wbxml_text(const struct wbxml_node *n)
{
	if (!n)
		return NULL;
	for (n = n->child; n; n = n->next)
		if (n->kind != WBXML_ELEM)
			return n->data;
	return NULL;
}
