/* RFC 2047 encoded-words in header values, decoded to UTF-8. */
#ifndef POSTERN_MAIL_RFC2047_H
#define POSTERN_MAIL_RFC2047_H

#include <stddef.h>

#include "util/strbuf.h"

/* Appends s[0..len) to out with every valid encoded-word (=?cs?B?..?= and
 * =?cs?Q?..?=, RFC 2231 "*lang" suffix allowed) decoded and converted from
 * its charset to UTF-8; whitespace between two adjacent encoded-words is
 * dropped. Words are recognised also when glued to other text (as broken
 * mailers write them). A malformed word is left as it is written
 * (MIME_D_BAD_2047). Text outside encoded-words goes through
 * charset_to_utf8 with no charset (UTF-8 if valid, else windows-1252).
 * Returns MIME_D_* defects. */
unsigned rfc2047_decode(const char *s, size_t len, struct strbuf *out);

#endif
