/* The SMTP server's command parser (RFC 5321 section 4.1): the verb, the
 * argument, and for MAIL and RCPT the path and ESMTP parameters, with
 * the length limits of section 4.5.3.1. Outside input: every field is
 * checked; a bad command gets a ready reply line. */
#ifndef POSTERN_SMTP_CMD_H
#define POSTERN_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_PATH_MAX 256	/* RFC 5321 4.5.3.1.3, brackets included */
#define SMTP_LOCAL_MAX 64	/* 4.5.3.1.1 */
#define SMTP_DOMAIN_MAX 255	/* 4.5.3.1.2 */
#define SMTP_PARAMS_MAX 16	/* ESMTP parameters on one MAIL or RCPT */
#define SMTP_PARAM_MAX 500	/* one keyword=value */
#define SMTP_BDAT_MAX 1099511627776ULL	/* a chunk size beyond sanity */

enum smtp_verb {
	SMTP_UNKNOWN, SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA,
	SMTP_BDAT, SMTP_RSET, SMTP_NOOP, SMTP_QUIT, SMTP_VRFY, SMTP_EXPN,
	SMTP_HELP, SMTP_STARTTLS, SMTP_XCLIENT, SMTP_AUTH,
};

struct smtp_param {
	const char *key;	/* upper-cased in place: "SIZE", "BODY" */
	const char *value;	/* as sent, or NULL for a bare keyword */
};

/* Every pointer points into the line given to smtp_cmd_parse, which the
 * parser changes in place and which must outlive the struct. */
struct smtp_cmd {
	enum smtp_verb verb;
	const char *name;	/* the verb as the table spells it, "MAIL" */
	const char *arg;	/* the rest of the line, "" when none */
	/* MAIL and RCPT */
	const char *addr;	/* the mailbox without brackets or source route:
				   "" for the null sender, "postmaster" alone */
	const char *domain;	/* the part after the last '@', or "" */
	struct smtp_param params[SMTP_PARAMS_MAX];
	size_t nparams;
	/* BDAT */
	unsigned long long size;
	bool last;
	/* Why parsing failed: a complete reply line without CRLF. */
	const char *error;
};

/* Parses one command line (without its line ending; len bytes, which may
 * hold NULs). Returns 0, or -1 with c->error set ("501 5.5.4 ..."). An
 * unknown verb is not an error here: verb is SMTP_UNKNOWN. */
int smtp_cmd_parse(char *line, size_t len, struct smtp_cmd *c);

/* The value of parameter key (upper case) on c, NULL when absent, and
 * whether it is there at all. */
const struct smtp_param *smtp_cmd_param(const struct smtp_cmd *c, const char *key);

/* Whether addr is a mailbox we accept in a path: local@domain with a
 * dot-atom or quoted local part and a domain name or address literal;
 * UTF-8 only when utf8 (SMTPUTF8). */
bool smtp_addr_valid(const char *addr, bool utf8);

#endif
