/* The mailbox pages: the shell (header, folders), the message list with
 * paging, sort and search, the reading page with its sandboxed frame,
 * the frame's document, actions on messages, and the options page. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/address.h"
#include "html/url.h"
#include "mail/mime.h"
#include "dir/dir.h"
#include "spam/safelist.h"
#include "util/strbuf.h"
#include "util/atomic.h"
#include "util/mem.h"
#include "util/msg.h"
#include "form.h"
#include "maildir.h"
#include "owa-cas.h"
#include "webready.h"

#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
#define MSG_MAX (64u << 20)

static void esc(struct strbuf *b, const char *s)
{
	html_escape_text(b, s, strlen(s));
}

static void esc_attr(struct strbuf *b, const char *s)
{
	html_escape_attr(b, s, strlen(s));
}

static void enc(struct strbuf *b, const char *s)
{
	url_encode(b, s, strlen(s));
}

static const char *folder_label(const char *f)
{
	return *f ? f : "Inbox";
}

static void folders_nav(struct req *r, const char *current, struct strbuf *b)
{
	char **names;
	size_t n;
	static const char *const std[] = { "Sent", "Drafts", "Junk", "Trash" };

	for (int i = 0; i < 4; i++)
		md_folder_create(r->maildir, std[i]);
	n = md_folders(r->maildir, &names);
	strbuf_addstr(b, "<nav class=\"folders\" aria-label=\"Folders\"><a class=\"compose\" "
		      "href=\"/compose\" accesskey=\"n\">New message</a><ul>");
	for (size_t i = 0; i < n; i++) {
		struct strbuf ip = STRBUF_INIT;
		struct md_index *x;
		size_t unseen = 0;

		owa_index_path(r, names[i], &ip);
		if ((x = md_index_open(r->maildir, names[i], ip.buf)) != NULL) {
			unseen = md_index_unseen(x);
			md_index_close(x);
		}
		strbuf_addf(b, "<li%s><a href=\"/mail?f=", strcmp(names[i], current) == 0 ?
			    " class=\"current\"" : "");
		enc(b, names[i]);
		strbuf_addstr(b, "\">");
		esc(b, folder_label(names[i]));
		if (unseen && strcmp(names[i], "Sent") != 0 && strcmp(names[i], "Trash") != 0)
			strbuf_addf(b, " <span class=\"count\">%zu</span>", unseen);
		strbuf_addstr(b, "</a></li>");
		strbuf_release(&ip);
	}
	strbuf_addstr(b, "</ul><a class=\"options\" href=\"/options\">Options</a></nav>");
	md_names_free(names, n);
}

void page_send(struct req *r, const char *title, const char *folder, const struct strbuf *body)
{
	struct strbuf b = STRBUF_INIT;

	http_resp_header(r->res, "Content-Type", "text/html; charset=utf-8");
	http_resp_set_header(r->res, "Cache-Control", "no-store");
	http_resp_set_header(r->res, "Content-Security-Policy", PAGE_CSP);
	strbuf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	esc(&b, title);
	strbuf_addstr(&b, " - postern web mail</title><link rel=\"stylesheet\" href=\"/static/owa.css\">"
		      "<script src=\"/static/owa.js\" defer></script></head><body>"
		      "<header class=\"top\"><a class=\"brand\" href=\"/mail\">postern <span>web mail"
		      "</span></a><form class=\"search\" method=\"get\" action=\"/mail\" role=\"search\">"
		      "<input type=\"hidden\" name=\"f\" value=\"");
	esc_attr(&b, folder ? folder : "");
	strbuf_addstr(&b, "\"><input name=\"q\" type=\"search\" placeholder=\"Search sender or subject\" "
		      "aria-label=\"Search\" accesskey=\"s\"><select name=\"by\" aria-label=\"Search in\">"
		      "<option value=\"both\">From or subject</option><option value=\"from\">From</option>"
		      "<option value=\"subject\">Subject</option></select><button>Search</button></form>"
		      "<div class=\"who\">");
	esc(&b, r->mail);
	strbuf_addf(&b, " <span class=\"badge\">%s</span><form method=\"post\" action=\"/logout\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><button class=\"link\">Sign out"
		    "</button></form></div></header><div class=\"layout\">",
		    r->s.type == SESS_PRIVATE ? "private" : "public", r->csrf);
	folders_nav(r, folder ? folder : "", &b);
	strbuf_addstr(&b, "<main>");
	strbuf_add(&b, body->buf ? body->buf : "", body->len);
	strbuf_addstr(&b, "</main></div></body></html>\n");
	http_resp_body(r->res, b.buf, b.len);
	strbuf_release(&b);
}

void page_message(struct req *r, int status, const char *title, const char *text)
{
	struct strbuf b = STRBUF_INIT;

	http_resp_status(r->res, status);
	http_resp_header(r->res, "Content-Type", "text/html; charset=utf-8");
	http_resp_set_header(r->res, "Content-Security-Policy", PAGE_CSP);
	strbuf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
	esc(&b, title);
	strbuf_addstr(&b, "</title><link rel=\"stylesheet\" href=\"/static/owa.css\"></head>"
		      "<body class=\"login\"><main class=\"login-box\"><h1>");
	esc(&b, title);
	strbuf_addstr(&b, "</h1><p>");
	esc(&b, text ? text : "");
	strbuf_addstr(&b, "</p><p><a href=\"/mail\">Back to the mailbox</a></p></main></body></html>\n");
	http_resp_body(r->res, b.buf, b.len);
	strbuf_release(&b);
}

static int folder_param(struct req *r, struct strbuf *f)
{
	req_param(r, "f", f);
	if (md_folder_ok(f->buf) < 0) {
		page_message(r, 400, "No such folder", "The folder name is not valid.");
		return -1;
	}
	return 0;
}

static void date_fmt(long long t, char *buf, size_t len, int full)
{
	time_t tt = (time_t)t, now = time(NULL);
	struct tm tm;

	localtime_r(&tt, &tm);
	if (!full && now - tt < 20 * 3600 && now >= tt)
		strftime(buf, len, "%H:%M", &tm);
	else
		strftime(buf, len, full ? "%a %Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

static void size_fmt(unsigned long long n, char *buf, size_t len)
{
	if (n < 1024)
		snprintf(buf, len, "%llu B", n);
	else if (n < 1024 * 1024)
		snprintf(buf, len, "%llu KB", (n + 1023) / 1024);
	else
		snprintf(buf, len, "%.1f MB", (double)n / (1024 * 1024));
}

/* Sorting other than by date (the index order) works on positions. */
static const struct md_index *sort_x;
static int sort_key;

