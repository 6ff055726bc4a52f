/* The SMTP client for a next hop: connect with a timeout, greeting,
 * EHLO (HELO when EHLO is refused), STARTTLS at the TLS level asked,
 * then commands with their replies and the message data, dot-stuffed.
 * Every failure comes back as an SMTP reply for our own client: 4xx
 * when the next hop is down, slow or unsafe, the next hop's own reply
 * otherwise, so a proxy relays it as it is. */
#ifndef POSTERN_SMTP_CLIENT_H
#define POSTERN_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp/data.h"
#include "smtp/reply.h"
#include "tls/report.h"
#include "tls/tls.h"

enum smtp_tls_level {
	SMTP_TLS_NONE,		/* never STARTTLS */
	SMTP_TLS_MAY,		/* when offered; a failed handshake falls
				   back to a new plain connection */
	SMTP_TLS_ENCRYPT,	/* required, the certificate not checked */
	SMTP_TLS_VERIFY,	/* required, and ctx's checks must pass (the
				   report's verdict Verified) */
};

struct smtp_client_opts {
	const char *helo;		/* our name in EHLO */
	long long connect_timeout_ms;
	long long timeout_ms;		/* each reply; data writes */
	enum smtp_tls_level tls;
	struct tls_ctx *tls_ctx;	/* borrowed; NULL with SMTP_TLS_NONE */
	const char *tls_name;		/* the name the peer must have (SNI too) */
	bool no_chunking;		/* DATA even when CHUNKING is offered */
};

struct smtp_client;

/* Connects to ip (numeric) port, greets and upgrades. host is the name
 * for logs and SNI (or NULL). Returns the client, or NULL with err set
 * to the reply for our client (421/451 4.4.x, 4.7.x with the reason). */
struct smtp_client *smtp_client_open(const char *ip, unsigned port, const char *host,
				     const struct smtp_client_opts *o, struct smtp_reply *err);
/* Sends QUIT (when the session is sane) and frees c. NULL is fine. */
void smtp_client_close(struct smtp_client *c, bool quit);

/* What the TLS handshake proved, or NULL without TLS. */
const struct tls_report *smtp_client_tls(const struct smtp_client *c);
/* "ip:port" (and the name) for logs. */
const char *smtp_client_peer(const struct smtp_client *c);
/* Whether the next hop announced the EHLO keyword (upper case). */
bool smtp_client_has(const struct smtp_client *c, const char *keyword);
/* Whether the session can take another command (not dead, not mid-data). */
bool smtp_client_usable(const struct smtp_client *c);

/* Sends one command line (without CRLF) and reads the reply into r.
 * Returns r->code; a dead or silent next hop gives 421 4.4.2 in r and
 * marks the session unusable. */
int smtp_client_cmd(struct smtp_client *c, struct smtp_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* PIPELINING (RFC 2920): send queues a command line without waiting;
 * reply flushes what is queued and reads the next reply in order. Use
 * send only when the next hop announced PIPELINING (or for one command
 * at a time), and read one reply for each command sent. reply returns
 * r->code (421 4.4.2 in r for a dead or silent next hop). */
void smtp_client_send(struct smtp_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int smtp_client_reply(struct smtp_client *c, struct smtp_reply *r);
/* Whether an idle session still looks alive: usable, nothing arrived
 * from the next hop unasked (a 421, the end of the connection). Does
 * not wait. */
bool smtp_client_idle_ok(struct smtp_client *c);
/* The host name given to smtp_client_open (the IP when none was). */
const char *smtp_client_host(const struct smtp_client *c);

/* DATA: sends "DATA" and wants 354 (returns r->code). Then data_write
 * as often as needed (content: dots are stuffed and line ends made CRLF
 * here), then data_end sends the end marker and reads the final reply.
 * data_write returns 0, or -1 when the next hop is gone (r holds 421).
 * When the next hop offers CHUNKING (RFC 3030; unless no_chunking),
 * data_start and data_send send nothing and return 354 at once: the
 * content goes in BDAT chunks (line ends made CRLF, dots left alone),
 * a chunk's reply read before the next chunk goes, the last chunk (BDAT
 * n LAST) sent by data_end, whose reply is the final one. A refused
 * chunk ends the transaction: data_end returns that refusal, the session
 * stays usable. */
int smtp_client_data_start(struct smtp_client *c, struct smtp_reply *r);
/* DATA without waiting for its reply (returns 354, or the code of a
 * dead next hop in r): the reply is read before the first data goes out,
 * by then usually there, so the caller can answer its own client's DATA
 * at once instead of after a round trip. When it is not 354, data_write
 * drops what it is given and data_end returns that refusal (in r); the
 * session stays usable (no transaction data was sent). */
int smtp_client_data_send(struct smtp_client *c, struct smtp_reply *r);
int smtp_client_data_write(struct smtp_client *c, const char *content, size_t n,
			   struct smtp_reply *r);
int smtp_client_data_end(struct smtp_client *c, struct smtp_reply *r);
/* Gives up a transaction in the middle of DATA: the connection is closed
 * without the end marker, so the next hop discards what it got. */
void smtp_client_abort(struct smtp_client *c);

#endif
