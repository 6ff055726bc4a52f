/* Transport rules: loading (every key checked, sizes bounded) and
 * evaluation with explanations. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "content/rules.h"
#include "spam/scl.h"
#include "util/mem.h"

/* A list of strings from the file. */
struct strs {
	char **v;
	size_t n;
};

struct hdr_cond {
	char *name;
	struct strs contains;	/* words in the value (any) */
};

struct cond {
	bool any;			/* something was given */
	struct strs sender, recipient, sender_domain, recipient_domain;
	struct strs subject_words, body_words, subject_or_body_words;
	struct strs att_name, att_type;
	struct hdr_cond *hdr;
	size_t nhdr;
	int scl_min, scl_max;		/* -100 when not given */
	int tls;			/* -1 not given, 0 without, 1 with */
	long long size_over;		/* -1 not given */
};

struct rule {
	char *name;
	bool enabled, stop;
	struct cond cond;
	struct cond *exc;
	size_t nexc;
	/* actions */
	struct strs add_header, redirect, add_rcpt;
	char *classification, *prepend_subject, *reject;
	bool delete, quarantine, require_tls, smime_sign;
};

struct rules {
	struct rule *r;
	size_t n;
};

/* Loading. */

struct ld {
	const char *file;
	struct strbuf *why;
	int errors;
	char where[128];
};

static void bad(struct ld *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad(struct ld *l, const char *key, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(l->why, "%s: %s%s%s: ", l->file, l->where, key ? "." : "", key ? key : "");
	va_start(ap, fmt);
	strbuf_vaddf(l->why, fmt, ap);
	va_end(ap);
	strbuf_addch(l->why, '\n');
	l->errors++;
}

static bool str_ok(struct ld *l, const char *key, const json_t *v)
{
	if (!json_is_string(v)) {
		bad(l, key, "expected a string");
		return false;
	}
	if (json_string_length(v) == 0 || json_string_length(v) > RULES_VALUE_LEN ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		bad(l, key, "expected a string of 1 to %d bytes without NUL", RULES_VALUE_LEN);
		return false;
	}
	return true;
}

/* A string or an array of strings. */
static void strs_load(struct ld *l, const char *key, const json_t *v, struct strs *s)
{
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		if (!str_ok(l, key, v))
			return;
		s->v = xcalloc(1, sizeof(*s->v));
		s->v[s->n++] = xstrdup(json_string_value(v));
		return;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > RULES_VALUES_MAX) {
		bad(l, key, "expected a string or an array of 1 to %d strings", RULES_VALUES_MAX);
		return;
	}
	s->v = xcalloc(json_array_size(v), sizeof(*s->v));
	json_array_foreach(v, i, e) {
		if (!str_ok(l, key, e))
			return;
		s->v[s->n++] = xstrdup(json_string_value(e));
	}
}

static void strs_free(struct strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int int_load(struct ld *l, const char *key, const json_t *v, int min, int max)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		bad(l, key, "expected an integer from %d to %d", min, max);
		return min;
	}
	return (int)json_integer_value(v);
}

static bool bool_load(struct ld *l, const char *key, const json_t *v)
{
	if (!json_is_boolean(v)) {
		bad(l, key, "expected true or false");
		return false;
	}
	return json_is_true(v);
}

static void hdr_load(struct ld *l, const json_t *v, struct cond *c)
{
	const json_t *one = v;
	size_t i, n = json_is_array(v) ? json_array_size(v) : 1;

	if (!json_is_object(v) && !(json_is_array(v) && n > 0 && n <= 64)) {
		bad(l, "header", "expected an object {\"name\", \"contains\"} or an array of them");
		return;
	}
	c->hdr = xcalloc(n, sizeof(*c->hdr));
	for (i = 0; i < n; i++) {
		const json_t *name, *cont;

		if (json_is_array(v))
			one = json_array_get(v, i);
		name = json_object_get(one, "name");
		cont = json_object_get(one, "contains");
		if (!json_is_object(one) || json_object_size(one) != 2 || name == NULL ||
		    cont == NULL) {
			bad(l, "header", "expected exactly \"name\" and \"contains\"");
			return;
		}
		if (!str_ok(l, "header.name", name))
			return;
		c->hdr[c->nhdr].name = xstrdup(json_string_value(name));
		strs_load(l, "header.contains", cont, &c->hdr[c->nhdr++].contains);
	}
}