static int pos_cmp(const void *a, const void *b)
{
	struct md_msg x, y;
	int c = 0;

	md_index_get(sort_x, *(const size_t *)a, &x);
	md_index_get(sort_x, *(const size_t *)b, &y);
	if (sort_key == 'f')
		c = strcasecmp(x.from, y.from);
	else if (sort_key == 's')
		c = strcasecmp(x.subject, y.subject);
	else if (sort_key == 'z')
		c = x.size < y.size ? 1 : x.size > y.size ? -1 : 0;
	if (c == 0)
		c = *(const size_t *)a < *(const size_t *)b ? -1 : 1;
	return c;
}

static int matches(const struct md_msg *m, const char *q, const char *by)
{
	if (*q == 0)
		return 1;
	if (strcmp(by, "subject") != 0 && strcasestr(m->from, q))
		return 1;
	return strcmp(by, "from") != 0 && strcasestr(m->subject, q) != NULL;
}

static void list_link(struct strbuf *b, const char *f, const char *q, const char *by,
		      const char *sort, long page)
{
	strbuf_addstr(b, "/mail?f=");
	enc(b, f);
	if (*q) {
		strbuf_addstr(b, "&amp;q=");
		enc(b, q);
		strbuf_addstr(b, "&amp;by=");
		enc(b, by);
	}
	if (*sort) {
		strbuf_addstr(b, "&amp;s=");
		enc(b, sort);
	}
	if (page > 0)
		strbuf_addf(b, "&amp;p=%ld", page);
}

static void list_rows(struct req *r, const char *f, const struct md_index *x, const size_t *pos,
		      size_t from, size_t to, struct strbuf *b)
{
	for (size_t i = from; i < to; i++) {
		struct md_msg m;
		char d[32], sz[32];
		size_t bl;
		unsigned fl;

		md_index_get(x, pos ? pos[i] : i, &m);
		md_name_parse(m.name, &bl, &fl);
		date_fmt(m.date, d, sizeof(d), 0);
		size_fmt(m.size, sz, sizeof(sz));
		strbuf_addf(b, "<tr class=\"%s\"><td class=\"sel\"><input type=\"checkbox\" name=\"m\" "
			    "aria-label=\"Select\" value=\"%.*s\"></td><td class=\"from\">",
			    m.flags & MDF_SEEN ? "seen" : "unseen", (int)bl, m.name);
		esc(b, *m.from ? m.from : "(no sender)");
		strbuf_addstr(b, "</td><td class=\"subject\"><a href=\"/read?f=");
		enc(b, f);
		strbuf_addf(b, "&amp;m=%.*s\">", (int)bl, m.name);
		esc(b, *m.subject ? m.subject : "(no subject)");
		strbuf_addf(b, "</a></td><td class=\"date\">%s</td><td class=\"size\">%s</td></tr>", d, sz);
	}
}

