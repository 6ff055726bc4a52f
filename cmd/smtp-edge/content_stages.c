/* The content layer's stages, in SPEC order (content_run calls them):
 * organisation fields in, blocked and safe senders, spam confidence,
 * attachments, the body as it goes on, anti-virus, transport rules,
 * organisation seal out. A stage that ends the transaction calls
 * run_end or run_quarantine; the others add header fields. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "content/clamd.h"
#include "content_int.h"
#include "dir/dir.h"
#include "mail/address.h"
#include "session.h"
#include "spam/feature.h"
#include "spam/safelist.h"
#include "util/mem.h"
#include "util/msg.h"

#define F_SCL "X-Postern-SCL"
#define F_SPAM "X-Postern-Spam"
#define F_EXCH "X-MS-Exchange-Organization-SCL"
#define F_CLASS "X-Postern-Classification"
#define RULES_TEXT_MAX (1024 * 1024)

/* Fields that carry internal trust: believed only from our own sites. */
static const char *const internal_fields[] = {
	F_SCL, F_SPAM, F_EXCH, SEAL_STAMP_FIELD, F_CLASS, SEAL_ORG_FIELD, NULL
};

static bool is_internal(const char *name)
{
	for (const char *const *f = internal_fields; *f; f++)
		if (strcasecmp(name, *f) == 0)
			return true;
	return false;
}

static const char *root_field(const char *name, void *ctx)
{
	const struct mime_header *h = mime_header_find(mime_root(ctx), name, 0);

	return h ? h->value : NULL;
}

static const char *root_field_nth(const char *name, unsigned nth, void *ctx)
{
	const struct mime_header *h = mime_header_find(mime_root(ctx), name, nth);

	return h ? h->value : NULL;
}

/* Whether name is in the ':'-separated list. */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, ":"), p += *p == ':') {
		if (strncasecmp(p, name, n) == 0 && (p[n] == ':' || p[n] == 0))
			return true;
	}
	return false;
}

static void verify_from_site(struct run *r, char **sealed)
{
	const struct mime_part *root = mime_root(r->mm);
	const struct mime_header *seal = mime_header_find(root, SEAL_ORG_FIELD, 0);
	const struct mime_header *stamp = mime_header_find(root, SEAL_STAMP_FIELD, 0);
	unsigned char bh[SEAL_DIGEST_LEN];
	const char *why;
	char verdict[32];

	seal_digest_body(r->body, r->body_len, bh);
	if (seal && seal_org_verify(&r->c->key, seal->value, bh, root_field, r->mm, sealed,
				    &why) == 0) {
		r->org_trusted = true;
		session_decide(r->s, 3, "organisation", "trust", NULL,
			       "organisation seal verified fields=%s", msg_q(*sealed));
	} else if (seal) {
		session_decide(r->s, 3, "organisation", "strip", NULL,
			       "organisation seal not valid: %s", why);
	}
	if (stamp && seal_stamp_verify(&r->c->key, stamp->value, bh, verdict, sizeof(verdict),
				       &why) == 0)
		r->stamp_ok = true;
	else if (stamp)
		session_decide(r->s, 3, "antivirus", "strip", NULL,
			       "anti-virus stamp not valid: %s", why);
}

