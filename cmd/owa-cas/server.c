/* The owa-cas server: configuration, routes, the session check in front
 * of every page, sign-in with throttling, logout, the link redirector and
 * the static assets. Each connection is its own process (lib/http), so a
 * request's state is plain globals and the struct req it builds. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dir/dir.h"
#include "html/url.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "form.h"
#include "owa-cas.h"

#define COOKIE "owa"

struct owa owa;

static long long now_s(void)
{
	return (long long)time(NULL);
}

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0700);
			*s = '/';
		}
	mkdir(p, 0700);
	free(p);
}

const char *req_param(struct req *r, const char *name, struct strbuf *out)
{
	if (!http_query_param(r->req, name, out))
		strbuf_reset(out);
	if (out->buf == NULL)
		strbuf_addstr(out, "");
	return out->buf;
}

/* The session fields: "uid\tmail\tmaildir" in the sealed user field. */
static int user_split(struct req *r)
{
	char *a = r->s.user, *t1 = strchr(a, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

	if (t2 == NULL)
		return -1;
	snprintf(r->uid, sizeof(r->uid), "%.*s", (int)(t1 - a), a);
	snprintf(r->mail, sizeof(r->mail), "%.*s", (int)(t2 - t1 - 1), t1 + 1);
	snprintf(r->maildir, sizeof(r->maildir), "%s", t2 + 1);
	return 0;
}

static void cookie_set(struct http_response *res, const char *value, long long max_age)
{
	struct http_cookie c = {
		.name = COOKIE, .value = value, .path = "/", .max_age = max_age,
		.secure = owa.cookie_secure, .http_only = true, .samesite = HTTP_SAMESITE_STRICT,
	};

	http_resp_cookie(res, &c);
}

int req_auth(struct req *r, struct http_request *q, struct http_response *s)
{
	struct strbuf ck = STRBUF_INIT;
	enum sess_status st = SESS_BAD;

	memset(r, 0, sizeof(*r));
	r->req = q;
	r->res = s;
	if (http_cookie_get(q, COOKIE, &ck) && ck.buf)
		st = sess_open(&owa.sc, ck.buf, now_s(), &r->s);
	if (st == SESS_OK && user_split(r) < 0)
		st = SESS_BAD;
	if (st != SESS_OK) {
		if (ck.len)
			msg_info("session refused reason=%s client=%s",
				 st == SESS_EXPIRED ? "expired" : st == SESS_REVOKED ? "revoked" : "bad",
				 q->client_ip);
		strbuf_release(&ck);
		if (strcmp(q->method, "POST") == 0) {
			page_message(r, 403, "Session ended",
				     "Your session has ended. Sign in again.");
			return -1;
		}
		http_resp_redirect(s, 303, st == SESS_EXPIRED ? "/login?why=expired" : "/login");
		return -1;
	}
	/* Activity re-issues the cookie with the current key. */
	strbuf_reset(&ck);
	sess_seal(&owa.sc, &r->s, now_s(), &ck);
	cookie_set(s, ck.buf, -1);
	strbuf_release(&ck);
	sess_csrf(&owa.sc, &r->s, r->csrf);
	msg_context("user", r->uid);
	return 0;
}

int req_csrf(struct req *r, const struct form *f)
{
	if (sess_csrf_ok(&owa.sc, &r->s, form_get(f, "csrf")))
		return 0;
	msg_warn("refused: CSRF token missing or wrong client=%s", r->req->client_ip);
	page_message(r, 403, "Refused", "The form was not sent from this session.");
	return -1;
}

int req_form(struct req *r, size_t max, struct form *f)
{
	struct strbuf body = STRBUF_INIT;
	const char *why = NULL;

	memset(f, 0, sizeof(*f));
	http_body_set_max(r->req, (long long)max);
	if (http_body_all(r->req, &body) < 0) {
		int st = http_body_status(r->req);

		page_message(r, st ? st : 400, "Refused", http_body_error(r->req));
		strbuf_release(&body);
		return -1;
	}
	if (form_parse(http_header(r->req, "Content-Type"), body.buf ? body.buf : "", body.len,
		       f, &why) < 0) {
		msg_warn("bad form: %s client=%s", why, r->req->client_ip);
		page_message(r, 400, "Bad request", why);
		strbuf_release(&body);
		return -1;
	}
	strbuf_release(&body);
	return 0;
}

void owa_index_path(const struct req *r, const char *folder, struct strbuf *out)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char hex[17];

	/* One directory per mailbox path, named by its hash. */
	SHA256((const unsigned char *)r->maildir, strlen(r->maildir), h);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	strbuf_addf(out, "%s/index/%s", owa.state_dir, hex);
	mkdirs(out->buf);
	strbuf_addf(out, "/%s.idx", *folder ? folder : "INBOX");
}

