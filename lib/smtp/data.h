/* Message data framing on both sides of an SMTP proxy. The decoder reads
 * what a client sends after DATA (or in BDAT chunks): it ends the message
 * only at CRLF "." CRLF, removes dot-stuffing, and either flags or
 * normalises to CRLF every bare CR and bare LF, so that no "<LF>.<LF>"
 * or "<CR>.<CR>" variant can end a message here or, once re-encoded, at
 * the next hop (SMTP smuggling, RFC 5321 2.3.8). The encoder stuffs dots
 * and ends the data for the next hop; it turns any bare CR or LF left
 * into CRLF, so its output has one end marker, the last line. */
#ifndef POSTERN_SMTP_DATA_H
#define POSTERN_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

struct smtp_data_decoder {
	int state;
	bool bdat;		/* BDAT chunks: no dots, no end marker */
	bool normalise;		/* bare CR/LF become CRLF; else they are only
				   counted and passed as they are */
	bool done;		/* the end marker was read (DATA only) */
	unsigned long long bare_cr, bare_lf;	/* seen so far */
	unsigned long long bytes;	/* content bytes written out */
};

void smtp_data_decoder_init(struct smtp_data_decoder *d, bool bdat, bool normalise);
/* Decodes up to n bytes of in, appending the message content (CRLF line
 * ends, without the end marker) to out. Returns the bytes consumed: in
 * DATA mode it stops right after the end marker (d->done), leaving what
 * follows (pipelined commands) to the caller. */
size_t smtp_data_decode(struct smtp_data_decoder *d, const char *in, size_t n,
			struct strbuf *out);
/* The end of the last BDAT chunk: a CR held back (it might have been the
 * first half of a CRLF split between chunks) is a bare CR. */
void smtp_data_decode_finish(struct smtp_data_decoder *d, struct strbuf *out);

struct smtp_data_encoder {
	bool line_start;	/* the next byte begins a line */
	bool cr;		/* a CR was written and its LF not seen yet */
	bool bdat;		/* for BDAT chunks: no dots, no end marker */
};

void smtp_data_encoder_init(struct smtp_data_encoder *e);
/* The same for BDAT (RFC 3030), whose chunks carry their length: line
 * ends made CRLF as for DATA, dots left as they are, and the end only a
 * CRLF when the content did not end a line. */
void smtp_data_encoder_init_bdat(struct smtp_data_encoder *e);
/* Appends content (any bytes) to out as SMTP DATA text: dots stuffed,
 * every line ending CRLF. */
void smtp_data_encode(struct smtp_data_encoder *e, const char *in, size_t n,
		      struct strbuf *out);
/* Appends the end: a CRLF when the content did not end a line, then
 * ".\r\n" (not for BDAT). */
void smtp_data_encode_end(struct smtp_data_encoder *e, struct strbuf *out);

#endif
