/* smtp-edge's layer-2 lists and networks: CIDR matching for
 * relay_networks, sender and recipient lists, domain lists, and which
 * partner (inbound domain security) a sender domain belongs to. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edge.h"

static int addr_parse(const char *s, int *family, unsigned char out[16])
{
	if (strncasecmp(s, "::ffff:", 7) == 0 && strchr(s + 7, '.'))
		s += 7;		/* IPv4-mapped: compare as IPv4 */
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

int edge_cidr_parse(const char *s, struct edge_cidr *c)
{
	char buf[64], *slash, *end;
	unsigned max;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (addr_parse(buf, &c->family, c->addr) < 0)
		return -1;
	max = c->family == AF_INET ? 32 : 128;
	c->bits = max;
	if (slash) {
		bits = strtol(slash, &end, 10);
		if (*slash == 0 || *end || bits < 0 || bits > (long)max)
			return -1;
		c->bits = (unsigned)bits;
	}
	return 0;
}

static bool cidr_has(const struct edge_cidr *c, int family, const unsigned char *a)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (c->family != family || memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

bool edge_cidr_match(const struct edge_cidr *nets, size_t n, const char *ip)
{
	unsigned char a[16];
	int family;

	if (addr_parse(ip, &family, a) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cidr_has(&nets[i], family, a))
			return true;
	return false;
}

/* domain is d, or (for ".d" entries) under d. */
static bool domain_match(const char *entry, const char *domain)
{
	size_t n, dn;

	if (*entry == '@')
		entry++;
	if (*entry != '.')
		return strcasecmp(entry, domain) == 0;
	n = strlen(entry);
	dn = strlen(domain);
	return dn > n && strcasecmp(domain + dn - n, entry) == 0;
}

const char *edge_list_match(const json_t *sec, const char *key, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *domain = at ? at + 1 : "";

	for (size_t i = 0; i < conf_strings_len(sec, key); i++) {
		const char *e = conf_strings_at(sec, key, i);

		if (strchr(e + 1, '@') || (*e != '@' && strchr(e, '@'))) {
			if (strcasecmp(e, addr) == 0)
				return e;
		} else if (*domain && domain_match(e, domain)) {
			return e;
		}
	}
	return NULL;
}

bool edge_domain_in(const json_t *sec, const char *key, const char *domain)
{
	for (size_t i = 0; i < conf_strings_len(sec, key); i++)
		if (domain_match(conf_strings_at(sec, key, i), domain))
			return true;
	return false;
}

const struct edge_partner *edge_partner_for(const struct edge *e, const char *domain)
{
	for (size_t i = 0; i < e->npartners; i++) {
		const struct edge_partner *p = &e->partners[i];

		if (domain_match(p->domain, domain))
			return p;
		for (size_t j = 0; j < p->nsenders; j++)
			if (domain_match(p->senders[j], domain))
				return p;
	}
	return NULL;
}