static void actions_bar(struct req *r, const char *f, struct strbuf *b)
{
	strbuf_addf(b, "<div class=\"actions\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		    "<input type=\"hidden\" name=\"f\" value=\"", r->csrf);
	esc_attr(b, f);
	strbuf_addstr(b, "\"><button name=\"op\" value=\"delete\">Delete</button>");
	if (strcmp(f, "Junk") == 0)
		strbuf_addstr(b, "<button name=\"op\" value=\"notjunk\">Not junk</button>");
	else
		strbuf_addstr(b, "<button name=\"op\" value=\"junk\">Junk</button>");
	strbuf_addstr(b, "<button name=\"op\" value=\"read\">Mark read</button>"
		      "<button name=\"op\" value=\"unread\">Mark unread</button>"
		      "<label class=\"move\">Move to <select name=\"to\"><option value=\"\">Inbox</option>"
		      "<option>Sent</option><option>Drafts</option><option>Junk</option>"
		      "<option>Trash</option></select></label>"
		      "<button name=\"op\" value=\"move\">Move</button></div>");
}

int h_mail(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf f = STRBUF_INIT, qs = STRBUF_INIT, by = STRBUF_INIT, sort = STRBUF_INIT,
		      pg = STRBUF_INIT, ip = STRBUF_INIT, b = STRBUF_INIT;
	struct md_index *x;
	size_t *pos = NULL, n, ps = (size_t)owa.page_size, from, to;
	long page;

	if (req_auth(&r, q, s) < 0)
		return 0;
	if (folder_param(&r, &f) < 0)
		goto out;
	req_param(&r, "q", &qs);
	req_param(&r, "by", &by);
	req_param(&r, "s", &sort);
	page = atol(req_param(&r, "p", &pg));
	if (strcmp(by.buf, "from") != 0 && strcmp(by.buf, "subject") != 0) {
		strbuf_reset(&by);
		strbuf_addstr(&by, "both");
	}
	if (*f.buf == 0)
		md_folder_create(r.maildir, "");
	owa_index_path(&r, f.buf, &ip);
	x = md_index_open(r.maildir, f.buf, ip.buf);
	if (x == NULL) {
		page_message(&r, 404, "No such folder", "The folder cannot be read.");
		goto out;
	}
	n = md_index_count(x);
	if (*qs.buf || (*sort.buf && strcmp(sort.buf, "date") != 0)) {
		size_t k = 0;

		pos = xmalloc((n ? n : 1) * sizeof(*pos));
		for (size_t i = 0; i < n; i++) {
			struct md_msg m;

			md_index_get(x, i, &m);
			if (matches(&m, qs.buf, by.buf))
				pos[k++] = i;
		}
		n = k;
		sort_x = x;
		sort_key = strcmp(sort.buf, "from") == 0 ? 'f' : strcmp(sort.buf, "subject") == 0 ? 's' :
			   strcmp(sort.buf, "size") == 0 ? 'z' : 'd';
		if (sort_key != 'd')
			qsort(pos, n, sizeof(*pos), pos_cmp);
	}
	if (page < 0 || (size_t)page * ps >= n)
		page = 0;
	from = (size_t)page * ps;
	to = from + ps < n ? from + ps : n;
	strbuf_addstr(&b, "<h1>");
	esc(&b, folder_label(f.buf));
	if (*qs.buf) {
		strbuf_addstr(&b, " <span class=\"sub\">matching &ldquo;");
		esc(&b, qs.buf);
		strbuf_addstr(&b, "&rdquo;</span>");
	}
	strbuf_addf(&b, "</h1><form method=\"post\" action=\"/act\" class=\"list\">");
	actions_bar(&r, f.buf, &b);
	strbuf_addstr(&b, "<table class=\"messages\"><thead><tr><th class=\"sel\"></th>");
	{
		static const char *const cols[][2] = { { "from", "From" }, { "subject", "Subject" },
						       { "date", "Received" }, { "size", "Size" } };

		for (int i = 0; i < 4; i++) {
			strbuf_addf(&b, "<th class=\"%s\"><a href=\"", cols[i][0]);
			list_link(&b, f.buf, qs.buf, by.buf, cols[i][0], 0);
			strbuf_addf(&b, "\">%s</a></th>", cols[i][1]);
		}
	}
	strbuf_addstr(&b, "</tr></thead><tbody>");
	list_rows(&r, f.buf, x, pos, from, to, &b);
	strbuf_addstr(&b, "</tbody></table></form>");
	if (n == 0)
		strbuf_addstr(&b, "<p class=\"empty\">No messages.</p>");
	strbuf_addf(&b, "<nav class=\"pages\" aria-label=\"Pages\"><span>%zu&ndash;%zu of %zu</span>",
		    n ? from + 1 : 0, to, n);
	if (page > 0) {
		strbuf_addstr(&b, " <a rel=\"prev\" accesskey=\"p\" href=\"");
		list_link(&b, f.buf, qs.buf, by.buf, sort.buf, page - 1);
		strbuf_addstr(&b, "\">&larr; Newer</a>");
	}
	if (to < n) {
		strbuf_addstr(&b, " <a rel=\"next\" accesskey=\"x\" href=\"");
		list_link(&b, f.buf, qs.buf, by.buf, sort.buf, page + 1);
		strbuf_addstr(&b, "\">Older &rarr;</a>");
	}
	strbuf_addstr(&b, "</nav>");
	page_send(&r, folder_label(f.buf), f.buf, &b);
	md_index_close(x);
out:
	free(pos);
	strbuf_release(&f);
	strbuf_release(&qs);
	strbuf_release(&by);
	strbuf_release(&sort);
	strbuf_release(&pg);
	strbuf_release(&ip);
	strbuf_release(&b);
	return 0;
}

