/* autodiscover-gen --serve: the Autodiscover POST (any letter case of
 * the path), Thunderbird's autoconfig GETs and the Apple profile, on the
 * HTTP layer with its publishing rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad.h"
#include "http/http.h"
#include "util/exitcodes.h"
#include "util/base64.h"
#include "util/mem.h"
#include "util/msg.h"

static void send_xml(struct http_response *res, struct strbuf *doc)
{
	http_resp_header(res, "Content-Type", "text/xml; charset=utf-8");
	http_resp_header(res, "Cache-Control", "no-store");
	http_resp_body(res, doc->buf ? doc->buf : "", doc->len);
}

/* HTTP Basic against the directory. Returns true when the request may
 * go on; else the 401 or 403 is in res. Credentials only count over
 * HTTPS (or from a trusted proxy that says so). */
static bool authenticated(struct ad *a, struct http_request *req, struct http_response *res)
{
	const char *h = http_header(req, "Authorization"), *colon;
	struct strbuf dec = STRBUF_INIT;
	enum dir_status st = DIR_NOTFOUND;
	char *user;

	if (strcmp(conf_str(a->sec, "authentication"), "basic") != 0)
		return true;
	if (!req->secure) {
		http_resp_error(res, 403, "credentials only over HTTPS");
		return false;
	}
	if (h && strncasecmp(h, "Basic ", 6) == 0 && a->dir &&
	    base64_decode(h + 6, strlen(h + 6), &dec) == 0 && dec.len &&
	    !memchr(dec.buf, 0, dec.len) && (colon = strchr(dec.buf, ':')) != NULL) {
		user = xstrndup(dec.buf, (size_t)(colon - dec.buf));
		st = dir_check_password(a->dir, user, colon + 1);
		msg_info("authentication user=%s result=%s", msg_q(user), msg_q(dir_status_str(st)));
		free(user);
	}
	mem_wipe(dec.buf, dec.len);
	strbuf_release(&dec);
	if (st == DIR_OK)
		return true;
	if (st == DIR_TEMPFAIL) {
		http_resp_error(res, 503, NULL);
		return false;
	}
	http_resp_error(res, 401, NULL);
	http_resp_header(res, "WWW-Authenticate", "Basic realm=\"autodiscover\", charset=\"UTF-8\"");
	return false;
}

static int h_autodiscover(struct http_request *req, struct http_response *res, void *user)
{
	struct ad *a = user;
	struct strbuf body = STRBUF_INIT, doc = STRBUF_INIT;
	struct autodiscover_request q;
	int code;

	if (strcmp(req->method, "POST") != 0) {
		const char *base = conf_str(a->sec, "https_redirect");

		if (!req->secure && base && base[0]) {
			char *loc = xasprintf("%s/autodiscover/autodiscover.xml", base);

			http_resp_redirect(res, 302, loc);
			free(loc);
			msg_info("redirect location=%s", msg_q(base));
			return 0;
		}
		ad_doc_error(&doc, AUTODISCOVER_E_INVALID, "Invalid Request", "POST the request");
		send_xml(res, &doc);
		strbuf_release(&doc);
		return 0;
	}
	if (!authenticated(a, req, res))
		return 0;
	http_body_set_max(req, AUTODISCOVER_XML_MAX);
	if (http_body_all(req, &body) < 0) {
		http_resp_error(res, http_body_status(req), NULL);
		strbuf_release(&body);
		return 0;
	}
	code = autodiscover_request_parse(body.buf ? body.buf : "", body.len, &q);
	if (code == 0)
		code = ad_answer(a, q.schema, q.email[0] ? q.email : q.legacy_dn, &doc);
	else
		ad_doc_error(&doc, code, code == AUTODISCOVER_E_SCHEMA ?
			     "The requested schema version is not supported." : "Invalid Request",
			     q.why);
	msg_info("autodiscover address=%s schema=%s result=%d%s%s",
		 msg_q(q.email[0] ? q.email : "-"),
		 q.schema == AUTODISCOVER_OUTLOOK ? "outlook" : q.schema == AUTODISCOVER_MOBILESYNC
		 ? "mobilesync" : "-", code, q.why[0] ? " why=" : "", q.why[0] ? msg_q(q.why) : "");
	send_xml(res, &doc);
	strbuf_release(&body);
	strbuf_release(&doc);
	return 0;
}

/* An address from the query, or a domain-only answer. */
static enum ad_user_status user_from_query(struct ad *a, struct http_request *req,
					   const char *param, struct ad_user *u)
{
	struct strbuf v = STRBUF_INIT;
	enum ad_user_status st;

	if (!http_query_param(req, param, &v) || v.len == 0) {
		/* Thunderbird also asks by domain alone: the Host minus autoconfig. */
		const char *h = req->host, *colon;

		if (strncasecmp(h, "autoconfig.", 11) == 0)
			h += 11;
		colon = strchr(h, ':');
		strbuf_addf(&v, "user@%.*s", colon ? (int)(colon - h) : (int)strlen(h), h);
	}
	st = ad_user_lookup(a, v.buf, u);
	strbuf_release(&v);
	return st;
}