static void cond_load(struct ld *l, const json_t *o, struct cond *c)
{
	const char *key;
	json_t *v;

	memset(c, 0, sizeof(*c));
	c->scl_min = c->scl_max = RULES_SCL_UNKNOWN;
	c->tls = -1;
	c->size_over = -1;
	if (!json_is_object(o)) {
		bad(l, NULL, "conditions must be an object");
		return;
	}
	json_object_foreach((json_t *)o, key, v) {
		c->any = true;
		if (strcmp(key, "sender") == 0)
			strs_load(l, key, v, &c->sender);
		else if (strcmp(key, "recipient") == 0)
			strs_load(l, key, v, &c->recipient);
		else if (strcmp(key, "sender_domain") == 0)
			strs_load(l, key, v, &c->sender_domain);
		else if (strcmp(key, "recipient_domain") == 0)
			strs_load(l, key, v, &c->recipient_domain);
		else if (strcmp(key, "subject_words") == 0)
			strs_load(l, key, v, &c->subject_words);
		else if (strcmp(key, "body_words") == 0)
			strs_load(l, key, v, &c->body_words);
		else if (strcmp(key, "subject_or_body_words") == 0)
			strs_load(l, key, v, &c->subject_or_body_words);
		else if (strcmp(key, "attachment_name") == 0)
			strs_load(l, key, v, &c->att_name);
		else if (strcmp(key, "attachment_type") == 0)
			strs_load(l, key, v, &c->att_type);
		else if (strcmp(key, "header") == 0)
			hdr_load(l, v, c);
		else if (strcmp(key, "scl_at_least") == 0)
			c->scl_min = int_load(l, key, v, -1, 9);
		else if (strcmp(key, "scl_below") == 0)
			c->scl_max = int_load(l, key, v, 0, 10);
		else if (strcmp(key, "tls") == 0)
			c->tls = bool_load(l, key, v);
		else if (strcmp(key, "size_over") == 0)
			c->size_over = json_is_integer(v) && json_integer_value(v) >= 0 ?
				json_integer_value(v) : (bad(l, key, "expected bytes (an integer)"), -1);
		else
			bad(l, key, "unknown condition (sender, recipient, sender_domain, "
			    "recipient_domain, header, subject_words, body_words, "
			    "subject_or_body_words, attachment_name, attachment_type, scl_at_least, "
			    "scl_below, tls, size_over)");
	}
	if (!c->any)
		bad(l, NULL, "empty conditions");
}

static void cond_free(struct cond *c)
{
	strs_free(&c->sender);
	strs_free(&c->recipient);
	strs_free(&c->sender_domain);
	strs_free(&c->recipient_domain);
	strs_free(&c->subject_words);
	strs_free(&c->body_words);
	strs_free(&c->subject_or_body_words);
	strs_free(&c->att_name);
	strs_free(&c->att_type);
	for (size_t i = 0; i < c->nhdr; i++) {
		free(c->hdr[i].name);
		strs_free(&c->hdr[i].contains);
	}
	free(c->hdr);
}

static char *str_load(struct ld *l, const char *key, const json_t *v)
{
	return str_ok(l, key, v) ? xstrdup(json_string_value(v)) : NULL;
}

/* "Name: value" with a valid field name and no line break. */
static void header_check(struct ld *l, const char *h)
{
	const char *colon = strchr(h, ':');

	if (colon == NULL || colon == h || strpbrk(h, "\r\n")) {
		bad(l, "add_header", "expected \"Name: value\" on one line");
		return;
	}
	for (const char *p = h; p < colon; p++)
		if (*p <= ' ' || *p >= 127) {
			bad(l, "add_header", "bad field name in '%.40s'", h);
			return;
		}
}

