/* SMTP replies as a client reads them (smtp-edge from its next hop,
 * mtls-probe from the server it probes): RFC 5321 4.2, "250-..."
 * continuation lines then "250 ...", with the enhanced status code (RFC
 * 3463) when there is one, and written back out to our own client
 * unchanged in meaning. Outside input: lines and line length are capped;
 * testsuite/fuzz/smtp_reply.c exercises smtp_reply_add. */
#ifndef POSTERN_SMTP_REPLY_H
#define POSTERN_SMTP_REPLY_H

#include <stdbool.h>
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
	char why[96];		/* why smtp_reply_add refused a line */
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_clear(struct smtp_reply *r);
/* Makes r say code enh text (one line; enh may be NULL or ""). */
void smtp_reply_set(struct smtp_reply *r, int code, const char *enh, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Adds one line (without its CRLF) to r, for callers that see each line
 * (mtls-probe prints a transcript). Returns 1 when that line ended the
 * reply, 0 when more follow, -1 when it cannot be part of a valid reply
 * (no code, a code that changes, too long, too many lines; r->why says
 * which). */
int smtp_reply_add(struct smtp_reply *r, const char *line, size_t len);
/* True when a line of the reply starts with keyword as a whole word, case
 * blind (EHLO extensions: "STARTTLS", "SIZE 10240000"). */
bool smtp_reply_has(const struct smtp_reply *r, const char *keyword);
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
