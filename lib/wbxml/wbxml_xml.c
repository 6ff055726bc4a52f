/* ActiveSync WBXML trees to XML text and back (see wbxml_xml.h). The
 * reader is a small hand-written XML parser with the decoder's limits:
 * no DTD, no external anything, no entity other than the predefined ones. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/mem.h"
#include "wbxml/codepage.h"
#include "wbxml/wbxml_xml.h"

/* Printing. */

static void mark_pages(const struct wbxml_node *n, unsigned char *used)
{
	for (; n; n = n->next)
		if (n->kind == WBXML_ELEM) {
			used[n->page] = 1;
			mark_pages(n->child, used);
		}
}

static void prefix_of(unsigned page, struct strbuf *out)
{
	for (const char *s = wbxml_page_name(page); *s; s++)
		strbuf_addch(out, tolower((unsigned char)*s));
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	unsigned v = c & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	return len;
}

static bool printable(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(u + i, n - i);

		if (!l || (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r'))
			return false;
		i += l;
	}
	return true;
}

static void escape(const char *s, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++)
		switch (s[i]) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '\r': strbuf_addstr(out, "&#13;"); break;
		default: strbuf_addch(out, s[i]);
		}
}

static void print_data(const struct wbxml_node *n, struct strbuf *out)
{
	if (n->kind == WBXML_OPAQUE && printable(n->data, n->len) &&
	    !memmem(n->data, n->len, "]]>", 3)) {
		strbuf_addstr(out, "<![CDATA[");
		strbuf_add(out, n->data, n->len);
		strbuf_addstr(out, "]]>");
	} else if (printable(n->data, n->len)) {
		escape(n->data, n->len, out);
	} else {
		strbuf_addstr(out, "<!-- base64 -->");
		base64_encode(n->data, n->len, out);
	}
}

static void print_name(const struct wbxml_node *n, unsigned root_page, struct strbuf *out)
{
	if (n->page != root_page) {
		prefix_of(n->page, out);
		strbuf_addch(out, ':');
	}
	strbuf_addstr(out, wbxml_tag_name(n->page, n->tag));
}

static void print_elem(const struct wbxml_node *n, unsigned root_page, int level,
		       bool indent, const unsigned char *used, struct strbuf *out)
{
	bool elems = false, texts = false, outer = indent;

	if (indent)
		for (int i = 0; i < level; i++)
			strbuf_addstr(out, "  ");
	strbuf_addch(out, '<');
	print_name(n, root_page, out);
	if (level == 0) {
		strbuf_addf(out, " xmlns=\"%s:\"", wbxml_page_name(root_page));
		for (unsigned p = 0; p < WBXML_PAGES; p++)
			if (used[p] && p != root_page) {
				strbuf_addstr(out, " xmlns:");
				prefix_of(p, out);
				strbuf_addf(out, "=\"%s:\"", wbxml_page_name(p));
			}
	}
	if (!n->child) {
		strbuf_addstr(out, "/>");
		if (indent)
			strbuf_addch(out, '\n');
		return;
	}
	strbuf_addch(out, '>');
	for (const struct wbxml_node *c = n->child; c; c = c->next)
		if (c->kind == WBXML_ELEM)
			elems = true;
		else
			texts = true;
	/* Mixed content is printed as it is: indentation would add text. */
	if (texts)
		indent = false;
	if (elems && indent)
		strbuf_addch(out, '\n');
	for (const struct wbxml_node *c = n->child; c; c = c->next) {
		if (c->kind == WBXML_ELEM) {
			print_elem(c, root_page, level + 1, indent, used, out);
			continue;
		}
		if (elems && indent)
			for (int i = 0; i <= level; i++)
				strbuf_addstr(out, "  ");
		print_data(c, out);
		if (elems && indent)
			strbuf_addch(out, '\n');
	}
	if (elems && indent)
		for (int i = 0; i < level; i++)
			strbuf_addstr(out, "  ");
	strbuf_addstr(out, "</");
	print_name(n, root_page, out);
	strbuf_addch(out, '>');
	if (outer)
		strbuf_addch(out, '\n');
}

void wbxml_to_xml(const struct wbxml_doc *doc, struct strbuf *out, bool indent)
{
	unsigned char used[WBXML_PAGES] = { 0 };

	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
	if (indent)
		strbuf_addch(out, '\n');
	if (!doc->root)
		return;
	mark_pages(doc->root, used);
	print_elem(doc->root, doc->root->page, 0, indent, used, out);
}

/* Reading. */

#define NS_MAX 64
#define NAME_MAX_LEN 128

