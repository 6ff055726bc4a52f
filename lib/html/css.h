/* Inline CSS (a style attribute) reduced to an allow-list of properties
 * whose values hold only plain words, numbers, colours and a few harmless
 * functions: no url(), var(), expression(), escapes or comments. */
#ifndef POSTERN_HTML_CSS_H
#define POSTERN_HTML_CSS_H

#include <stddef.h>

#include "util/strbuf.h"

/* Longest style attribute looked at; a longer one is dropped whole. */
#define CSS_STYLE_MAX 8192

/* Appends to out the declarations of s[0..len) that pass, as
 * "prop: value; prop: value" (properties lower-cased, blanks collapsed).
 * Returns the number of declarations kept (0: drop the attribute). */
int css_style_sanitize(const char *s, size_t len, struct strbuf *out);

/* Longest style sheet looked at, and rules kept from one. */
#define CSS_SHEET_MAX (128 * 1024)
#define CSS_RULES_MAX 1000

/* A <style> sheet reduced the same way: rules whose selectors hold only
 * plain selector characters, with their declarations sanitised as above;
 * @media kept with its rules, every other at-rule (@import, @font-face,
 * ...) dropped. Comments are removed; a backslash or "<" anywhere drops
 * the whole sheet. Appends "sel{decls}" rules to out; returns the count. */
int css_sheet_sanitize(const char *s, size_t len, struct strbuf *out);

/* Whether name (lower case) is a property css_style_sanitize keeps. */
int css_property_allowed(const char *name, size_t len);

#endif
