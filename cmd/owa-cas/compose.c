/* Compose, reply, reply all and forward: the form, and sending: the
 * message built from the form (headers from checked addresses only, no
 * line breaks from the user in any header), submitted over SMTP with
 * libcurl, then saved to Sent. */
#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/address.h"
#include "html/url.h"
#include "mail/charset.h"
#include "util/base64.h"
#include "util/mem.h"
#include "util/msg.h"
#include "form.h"
#include "maildir.h"
#include "owa-cas.h"

#define RCPT_MAX 100

static void esc(struct strbuf *b, const char *s)
{
	html_escape_text(b, s, strlen(s));
}

static void esc_attr(struct strbuf *b, const char *s)
{
	html_escape_attr(b, s, strlen(s));
}

static void hdr_decoded(const struct mime_msg *m, const char *name, struct strbuf *out)
{
	const struct mime_header *h = mime_header_find(mime_root(m), name, 0);

	if (h)
		mime_header_decode(h, out);
}

/* The addresses of a header as "a@b, c@d" (appended), skipping skip. */
static void addrs_of(const struct mime_msg *m, const char *name, const char *skip,
		     struct strbuf *out)
{
	const struct mime_header *h = mime_header_find(mime_root(m), name, 0);
	struct mail_addr *a = NULL;
	size_t n;

	if (h == NULL)
		return;
	n = address_parse_list(h->value, h->value_len, RCPT_MAX, &a);
	for (size_t i = 0; i < n; i++) {
		if (skip && strcasecmp(a[i].addr, skip) == 0)
			continue;
		if (out->len)
			strbuf_addstr(out, ", ");
		strbuf_addstr(out, a[i].addr);
	}
	address_list_free(a, n);
}

static const struct mime_part *text_part(const struct mime_msg *m)
{
	const struct mime_part *html = NULL;

	for (unsigned i = 0; i < mime_part_count(m); i++) {
		const struct mime_part *p = mime_part_at(m, i);

		if (p->child || p->is_attachment || strcmp(p->type, "text") != 0)
			continue;
		if (strcmp(p->subtype, "plain") == 0)
			return p;
		if (html == NULL && strcmp(p->subtype, "html") == 0)
			html = p;
	}
	return html;
}

static void quote(const struct mime_msg *m, struct strbuf *out)
{
	const struct mime_part *p = text_part(m);
	struct strbuf t = STRBUF_INIT, from = STRBUF_INIT, date = STRBUF_INIT;
	const char *s, *e;

	if (p)
		mime_part_text(m, p, &t);
	hdr_decoded(m, "From", &from);
	hdr_decoded(m, "Date", &date);
	strbuf_addf(out, "\n\nOn %s, %s wrote:\n", date.len ? date.buf : "an earlier date",
		    from.len ? from.buf : "the sender");
	for (s = t.buf ? t.buf : ""; *s; s = *e ? e + 1 : e) {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		strbuf_addstr(out, "> ");
		strbuf_add(out, s, (size_t)(e - s));
		strbuf_addch(out, '\n');
	}
	strbuf_release(&t);
	strbuf_release(&from);
	strbuf_release(&date);
}