static void actions_load(struct ld *l, const json_t *o, struct rule *r)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) == 0) {
		bad(l, "actions", "expected an object with at least one action");
		return;
	}
	json_object_foreach((json_t *)o, key, v) {
		if (strcmp(key, "add_header") == 0) {
			strs_load(l, key, v, &r->add_header);
			for (size_t i = 0; i < r->add_header.n; i++)
				header_check(l, r->add_header.v[i]);
		} else if (strcmp(key, "classification") == 0) {
			if ((r->classification = str_load(l, key, v)) &&
			    strpbrk(r->classification, "\r\n;"))
				bad(l, key, "no line break or ';' in a classification");
		} else if (strcmp(key, "prepend_subject") == 0) {
			if ((r->prepend_subject = str_load(l, key, v)) &&
			    strpbrk(r->prepend_subject, "\r\n"))
				bad(l, key, "no line break in a subject prefix");
		} else if (strcmp(key, "redirect") == 0) {
			strs_load(l, key, v, &r->redirect);
		} else if (strcmp(key, "add_recipient") == 0) {
			strs_load(l, key, v, &r->add_rcpt);
		} else if (strcmp(key, "reject") == 0) {
			if ((r->reject = str_load(l, key, v)) && strpbrk(r->reject, "\r\n"))
				bad(l, key, "no line break in a reply text");
		} else if (strcmp(key, "delete") == 0) {
			r->delete = bool_load(l, key, v);
		} else if (strcmp(key, "quarantine") == 0) {
			r->quarantine = bool_load(l, key, v);
		} else if (strcmp(key, "require_tls") == 0) {
			r->require_tls = bool_load(l, key, v);
		} else if (strcmp(key, "smime_sign") == 0) {
			r->smime_sign = bool_load(l, key, v);
		} else {
			bad(l, key, "unknown action (add_header, classification, prepend_subject, "
			    "redirect, add_recipient, reject, delete, quarantine, require_tls, "
			    "smime_sign)");
		}
	}
	for (size_t i = 0; i < r->redirect.n; i++)
		if (!strchr(r->redirect.v[i], '@') || strpbrk(r->redirect.v[i], " <>\r\n"))
			bad(l, "redirect", "expected addresses user@domain");
	for (size_t i = 0; i < r->add_rcpt.n; i++)
		if (!strchr(r->add_rcpt.v[i], '@') || strpbrk(r->add_rcpt.v[i], " <>\r\n"))
			bad(l, "add_recipient", "expected addresses user@domain");
}

static void rule_load(struct ld *l, const json_t *o, struct rule *r)
{
	const char *key;
	json_t *v;

	r->enabled = true;
	if (!json_is_object(o)) {
		bad(l, NULL, "a rule must be an object");
		return;
	}
	json_object_foreach((json_t *)o, key, v) {
		if (strcmp(key, "name") == 0) {
			r->name = str_load(l, key, v);
		} else if (strcmp(key, "enabled") == 0) {
			r->enabled = bool_load(l, key, v);
		} else if (strcmp(key, "stop") == 0) {
			r->stop = bool_load(l, key, v);
		} else if (strcmp(key, "if") == 0) {
			cond_load(l, v, &r->cond);
		} else if (strcmp(key, "except") == 0) {
			size_t i, n = json_is_array(v) ? json_array_size(v) : 1;
			json_t *e;

			if (!json_is_object(v) && !(json_is_array(v) && n > 0 && n <= 64)) {
				bad(l, key, "expected conditions or an array of them");
				continue;
			}
			r->exc = xcalloc(n, sizeof(*r->exc));
			if (json_is_object(v))
				cond_load(l, v, &r->exc[r->nexc++]);
			else
				json_array_foreach(v, i, e)
					cond_load(l, e, &r->exc[r->nexc++]);
		} else if (strcmp(key, "actions") == 0) {
			actions_load(l, v, r);
		} else {
			bad(l, key, "unknown key (name, enabled, if, except, actions, stop)");
		}
	}
	if (r->name == NULL)
		bad(l, "name", "missing");
	if (json_object_get(o, "actions") == NULL)
		bad(l, "actions", "missing");
}

static void rule_free(struct rule *r)
{
	free(r->name);
	cond_free(&r->cond);
	for (size_t i = 0; i < r->nexc; i++)
		cond_free(&r->exc[i]);
	free(r->exc);
	strs_free(&r->add_header);
	strs_free(&r->redirect);
	strs_free(&r->add_rcpt);
	free(r->classification);
	free(r->prepend_subject);
	free(r->reject);
}

