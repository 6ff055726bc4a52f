/* Attachments: the policy table (per extension and MIME type, separately
 * for public and private sessions: allow, block, save, webready), serving
 * a part under it, WebReady views, and internal documents fetched from
 * allowed servers for WebReady. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "html/url.h"
#include "http/client.h"
#include "util/mem.h"
#include "util/msg.h"
#include "owa-cas.h"
#include "webready.h"

static int ext_match(const char *filename, const char *ext)
{
	const char *dot = filename ? strrchr(filename, '.') : NULL;

	return dot && strcasecmp(dot + 1, ext) == 0;
}

static int type_match(const char *type, const char *pat)
{
	size_t n = strlen(pat);

	if (n >= 2 && strcmp(pat + n - 2, "/*") == 0)
		return strncasecmp(type, pat, n - 1) == 0;
	return strcasecmp(type, pat) == 0;
}

const char *attach_action(const struct req *r, const char *filename, const char *type);

const char *attach_action(const struct req *r, const char *filename, const char *type)
{
	const json_t *rules = conf_get(owa.sec, "attachments"), *rule;
	const char *key = r->s.type == SESS_PRIVATE ? "private" : "public";
	size_t i;

	json_array_foreach(rules, i, rule) {
		int hit = 0;

		for (size_t k = 0; k < conf_strings_len(rule, "extensions") && !hit; k++)
			hit = ext_match(filename, conf_strings_at(rule, "extensions", k));
		for (size_t k = 0; k < conf_strings_len(rule, "types") && !hit; k++)
			hit = type_match(type, conf_strings_at(rule, "types", k));
		if (hit)
			return conf_str(rule, key);
	}
	return conf_str(owa.sec, r->s.type == SESS_PRIVATE ? "attachment_private" : "attachment_public");
}

/* The part asked for: n=INDEX, or cid=CONTENT-ID (inline images). */
static const struct mime_part *part_find(struct req *r, const struct mime_msg *m)
{
	struct strbuf v = STRBUF_INIT;
	const struct mime_part *p = NULL;

	if (*req_param(r, "cid", &v)) {
		for (unsigned i = 0; i < mime_part_count(m) && !p; i++) {
			const struct mime_part *c = mime_part_at(m, i);
			const struct mime_header *h = mime_header_find(c, "Content-ID", 0);
			const char *s = h ? h->value : NULL;
			size_t len = h ? h->value_len : 0;

			if (s && len >= 2 && s[0] == '<' && s[len - 1] == '>')
				s++, len -= 2;
			if (s && len == v.len && memcmp(s, v.buf, len) == 0 && !c->child)
				p = c;
		}
	} else {
		long n = atol(req_param(r, "n", &v));

		if (n > 0 && (unsigned long)n < mime_part_count(m))
			p = mime_part_at(m, (unsigned)n);
		if (p && p->child)
			p = NULL;
	}
	strbuf_release(&v);
	return p;
}

static void disposition(struct http_response *s, const char *kind, const char *name)
{
	struct strbuf v = STRBUF_INIT, a = STRBUF_INIT;

	for (const char *c = name ? name : "attachment"; *c; c++)
		if ((unsigned char)*c >= 0x20 && *c != '"' && *c != '\\' && *c != 0x7f &&
		    (unsigned char)*c < 0x80)
			strbuf_addch(&a, *c);
	strbuf_addf(&v, "%s; filename=\"%s\"; filename*=UTF-8''", kind, a.len ? a.buf : "attachment");
	url_encode(&v, name ? name : "attachment", name ? strlen(name) : 10);
	http_resp_set_header(s, "Content-Disposition", v.buf);
	strbuf_release(&v);
	strbuf_release(&a);
}

/* Types a browser may show inline without running anything. */
static int inline_safe(const char *type)
{
	static const char *const ok[] = { "image/png", "image/gif", "image/jpeg", "image/webp",
					  "text/plain", "application/pdf" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcasecmp(type, ok[i]) == 0)
			return 1;
	return 0;
}

