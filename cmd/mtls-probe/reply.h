/* Parsers of what servers answer mtls-probe: SMTP replies (RFC 5321 4.2,
 * multi-line with "250-") and SIP responses (RFC 3261 7.2: status line and
 * header fields). Both read outside input one line at a time, with caps
 * on line length, line count and header count; testsuite/fuzz/smtp_reply.c
 * and sip_reply.c exercise them. */
#ifndef MTLS_PROBE_REPLY_H
#define MTLS_PROBE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define REPLY_LINE_MAX 4096	/* bytes in one line, without CRLF */
#define SMTP_REPLY_LINES_MAX 200	/* lines in one multi-line reply */
#define SIP_HEADERS_MAX 100	/* header fields in one response */
#define SIP_VALUE_MAX 8192	/* bytes in one (folded) header value */
#define SIP_BODY_MAX 65536	/* body bytes read and thrown away */

struct smtp_reply {
	int code;		/* 220, 250...; 0 before the first line */
	size_t nlines;
	struct strbuf text;	/* the lines after their code, joined by '\n' */
	char why[96];		/* why a line was refused */
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_clear(struct smtp_reply *r);
/* Adds one line (without its CRLF). Returns 1 when that ended the reply,
 * 0 when more lines follow, -1 when the line is not part of a valid reply
 * (a bad code, a code that changes, too many lines; why says which). */
int smtp_reply_add(struct smtp_reply *r, const char *line, size_t len);
/* 1 when a line of the reply starts with keyword as a whole word, case
 * blind (EHLO extensions: "STARTTLS", "SIZE 10240000"). */
bool smtp_reply_has(const struct smtp_reply *r, const char *keyword);

struct sip_header {
	char *name;
	char *value;
};

struct sip_reply {
	int status;		/* 100..699 */
	char reason[128];
	struct sip_header *hdr;
	size_t nhdr;
	long content_length;	/* -1 when absent */
	bool in_headers;	/* the status line has been read */
	char why[96];
};

void sip_reply_init(struct sip_reply *r);
void sip_reply_clear(struct sip_reply *r);
/* Adds one line (without CRLF) of a response. Returns 1 at the empty
 * line that ends the header section, 0 when more follow, -1 when the
 * response is malformed (why). Leading empty lines (keep-alives) are
 * skipped. */
int sip_reply_add(struct sip_reply *r, const char *line, size_t len);
/* The value of the first header named name (case blind; compact forms
 * such as "l" for Content-Length count), or NULL. */
const char *sip_reply_header(const struct sip_reply *r, const char *name);

#endif
