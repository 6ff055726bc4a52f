/* The style attribute sanitiser: split into declarations, keep a property
 * only from the allow-list and a value only if every character and every
 * function in it is on a second allow-list. Backslashes are refused
 * outright, so no escape can spell url( or expression( in disguise. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "html/css.h"

static const char *const props[] = {
	"background-color", "border", "border-bottom", "border-bottom-color",
	"border-bottom-left-radius", "border-bottom-right-radius",
	"border-bottom-style", "border-bottom-width", "border-collapse",
	"border-color", "border-left", "border-left-color", "border-left-style",
	"border-left-width", "border-radius", "border-right",
	"border-right-color", "border-right-style", "border-right-width",
	"border-spacing", "border-style", "border-top", "border-top-color",
	"border-top-left-radius", "border-top-right-radius", "border-top-style",
	"border-top-width", "border-width", "caption-side", "clear", "color",
	"direction", "display", "float", "font", "font-family", "font-size",
	"font-style", "font-variant", "font-weight", "height", "letter-spacing",
	"line-height", "list-style-position", "list-style-type", "margin",
	"margin-bottom", "margin-left", "margin-right", "margin-top",
	"max-height", "max-width", "min-height", "min-width", "overflow",
	"overflow-wrap", "padding", "padding-bottom", "padding-left",
	"padding-right", "padding-top", "table-layout", "text-align",
	"text-decoration", "text-decoration-color", "text-decoration-line",
	"text-decoration-style", "text-indent", "text-transform",
	"unicode-bidi", "vertical-align", "white-space", "width", "word-break",
	"word-spacing", "word-wrap",
};

/* Functions a value may call; every other name followed by "(" (url,
 * var, expression, attr, image-set, env, ...) drops the declaration. */
static const char *const funcs[] = { "rgb", "rgba", "hsl", "hsla", "calc" };

/* display values that cannot lift content out of the frame's flow. */
static const char *const displays[] = {
	"block", "inline", "inline-block", "none", "table", "table-cell",
	"table-row", "table-row-group", "table-header-group",
	"table-footer-group", "table-column", "table-caption", "list-item",
	"flex", "inline-flex",
};

static int in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
			return 1;
	return 0;
}

int css_property_allowed(const char *name, size_t len)
{
	return in_list(props, sizeof(props) / sizeof(props[0]), name, len);
}

static int value_char_ok(unsigned char c)
{
	return isalnum(c) || strchr(" #%.,()+-_!/'\"*", c) != NULL;
}

/* Checks v[0..len) (already trimmed) and appends it with blanks
 * collapsed. Returns 0 if it passes, -1 to drop the declaration. */
static int value_check(const char *v, size_t len, struct strbuf *out)
{
	size_t start = out->len;
	int depth = 0, blank = 0;
	char quote = 0;

	if (len == 0 || len > 512)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\t' || c == '\n' || c == '\r' || c == '\f')
			c = ' ';
		if (!value_char_ok(c))
			goto bad;
		if (c == '/' && i + 1 < len && v[i + 1] == '*')
			goto bad;
		if (quote) {
			/* A quoted font name: letters, digits, blanks, '-' only. */
			if (c == (unsigned char)quote)
				quote = 0;
			else if (!isalnum(c) && c != ' ' && c != '-' && c != '_')
				goto bad;
			strbuf_addch(out, c);
			continue;
		}
		if (c == '"' || c == '\'') {
			quote = (char)c;
		} else if (c == '(') {
			size_t j = i;

			while (j > 0 && (isalnum((unsigned char)v[j - 1]) || v[j - 1] == '-'))
				j--;
			/* A bare "(" only inside calc(); else a known name. */
			if (j == i ? depth == 0 : !in_list(funcs, 5, v + j, i - j))
				goto bad;
			if (++depth > 4)
				goto bad;
		} else if (c == ')') {
			if (--depth < 0)
				goto bad;
		}
		if (c == ' ') {
			blank = 1;
			continue;
		}
		if (blank && out->len > start)
			strbuf_addch(out, ' ');
		blank = 0;
		strbuf_addch(out, (int)tolower(c));
	}
	if (quote || depth != 0)
		goto bad;
	return 0;