struct mime_msg *msg_load(struct req *r, const char *folder, const char *id, struct strbuf *raw,
			  struct strbuf *smime)
{
	struct strbuf ip = STRBUF_INIT, path = STRBUF_INIT;
	struct md_index *x;
	struct mime_msg *m = NULL;

	if (md_folder_ok(folder) < 0 || strchr(id, '/') || strchr(id, ':') || *id == 0)
		return NULL;
	owa_index_path(r, folder, &ip);
	x = md_index_open(r->maildir, folder, ip.buf);
	if (md_msg_path(r->maildir, folder, x, id, &path) == 0 &&
	    strbuf_read_file(raw, path.buf, MSG_MAX) == 0)
		m = mime_parse(raw->buf ? raw->buf : "", raw->len, NULL);
	md_index_close(x);
	if (m && conf_bool(owa.sec, "smime_verify") && smime_is_signed(m)) {
		struct strbuf verdict = STRBUF_INIT, inner = STRBUF_INIT;

		if (smime_verify(raw->buf, raw->len, &verdict, &inner) == 0) {
			/* The parse borrows raw: swap in the checked message. */
			mime_free(m);
			strbuf_release(raw);
			*raw = inner;
			m = mime_parse(raw->buf ? raw->buf : "", raw->len, NULL);
			if (smime)
				strbuf_add(smime, verdict.buf, verdict.len);
		} else {
			strbuf_release(&inner);
			if (smime)
				strbuf_addstr(smime, "smime=none (the signature could not be checked)");
		}
		strbuf_release(&verdict);
	}
	strbuf_release(&ip);
	strbuf_release(&path);
	return m;
}

static void header_row(struct strbuf *b, const struct mime_msg *m, const char *name,
		       const char *label)
{
	const struct mime_header *h = mime_header_find(mime_root(m), name, 0);
	struct strbuf v = STRBUF_INIT;

	if (h == NULL)
		return;
	mime_header_decode(h, &v);
	strbuf_addf(b, "<dt>%s</dt><dd>", label);
	esc(b, v.buf ? v.buf : "");
	strbuf_addstr(b, "</dd>");
	strbuf_release(&v);
}

/* The rendering options of a message in this session. */
static void render_opts_for(struct req *r, const char *f, const char *id, bool remote,
			    struct render_opts *o, struct strbuf *cidp)
{
	static struct inline_ref ref;

	memset(o, 0, sizeof(*o));
	o->allow_remote = remote && owa.allow_remote;
	o->link = owa_link;
	o->html_max = owa.html_max;
	strbuf_addstr(cidp, "/inline/");
	o->cid_prefix = cidp->buf;
	ref.r = r;
	ref.folder = f;
	ref.id = id;
	o->cid = owa_inline_link;
	o->cid_ctx = &ref;
}

const char *attach_action(const struct req *r, const char *filename, const char *type);