int h_compose(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct strbuf mode = STRBUF_INIT, f = STRBUF_INIT, id = STRBUF_INIT, raw = STRBUF_INIT,
		      to = STRBUF_INIT, cc = STRBUF_INIT, subj = STRBUF_INIT, body = STRBUF_INIT,
		      b = STRBUF_INIT, os = STRBUF_INIT;
	struct mime_msg *m = NULL;

	if (req_auth(&r, q, s) < 0)
		return 0;
	req_param(&r, "mode", &mode);
	req_param(&r, "f", &f);
	req_param(&r, "m", &id);
	if (*mode.buf && (m = msg_load(&r, f.buf, id.buf, &raw, NULL)) == NULL) {
		page_message(&r, 404, "No such message", "The message is gone or was moved.");
		goto out;
	}
	if (m) {
		mime_subject(m, &os);
		if (strcmp(mode.buf, "forward") == 0) {
			strbuf_addf(&subj, "%s%s", strncasecmp(os.buf ? os.buf : "", "fwd:", 4) ? "Fwd: " : "",
				    os.buf ? os.buf : "");
		} else {
			strbuf_addf(&subj, "%s%s", strncasecmp(os.buf ? os.buf : "", "re:", 3) ? "Re: " : "",
				    os.buf ? os.buf : "");
			if (mime_header_find(mime_root(m), "Reply-To", 0))
				addrs_of(m, "Reply-To", NULL, &to);
			else
				addrs_of(m, "From", NULL, &to);
			if (strcmp(mode.buf, "replyall") == 0) {
				addrs_of(m, "To", r.mail, &cc);
				addrs_of(m, "Cc", r.mail, &cc);
			}
			quote(m, &body);
		}
	}
	strbuf_addf(&b, "<h1>%s</h1><form method=\"post\" action=\"/send\" enctype=\"multipart/form-data\" "
		    "class=\"compose\"><input type=\"hidden\" name=\"csrf\" value=\"%s\">",
		    strcmp(mode.buf, "forward") == 0 ? "Forward" : *mode.buf ? "Reply" : "New message",
		    r.csrf);
	if (m) {
		strbuf_addstr(&b, "<input type=\"hidden\" name=\"mode\" value=\"");
		esc_attr(&b, mode.buf);
		strbuf_addstr(&b, "\"><input type=\"hidden\" name=\"of\" value=\"");
		esc_attr(&b, f.buf);
		strbuf_addstr(&b, "\"><input type=\"hidden\" name=\"om\" value=\"");
		esc_attr(&b, id.buf);
		strbuf_addstr(&b, "\">");
	}
	strbuf_addstr(&b, "<label>To<input name=\"to\" id=\"to\" autofocus value=\"");
	esc_attr(&b, to.buf ? to.buf : "");
	strbuf_addstr(&b, "\"></label><label>Cc<input name=\"cc\" value=\"");
	esc_attr(&b, cc.buf ? cc.buf : "");
	strbuf_addstr(&b, "\"></label><label>Bcc<input name=\"bcc\"></label>"
		      "<label>Subject<input name=\"subject\" id=\"subject\" value=\"");
	esc_attr(&b, subj.buf ? subj.buf : "");
	strbuf_addstr(&b, "\"></label><label>Message<textarea name=\"body\" id=\"body\" rows=\"16\">");
	esc(&b, body.buf ? body.buf : "");
	strbuf_addstr(&b, "</textarea></label>");
	if (strcmp(mode.buf, "forward") == 0)
		strbuf_addstr(&b, "<p class=\"small\">The original message is attached.</p>");
	strbuf_addstr(&b, "<label>Attachments<input type=\"file\" name=\"att\" multiple></label>"
		      "<div class=\"actions\"><button type=\"submit\" class=\"primary\" id=\"send\">Send"
		      "</button> <a href=\"/mail\">Discard</a></div></form>");
	page_send(&r, "Compose", NULL, &b);
out:
	mime_free(m);
	strbuf_release(&mode);
	strbuf_release(&f);
	strbuf_release(&id);
	strbuf_release(&raw);
	strbuf_release(&to);
	strbuf_release(&cc);
	strbuf_release(&subj);
	strbuf_release(&body);
	strbuf_release(&b);
	strbuf_release(&os);
	return 0;
}

/* Message building. */
static int ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* A header value from the user: line breaks and controls become blanks. */
static void clean(const char *s, struct strbuf *out)
{
	for (; s && *s; s++)
		strbuf_addch(out, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void subject_hdr(const char *subj, struct strbuf *m)
{
	struct strbuf c = STRBUF_INIT;

	clean(subj, &c);
	strbuf_addstr(m, "Subject: ");
	if (ascii(c.buf ? c.buf : "")) {
		strbuf_addstr(m, c.buf ? c.buf : "");
	} else {
		/* RFC 2047 words of at most 45 bytes, cut between characters. */
		size_t i = 0;

		while (i < c.len) {
			size_t n = c.len - i > 45 ? 45 : c.len - i;

			while (i + n < c.len && n > 1 && ((unsigned char)c.buf[i + n] & 0xc0) == 0x80)
				n--;
			if (i)
				strbuf_addstr(m, "\r\n ");
			strbuf_addstr(m, "=?UTF-8?B?");
			base64_encode(c.buf + i, n, m);
			strbuf_addstr(m, "?=");
			i += n;
		}
	}
	strbuf_addstr(m, "\r\n");
	strbuf_release(&c);
}

static void qp_encode(const char *s, size_t len, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int enc_it = (c < 0x20 && c != '\t') || c >= 0x7f || c == '=' ||
			     ((c == ' ' || c == '\t') && (i + 1 == len || s[i + 1] == '\n' || s[i + 1] == '\r')) ||
			     (c == '.' && col == 0);

		if (c == '\r')
			continue;
		if (c == '\n') {
			strbuf_addstr(out, "\r\n");
			col = 0;
			continue;
		}
		if (col + (enc_it ? 3 : 1) > 75) {
			strbuf_addstr(out, "=\r\n");
			col = 0;
		}
		if (enc_it) {
			strbuf_addch(out, '=');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
			col += 3;
		} else {
			strbuf_addch(out, c);
			col++;
		}
	}
	strbuf_addstr(out, "\r\n");
}

static void b64_lines(const char *s, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i += 57) {
		base64_encode(s + i, len - i > 57 ? 57 : len - i, out);
		strbuf_addstr(out, "\r\n");
	}
}

