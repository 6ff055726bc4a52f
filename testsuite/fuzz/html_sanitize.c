/* libFuzzer harness: the HTML sanitiser on arbitrary bytes. Its output
 * must parse back to itself (sanitising it again changes nothing), hold
 * no script-bearing markup, and plain text must linkify without fault. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html/sanitize.h"
#include "html/text.h"

/* The serialiser's own shape: <name( attr="...")*> or </name>, no
 * attribute named on*, no raw '>' in text, none of the dropped elements;
 * a <style> sheet holds no '<', '&' or backslash. */
static void shape_check(const char *s, size_t len)
{
	static const char *const banned[] = { "script", "svg", "math",
		"iframe", "object", "embed", "form", "template", "noscript" };
	size_t i = 0;

	while (i < len) {
		size_t n = 0;

		if (s[i] == '>')
			abort();
		if (s[i] != '<') {
			i++;
			continue;
		}
		i++;
		if (i < len && s[i] == '/')
			i++;
		while (i + n < len && ((s[i + n] >= 'a' && s[i + n] <= 'z') ||
				       (s[i + n] >= '0' && s[i + n] <= '9')))
			n++;
		if (n == 0)
			abort();
		for (size_t k = 0; k < sizeof(banned) / sizeof(banned[0]); k++)
			if (strlen(banned[k]) == n && strncmp(s + i, banned[k], n) == 0)
				abort();
		i += n;
		while (i < len && s[i] == ' ') {
			if (len - i > 3 && strncasecmp(s + i + 1, "on", 2) == 0)
				abort();
			while (i < len && s[i] != '=')
				i++;
			if (i + 1 >= len || s[i + 1] != '"')
				abort();
			i += 2;
			while (i < len && s[i] != '"' && s[i] != '<' && s[i] != '>')
				i++;
			if (i >= len || s[i] != '"')
				abort();
			i++;
		}
		if (i >= len || s[i] != '>')
			abort();
		i++;
		if (n == 5 && strncmp(s + i - 6, "style>", 6) == 0 && s[i - 7] == '<') {
			const char *end = strstr(s + i, "</style>");

			if (end == NULL)
				abort();
			for (const char *c = s + i; c < end; c++)
				if (*c == '<' || *c == '&' || *c == '\\')
					abort();
			i = (size_t)(end - s);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_policy pol = { .input_max = 1 << 16 };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, t = STRBUF_INIT;

	if (html_sanitize((const char *)data, size, &pol, &a, NULL) == 0) {
		if (html_sanitize(a.buf ? a.buf : "", a.len, &pol, &b, NULL) != 0)
			abort();
		if (a.len != b.len || (a.len && memcmp(a.buf, b.buf, a.len) != 0))
			abort();
		shape_check(a.buf ? a.buf : "", a.len);
	}
	html_text_linkify((const char *)data, size, NULL, NULL, &t);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&t);
	return 0;
}