int h_read(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf f = STRBUF_INIT, id = STRBUF_INIT, rm = STRBUF_INIT, raw = STRBUF_INIT,
		      b = STRBUF_INIT, subj = STRBUF_INIT, cidp = STRBUF_INIT, ip = STRBUF_INIT,
		      smime = STRBUF_INIT;
	struct mime_msg *m;
	struct render_opts o;
	struct render rd = { STRBUF_INIT, 0, false, false };
	bool remote;

	if (req_auth(&r, q, s) < 0)
		return 0;
	if (folder_param(&r, &f) < 0)
		goto out;
	req_param(&r, "m", &id);
	remote = strcmp(req_param(&r, "remote", &rm), "1") == 0 && owa.allow_remote;
	if ((m = msg_load(&r, f.buf, id.buf, &raw, &smime)) == NULL) {
		page_message(&r, 404, "No such message", "The message is gone or was moved.");
		goto out;
	}
	{
		struct md_index *x;

		owa_index_path(&r, f.buf, &ip);
		x = md_index_open(r.maildir, f.buf, ip.buf);
		md_msg_flags(r.maildir, f.buf, x, id.buf, MDF_SEEN, 0);
		md_index_close(x);
	}
	render_opts_for(&r, f.buf, id.buf, remote, &o, &cidp);
	render_message(m, &o, &rd);
	mime_subject(m, &subj);
	strbuf_addstr(&b, "<article class=\"message\"><h1>");
	esc(&b, subj.len ? subj.buf : "(no subject)");
	strbuf_addstr(&b, "</h1><dl class=\"headers\">");
	header_row(&b, m, "From", "From");
	header_row(&b, m, "To", "To");
	header_row(&b, m, "Cc", "Cc");
	header_row(&b, m, "Date", "Date");
	strbuf_addstr(&b, "</dl>");
	if (smime.len) {
		const char *v = strstr(smime.buf, "smime=");
		int pass = v && strncmp(v, "smime=pass", 10) == 0;

		strbuf_addf(&b, "<p class=\"smime %s\" role=\"status\"><strong>%s</strong> ",
			    pass ? "pass" : "fail", pass ? "Signed: the signature is valid." :
			    "Signed, but the signature is not valid.");
		esc(&b, v ? v : smime.buf);
		strbuf_addstr(&b, "</p>");
	}
	strbuf_addstr(&b, "<div class=\"toolbar\">");
	{
		static const char *const modes[][2] = { { "reply", "Reply" }, { "replyall", "Reply all" },
							{ "forward", "Forward" } };

		for (int i = 0; i < 3; i++) {
			strbuf_addf(&b, "<a class=\"button\" href=\"/compose?mode=%s&amp;f=", modes[i][0]);
			enc(&b, f.buf);
			strbuf_addstr(&b, "&amp;m=");
			enc(&b, id.buf);
			strbuf_addf(&b, "\">%s</a>", modes[i][1]);
		}
	}
	strbuf_addf(&b, "<form method=\"post\" action=\"/act\"><input type=\"hidden\" name=\"csrf\" "
		    "value=\"%s\"><input type=\"hidden\" name=\"f\" value=\"", r.csrf);
	esc_attr(&b, f.buf);
	strbuf_addstr(&b, "\"><input type=\"hidden\" name=\"m\" value=\"");
	esc_attr(&b, id.buf);
	strbuf_addstr(&b, "\"><button name=\"op\" value=\"delete\">Delete</button>");
	strbuf_addf(&b, "<button name=\"op\" value=\"%s\">%s</button><button name=\"op\" "
		    "value=\"unread\">Mark unread</button></form></div>",
		    strcmp(f.buf, "Junk") == 0 ? "notjunk" : "junk",
		    strcmp(f.buf, "Junk") == 0 ? "Not junk" : "Junk");
	/* Attachments with what this session may do with each. */
	{
		int first = 1;

		for (unsigned i = 1; i < mime_part_count(m); i++) {
			const struct mime_part *p = mime_part_at(m, i);
			const char *act, *name = p->filename ? p->filename : "attachment";
			char sz[32];
			struct strbuf type = STRBUF_INIT;

			if (!p->is_attachment || p->child)
				continue;
			strbuf_addf(&type, "%s/%s", p->type, p->subtype);
			act = attach_action(&r, p->filename, type.buf);
			size_fmt(p->body_len * (p->cte == MIME_CTE_BASE64 ? 3 : 4) / 4, sz, sizeof(sz));
			if (first)
				strbuf_addstr(&b, "<ul class=\"attachments\" aria-label=\"Attachments\">");
			first = 0;
			strbuf_addstr(&b, "<li>");
			if (strcmp(act, "block") == 0) {
				strbuf_addstr(&b, "<span class=\"blocked\">");
				esc(&b, name);
				strbuf_addstr(&b, "</span> <em>blocked</em>");
			} else {
				strbuf_addf(&b, "<a href=\"/%s?f=", strcmp(act, "webready") == 0 ?
					    "webready" : "part");
				enc(&b, f.buf);
				strbuf_addstr(&b, "&amp;m=");
				enc(&b, id.buf);
				strbuf_addf(&b, "&amp;n=%u\">", i);
				esc(&b, name);
				strbuf_addf(&b, "</a> <em>%s</em>", strcmp(act, "webready") == 0 ?
					    "open as web page" : strcmp(act, "save") == 0 ? "download" : "open");
				if ((strcmp(act, "allow") == 0 || strcmp(act, "save") == 0) &&
				    webready_supported(p->filename, type.buf)) {
					strbuf_addstr(&b, " <a class=\"wr\" href=\"/webready?f=");
					enc(&b, f.buf);
					strbuf_addstr(&b, "&amp;m=");
					enc(&b, id.buf);
					strbuf_addf(&b, "&amp;n=%u\">view as web page</a>", i);
				}
			}
			strbuf_addf(&b, " <span class=\"size\">%s</span></li>", sz);
			strbuf_release(&type);
		}
		if (!first)
			strbuf_addstr(&b, "</ul>");
	}
	if (rd.blocked && !remote) {
		strbuf_addf(&b, "<p class=\"remote\" role=\"status\">%u remote image%s and other content "
			    "were not loaded to protect your privacy.", rd.blocked,
			    rd.blocked == 1 ? "" : "s");
		if (owa.allow_remote) {
			strbuf_addstr(&b, " <a id=\"show-content\" href=\"/read?f=");
			enc(&b, f.buf);
			strbuf_addstr(&b, "&amp;m=");
			enc(&b, id.buf);
			strbuf_addstr(&b, "&amp;remote=1\">Show content</a>");
		}
		strbuf_addstr(&b, "</p>");
	}
	strbuf_addstr(&b, "<iframe class=\"body\" title=\"Message body\" "
		      "sandbox=\"allow-popups allow-popups-to-escape-sandbox\" "
		      "referrerpolicy=\"no-referrer\" src=\"/body?f=");
	enc(&b, f.buf);
	strbuf_addstr(&b, "&amp;m=");
	enc(&b, id.buf);
	if (remote)
		strbuf_addstr(&b, "&amp;remote=1");
	strbuf_addstr(&b, "\"></iframe></article>");
	page_send(&r, subj.len ? subj.buf : "(no subject)", f.buf, &b);
	render_free(&rd);
	mime_free(m);
out:
	strbuf_release(&f);
	strbuf_release(&id);
	strbuf_release(&rm);
	strbuf_release(&raw);
	strbuf_release(&b);
	strbuf_release(&subj);
	strbuf_release(&cidp);
	strbuf_release(&ip);
	strbuf_release(&smime);
	return 0;
}

