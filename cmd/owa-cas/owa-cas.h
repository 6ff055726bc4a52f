/* owa-cas: web mail on the user's Maildir (SPEC section 8). The pieces:
 * main.c (options, config), render.c (a message to the reading pane's
 * HTML), session.c (sealed cookies), and the server (server.c, pages.c,
 * maildir.c, compose.c, attach.c, webready.c) when lib/http is there. */
#ifndef OWA_CAS_H
#define OWA_CAS_H

#include <jansson.h>
#include <stdbool.h>

#include "conf/prog.h"
#include "html/sanitize.h"
#include "http/http.h"
#include "mail/mime.h"
#include "net/serve.h"
#include "util/strbuf.h"

/* The HTTP server's keys spliced into the owa-cas section. */
#define OWA_HTTP_KEYS { "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },

/* Serves web mail in the mode given; returns the exit code. */
int owa_serve(const struct prog_state *st, enum serve_mode mode);
/* -n: what owa_serve checks before it serves (secret, state directories,
 * directory, TLS certificate, publishing rules), creating nothing. */
int owa_check(struct prog_state *st);

/* What the reading pane needs to know about one message body. */
struct render {
	struct strbuf body;	/* the sanitised fragment */
	unsigned blocked;	/* remote resources left out */
	bool html;		/* from a text/html part */
	bool refused;		/* too big or complex: shown as text */
};

/* How URLs in the reading pane are rewritten. */
struct render_opts {
	bool allow_remote;	/* "show content" (and the admin allows it) */
	const char *link_prefix;	/* "/redir?u=", or NULL: links as they are */
	/* Rewrites links instead of link_prefix (the server signs them). */
	html_rewrite_fn link;
	void *link_ctx;
	const char *cid_prefix;	/* "/part?m=ID&cid=", or NULL: dropped */
	/* Rewrites cid: URLs instead of cid_prefix (given the part after
	 * "cid:"); the server makes signed /inline/ links. */
	html_rewrite_fn cid;
	void *cid_ctx;
	size_t html_max;	/* bytes of HTML sanitised */
};

/* The body of m: the text/html part of the first multipart/alternative
 * (or the lone text part), sanitised; plain text escaped and linkified. */
void render_message(const struct mime_msg *m, const struct render_opts *o, struct render *r);
/* Bare HTML (owa-cas sanitize --html). */
void render_html(const char *s, size_t len, const struct render_opts *o, struct render *r);
void render_free(struct render *r);
/* The frame document around a rendered body. */
void render_frame(const struct render *r, struct strbuf *out);
/* The Content-Security-Policy of the frame document. */
void render_csp(const struct render_opts *o, struct strbuf *out);

#endif

/* The server's side (server.c and the page files). */
#include "session.h"

struct dir;

struct owa {
	const json_t *sec;
	struct dir *dir;
	struct sess_conf sc;
	const char *state_dir, *maildir_tpl, *submission, *starttls;
	bool cookie_secure, allow_remote;
	int page_size;
	size_t html_max, upload_max, webready_max;
	long long webready_cpu_ms, webready_mem;
	int user_failures, addr_failures;
	long long window;		/* seconds */
	unsigned char link_key[32];	/* signs redirector links */
	const char *config_path;	/* for the children that read it too */
};
extern struct owa owa;

#define OWA_FIELD_MAX 200

/* One request of a signed-in user. */
struct req {
	struct http_request *req;
	struct http_response *res;
	struct session s;
	char csrf[44];
	char uid[OWA_FIELD_MAX], mail[OWA_FIELD_MAX], maildir[OWA_FIELD_MAX];
};

/* server.c */
/* A query parameter into a static-length-limited strbuf; "" if absent. */
const char *req_param(struct req *r, const char *name, struct strbuf *out);
/* The cache file of a folder's index (appended to out). */
void owa_index_path(const struct req *r, const char *folder, struct strbuf *out);
/* The signed redirector link for url (appended). -1 if too long. */
int owa_link(const char *url, size_t len, struct strbuf *out, void *ctx);
/* The inline image link of a cid: URL of message id in folder: a
 * signed, expiring /inline/ path that needs no cookie (the sandboxed
 * frame sends none). ctx is a struct inline_ref. */
struct inline_ref {
	const struct req *r;
	const char *folder, *id;
};
int owa_inline_link(const char *cid, size_t len, struct strbuf *out, void *ctx);
/* Sends an HTML page: the shell around body. */
void page_send(struct req *r, const char *title, const char *folder, const struct strbuf *body);
/* A short message page with a status. */
void page_message(struct req *r, int status, const char *title, const char *text);

/* pages.c: the mailbox. */
int h_mail(struct http_request *q, struct http_response *s, void *u);
int h_read(struct http_request *q, struct http_response *s, void *u);
int h_body(struct http_request *q, struct http_response *s, void *u);
int h_act(struct http_request *q, struct http_response *s, void *u);
int h_options(struct http_request *q, struct http_response *s, void *u);
/* compose.c */
int h_compose(struct http_request *q, struct http_response *s, void *u);
int h_send(struct http_request *q, struct http_response *s, void *u);
/* attach.c */
int h_part(struct http_request *q, struct http_response *s, void *u);
int h_webready(struct http_request *q, struct http_response *s, void *u);
int h_doc(struct http_request *q, struct http_response *s, void *u);
/* assets.c */
extern const char owa_css[], owa_js[];

/* Opens the request's session; on failure answers (a redirect to the
 * sign-in page, or 403 for a state change) and returns -1. With
 * state_change, the form's csrf field must match (the form is given). */
struct form;
int req_auth(struct req *r, struct http_request *q, struct http_response *s);
int req_csrf(struct req *r, const struct form *f);
/* Reads and parses the request body as a form (at most max bytes). */
int req_form(struct req *r, size_t max, struct form *f);
/* Loads and parses a message of the user: the raw bytes in raw. A signed
 * message is checked by smime-sign: the message parsed is then the one it
 * returns (signature removed), and smime (if not NULL) gets its verdict
 * ("... smime=pass ..." or "smime=fail (reason=...)"). */
struct mime_msg *msg_load(struct req *r, const char *folder, const char *id, struct strbuf *raw,
			  struct strbuf *smime);

/* smime.c */
int smime_is_signed(const struct mime_msg *m);
/* Runs smime-sign verify on raw: the Authentication-Results value into
 * verdict, the message it printed into inner. 0, or -1 (no verdict). */
int smime_verify(const char *raw, size_t len, struct strbuf *verdict, struct strbuf *inner);