static int type_ok(const char *t)
{
	const char *slash = t ? strchr(t, '/') : NULL;

	if (slash == NULL || slash == t || strlen(t) > 100)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
		      strchr("/.+-_", *t)))
			return 0;
	return 1;
}

static void filename_param(const char *name, struct strbuf *m)
{
	struct strbuf c = STRBUF_INIT;
	const char *base = strrchr(name, '/'), *bs = strrchr(name, '\\');

	base = base ? base + 1 : name;
	if (bs && bs + 1 > base)
		base = bs + 1;
	clean(base, &c);
	if (c.len == 0)
		strbuf_addstr(&c, "attachment");
	if (ascii(c.buf) && !strpbrk(c.buf, "\"\\")) {
		strbuf_addf(m, "; filename=\"%s\"", c.buf);
	} else {
		strbuf_addstr(m, "; filename*=UTF-8''");
		url_encode(m, c.buf, c.len);
	}
	strbuf_release(&c);
}

struct rcpts {
	char *v[RCPT_MAX];
	size_t n;
};

/* Parses a To/Cc/Bcc field; header (if not NULL) gets "Name: a, b".
 * -1 when an address is not valid. */
static int rcpt_field(const char *hname, const char *value, struct rcpts *rc, struct strbuf *m)
{
	struct mail_addr *a = NULL;
	struct strbuf c = STRBUF_INIT;
	size_t n;
	int bad = 0;

	clean(value, &c);
	if (c.len == 0) {
		strbuf_release(&c);
		return 0;
	}
	n = address_parse_list(c.buf, c.len, RCPT_MAX, &a);
	if (n == 0)
		bad = 1;
	for (size_t i = 0; i < n && !bad; i++) {
		if (!*a[i].domain || strpbrk(a[i].addr, "<>\r\n") || rc->n == RCPT_MAX) {
			bad = 1;
			break;
		}
		rc->v[rc->n++] = xstrdup(a[i].addr);
		if (m)
			strbuf_addf(m, "%s%s", i ? ", " : "", a[i].addr);
	}
	address_list_free(a, n);
	strbuf_release(&c);
	return bad ? -1 : 0;
}

static void date_hdr(struct strbuf *m)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S %z", &tm);
	strbuf_addf(m, "Date: %s\r\n", buf);
}

static void random_token(char *out, size_t n)
{
	unsigned char r[12];

	RAND_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r) && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *p)
{
	struct upload *u = p;
	size_t k = size * n < u->len - u->off ? size * n : u->len - u->off;

	memcpy(buf, u->data + u->off, k);
	u->off += k;
	return k;
}

/* Submits msg; 0, or -1 with the reason in why. */
static int submit(const char *from, const struct rcpts *rc, const struct strbuf *msg,
		  struct strbuf *why)
{
	CURL *c = curl_easy_init();
	struct curl_slist *to = NULL;
	struct upload up = { msg->buf, msg->len, 0 };
	char err[CURL_ERROR_SIZE] = "", mf[300];
	CURLcode res;
	long code = 0;

	if (c == NULL) {
		strbuf_addstr(why, "cannot start the SMTP client");
		return -1;
	}
	snprintf(mf, sizeof(mf), "<%s>", from);
	for (size_t i = 0; i < rc->n; i++) {
		char t[300];

		snprintf(t, sizeof(t), "<%s>", rc->v[i]);
		to = curl_slist_append(to, t);
	}
	curl_easy_setopt(c, CURLOPT_URL, owa.submission);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mf);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, strcmp(owa.starttls, "required") == 0 ? (long)CURLUSESSL_ALL :
			 strcmp(owa.starttls, "try") == 0 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	res = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(to);
	curl_easy_cleanup(c);
	if (res != CURLE_OK) {
		strbuf_addf(why, "%s (%ld)", *err ? err : curl_easy_strerror(res), code);
		return -1;
	}
	return 0;
}