int h_body(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf f = STRBUF_INIT, id = STRBUF_INIT, rm = STRBUF_INIT, raw = STRBUF_INIT,
		      doc = STRBUF_INIT, csp = STRBUF_INIT, cidp = STRBUF_INIT;
	struct mime_msg *m;
	struct render_opts o;
	struct render rd = { STRBUF_INIT, 0, false, false };

	if (req_auth(&r, q, s) < 0)
		return 0;
	req_param(&r, "f", &f);
	req_param(&r, "m", &id);
	if ((m = msg_load(&r, f.buf, id.buf, &raw, NULL)) == NULL) {
		http_resp_error(s, 404, NULL);
		goto out;
	}
	render_opts_for(&r, f.buf, id.buf, strcmp(req_param(&r, "remote", &rm), "1") == 0, &o, &cidp);
	render_message(m, &o, &rd);
	render_frame(&rd, &doc);
	render_csp(&o, &csp);
	http_resp_header(s, "Content-Type", "text/html; charset=utf-8");
	http_resp_set_header(s, "Content-Security-Policy", csp.buf);
	http_resp_set_header(s, "X-Frame-Options", "SAMEORIGIN");
	http_resp_set_header(s, "Cache-Control", "no-store");
	http_resp_set_header(s, "Referrer-Policy", "no-referrer");
	http_resp_body(s, doc.buf, doc.len);
	render_free(&rd);
	mime_free(m);
out:
	strbuf_release(&f);
	strbuf_release(&id);
	strbuf_release(&rm);
	strbuf_release(&raw);
	strbuf_release(&doc);
	strbuf_release(&csp);
	strbuf_release(&cidp);
	return 0;
}