struct rd {
	const char *p, *end, *start;
	struct wbxml_limits lim;
	struct wbxml_doc *doc;
	char *err;
	size_t errlen;
	bool failed;
	/* In-scope namespace declarations: prefix ("" for the default) to
	 * page, innermost last. */
	char ns_prefix[NS_MAX][NAME_MAX_LEN + 1];
	int ns_page[NS_MAX];
	size_t nns;
};

static int line_of(const struct rd *r)
{
	int line = 1;

	for (const char *s = r->start; s < r->p && s < r->end; s++)
		line += *s == '\n';
	return line;
}

static int rd_fail(struct rd *r, const char *fmt, const char *arg)
{
	if (!r->failed) {
		char what[200];

		snprintf(what, sizeof(what), fmt, arg ? arg : "");
		snprintf(r->err, r->errlen, "line %d: %s", line_of(r), what);
		r->failed = true;
	}
	return -1;
}

static bool at(const struct rd *r, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* Moves past the next occurrence of s; -1 if there is none. */
static int skip_past(struct rd *r, const char *s)
{
	const char *f = memmem(r->p, (size_t)(r->end - r->p), s, strlen(s));

	if (!f)
		return rd_fail(r, "unterminated %s", s);
	r->p = f + strlen(s);
	return 0;
}

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && isspace((unsigned char)*r->p))
		r->p++;
}

static bool name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80;
}

static int read_name(struct rd *r, char *buf)
{
	size_t n = 0;

	while (r->p < r->end && name_char((unsigned char)*r->p)) {
		if (n == NAME_MAX_LEN)
			return rd_fail(r, "name too long", NULL);
		buf[n++] = *r->p++;
	}
	buf[n] = 0;
	if (n == 0)
		return rd_fail(r, "a name expected", NULL);
	return 0;
}

