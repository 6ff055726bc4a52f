/* Base64 (RFC 4648, standard alphabet): LDIF values, password hashes,
 * certificates in the directory, MIME. */
#ifndef POSTERN_UTIL_BASE64_H
#define POSTERN_UTIL_BASE64_H

#include <stddef.h>

#include "util/strbuf.h"

/* Appends the decoding of s[0..len) to out. Padding may be left out;
 * whitespace and any other character are errors. Returns 0, or -1 with
 * out as it was. */
int base64_decode(const char *s, size_t len, struct strbuf *out);
/* Appends the encoding of data[0..len) to out, padded, unwrapped. */
void base64_encode(const void *data, size_t len, struct strbuf *out);

#endif
