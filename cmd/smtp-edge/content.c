/* The content layer's set-up, its part of the transaction (recipients,
 * the spool), and one run of the stages with the message it makes: our
 * trace and content fields, the message's header block without the
 * fields left out, the body (as received, or with attachments
 * stripped). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content_int.h"
#include "session.h"
#include "util/mem.h"
#include "util/msg.h"

static int key_init(struct content *c)
{
	const char *path = conf_str(c->sec, "organisation.key_file");
	char why[512];

	if (path == NULL) {
		if (conf_bool(c->sec, "antivirus.enabled") && conf_bool(c->sec, "antivirus.stamp"))
			msg_warn("content: antivirus.stamp needs organisation.key_file; no stamps");
		return 0;
	}
	if (seal_key_load(&c->key, path, why, sizeof(why)) < 0) {
		msg_error("content: %s", why);
		return -1;
	}
	c->have_key = true;
	return 0;
}

static int peers_init(struct content *c)
{
	size_t n = conf_strings_len(c->sec, "organisation.trusted_peers");

	c->peers = xcalloc(n + 1, sizeof(*c->peers));
	for (size_t i = 0; i < n; i++) {
		const char *p = conf_strings_at(c->sec, "organisation.trusted_peers", i);

		if (edge_cidr_parse(p, &c->peers[i]) < 0) {
			msg_error("content: bad network in organisation.trusted_peers net=%s",
				  msg_q(p));
			return -1;
		}
	}
	c->npeers = n;
	return 0;
}

static void policy_init(struct content *c)
{
	scl_policy_from_conf(&c->pol, conf_get(c->sec, "scl"));
}

int content_init(struct edge_set *set, struct edge *e)
{
	const json_t *sec = conf_get(e->sec, "content");
	struct content *c;
	const char *rf;

	e->content = NULL;
	if (sec == NULL || !conf_bool(sec, "enabled"))
		return 0;
	c = xcalloc(1, sizeof(*c));
	e->content = c;
	c->sec = sec;
	policy_init(c);
	c->alim.depth_max = (unsigned)conf_int(sec, "attachments.archive_depth");
	c->alim.entries_max = (size_t)conf_int(sec, "attachments.archive_entries_max");
	c->alim.bytes_max = (size_t)conf_int(sec, "attachments.archive_bytes_max");
	if (key_init(c) < 0 || peers_init(c) < 0)
		return -1;
	if ((rf = conf_str(sec, "rules_file")) != NULL) {
		struct strbuf why = STRBUF_INIT;

		c->rules = rules_load(rf, &why);
		if (c->rules == NULL) {
			char *line, *save = NULL;

			strbuf_rtrim(&why);
			for (line = strtok_r(why.buf ? why.buf : "", "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				msg_error("content: bad rules file: %s", line);
			strbuf_release(&why);
			return -1;
		}
		strbuf_release(&why);
	}
	if (conf_bool(sec, "scl.enabled")) {
		/* mapped here, so that every session process shares the pages;
		 * a model not there yet is tried again by the sessions */
		c->model = spam_model_load(conf_str(sec, "scl.model"), c->model_why,
					   sizeof(c->model_why));
		c->model_tried = c->model != NULL;
		if (c->model == NULL && set->check) {
			msg_error("content: bad spam model: '%s': %s", conf_str(sec, "scl.model"),
				  c->model_why);
			return -1;
		}
		if (c->model == NULL)
			msg_warn("content: cannot use model '%s' yet: %s", conf_str(sec, "scl.model"),
				 c->model_why);
	}
	if (conf_bool(sec, "safelists") && !set->check) {
		c->dir = set->dir;
		if (c->dir == NULL) {
			c->dir = dir_open(conf_section(set->conf, "directory"));
			if (c->dir == NULL)
				return -1;
			c->own_dir = true;
		}
	}
	return 0;
}

void content_free(struct content *c)
{
	if (c == NULL)
		return;
	if (c->own_dir)
		dir_close(c->dir);
	spam_model_free(c->model);
	rules_free(c->rules);
	free(c->peers);
	mem_wipe(&c->key, sizeof(c->key));
	free(c);
}

/* The transaction. */

static struct content_txn *txn_of(struct session *s)
{
	if (s->content == NULL) {
		s->content = xcalloc(1, sizeof(*s->content));
		spool_init(&s->content->spool,
			   (size_t)conf_int(s->e->content->sec, "spool_memory"),
			   conf_str(s->e->content->sec, "spool_directory"));
	}
	return s->content;
}

