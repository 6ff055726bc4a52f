/* DNS records: the RR types postern asks for, their RDATA parsed from wire
 * bytes into structs, and their text form. RDATA is outside input: every
 * length is checked against the bytes there are. */
#ifndef POSTERN_DNS_DNS_RR_H
#define POSTERN_DNS_DNS_RR_H

#include <stddef.h>

#include "util/strbuf.h"

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_TLSA = 52,
};

#define DNS_RDATA_MAX 65535

/* Bytes that may hold NULs; data[len] is always 0. */
struct dns_bytes {
	unsigned char *data;
	size_t len;
};

struct dns_addr {			/* A, AAAA */
	int family;			/* AF_INET or AF_INET6 */
	unsigned char raw[16];		/* 4 or 16 bytes, network order */
	char text[46];			/* "192.0.2.1", "2001:db8::1" */
};

struct dns_mx {
	unsigned pref;
	char *host;			/* "mail.example.test." */
};

struct dns_txt {
	/* The strings of the record concatenated with nothing between, as
	 * SPF (RFC 7208 3.3) and DKIM read them. */
	struct dns_bytes joined;
	struct dns_bytes *strings;
	size_t nstrings;		/* at least 1 */
};

struct dns_srv {
	unsigned prio, weight, port;
	char *target;			/* "." means no service */
};

struct dns_tlsa {
	unsigned usage, selector, mtype;
	struct dns_bytes data;		/* the certificate association data */
};

/* One record. Text members are owned by the record: dns_rr_clear. */
struct dns_rr {
	int type;
	union {
		struct dns_addr addr;
		struct dns_mx mx;
		struct dns_txt txt;
		char *name;		/* PTR, NS, CNAME */
		struct dns_srv srv;
		struct dns_tlsa tlsa;
		struct dns_bytes raw;	/* any other type */
	};
};

/* Parses the RDATA of one record of the given type. Returns 0 with rr
 * filled in, or -1 with *why set to a static reason and rr left empty
 * (nothing to clear). len above DNS_RDATA_MAX is refused. */
int dns_rr_parse(struct dns_rr *rr, int type, const unsigned char *rdata,
		 size_t len, const char **why);
/* Frees what rr holds and leaves it empty. */
void dns_rr_clear(struct dns_rr *rr);
/* Appends the presentation form of the RDATA: "10 mail.example.test.",
 * "\"v=spf1 \" \"-all\"", "3 1 1 ab12...", RFC 3597 "\# 4 0a000001" for
 * other types. */
void dns_rr_format(const struct dns_rr *rr, struct strbuf *out);

/* "MX" for DNS_TYPE_MX; "TYPE99" for a type without a name here (a static
 * buffer, so use the value before asking again). */
const char *dns_type_name(int type);
/* The type named by s ("mx" or "MX", or "TYPE99"), or -1. */
int dns_type_parse(const char *s);

#endif