/* Redirector links: /redir/SIG/BASE64URL(url), in the path so the
 * query limits of the publishing rules do not cut long links, and
 * signed so the redirector is no open redirect for others' pages. */
static void link_sig(const char *b64, size_t len, char sig[23])
{
	unsigned char mac[32];
	unsigned int ml = sizeof(mac);
	struct strbuf s = STRBUF_INIT;

	HMAC(EVP_sha256(), owa.link_key, sizeof(owa.link_key), (const unsigned char *)b64, len,
	     mac, &ml);
	b64url_encode(mac, 16, &s);
	snprintf(sig, 23, "%s", s.buf);
	strbuf_release(&s);
}

int owa_link(const char *url, size_t len, struct strbuf *out, void *ctx)
{
	struct strbuf b = STRBUF_INIT;
	char sig[23];

	if (len > 700)
		return -1;
	b64url_encode(url, len, &b);
	link_sig(b.buf, b.len, sig);
	strbuf_addf(out, "/redir/%s/%s", sig, b.buf);
	strbuf_release(&b);
	return 0;
}

static int h_redir(struct http_request *q, struct http_response *s, void *u)
{
	const char *p = q->path + strlen("/redir/"), *slash = strchr(p, '/');
	struct strbuf url = STRBUF_INIT, page = STRBUF_INIT;
	char sig[23];
	size_t b, l;

	if (slash == NULL || slash - p != 22) {
		http_resp_error(s, 404, NULL);
		return 0;
	}
	link_sig(slash + 1, strlen(slash + 1), sig);
	if (CRYPTO_memcmp(sig, p, 22) != 0 ||
	    b64url_decode(slash + 1, strlen(slash + 1), &url) < 0 || url.len == 0 ||
	    url_classify(url.buf, url.len, &b, &l) != URL_HTTP || b != 0 || l != url.len) {
		msg_warn("refused: bad redirector link client=%s", q->client_ip);
		http_resp_error(s, 404, NULL);
		strbuf_release(&url);
		return 0;
	}
	/* The referrer policy of this response covers the next request. */
	http_resp_set_header(s, "Referrer-Policy", "no-referrer");
	http_resp_set_header(s, "Cache-Control", "no-store");
	http_resp_header(s, "Content-Type", "text/html; charset=utf-8");
	http_resp_redirect(s, 303, url.buf);
	strbuf_addstr(&page, "<!DOCTYPE html><meta name=\"referrer\" content=\"no-referrer\">"
		      "<title>Leaving web mail</title><p>Continue to <a rel=\"noreferrer\" href=\"");
	html_escape_attr(&page, url.buf, url.len);
	strbuf_addstr(&page, "\">");
	html_escape_text(&page, url.buf, url.len);
	strbuf_addstr(&page, "</a></p>");
	http_resp_body(s, page.buf, page.len);
	strbuf_release(&page);
	strbuf_release(&url);
	return 0;
}

/* Inline images: /inline/SIG/BASE64URL("expiry\tmaildir\tfolder\tid\tcid"),
 * valid for an hour. The sandboxed frame's requests carry no cookie
 * (its origin is opaque, so SameSite=Strict holds it back): the link
 * itself is the permission, for that one part of that one message. */
#define INLINE_TTL 3600