int h_act(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct form fm;
	const char *f, *op, *to;
	struct strbuf ip = STRBUF_INIT, back = STRBUF_INIT;
	struct md_index *x;
	int done = 0, failed = 0;

	if (req_auth(&r, q, s) < 0)
		return 0;
	if (req_form(&r, 1 << 20, &fm) < 0)
		return 0;
	if (req_csrf(&r, &fm) < 0)
		goto out;
	f = form_get(&fm, "f");
	op = form_get(&fm, "op");
	to = form_get(&fm, "to");
	f = f ? f : "";
	to = to ? to : "";
	if (md_folder_ok(f) < 0 || md_folder_ok(to) < 0 || op == NULL) {
		page_message(&r, 400, "Bad request", "Unknown folder or action.");
		goto out;
	}
	owa_index_path(&r, f, &ip);
	x = md_index_open(r.maildir, f, ip.buf);
	for (size_t i = 0; i < fm.n; i++) {
		const char *id = fm.f[i].value;
		int rc;

		if (strcmp(fm.f[i].name, "m") != 0 || fm.f[i].filename || strchr(id, '/') ||
		    strchr(id, ':') || *id == 0)
			continue;
		if (strcmp(op, "delete") == 0)
			rc = strcmp(f, "Trash") == 0 ? md_msg_delete(r.maildir, f, x, id) :
			     md_msg_move(r.maildir, f, x, id, "Trash");
		else if (strcmp(op, "junk") == 0)
			rc = md_msg_move(r.maildir, f, x, id, "Junk");
		else if (strcmp(op, "notjunk") == 0)
			rc = md_msg_move(r.maildir, f, x, id, "");
		else if (strcmp(op, "move") == 0)
			rc = strcmp(f, to) == 0 ? 0 : md_msg_move(r.maildir, f, x, id, to);
		else if (strcmp(op, "read") == 0)
			rc = md_msg_flags(r.maildir, f, x, id, MDF_SEEN, 0);
		else if (strcmp(op, "unread") == 0)
			rc = md_msg_flags(r.maildir, f, x, id, 0, MDF_SEEN);
		else
			rc = -1;
		if (rc < 0)
			failed++;
		else
			done++;
	}
	md_index_close(x);
	msg_info("messages changed op=%s folder=%s count=%d failed=%d", op, msg_q(f), done, failed);
	strbuf_addstr(&back, "/mail?f=");
	enc(&back, f);
	http_resp_redirect(s, 303, back.buf);
out:
	form_free(&fm);
	strbuf_release(&ip);
	strbuf_release(&back);
	return 0;
}

/* Safe and blocked senders: the addresses as entered live in the Maildir
 * as JSON, one list each; their hashes (spam/safelist.h) go to the
 * directory's posternSafeSenders and posternBlockedSenders blobs, which
 * smtp-edge reads, when the directory takes the write (LDAP with write
 * access for the service account). Otherwise the Maildir is all. */
#define SENDERS_FILE "postern-senders.json"
#define SENDERS_MAX 1000

static json_t *senders_load(struct req *r)
{
	struct strbuf p = STRBUF_INIT;
	json_t *j;

	strbuf_addf(&p, "%s/" SENDERS_FILE, r->maildir);
	j = json_load_file(p.buf, 0, NULL);
	strbuf_release(&p);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_pack("{s:[],s:[]}", "safe", "blocked");
	}
	return j;
}

static void senders_list(struct strbuf *b, json_t *j, const char *key)
{
	json_t *a = json_object_get(j, key), *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v)) {
			esc(b, json_string_value(v));
			strbuf_addch(b, '\n');
		}
}

/* One address or @domain per line, lower-cased, checked. */
static json_t *senders_parse(const char *text)
{
	json_t *a = json_array();
	const char *p = text ? text : "";

	while (*p && json_array_size(a) < SENDERS_MAX) {
		size_t n = strcspn(p, "\r\n, ;");
		struct strbuf v = STRBUF_INIT;

		for (size_t i = 0; i < n && i < 254; i++)
			strbuf_addch(&v, tolower((unsigned char)p[i]));
		if (v.len && strchr(v.buf, '@') && !strpbrk(v.buf, "<>\"\\ \t"))
			json_array_append_new(a, json_string(v.buf));
		strbuf_release(&v);
		p += n;
		p += strspn(p, "\r\n, ;");
	}
	return a;
}

/* The blob of hashes of the list's addresses. */
static void senders_blob(json_t *a, struct strbuf *blob)
{
	unsigned char h[SAFELIST_HASH_LEN];
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		safelist_hash(s, strlen(s), h);
		strbuf_add(blob, h, sizeof(h));
	}
}

