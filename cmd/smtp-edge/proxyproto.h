/* The client address handed over by a trusted front end: the PROXY
 * protocol header (v1 text, v2 binary) at the start of the connection, and
 * the XCLIENT command (Postfix's XCLIENT_README). Both are outside input
 * with strict length limits; the caller accepts them only from
 * connfilter_trusted() peers. */
#ifndef POSTERN_SMTP_EDGE_PROXYPROTO_H
#define POSTERN_SMTP_EDGE_PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>

#define PROXY_V1_MAX 107	/* the whole v1 line, CRLF included */
#define PROXY_V2_SIG_LEN 12
#define PROXY_V2_HDR_LEN 16
#define PROXY_V2_BODY_MAX 2048	/* addresses and TLVs; longer is refused */

struct proxy_info {
	int version;		/* 1 or 2 */
	bool local;		/* v2 LOCAL or v1 UNKNOWN: keep the socket's peer */
	int family;		/* AF_INET, AF_INET6, or AF_UNSPEC when local */
	char src_ip[46], dst_ip[46];
	unsigned src_port, dst_port;
};

/* Parses a PROXY header at buf[0..len). Returns the header's length in
 * bytes (> 0) with out filled in; 0 when buf is a valid beginning that
 * needs more bytes; -1 when it is not a valid header (*why says why). */
int proxy_parse(const unsigned char *buf, size_t len, struct proxy_info *out,
		const char **why);
/* Reads exactly one PROXY header from fd, never a byte past it, so that
 * the SMTP stream starts clean after it; timeout_ms bounds the whole
 * read. Returns 0, or -1 with *why ("timeout", "closed", "not a PROXY
 * header", ...). */
int proxy_read(int fd, long long timeout_ms, struct proxy_info *out, const char **why);

enum xclient_state {
	XCLIENT_ABSENT,		/* not in the command */
	XCLIENT_VALUE,		/* given: the value is in the field */
	XCLIENT_UNAVAILABLE,	/* [UNAVAILABLE] */
	XCLIENT_TEMPUNAVAIL,	/* [TEMPUNAVAIL] */
};

#define XCLIENT_ARGS_MAX 1024	/* the command's arguments, bytes */

/* One XCLIENT command's attributes, xtext-decoded. */
struct xclient {
	enum xclient_state addr_state, port_state, name_state, reverse_name_state,
		helo_state, proto_state, login_state, destaddr_state, destport_state;
	char addr[46];		/* "192.0.2.1", "2001:db8::1" (IPV6: prefix
				   removed), canonical form */
	unsigned port, destport;
	char name[256], reverse_name[256], helo[256], login[256];
	char proto[8];		/* "SMTP" or "ESMTP" */
	char destaddr[46];
	const char *why;	/* after -1: a static reason for the 501 reply */
};

/* Parses the arguments of XCLIENT ("ADDR=192.0.2.1 NAME=[UNAVAILABLE]").
 * Attribute names are case-insensitive; unknown names, repeats, bad
 * xtext, a malformed address or port and over-long values are refused.
 * Returns 0, or -1 with out->why set. */
int xclient_parse(const char *args, struct xclient *out);

#endif
