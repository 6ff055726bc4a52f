/* DNS names: the wire form found in RDATA turned into text (bounds-checked,
 * no compression), the check of a name given as text, and reverse names
 * (PTR, DNSBL) built from an IP address. */
#ifndef POSTERN_DNS_DNS_NAME_H
#define POSTERN_DNS_DNS_NAME_H

#include <stddef.h>

#include "util/strbuf.h"

#define DNS_NAME_WIRE_MAX 255	/* octets of a whole name, root label included */
#define DNS_LABEL_MAX 63
#define DNS_NAME_TEXT_MAX 253	/* characters of a name given as text, no final dot */

/* Reads the uncompressed wire name at p[0..len). On success appends its
 * text (absolute with the final dot, "." for the root; '.', '\\', '"' and
 * the like escaped with a backslash, other bytes outside 0x21..0x7e as
 * \DDD) to out, stores the octets it took in *used and returns 0. Returns
 * -1, out untouched, for a name that runs past len, is longer than 255
 * octets, or holds a compression pointer or a reserved label type (RDATA
 * from libunbound is decompressed, so a pointer there is malformed). */
int dns_name_from_wire(const unsigned char *p, size_t len, size_t *used,
		       struct strbuf *out);

/* Returns 0 when name is fit to look up: at most 253 characters (plus an
 * optional final dot), labels of 1..63 printable ASCII characters, no
 * backslash (escapes are not taken), or "." alone. Else -1. */
int dns_name_check(const char *name);

/* The reverse name of an IPv4 or IPv6 address under zone: "127.0.0.2" with
 * zone "dnsbl.test" gives "2.0.0.127.dnsbl.test"; zone NULL means
 * in-addr.arpa or ip6.arpa (nibbles). No final dot. Returns a new string
 * the caller frees, or NULL when ip is not an address or the name would be
 * too long. */
char *dns_name_reverse(const char *ip, const char *zone);

#endif
