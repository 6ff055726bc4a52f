/* Text in a named charset to UTF-8, with iconv for all but the common
 * charsets, which are done here.
 *
 * The choices, for text that is outside input:
 *  - names are matched without case, and aliases (latin1, l1, cp1252,
 *    utf8, ascii, iso8859-1, iso_8859-1:1987, ks_c_5601-1987, gb2312 as
 *    gbk, ...) are mapped first; iconv knows the rest;
 *  - no charset, us-ascii, and unknown charsets: the bytes are UTF-8 if
 *    they are valid UTF-8, else windows-1252 (what mail readers do; it maps
 *    the 8-bit bytes latin1 would, plus the 0x80-0x9f punctuation); an
 *    unknown name also sets MIME_D_BAD_CHARSET;
 *  - a byte sequence invalid in its charset becomes U+FFFD, one for each
 *    undecodable byte, never dropped (MIME_D_BAD_TEXT); NUL bytes are kept
 *    as U+0000 would be, as a NUL byte. */
#ifndef POSTERN_MAIL_CHARSET_H
#define POSTERN_MAIL_CHARSET_H

#include <stddef.h>

#include "util/strbuf.h"

/* Appends s[0..len) converted from charset (NULL: none given) to UTF-8.
 * Returns MIME_D_* defects. */
unsigned charset_to_utf8(const char *charset, const char *s, size_t len, struct strbuf *out);

/* Whether the charset is known (by its alias table or by iconv). */
int charset_known(const char *charset);

#endif
