/* smtp-edge's content layer (SPEC section 3, layer 3): the message is
 * spooled whole, parsed once, and goes through the stages in order:
 * organisation headers (trusted or stripped), blocked and safe senders,
 * bypass, spam confidence, attachments (archives included), anti-virus
 * with the sealed stamp, transport rules, and the organisation seal.
 * Each stage may end the transaction (reject, delete, quarantine,
 * tempfail); each decision is logged, and what changes the message is
 * shown in a header field. */
#ifndef POSTERN_SMTP_EDGE_CONTENT_H
#define POSTERN_SMTP_EDGE_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "content/quarantine.h"
#include "util/opt.h"
#include "util/strbuf.h"

struct edge;
struct edge_set;
struct session;
struct content;

/* The "content" object's keys (content_conf.c). */
extern const struct conf_key content_conf_keys[];

/* Makes e->content from e->sec's "content" (NULL when off). Returns 0,
 * or -1 after logging (bad key file, rules file, model...). */
int content_init(struct edge_set *set, struct edge *e);
void content_free(struct content *c);

/* The transaction's recipients as the next hop accepted them (from
 * txn_rcpt), and the end of the transaction's content state. */
void content_rcpt(struct session *s, const char *addr);
void content_txn_free(struct session *s);

/* The data path (txn.c). */
bool content_on(const struct session *s);
void content_begin(struct session *s);
/* Adds message bytes to the spool. Returns 0 or -1 (spool failed). */
int content_add(struct session *s, const char *data, size_t len);

enum content_verdict {
	CONTENT_DELIVER,	/* send out->head + out->body on */
	CONTENT_REJECT,		/* out->reply (5xx) */
	CONTENT_TEMPFAIL,	/* out->reply (4xx) */
	CONTENT_DROP,		/* accepted and not passed on (deleted,
				   quarantined): out->reply is the 250 */
};

struct content_out {
	enum content_verdict verdict;
	struct strbuf reply;
	struct strbuf head;		/* trace and content header fields and the
					   message's own header block */
	const char *body;		/* the body, borrowed (spool or body_own) */
	size_t body_len;
	struct strbuf body_own;		/* a body rewritten (strip) */
	char **rcpts;			/* the recipients to use when changed
					   (redirect, copies), else NULL */
	size_t nrcpts;
	bool rcpts_replace;		/* redirect: rcpts replace the envelope's */
	bool require_tls;		/* to the next hop */
	int scl;			/* the SCL given, RULES_SCL_UNKNOWN (content/rules.h)
					   when none */
};

void content_out_init(struct content_out *o);
void content_out_release(struct content_out *o);

/* Runs the stages on the spooled message; trace is our Received and
 * Authentication-Results lines (headers_make). */
void content_run(struct session *s, const struct strbuf *trace, struct content_out *out);

/* smtp-edge quarantine|rules|sync (st->argv[0]): returns the exit code,
 * or -1 when the command is none of these. content_cmd_opts are their
 * options (parsed after the command word). */
struct prog_state;
extern const struct opt content_cmd_opts[];
int content_cmd(struct prog_state *st);
/* quarantine_cmd.c, rules_cmd.c, sync.c (argv[0] is the command word) */
int content_cmd_quarantine(struct prog_state *st, int argc, char **argv);
int content_cmd_rules(struct prog_state *st, int argc, char **argv);
int content_cmd_sync(struct prog_state *st, int argc, char **argv);

#endif
