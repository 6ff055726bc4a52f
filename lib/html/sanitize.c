/* The reading pane's HTML sanitiser. Each pass parses a body fragment
 * with libgumbo and writes the tree back out keeping only allowed
 * elements, attributes, CSS and URLs; elements that are not allowed are
 * either removed with their content (script, svg, iframe, ...) or replaced
 * by their children (font-less wrappers, forms, unknown tags). Passes
 * repeat until the output parses back to itself, so what the browser
 * builds is the tree that was checked. */
#include <gumbo.h>
#include <string.h>

#include "html/css.h"
#include "html/sanitize.h"
#include "html/url.h"
#include "util/mem.h"

#define INPUT_MAX_DEFAULT (4u << 20)
#define DEPTH_MAX_DEFAULT 128
/* Tags in one input: gumbo frees its tree recursively, so the nesting
 * (bounded by the tag count) must stay well inside the stack. */
#define TAGS_MAX 40000
#define PASSES_MAX 4

enum action { A_UNWRAP, A_KEEP, A_DROP, A_STYLE };
enum mode { M_VERIFY, M_FINAL };

static const char *const keep_tags[] = {
	"a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo",
	"big", "blockquote", "br", "caption", "center", "cite", "code", "col",
	"colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
	"figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5",
	"h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark",
	"nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section",
	"small", "span", "strike", "strong", "sub", "summary", "sup", "table",
	"tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul",
	"var", "wbr",
};

/* Removed with everything inside: active content, embedded documents,
 * form controls, head matter and raw-text elements. */
static const char *const drop_tags[] = {
	"script", "template", "iframe", "frame", "frameset", "object",
	"embed", "applet", "noscript", "noembed", "noframes", "xmp", "plaintext",
	"textarea", "select", "title", "head", "meta", "link", "base", "svg",
	"math", "audio", "video", "source", "track", "canvas", "param", "input",
	"button", "option", "optgroup", "datalist", "keygen", "output", "map",
	"area", "dialog", "bgsound", "isindex", "menuitem", "image",
};

/* Attributes kept as text on any kept element. */
static const char *const plain_attrs[] = {
	"abbr", "align", "alt", "bgcolor", "border", "cellpadding",
	"cellspacing", "class", "clear", "color", "colspan", "compact", "datetime", "dir",
	"face", "headers", "height", "hspace", "id", "lang", "noshade", "nowrap",
	"open", "reversed", "rowspan", "rules", "scope", "size", "span", "start",
	"summary", "title", "type", "valign", "value", "vspace", "width",
};

static unsigned char actions[GUMBO_TAG_LAST + 1];
static int actions_ready;

static void actions_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(keep_tags) / sizeof(keep_tags[0]); i++)
		actions[gumbo_tag_enum(keep_tags[i])] = A_KEEP;
	for (i = 0; i < sizeof(drop_tags) / sizeof(drop_tags[0]); i++)
		actions[gumbo_tag_enum(drop_tags[i])] = A_DROP;
	actions[GUMBO_TAG_STYLE] = A_STYLE;
	actions[GUMBO_TAG_UNKNOWN] = A_UNWRAP;
	actions_ready = 1;
}

static enum action node_action(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_TEMPLATE)
		return A_DROP;
	if (n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
		return A_DROP;
	return (enum action)actions[n->v.element.tag];
}

void html_escape_text(struct strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '\0': break;
		case '\r': break;
		default: strbuf_addch(out, s[i]);
		}
	}
}

void html_escape_attr(struct strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&#39;"); break;
		case '`': strbuf_addstr(out, "&#96;"); break;
		case '\0': break;
		case '\r': break;
		default: strbuf_addch(out, s[i]);
		}
	}
}

struct pass {
	const struct html_policy *pol;
	enum mode mode;
	unsigned depth_max;
	struct strbuf *out;
	struct html_stats *st;
	int first;		/* drops are counted in the first pass */
};

static int is_text(const GumboNode *n)
{
	return n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
	       n->type == GUMBO_NODE_CDATA;
}

/* The text under n, without recursion (the tree may be deep), skipping
 * what a pass would drop. */
static void text_of(const GumboNode *top, struct strbuf *out)
{
	const GumboNode *n = top;
	unsigned idx = 0;	/* next child of n to visit */

	for (;;) {
		int descend = 0;

		if (is_text(n)) {
			html_escape_text(out, n->v.text.text, strlen(n->v.text.text));
		} else if ((n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) &&
			   (n == top || (node_action(n) != A_DROP && node_action(n) != A_STYLE))) {
			descend = 1;
		}
		if (descend && idx < n->v.element.children.length) {
			n = n->v.element.children.data[idx];
			idx = 0;
			continue;
		}
		/* Up to the first ancestor with a child left. */
		for (;;) {
			if (n == top)
				return;
			idx = (unsigned)n->index_within_parent + 1;
			n = n->parent;
			if (idx < n->v.element.children.length) {
				n = n->v.element.children.data[idx];
				idx = 0;
				break;
			}
		}
	}
}