struct rules *rules_parse(const char *text, size_t len, const char *name, struct strbuf *why)
{
	struct ld l = { name, why, 0, "" };
	struct rules *rs;
	json_error_t err;
	json_t *root, *arr, *e;
	size_t i;

	if (len > RULES_FILE_MAX) {
		strbuf_addf(why, "%s: larger than %d bytes\n", name, RULES_FILE_MAX);
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		strbuf_addf(why, "%s:%d:%d: %s\n", name, err.line, err.column, err.text);
		return NULL;
	}
	arr = json_object_get(root, "rules");
	if (!json_is_object(root) || !json_is_array(arr) || json_object_size(root) != 1 ||
	    json_array_size(arr) > RULES_MAX) {
		strbuf_addf(why, "%s: expected {\"rules\": [ up to %d rules ]}\n", name, RULES_MAX);
		json_decref(root);
		return NULL;
	}
	rs = xcalloc(1, sizeof(*rs));
	rs->r = xcalloc(json_array_size(arr) + 1, sizeof(*rs->r));
	json_array_foreach(arr, i, e) {
		snprintf(l.where, sizeof(l.where), "rules[%zu]", i);
		rule_load(&l, e, &rs->r[rs->n++]);
	}
	json_decref(root);
	if (l.errors) {
		rules_free(rs);
		return NULL;
	}
	return rs;
}

struct rules *rules_load(const char *path, struct strbuf *why)
{
	struct strbuf sb = STRBUF_INIT;
	struct rules *r;

	if (strbuf_read_file(&sb, path, RULES_FILE_MAX) < 0) {
		strbuf_addf(why, "cannot read '%s': %s\n", path, strerror(errno));
		strbuf_release(&sb);
		return NULL;
	}
	r = rules_parse(sb.buf ? sb.buf : "", sb.len, path, why);
	strbuf_release(&sb);
	return r;
}

void rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_free(&r->r[i]);
	free(r->r);
	free(r);
}

size_t rules_count(const struct rules *r)
{
	return r ? r->n : 0;
}

/* Evaluation. */

void rules_actions_init(struct rules_actions *a)
{
	memset(a, 0, sizeof(*a));
}

void rules_actions_release(struct rules_actions *a)
{
	strbuf_release(&a->headers);
	strbuf_release(&a->subject_prefix);
	strbuf_release(&a->fired);
	free(a->classification);
	free(a->reject);
	for (size_t i = 0; i < a->nredirect; i++)
		free(a->redirect[i]);
	for (size_t i = 0; i < a->nadd_rcpt; i++)
		free(a->add_rcpt[i]);
	free(a->redirect);
	free(a->add_rcpt);
	memset(a, 0, sizeof(*a));
}

/* An address against a pattern: with '@' the whole address (glob),
 * "@dom" its domain, else the domain (glob). Case is ignored. */
static bool addr_match(const char *addr, const char *pat)
{
	const char *at = strrchr(addr, '@');

	if (pat[0] == '@')
		return at && fnmatch(pat + 1, at + 1, FNM_CASEFOLD) == 0;
	if (strchr(pat, '@'))
		return fnmatch(pat, addr, FNM_CASEFOLD) == 0;
	return fnmatch(pat, at ? at + 1 : addr, FNM_CASEFOLD) == 0;
}

static bool is_word(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* A word or phrase in folded text, at word boundaries. */
static bool has_word(const char *text, size_t len, const char *word)
{
	size_t wl = strlen(word);
	char *w = xstrndup(word, wl);
	const char *p = text, *end = text + len;
	bool found = false;

	scl_fold(w, wl);
	while (!found && wl && (p = memmem(p, (size_t)(end - p), w, wl)) != NULL) {
		bool left = p == text || !is_word((unsigned char)p[-1]) || !is_word((unsigned char)w[0]);
		bool right = p + wl == end || !is_word((unsigned char)p[wl]) ||
			     !is_word((unsigned char)w[wl - 1]);

		found = left && right;
		p++;
	}
	free(w);
	return found;
}

/* Folded copies of the texts, made once per evaluation. */
struct texts {
	char *subject, *body;
	size_t subject_len, body_len;
};

static const char *words_hit(const struct strs *s, const char *t, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (has_word(t, len, s->v[i]))
			return s->v[i];
	return NULL;
}

static const char *any_addr(const struct strs *s, const char *const *addrs, size_t n,
			    bool domain_only)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < n; j++) {
			char pat[RULES_VALUE_LEN + 2];

			snprintf(pat, sizeof(pat), "%s%s", domain_only && s->v[i][0] != '@' ? "@" : "",
				 s->v[i]);
			if (addrs[j] && *addrs[j] && addr_match(addrs[j], pat))
				return s->v[i];
		}
	return NULL;
}

