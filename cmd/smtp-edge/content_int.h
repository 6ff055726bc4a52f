/* The content layer's private parts, shared by content.c (set-up, the
 * transaction, the run and the message it makes) and content_stages.c
 * (the stages). */
#ifndef POSTERN_SMTP_EDGE_CONTENT_INT_H
#define POSTERN_SMTP_EDGE_CONTENT_INT_H

#include <stdbool.h>

#include "content.h"
#include "content/archive.h"
#include "content/rules.h"
#include "content/seal.h"
#include "content/spool.h"
#include "edge.h"
#include "mail/mime.h"
#include "spam/model.h"
#include "spam/scl.h"

struct content {
	const json_t *sec;		/* the "content" object (borrowed from e->sec) */
	struct dir *dir;		/* safelists; NULL when off */
	bool own_dir;
	struct spam_model *model;	/* mapped on first use, per process */
	bool model_tried;
	char model_why[256];
	struct scl_policy pol;
	bool have_key;
	struct seal_key key;
	struct edge_cidr *peers;	/* organisation.trusted_peers */
	size_t npeers;
	struct rules *rules;
	struct arch_limits alim;
};

struct content_txn {
	char **rcpts;
	size_t nrcpt, alloc;
	struct spool spool;
};

/* A part to replace by a notice (strip). */
struct strip {
	size_t off, len;
	char *name, *type, *why;
};

/* One message's way through the stages. */
struct run {
	struct session *s;
	struct content *c;
	struct content_out *out;
	const struct strbuf *trace;	/* our Received and Authentication-Results */
	const char *raw;
	size_t len;
	struct mime_msg *mm;
	bool done;			/* a stage ended the transaction */
	bool org_trusted;		/* from our site, seal good: keep internal fields */
	bool stamp_ok;			/* a good stamp from a trusted peer: no scan */
	bool av_clean;			/* clamd said clean: stamp at the end */
	bool whole;			/* body is the whole message (signed): no
					   header block of the original */
	unsigned char drop[1024];	/* root header fields to leave out (index < 1024) */
	bool safe, blocked;
	int junk_above;
	int scl;			/* RULES_SCL_UNKNOWN until known */
	struct strbuf fields;		/* header fields we add */
	const char *sealed_names[8];	/* internal fields we add, for the seal */
	char *sealed_values[8];
	size_t nsealed;
	struct strbuf subject_prefix;
	/* attachments as the rules see them */
	char **att_names, **att_types;
	size_t natt_names, natt_types;
	struct strip *strips;
	size_t nstrips;
	const char *body;		/* the body as it goes on */
	size_t body_len;
};

/* content.c */
void run_end(struct run *r, enum content_verdict v, const char *check, const char *action,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Adds an internal header field (sealed) or another one. */
void run_field(struct run *r, const char *name, bool sealed, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Quarantines the message as it would go on; ends the run. */
void run_quarantine(struct run *r, const char *check, const char *reason);
/* The message as it would go on (head + body), contiguous. */
void run_message(struct run *r, struct strbuf *out);
/* The message's own header block as it goes on (fields left out, the
 * subject prefixed), without our trace and fields. */
void run_message_block(struct run *r, struct strbuf *out);
void run_add_att(struct run *r, const char *name, const char *type);

/* content_stages.c, in the order content_run calls them. */
void stage_org_in(struct run *r);
void stage_senders(struct run *r);
void stage_scl(struct run *r);
void stage_attachments(struct run *r);
void stage_body(struct run *r);		/* applies the strips */
void stage_av(struct run *r);
void stage_rules(struct run *r);
void stage_org_out(struct run *r);
/* content_sign.c: the message through content.smime_sign_command.
 * Returns 0 (r->body is the signed message, r->whole set), or -1 after
 * ending the run with a tempfail. */
int content_sign(struct run *r);

#endif
