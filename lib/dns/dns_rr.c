/* RDATA parsing for the record types postern looks up. Each parser reads
 * from a cursor that refuses to move past the end, and a record must use
 * its RDATA exactly: a short or a long one is malformed. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns_name.h"
#include "dns/dns_rr.h"
#include "util/mem.h"

struct cur {
	const unsigned char *p;
	size_t len, off;
	const char *why;
};

static int need(struct cur *c, size_t n, const char *why)
{
	if (c->len - c->off >= n)
		return 0;
	if (!c->why)
		c->why = why;
	return -1;
}

static int get_u8(struct cur *c, unsigned *v)
{
	if (need(c, 1, "truncated") < 0)
		return -1;
	*v = c->p[c->off++];
	return 0;
}

static int get_u16(struct cur *c, unsigned *v)
{
	if (need(c, 2, "truncated") < 0)
		return -1;
	*v = (unsigned)c->p[c->off] << 8 | c->p[c->off + 1];
	c->off += 2;
	return 0;
}

static int get_name(struct cur *c, char **name)
{
	struct strbuf sb = STRBUF_INIT;
	size_t used;

	if (dns_name_from_wire(c->p + c->off, c->len - c->off, &used, &sb) < 0) {
		strbuf_release(&sb);
		if (!c->why)
			c->why = "malformed name";
		return -1;
	}
	c->off += used;
	*name = strbuf_detach(&sb, NULL);
	return 0;
}

static void bytes_set(struct dns_bytes *b, const unsigned char *p, size_t n)
{
	b->data = xmalloc(n + 1);
	if (n)
		memcpy(b->data, p, n);
	b->data[n] = 0;
	b->len = n;
}

static int parse_addr(struct dns_rr *rr, struct cur *c, int family, size_t n)
{
	if (c->len != n) {
		c->why = "bad address length";
		return -1;
	}
	rr->addr.family = family;
	memcpy(rr->addr.raw, c->p, n);
	inet_ntop(family, rr->addr.raw, rr->addr.text, sizeof(rr->addr.text));
	c->off = n;
	return 0;
}

static int parse_txt(struct dns_rr *rr, struct cur *c)
{
	struct dns_txt *t = &rr->txt;
	size_t cap = 0, total = 0;
	unsigned n;

	if (c->len == 0) {
		c->why = "empty TXT";
		return -1;
	}
	/* Check the whole first, so that the strings are allocated once. */
	for (size_t off = 0; off < c->len; off += 1 + c->p[off]) {
		if ((size_t)c->p[off] + 1 > c->len - off) {
			c->why = "truncated string";
			return -1;
		}
		total += c->p[off];
		cap++;
	}
	t->strings = xcalloc(cap, sizeof(*t->strings));
	t->joined.data = xmalloc(total + 1);
	while (c->off < c->len) {
		get_u8(c, &n);
		bytes_set(&t->strings[t->nstrings++], c->p + c->off, n);
		memcpy(t->joined.data + t->joined.len, c->p + c->off, n);
		t->joined.len += n;
		c->off += n;
	}
	t->joined.data[t->joined.len] = 0;
	return 0;
}

static int parse_tlsa(struct dns_rr *rr, struct cur *c)
{
	struct dns_tlsa *t = &rr->tlsa;

	if (get_u8(c, &t->usage) < 0 || get_u8(c, &t->selector) < 0 ||
	    get_u8(c, &t->mtype) < 0)
		return -1;
	if (c->off == c->len) {
		c->why = "empty TLSA data";
		return -1;
	}
	bytes_set(&t->data, c->p + c->off, c->len - c->off);
	c->off = c->len;
	return 0;
}

static int parse_body(struct dns_rr *rr, struct cur *c)
{
	switch (rr->type) {
	case DNS_TYPE_A:
		return parse_addr(rr, c, AF_INET, 4);
	case DNS_TYPE_AAAA:
		return parse_addr(rr, c, AF_INET6, 16);
	case DNS_TYPE_MX:
		return get_u16(c, &rr->mx.pref) < 0 ? -1 : get_name(c, &rr->mx.host);
	case DNS_TYPE_TXT:
		return parse_txt(rr, c);
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
		return get_name(c, &rr->name);
	case DNS_TYPE_SRV:
		if (get_u16(c, &rr->srv.prio) < 0 || get_u16(c, &rr->srv.weight) < 0 ||
		    get_u16(c, &rr->srv.port) < 0)
			return -1;
		return get_name(c, &rr->srv.target);
	case DNS_TYPE_TLSA:
		return parse_tlsa(rr, c);
	default:
		bytes_set(&rr->raw, c->p, c->len);
		c->off = c->len;
		return 0;
	}
}

