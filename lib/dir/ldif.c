/* LDIF content records (RFC 2849): a line-driven parser with limits on
 * every dimension, and the matching writer. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/base64.h"
#include "dir/ldif.h"

const struct ldif_limits ldif_default_limits = {
	.line_max = 256 * 1024,
	.value_max = 256 * 1024,
	.values_max = 4096,
	.entries_max = 2000000,
	.total_max = (size_t)1 << 30,
};

struct ldif_parser {
	const char *name;
	const struct ldif_limits *lim;
	ldif_entry_fn *fn;
	void *ctx;
	struct strbuf *err;
	struct strbuf logical;	/* the current unfolded line */
	size_t logical_line;	/* where it started */
	bool have_logical;
	bool in_comment;	/* continuation lines belong to a comment */
	bool seen_record;	/* a version line is allowed only before */
	struct dir_entry *entry;	/* the record being read */
	size_t entry_line;
	size_t entries;
	struct strbuf value;	/* decoded value, reused */
};

static int ldif_fail(struct ldif_parser *p, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ldif_fail(struct ldif_parser *p, size_t line, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(p->err);
	strbuf_addf(p->err, "%s:%zu: ", p->name, line);
	va_start(ap, fmt);
	strbuf_vaddf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* AttributeDescription: a name (keystring or numeric OID), then options
 * of letters, digits and hyphens after ';'. */
static bool desc_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
			  (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 1; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && c != '-' && c != '.' && c != ';')
			return false;
		if (c == ';' && (i + 1 == len || s[i + 1] == ';'))
			return false;
	}
	return true;
}

static int record_end(struct ldif_parser *p)
{
	struct dir_entry *e = p->entry;

	if (e == NULL)
		return 0;
	p->entry = NULL;
	if (e->nattrs == 0) {
		dir_entry_free(e);
		return ldif_fail(p, p->entry_line, "entry has no attributes");
	}
	if (++p->entries > p->lim->entries_max) {
		dir_entry_free(e);
		return ldif_fail(p, p->entry_line, "more than %zu entries",
				 p->lim->entries_max);
	}
	if (p->fn(e, p->entry_line, p->ctx, p->err) < 0) {
		if (p->err->len == 0)
			ldif_fail(p, p->entry_line, "entry refused");
		return -1;
	}
	return 0;
}

/* Splits "desc: value", "desc:: base64" into desc and the decoded value
 * in p->value. */
static int line_split(struct ldif_parser *p, size_t line, char **descp)
{
	char *s = p->logical.buf, *colon, *v;
	size_t len = p->logical.len;

	colon = memchr(s, ':', len);
	if (colon == NULL)
		return ldif_fail(p, line, "missing ':' after the attribute name");
	if (!desc_valid(s, (size_t)(colon - s)))
		return ldif_fail(p, line, "bad attribute name %s",
				 colon == s ? "(empty)" : "before ':'");
	*colon = '\0';
	*descp = s;
	v = colon + 1;
	strbuf_reset(&p->value);
	if (*v == '<')
		return ldif_fail(p, line, "URL values (':<') are not supported in '%s'", s);
	if (*v == ':') {
		v++;
		while (*v == ' ')
			v++;
		if (base64_decode(v, len - (size_t)(v - s), &p->value) < 0)
			return ldif_fail(p, line, "bad base64 value of '%s'", s);
		return 0;
	}
	while (*v == ' ')
		v++;
	strbuf_add(&p->value, v, len - (size_t)(v - s));
	return 0;
}

static int record_start(struct ldif_parser *p, size_t line, const char *desc)
{
	const char *v = p->value.buf ? p->value.buf : "";

	if (strcasecmp(desc, "version") == 0 && !p->seen_record) {
		p->seen_record = true;
		if (strcmp(v, "1") != 0)
			return ldif_fail(p, line, "unsupported LDIF version '%s'", v);
		return 0;
	}
	p->seen_record = true;
	if (strcasecmp(desc, "dn") != 0)
		return ldif_fail(p, line, "record starts with '%s:', expected 'dn:'", desc);
	if (p->value.len == 0)
		return ldif_fail(p, line, "empty dn");
	if (memchr(v, '\0', p->value.len) != NULL)
		return ldif_fail(p, line, "NUL byte in dn");
	p->entry = dir_entry_new(v);
	p->entry_line = line;
	return 0;
}

static int record_attr(struct ldif_parser *p, size_t line, const char *desc)
{
	struct dir_entry *e = p->entry;
	const char *v = p->value.buf ? p->value.buf : "";

	if (strcasecmp(desc, "dn") == 0)
		return ldif_fail(p, line, "second 'dn:' in one record (blank line missing?)");
	if (strcasecmp(desc, "control") == 0)
		return ldif_fail(p, line, "controls are not supported (content records only)");
	if (strcasecmp(desc, "changetype") == 0) {
		/* An add record carries the same data as a content record. */
		if (e->nattrs == 0 && strcasecmp(v, "add") == 0)
			return 0;
		return ldif_fail(p, line, "'changetype: %s' is not supported (content "
				 "records only)", v);
	}
	if (dir_entry_nvalues(e) >= p->lim->values_max)
		return ldif_fail(p, line, "more than %zu values in entry '%s'",
				 p->lim->values_max, e->dn);
	dir_entry_add(e, desc, p->value.buf ? p->value.buf : "", p->value.len);
	return 0;
}