int h_part(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf f = STRBUF_INIT, id = STRBUF_INIT, raw = STRBUF_INIT, data = STRBUF_INIT,
		      type = STRBUF_INIT, loc = STRBUF_INIT, cid = STRBUF_INIT;
	struct mime_msg *m;
	const struct mime_part *p;
	const char *act;

	if (req_auth(&r, q, s) < 0)
		return 0;
	req_param(&r, "f", &f);
	req_param(&r, "m", &id);
	if ((m = msg_load(&r, f.buf, id.buf, &raw, NULL)) == NULL || (p = part_find(&r, m)) == NULL) {
		http_resp_error(s, 404, NULL);
		goto out;
	}
	strbuf_addf(&type, "%s/%s", p->type, p->subtype);
	act = attach_action(&r, p->filename, type.buf);
	/* An inline image of the message (cid:) is shown by the frame. */
	if (*req_param(&r, "cid", &cid) &&
	    (strcmp(type.buf, "image/png") == 0 || strcmp(type.buf, "image/gif") == 0 ||
	     strcmp(type.buf, "image/jpeg") == 0 || strcmp(type.buf, "image/webp") == 0))
		act = "allow";
	msg_info("attachment part=%u type=%s action=%s session=%s", p->index, type.buf, act,
		 r.s.type == SESS_PRIVATE ? "private" : "public");
	if (strcmp(act, "block") == 0) {
		page_message(&r, 403, "Attachment blocked",
			     "The administrator does not allow this kind of attachment here.");
		goto out;
	}
	if (strcmp(act, "webready") == 0) {
		strbuf_addstr(&loc, "/webready?f=");
		url_encode(&loc, f.buf, f.len);
		strbuf_addstr(&loc, "&m=");
		url_encode(&loc, id.buf, id.len);
		strbuf_addf(&loc, "&n=%u", p->index);
		http_resp_redirect(s, 303, loc.buf);
		goto out;
	}
	mime_part_decode(m, p, &data);
	http_resp_set_header(s, "X-Content-Type-Options", "nosniff");
	http_resp_set_header(s, "Cache-Control", "no-store");
	http_resp_set_header(s, "Content-Security-Policy", "default-src 'none'; img-src 'self' data:; "
			     "style-src 'unsafe-inline'; sandbox");
	if (strcmp(act, "allow") == 0 && inline_safe(type.buf)) {
		http_resp_header(s, "Content-Type", type.buf);
		disposition(s, "inline", p->filename);
		http_resp_set_header(s, "X-Frame-Options", "SAMEORIGIN");
	} else {
		http_resp_header(s, "Content-Type", "application/octet-stream");
		disposition(s, "attachment", p->filename);
	}
	http_resp_body(s, data.buf ? data.buf : "", data.len);
out:
	mime_free(m);
	strbuf_release(&f);
	strbuf_release(&id);
	strbuf_release(&raw);
	strbuf_release(&data);
	strbuf_release(&type);
	strbuf_release(&loc);
	strbuf_release(&cid);
	return 0;
}

/* Shows converted HTML (already sanitised) in the page shell. */
static void webready_page(struct req *r, const char *name, const struct strbuf *html, const char *err)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_addstr(&b, "<article class=\"webready\"><h1>");
	html_escape_text(&b, name, strlen(name));
	strbuf_addstr(&b, " <span class=\"sub\">as a web page</span></h1>");
	if (err) {
		strbuf_addstr(&b, "<p class=\"note\">This document cannot be shown: ");
		html_escape_text(&b, err, strlen(err));
		strbuf_addstr(&b, "</p>");
	} else {
		strbuf_addstr(&b, "<div class=\"doc\">");
		strbuf_add(&b, html->buf ? html->buf : "", html->len);
		strbuf_addstr(&b, "</div>");
	}
	strbuf_addstr(&b, "</article>");
	page_send(r, name, NULL, &b);
	strbuf_release(&b);
}