static const char *glob_hit(const struct strs *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < n; j++)
			if (fnmatch(s->v[i], v[j], FNM_CASEFOLD) == 0)
				return s->v[i];
	return NULL;
}

/* Whether m meets every condition of c; why gets the reasons (or the
 * first condition that failed). */
static bool cond_eval(const struct cond *c, const struct rules_msg *m, const struct texts *t,
		      struct strbuf *why)
{
	const char *senders[2] = { m->sender, m->from }, *hit;

#define CHECK(given, expr, label) do { \
		if (given) { \
			if ((hit = (expr)) == NULL) { \
				strbuf_addf(why, "%s%s: no match", why->len ? "; " : "", label); \
				return false; \
			} \
			strbuf_addf(why, "%s%s '%s'", why->len ? "; " : "", label, hit); \
		} \
	} while (0)

	CHECK(c->sender.n, any_addr(&c->sender, senders, 2, false), "sender");
	CHECK(c->sender_domain.n, any_addr(&c->sender_domain, senders, 2, true), "sender_domain");
	CHECK(c->recipient.n, any_addr(&c->recipient, m->rcpts, m->nrcpt, false), "recipient");
	CHECK(c->recipient_domain.n, any_addr(&c->recipient_domain, m->rcpts, m->nrcpt, true),
	      "recipient_domain");
	CHECK(c->subject_words.n, words_hit(&c->subject_words, t->subject, t->subject_len),
	      "subject_words");
	CHECK(c->body_words.n, words_hit(&c->body_words, t->body, t->body_len), "body_words");
	CHECK(c->subject_or_body_words.n,
	      words_hit(&c->subject_or_body_words, t->subject, t->subject_len) ?
	      words_hit(&c->subject_or_body_words, t->subject, t->subject_len) :
	      words_hit(&c->subject_or_body_words, t->body, t->body_len), "subject_or_body_words");
	CHECK(c->att_name.n, glob_hit(&c->att_name, m->att_names, m->natt_names), "attachment_name");
	CHECK(c->att_type.n, glob_hit(&c->att_type, m->att_types, m->natt_types), "attachment_type");
	for (size_t i = 0; i < c->nhdr; i++) {
		const struct hdr_cond *h = &c->hdr[i];
		const char *v;

		hit = NULL;
		for (unsigned n = 0; hit == NULL && m->header &&
		     (v = m->header(h->name, n, m->header_ctx)) != NULL; n++) {
			char *f = xstrdup(v);

			scl_fold(f, strlen(f));
			for (size_t j = 0; hit == NULL && j < h->contains.n; j++) {
				char *w = xstrdup(h->contains.v[j]);

				scl_fold(w, strlen(w));
				if (strstr(f, w))
					hit = h->contains.v[j];
				free(w);
			}
			free(f);
		}
		if (hit == NULL) {
			strbuf_addf(why, "%sheader %s: no match", why->len ? "; " : "", h->name);
			return false;
		}
		strbuf_addf(why, "%sheader %s has '%s'", why->len ? "; " : "", h->name, hit);
	}
