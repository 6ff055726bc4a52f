/* Small text helpers of the HTTP layer: percent coding, XML escaping,
 * HTTP dates and address ranges. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

#include "http/http_int.h"
#include "util/pct.h"

void http_pct_decode(struct strbuf *out, const char *in, size_t len, bool plus_space)
{
	/* Every request's path, which has no escape as a rule. */
	if (!plus_space && !memchr(in, '%', len)) {
		strbuf_add(out, in, len);
		return;
	}
	(void)pct_decode(out, in, len, plus_space ? PCT_PLUS_SPACE : 0);
}

void http_pct_encode(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			strbuf_addch(out, c);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

void http_xml_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&apos;"); break;
		default:
			/* Control characters are not allowed in XML 1.0 at all. */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				strbuf_addch(out, '?');
			else
				strbuf_addch(out, *s);
		}
	}
}

void http_date(long long t, char buf[30])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ip into 16 bytes (IPv4 as v4-mapped IPv6). */
static bool ip16(const char *ip, unsigned char out[16], bool *v4)
{
	struct in_addr a4;

	*v4 = false;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4 = true;
		return true;
	}
	return inet_pton(AF_INET6, ip, out) == 1;
}

static bool cidr_one(const unsigned char ip[16], const char *spec)
{
	char host[64];
	const char *slash = strchr(spec, '/');
	size_t hl = slash ? (size_t)(slash - spec) : strlen(spec);
	unsigned char net[16];
	bool v4;
	long bits;
	char *end;

	if (hl >= sizeof(host))
		return false;
	memcpy(host, spec, hl);
	host[hl] = 0;
	if (!ip16(host, net, &v4))
		return false;
	bits = v4 ? 32 : 128;
	if (slash) {
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > (v4 ? 32 : 128))
			return false;
	}
	if (v4)
		bits += 96;
	for (long i = 0; i < bits; i++) {
		int m = 0x80 >> (i % 8);

		if ((ip[i / 8] & m) != (net[i / 8] & m))
			return false;
	}
	return true;
}

bool http_cidr_valid(const char *spec)
{
	unsigned char any[16] = { 0 };

	/* cidr_one fails only on a malformed spec or a mismatch; an address
	 * matched against itself leaves only the malformed case. */
	char host[64];
	const char *slash = strchr(spec, '/');
	size_t hl = slash ? (size_t)(slash - spec) : strlen(spec);
	bool v4;

	if (hl >= sizeof(host))
		return false;
	memcpy(host, spec, hl);
	host[hl] = 0;
	if (!ip16(host, any, &v4))
		return false;
	return cidr_one(any, spec);
}

bool http_cidr_match(const char *ip, const char *const *cidrs, size_t n)
{
	unsigned char a[16];
	bool v4;

	if (!ip16(ip, a, &v4))
		return false;
	for (size_t i = 0; i < n; i++)
		if (cidr_one(a, cidrs[i]))
			return true;
	return false;
}

/* name[0..len) is lit, without regard to case. */
static bool field_is(const char *name, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(name, lit, len) == 0;
}

const char *http_head_end(const char *b, size_t len)
{
	const char *p = b, *end = b + len, *nl;

	while (end - p >= 4 && (nl = memchr(p + 1, '\n', (size_t)(end - p - 3)))) {
		if (nl[-1] == '\r' && nl[1] == '\r' && nl[2] == '\n')
			return nl - 1;
		p = nl;
	}
	return NULL;
}

bool http_hop_by_hop(const char *name, size_t len)
{
	switch (name[0]) {
	case 'C': case 'c':
		return field_is(name, len, "Connection") || field_is(name, len, "Content-Length");
	case 'K': case 'k':
		return field_is(name, len, "Keep-Alive");
	case 'P': case 'p':
		return field_is(name, len, "Proxy-Connection") ||
		       field_is(name, len, "Proxy-Authenticate") ||
		       field_is(name, len, "Proxy-Authorization");
	case 'T': case 't':
		return field_is(name, len, "TE") || field_is(name, len, "Trailer") ||
		       field_is(name, len, "Transfer-Encoding");
	case 'U': case 'u':
		return field_is(name, len, "Upgrade");
	}
	return false;
}