static void attr_put(struct pass *p, const char *name, const char *val, size_t len)
{
	strbuf_addch(p->out, ' ');
	strbuf_addstr(p->out, name);
	strbuf_addstr(p->out, "=\"");
	html_escape_attr(p->out, val, len);
	strbuf_addch(p->out, '"');
}

/* Puts a URL through a policy function (NULL: as is). */
static void url_put(struct pass *p, const char *name, html_rewrite_fn fn,
		    const char *u, size_t len)
{
	struct strbuf v = STRBUF_INIT;

	if (fn == NULL || p->mode == M_VERIFY) {
		attr_put(p, name, u, len);
		return;
	}
	if (fn(u, len, &v, p->pol->ctx) == 0)
		attr_put(p, name, v.buf ? v.buf : "", v.len);
	strbuf_release(&v);
}

static void blocked(struct pass *p)
{
	if (p->st && p->mode == M_FINAL)
		p->st->blocked++;
}

static void url_attr(struct pass *p, GumboTag tag, const GumboAttribute *a)
{
	size_t b, len;
	enum url_kind k = url_classify(a->value, strlen(a->value), &b, &len);
	const char *u = a->value + b;
	int final = p->mode == M_FINAL;

	if (strcmp(a->name, "href") == 0) {
		if (tag == GUMBO_TAG_A && (k == URL_HTTP || k == URL_MAILTO))
			url_put(p, "href", p->pol->link, u, len);
	} else if (strcmp(a->name, "src") == 0) {
		if (tag != GUMBO_TAG_IMG)
			return;
		if (k == URL_DATA_IMAGE)
			attr_put(p, "src", u, len);
		else if (k == URL_CID && (!final || p->pol->cid))
			url_put(p, "src", p->pol->cid, u, len);
		else if (k == URL_HTTP && (!final || p->pol->allow_remote))
			url_put(p, "src", p->pol->remote, u, len);
		else if (k == URL_HTTP)
			blocked(p);
	} else {	/* background */
		if (tag != GUMBO_TAG_TABLE && tag != GUMBO_TAG_TD &&
		    tag != GUMBO_TAG_TH && tag != GUMBO_TAG_TR)
			return;
		if (k == URL_HTTP && (!final || p->pol->allow_remote))
			url_put(p, "background", p->pol->remote, u, len);
		else if (k == URL_HTTP)
			blocked(p);
	}
}

