/* Mail addresses in header fields (From, Reply-To, Sender, To, Cc): the
 * addr-specs out of RFC 5322 address lists with display names, comments,
 * quoted strings, groups and RFC 2047 words, and the normal form used for
 * safelist hashes. */
#ifndef POSTERN_MAIL_ADDRESS_H
#define POSTERN_MAIL_ADDRESS_H

#include <stddef.h>

#include "util/strbuf.h"

/* One mailbox. Strings are owned by the list (address_list_free). */
struct mail_addr {
	/* local@domain: the local part as written (quotes kept if they were
	 * needed), the domain lowercased; NUL-terminated. */
	char *addr;
	char *local;		/* quotes removed */
	char *domain;		/* lowercased, "" when there is none */
	char *display;		/* UTF-8, RFC 2047 decoded, or NULL */
};

/* Parses an unfolded header value (mime_header.value) as an address list,
 * tolerating broken ones (a bare address, no angle brackets, garbage).
 * Stores at most max mailboxes (0: 100) in *out (caller frees with
 * address_list_free) and returns how many, maybe 0. */
size_t address_parse_list(const char *value, size_t len, size_t max, struct mail_addr **out);
void address_list_free(struct mail_addr *list, size_t n);

/* Appends the first addr-spec of the list (domain lowercased). Returns 0,
 * or -1 with out unchanged when there is none. */
int address_first(const char *value, size_t len, struct strbuf *out);

/* Appends the normal form of an addr-spec for safelist hashing: the whole
 * of it lowercased (ASCII only; UTF-8 bytes kept as they are), surrounding
 * blanks and angle brackets removed. scl-score safelist-hash and the
 * directory's safelist blobs both hash this. */
void address_normalise(const char *addr, size_t len, struct strbuf *out);

#endif
