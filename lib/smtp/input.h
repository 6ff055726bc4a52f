/* The SMTP server's input: a byte buffer over a stream (plain or TLS)
 * that gives command lines and tells how each ended (CRLF or a bare LF),
 * and raw bytes for DATA and BDAT, without reading past what the caller
 * consumes, so that pipelined commands after the data stay readable. */
#ifndef POSTERN_SMTP_INPUT_H
#define POSTERN_SMTP_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "tls/stream.h"
#include "util/strbuf.h"

struct smtp_input;

/* s is borrowed and must outlive the input. line_max is the longest
 * command line accepted, without its line ending. */
struct smtp_input *smtp_input_new(struct stream *s, size_t line_max);
void smtp_input_free(struct smtp_input *in);

/* Reads one line into line (reset first, line ending stripped); *crlf
 * says whether it ended in CRLF (false: a bare LF). Returns the stream
 * codes: STREAM_OK, STREAM_EOF, STREAM_TIMEOUT, STREAM_ERR, or
 * STREAM_TOOLONG once the whole over-long line has been skipped. */
int smtp_input_getline(struct smtp_input *in, struct strbuf *line, bool *crlf);

/* The unconsumed bytes already read, and consuming some of them. */
const char *smtp_input_peek(const struct smtp_input *in, size_t *len);
void smtp_input_consume(struct smtp_input *in, size_t n);
/* Reads more bytes (waiting up to the stream's timeout). STREAM_OK,
 * STREAM_EOF, STREAM_TIMEOUT or STREAM_ERR. */
int smtp_input_fill(struct smtp_input *in);
/* Sets the stream's timeout (stream_set_timeout). How the wait is made
 * is the stream's: in the read itself on a blocking plain socket
 * (stream_block), in poll otherwise. */
void smtp_input_set_timeout(struct smtp_input *in, long long timeout_ms);
/* Bytes that can be read without waiting: ours and the stream's. */
size_t smtp_input_pending(const struct smtp_input *in);
/* Drops every byte read ahead (STARTTLS); returns how many. */
size_t smtp_input_discard(struct smtp_input *in);

#endif