/* Decodes one reference after '&' into out. */
static int reference(struct rd *r, struct strbuf *out)
{
	static const struct { const char *name; char c; } named[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	unsigned long v;
	char *end;
	unsigned char u[4];
	size_t n;

	for (size_t i = 0; i < 5; i++)
		if (at(r, named[i].name)) {
			strbuf_addch(out, named[i].c);
			r->p += strlen(named[i].name);
			return 0;
		}
	if (!at(r, "#"))
		return rd_fail(r, "unknown entity", NULL);
	r->p++;
	{
		char num[16];
		size_t k = 0;
		bool hex = r->p < r->end && (*r->p == 'x' || *r->p == 'X');

		if (hex)
			r->p++;
		while (r->p < r->end && *r->p != ';' && k < sizeof(num) - 1)
			num[k++] = *r->p++;
		num[k] = 0;
		if (r->p >= r->end || *r->p != ';' || k == 0)
			return rd_fail(r, "bad character reference", NULL);
		r->p++;
		v = strtoul(num, &end, hex ? 16 : 10);
		if (*end || v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return rd_fail(r, "bad character reference", NULL);
	}
	if (v < 0x80) { u[0] = (unsigned char)v; n = 1; }
	else if (v < 0x800) { u[0] = 0xc0 | v >> 6; u[1] = 0x80 | (v & 0x3f); n = 2; }
	else if (v < 0x10000) {
		u[0] = 0xe0 | v >> 12; u[1] = 0x80 | ((v >> 6) & 0x3f); u[2] = 0x80 | (v & 0x3f);
		n = 3;
	} else {
		u[0] = 0xf0 | v >> 18; u[1] = 0x80 | ((v >> 12) & 0x3f);
		u[2] = 0x80 | ((v >> 6) & 0x3f); u[3] = 0x80 | (v & 0x3f); n = 4;
	}
	strbuf_add(out, u, n);
	return 0;
}

static int attr_value(struct rd *r, struct strbuf *val)
{
	char q;

	if (r->p >= r->end || (*r->p != '"' && *r->p != '\''))
		return rd_fail(r, "a quoted attribute value expected", NULL);
	q = *r->p++;
	while (r->p < r->end && *r->p != q) {
		if (*r->p == '<')
			return rd_fail(r, "'<' in an attribute value", NULL);
		if (*r->p == '&') {
			r->p++;
			if (reference(r, val) < 0)
				return -1;
			continue;
		}
		strbuf_addch(val, *r->p++);
		if (val->len > NAME_MAX_LEN * 4)
			return rd_fail(r, "attribute value too long", NULL);
	}
	if (r->p >= r->end)
		return rd_fail(r, "unterminated attribute value", NULL);
	r->p++;
	return 0;
}

static int declare(struct rd *r, const char *prefix, const char *uri)
{
	int page = wbxml_page_by_name(uri, strlen(uri));

	if (page < 0)
		return rd_fail(r, "namespace '%s' is no ActiveSync code page", uri);
	if (r->nns == NS_MAX)
		return rd_fail(r, "too many namespace declarations", NULL);
	snprintf(r->ns_prefix[r->nns], sizeof(r->ns_prefix[0]), "%s", prefix);
	r->ns_page[r->nns++] = page;
	return 0;
}

static int lookup_ns(const struct rd *r, const char *prefix)
{
	for (size_t i = r->nns; i-- > 0;)
		if (strcmp(r->ns_prefix[i], prefix) == 0)
			return r->ns_page[i];
	return -1;
}

/* Reads the attributes of a start tag up to '>' or "/>". */
static int attributes(struct rd *r, bool *empty)
{
	char name[NAME_MAX_LEN + 1];
	struct strbuf val = STRBUF_INIT;
	int rc = 0;

	for (;;) {
		skip_ws(r);
		if (at(r, "/>")) { r->p += 2; *empty = true; break; }
		if (at(r, ">")) { r->p += 1; *empty = false; break; }
		if (read_name(r, name) < 0) { rc = -1; break; }
		skip_ws(r);
		if (r->p >= r->end || *r->p != '=') { rc = rd_fail(r, "'=' expected", NULL); break; }
		r->p++;
		skip_ws(r);
		strbuf_reset(&val);
		if (attr_value(r, &val) < 0) { rc = -1; break; }
		if (strcmp(name, "xmlns") == 0)
			rc = declare(r, "", val.buf ? val.buf : "");
		else if (strncmp(name, "xmlns:", 6) == 0)
			rc = declare(r, name + 6, val.buf ? val.buf : "");
		/* Other attributes have no WBXML form in ActiveSync. */
		if (rc < 0)
			break;
	}
	strbuf_release(&val);
	return rc;
}

static int resolve(struct rd *r, const char *qname, const struct wbxml_node *parent,
		   unsigned *page, unsigned *tag)
{
	const char *colon = strchr(qname, ':'), *local = colon ? colon + 1 : qname;
	char prefix[NAME_MAX_LEN + 1] = "";
	int pg, tk;

	if (colon)
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - qname), qname);
	pg = lookup_ns(r, prefix);
	if (pg < 0 && colon)
		pg = wbxml_page_by_name(prefix, strlen(prefix));
	if (pg < 0 && !colon && parent)
		pg = parent->page;
	if (pg < 0)
		return rd_fail(r, "element '%s' has no namespace", qname);
	tk = wbxml_tag_token((unsigned)pg, local);
	if (tk < 0) {
		char what[NAME_MAX_LEN + 40];

		snprintf(what, sizeof(what), "%s in %s", local, wbxml_page_name((unsigned)pg));
		return rd_fail(r, "no tag %s", what);
	}
	*page = (unsigned)pg;
	*tag = (unsigned)tk;
	return 0;
}

static bool all_space(const struct strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if (!isspace((unsigned char)sb->buf[i]))
			return false;
	return true;
}

static int flush_text(struct rd *r, struct wbxml_node *cur, struct strbuf *text)
{
	if (text->len && !all_space(text)) {
		if (!cur)
			return rd_fail(r, "text outside the root element", NULL);
		if (r->doc->nodes >= r->lim.nodes_max)
			return rd_fail(r, "too many nodes", NULL);
		wbxml_add_text(r->doc, cur, text->buf, text->len);
	}
	strbuf_reset(text);
	return 0;
}

struct open_elem {
	struct wbxml_node *node;
	char qname[NAME_MAX_LEN + 1];
	size_t nns;		/* declarations in scope before it */
};

static int misc(struct rd *r)
{
	if (at(r, "<!--"))
		return skip_past(r, "-->");
	if (at(r, "<?"))
		return skip_past(r, "?>");
	if (at(r, "<!DOCTYPE")) {
		const char *gt = memchr(r->p, '>', (size_t)(r->end - r->p));
		const char *br = memchr(r->p, '[', (size_t)(r->end - r->p));

		if (br && (!gt || br < gt))
			return rd_fail(r, "a DOCTYPE with an internal subset", NULL);
		return skip_past(r, ">");
	}
	return 1;
}