void stage_org_in(struct run *r)
{
	const struct mime_part *root = mime_root(r->mm);
	bool peer = r->c->npeers && edge_cidr_match(r->c->peers, r->c->npeers, r->s->ip);
	char *sealed = NULL;
	unsigned n = 0;

	if (root->defects & MIME_D_HEADER_LIMIT) {
		/* fields past the parser's limit could not be checked or removed */
		run_end(r, CONTENT_REJECT, "headers", "reject", "554 5.6.0 Message header too large");
		return;
	}
	if (peer && r->c->have_key)
		verify_from_site(r, &sealed);
	for (unsigned i = 0; i < root->nheaders && i < sizeof(r->drop); i++) {
		const char *name = root->headers[i].name;

		if (!is_internal(name))
			continue;
		if (r->org_trusted && in_list(sealed, name)) {
			if (strcasecmp(name, F_SCL) == 0 && r->scl == RULES_SCL_UNKNOWN)
				r->scl = atoi(root->headers[i].value);
			continue;
		}
		if (strcasecmp(name, SEAL_STAMP_FIELD) == 0 && r->stamp_ok)
			continue;
		if (strcasecmp(name, SEAL_STAMP_FIELD) == 0)
			r->stamp_ok = false;
		r->drop[i] = 1;
		n++;
	}
	if (r->scl < -1 || r->scl > SCL_MAX)
		r->scl = RULES_SCL_UNKNOWN;
	if (n)
		session_decide(r->s, 3, "organisation", "strip", NULL,
			       "internal header fields removed count=%u origin=%s", n,
			       peer ? "trusted" : "outside");
	free(sealed);
}

static bool listed(const struct dir_entry *e, const char *attr, const char *a, const char *b)
{
	const struct dir_value *v;

	if (dir_entry_get(e, attr, &v) == 0)
		return false;
	return (*a && safelist_has(v->data, v->len, a)) || (*b && safelist_has(v->data, v->len, b));
}

void stage_senders(struct run *r)
{
	struct content_txn *t = r->s->content;
	const struct mime_header *h = mime_header_find(mime_root(r->mm), "From", 0);
	const char *env = r->s->mail_from.len ? r->s->mail_from.buf : "";
	struct strbuf from = STRBUF_INIT;
	int lowest = SCL_MAX + 1;

	if (r->c->dir == NULL)
		return;
	if (h)
		address_first(h->value, h->value_len, &from);
	r->safe = t->nrcpt > 0;
	for (size_t i = 0; i < t->nrcpt && !r->done; i++) {
		struct dir_entry *e = NULL;
		enum dir_status ds = dir_lookup_mail(r->c->dir, t->rcpts[i], &e);
		const char *th;

		if (ds == DIR_TEMPFAIL) {
			msg_warn("directory unavailable for safelists: %s", dir_error(r->c->dir));
			run_end(r, CONTENT_TEMPFAIL, "safelist", "tempfail",
				"451 4.3.0 Directory unavailable, try again later");
			break;
		}
		if (ds != DIR_OK) {
			r->safe = false;
			continue;
		}
		if (!listed(e, "posternSafeSenders", env, from.buf ? from.buf : ""))
			r->safe = false;
		if (listed(e, "posternBlockedSenders", env, from.buf ? from.buf : "")) {
			session_decide(r->s, 3, "blocked_sender", "reject", NULL,
				       "sender blocked by recipient to=%s", msg_q(t->rcpts[i]));
			run_end(r, CONTENT_REJECT, "blocked_sender", "reject",
				"550 5.7.1 Message rejected: the sender is blocked by a recipient");
		}
		if ((th = dir_entry_str(e, "posternSCLJunkThreshold")) && atoi(th) >= 0 &&
		    atoi(th) <= SCL_MAX && atoi(th) < lowest)
			lowest = atoi(th);
		dir_entry_free(e);
	}
	if (lowest <= SCL_MAX)
		r->junk_above = lowest;
	if (r->safe && !r->done)
		session_decide(r->s, 3, "safelist", "bypass", NULL, "safe sender of every recipient");
	strbuf_release(&from);
}

/* "user@example.org", "@example.org" or "example.org". */
static bool exempt(const json_t *sec, const char *rcpt)
{
	const char *at = strrchr(rcpt, '@');

	for (size_t i = 0; i < conf_strings_len(sec, "bypass.exempt_recipients"); i++) {
		const char *e = conf_strings_at(sec, "bypass.exempt_recipients", i);

		if (strcasecmp(e, rcpt) == 0 || (at && e[0] == '@' && strcasecmp(e, at) == 0) ||
		    (at && !strchr(e, '@') && strcasecmp(e, at + 1) == 0))
			return true;
	}
	return false;
}