void content_rcpt(struct session *s, const char *addr)
{
	struct content_txn *t;

	if (s->e->content == NULL)
		return;
	t = txn_of(s);
	if (s->nrcpt == 0) {	/* the transaction's first */
		for (size_t i = 0; i < t->nrcpt; i++)
			free(t->rcpts[i]);
		t->nrcpt = 0;
	}
	xgrow((void **)&t->rcpts, &t->alloc, t->nrcpt + 1, sizeof(*t->rcpts));
	t->rcpts[t->nrcpt++] = xstrdup(addr);
}

void content_txn_free(struct session *s)
{
	struct content_txn *t = s->content;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrcpt; i++)
		free(t->rcpts[i]);
	free(t->rcpts);
	spool_release(&t->spool);
	free(t);
	s->content = NULL;
}

bool content_on(const struct session *s)
{
	return s->e->content != NULL;
}

void content_begin(struct session *s)
{
	spool_reset(&txn_of(s)->spool);
}

int content_add(struct session *s, const char *data, size_t len)
{
	return spool_add(&txn_of(s)->spool, data, len);
}

void content_out_init(struct content_out *o)
{
	memset(o, 0, sizeof(*o));
	o->scl = RULES_SCL_UNKNOWN;
}

void content_out_release(struct content_out *o)
{
	strbuf_release(&o->reply);
	strbuf_release(&o->head);
	strbuf_release(&o->body_own);
	for (size_t i = 0; i < o->nrcpts; i++)
		free(o->rcpts[i]);
	free(o->rcpts);
	memset(o, 0, sizeof(*o));
}

/* The run. */

void run_end(struct run *r, enum content_verdict v, const char *check, const char *action,
	     const char *fmt, ...)
{
	char first[300];
	va_list ap;

	r->done = true;
	r->out->verdict = v;
	strbuf_reset(&r->out->reply);
	va_start(ap, fmt);
	strbuf_vaddf(&r->out->reply, fmt, ap);
	va_end(ap);
	snprintf(first, sizeof(first), "%s", r->out->reply.buf);
	session_decide(r->s, 3, check, action, first, "message %s size=%zu rcpts=%zu",
		       v == CONTENT_DROP ? "dropped" : "refused", r->len, r->s->content->nrcpt);
}

void run_field(struct run *r, const char *name, bool sealed, const char *fmt, ...)
{
	struct strbuf v = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&v, fmt, ap);
	va_end(ap);
	strbuf_addf(&r->fields, "%s: %s\r\n", name, v.buf);
	if (sealed && r->nsealed < sizeof(r->sealed_names) / sizeof(r->sealed_names[0])) {
		r->sealed_names[r->nsealed] = name;
		r->sealed_values[r->nsealed++] = strbuf_detach(&v, NULL);
	}
	strbuf_release(&v);
}

void run_add_att(struct run *r, const char *name, const char *type)
{
	if (name && *name && r->natt_names < 100000) {
		r->att_names = xrealloc(r->att_names, (r->natt_names + 1) * sizeof(char *));
		r->att_names[r->natt_names++] = xstrdup(name);
	}
	if (type && *type && r->natt_types < 100000) {
		r->att_types = xrealloc(r->att_types, (r->natt_types + 1) * sizeof(char *));
		r->att_types[r->natt_types++] = xstrdup(type);
	}
}

/* The root's header block with the fields in r->drop left out and the
 * Subject prefixed, then the empty line. */
static void header_block(struct run *r, struct strbuf *out)
{
	const struct mime_part *root = mime_root(r->mm);
	size_t pos = 0, end = root->body_off;
	bool subject_done = r->subject_prefix.len == 0;

	for (unsigned i = 0; i < root->nheaders; i++) {
		const struct mime_header *h = &root->headers[i];
		bool drop = i < sizeof(r->drop) && r->drop[i];

		if (!subject_done && !drop && strcasecmp(h->name, "Subject") == 0) {
			size_t v = h->raw_value_off;

			if (v < h->off + h->len && (r->raw[v] == ' ' || r->raw[v] == '\t'))
				v++;
			strbuf_add(out, r->raw + pos, h->off - pos);
			strbuf_addf(out, "%s: %s", h->name, r->subject_prefix.buf);
			strbuf_add(out, r->raw + v, h->off + h->len - v);
			pos = h->off + h->len;
			subject_done = true;
			continue;
		}
		if (!drop)
			continue;
		strbuf_add(out, r->raw + pos, h->off - pos);
		pos = h->off + h->len;
	}
	if (!subject_done) {
		/* no Subject: one with the prefix only, before the empty line */
		size_t stop = end >= 2 && r->raw[end - 1] == '\n' ?
			(end >= 2 && r->raw[end - 2] == '\r' ? end - 2 : end - 1) : end;

		if (stop < pos)
			stop = pos;
		strbuf_add(out, r->raw + pos, stop - pos);
		strbuf_rtrim(&r->subject_prefix);
		strbuf_addf(out, "Subject: %s\r\n", r->subject_prefix.buf);
		pos = stop;
	}
	strbuf_add(out, r->raw + pos, end - pos);
	if (end == r->len && (out->len < 2 || memcmp(out->buf + out->len - 2, "\r\n", 2) != 0))
		strbuf_addstr(out, "\r\n");
}

