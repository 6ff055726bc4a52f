/* Address lists of header fields to addr-specs, and the normal form of an
 * address that safelist hashes are made of. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mail/ascii.h"
#include "mail/address.h"
#include "mail/rfc2047.h"
#include "util/mem.h"

#define ADDR_LIST_MAX_DEFAULT 100

/* Where one mailbox of the list ends: the next ',' or ';' outside quotes,
 * comments and angle brackets. *group is set to just past a top-level ':'
 * that opens a group ("friends: a@b, c@d;"). */
static size_t segment_end(const char *s, size_t i, size_t len, size_t *group)
{
	int quote = 0, angle = 0, comment = 0;
	const char *gt = memrchr(s + i, '>', len - i);
	/* A '<' never closed is text, not the start of an address. */
	size_t last_gt = gt ? (size_t)(gt - s) : 0;

	*group = (size_t)-1;
	for (; i < len; i++) {
		char c = s[i];

		if (c == '\\' && (quote || comment) && i + 1 < len) {
			i++;
		} else if (quote) {
			quote = c != '"';
		} else if (comment) {
			comment += c == '(' ? 1 : c == ')' ? -1 : 0;
		} else if (c == '"') {
			quote = 1;
		} else if (c == '(') {
			comment = 1;
		} else if (c == '<' && i < last_gt) {
			angle = 1;
		} else if (c == '>') {
			angle = 0;
		} else if (!angle && (c == ',' || c == ';')) {
			break;
		} else if (!angle && c == ':' && *group == (size_t)-1) {
			*group = i + 1;
		}
	}
	return i;
}

/* Copies s[a..b) without comments and blanks; quoted strings kept with
 * their quotes, or their content only when unquote is set. */
static void strip(const char *s, size_t a, size_t b, int unquote, int keep_space,
		  struct strbuf *out)
{
	int quote = 0, comment = 0;

	for (size_t i = a; i < b; i++) {
		char c = s[i];

		if (comment) {
			if (c == '\\' && i + 1 < b)
				i++;
			else
				comment += c == '(' ? 1 : c == ')' ? -1 : 0;
			continue;
		}
		if (c == '"') {
			quote = !quote;
			if (!unquote)
				strbuf_addch(out, c);
			continue;
		}
		if (quote) {
			if (c == '\\' && i + 1 < b) {
				if (!unquote)
					strbuf_addch(out, c);
				c = s[++i];
			}
			strbuf_addch(out, c);
		} else if (c == '(') {
			comment = 1;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (keep_space && out->len && out->buf[out->len - 1] != ' ')
				strbuf_addch(out, ' ');
		} else {
			strbuf_addch(out, c);
		}
	}
	strbuf_rtrim(out);
}

/* A comment's text ("joe@x (Joe Bloggs)"), for a display name. */
static int comment_text(const char *s, size_t a, size_t b, struct strbuf *out)
{
	const char *o = memchr(s + a, '(', b - a), *c;

	if (!o || !(c = memchr(o, ')', (size_t)(s + b - o))) || c - o < 2)
		return -1;
	strbuf_add(out, o + 1, (size_t)(c - o - 1));
	return 0;
}

/* "local@domain" (the local part up to a NUL, as "%.*s" took it), without
 * printf: scl-score parses addresses in every process, where printf's
 * code is pages of the C library to fault in. */
static char *join_at(const char *local, size_t ll, const char *domain)
{
	size_t dl = strlen(domain);
	char *s;

	ll = strnlen(local, ll);
	s = xmalloc(ll + dl + 2);
	memcpy(s, local, ll);
	s[ll] = '@';
	memcpy(s + ll + 1, domain, dl + 1);
	return s;
}

/* Fills a from the addr-spec text spec ("local@domain"). */
static void set_spec(struct mail_addr *a, struct strbuf *spec)
{
	char *at = memrchr(spec->buf, '@', spec->len);
	struct strbuf local = STRBUF_INIT;
	size_t ll = at ? (size_t)(at - spec->buf) : spec->len;

	strip(spec->buf, 0, ll, 1, 0, &local);
	a->local = strbuf_detach(&local, NULL);
	a->domain = xstrdup(at ? at + 1 : "");
	for (char *d = a->domain; *d; d++)
		*d = (char)ascii_lower((unsigned char)*d);
	if (at)
		a->addr = join_at(spec->buf, ll, a->domain);
	else
		a->addr = xstrdup(spec->buf);
}