static int logical_flush(struct ldif_parser *p)
{
	size_t line = p->logical_line;
	char *desc = NULL;

	if (!p->have_logical)
		return 0;
	p->have_logical = false;
	if (line_split(p, line, &desc) < 0)
		return -1;
	if (p->entry == NULL)
		return record_start(p, line, desc);
	return record_attr(p, line, desc);
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static int physical_line(struct ldif_parser *p, const char *s, size_t len, size_t line)
{
	if (len > p->lim->line_max)
		return ldif_fail(p, line, "line longer than %zu bytes", p->lim->line_max);
	if (memchr(s, '\0', len) != NULL)
		return ldif_fail(p, line, "NUL byte in line");
	if (len > 0 && s[0] == ' ' && (p->have_logical || p->in_comment)) {
		if (p->in_comment)
			return 0;
		if (p->logical.len + len - 1 > p->lim->value_max)
			return ldif_fail(p, p->logical_line, "value longer than %zu bytes",
					 p->lim->value_max);
		strbuf_add(&p->logical, s + 1, len - 1);
		return 0;
	}
	if (logical_flush(p) < 0)
		return -1;
	p->in_comment = false;
	if (blank(s, len))
		return record_end(p);
	if (s[0] == '#') {
		p->in_comment = true;
		return 0;
	}
	if (s[0] == ' ' || s[0] == '\t')
		return ldif_fail(p, line, "line starts with a space but continues nothing");
	strbuf_reset(&p->logical);
	strbuf_add(&p->logical, s, len);
	p->logical_line = line;
	p->have_logical = true;
	return 0;
}

static int ldif_run(struct ldif_parser *p, const char *data, size_t len)
{
	size_t pos = 0, line = 0;

	if (len > p->lim->total_max)
		return ldif_fail(p, 0, "input larger than %zu bytes", p->lim->total_max);
	while (pos < len) {
		const char *s = data + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;

		pos += l + (nl != NULL);
		if (l > 0 && s[l - 1] == '\r')
			l--;
		if (physical_line(p, s, l, ++line) < 0)
			return -1;
	}
	if (logical_flush(p) < 0 || record_end(p) < 0)
		return -1;
	return 0;
}

int ldif_parse(const char *data, size_t len, const char *name,
	       const struct ldif_limits *lim, ldif_entry_fn *fn, void *ctx,
	       struct strbuf *err)
{
	struct ldif_parser p = {
		.name = name, .lim = lim ? lim : &ldif_default_limits,
		.fn = fn, .ctx = ctx, .err = err,
		.logical = STRBUF_INIT, .value = STRBUF_INIT,
	};
	int rc = ldif_run(&p, data, len);

	dir_entry_free(p.entry);
	strbuf_release(&p.logical);
	strbuf_release(&p.value);
	return rc;
}

int ldif_parse_file(const char *path, const struct ldif_limits *lim,
		    ldif_entry_fn *fn, void *ctx, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (lim == NULL)
		lim = &ldif_default_limits;
	if (strbuf_read_file(&sb, path, lim->total_max) < 0) {
		strbuf_reset(err);
		if (errno == EFBIG)
			strbuf_addf(err, "%s: file larger than %zu bytes", path, lim->total_max);
		else
			strbuf_addf(err, "%s: %s", path, strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	rc = ldif_parse(sb.buf ? sb.buf : "", sb.len, path, lim, fn, ctx, err);
	strbuf_release(&sb);
	return rc;
}

/* RFC 2849 SAFE-STRING, restricted to ASCII so the output is plain. */
static bool value_safe(const unsigned char *s, size_t len)
{
	if (len == 0)
		return true;
	if (s[0] == ' ' || s[0] == ':' || s[0] == '<' || s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == 0 || s[i] == '\n' || s[i] == '\r' || s[i] > 126)
			return false;
	return true;
}

static void write_line(struct strbuf *out, const char *desc, const void *v, size_t len)
{
	strbuf_addstr(out, desc);
	if (value_safe(v, len)) {
		strbuf_addstr(out, len ? ": " : ":");
		strbuf_add(out, v, len);
	} else {
		strbuf_addstr(out, ":: ");
		base64_encode(v, len, out);
	}
	strbuf_addch(out, '\n');
}

void ldif_write_entry(struct strbuf *out, const struct dir_entry *e)
{
	write_line(out, "dn", e->dn, strlen(e->dn));
	for (size_t i = 0; i < e->nattrs; i++)
		for (size_t j = 0; j < e->attrs[i].nvals; j++)
			write_line(out, e->attrs[i].name, e->attrs[i].vals[j].data,
				   e->attrs[i].vals[j].len);
	strbuf_addch(out, '\n');
}