bad:
	strbuf_setlen(out, start);
	return -1;
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* One "name: value" declaration; appends it if it passes. */
static int decl_add(const char *d, size_t len, struct strbuf *out)
{
	const char *colon = memchr(d, ':', len), *name = d, *val;
	size_t nlen, vlen, mark = out->len;
	char lname[40];

	if (colon == NULL)
		return 0;
	nlen = (size_t)(colon - d);
	val = colon + 1;
	vlen = len - nlen - 1;
	trim(&name, &nlen);
	trim(&val, &vlen);
	if (nlen == 0 || nlen >= sizeof(lname))
		return 0;
	for (size_t i = 0; i < nlen; i++) {
		if (!isalpha((unsigned char)name[i]) && name[i] != '-')
			return 0;
		lname[i] = (char)tolower((unsigned char)name[i]);
	}
	lname[nlen] = '\0';
	if (!css_property_allowed(lname, nlen))
		return 0;
	if (mark > 0)
		strbuf_addstr(out, "; ");
	strbuf_add(out, lname, nlen);
	strbuf_addstr(out, ": ");
	if (value_check(val, vlen, out) < 0) {
		strbuf_setlen(out, mark);
		return 0;
	}
	if (strcmp(lname, "display") == 0) {
		const char *got = out->buf + mark + (mark > 0 ? 2 : 0) + nlen + 2;
		size_t glen = out->len - (size_t)(got - out->buf);

		if (glen > 11 && strcmp(out->buf + out->len - 11, " !important") == 0)
			glen -= 11;
		if (!in_list(displays, sizeof(displays) / sizeof(displays[0]), got, glen)) {
			strbuf_setlen(out, mark);
			return 0;
		}
	}
	return 1;
}

int css_style_sanitize(const char *s, size_t len, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t start = 0;
	int kept = 0, depth = 0;
	char quote = 0;

	if (len > CSS_STYLE_MAX || memchr(s, '\\', len) != NULL)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : ';';

		if (quote) {
			if (c == quote)
				quote = 0;
			else if (i == len)
				break;
			continue;
		}
		if (c == '"' || c == '\'')
			quote = c;
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (c == ';' && (depth == 0 || i == len)) {
			kept += decl_add(s + start, i - start, &tmp);
			start = i + 1;
		}
	}
	if (kept > 0)
		strbuf_add(out, tmp.buf, tmp.len);
	strbuf_release(&tmp);
	return kept;
}

/* Style sheets. */
struct sheet {
	const char *s;
	size_t len, i;
	int rules;
};

/* Skips a block from its "{" to the matching "}" (quotes respected). */
static void block_skip(struct sheet *sh)
{
	int depth = 0;
	char quote = 0;

	for (; sh->i < sh->len; sh->i++) {
		char c = sh->s[sh->i];

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '{') {
			depth++;
		} else if (c == '}' && --depth <= 0) {
			sh->i++;
			return;
		}
	}
}

static int selector_ok(const char *p, size_t n)
{
	if (n == 0 || n > 1024)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!isalnum(c) && !strchr(" \t\n\r\f-_.#,>+~*:()[]=\"'^$|", c))
			return 0;
	}
	return 1;
}

static void collapse(struct strbuf *out, const char *p, size_t n)
{
	int blank = 0;
	size_t start = out->len;

	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)p[i])) {
			blank = 1;
			continue;
		}
		if (blank && out->len > start)
			strbuf_addch(out, ' ');
		blank = 0;
		strbuf_addch(out, p[i]);
	}
}

static void rules(struct sheet *sh, struct strbuf *out, int depth);

