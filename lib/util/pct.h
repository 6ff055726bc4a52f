/* Percent-decoding (RFC 3986 2.1, and the form encoding's '+' for a
 * space) and the hex digits it reads: one decoder for URLs, query
 * strings, form bodies and RFC 2231 parameter values. */
#ifndef POSTERN_UTIL_PCT_H
#define POSTERN_UTIL_PCT_H

#include <stddef.h>

#include "util/strbuf.h"

/* 0..15 for a hex digit in either case, else -1. */
int hex_digit(int c);

#define PCT_PLUS_SPACE 1u	/* '+' is a space (query strings, forms) */
#define PCT_STRICT 2u		/* a '%' without two hex digits is an error */

/* Appends in[0..len) to out with %XX decoded. Without PCT_STRICT a '%'
 * not followed by two hex digits is kept as it is and counted; returns
 * that count (0 for clean input). With PCT_STRICT returns -1 at the
 * first one (out then holds what came before it). */
int pct_decode(struct strbuf *out, const char *in, size_t len, unsigned flags);

#endif