/* A mailbox without angle brackets: the word with an '@' (comments and
 * blanks around the '@' allowed), else a lone word of atom characters. */
static void bare_spec(const char *s, size_t a, size_t b, struct strbuf *spec)
{
	struct strbuf words = STRBUF_INIT;
	char *w, *save, *pick = NULL;
	int count = 0;

	strip(s, a, b, 0, 1, &words);
	if (!words.len || memchr(words.buf, '"', words.len)) {
		/* Quoted local parts hold blanks: no splitting in words. */
		if (words.len)
			strip(s, a, b, 0, 0, spec);
		strbuf_release(&words);
		return;
	}
	/* "joe @ x.test" is one address written with blanks. */
	for (char *p = strstr(words.buf, " @"); p; p = strstr(p, " @"))
		memmove(p, p + 1, strlen(p));
	for (char *p = strstr(words.buf, "@ "); p; p = strstr(p, "@ "))
		memmove(p + 1, p + 2, strlen(p + 1));
	for (w = strtok_r(words.buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		count++;
		if (strchr(w, '@') && !pick)
			pick = w;
	}
	if (!pick && count == 1 && words.buf[strspn(words.buf,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")] == 0)
		pick = words.buf;
	if (pick)
		strbuf_addstr(spec, pick);
	strbuf_release(&words);
}

/* One mailbox in s[a..b); returns 0, or -1 if there is no address. */
static int mailbox(const char *s, size_t a, size_t b, struct mail_addr *out)
{
	struct strbuf spec = STRBUF_INIT, disp = STRBUF_INIT, raw = STRBUF_INIT;
	const char *lt = memchr(s + a, '<', b - a), *gt;

	memset(out, 0, sizeof(*out));
	if (lt && (gt = memchr(lt, '>', (size_t)(s + b - lt)))) {
		const char *in = lt + 1, *colon;

		/* An obsolete route "<@a,@b:user@host>". */
		if (*in == '@' && (colon = memchr(in, ':', (size_t)(gt - in))))
			in = colon + 1;
		strip(s, (size_t)(in - s), (size_t)(gt - s), 0, 0, &spec);
		strip(s, a, (size_t)(lt - s), 1, 1, &raw);
	} else {
		bare_spec(s, a, b, &spec);
		comment_text(s, a, b, &raw);
	}
	if (raw.len)
		rfc2047_decode(raw.buf, raw.len, &disp);
	strbuf_release(&raw);
	if (!spec.len) {
		strbuf_release(&spec);
		strbuf_release(&disp);
		return -1;
	}
	set_spec(out, &spec);
	out->display = disp.len ? strbuf_detach(&disp, NULL) : NULL;
	strbuf_release(&disp);
	strbuf_release(&spec);
	return 0;
}

size_t address_parse_list(const char *value, size_t len, size_t max, struct mail_addr **out)
{
	size_t n = 0, alloc = 0, i = 0;

	*out = NULL;
	if (!max)
		max = ADDR_LIST_MAX_DEFAULT;
	while (i < len && n < max) {
		size_t group, e = segment_end(value, i, len, &group);
		struct mail_addr a;

		if (group != (size_t)-1)
			i = group;
		if (mailbox(value, i, e, &a) == 0) {
			xgrow((void **)out, &alloc, n + 1, sizeof(**out));
			(*out)[n++] = a;
		}
		i = e + 1;
	}
	return n;
}

void address_list_free(struct mail_addr *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].addr);
		free(list[i].local);
		free(list[i].domain);
		free(list[i].display);
	}
	free(list);
}

int address_first(const char *value, size_t len, struct strbuf *out)
{
	struct mail_addr *list;
	size_t n = address_parse_list(value, len, 1, &list);

	if (n)
		strbuf_addstr(out, list[0].addr);
	address_list_free(list, n);
	return n ? 0 : -1;
}

void address_normalise(const char *addr, size_t len, struct strbuf *out)
{
	size_t a = 0, b = len;

	while (a < b && (isspace((unsigned char)addr[a]) || addr[a] == '<'))
		a++;
	while (b > a && (isspace((unsigned char)addr[b - 1]) || addr[b - 1] == '>'))
		b--;
	for (size_t i = a; i < b; i++)
		strbuf_addch(out, ascii_lower((unsigned char)addr[i]));
}
