/* DNS names: wire form to text for the RDATA parser, the check of names
 * given as text, and reverse names for PTR and DNSBL lookups. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dns/dns_name.h"
#include "util/mem.h"

static void label_to_text(const unsigned char *l, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned c = l[i];

		if (strchr(".\\\";()@$", (int)c) && c != 0)
			strbuf_addf(out, "\\%c", (int)c);
		else if (c < 0x21 || c > 0x7e)
			strbuf_addf(out, "\\%03u", c);
		else
			strbuf_addch(out, (int)c);
	}
}

int dns_name_from_wire(const unsigned char *p, size_t len, size_t *used,
		       struct strbuf *out)
{
	size_t off = 0, start = out->len;

	for (;;) {
		unsigned n;

		if (off >= len || off >= DNS_NAME_WIRE_MAX)
			goto bad;
		n = p[off];
		if (n == 0)
			break;
		/* 0xC0 is a pointer, 0x40 and 0x80 are reserved label types:
		 * none belongs in decompressed RDATA, and refusing them rules
		 * out loops. */
		if (n > DNS_LABEL_MAX)
			goto bad;
		if (n + 1 > len - off || off + 1 + n >= DNS_NAME_WIRE_MAX)
			goto bad;
		label_to_text(p + off + 1, n, out);
		strbuf_addch(out, '.');
		off += 1 + n;
	}
	if (off == 0)
		strbuf_addch(out, '.');
	*used = off + 1;
	return 0;
bad:
	strbuf_setlen(out, start);
	return -1;
}

int dns_name_check(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (strcmp(name, ".") == 0)
		return 0;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_TEXT_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e || c == '\\')
			return -1;
		if (++label > DNS_LABEL_MAX)
			return -1;
	}
	return label == 0 ? -1 : 0;
}

char *dns_name_reverse(const char *ip, const char *zone)
{
	unsigned char a[16];
	struct strbuf sb = STRBUF_INIT;

	if (inet_pton(AF_INET, ip, a) == 1) {
		strbuf_addf(&sb, "%u.%u.%u.%u.%s", a[3], a[2], a[1], a[0],
			    zone ? zone : "in-addr.arpa");
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		for (int i = 15; i >= 0; i--)
			strbuf_addf(&sb, "%x.%x.", a[i] & 0xf, a[i] >> 4);
		strbuf_addstr(&sb, zone ? zone : "ip6.arpa");
	} else {
		return NULL;
	}
	if (sb.len > 0 && sb.buf[sb.len - 1] == '.')
		strbuf_setlen(&sb, sb.len - 1);
	if (dns_name_check(sb.buf) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}
