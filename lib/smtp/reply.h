/* SMTP replies as the client side reads them from a next hop (RFC 5321
 * 4.2: "250-..." continuation lines, then "250 ..."), with the enhanced
 * status code (RFC 3463) when there is one, and written back out to our
 * own client unchanged in meaning. */
#ifndef POSTERN_SMTP_REPLY_H
#define POSTERN_SMTP_REPLY_H

#include <stddef.h>

#include "tls/stream.h"
#include "util/strbuf.h"

#define SMTP_REPLY_LINES_MAX 64	/* more is a broken or hostile server */
#define SMTP_REPLY_LINE_MAX 2048

struct smtp_reply {
	int code;		/* 250; 0 when none could be read */
	char enh[16];		/* "2.1.0", or "" */
	struct strbuf text;	/* the lines' texts (after "250-" and the
				   enhanced code), '\n' between them */
	size_t nlines;
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_clear(struct smtp_reply *r);
/* Makes r say code enh text (one line; enh may be NULL or ""). */
void smtp_reply_set(struct smtp_reply *r, int code, const char *enh, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reads one reply. Returns STREAM_OK, a stream error code, or
 * STREAM_ERR with r->code 0 and r->text saying what was malformed. */
int smtp_reply_read(struct stream *s, struct smtp_reply *r);
/* Parses one reply line ("250-SIZE 100"): returns 1 for the last line, 0
 * for a continuation, -1 when malformed. code and the text offset out. */
int smtp_reply_parse_line(const char *line, size_t len, int *code, size_t *text_off);

/* Appends r as a reply for our client, with CRLFs, the enhanced code
 * repeated on each line when it has one. */
void smtp_reply_format(const struct smtp_reply *r, struct strbuf *out);
/* The first line's text, for logs. */
const char *smtp_reply_first(const struct smtp_reply *r, char *buf, size_t len);

#endif