int h_send(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct form fm;
	struct rcpts rc = { { 0 }, 0 };
	struct strbuf m = STRBUF_INIT, why = STRBUF_INIT, base = STRBUF_INIT, raw = STRBUF_INIT,
		      mid = STRBUF_INIT;
	const char *mode, *of, *om, *body;
	struct mime_msg *orig = NULL;
	char bnd[40], tok[32];
	const char *at;
	int natt = 0;

	if (req_auth(&r, q, s) < 0)
		return 0;
	if (req_form(&r, owa.upload_max, &fm) < 0)
		return 0;
	if (req_csrf(&r, &fm) < 0)
		goto out;
	mode = form_get(&fm, "mode");
	of = form_get(&fm, "of");
	om = form_get(&fm, "om");
	if (mode && of && om)
		orig = msg_load(&r, of, om, &raw, NULL);
	strbuf_addf(&m, "From: %s\r\n", r.mail);
	strbuf_addstr(&m, "To: ");
	if (rcpt_field("To", form_get(&fm, "to"), &rc, &m) < 0)
		goto bad_addr;
	strbuf_addstr(&m, "\r\n");
	{
		size_t mark = m.len, before = rc.n;

		strbuf_addstr(&m, "Cc: ");
		if (rcpt_field("Cc", form_get(&fm, "cc"), &rc, &m) < 0)
			goto bad_addr;
		if (rc.n == before)
			strbuf_setlen(&m, mark);
		else
			strbuf_addstr(&m, "\r\n");
	}
	if (rcpt_field("Bcc", form_get(&fm, "bcc"), &rc, NULL) < 0)
		goto bad_addr;
	if (rc.n == 0) {
		page_message(&r, 400, "No recipient", "Give at least one recipient.");
		goto out;
	}
	subject_hdr(form_get(&fm, "subject"), &m);
	date_hdr(&m);
	random_token(tok, sizeof(tok));
	at = strchr(r.mail, '@');
	strbuf_addf(&mid, "<%lld.%s@%s>", (long long)time(NULL), tok, at ? at + 1 : "localhost");
	strbuf_addf(&m, "Message-ID: %s\r\n", mid.buf);
	if (orig && mode && strcmp(mode, "forward") != 0) {
		const struct mime_header *h = mime_header_find(mime_root(orig), "Message-ID", 0);

		if (h && h->value_len < 998 && !strpbrk(h->value, "\r\n"))
			strbuf_addf(&m, "In-Reply-To: %s\r\nReferences: %s\r\n", h->value, h->value);
	}
	strbuf_addstr(&m, "MIME-Version: 1.0\r\nUser-Agent: postern owa-cas\r\n");
	random_token(bnd, sizeof(bnd));
	strbuf_addf(&m, "Content-Type: multipart/mixed; boundary=\"=_owa_%s\"\r\n\r\n"
		    "This is a MIME message.\r\n", bnd);
	body = form_get(&fm, "body");
	strbuf_addf(&m, "--=_owa_%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", bnd);
	qp_encode(body ? body : "", body ? strlen(body) : 0, &m);
	for (size_t i = 0; i < fm.n; i++) {
		const struct form_field *a = &fm.f[i];

		if (strcmp(a->name, "att") != 0 || a->filename == NULL || *a->filename == 0)
			continue;
		strbuf_addf(&m, "--=_owa_%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
			    "Content-Disposition: attachment", bnd,
			    type_ok(a->type) ? a->type : "application/octet-stream");
		filename_param(a->filename, &m);
		strbuf_addstr(&m, "\r\n\r\n");
		b64_lines(a->value, a->len, &m);
		natt++;
	}
	if (orig && mode && strcmp(mode, "forward") == 0) {
		strbuf_addf(&m, "--=_owa_%s\r\nContent-Type: message/rfc822\r\n"
			    "Content-Disposition: attachment; filename=\"forwarded.eml\"\r\n\r\n", bnd);
		strbuf_add(&m, raw.buf, raw.len);
		if (raw.len && raw.buf[raw.len - 1] != '\n')
			strbuf_addstr(&m, "\r\n");
	}
	strbuf_addf(&m, "--=_owa_%s--\r\n", bnd);
	if (submit(r.mail, &rc, &m, &why) < 0) {
		msg_error("cannot send: %s rcpts=%zu", why.buf, rc.n);
		page_message(&r, 502, "Not sent", why.buf);
		goto out;
	}
	msg_info("sent message-id=%s rcpts=%zu attachments=%d size=%zu", mid.buf, rc.n, natt, m.len);
	if (md_deliver(r.maildir, "Sent", m.buf, m.len, MDF_SEEN, &base) < 0)
		msg_error("cannot save to Sent: %m");
	if (orig)
		md_msg_flags(r.maildir, of, NULL, om, strcmp(mode, "forward") == 0 ? MDF_PASSED :
			     MDF_REPLIED, 0);
	http_resp_redirect(s, 303, "/mail?f=Sent");
	goto out;
bad_addr:
	page_message(&r, 400, "Bad address", "A recipient address is not valid.");
out:
	for (size_t i = 0; i < rc.n; i++)
		free(rc.v[i]);
	mime_free(orig);
	form_free(&fm);
	strbuf_release(&m);
	strbuf_release(&why);
	strbuf_release(&base);
	strbuf_release(&raw);
	strbuf_release(&mid);
	return 0;
}