int h_webready(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf f = STRBUF_INIT, id = STRBUF_INIT, raw = STRBUF_INIT, data = STRBUF_INIT,
		      type = STRBUF_INIT, html = STRBUF_INIT;
	struct mime_msg *m;
	const struct mime_part *p;
	const char *err = NULL;

	if (req_auth(&r, q, s) < 0)
		return 0;
	req_param(&r, "f", &f);
	req_param(&r, "m", &id);
	if ((m = msg_load(&r, f.buf, id.buf, &raw, NULL)) == NULL || (p = part_find(&r, m)) == NULL) {
		http_resp_error(s, 404, NULL);
		goto out;
	}
	strbuf_addf(&type, "%s/%s", p->type, p->subtype);
	if (strcmp(attach_action(&r, p->filename, type.buf), "block") == 0) {
		page_message(&r, 403, "Attachment blocked",
			     "The administrator does not allow this kind of attachment here.");
		goto out;
	}
	mime_part_decode(m, p, &data);
	if (webready_convert(data.buf ? data.buf : "", data.len, p->filename, type.buf, &html, &err) < 0)
		msg_warn("webready failed: %s part=%u type=%s", err, p->index, type.buf);
	else
		msg_info("webready part=%u type=%s bytes=%zu", p->index, type.buf, data.len);
	webready_page(&r, p->filename ? p->filename : "attachment", &html, err);
out:
	mime_free(m);
	strbuf_release(&f);
	strbuf_release(&id);
	strbuf_release(&raw);
	strbuf_release(&data);
	strbuf_release(&type);
	strbuf_release(&html);
	return 0;
}

/* Internal documents. A host is allowed when it (or a ".suffix" entry)
 * is in documents_allow and not in documents_deny; its addresses must be
 * public unless listed in documents_private_ok; the fetch is pinned to
 * the address checked, and redirects are checked the same way. */
static int host_listed(const char *host, const char *key)
{
	for (size_t i = 0; i < conf_strings_len(owa.sec, key); i++) {
		const char *e = conf_strings_at(owa.sec, key, i);
		size_t hl = strlen(host), el = strlen(e);

		if (strcasecmp(host, e) == 0)
			return 1;
		if (e[0] == '.' && hl > el && strcasecmp(host + hl - el, e) == 0)
			return 1;
	}
	return 0;
}

static int private_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);

		return (a >> 24) == 10 || (a >> 24) == 127 || (a >> 24) == 0 ||
		       (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8 || (a >> 16) == 0xa9fe ||
		       (a >> 22) == (100 << 2 | 1) || a >= 0xe0000000u;
	}
	if (sa->sa_family == AF_INET6) {
		const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const unsigned char lo[16] = { [15] = 1 }, any[16] = { 0 };

		return memcmp(b, lo, 16) == 0 || memcmp(b, any, 16) == 0 || (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff ||
		       (memcmp(b, any, 10) == 0 && b[10] == 0xff && b[11] == 0xff);
	}
	return 1;
}