static const char *bypass(struct run *r)
{
	const json_t *sec = r->c->sec;
	struct content_txn *t = r->s->content;
	bool all = t->nrcpt > 0;

	if (r->s->allowlisted && conf_bool(sec, "bypass.allowlisted"))
		return "allowed-ip";
	if (r->s->partner && conf_bool(sec, "bypass.partners"))
		return "partner";
	if (r->s->relay_client && conf_bool(sec, "bypass.relay_clients"))
		return "relay-client";
	for (size_t i = 0; i < t->nrcpt && all; i++)
		all = exempt(sec, t->rcpts[i]);
	if (all)
		return "exempt-recipient";
	if (r->safe)
		return "safe-sender";
	return NULL;
}

static struct spam_model *model(struct run *r)
{
	struct content *c = r->c;

	if (!c->model_tried) {
		c->model_tried = true;
		c->model = spam_model_load(conf_str(c->sec, "scl.model"), c->model_why,
					   sizeof(c->model_why));
	}
	return c->model;
}

/* SCL from the model. Returns 0, or -1 when the model is unusable. */
static int score(struct run *r, double *p)
{
	struct spam_model *m = model(r);
	struct spam_fx_limits lim = { 0, 0, 0, 0 };
	struct spam_fv fv;

	if (m == NULL) {
		msg_error("cannot use model '%s': %s", conf_str(r->c->sec, "scl.model"),
			  r->c->model_why);
		return -1;
	}
	lim.scan_bytes = (size_t)conf_int(r->c->sec, "scl.scan_bytes");
	spam_fv_init(&fv, false);
	spam_features_mime(&fv, r->mm, r->raw, r->len, &lim);
	spam_fv_finish(&fv, m->hdr.bits);
	*p = spam_model_prob(m, spam_model_margin(m, &fv));
	spam_fv_release(&fv);
	r->scl = scl_from_prob(*p);
	return 0;
}

void stage_scl(struct run *r)
{
	const json_t *sc = conf_get(r->c->sec, "scl");
	struct scl_policy pol = r->c->pol;
	const char *reason = NULL;
	bool from_site = r->scl != RULES_SCL_UNKNOWN;
	double p = 0;
	enum scl_action a;

	if (!conf_bool(sc, "enabled"))
		return;
	if (from_site) {
		reason = "organisation";
	} else if ((reason = bypass(r)) != NULL) {
		r->scl = SCL_BYPASS;
	} else if (score(r, &p) < 0) {
		if (strcmp(conf_str(sc, "on_failure"), "accept") == 0)
			return;
		run_end(r, CONTENT_TEMPFAIL, "scl", "tempfail",
			"451 4.3.0 Spam filter unavailable, try again later");
		return;
	} else {
		reason = "model";
	}
	pol.junk_above = r->junk_above;
	a = scl_action(&pol, r->scl);
	session_decide(r->s, 3, "scl", scl_action_name(a), NULL, "scl=%d p=%.4f reason=%s",
		       r->scl, p, reason);
	if (!from_site) {
		run_field(r, F_SCL, true, "%d", r->scl);
		run_field(r, F_SPAM, true, "p=%.4f; action=%s; reason=%s", p, scl_action_name(a),
			  reason);
		if (conf_bool(sc, "exchange_header"))
			run_field(r, F_EXCH, true, "%d", r->scl);
	}
	if (a == SCL_DELETE) {
		run_end(r, CONTENT_DROP, "scl", "delete", "250 2.0.0 Ok");
	} else if (a == SCL_REJECT) {
		run_end(r, CONTENT_REJECT, "scl", "reject",
			"550 5.7.1 Message rejected as spam by content filtering (SCL %d)", r->scl);
	} else if (a == SCL_QUARANTINE) {
		char why[64];

		snprintf(why, sizeof(why), "spam confidence level %d", r->scl);
		run_quarantine(r, "scl", why);
	}
}

/* Attachments. */