static void make_head(struct run *r)
{
	strbuf_reset(&r->out->head);
	strbuf_add(&r->out->head, r->trace->buf, r->trace->len);
	strbuf_add(&r->out->head, r->fields.buf ? r->fields.buf : "", r->fields.len);
	if (!r->whole)
		header_block(r, &r->out->head);
	r->out->body = r->body;
	r->out->body_len = r->body_len;
}

void run_message_block(struct run *r, struct strbuf *out)
{
	header_block(r, out);
}

void run_message(struct run *r, struct strbuf *out)
{
	make_head(r);
	strbuf_add(out, r->out->head.buf, r->out->head.len);
	strbuf_add(out, r->body, r->body_len);
}

static void raw_subject(struct run *r, struct strbuf *out)
{
	const struct mime_header *h = mime_header_find(mime_root(r->mm), "Subject", 0);

	if (h)
		strbuf_add(out, h->value, h->value_len > 200 ? 200 : h->value_len);
}

void run_quarantine(struct run *r, const char *check, const char *reason)
{
	const char *dir = conf_str(r->c->sec, "quarantine.directory");
	struct content_txn *t = r->s->content;
	struct strbuf msg = STRBUF_INIT, subj = STRBUF_INIT;
	char id[QUAR_ID_MAX];
	struct quar_env env = {
		r->s->mail_from.len ? r->s->mail_from.buf : "", (const char *const *)t->rcpts,
		t->nrcpt, reason, r->s->ip, r->s->e->hostname, NULL
	};

	raw_subject(r, &subj);
	env.subject = subj.buf;
	run_field(r, "X-Postern-Quarantine-Reason", false, "%s", reason);
	run_message(r, &msg);
	if (quar_store(dir, &env, msg.buf, msg.len, id) < 0) {
		msg_error("cannot write to quarantine '%s': %s", dir, strerror(errno));
		run_end(r, CONTENT_TEMPFAIL, check, "tempfail",
			"451 4.3.0 Cannot hold the message for review, try again later");
	} else {
		session_decide(r->s, 3, check, "quarantine", NULL, "quarantined id=%s reason=%s", id,
			       msg_q(reason));
		run_end(r, CONTENT_DROP, check, "quarantine", "250 2.0.0 Ok: held for review");
	}
	strbuf_release(&msg);
	strbuf_release(&subj);
}

static void run_free(struct run *r)
{
	mime_free(r->mm);
	strbuf_release(&r->fields);
	strbuf_release(&r->subject_prefix);
	for (size_t i = 0; i < r->nsealed; i++)
		free(r->sealed_values[i]);
	for (size_t i = 0; i < r->natt_names; i++)
		free(r->att_names[i]);
	for (size_t i = 0; i < r->natt_types; i++)
		free(r->att_types[i]);
	free(r->att_names);
	free(r->att_types);
	for (size_t i = 0; i < r->nstrips; i++) {
		free(r->strips[i].name);
		free(r->strips[i].type);
		free(r->strips[i].why);
	}
	free(r->strips);
}

void content_run(struct session *s, const struct strbuf *trace, struct content_out *out)
{
	static void (*const stages[])(struct run *) = {
		stage_org_in, stage_senders, stage_scl, stage_attachments, stage_body, stage_av,
		stage_rules, stage_org_out,
	};
	struct run r;
	struct mime_limits lim = MIME_LIMITS_INIT;

	memset(&r, 0, sizeof(r));
	r.s = s;
	r.c = s->e->content;
	r.out = out;
	r.trace = trace;
	r.scl = RULES_SCL_UNKNOWN;
	r.junk_above = r.c->pol.junk_above;
	r.raw = spool_data(&txn_of(s)->spool, &r.len);
	if (r.raw == NULL) {
		r.raw = "";
		r.mm = mime_parse("", 0, NULL);
		run_end(&r, CONTENT_TEMPFAIL, "spool", "tempfail",
			"451 4.3.0 Cannot hold the message, try again later");
		run_free(&r);
		return;
	}
	lim.decode_max = (size_t)conf_int(r.c->sec, "attachments.archive_bytes_max");
	r.mm = mime_parse(r.raw, r.len, &lim);
	r.body = r.raw + mime_root(r.mm)->body_off;
	r.body_len = r.len - mime_root(r.mm)->body_off;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]) && !r.done; i++)
		stages[i](&r);
	if (!r.done) {
		make_head(&r);
		out->verdict = CONTENT_DELIVER;
	}
	out->scl = r.scl;
	run_free(&r);
}
