/* Content-Transfer-Encoding decoders for mail: tolerant of what mailers
 * and spammers write (util/base64.h is the strict decoder). */
#ifndef POSTERN_MAIL_CTE_H
#define POSTERN_MAIL_CTE_H

#include <stddef.h>

#include "util/strbuf.h"

/* Base64 that skips whitespace, line breaks and any character outside the
 * alphabet (MIME_D_BAD_BASE64 for a non-whitespace one), stops at the
 * first '=' pad of a quantum, and decodes a last incomplete quantum as far
 * as it goes. Appends at most max bytes (then MIME_D_DECODE_LIMIT).
 * Returns MIME_D_* defects. */
unsigned cte_base64_decode(const char *s, size_t len, size_t max, struct strbuf *out);

/* Quoted-printable (RFC 2045 6.7): "=XX" (hex either case), soft line
 * breaks "=" then optional blanks then CRLF or LF, trailing blanks of
 * lines dropped; a bad escape is kept as written (MIME_D_BAD_QP). Appends
 * at most max bytes. Returns MIME_D_* defects. */
unsigned cte_qp_decode(const char *s, size_t len, size_t max, struct strbuf *out);

/* RFC 2047 "Q": QP with "_" for a space and no line breaks. */
unsigned cte_q_decode(const char *s, size_t len, struct strbuf *out);

#endif