enum att_act { ATT_NONE, ATT_STRIP, ATT_DELETE, ATT_REJECT };

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/'), *b = strrchr(path, '\\');

	if (b && (s == NULL || b > s))
		s = b;
	return s ? s + 1 : path;
}

static bool strings_glob(const json_t *node, const char *key, const char *v, bool ext)
{
	for (size_t i = 0; i < conf_strings_len(node, key); i++) {
		const char *pat = conf_strings_at(node, key, i);

		if (ext ? strcasecmp(pat, v) == 0 : fnmatch(pat, v, FNM_CASEFOLD) == 0)
			return true;
	}
	return false;
}

/* The first rule matching a name (and, for the attachment itself, a
 * type; for an encrypted archive, the encrypted rules). -1: none. */
static int att_match(const json_t *rules, const char *name, const char *type, bool encrypted)
{
	size_t i;
	json_t *node;

	json_array_foreach((json_t *)rules, i, node) {
		const char *b = base_name(name ? name : ""), *dot = strrchr(b, '.');

		if (encrypted) {
			if (conf_bool(node, "encrypted"))
				return (int)i;
			continue;
		}
		if (type && strings_glob(node, "types", type, false))
			return (int)i;
		if (*b && strings_glob(node, "names", b, false))
			return (int)i;
		if (dot && dot[1] && strings_glob(node, "extensions", dot + 1, true))
			return (int)i;
	}
	return -1;
}

struct inner {
	struct run *r;
	const json_t *rules;
	int match;
	char name[256];
};

static int inner_name(const char *path, unsigned depth, void *ctx)
{
	struct inner *in = ctx;
	int m;

	run_add_att(in->r, path, NULL);
	if (in->match < 0 && (m = att_match(in->rules, path, NULL, false)) >= 0) {
		in->match = m;
		snprintf(in->name, sizeof(in->name), "%s (depth %u)", path, depth);
	}
	return 0;
}

/* Lists an archive attachment; returns the rule its content matches. */
static int archive_match(struct run *r, const struct mime_part *p, const json_t *rules,
			 char *inner, size_t innersize)
{
	struct strbuf data = STRBUF_INIT;
	struct inner in = { r, rules, -1, "" };
	struct arch_info info;

	mime_part_decode(r->mm, p, &data);
	arch_list(data.buf ? data.buf : "", data.len, p->filename, &r->c->alim, inner_name, &in,
		  &info);
	strbuf_release(&data);
	if (info.is_archive)
		session_decide(r->s, 3, "attachment", "list", NULL,
			       "archive listed name=%s entries=%zu depth=%u%s%s%s",
			       msg_q(p->filename ? p->filename : ""), info.entries, info.depth,
			       info.encrypted ? " encrypted=yes" : "",
			       info.truncated ? " truncated=yes" : "", info.damaged ? " damaged=yes" : "");
	if (in.match < 0 && info.encrypted && (in.match = att_match(rules, NULL, NULL, true)) >= 0)
		snprintf(in.name, sizeof(in.name), "encrypted archive");
	snprintf(inner, innersize, "%s", in.name);
	return in.match;
}

static void add_strip(struct run *r, const struct mime_part *p, const char *name,
		      const char *type, const char *why)
{
	size_t off = p->hdr_off, len = p->body_off + p->body_len - p->hdr_off;

	/* inside a part already stripped (a message/rfc822 attachment) */
	if (r->nstrips && off < r->strips[r->nstrips - 1].off + r->strips[r->nstrips - 1].len)
		return;
	r->strips = xrealloc(r->strips, (r->nstrips + 1) * sizeof(*r->strips));
	r->strips[r->nstrips].off = off;
	r->strips[r->nstrips].len = len;
	r->strips[r->nstrips].name = xstrdup(name);
	r->strips[r->nstrips].type = xstrdup(type);
	r->strips[r->nstrips++].why = xstrdup(why);
}

static enum att_act act_of(const json_t *rule)
{
	const char *a = conf_str(rule, "action");

