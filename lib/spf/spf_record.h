/* SPF records (RFC 7208 sections 4.5, 5, 6, 12): "v=spf1" selection and
 * the parse of a record into terms, with every syntax rule checked up
 * front (a syntax error anywhere is a permerror). Private to lib/spf (and
 * its fuzz harness). */
#ifndef POSTERN_SPF_SPF_RECORD_H
#define POSTERN_SPF_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#define SPF_RECORD_MAX 4096	/* a longer record is refused */
#define SPF_TERMS_MAX 256

enum spf_kind {
	SPF_ALL, SPF_INCLUDE, SPF_A, SPF_MX, SPF_PTR, SPF_IP4, SPF_IP6, SPF_EXISTS,
	SPF_REDIRECT, SPF_EXP, SPF_UNKNOWN_MOD,
};

struct spf_term {
	enum spf_kind kind;
	char qual;		/* '+', '-', '~', '?' (mechanisms) */
	char *text;		/* the term as written */
	char *spec;		/* domain-spec or macro string, or NULL */
	int cidr4, cidr6;	/* a, mx, ip4, ip6: prefix lengths (32, 128 if none) */
	unsigned char addr[16];	/* ip4, ip6 */
};

/* Owns its terms: spf_record_clear. */
struct spf_record {
	struct spf_term *terms;
	size_t n;
	int redirect, exp;	/* index of the modifier, or -1 */
};

/* Whether a TXT string is an SPF record: "v=spf1" alone or followed by a
 * space, case-insensitively (4.5). */
bool spf_record_is_spf(const char *txt, size_t len);
/* Parses a whole record ("v=spf1 ..."). Returns 0, or -1 with *why set
 * and rec empty. */
int spf_record_parse(const char *text, struct spf_record *rec, const char **why);
void spf_record_clear(struct spf_record *rec);

#endif
