/* SIP messages (RFC 3261) over a stream transport: framing by
 * Content-Length (several messages in one read, one message across
 * reads), the start line, headers with compact forms expanded and
 * folded lines joined, and the body; with caps on every length so a
 * hostile peer gets an error, never unbounded memory. */
#ifndef POSTERN_SIP_MSG_H
#define POSTERN_SIP_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define SIP_HEAD_MAX 16384	/* start line and headers, CRLFs included */
#define SIP_BODY_MAX 65536	/* Content-Length */
#define SIP_HEADERS_MAX 128	/* header lines in one message */
#define SIP_WHY_MAX 128

struct sip_header {
	char *name;		/* canonical spelling: "Call-ID", not "i" */
	char *value;		/* leading and trailing white space removed */
};

/* One parsed message; owns every string in it (sip_msg_free). */
struct sip_msg {
	bool request;
	char *method;		/* request: "INVITE" (case kept) */
	char *uri;		/* request: the Request-URI */
	int status;		/* response: 100..699 */
	char *reason;		/* response: the reason phrase */
	struct sip_header *h;
	size_t nh;
	char *body;		/* NUL-terminated, body_len bytes */
	size_t body_len;
};

/* Parses one whole message of len bytes (head, blank line, then the body,
 * whose length is Content-Length, or the rest when it is absent). Returns
 * 0, or -1 with why ("bad start line", "too many headers"). */
int sip_msg_parse(const char *data, size_t len, struct sip_msg *m, char *why, size_t whylen);
void sip_msg_free(struct sip_msg *m);

/* The first value of the header name (compared without regard to case;
 * compact forms are expanded on both sides), or NULL. Borrowed. */
const char *sip_msg_get(const struct sip_msg *m, const char *name);
/* The i-th header line with that name (0 first), or NULL. */
const char *sip_msg_get_nth(const struct sip_msg *m, const char *name, size_t i);
/* The canonical name of a header ("i" -> "Call-ID", "call-id" ->
 * "Call-ID" for the ones this module knows; others as given). */
const char *sip_header_canon(const char *name);

/* Framing over a byte stream. Feed what each read brings; take whole
 * messages out with sip_reader_next. */
struct sip_reader {
	struct strbuf buf;
	size_t off;		/* start of the next message in buf */
};

void sip_reader_init(struct sip_reader *r);
void sip_reader_clear(struct sip_reader *r);
void sip_reader_feed(struct sip_reader *r, const void *data, size_t len);
/* 1 with *m filled (free it with sip_msg_free), 0 when more bytes are
 * needed, -1 with why when the stream cannot be framed any more (a head
 * over SIP_HEAD_MAX, a bad or too large Content-Length, a bad message):
 * the caller answers 400 or 513 when it can and closes the connection.
 * SIP_READER_PING for a CRLF CRLF keep-alive ping between messages
 * (RFC 5626 4.4.1), which the caller answers with one CRLF (the pong);
 * lone CRLFs are skipped. */
#define SIP_READER_PING 2
int sip_reader_next(struct sip_reader *r, struct sip_msg *m, char *why, size_t whylen);
/* Bytes held and not yet framed. */
size_t sip_reader_pending(const struct sip_reader *r);

/* --- header values --- */

/* The URI of a name-addr or addr-spec ("Bob" <sip:b@x>;tag=1 -> sip:b@x).
 * Returns 0, or -1 when out is too small or there is none. */
int sip_addr_uri(const char *value, char *out, size_t outlen);
/* A header parameter after the address (";tag=abc" -> "abc"; a
 * parameter without value gives ""). Parameters inside <...> are not
 * looked at. Returns 0, or -1 when absent or too long for out. */
int sip_addr_param(const char *value, const char *name, char *out, size_t outlen);
/* The user part of a sip:/sips:/tel: URI ("sip:1234@gw;user=phone" ->
 * "1234"), without URI parameters. Returns 0, or -1. */
int sip_uri_user(const char *uri, char *out, size_t outlen);
/* True for a sips: URI. */
bool sip_uri_is_sips(const char *uri);
/* CSeq: "314 INVITE" -> 314 and "INVITE". Returns 0, or -1. */
int sip_cseq_parse(const char *value, unsigned long *num, char *method, size_t mlen);
/* The standard reason phrase of a status code ("Trying", "Not Found"). */
const char *sip_reason(int status);

#endif