	return strcmp(a, "strip") == 0 ? ATT_STRIP : strcmp(a, "delete") == 0 ? ATT_DELETE :
	       ATT_REJECT;
}

/* One attachment; returns what its rule says. */
static enum att_act attachment(struct run *r, const struct mime_part *p, const json_t *rules,
			       bool list, const json_t **rule)
{
	char type[256], inner[300] = "";
	const char *name = p->filename ? p->filename : "";
	int m;
	enum att_act a;

	snprintf(type, sizeof(type), "%s/%s", p->type, p->subtype);
	run_add_att(r, name, type);
	m = att_match(rules, name, type, false);
	if (list) {
		int im = archive_match(r, p, rules, inner, sizeof(inner));

		if (m < 0)
			m = im;
		else
			inner[0] = 0;
	}
	if (m < 0)
		return ATT_NONE;
	*rule = json_array_get(rules, (size_t)m);
	a = act_of(*rule);
	if (a == ATT_STRIP && p == mime_root(r->mm))
		a = ATT_REJECT;	/* the message is the attachment: nothing left to send */
	session_decide(r->s, 3, "attachment", a == ATT_STRIP ? "strip" : a == ATT_DELETE ?
		       "delete" : "reject", NULL, "attachment matches rule=%d name=%s type=%s%s%s",
		       m, msg_q(name), type, inner[0] ? " inner=" : "", inner[0] ? msg_q(inner) : "");
	if (a == ATT_STRIP)
		add_strip(r, p, inner[0] ? inner : name, type, conf_str(*rule, "text"));
	return a;
}

void stage_attachments(struct run *r)
{
	const json_t *rules = conf_get(r->c->sec, "attachments.rules"), *rule = NULL, *worst_rule = NULL;
	bool list = json_array_size(rules) > 0 || r->c->rules;
	enum att_act worst = ATT_NONE, a;
	const struct mime_part *p;

	if (json_array_size(rules) && (mime_defects(r->mm) & (MIME_D_DEPTH_LIMIT | MIME_D_PARTS_LIMIT))) {
		/* parts past the parser's limits could hide an attachment */
		run_end(r, CONTENT_REJECT, "attachment", "reject",
			"554 5.6.0 Message structure too complex to check");
		return;
	}

	for (unsigned i = 0; (p = mime_part_at(r->mm, i)) != NULL; i++) {
		if (p->nchildren || mime_part_is(p, "multipart", NULL) ||
		    mime_part_is(p, "message", "rfc822"))
			continue;
		if (!p->is_attachment && !p->filename)
			continue;
		a = attachment(r, p, rules, list, &rule);
		if (a > worst) {
			worst = a;
			worst_rule = rule;
		}
	}
	if (worst == ATT_REJECT)
		run_end(r, CONTENT_REJECT, "attachment", "reject", "550 5.7.1 %s",
			conf_str(worst_rule, "text"));
	else if (worst == ATT_DELETE)
		run_end(r, CONTENT_DROP, "attachment", "delete", "250 2.0.0 Ok");
}

/* A file name fit for a quoted string on one line. */
static void safe_name(struct strbuf *out, const char *s)
{
	for (size_t i = 0; s[i] && i < 200; i++)
		strbuf_addch(out, (unsigned char)s[i] < ' ' || s[i] == '"' || s[i] == '\\' ?
			     '_' : s[i]);
}

void stage_body(struct run *r)
{
	struct strbuf *b = &r->out->body_own, names = STRBUF_INIT;
	size_t pos = mime_root(r->mm)->body_off;

	if (r->nstrips == 0)
		return;
	for (size_t i = 0; i < r->nstrips; i++) {
		const struct strip *st = &r->strips[i];

		strbuf_add(b, r->raw + pos, st->off - pos);
		strbuf_addstr(b, "Content-Type: text/plain; charset=utf-8\r\n"
			      "Content-Disposition: inline\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
			      "The attachment \"");
		safe_name(b, st->name);
		strbuf_addf(b, "\" (%s) was removed by %s: ", st->type, r->s->e->hostname);
		safe_name(b, st->why);
		strbuf_addstr(b, ".\r\n");
		if (names.len)
			strbuf_addstr(&names, ", ");
		strbuf_addch(&names, '"');
		safe_name(&names, st->name);
		strbuf_addch(&names, '"');
		pos = st->off + st->len;
	}
	strbuf_add(b, r->raw + pos, r->len - pos);
	r->body = b->buf;
	r->body_len = b->len;
	run_field(r, "X-Postern-Attachment-Removed", false, "%s", names.buf);
	strbuf_release(&names);
}

