/* Defect flags of the MIME parser and its decoders: what was wrong with a
 * message and was tolerated. Bits, ORed; classifiers may use them as
 * features, smtp-edge may act on them. */
#ifndef POSTERN_MAIL_DEFECT_H
#define POSTERN_MAIL_DEFECT_H

#include "util/strbuf.h"

enum mime_defect {
	MIME_D_NO_HEADERS	= 1u << 0,	/* body without a header block */
	MIME_D_NO_SEPARATOR	= 1u << 1,	/* header block not ended by a blank line */
	MIME_D_BAD_HEADER	= 1u << 2,	/* a line in the header block that is no field */
	MIME_D_HEADER_LIMIT	= 1u << 3,	/* header_bytes_max or headers_max reached */
	MIME_D_NUL		= 1u << 4,	/* a NUL byte in a header field */
	MIME_D_8BIT_HEADER	= 1u << 5,	/* raw 8-bit bytes in a header field */
	MIME_D_BAD_CTYPE	= 1u << 6,	/* Content-Type unparsable: default used */
	MIME_D_DUP_CTYPE	= 1u << 7,	/* several Content-Type: the first used */
	MIME_D_BAD_CTE		= 1u << 8,	/* unknown or duplicate transfer encoding, or
						 * one a container may not have */
	MIME_D_NO_BOUNDARY	= 1u << 9,	/* multipart without a boundary: a leaf */
	MIME_D_BOUNDARY_NEVER	= 1u << 10,	/* a boundary that never occurs */
	MIME_D_NO_FINAL_BOUNDARY = 1u << 11,	/* multipart not closed by "--b--" */
	MIME_D_DEPTH_LIMIT	= 1u << 12,	/* depth_max reached: kept opaque */
	MIME_D_PARTS_LIMIT	= 1u << 13,	/* parts_max reached: the rest opaque */
	MIME_D_BAD_BASE64	= 1u << 14,	/* garbage or bad padding in base64 */
	MIME_D_BAD_QP		= 1u << 15,	/* bad "=" escapes in quoted-printable */
	MIME_D_BAD_CHARSET	= 1u << 16,	/* unknown charset: fallback used */
	MIME_D_BAD_TEXT		= 1u << 17,	/* bytes invalid in their charset: U+FFFD */
	MIME_D_BAD_2047		= 1u << 18,	/* an RFC 2047 word that could not be decoded */
	MIME_D_BAD_PARAM	= 1u << 19,	/* bad parameter syntax or RFC 2231 pieces */
	MIME_D_DECODE_LIMIT	= 1u << 20,	/* decode_max reached: output cut */
	MIME_D_LONG_LINE	= 1u << 21,	/* a line over 998 bytes (RFC 5322 2.1.1) */
	MIME_D_BAD_DISP		= 1u << 22,	/* several or unparsable Content-Disposition */
};
#define MIME_D_COUNT 23

/* The name of one bit ("no-final-boundary"), or NULL. */
const char *mime_defect_name(unsigned bit);
/* Appends the names of the bits set, comma-separated ("" for none). */
void mime_defects_format(unsigned defects, struct strbuf *out);

#endif