static void inline_sig(const char *b64, size_t len, char sig[23])
{
	struct strbuf m = STRBUF_INIT;

	strbuf_addstr(&m, "inline:");
	strbuf_add(&m, b64, len);
	link_sig(m.buf, m.len, sig);
	strbuf_release(&m);
}

int owa_inline_link(const char *cid, size_t len, struct strbuf *out, void *ctx)
{
	const struct inline_ref *ref = ctx;
	struct strbuf pl = STRBUF_INIT, b = STRBUF_INIT, dec = STRBUF_INIT;
	char sig[23];
	int rc = -1;

	/* RFC 2392: the cid URL is the Content-ID percent-encoded. */
	if (url_decode(&dec, cid, len) == 0 && dec.len && !memchr(dec.buf, '\t', dec.len) &&
	    !memchr(dec.buf, 0, dec.len)) {
		strbuf_addf(&pl, "%lld\t%s\t%s\t%s\t", now_s() + INLINE_TTL, ref->r->maildir,
			    ref->folder, ref->id);
		strbuf_add(&pl, dec.buf, dec.len);
		b64url_encode(pl.buf, pl.len, &b);
		if (b.len < 900) {
			inline_sig(b.buf, b.len, sig);
			strbuf_addf(out, "/inline/%s/%s", sig, b.buf);
			rc = 0;
		}
	}
	strbuf_release(&pl);
	strbuf_release(&b);
	strbuf_release(&dec);
	return rc;
}

static int h_inline(struct http_request *q, struct http_response *s, void *u)
{
	const char *p = q->path + strlen("/inline/"), *slash = strchr(p, '/');
	struct strbuf pl = STRBUF_INIT, raw = STRBUF_INIT, data = STRBUF_INIT;
	struct req r;
	char sig[23], *f[5], *t;
	struct mime_msg *m = NULL;
	const struct mime_part *part = NULL;
	int n = 0;

	memset(&r, 0, sizeof(r));
	r.req = q;
	r.res = s;
	if (slash == NULL || slash - p != 22)
		goto refuse;
	inline_sig(slash + 1, strlen(slash + 1), sig);
	if (CRYPTO_memcmp(sig, p, 22) != 0 || b64url_decode(slash + 1, strlen(slash + 1), &pl) < 0)
		goto refuse;
	for (t = pl.buf; n < 5; n++) {
		f[n] = t;
		if (n < 4 && (t = strchr(t, '\t')) == NULL)
			goto refuse;
		if (n < 4)
			*t++ = 0;
	}
	if (atoll(f[0]) < now_s() || strlen(f[1]) >= sizeof(r.maildir))
		goto refuse;
	snprintf(r.maildir, sizeof(r.maildir), "%s", f[1]);
	if ((m = msg_load(&r, f[2], f[3], &raw, NULL)) == NULL)
		goto refuse;
	for (unsigned i = 0; i < mime_part_count(m) && !part; i++) {
		const struct mime_part *c = mime_part_at(m, i);
		const struct mime_header *h = mime_header_find(c, "Content-ID", 0);
		const char *v = h ? h->value : NULL;
		size_t len = h ? h->value_len : 0;

		if (v && len >= 2 && v[0] == '<' && v[len - 1] == '>')
			v++, len -= 2;
		if (v && len == strlen(f[4]) && memcmp(v, f[4], len) == 0 && !c->child &&
		    strcmp(c->type, "image") == 0 &&
		    (strcmp(c->subtype, "png") == 0 || strcmp(c->subtype, "gif") == 0 ||
		     strcmp(c->subtype, "jpeg") == 0 || strcmp(c->subtype, "webp") == 0))
			part = c;
	}
	if (part == NULL)
		goto refuse;
	mime_part_decode(m, part, &data);
	strbuf_reset(&pl);
	strbuf_addf(&pl, "image/%s", part->subtype);
	http_resp_header(s, "Content-Type", pl.buf);
	http_resp_set_header(s, "X-Content-Type-Options", "nosniff");
	http_resp_set_header(s, "Content-Security-Policy", "default-src 'none'; sandbox");
	http_resp_set_header(s, "Cache-Control", "private, max-age=3600");
	http_resp_body(s, data.buf ? data.buf : "", data.len);
	goto out;
refuse:
	http_resp_error(s, 404, NULL);
out:
	mime_free(m);
	strbuf_release(&pl);
	strbuf_release(&raw);
	strbuf_release(&data);
	return 0;
}