void stage_av(struct run *r)
{
	const json_t *av = conf_get(r->c->sec, "antivirus");
	struct strbuf whole = STRBUF_INIT;
	const char *data = r->raw;
	size_t len = r->len;
	char what[256];
	enum clamd_result res;

	if (!conf_bool(av, "enabled"))
		return;
	if (r->stamp_ok) {
		session_decide(r->s, 3, "antivirus", "skip", NULL,
			       "valid stamp from a trusted peer, not scanned");
		return;
	}
	if (r->body != r->raw + mime_root(r->mm)->body_off) {
		/* attachments were stripped: scan what goes on */
		strbuf_add(&whole, r->raw, mime_root(r->mm)->body_off);
		strbuf_add(&whole, r->body, r->body_len);
		data = whole.buf;
		len = whole.len;
	}
	res = clamd_scan(conf_str(av, "clamd"), conf_int(av, "timeout"), data, len, what,
			 sizeof(what));
	strbuf_release(&whole);
	if (res == CLAMD_ERROR) {
		bool accept = strcmp(conf_str(av, "on_failure"), "accept") == 0;

		session_decide(r->s, 3, "antivirus", accept ? "accept" : "tempfail", NULL,
			       "clamd failed: %s", msg_q(what));
		if (!accept)
			run_end(r, CONTENT_TEMPFAIL, "antivirus", "tempfail",
				"451 4.7.1 Virus scan unavailable, try again later");
		return;
	}
	if (res == CLAMD_VIRUS) {
		const char *action = conf_str(av, "action");
		char why[300];

		session_decide(r->s, 3, "antivirus", action, NULL, "virus found virus=%s",
			       msg_q(what));
		snprintf(why, sizeof(why), "virus %s", what);
		if (strcmp(action, "quarantine") == 0)
			run_quarantine(r, "antivirus", why);
		else if (strcmp(action, "delete") == 0)
			run_end(r, CONTENT_DROP, "antivirus", "delete", "250 2.0.0 Ok");
		else
			run_end(r, CONTENT_REJECT, "antivirus", "reject",
				"554 5.7.1 Message rejected: virus found (%s)", what);
		return;
	}
	session_decide(r->s, 3, "antivirus", "accept", NULL, "clamd says clean");
	r->av_clean = true;	/* stamped at the end, over the body that goes on */
}

/* Transport rules. */

static void rules_view(struct run *r, struct rules_msg *m, struct strbuf *from,
		       struct strbuf *subject, struct strbuf *text)
{
	const struct mime_header *h = mime_header_find(mime_root(r->mm), "From", 0);

	if (h)
		address_first(h->value, h->value_len, from);
	mime_subject(r->mm, subject);
	mime_text(r->mm, MIME_TEXT_NO_SUBJECT, RULES_TEXT_MAX, text);
	memset(m, 0, sizeof(*m));
	m->sender = r->s->mail_from.len ? r->s->mail_from.buf : "";
	m->from = from->buf ? from->buf : "";
	m->rcpts = (const char *const *)r->s->content->rcpts;
	m->nrcpt = r->s->content->nrcpt;
	m->subject = subject->buf ? subject->buf : "";
	m->body = text->buf ? text->buf : "";
	m->body_len = text->len;
	m->header = root_field_nth;
	m->header_ctx = r->mm;
	m->att_names = (const char *const *)r->att_names;
	m->natt_names = r->natt_names;
	m->att_types = (const char *const *)r->att_types;
	m->natt_types = r->natt_types;
	m->scl = r->scl;
	m->tls = r->s->tls;
	m->size = r->len;
}

