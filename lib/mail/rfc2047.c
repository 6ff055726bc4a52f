/* RFC 2047 encoded-words to UTF-8. Adjacent words are joined before the
 * charset conversion, since mailers split a multi-byte character across
 * two words. */
#include <string.h>

#include "mail/ascii.h"
#include "mail/charset.h"
#include "mail/cte.h"
#include "mail/defect.h"
#include "mail/rfc2047.h"

#define CHARSET_MAX 64

struct word {
	char charset[CHARSET_MAX + 1];
	char enc;
	const char *text;
	size_t text_len;
	size_t end;		/* just past "?=" */
};

/* Decoded bytes of adjacent words with one charset, not yet converted. */
struct pending {
	struct strbuf bytes;
	char charset[CHARSET_MAX + 1];
	unsigned defects;
};

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses "=?charset?E?text?=" at s[i] (s[i..i+2) is "=?"). Every scan
 * stops at the next '?', so trying each "=?" keeps the work linear. */
static int parse_word(const char *s, size_t len, size_t i, struct word *w)
{
	size_t p = i + 2, cs = p, n;

	while (p < len && s[p] != '?' && !is_ws(s[p]) && p - cs <= CHARSET_MAX)
		p++;
	n = p - cs;
	if (p >= len || s[p] != '?' || n == 0 || n > CHARSET_MAX)
		return -1;
	memcpy(w->charset, s + cs, n);
	w->charset[n] = 0;
	/* RFC 2231 section 5: "charset*lang". */
	if (strchr(w->charset, '*'))
		*strchr(w->charset, '*') = 0;
	if (p + 2 >= len || s[p + 2] != '?')
		return -1;
	w->enc = s[p + 1];
	if (w->enc != 'b' && w->enc != 'B' && w->enc != 'q' && w->enc != 'Q')
		return -1;
	p += 3;
	w->text = s + p;
	while (p < len && s[p] != '?' && !is_ws(s[p]))
		p++;
	if (p + 1 >= len || s[p] != '?' || s[p + 1] != '=')
		return -1;
	w->text_len = (size_t)(s + p - w->text);
	w->end = p + 2;
	return 0;
}

static unsigned flush(struct pending *pd, struct strbuf *out)
{
	unsigned d = pd->defects;

	if (pd->bytes.len)
		d |= charset_to_utf8(pd->charset, pd->bytes.buf, pd->bytes.len, out);
	strbuf_reset(&pd->bytes);
	pd->charset[0] = 0;
	pd->defects = 0;
	return d;
}

static unsigned add_word(struct pending *pd, const struct word *w, struct strbuf *out)
{
	unsigned d = 0, wd;

	if (pd->bytes.len && !ascii_caseeq(pd->charset, w->charset))
		d = flush(pd, out);
	strcpy(pd->charset, w->charset);
	if (w->enc == 'b' || w->enc == 'B')
		wd = cte_base64_decode(w->text, w->text_len, (size_t)-1, &pd->bytes);
	else
		wd = cte_q_decode(w->text, w->text_len, &pd->bytes);
	if (wd)
		pd->defects |= MIME_D_BAD_2047;
	return d;
}

/* Plain text s[a..b) goes through the no-charset rule. */
static unsigned plain(const char *s, size_t a, size_t b, struct strbuf *out)
{
	return b > a ? charset_to_utf8(NULL, s + a, b - a, out) : 0;
}

static int blanks(const char *s, size_t a, size_t b)
{
	while (a < b && is_ws(s[a]))
		a++;
	return a == b;
}

unsigned rfc2047_decode(const char *s, size_t len, struct strbuf *out)
{
	struct pending pd = { STRBUF_INIT, "", 0 };
	unsigned defects = 0;
	size_t i = 0, run = 0;	/* run: start of text not yet written */
	int after_word = 0;
	struct word w;

	while (i < len) {
		const char *q = memchr(s + i, '=', len - i);

		if (!q)
			break;
		i = (size_t)(q - s);
		if (i + 1 >= len || s[i + 1] != '?') {
			i++;
			continue;
		}
		if (parse_word(s, len, i, &w) < 0) {
			defects |= MIME_D_BAD_2047;
			i += 2;
			continue;
		}
		/* Blanks only between the last word and this one: dropped. */
		if (!after_word || !blanks(s, run, i)) {
			defects |= flush(&pd, out);
			defects |= plain(s, run, i, out);
		}
		defects |= add_word(&pd, &w, out);
		i = run = w.end;
		after_word = 1;
	}
	defects |= flush(&pd, out);
	defects |= plain(s, run, len, out);
	strbuf_release(&pd.bytes);
	return defects;
}