/* Throttling of failed sign-ins, in files shared by every process of
 * this host: state_dir/throttle/KIND-HASH holding "count start". */
static void throttle_path(const char *kind, const char *key, struct strbuf *out)
{
	unsigned char h[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)key, strlen(key), h);
	strbuf_addf(out, "%s/throttle/%s-", owa.state_dir, kind);
	for (int i = 0; i < 12; i++)
		strbuf_addf(out, "%02x", h[i]);
}

/* Returns the failures counted in the window; with add, counts one more
 * (clear: forgets them). */
static int throttle(const char *kind, const char *key, int add, int clear)
{
	struct strbuf p = STRBUF_INIT;
	char buf[64] = "";
	long long count = 0, start = 0, now = now_s();
	int fd;

	throttle_path(kind, key, &p);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	strbuf_release(&p);
	if (fd < 0)
		return 0;
	flock(fd, LOCK_EX);
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		sscanf(buf, "%lld %lld", &count, &start);
	if (now - start >= owa.window)
		count = 0, start = now;
	if (clear)
		count = 0;
	if (add)
		count++;
	if (add || clear) {
		int n = snprintf(buf, sizeof(buf), "%lld %lld\n", count, start);

		if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) < 0)
			msg_warn("cannot write throttle state: %m");
	}
	close(fd);
	return (int)count;
}

static void login_page(struct http_response *s, int status, const char *note, const char *user)
{
	struct strbuf b = STRBUF_INIT;

	http_resp_status(s, status);
	http_resp_header(s, "Content-Type", "text/html; charset=utf-8");
	http_resp_set_header(s, "Cache-Control", "no-store");
	http_resp_set_header(s, "Content-Security-Policy",
			     "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
			     "frame-ancestors 'none'; base-uri 'none'");
	strbuf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		      "<title>Sign in - postern web mail</title>"
		      "<link rel=\"stylesheet\" href=\"/static/owa.css\"></head>"
		      "<body class=\"login\"><main class=\"login-box\">"
		      "<h1>postern <span>web mail</span></h1>");
	if (note) {
		strbuf_addstr(&b, "<p class=\"note\" role=\"alert\">");
		html_escape_text(&b, note, strlen(note));
		strbuf_addstr(&b, "</p>");
	}
	strbuf_addstr(&b, "<form method=\"post\" action=\"/login\">"
		      "<label>User name or e-mail address<input name=\"user\" autocomplete=\"username\" "
		      "autofocus required value=\"");
	html_escape_attr(&b, user ? user : "", user ? strlen(user) : 0);
	strbuf_addstr(&b, "\"></label><label>Password<input name=\"password\" type=\"password\" "
		      "autocomplete=\"current-password\" required></label>"
		      "<fieldset><legend>Security</legend>"
		      "<label class=\"radio\"><input type=\"radio\" name=\"trust\" value=\"public\" checked>"
		      " This is a public or shared computer</label>"
		      "<label class=\"radio\"><input type=\"radio\" name=\"trust\" value=\"private\">"
		      " This is a private computer</label></fieldset>"
		      "<button type=\"submit\">Sign in</button></form>"
		      "<p class=\"small\">On a public computer the session ends after a short time "
		      "without activity and attachments open only as web pages or downloads.</p>"
		      "</main></body></html>\n");
	http_resp_body(s, b.buf, b.len);
	strbuf_release(&b);
}

