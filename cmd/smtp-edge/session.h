/* One smtp-edge session: the client's connection, what it said, layer-1
 * and TLS results, and the transaction in progress with its next hop.
 * Shared by session.c (the protocol), txn.c (MAIL, RCPT, DATA, BDAT)
 * and headers.c (Received, Authentication-Results). */
#ifndef POSTERN_SMTP_EDGE_SESSION_H
#define POSTERN_SMTP_EDGE_SESSION_H

#include <stdbool.h>

#include "connfilter.h"
#include "edge.h"
#include "smtp/cmd.h"
#include "smtp/data.h"
#include "smtp/input.h"
#include "spf/spf.h"

/* Message content on its way to the next hop, and why it stopped going
 * (bare CR/LF, size, the hop lost), across BDAT chunks too. */
struct flow {
	struct strbuf buf;
	bool stopped;
	const char *why;	/* our reply at the end of the data */
	const char *log;
};

struct session {
	struct edge *e;
	int in, out;
	struct stream *s;
	struct smtp_input *input;
	struct strbuf reply;		/* replies waiting for a flush */
	char id[24];			/* for logs and Received */
	char ip[46];			/* the client: socket, PROXY or XCLIENT */
	char real_ip[46];		/* the socket's peer */
	char name[256];			/* its name (XCLIENT NAME), or "" */
	char helo[256];
	bool esmtp;
	bool tls;
	bool pooled;			/* a worker's: the hop may be kept for the next */
	struct tls_report tls_rep;
	bool allowlisted;		/* layer 1 said ALLOW */
	bool relay_client;		/* in relay_networks */
	bool trusted;			/* may send XCLIENT */
	int errors, junk, unknown;
	bool quit;			/* the session ends after this command */
	bool quit_ok;			/* it ends on QUIT, our 221 the last word */
	unsigned long msgs;		/* transactions completed */
	bool log_due;			/* a message's outcome logged: its lines
					   go out before the reply that says it */

	/* The transaction. */
	bool in_mail;
	struct strbuf mail_from;	/* the address, "" for <> */
	struct strbuf mail_params;	/* what we pass on: " SIZE=123 BODY=8BITMIME" */
	bool smtputf8;
	bool spf_done;
	struct spf_result spf;
	/* The check spf holds is kept for the session's next transactions
	 * with the same client address, HELO and sender (spf_key, "" when
	 * none), until spf_until (monotonic ms). */
	char spf_key[46 + 256 + 512 + 3];
	long long spf_until;
	const struct edge_partner *partner;	/* verified inbound partner */
	char partner_name[256];
	size_t nrcpt;
	struct strbuf first_rcpt;
	const struct edge_route *route;	/* of the accepted recipients */
	struct smtp_reply hop_err;	/* a next-hop failure for this transaction */
	bool hop_failed;
	bool hop_mail;			/* MAIL sent to the hop in this transaction */
	/* BDAT in progress */
	bool bdat;
	bool bdat_failed;
	struct smtp_data_decoder dec;
	struct flow flow;
	unsigned long long size_limit;

	struct content_txn *content;	/* the content layer's (content.c) */
	struct strbuf actions;		/* layer-3 decisions, for the summary line */

	/* The next hop, kept across transactions while the route stays. */
	struct smtp_client *hop;
	const struct edge_route *hop_route;
};

/* Queues a reply line (CRLF added) for the client. */
void session_reply(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Logs a decision: "ACTION: REASON layer=N check=CHECK client=IP ...". */
void session_decide(struct session *s, int layer, const char *check, const char *action,
		    const char *reply, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Sends what is queued. Returns 0, or -1 when the client is gone. */
int session_flush(struct session *s);
/* Counts a protocol error; true when the cap is reached (421 queued). */
bool session_error(struct session *s);

/* txn.c */
void txn_mail(struct session *s, struct smtp_cmd *c);
void txn_rcpt(struct session *s, struct smtp_cmd *c);
void txn_data(struct session *s);
void txn_bdat(struct session *s, struct smtp_cmd *c);
/* Ends the transaction (RSET, EHLO, after DATA); resets the hop's side
 * when MAIL went there. */
void txn_reset(struct session *s);
void txn_free(struct session *s);
/* In a pooled worker at its exit: QUIT to the next-hop session kept from
 * the last client session, if any. */
void txn_park_close(void);

/* headers.c: Received, Received-SPF and Authentication-Results for the
 * message, appended to out. */
void headers_make(struct session *s, struct strbuf *out);

#endif
