/* Content-Type and Content-Disposition values: the token, then parameters
 * with quoted strings, comments, RFC 2231 continuations and charsets, and
 * the RFC 2047 words broken mailers put in file names. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/charset.h"
#include "mail/defect.h"
#include "mail/mime_int.h"
#include "mail/rfc2047.h"
#include "util/mem.h"
#include "util/pct.h"

/* Pieces kept per header; more are dropped (MIME_D_BAD_PARAM). */
#define PIECES_MAX 128
#define SECTION_MAX 999

struct piece {
	char *name;		/* lowercased, suffix removed */
	int section;		/* -1: none */
	int extended;		/* "*" at the end */
	struct strbuf value;	/* unquoted */
	int used;
};

struct cursor {
	const char *s;
	size_t i, len;
	unsigned defects;
};

static int in(const char *set, char ch)
{
	return ch && strchr(set, ch);
}

static void skip_cfws(struct cursor *c)
{
	while (c->i < c->len) {
		char ch = c->s[c->i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			c->i++;
		} else if (ch == '(') {
			int depth = 0;

			/* Nested comments, bounded by the value's end. */
			for (; c->i < c->len; c->i++) {
				if (c->s[c->i] == '\\' && c->i + 1 < c->len)
					c->i++;
				else if (c->s[c->i] == '(')
					depth++;
				else if (c->s[c->i] == ')' && --depth == 0)
					break;
			}
			if (c->i < c->len)
				c->i++;
		} else {
			break;
		}
	}
}

/* Reads text up to one of stop (outside comments and quotes), blanks and
 * comments dropped, into out. */
static void read_token(struct cursor *c, const char *stop, struct strbuf *out)
{
	for (;;) {
		skip_cfws(c);
		if (c->i >= c->len || in(stop, c->s[c->i]))
			return;
		while (c->i < c->len && !in(stop, c->s[c->i]) && !in(" \t\r\n(", c->s[c->i]))
			strbuf_addch(out, c->s[c->i++]);
	}
}

static void read_quoted(struct cursor *c, struct strbuf *out)
{
	c->i++;
	while (c->i < c->len && c->s[c->i] != '"') {
		if (c->s[c->i] == '\\' && c->i + 1 < c->len)
			c->i++;
		strbuf_addch(out, c->s[c->i++]);
	}
	if (c->i < c->len)
		c->i++;
	else
		c->defects |= MIME_D_BAD_PARAM;
}

/* An unquoted value: up to ';', trailing blanks dropped (broken mailers
 * leave blanks in unquoted file names). */
static void read_value(struct cursor *c, struct strbuf *out)
{
	skip_cfws(c);
	if (c->i < c->len && c->s[c->i] == '"') {
		read_quoted(c, out);
		skip_cfws(c);
		return;
	}
	while (c->i < c->len && c->s[c->i] != ';') {
		if (c->s[c->i] == '"') {
			read_quoted(c, out);
			continue;
		}
		strbuf_addch(out, c->s[c->i++]);
	}
	strbuf_rtrim(out);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)ascii_lower((unsigned char)*s);
}

/* "name*2*" into name, section 2, extended. */
static void split_name(struct piece *p, struct strbuf *name)
{
	char *star = strchr(name->buf, '*');

	p->section = -1;
	p->extended = 0;
	if (star) {
		char *q = star + 1;

		if (isdigit((unsigned char)*q)) {
			long n = strtol(q, &q, 10);

			p->section = n > SECTION_MAX ? SECTION_MAX + 1 : (int)n;
		}
		if (*q == '*') {
			p->extended = 1;
			q++;
		}
		if (*q == 0)
			*star = 0;
		else
			p->section = -1, p->extended = 0;
	}
	lower(name->buf);
	p->name = strbuf_detach(name, NULL);
}

/* Joins the RFC 2231 sections of name in order, decoding extended ones
 * with the charset of the first. */