static int content(struct rd *r)
{
	struct open_elem *stack = xcalloc(r->lim.depth_max + 1, sizeof(*stack));
	struct strbuf text = STRBUF_INIT;
	size_t depth = 0;
	int rc = -1;

	while (r->p < r->end) {
		int m;

		if (*r->p != '<') {
			if (*r->p == '&') {
				r->p++;
				if (reference(r, &text) < 0)
					goto out;
			} else {
				strbuf_addch(&text, *r->p++);
			}
			if (text.len > r->lim.string_max) {
				rd_fail(r, "text too long", NULL);
				goto out;
			}
			continue;
		}
		if ((m = misc(r)) < 0)
			goto out;
		if (m == 0)
			continue;
		if (at(r, "<![CDATA[")) {
			const char *s = r->p + 9, *e;

			if (depth == 0 || flush_text(r, stack[depth - 1].node, &text) < 0) {
				rd_fail(r, "CDATA outside the root element", NULL);
				goto out;
			}
			r->p = s;
			if (skip_past(r, "]]>") < 0)
				goto out;
			e = r->p - 3;
			if ((size_t)(e - s) > r->lim.string_max || r->doc->nodes >= r->lim.nodes_max) {
				rd_fail(r, "CDATA too long", NULL);
				goto out;
			}
			wbxml_add_opaque(r->doc, stack[depth - 1].node, s, (size_t)(e - s));
			continue;
		}
		if (at(r, "</")) {
			char name[NAME_MAX_LEN + 1];

			r->p += 2;
			if (read_name(r, name) < 0)
				goto out;
			skip_ws(r);
			if (!at(r, ">") || depth == 0 || strcmp(name, stack[depth - 1].qname) != 0) {
				rd_fail(r, "end tag '%s' does not match", name);
				goto out;
			}
			r->p++;
			if (flush_text(r, stack[depth - 1].node, &text) < 0)
				goto out;
			r->nns = stack[--depth].nns;
			if (depth == 0)
				break;
			continue;
		}
		/* A start tag. */
		{
			struct open_elem *o;
			struct wbxml_node *parent = depth ? stack[depth - 1].node : NULL;
			unsigned page, tag;
			bool empty;

			if (depth == 0 && r->doc->root) {
				rd_fail(r, "a second root element", NULL);
				goto out;
			}
			if (flush_text(r, parent, &text) < 0)
				goto out;
			if (depth == r->lim.depth_max) {
				rd_fail(r, "nested too deep", NULL);
				goto out;
			}
			if (r->doc->nodes >= r->lim.nodes_max) {
				rd_fail(r, "too many nodes", NULL);
				goto out;
			}
			o = &stack[depth];
			o->nns = r->nns;
			r->p++;
			if (read_name(r, o->qname) < 0 || attributes(r, &empty) < 0 ||
			    resolve(r, o->qname, parent, &page, &tag) < 0)
				goto out;
			o->node = wbxml_add_elem(r->doc, parent, page, tag);
			if (empty) {
				r->nns = o->nns;
				if (depth == 0)
					break;
			} else {
				depth++;
			}
		}
	}
	if (depth > 0 || !r->doc->root) {
		rd_fail(r, "the document ends early", NULL);
		goto out;
	}
	/* Only comments, PIs and space may follow the root. */
	for (;;) {
		int m;

		skip_ws(r);
		if (r->p >= r->end)
			break;
		if ((m = misc(r)) < 0)
			goto out;
		if (m == 1) {
			rd_fail(r, "content after the root element", NULL);
			goto out;
		}
	}
	rc = 0;
out:
	strbuf_release(&text);
	free(stack);
	return rc;
}

struct wbxml_doc *wbxml_from_xml(const char *text, size_t len, const struct wbxml_limits *lim,
				 char *err, size_t errlen)
{
	struct rd *r = xcalloc(1, sizeof(*r));
	struct wbxml_doc *doc;

	r->p = r->start = text;
	r->end = text + len;
	r->lim.depth_max = lim && lim->depth_max ? lim->depth_max : 32;
	r->lim.nodes_max = lim && lim->nodes_max ? lim->nodes_max : 10000;
	r->lim.string_max = lim && lim->string_max ? lim->string_max : 1 << 20;
	r->doc = wbxml_doc_new();
	r->err = err;
	r->errlen = errlen;
	if (at(r, "\xef\xbb\xbf"))
		r->p += 3;
	for (;;) {
		int m;

		skip_ws(r);
		if (r->p >= r->end || (m = misc(r)) < 0)
			break;
		if (m == 1)
			break;
	}
	if (r->failed || r->p >= r->end || *r->p != '<' || content(r) < 0) {
		if (!r->failed)
			rd_fail(r, "no root element", NULL);
		wbxml_doc_free(r->doc);
		free(r);
		return NULL;
	}
	doc = r->doc;
	free(r);
	return doc;
}
