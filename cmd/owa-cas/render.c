/* The reading pane's document: the body part chosen, decoded to UTF-8,
 * sanitised (HTML) or escaped and linkified (text), and wrapped in a
 * small document of our own that the frame loads under a policy allowing
 * no script at all. */
#include <string.h>
#include <strings.h>

#include "html/text.h"
#include "html/url.h"
#include "mail/charset.h"
#include "owa-cas.h"

static int with_prefix(const char *u, size_t len, struct strbuf *out, void *ctx)
{
	strbuf_addstr(out, (const char *)ctx);
	url_encode(out, u, len);
	return 0;
}

static int link_fn(const char *u, size_t len, struct strbuf *out, void *ctx)
{
	const struct render_opts *o = ctx;

	if (len > 7 && strncasecmp(u, "mailto:", 7) == 0) {
		strbuf_add(out, u, len);
		return 0;
	}
	if (o->link)
		return o->link(u, len, out, o->link_ctx);
	return with_prefix(u, len, out, (void *)o->link_prefix);
}

static int cid_fn(const char *u, size_t len, struct strbuf *out, void *ctx)
{
	const struct render_opts *o = ctx;

	/* "cid:" is left out: the prefix names the lookup. */
	if (o->cid)
		return o->cid(u + 4, len - 4, out, o->cid_ctx);
	return with_prefix(u + 4, len - 4, out, (void *)o->cid_prefix);
}

void render_html(const char *s, size_t len, const struct render_opts *o, struct render *r)
{
	struct html_policy pol = {
		.allow_remote = o->allow_remote,
		.link = o->link_prefix || o->link ? link_fn : NULL,
		.cid = o->cid_prefix ? cid_fn : NULL,
		.ctx = (void *)o,
		.input_max = o->html_max,
	};
	struct html_stats st;

	r->html = true;
	if (html_sanitize(s, len, &pol, &r->body, &st) < 0) {
		/* Too big or too many tags: the text, escaped, is still safe. */
		r->refused = true;
		strbuf_addstr(&r->body, "<pre>\n");
		html_escape_text(&r->body, s, len > o->html_max ? o->html_max : len);
		strbuf_addstr(&r->body, "</pre>");
		return;
	}
	r->blocked = st.blocked;
}

static void render_text(const char *s, size_t len, const struct render_opts *o, struct render *r)
{
	strbuf_addstr(&r->body, "<pre class=\"text\">\n");
	html_text_linkify(s, len, o->link_prefix || o->link ? link_fn : NULL, (void *)o, &r->body);
	strbuf_addstr(&r->body, "</pre>");
}

/* The part to show: html before plain in an alternative, else the first
 * text part that is not an attachment. */
static const struct mime_part *body_part(const struct mime_msg *m)
{
	const struct mime_part *best = NULL;

	for (unsigned i = 0; i < mime_part_count(m); i++) {
		const struct mime_part *p = mime_part_at(m, i);

		if (p->child || p->is_attachment || strcmp(p->type, "text") != 0)
			continue;
		if (strcmp(p->subtype, "html") == 0 &&
		    (best == NULL || strcmp(best->subtype, "html") != 0))
			best = p;
		else if (best == NULL && strcmp(p->subtype, "plain") == 0)
			best = p;
	}
	return best;
}

void render_message(const struct mime_msg *m, const struct render_opts *o, struct render *r)
{
	const struct mime_part *p = body_part(m);
	struct strbuf raw = STRBUF_INIT, utf8 = STRBUF_INIT;

	strbuf_init(&r->body, 0);
	if (p == NULL)
		return;
	mime_part_decode(m, p, &raw);
	charset_to_utf8(p->charset, raw.buf ? raw.buf : "", raw.len, &utf8);
	if (strcmp(p->subtype, "html") == 0)
		render_html(utf8.buf ? utf8.buf : "", utf8.len, o, r);
	else
		render_text(utf8.buf ? utf8.buf : "", utf8.len, o, r);
	strbuf_release(&raw);
	strbuf_release(&utf8);
}

void render_free(struct render *r)
{
	strbuf_release(&r->body);
}

void render_frame(const struct render *r, struct strbuf *out)
{
	strbuf_addstr(out,
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		"<meta name=\"referrer\" content=\"no-referrer\">"
		"<base target=\"_blank\"><style>"
		"body{font:15px/1.45 system-ui,sans-serif;color:#1d2430;margin:12px;"
		"overflow-wrap:anywhere}img{max-width:100%;height:auto}"
		"pre.text{white-space:pre-wrap;font:14px/1.45 ui-monospace,monospace}"
		"blockquote{border-left:3px solid #c8d0dc;margin:0 0 0 4px;padding-left:10px}"
		"</style></head><body>");
	strbuf_add(out, r->body.buf ? r->body.buf : "", r->body.len);
	strbuf_addstr(out, "</body></html>\n");
}

void render_csp(const struct render_opts *o, struct strbuf *out)
{
	strbuf_addstr(out, "default-src 'none'; script-src 'none'; object-src 'none'; "
		      "style-src 'unsafe-inline'; img-src data:");
	if (o->cid_prefix)
		strbuf_addstr(out, " 'self'");
	if (o->allow_remote)
		strbuf_addstr(out, " http: https:");
	strbuf_addstr(out, "; font-src 'none'; base-uri 'none'; form-action 'none'; "
		      "frame-ancestors 'self'; sandbox allow-popups "
		      "allow-popups-to-escape-sandbox");
}