static unsigned join_2231(struct piece *pc, unsigned n, const char *name, struct strbuf *out)
{
	struct strbuf bytes = STRBUF_INIT;
	char charset[65] = "";
	unsigned defects = 0;
	int want = 0, first = 1;

	for (;;) {
		unsigned j;

		for (j = 0; j < n; j++)
			if (!pc[j].used && strcmp(pc[j].name, name) == 0 &&
			    (pc[j].section == want || (want == 0 && pc[j].section < 0)))
				break;
		if (j == n)
			break;
		pc[j].used = 1;
		if (pc[j].extended) {
			const char *v = pc[j].value.len ? pc[j].value.buf : "", *q1, *q2;
			size_t vl = pc[j].value.len;

			if (first && (q1 = memchr(v, '\'', vl)) &&
			    (q2 = memchr(q1 + 1, '\'', vl - (size_t)(q1 + 1 - v)))) {
				size_t cl = (size_t)(q1 - v);

				if (cl < sizeof(charset)) {
					memcpy(charset, v, cl);
					charset[cl] = 0;
				}
				vl -= (size_t)(q2 + 1 - v);
				v = q2 + 1;
			} else if (first) {
				defects |= MIME_D_BAD_PARAM;
			}
			if (pct_decode(&bytes, v, vl, 0) > 0)
				defects |= MIME_D_BAD_PARAM;
		} else if (pc[j].value.len) {
			strbuf_add(&bytes, pc[j].value.buf, pc[j].value.len);
		}
		first = 0;
		if (pc[j].section < 0 || ++want > SECTION_MAX)
			break;
	}
	/* Sections left over: a gap or a duplicate. */
	for (unsigned j = 0; j < n; j++)
		if (!pc[j].used && strcmp(pc[j].name, name) == 0 &&
		    (pc[j].section >= 0 || pc[j].extended))
			defects |= MIME_D_BAD_PARAM, pc[j].used = 1;
	defects |= charset_to_utf8(charset[0] ? charset : NULL, bytes.buf, bytes.len, out);
	strbuf_release(&bytes);
	return defects;
}

static int has_2231(const struct piece *pc, unsigned n, const char *name)
{
	for (unsigned j = 0; j < n; j++)
		if (strcmp(pc[j].name, name) == 0 && (pc[j].section >= 0 || pc[j].extended))
			return 1;
	return 0;
}

static unsigned assemble(struct piece *pc, unsigned n, struct mime_param **params,
			 unsigned *nparams)
{
	unsigned defects = 0, k = 0;

	*params = n ? xcalloc(n, sizeof(**params)) : NULL;
	for (unsigned j = 0; j < n; j++) {
		struct strbuf v = STRBUF_INIT;
		struct piece *p = &pc[j];

		if (p->used)
			continue;
		if (has_2231(pc, n, p->name)) {
			/* The RFC 2231 form wins over a plain one. */
			for (unsigned x = 0; x < n; x++)
				if (strcmp(pc[x].name, p->name) == 0 && pc[x].section < 0 &&
				    !pc[x].extended)
					pc[x].used = 1;
			defects |= join_2231(pc, n, p->name, &v);
		} else {
			p->used = 1;
			defects |= rfc2047_decode(p->value.len ? p->value.buf : "", p->value.len, &v);
		}
		(*params)[k].name = xstrdup(p->name);
		(*params)[k].value_len = v.len;
		(*params)[k].value = strbuf_detach(&v, NULL);
		k++;
	}
	*nparams = k;
	return defects;
}

unsigned mime_params_parse(const char *value, size_t len, char **token,
			   struct mime_param **params, unsigned *nparams)
{
	struct cursor c = { value, 0, len, 0 };
	struct strbuf tok = STRBUF_INIT;
	struct piece *pc = NULL;
	unsigned n = 0;
	size_t alloc = 0;

	read_token(&c, ";", &tok);
	*token = strbuf_detach(&tok, NULL);
	lower(*token);
	while (c.i < c.len) {
		struct strbuf name = STRBUF_INIT;

		c.i++;		/* the ';' */
		read_token(&c, ";=", &name);
		if (c.i >= c.len || c.s[c.i] != '=') {
			if (name.len)
				c.defects |= MIME_D_BAD_PARAM;
			strbuf_release(&name);
			continue;
		}
		c.i++;
		if (!name.len || n >= PIECES_MAX) {
			struct strbuf junk = STRBUF_INIT;

			c.defects |= MIME_D_BAD_PARAM;
			read_value(&c, &junk);
			strbuf_release(&junk);
			strbuf_release(&name);
			continue;
		}
		xgrow((void **)&pc, &alloc, n + 1, sizeof(*pc));
		memset(&pc[n], 0, sizeof(pc[n]));
		split_name(&pc[n], &name);
		read_value(&c, &pc[n].value);
		n++;
		skip_cfws(&c);
		while (c.i < c.len && c.s[c.i] != ';')
			c.i++, c.defects |= MIME_D_BAD_PARAM;
	}
	c.defects |= assemble(pc, n, params, nparams);
	for (unsigned j = 0; j < n; j++) {
		free(pc[j].name);
		strbuf_release(&pc[j].value);
	}
	free(pc);
	return c.defects;
}

void mime_params_free(struct mime_param *params, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
}
