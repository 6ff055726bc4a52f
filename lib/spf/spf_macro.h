/* SPF macro strings (RFC 7208 section 7): their syntax check and their
 * expansion, with transformers, delimiters and URL escaping. Private to
 * lib/spf (and its fuzz harness). */
#ifndef POSTERN_SPF_SPF_MACRO_H
#define POSTERN_SPF_SPF_MACRO_H

#include <stdbool.h>
#include <time.h>

#include "util/strbuf.h"

#define SPF_EXPAND_MAX 8192	/* an expansion longer than this is an error */

/* The values macros stand for. Strings are borrowed. */
struct spf_macro_ctx {
	const char *sender;	/* s */
	const char *local;	/* l */
	const char *sender_domain;	/* o */
	const char *domain;	/* d: the domain being checked */
	const char *helo;	/* h */
	const char *receiver;	/* r */
	time_t now;		/* t */
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];	/* i, c, v */
	/* p: the validated name of the client; called at most once per
	 * expansion, may return "unknown"; counts as a lookup. */
	const char *(*ptr_name)(void *arg);
	void *ptr_arg;
};

/* Checks the syntax of a macro string; exp allows c, r and t. Returns 0,
 * or -1 with *why set. */
int spf_macro_check(const char *spec, bool exp, const char **why);
/* Appends the expansion of spec. Returns 0, or -1 with *why set (bad
 * syntax, too long). */
int spf_macro_expand(const char *spec, const struct spf_macro_ctx *ctx, bool exp,
		     struct strbuf *out, const char **why);
/* Cuts labels off the left of a name longer than 253 characters (7.3
 * and 4.8) and removes a final dot. */
void spf_macro_truncate(struct strbuf *name);

#endif