static int h_login_get(struct http_request *q, struct http_response *s, void *u)
{
	struct strbuf why = STRBUF_INIT;
	const char *note = NULL;

	if (http_query_param(q, "why", &why) && why.buf) {
		if (strcmp(why.buf, "expired") == 0)
			note = "Your session ended after a time without activity. Sign in again.";
		else if (strcmp(why.buf, "out") == 0)
			note = "You have signed out.";
	}
	login_page(s, 200, note, NULL);
	strbuf_release(&why);
	return 0;
}

/* The mailbox of a directory entry: posternMailboxPath, else the
 * template with %u (uid) and %d (domain). */
static void mailbox_of(const struct dir_entry *e, const char *uid, const char *mail,
		       struct strbuf *out)
{
	const char *p = dir_entry_str(e, "posternMailboxPath"), *at = strchr(mail, '@');

	if (p && *p) {
		strbuf_addstr(out, p);
		return;
	}
	for (const char *t = owa.maildir_tpl; *t; t++) {
		if (t[0] == '%' && t[1] == 'u')
			strbuf_addstr(out, uid), t++;
		else if (t[0] == '%' && t[1] == 'd')
			strbuf_addstr(out, at ? at + 1 : ""), t++;
		else
			strbuf_addch(out, *t);
	}
}

static int user_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > 100)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == '\t' || u[i] == 0x7f || u[i] == '/')
			return 0;
	return 1;
}

static int h_login_post(struct http_request *q, struct http_response *s, void *u)
{
	struct req r = { .req = q, .res = s };
	struct form f;
	const char *user, *pw, *trust;
	struct dir_entry *e = NULL;
	enum dir_status ds;
	struct session ses;
	struct strbuf field = STRBUF_INIT, ck = STRBUF_INIT, mbox = STRBUF_INIT;

	if (req_form(&r, 16384, &f) < 0)
		return 0;
	user = form_get(&f, "user");
	pw = form_get(&f, "password");
	trust = form_get(&f, "trust");
	if (user == NULL || pw == NULL || !user_ok(user) || strlen(pw) > 512) {
		login_page(s, 400, "Enter your user name and password.", NULL);
		goto out;
	}
	if (throttle("user", user, 0, 0) >= owa.user_failures ||
	    throttle("addr", q->client_ip, 0, 0) >= owa.addr_failures) {
		msg_warn("sign-in throttled user=%s client=%s", msg_q(user), q->client_ip);
		login_page(s, 429, "Too many failed sign-ins. Wait a few minutes before you "
			   "try again.", user);
		goto out;
	}
	ds = dir_check_password(owa.dir, user, pw);
	if (ds == DIR_OK)
		ds = strchr(user, '@') ? dir_lookup_mail(owa.dir, user, &e) :
					dir_lookup_uid(owa.dir, user, &e);
	if (ds == DIR_TEMPFAIL) {
		msg_error("sign-in: directory unavailable: %s user=%s", dir_error(owa.dir), msg_q(user));
		login_page(s, 503, "The directory cannot be reached just now. Try again later.", user);
		goto out;
	}
	if (ds != DIR_OK) {
		throttle("user", user, 1, 0);
		throttle("addr", q->client_ip, 1, 0);
		msg_warn("sign-in failed user=%s client=%s", msg_q(user), q->client_ip);
		login_page(s, 401, "The user name or password is incorrect.", user);
		goto out;
	}
	throttle("user", user, 0, 1);
	{
		const char *uid = dir_entry_str(e, "uid"), *mail = dir_entry_str(e, "mail");

		uid = uid ? uid : user;
		mail = mail ? mail : user;
		mailbox_of(e, uid, mail, &mbox);
		strbuf_addf(&field, "%s\t%s\t%s", uid, mail, mbox.buf);
	}
	if (field.len >= SESS_USER_MAX || strlen(mbox.buf) >= OWA_FIELD_MAX) {
		login_page(s, 500, "This account cannot use web mail.", user);
		goto out;
	}
	sess_start(&ses, field.buf, trust && strcmp(trust, "private") == 0 ? SESS_PRIVATE : SESS_PUBLIC,
		   now_s());
	sess_seal(&owa.sc, &ses, now_s(), &ck);
	cookie_set(s, ck.buf, -1);
	msg_info("signed in user=%s type=%s client=%s", msg_q(user),
		 ses.type == SESS_PRIVATE ? "private" : "public", q->client_ip);
	http_resp_redirect(s, 303, "/mail");
out:
	dir_entry_free(e);
	form_free(&f);
	strbuf_release(&field);
	strbuf_release(&ck);
	strbuf_release(&mbox);
	return 0;
}

