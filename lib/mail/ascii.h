/* Case-insensitive comparison of ASCII text, inline: what strcasecmp and
 * strncasecmp find equal in the C locale postern's programs run in,
 * without the C library's calls, whose code and locale table are pages a
 * process per message faults in (scl-score compares header names and
 * charsets this way on every check). */
#ifndef POSTERN_MAIL_ASCII_H
#define POSTERN_MAIL_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 'a' - 'A') : c;
}

/* strcasecmp(a, b) == 0 */
static inline bool ascii_caseeq(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = ascii_lower((unsigned char)*a), y = ascii_lower((unsigned char)*b);

		if (x != y)
			return false;
		if (x == 0)
			return true;
	}
}

/* strncasecmp(a, b, n) == 0 */
static inline bool ascii_ncaseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = ascii_lower((unsigned char)a[i]), y = ascii_lower((unsigned char)b[i]);

		if (x != y)
			return false;
		if (x == 0)
			return true;
	}
	return true;
}

#endif
