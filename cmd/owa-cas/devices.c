/* The options page's mobile devices: the user's records in eas-policy's
 * device store, with a remote wipe and the recovery password on request. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/msg.h"
#include "wbxml/devstore.h"
#include "form.h"
#include "owa-cas.h"

struct list_ctx {
	struct strbuf *b;
	const struct req *r;
	const char *show_recovery;	/* device id whose password to show */
	int n;
};

static void esc(struct strbuf *b, const char *s)
{
	html_escape_text(b, s, strlen(s));
}

static void when(struct strbuf *b, time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0) {
		strbuf_addstr(b, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	strbuf_addstr(b, buf);
}

static int one(const struct devrec *d, void *ctx)
{
	struct list_ctx *c = ctx;
	struct strbuf *b = c->b;

	c->n++;
	strbuf_addstr(b, "<tr><td>");
	esc(b, *d->friendly ? d->friendly : *d->model ? d->model : d->type);
	strbuf_addstr(b, "<br><small>");
	esc(b, d->id);
	strbuf_addstr(b, "</small></td><td>");
	esc(b, d->os);
	strbuf_addstr(b, "</td><td>");
	when(b, d->last_seen);
	strbuf_addf(b, "</td><td>%s</td><td>", devstore_wipe_name(d->wipe));
	if (c->show_recovery && strcmp(c->show_recovery, d->id) == 0) {
		strbuf_addstr(b, "<code class=\"recovery\">");
		esc(b, *d->recovery ? d->recovery : "(none stored)");
		strbuf_addstr(b, "</code>");
	}
	strbuf_addf(b, "<form method=\"post\" action=\"/options\" class=\"inline\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><input type=\"hidden\" "
		    "name=\"dev_user\" value=\"", c->r->csrf);
	html_escape_attr(b, d->user, strlen(d->user));
	strbuf_addstr(b, "\"><input type=\"hidden\" name=\"dev_id\" value=\"");
	html_escape_attr(b, d->id, strlen(d->id));
	strbuf_addstr(b, "\"><button name=\"dev_op\" value=\"recovery\">Recovery password</button>"
		      "<button name=\"dev_op\" value=\"wipe\" class=\"danger\">Wipe</button>"
		      "</form></td></tr>");
	return 0;
}

static int wipe(struct devrec *d, bool created, void *ctx)
{
	const struct req *r = ctx;

	if (created)
		return 0;
	d->wipe = DEV_WIPE_PENDING;
	d->wipe_requested = time(NULL);
	snprintf(d->wipe_by, sizeof(d->wipe_by), "owa-cas:%s", r->uid);
	return 1;
}

void devices_section(struct req *r, struct strbuf *b, const struct form *fm);

void devices_section(struct req *r, struct strbuf *b, const struct form *fm)
{
	const char *dir = conf_str(owa.sec, "device_store");
	struct devstore *ds = devstore_open(dir);
	struct list_ctx c = { b, r, NULL, 0 };
	const char *users[2] = { r->uid, r->mail };

	strbuf_addstr(b, "<section><h2>Mobile devices</h2>");
	if (ds == NULL) {
		strbuf_addstr(b, "<p>The device list is not available.</p></section>");
		return;
	}
	if (fm) {
		const char *op = form_get(fm, "dev_op"), *id = form_get(fm, "dev_id"),
			   *user = form_get(fm, "dev_user");

		/* Only the signed-in user's own devices. */
		if (op && id && user && (strcasecmp(user, r->uid) == 0 || strcasecmp(user, r->mail) == 0)) {
			if (strcmp(op, "wipe") == 0 && devstore_update(ds, user, id, wipe, r) == 1) {
				msg_info("device wipe requested device=%s", msg_q(id));
				strbuf_addstr(b, "<p class=\"note\" role=\"status\">Wipe requested: the "
					      "device is erased at its next connection.</p>");
			} else if (strcmp(op, "recovery") == 0) {
				c.show_recovery = id;
			}
		}
	}
	strbuf_addstr(b, "<table class=\"devices\"><thead><tr><th>Device</th><th>System</th>"
		      "<th>Last seen</th><th>Wipe</th><th></th></tr></thead><tbody>");
	for (int i = 0; i < 2; i++)
		if (i == 0 || strcasecmp(users[0], users[1]) != 0)
			devstore_list(ds, users[i], one, &c);
	strbuf_addstr(b, "</tbody></table>");
	if (c.n == 0)
		strbuf_addstr(b, "<p class=\"empty\">No mobile devices.</p>");
	strbuf_addstr(b, "</section>");
	devstore_close(ds);
}