static int h_logout(struct http_request *q, struct http_response *s, void *u)
{
	struct req r;
	struct form f;

	if (req_auth(&r, q, s) < 0)
		return 0;
	if (req_form(&r, 4096, &f) < 0)
		return 0;
	if (req_csrf(&r, &f) == 0) {
		if (sess_revoke(&owa.sc, &r.s, now_s()) < 0)
			msg_error("cannot record the logout: %m");
		/* Replace the cookie set by req_auth with its deletion. */
		http_resp_set_header(s, "Set-Cookie", NULL);
		cookie_set(s, "x", 0);
		msg_info("signed out client=%s", q->client_ip);
		http_resp_redirect(s, 303, "/login?why=out");
	}
	form_free(&f);
	return 0;
}

static int h_root(struct http_request *q, struct http_response *s, void *u)
{
	http_resp_redirect(s, 303, "/mail");
	return 0;
}

static int h_static(struct http_request *q, struct http_response *s, void *u)
{
	const char *body = u;

	http_resp_header(s, "Content-Type", body == owa_css ? "text/css; charset=utf-8" :
			 "text/javascript; charset=utf-8");
	http_resp_set_header(s, "Cache-Control", "public, max-age=3600");
	http_resp_puts(s, body);
	return 0;
}

static int h_favicon(struct http_request *q, struct http_response *s, void *u)
{
	http_resp_status(s, 204);
	http_resp_set_header(s, "Cache-Control", "public, max-age=86400");
	return 0;
}

/* Whether the directory path can be used: writable if it exists, else
 * its nearest existing parent writable (it would be made there). */
static bool dir_usable(const char *path)
{
	char *p = xstrdup(path), *slash;
	bool ok;

	while (access(p, F_OK) < 0 && (slash = strrchr(p, '/')) != NULL && slash != p)
		*slash = '\0';
	ok = access(p, W_OK) == 0;
	free(p);
	return ok;
}

/* The session secret, the state directories (made unless check), the
 * directory. 0 or an exit code, after logging why. */
static int settle(const struct prog_state *st, bool check)
{
	const json_t *sec = conf_section(st->conf, "owa-cas");
	const char *why;
	struct strbuf p = STRBUF_INIT;

	owa.sec = sec;
	owa.config_path = st->config_path ? st->config_path : conf_path(st->conf);
	if (sess_secret_load(&owa.sc, conf_str(sec, "secret_file"), &why) < 0) {
		msg_error("cannot use the session secret '%s': %s", conf_str(sec, "secret_file"), why);
		return EX_CONFIG;
	}
	owa.sc.timeout[SESS_PUBLIC] = conf_int(sec, "public_timeout") / 1000;
	owa.sc.timeout[SESS_PRIVATE] = conf_int(sec, "private_timeout") / 1000;
	owa.sc.max_age = conf_int(sec, "session_max") / 1000;
	owa.state_dir = conf_str(sec, "state_dir");
	owa.maildir_tpl = conf_str(sec, "maildir");
	owa.submission = conf_str(sec, "submission");
	owa.starttls = conf_str(sec, "submission_starttls");
	owa.cookie_secure = conf_bool(sec, "cookie_secure");
	owa.allow_remote = conf_bool(sec, "allow_remote_content");
	owa.page_size = (int)conf_int(sec, "page_size");
	owa.html_max = (size_t)conf_int(sec, "html_max");
	owa.upload_max = (size_t)conf_int(sec, "upload_max");
	owa.webready_max = (size_t)conf_int(sec, "webready_max");
	owa.webready_cpu_ms = conf_int(sec, "webready_timeout");
	owa.webready_mem = conf_int(sec, "webready_memory");
	owa.user_failures = (int)conf_int(sec, "login_user_failures");
	owa.addr_failures = (int)conf_int(sec, "login_address_failures");
	owa.window = conf_int(sec, "login_window") / 1000;
	sess_derive(&owa.sc, "links", owa.link_key);
	for (int i = 0; i < 3; i++) {
		static const char *const subs[] = { "revoked", "throttle", "index" };

		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", owa.state_dir, subs[i]);
		if (!check)
			mkdirs(p.buf);
		if (check ? !dir_usable(p.buf) : access(p.buf, W_OK) < 0) {
			msg_error("cannot write to '%s': %m", p.buf);
			strbuf_release(&p);
			return EX_CANTCREAT;
		}
	}
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/revoked", owa.state_dir);
	owa.sc.revoked_dir = strbuf_detach(&p, NULL);
	owa.dir = dir_open(conf_section(st->conf, "directory"));
	if (owa.dir == NULL)
		return EX_CONFIG;
	return 0;
}

