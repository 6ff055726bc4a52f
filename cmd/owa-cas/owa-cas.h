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
#include "mail/mime.h"
#include "net/serve.h"
#include "util/strbuf.h"

/* The HTTP server's keys spliced into the owa-cas section. */
#define OWA_HTTP_KEYS

/* Serves web mail in the mode given; returns the exit code. */
int owa_serve(const struct prog_state *st, enum serve_mode mode);

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
	const char *link_prefix;	/* "/owa/redir?u=", or NULL: links as they are */
	const char *cid_prefix;	/* "/owa/part?m=ID&cid=", or NULL: dropped */
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