static int lookup_failed(struct http_response *res, enum ad_user_status st)
{
	switch (st) {
	case AD_USER_BAD:
		http_resp_error(res, 400, "bad address");
		return 1;
	case AD_USER_TEMPFAIL:
		http_resp_error(res, 503, NULL);
		http_resp_header(res, "Retry-After", "60");
		return 1;
	case AD_USER_UNKNOWN:
	case AD_DOMAIN_UNKNOWN:
	case AD_USER_REDIRECT:
		http_resp_error(res, 404, NULL);
		return 1;
	default:
		return 0;
	}
}

static int h_autoconfig(struct http_request *req, struct http_response *res, void *user)
{
	struct ad *a = user;
	struct ad_user u;
	struct strbuf doc = STRBUF_INIT;
	enum ad_user_status st = user_from_query(a, req, "emailaddress", &u);

	if (lookup_failed(res, st))
		return 0;
	ad_doc_autoconfig(&doc, &u);
	send_xml(res, &doc);
	strbuf_release(&doc);
	return 0;
}

static int h_mobileconfig(struct http_request *req, struct http_response *res, void *user)
{
	struct ad *a = user;
	struct ad_user u;
	struct strbuf doc = STRBUF_INIT, signed_doc = STRBUF_INIT;
	const char *key, *cert = ad_sign_cert(a, &key);
	enum ad_user_status st = user_from_query(a, req, "email", &u);

	if (lookup_failed(res, st))
		return 0;
	ad_doc_mobileconfig(&doc, &u);
	http_resp_header(res, "Content-Type", "application/x-apple-aspen-config");
	http_resp_header(res, "Content-Disposition", "attachment; filename=\"profile.mobileconfig\"");
	http_resp_header(res, "Cache-Control", "no-store");
	if (cert && ad_sign(&doc, cert, key, &signed_doc) < 0) {
		http_resp_error(res, 500, NULL);
	} else if (cert) {
		http_resp_body(res, signed_doc.buf, signed_doc.len);
	} else {
		http_resp_body(res, doc.buf, doc.len);
	}
	strbuf_release(&doc);
	strbuf_release(&signed_doc);
	return 0;
}

struct ad_server {
	struct ad *a;
	struct http_server *srv;
	struct conf *own;	/* a config loaded by a reload, or NULL */
};

/* SIGHUP: the config file again (domains, rules, limits) and the
 * directory; anything wrong keeps the old state whole. */
static int reload(void *ctx)
{
	struct ad_server *x = ctx;
	struct conf *c = prog_reload(x->a->st);
	const json_t *sec;
	struct dir *d = NULL;

	if (c == NULL)
		return -1;
	sec = conf_section(c, "autodiscover-gen");
	if (conf_bool(sec, "directory") && (d = dir_open(conf_section(c, "directory"))) == NULL) {
		conf_free(c);
		return -1;
	}
	if (http_server_reload(x->srv, sec) < 0) {
		dir_close(d);
		conf_free(c);
		return -1;
	}
	dir_close(x->a->dir);
	x->a->dir = d;
	x->a->sec = sec;
	x->a->unknown_error = strcmp(conf_str(sec, "unknown_users"), "error") == 0;
	conf_free(x->own);
	x->own = c;
	msg_info("reloaded config=%s", msg_q(conf_path(c)));
	return 0;
}

int ad_check_server(struct ad *a)
{
	struct http_server *srv = http_server_new(a->sec, "autodiscover-gen");

	http_server_free(srv);
	return srv ? 0 : EX_CONFIG;
}

int ad_serve(struct ad *a, enum serve_mode mode)
{
	struct http_server *srv = http_server_new(a->sec, "autodiscover-gen");
	struct ad_server x = { a, srv, NULL };
	int rc;

	if (srv == NULL)
		return EX_CONFIG;
	http_route(srv, "*", "/autodiscover/autodiscover.xml", HTTP_ROUTE_NOCASE | HTTP_ROUTE_EXACT,
		   h_autodiscover, a);
	http_route(srv, "GET", "/mail/config-v1.1.xml", HTTP_ROUTE_EXACT, h_autoconfig, a);
	http_route(srv, "GET", "/.well-known/autoconfig/mail/config-v1.1.xml", HTTP_ROUTE_EXACT,
		   h_autoconfig, a);
	http_route(srv, "GET", "/mobileconfig", HTTP_ROUTE_EXACT, h_mobileconfig, a);
	http_server_on_reload(srv, reload, &x);
	prog_daemon_logging(a->st);
	rc = http_server_run(srv, mode);
	http_server_free(srv);
	ad_clear(a);	/* the directory may come from x.own */
	conf_free(x.own);
	return rc;
}