int owa_check(struct prog_state *st)
{
	struct http_server *srv;
	int rc = settle(st, true);

	if (rc == 0 && (srv = http_server_new(owa.sec, "owa-cas")) == NULL)
		rc = EX_CONFIG;
	else if (rc == 0)
		http_server_free(srv);
	dir_close(owa.dir);
	owa.dir = NULL;
	return rc == EX_CANTCREAT ? EX_CONFIG : rc;
}

int owa_serve(const struct prog_state *st, enum serve_mode mode)
{
	struct http_server *srv;
	int rc = settle(st, false);

	if (rc)
		return rc;
	srv = http_server_new(owa.sec, "owa-cas");
	if (srv == NULL)
		return EX_CONFIG;
	http_route(srv, "GET", "/", HTTP_ROUTE_EXACT, h_root, NULL);
	http_route(srv, "GET", "/login", HTTP_ROUTE_EXACT, h_login_get, NULL);
	http_route(srv, "POST", "/login", HTTP_ROUTE_EXACT, h_login_post, NULL);
	http_route(srv, "POST", "/logout", HTTP_ROUTE_EXACT, h_logout, NULL);
	http_route(srv, "GET", "/mail", HTTP_ROUTE_EXACT, h_mail, NULL);
	http_route(srv, "GET", "/read", HTTP_ROUTE_EXACT, h_read, NULL);
	http_route(srv, "GET", "/body", HTTP_ROUTE_EXACT, h_body, NULL);
	http_route(srv, "GET", "/part", HTTP_ROUTE_EXACT, h_part, NULL);
	http_route(srv, "GET", "/webready", HTTP_ROUTE_EXACT, h_webready, NULL);
	http_route(srv, "GET", "/doc", HTTP_ROUTE_EXACT, h_doc, NULL);
	http_route(srv, "POST", "/act", HTTP_ROUTE_EXACT, h_act, NULL);
	http_route(srv, "GET", "/compose", HTTP_ROUTE_EXACT, h_compose, NULL);
	http_route(srv, "POST", "/send", HTTP_ROUTE_EXACT, h_send, NULL);
	http_route(srv, "GET", "/options", HTTP_ROUTE_EXACT, h_options, NULL);
	http_route(srv, "POST", "/options", HTTP_ROUTE_EXACT, h_options, NULL);
	http_route(srv, "GET", "/redir/", 0, h_redir, NULL);
	http_route(srv, "GET", "/inline/", 0, h_inline, NULL);
	http_route(srv, "GET", "/static/owa.css", HTTP_ROUTE_EXACT, h_static, (void *)owa_css);
	http_route(srv, "GET", "/favicon.ico", HTTP_ROUTE_EXACT, h_favicon, NULL);
	http_route(srv, "GET", "/static/owa.js", HTTP_ROUTE_EXACT, h_static, (void *)owa_js);
	if (mode != SERVE_INETD)
		prog_daemon_logging(st);
	rc = http_server_run(srv, mode);
	http_server_free(srv);
	dir_close(owa.dir);
	return rc;
}