/* Checks url; on success fills host, port and the pinned address. */
static int doc_check(const char *url, struct strbuf *host, char *port, size_t plen,
		     char *addr, size_t alen, const char **why)
{
	const char *h, *e;
	size_t b, l;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int https;

	if (url_classify(url, strlen(url), &b, &l) != URL_HTTP || b != 0 || l != strlen(url)) {
		*why = "not an http or https URL";
		return -1;
	}
	https = strncasecmp(url, "https:", 6) == 0;
	h = url + (https ? 8 : 7);
	e = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(e - h))) {
		*why = "user names in URLs are not allowed";
		return -1;
	}
	strbuf_reset(host);
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));

		if (rb == NULL) {
			*why = "bad host";
			return -1;
		}
		strbuf_add(host, h + 1, (size_t)(rb - h - 1));
		h = rb + 1;
	} else {
		const char *colon = memchr(h, ':', (size_t)(e - h));

		strbuf_add(host, h, (size_t)((colon ? colon : e) - h));
		h = colon ? colon : e;
	}
	snprintf(port, plen, "%s", https ? "443" : "80");
	if (*h == ':' && h + 1 < e)
		snprintf(port, plen, "%.*s", (int)(e - h - 1), h + 1);
	for (char *c = host->buf; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (host->len == 0 || !host_listed(host->buf, "documents_allow")) {
		*why = "the server is not on the allowed list";
		return -1;
	}
	if (host_listed(host->buf, "documents_deny")) {
		*why = "the server is on the denied list";
		return -1;
	}
	if (getaddrinfo(host->buf, port, &hints, &res) != 0 || res == NULL) {
		*why = "the server name does not resolve";
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		char txt[INET6_ADDRSTRLEN] = "";
		const void *a = ai->ai_family == AF_INET ?
				(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
				(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		const char *cidrs[64];
		size_t n = conf_strings_len(owa.sec, "documents_private_ok");

		inet_ntop(ai->ai_family, a, txt, sizeof(txt));
		for (size_t i = 0; i < n && i < 64; i++)
			cidrs[i] = conf_strings_at(owa.sec, "documents_private_ok", i);
		if (private_addr(ai->ai_addr) && !http_cidr_match(txt, cidrs, n < 64 ? n : 64)) {
			freeaddrinfo(res);
			*why = "the server has a private address that is not allowed";
			return -1;
		}
		if (ai == res)
			snprintf(addr, alen, "%s%s%s", ai->ai_family == AF_INET6 ? "[" : "", txt,
				 ai->ai_family == AF_INET6 ? "]" : "");
	}
	freeaddrinfo(res);
	return 0;
}

int h_doc(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf url = STRBUF_INIT, host = STRBUF_INIT, html = STRBUF_INIT, pin = STRBUF_INIT;
	struct http_client_resp resp;
	const char *why = NULL, *name;
	char port[8], addr[INET6_ADDRSTRLEN + 2];
	int hops;

	if (req_auth(&r, q, s) < 0)
		return 0;
	http_client_resp_init(&resp);
	req_param(&r, "url", &url);
	for (hops = 0; hops < 4; hops++) {
		const char *resolve[1];
		char err[256] = "";
		struct http_client_req cq = { .method = "GET", .url = url.buf, .max = owa.webready_max,
					      .timeout_ms = 20000, .follow = 0 };

		if (doc_check(url.buf, &host, port, sizeof(port), addr, sizeof(addr), &why) < 0)
			break;
		strbuf_reset(&pin);
		strbuf_addf(&pin, "%s:%s:%s", host.buf, port, addr);
		resolve[0] = pin.buf;
		cq.resolve = resolve;
		cq.nresolve = 1;
		http_client_resp_clear(&resp);
		http_client_resp_init(&resp);
		if (http_client_fetch(&cq, &resp, err, sizeof(err)) < 0) {
			why = "the server cannot be reached";
			msg_warn("document fetch failed: %s url=%s", err, msg_q(url.buf));
			break;
		}
		if (resp.status >= 300 && resp.status < 400 && resp.redirect_url) {
			strbuf_reset(&url);
			strbuf_addstr(&url, resp.redirect_url);
			continue;
		}
		if (resp.status != 200)
			why = "the server did not return the document";
		break;
	}
	if (hops == 4)
		why = "too many redirects";
	name = strrchr(url.buf, '/');
	name = name && name[1] ? name + 1 : url.buf;
	if (why == NULL) {
		const char *ct = http_client_header(&resp, "Content-Type");
		char type[128];

		snprintf(type, sizeof(type), "%.*s", (int)strcspn(ct ? ct : "", ";"), ct ? ct : "");
		if (webready_convert(resp.body.buf ? resp.body.buf : "", resp.body.len, name, type,
				     &html, &why) == 0)
			msg_info("document shown url=%s bytes=%zu", msg_q(url.buf), resp.body.len);
	}
	if (why)
		msg_warn("document refused: %s url=%s", why, msg_q(url.buf));
	webready_page(&r, name, &html, why);
	http_client_resp_clear(&resp);
	strbuf_release(&url);
	strbuf_release(&host);
	strbuf_release(&html);
	strbuf_release(&pin);
	return 0;
}
