/* SIP responses as mtls-probe reads them (RFC 3261 7.2: status line and
 * header fields), one line at a time, with caps on line length and header
 * count; testsuite/fuzz/sip_reply.c exercises it. SMTP replies use
 * lib/smtp/reply.h, shared with smtp-edge. */
#ifndef MTLS_PROBE_REPLY_H
#define MTLS_PROBE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/reply.h"
#include "util/strbuf.h"

#define REPLY_LINE_MAX 4096	/* bytes in one line, without CRLF */
#define SIP_HEADERS_MAX 100	/* header fields in one response */
#define SIP_VALUE_MAX 8192	/* bytes in one (folded) header value */
#define SIP_BODY_MAX 65536	/* body bytes read and thrown away */

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