/* One rule or at-rule starting at sh->i. */
static void rule(struct sheet *sh, struct strbuf *out, int depth)
{
	size_t start = sh->i, end;
	char quote = 0;

	while (sh->i < sh->len) {
		char c = sh->s[sh->i];

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '{' || c == ';' || c == '}') {
			break;
		}
		sh->i++;
	}
	end = sh->i;
	if (sh->i >= sh->len)
		return;
	if (sh->s[sh->i] == ';' || sh->s[sh->i] == '}') {
		sh->i++;	/* a statement at-rule (@import) or stray text */
		return;
	}
	while (start < end && isspace((unsigned char)sh->s[start]))
		start++;
	if (sh->s[start] == '@') {
		size_t mark = out->len;

		if (depth == 0 && end - start > 6 && strncasecmp(sh->s + start, "@media", 6) == 0 &&
		    isspace((unsigned char)sh->s[start + 6])) {
			const char *q = sh->s + start + 7;
			size_t qn = end - start - 7;

			for (size_t k = 0; k < qn; k++)
				if (!isalnum((unsigned char)q[k]) && !strchr(" \t\n\r\f():,-.", q[k])) {
					block_skip(sh);
					return;
				}
			strbuf_addstr(out, "@media ");
			collapse(out, q, qn);
			strbuf_addch(out, '{');
			sh->i++;
			{
				size_t inner = out->len;

				rules(sh, out, depth + 1);
				if (out->len == inner)
					strbuf_setlen(out, mark);	/* nothing kept */
				else
					strbuf_addch(out, '}');
			}
			return;
		}
		block_skip(sh);
		return;
	}
	{
		size_t sel_b = start, sel_e = end, body_b, mark = out->len;
		struct strbuf decls = STRBUF_INIT;

		while (sel_e > sel_b && isspace((unsigned char)sh->s[sel_e - 1]))
			sel_e--;
		body_b = ++sh->i;
		quote = 0;
		while (sh->i < sh->len && (quote || sh->s[sh->i] != '}')) {
			char c = sh->s[sh->i];

			if (quote && c == quote)
				quote = 0;
			else if (!quote && (c == '"' || c == '\''))
				quote = c;
			else if (!quote && c == '{')
				break;	/* nested blocks are not declarations */
			sh->i++;
		}
		if (sh->i >= sh->len || sh->s[sh->i] != '}') {
			sh->i = body_b - 1;
			block_skip(sh);
			return;
		}
		if (selector_ok(sh->s + sel_b, sel_e - sel_b) && sh->rules < CSS_RULES_MAX &&
		    css_style_sanitize(sh->s + body_b, sh->i - body_b, &decls) > 0) {
			collapse(out, sh->s + sel_b, sel_e - sel_b);
			strbuf_addch(out, '{');
			strbuf_add(out, decls.buf, decls.len);
			strbuf_addch(out, '}');
			sh->rules++;
		} else {
			strbuf_setlen(out, mark);
		}
		strbuf_release(&decls);
		sh->i++;
	}
}

static void rules(struct sheet *sh, struct strbuf *out, int depth)
{
	while (sh->i < sh->len) {
		while (sh->i < sh->len && isspace((unsigned char)sh->s[sh->i]))
			sh->i++;
		if (sh->i >= sh->len)
			return;
		if (sh->s[sh->i] == '}') {
			if (depth > 0) {
				sh->i++;
				return;
			}
			sh->i++;
			continue;
		}
		rule(sh, out, depth);
	}
}

int css_sheet_sanitize(const char *s, size_t len, struct strbuf *out)
{
	struct strbuf clean = STRBUF_INIT;
	struct sheet sh;

	if (len > CSS_SHEET_MAX || memchr(s, '\\', len) || memchr(s, '<', len) || memchr(s, '&', len))
		return 0;
	/* Comments out first (an unclosed one runs to the end). */
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *e = memmem(s + i + 2, len - i - 2, "*/", 2);

			if (e == NULL)
				break;
			i = (size_t)(e - s) + 1;
			strbuf_addch(&clean, ' ');
			continue;
		}
		strbuf_addch(&clean, s[i]);
	}
	sh.s = clean.buf ? clean.buf : "";
	sh.len = clean.len;
	sh.i = 0;
	sh.rules = 0;
	rules(&sh, out, 0);
	strbuf_release(&clean);
	return sh.rules;
}