static void take_rcpts(struct content_out *o, char **v, size_t n, bool replace)
{
	if (replace) {
		for (size_t i = 0; i < o->nrcpts; i++)
			free(o->rcpts[i]);
		o->nrcpts = 0;
		o->rcpts_replace = true;
	}
	o->rcpts = xrealloc(o->rcpts, (o->nrcpts + n + 1) * sizeof(*o->rcpts));
	for (size_t i = 0; i < n; i++)
		o->rcpts[o->nrcpts++] = xstrdup(v[i]);
}

static void rules_apply(struct run *r, struct rules_actions *a)
{
	if (a->reject) {
		run_end(r, CONTENT_REJECT, "rules", "reject", "550 5.7.1 %s", a->reject);
		return;
	}
	if (a->delete) {
		run_end(r, CONTENT_DROP, "rules", "delete", "250 2.0.0 Ok");
		return;
	}
	strbuf_add(&r->fields, a->headers.buf ? a->headers.buf : "", a->headers.len);
	if (a->classification)
		run_field(r, F_CLASS, true, "%s", a->classification);
	if (a->subject_prefix.len)
		strbuf_addstr(&r->subject_prefix, a->subject_prefix.buf);
	/* never send unsigned what a rule wants signed: content_sign fails
	 * the transaction (4xx) when it cannot sign */
	if (a->smime_sign && content_sign(r) < 0)
		return;
	if (a->nredirect)
		take_rcpts(r->out, a->redirect, a->nredirect, true);
	if (a->nadd_rcpt)
		take_rcpts(r->out, a->add_rcpt, a->nadd_rcpt, false);
	r->out->require_tls |= a->require_tls;
	run_field(r, "X-Postern-Rules", false, "%s", a->fired.buf);
	if (a->quarantine) {
		char why[300];

		snprintf(why, sizeof(why), "transport rule %s", a->fired.buf);
		run_quarantine(r, "rules", why);
	}
}

void stage_rules(struct run *r)
{
	struct strbuf from = STRBUF_INIT, subject = STRBUF_INIT, text = STRBUF_INIT;
	struct rules_actions a;
	struct rules_msg m;

	if (r->c->rules == NULL)
		return;
	rules_view(r, &m, &from, &subject, &text);
	rules_actions_init(&a);
	if (rules_eval(r->c->rules, &m, &a, NULL) > 0) {
		session_decide(r->s, 3, "rules", "match", NULL, "transport rules fired rules=%s",
			       msg_q(a.fired.buf));
		rules_apply(r, &a);
	}
	rules_actions_release(&a);
	strbuf_release(&from);
	strbuf_release(&subject);
	strbuf_release(&text);
}

void stage_org_out(struct run *r)
{
	unsigned char bh[SEAL_DIGEST_LEN];
	struct strbuf v = STRBUF_INIT;

	if (!r->c->have_key)
		return;
	if (r->whole)
		seal_body_digest(r->body, r->body_len, bh);
	else
		seal_digest_body(r->body, r->body_len, bh);
	if (r->av_clean && conf_bool(r->c->sec, "antivirus.stamp")) {
		seal_stamp_make(&r->c->key, "clean", "clamd", (long long)time(NULL), bh, &v);
		run_field(r, SEAL_STAMP_FIELD, true, "%s", v.buf);
		strbuf_reset(&v);
	}
	if (!conf_bool(r->c->sec, "organisation.seal") || r->nsealed == 0) {
		strbuf_release(&v);
		return;
	}
	seal_org_make(&r->c->key, r->sealed_names, (const char *const *)r->sealed_values, r->nsealed,
		      (long long)time(NULL), bh, &v);
	run_field(r, SEAL_ORG_FIELD, false, "%s", v.buf);
	strbuf_release(&v);
}