#undef CHECK
	if (c->scl_min != RULES_SCL_UNKNOWN || c->scl_max != RULES_SCL_UNKNOWN) {
		if (m->scl == RULES_SCL_UNKNOWN ||
		    (c->scl_min != RULES_SCL_UNKNOWN && m->scl < c->scl_min) ||
		    (c->scl_max != RULES_SCL_UNKNOWN && m->scl >= c->scl_max)) {
			strbuf_addf(why, "%sscl %d: out of range", why->len ? "; " : "", m->scl);
			return false;
		}
		strbuf_addf(why, "%sscl %d", why->len ? "; " : "", m->scl);
	}
	if (c->tls >= 0) {
		if (m->tls != (c->tls == 1)) {
			strbuf_addf(why, "%stls: %s", why->len ? "; " : "", m->tls ? "used" : "not used");
			return false;
		}
		strbuf_addf(why, "%stls %s", why->len ? "; " : "", m->tls ? "used" : "not used");
	}
	if (c->size_over >= 0) {
		if ((long long)m->size <= c->size_over) {
			strbuf_addf(why, "%ssize %zu: not over %lld", why->len ? "; " : "", m->size,
				    c->size_over);
			return false;
		}
		strbuf_addf(why, "%ssize %zu over %lld", why->len ? "; " : "", m->size, c->size_over);
	}
	return true;
}

static void strs_append(char ***v, size_t *n, const struct strs *s)
{
	if (s->n == 0)
		return;
	*v = xrealloc(*v, (*n + s->n) * sizeof(**v));
	for (size_t i = 0; i < s->n; i++)
		(*v)[(*n)++] = xstrdup(s->v[i]);
}

static void apply(const struct rule *r, struct rules_actions *a)
{
	for (size_t i = 0; i < r->add_header.n; i++)
		strbuf_addf(&a->headers, "%s\r\n", r->add_header.v[i]);
	if (r->classification) {
		free(a->classification);
		a->classification = xstrdup(r->classification);
	}
	if (r->prepend_subject)
		strbuf_addstr(&a->subject_prefix, r->prepend_subject);
	if (r->redirect.n) {
		for (size_t i = 0; i < a->nredirect; i++)
			free(a->redirect[i]);
		a->nredirect = 0;
		strs_append(&a->redirect, &a->nredirect, &r->redirect);
	}
	strs_append(&a->add_rcpt, &a->nadd_rcpt, &r->add_rcpt);
	if (r->reject && a->reject == NULL)
		a->reject = xstrdup(r->reject);
	a->delete |= r->delete;
	a->quarantine |= r->quarantine;
	a->require_tls |= r->require_tls;
	a->smime_sign |= r->smime_sign;
	strbuf_addf(&a->fired, "%s%s", a->fired.len ? "," : "", r->name);
}

static char *folded(const char *s, size_t len, size_t *outlen)
{
	char *f = xstrndup(s ? s : "", s ? len : 0);

	*outlen = strlen(f);
	scl_fold(f, *outlen);
	return f;
}

size_t rules_eval(const struct rules *rs, const struct rules_msg *m, struct rules_actions *a,
		  struct strbuf *explain)
{
	struct strbuf why = STRBUF_INIT;
	struct texts t;
	size_t fired = 0, i;

	t.subject = folded(m->subject, m->subject ? strlen(m->subject) : 0, &t.subject_len);
	t.body = folded(m->body, m->body_len, &t.body_len);
	for (i = 0; rs && i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		bool excepted = false;

		strbuf_reset(&why);
		if (!r->enabled) {
			if (explain)
				strbuf_addf(explain, "%s: disabled\n", r->name);
			continue;
		}
		if (r->cond.any && !cond_eval(&r->cond, m, &t, &why)) {
			if (explain)
				strbuf_addf(explain, "%s: not fired (%s)\n", r->name, why.buf);
			continue;
		}
		for (size_t j = 0; j < r->nexc && !excepted; j++) {
			struct strbuf ew = STRBUF_INIT;

			if (cond_eval(&r->exc[j], m, &t, &ew)) {
				excepted = true;
				if (explain)
					strbuf_addf(explain, "%s: excepted (%s)\n", r->name, ew.buf);
			}
			strbuf_release(&ew);
		}
		if (excepted)
			continue;
		if (explain)
			strbuf_addf(explain, "%s: fired (%s)%s\n", r->name,
				    why.len ? why.buf : "always", r->stop ? ", stop" : "");
		apply(r, a);
		fired++;
		if (r->stop)
			break;
	}
	if (explain)
		for (i++; rs && i < rs->n; i++)
			strbuf_addf(explain, "%s: not evaluated (stopped)\n", rs->r[i].name);
	free(t.subject);
	free(t.body);
	strbuf_release(&why);
	return fired;
}
