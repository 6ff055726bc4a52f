/* SPF macro strings (RFC 7208 section 7): one walker serves the syntax
 * check (ctx NULL) and the expansion. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spf/spf_macro.h"

#define PARTS_MAX 128		/* parts of a value split on delimiters */

static bool is_delim(int c)
{
	return c && strchr(".-+,/_=", c) != NULL;
}

/* The value of macro letter c (lower case). */
static void macro_value(int c, const struct spf_macro_ctx *ctx, struct strbuf *v)
{
	char buf[64];

	switch (c) {
	case 's': strbuf_addstr(v, ctx->sender); break;
	case 'l': strbuf_addstr(v, ctx->local); break;
	case 'o': strbuf_addstr(v, ctx->sender_domain); break;
	case 'd': strbuf_addstr(v, ctx->domain); break;
	case 'h': strbuf_addstr(v, ctx->helo); break;
	case 'r': strbuf_addstr(v, ctx->receiver ? ctx->receiver : "unknown"); break;
	case 't': strbuf_addf(v, "%lld", (long long)ctx->now); break;
	case 'v': strbuf_addstr(v, ctx->family == AF_INET ? "in-addr" : "ip6"); break;
	case 'p': strbuf_addstr(v, ctx->ptr_name ? ctx->ptr_name(ctx->ptr_arg) : "unknown"); break;
	case 'c':
		inet_ntop(ctx->family, ctx->addr, buf, sizeof(buf));
		strbuf_addstr(v, buf);
		break;
	case 'i':
		if (ctx->family == AF_INET) {
			inet_ntop(AF_INET, ctx->addr, buf, sizeof(buf));
			strbuf_addstr(v, buf);
			break;
		}
		/* IPv6: dot-separated nibbles (7.3). */
		for (int k = 0; k < 16; k++)
			strbuf_addf(v, "%s%x.%x", k ? "." : "", ctx->addr[k] >> 4, ctx->addr[k] & 15);
		break;
	}
}

/* Applies the transformers to value: split on delims, reverse, keep the
 * rightmost keep parts (0: all), join with dots; escape when upper. */
static void transform(const char *value, const char *delims, bool reverse, long keep,
		      bool upper, struct strbuf *out)
{
	const char *part[PARTS_MAX];
	size_t plen[PARTS_MAX], n = 0, first;
	const char *p = value, *q;

	for (;;) {
		q = p;
		while (*q && !strchr(delims, *q))
			q++;
		if (n < PARTS_MAX) {
			part[n] = p;
			plen[n++] = (size_t)(q - p);
		}
		if (!*q)
			break;
		p = q + 1;
	}
	if (reverse)
		for (size_t a = 0, b = n - 1; a < b; a++, b--) {
			const char *tp = part[a];
			size_t tl = plen[a];

			part[a] = part[b], plen[a] = plen[b];
			part[b] = tp, plen[b] = tl;
		}
	first = keep > 0 && (size_t)keep < n ? n - (size_t)keep : 0;
	for (size_t k = first; k < n; k++) {
		if (k > first)
			strbuf_addch(out, '.');
		for (size_t j = 0; j < plen[k]; j++) {
			unsigned char ch = (unsigned char)part[k][j];

			if (upper && !isalnum(ch) && !strchr("-._~", ch))
				strbuf_addf(out, "%%%02X", ch);
			else
				strbuf_addch(out, ch);
		}
	}
}

/* Parses "%{...}" at p (just past "%{"); returns the end past '}' or NULL. */
static const char *macro_expand_one(const char *p, const struct spf_macro_ctx *ctx, bool exp,
				    struct strbuf *out, const char **why)
{
	char delims[8] = "", *dp = delims;
	int letter = (unsigned char)*p, lower = tolower(letter);
	long keep = 0;
	bool reverse = false;

	if (!lower || !strchr("slodiphcrtv", lower)) {
		*why = "unknown macro letter";
		return NULL;
	}
	if (!exp && strchr("crt", lower)) {
		*why = "macro letters c, r, t are for exp= only";
		return NULL;
	}
	p++;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p)) {
			keep = keep * 10 + (*p++ - '0');
			if (keep > 128) {
				*why = "macro digit transformer too large";
				return NULL;
			}
		}
		if (keep == 0) {
			*why = "macro digit transformer of zero";
			return NULL;
		}
	}
	if (*p == 'r' || *p == 'R')
		reverse = true, p++;
	while (is_delim(*p)) {
		if (!strchr(delims, *p) && dp < delims + sizeof(delims) - 1)
			*dp++ = *p;
		p++;
	}
	if (*p != '}') {
		*why = "malformed macro";
		return NULL;
	}
	if (ctx) {
		struct strbuf v = STRBUF_INIT;

		macro_value(lower, ctx, &v);
		transform(v.buf ? v.buf : "", delims[0] ? delims : ".", reverse, keep,
			  isupper(letter), out);
		strbuf_release(&v);
	}
	return p + 1;
}

static int macro_walk(const char *spec, const struct spf_macro_ctx *ctx, bool exp,
		      struct strbuf *out, const char **why)
{
	for (const char *p = spec; *p; ) {
		unsigned char c = (unsigned char)*p;

		if (c != '%') {
			/* macro-literal: visible ASCII, and space in exp text */
			if (c < 0x21 || c > 0x7e) {
				if (!(exp && c == ' ')) {
					*why = "character not allowed in a macro string";
					return -1;
				}
			}
			if (ctx)
				strbuf_addch(out, c);
			p++;
		} else if (p[1] == '%' || p[1] == '_' || p[1] == '-') {
			if (ctx)
				strbuf_addstr(out, p[1] == '%' ? "%" : p[1] == '_' ? " " : "%20");
			p += 2;
		} else if (p[1] == '{') {
			p = macro_expand_one(p + 2, ctx, exp, out, why);
			if (!p)
				return -1;
		} else {
			*why = "'%' not followed by '%', '_', '-' or '{'";
			return -1;
		}
		if (ctx && out->len > SPF_EXPAND_MAX) {
			*why = "macro expansion too long";
			return -1;
		}
	}
	return 0;
}

int spf_macro_check(const char *spec, bool exp, const char **why)
{
	return macro_walk(spec, NULL, exp, NULL, why);
}

int spf_macro_expand(const char *spec, const struct spf_macro_ctx *ctx, bool exp,
		     struct strbuf *out, const char **why)
{
	return macro_walk(spec, ctx, exp, out, why);
}

void spf_macro_truncate(struct strbuf *name)
{
	size_t cut = 0;

	if (name->len && name->buf[name->len - 1] == '.')
		strbuf_setlen(name, name->len - 1);
	while (name->len - cut > 253) {
		const char *dot = memchr(name->buf + cut, '.', name->len - cut);

		if (!dot) {
			cut = name->len;
			break;
		}
		cut = (size_t)(dot - name->buf) + 1;
	}
	if (cut) {
		memmove(name->buf, name->buf + cut, name->len - cut);
		strbuf_setlen(name, name->len - cut);
	}
}
