/* Transport rules: a JSON file of rules, each conditions -> actions with
 * exceptions in the same condition language, evaluated in order with a
 * stop flag (rules(5) describes the file). Loading checks every key and
 * value and bounds sizes; evaluation explains why each rule fired or
 * not, for the log and `smtp-edge rules test`. */
#ifndef POSTERN_CONTENT_RULES_H
#define POSTERN_CONTENT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define RULES_FILE_MAX (1024 * 1024)
#define RULES_MAX 1000
#define RULES_VALUES_MAX 1000	/* strings in one condition or action */
#define RULES_VALUE_LEN 998	/* bytes of one string */

struct rules;

/* The message as the rules see it; everything borrowed. */
struct rules_msg {
	const char *sender;		/* envelope, "" for <> */
	const char *from;		/* the From header's address, or "" */
	const char *const *rcpts;	/* envelope recipients */
	size_t nrcpt;
	const char *subject;		/* decoded, UTF-8 */
	const char *body;		/* text of the message (mime_text), UTF-8 */
	size_t body_len;
	/* The nth value (unfolded) of a header field, or NULL. */
	const char *(*header)(const char *name, unsigned nth, void *ctx);
	void *header_ctx;
	const char *const *att_names;	/* attachment file names, archives' included */
	size_t natt_names;
	const char *const *att_types;	/* "type/subtype" of the attachments */
	size_t natt_types;
	int scl;			/* -1..9, or RULES_SCL_UNKNOWN */
	bool tls;			/* the client used TLS */
	size_t size;
};
#define RULES_SCL_UNKNOWN (-100)

/* What the rules that fired ask for, merged in order. */
struct rules_actions {
	struct strbuf headers;		/* "Name: value\r\n" lines to add */
	char *classification;		/* last one wins; owned */
	struct strbuf subject_prefix;	/* prefixes, in order */
	char **redirect;		/* owned; replaces the recipients */
	size_t nredirect;
	char **add_rcpt;		/* owned; copies */
	size_t nadd_rcpt;
	char *reject;			/* reply text (owned), or NULL */
	bool delete, quarantine, require_tls, smime_sign;
	struct strbuf fired;		/* "name,name" of the rules that fired */
};

/* Loads a rules file. Returns NULL after writing "FILE: rules[N].KEY:
 * what is wrong" lines to why (a strbuf, appended to). */
struct rules *rules_load(const char *path, struct strbuf *why);
/* The same from text (tests, the fuzz harness); name is for messages. */
struct rules *rules_parse(const char *text, size_t len, const char *name, struct strbuf *why);
void rules_free(struct rules *r);
size_t rules_count(const struct rules *r);

void rules_actions_init(struct rules_actions *a);
void rules_actions_release(struct rules_actions *a);

/* Evaluates every rule on m in order (until a fired rule with stop),
 * merging the actions of those that fire into a. When explain is not
 * NULL, one line per rule is appended to it: "NAME: fired|not fired|
 * excepted|disabled (why)". Returns the number of rules fired. */
size_t rules_eval(const struct rules *r, const struct rules_msg *m, struct rules_actions *a,
		  struct strbuf *explain);

#endif