/* Writes both blobs to the directory: DIR_OK or the first failure. */
static int senders_to_dir(struct req *r, json_t *j)
{
	static const char *const attrs[2][2] = {
		{ "safe", "posternSafeSenders" }, { "blocked", "posternBlockedSenders" } };
	int rc = DIR_OK;

	for (size_t k = 0; k < 2 && rc == DIR_OK; k++) {
		struct strbuf blob = STRBUF_INIT;

		senders_blob(json_object_get(j, attrs[k][0]), &blob);
		rc = dir_set_blob(owa.dir, r->uid, attrs[k][1], blob.buf ? blob.buf : "",
				  blob.len);
		strbuf_release(&blob);
	}
	if (rc != DIR_OK)
		msg_info("senders kept in the mailbox only user=%s backend=%s why=%s",
			 msg_q(r->uid), dir_backend(owa.dir),
			 rc == DIR_READONLY ? "read-only" : rc == DIR_NOTFOUND ? "not found" :
			 "temporary failure");
	else
		msg_info("senders written to the directory user=%s", msg_q(r->uid));
	return rc;
}

/* Where the lists are, as the directory shows them now. */
static void senders_where(struct req *r, struct strbuf *b)
{
	struct dir_entry *e = NULL;
	size_t ns = 0, nb = 0;
	bool there = false;

	if (dir_lookup_uid(owa.dir, r->uid, &e) == DIR_OK) {
		const struct dir_value *v;

		if (dir_entry_get(e, "posternSafeSenders", &v) > 0) {
			ns = v[0].len / SAFELIST_HASH_LEN;
			there = true;
		}
		if (dir_entry_get(e, "posternBlockedSenders", &v) > 0) {
			nb = v[0].len / SAFELIST_HASH_LEN;
			there = true;
		}
	}
	dir_entry_free(e);
	if (there)
		strbuf_addf(b, "<p class=\"where\">The directory holds %zu safe and %zu "
			    "blocked sender%s for the mail gateway; the addresses below are "
			    "kept in your mailbox.</p>", ns, nb, nb == 1 ? "" : "s");
	else
		strbuf_addstr(b, "<p class=\"where\">These lists are kept in your mailbox "
			      "only: the directory cannot be written from here.</p>");
}

void devices_section(struct req *r, struct strbuf *b, const struct form *fm);

int h_options(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct form fm = { 0 };
	struct strbuf b = STRBUF_INIT, p = STRBUF_INIT;
	json_t *j;
	const char *note = NULL;

	if (req_auth(&r, q, s) < 0)
		return 0;
	if (strcmp(q->method, "POST") == 0) {
		if (req_form(&r, 1 << 20, &fm) < 0)
			return 0;
		if (req_csrf(&r, &fm) < 0)
			goto out;
		if (form_get(&fm, "safe") || form_get(&fm, "blocked")) {
			char *text;

			j = json_object();
			json_object_set_new(j, "safe", senders_parse(form_get(&fm, "safe")));
			json_object_set_new(j, "blocked", senders_parse(form_get(&fm, "blocked")));
			text = json_dumps(j, JSON_INDENT(1));
			strbuf_addf(&p, "%s/" SENDERS_FILE, r.maildir);
			if (atomic_write(p.buf, text, strlen(text), 0600) < 0) {
				msg_error("cannot write '%s': %m", p.buf);
				note = "The lists could not be saved.";
			} else {
				int rc = senders_to_dir(&r, j);

				note = rc == DIR_OK ? "Saved to the directory." :
					rc == DIR_READONLY ? "Saved in your mailbox only: "
					"the directory is not writable from here." :
					"Saved in your mailbox only: the directory could not "
					"be updated.";
			}
			free(text);
			json_decref(j);
		}
	}
	j = senders_load(&r);
	strbuf_addstr(&b, "<h1>Options</h1>");
	if (note) {
		strbuf_addstr(&b, "<p class=\"note\" role=\"status\">");
		esc(&b, note);
		strbuf_addstr(&b, "</p>");
	}
	strbuf_addstr(&b, "<section><h2>Safe and blocked senders</h2>");
	senders_where(&r, &b);
	strbuf_addf(&b, "<form method=\"post\" "
		    "action=\"/options\" class=\"senders\"><input type=\"hidden\" name=\"csrf\" "
		    "value=\"%s\"><label>Safe senders (one address or @domain a line)"
		    "<textarea name=\"safe\" rows=\"6\">", r.csrf);
	senders_list(&b, j, "safe");
	strbuf_addstr(&b, "</textarea></label><label>Blocked senders<textarea name=\"blocked\" "
		      "rows=\"6\">");
	senders_list(&b, j, "blocked");
	strbuf_addstr(&b, "</textarea></label><button>Save</button></form></section>");
	json_decref(j);
	devices_section(&r, &b, strcmp(q->method, "POST") == 0 ? &fm : NULL);
	page_send(&r, "Options", NULL, &b);
out:
	form_free(&fm);
	strbuf_release(&b);
	strbuf_release(&p);
	return 0;
}
