/* Form body parsers (see form.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html/url.h"
#include "util/mem.h"
#include "util/strbuf.h"
#include "form.h"

static struct form_field *field_add(struct form *f, const char **why)
{
	if (f->n >= FORM_FIELDS_MAX) {
		*why = "too many fields";
		return NULL;
	}
	f->f = xrealloc(f->f, (f->n + 1) * sizeof(*f->f));
	memset(&f->f[f->n], 0, sizeof(f->f[0]));
	return &f->f[f->n++];
}

int form_parse_urlencoded(const char *body, size_t len, struct form *f, const char **why)
{
	size_t i = 0;

	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + i, '=', end - i);
		size_t nend = eq ? (size_t)(eq - body) : end;
		struct strbuf n = STRBUF_INIT, v = STRBUF_INIT;
		struct form_field *ff;

		if (end > i) {
			if (nend - i > FORM_NAME_MAX || url_decode(&n, body + i, nend - i) < 0 ||
			    (eq && url_decode(&v, eq + 1, end - nend - 1) < 0)) {
				strbuf_release(&n);
				strbuf_release(&v);
				*why = "bad field encoding";
				return -1;
			}
			if ((ff = field_add(f, why)) == NULL) {
				strbuf_release(&n);
				strbuf_release(&v);
				return -1;
			}
			ff->name = n.buf ? strbuf_detach(&n, NULL) : xstrdup("");
			ff->len = v.len;
			ff->value = v.buf ? strbuf_detach(&v, NULL) : xstrdup("");
		}
		i = end + 1;
	}
	return 0;
}

/* A parameter of a header value ("form-data; name=\"a\""), unquoted
 * (backslash escapes kept out), into out; 0 if found. */
static int param_get(const char *v, size_t len, const char *name, struct strbuf *out)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		const char *semi = memchr(v + i, ';', len - i);

		if (semi == NULL)
			return -1;
		i = (size_t)(semi - v) + 1;
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (len - i > nl && strncasecmp(v + i, name, nl) == 0 && v[i + nl] == '=') {
			i += nl + 1;
			strbuf_reset(out);
			if (i < len && v[i] == '"') {
				for (i++; i < len && v[i] != '"'; i++) {
					if (v[i] == '\\' && i + 1 < len)
						i++;
					strbuf_addch(out, v[i]);
				}
				return i < len ? 0 : -1;
			}
			while (i < len && v[i] != ';' && v[i] != ' ' && v[i] != '\t')
				strbuf_addch(out, v[i++]);
			return 0;
		}
	}
	return -1;
}

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return nlen <= hlen ? memmem(hay, hlen, needle, nlen) : NULL;
}

/* One part's header block h[0..len): name, filename, type. */
static int part_headers(const char *h, size_t len, struct form_field *ff, const char **why)
{
	struct strbuf v = STRBUF_INIT;
	size_t i = 0;
	int have_name = 0;

	while (i < len) {
		const char *eol = find(h + i, len - i, "\r\n", 2);
		size_t end = eol ? (size_t)(eol - h) : len;
		const char *line = h + i, *colon = memchr(line, ':', end - i);

		if (colon && (size_t)(colon - line) == 19 &&
		    strncasecmp(line, "Content-Disposition", 19) == 0) {
			size_t vlen = end - i - 20;

			if (param_get(colon + 1, vlen, "name", &v) == 0 && v.len <= FORM_NAME_MAX) {
				free(ff->name);
				ff->name = xstrdup(v.buf ? v.buf : "");
				have_name = 1;
			}
			if (param_get(colon + 1, vlen, "filename", &v) == 0) {
				free(ff->filename);
				ff->filename = xstrndup(v.buf ? v.buf : "", 255);
			}
		} else if (colon && (size_t)(colon - line) == 12 &&
			   strncasecmp(line, "Content-Type", 12) == 0) {
			const char *t = colon + 1;
			size_t tl = (size_t)(h + end - t);

			while (tl > 0 && (*t == ' ' || *t == '\t'))
				t++, tl--;
			free(ff->type);
			ff->type = xstrndup(t, tl > 127 ? 127 : tl);
		}
		i = end + 2;
	}
	strbuf_release(&v);
	if (!have_name) {
		*why = "a part without a name";
		return -1;
	}
	return 0;
}

int form_parse_multipart(const char *ctype, const char *body, size_t len, struct form *f,
			 const char **why)
{
	struct strbuf b = STRBUF_INIT, delim = STRBUF_INIT;
	const char *p, *end = body + len;
	int rc = -1;

	if (param_get(ctype, strlen(ctype), "boundary", &b) < 0 || b.len == 0 || b.len > 70) {
		*why = "no boundary";
		goto out;
	}
	strbuf_addstr(&delim, "\r\n--");
	strbuf_add(&delim, b.buf, b.len);
	/* The first delimiter may start the body without its CRLF. */
	if (len >= delim.len - 2 && memcmp(body, delim.buf + 2, delim.len - 2) == 0)
		p = body + delim.len - 2;
	else if ((p = find(body, len, delim.buf, delim.len)) != NULL)
		p += delim.len;
	else {
		*why = "no first boundary";
		goto out;
	}
	for (;;) {
		const char *hend, *next;
		struct form_field *ff;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			rc = 0;
			break;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			*why = "bad boundary line";
			break;
		}
		p += 2;
		hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (p + 2 <= end && p[0] == '\r' && p[1] == '\n')
			hend = p - 2;	/* no header fields */
		if (hend == NULL || hend + 4 - p > FORM_PART_HEADER_MAX) {
			*why = "part header too long or cut";
			break;
		}
		if ((ff = field_add(f, why)) == NULL)
			break;
		if (hend > p && part_headers(p, (size_t)(hend - p), ff, why) < 0)
			break;
		if (ff->name == NULL) {
			*why = "a part without a name";
			break;
		}
		p = hend + 4;
		next = find(p, (size_t)(end - p), delim.buf, delim.len);
		if (next == NULL) {
			*why = "part not closed";
			break;
		}
		ff->len = (size_t)(next - p);
		ff->value = xmalloc(ff->len + 1);
		memcpy(ff->value, p, ff->len);
		ff->value[ff->len] = 0;
		p = next + delim.len;
	}
out:
	strbuf_release(&b);
	strbuf_release(&delim);
	return rc;
}

int form_parse(const char *ctype, const char *body, size_t len, struct form *f, const char **why)
{
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (ctype && strncasecmp(ctype, "multipart/form-data", 19) == 0)
		rc = form_parse_multipart(ctype, body, len, f, why);
	else if (ctype == NULL || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
		rc = form_parse_urlencoded(body, len, f, why);
	else
		*why = "unknown form type";
	/* Nothing half-parsed reaches a handler. */
	if (rc < 0)
		form_free(f);
	return rc;
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->f[i].filename == NULL && f->f[i].name && strcmp(f->f[i].name, name) == 0)
			return f->f[i].value;
	return NULL;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->f[i].name);
		free(f->f[i].filename);
		free(f->f[i].type);
		free(f->f[i].value);
	}
	free(f->f);
	memset(f, 0, sizeof(*f));
}