int dns_rr_parse(struct dns_rr *rr, int type, const unsigned char *rdata,
		 size_t len, const char **why)
{
	struct cur c = { rdata, len, 0, NULL };

	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	if (len > DNS_RDATA_MAX) {
		*why = "RDATA too long";
		return -1;
	}
	if (parse_body(rr, &c) < 0 || c.off != c.len) {
		*why = c.why ? c.why : "trailing bytes";
		dns_rr_clear(rr);
		rr->type = type;
		return -1;
	}
	return 0;
}

void dns_rr_clear(struct dns_rr *rr)
{
	switch (rr->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		break;
	case DNS_TYPE_MX:
		free(rr->mx.host);
		break;
	case DNS_TYPE_TXT:
		for (size_t i = 0; i < rr->txt.nstrings; i++)
			free(rr->txt.strings[i].data);
		free(rr->txt.strings);
		free(rr->txt.joined.data);
		break;
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
		free(rr->name);
		break;
	case DNS_TYPE_SRV:
		free(rr->srv.target);
		break;
	case DNS_TYPE_TLSA:
		free(rr->tlsa.data.data);
		break;
	default:
		free(rr->raw.data);
		break;
	}
	memset(rr, 0, sizeof(*rr));
}

static void add_hex(struct strbuf *out, const struct dns_bytes *b)
{
	for (size_t i = 0; i < b->len; i++)
		strbuf_addf(out, "%02x", b->data[i]);
}

static void add_quoted(struct strbuf *out, const struct dns_bytes *b)
{
	strbuf_addch(out, '"');
	for (size_t i = 0; i < b->len; i++) {
		unsigned ch = b->data[i];

		if (ch == '"' || ch == '\\')
			strbuf_addf(out, "\\%c", (int)ch);
		else if (ch < 0x20 || ch > 0x7e)
			strbuf_addf(out, "\\%03u", ch);
		else
			strbuf_addch(out, (int)ch);
	}
	strbuf_addch(out, '"');
}

void dns_rr_format(const struct dns_rr *rr, struct strbuf *out)
{
	switch (rr->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		strbuf_addstr(out, rr->addr.text);
		break;
	case DNS_TYPE_MX:
		strbuf_addf(out, "%u %s", rr->mx.pref, rr->mx.host);
		break;
	case DNS_TYPE_TXT:
		for (size_t i = 0; i < rr->txt.nstrings; i++) {
			if (i)
				strbuf_addch(out, ' ');
			add_quoted(out, &rr->txt.strings[i]);
		}
		break;
	case DNS_TYPE_PTR:
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
		strbuf_addstr(out, rr->name);
		break;
	case DNS_TYPE_SRV:
		strbuf_addf(out, "%u %u %u %s", rr->srv.prio, rr->srv.weight,
			    rr->srv.port, rr->srv.target);
		break;
	case DNS_TYPE_TLSA:
		strbuf_addf(out, "%u %u %u ", rr->tlsa.usage, rr->tlsa.selector,
			    rr->tlsa.mtype);
		add_hex(out, &rr->tlsa.data);
		break;
	default:
		strbuf_addf(out, "\\# %zu ", rr->raw.len);
		add_hex(out, &rr->raw);
		break;
	}
}

static const struct {
	int type;
	const char *name;
} type_names[] = {
	{ DNS_TYPE_A, "A" }, { DNS_TYPE_NS, "NS" }, { DNS_TYPE_CNAME, "CNAME" },
	{ DNS_TYPE_PTR, "PTR" }, { DNS_TYPE_MX, "MX" }, { DNS_TYPE_TXT, "TXT" },
	{ DNS_TYPE_AAAA, "AAAA" }, { DNS_TYPE_SRV, "SRV" }, { DNS_TYPE_TLSA, "TLSA" },
};

const char *dns_type_name(int type)
{
	static char buf[16];

	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	snprintf(buf, sizeof(buf), "TYPE%d", type & 0xffff);
	return buf;
}

int dns_type_parse(const char *s)
{
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(type_names[i].name, s) == 0)
			return type_names[i].type;
	if (strncasecmp(s, "TYPE", 4) != 0 || s[4] < '0' || s[4] > '9')
		return -1;
	v = strtoul(s + 4, &end, 10);
	if (*end || v == 0 || v > 65535)
		return -1;
	return (int)v;
}