static int in_attrs(const char *name)
{
	size_t lo = 0, hi = sizeof(plain_attrs) / sizeof(plain_attrs[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, plain_attrs[mid]);

		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static void attrs_put(struct pass *p, const GumboElement *e)
{
	for (unsigned i = 0; i < e->attributes.length; i++) {
		const GumboAttribute *a = e->attributes.data[i];
		size_t vlen = strlen(a->value);

		if (strcmp(a->name, "style") == 0) {
			struct strbuf css = STRBUF_INIT;

			if (css_style_sanitize(a->value, vlen, &css) > 0)
				attr_put(p, "style", css.buf, css.len);
			strbuf_release(&css);
		} else if (strcmp(a->name, "href") == 0 || strcmp(a->name, "src") == 0 ||
			   strcmp(a->name, "background") == 0) {
			url_attr(p, e->tag, a);
		} else if (in_attrs(a->name) && vlen <= 1024) {
			attr_put(p, a->name, a->value, vlen);
		}
	}
}

static void dropped(struct pass *p)
{
	if (p->first)
		p->st->dropped++;
}

static int is_void(GumboTag t)
{
	return t == GUMBO_TAG_BR || t == GUMBO_TAG_COL || t == GUMBO_TAG_HR ||
	       t == GUMBO_TAG_IMG || t == GUMBO_TAG_WBR;
}

static void node_put(struct pass *p, const GumboNode *n, unsigned depth);

/* A style sheet: its text reduced by css_sheet_sanitize, written raw
 * (the result holds no "<", "&" or backslash, so it cannot end the
 * element or change meaning on the next parse). */
static void style_put(struct pass *p, const GumboNode *n)
{
	const GumboVector *c = &n->v.element.children;
	struct strbuf text = STRBUF_INIT, css = STRBUF_INIT;

	for (unsigned i = 0; i < c->length; i++) {
		const GumboNode *t = c->data[i];

		if (is_text(t))
			strbuf_addstr(&text, t->v.text.text);
	}
	if (css_sheet_sanitize(text.buf ? text.buf : "", text.len, &css) > 0) {
		strbuf_addstr(p->out, "<style>");
		strbuf_add(p->out, css.buf, css.len);
		strbuf_addstr(p->out, "</style>");
	} else {
		dropped(p);
	}
	strbuf_release(&text);
	strbuf_release(&css);
}

static void children_put(struct pass *p, const GumboNode *n, unsigned depth)
{
	const GumboVector *c = &n->v.element.children;

	for (unsigned i = 0; i < c->length; i++)
		node_put(p, c->data[i], depth);
}

static void node_put(struct pass *p, const GumboNode *n, unsigned depth)
{
	const GumboElement *e;
	const char *name;

	if (is_text(n)) {
		html_escape_text(p->out, n->v.text.text, strlen(n->v.text.text));
		return;
	}
	if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
		return;		/* comments */
	switch (node_action(n)) {
	case A_DROP:
		dropped(p);
		return;
	case A_UNWRAP:
		dropped(p);
		children_put(p, n, depth);
		return;
	case A_STYLE:
		style_put(p, n);
		return;
	case A_KEEP:
		break;
	}
	if (depth >= p->depth_max) {
		dropped(p);
		text_of(n, p->out);
		return;
	}
	e = &n->v.element;
	name = gumbo_normalized_tagname(e->tag);
	strbuf_addch(p->out, '<');
	strbuf_addstr(p->out, name);
	attrs_put(p, e);
	strbuf_addch(p->out, '>');
	if (is_void(e->tag))
		return;
	/* The parser eats one newline after <pre>: give it one to eat. */
	if (e->tag == GUMBO_TAG_PRE)
		strbuf_addch(p->out, '\n');
	children_put(p, n, depth + 1);
	strbuf_addf(p->out, "</%s>", name);
}

static GumboOutput *parse(const char *s, size_t len)
{
	GumboOptions o = kGumboDefaultOptions;

	o.max_errors = 0;
	o.fragment_context = GUMBO_TAG_BODY;
	o.fragment_namespace = GUMBO_NAMESPACE_HTML;
	return gumbo_parse_with_options(&o, s, len);
}

/* Parses s and writes it out in the pass's mode; when final is not
 * NULL and the output equals s (the fixed point), the same tree is also
 * written in the final mode to final, saving a parse. Returns whether
 * the fixed point was reached (always 0 without final). */
static int one_pass(struct pass *p, const char *s, size_t len, int text_only, struct strbuf *final)
{
	GumboOptions o = kGumboDefaultOptions;
	GumboOutput *g = parse(s, len);
	int fixed = 0;

	if (text_only)
		text_of(g->root, p->out);
	else
		children_put(p, g->root, 0);
	if (final && p->out->len == len && (len == 0 || memcmp(p->out->buf, s, len) == 0)) {
		struct strbuf *keep = p->out;

		fixed = 1;
		p->mode = M_FINAL;
		p->out = final;
		if (text_only)
			text_of(g->root, p->out);
		else
			children_put(p, g->root, 0);
		p->out = keep;
		p->mode = M_VERIFY;
	}
	gumbo_destroy_output(&o, g);
	return fixed;
}

static size_t count_tags(const char *s, size_t len)
{
	size_t n = 0;

	for (const char *q = s; (q = memchr(q, '<', len - (size_t)(q - s))) != NULL; q++)
		n++;
	return n;
}

int html_sanitize(const char *in, size_t len, const struct html_policy *pol,
		  struct strbuf *out, struct html_stats *stats)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, t;
	struct html_stats dummy;
	struct pass p = { .pol = pol, .mode = M_VERIFY, .st = stats ? stats : &dummy };
	size_t max = pol->input_max ? pol->input_max : INPUT_MAX_DEFAULT;
	int fixed = 0, text_only = 0;

	memset(p.st, 0, sizeof(*p.st));
	if (len > max || count_tags(in, len) > TAGS_MAX)
		return -1;
	if (!actions_ready)
		actions_init();
	p.depth_max = pol->depth_max ? pol->depth_max : DEPTH_MAX_DEFAULT;
	p.out = &a;
	p.first = 1;
	one_pass(&p, in, len, 0, NULL);
	p.first = 0;
	p.st->passes = 1;
	for (int i = 0; i < PASSES_MAX * 2 && !fixed; i++) {
		if (i == PASSES_MAX) {
			/* No fixed point: keep the text and check that. */
			text_only = 1;
			strbuf_reset(&b);
			p.out = &b;
			one_pass(&p, a.buf ? a.buf : "", a.len, 1, NULL);
			t = a, a = b, b = t;
		}
		strbuf_reset(&b);
		p.out = &b;
		/* The final output is written only from a parse whose
		 * serialisation is a fixed point. */
		fixed = one_pass(&p, a.buf ? a.buf : "", a.len, text_only, out);
		p.st->passes++;
		t = a, a = b, b = t;
	}
	p.st->text_only = text_only;
	strbuf_release(&a);
	strbuf_release(&b);
	return 0;
}
