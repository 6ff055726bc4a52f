/* smtp-edge's layer 4, relay: the route for a recipient domain, and a
 * session with its next hop (fixed host or MX hosts in preference
 * order) at the route's TLS policy. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edge.h"
#include "util/mem.h"
#include "util/msg.h"

#define MX_HOSTS_MAX 10		/* MX hosts tried for one domain */
#define ADDRS_PER_HOST 4

const struct edge_route *edge_route_for(const struct edge *e, const char *domain)
{
	const struct edge_route *best = NULL, *star = NULL;
	size_t dn = strlen(domain), bestlen = 0;

	for (size_t i = 0; i < e->nroutes; i++) {
		const struct edge_route *r = &e->routes[i];
		size_t n = strlen(r->domain);

		if (strcmp(r->domain, "*") == 0)
			star = r;
		else if (strcasecmp(r->domain, domain) == 0)
			return r;
		else if (r->domain[0] == '.' && dn > n &&
			 strcasecmp(domain + dn - n, r->domain) == 0 && n > bestlen) {
			best = r;
			bestlen = n;
		}
	}
	return best ? best : star;
}

static enum smtp_tls_level level(enum edge_tls t)
{
	switch (t) {
	case EDGE_TLS_NONE: return SMTP_TLS_NONE;
	case EDGE_TLS_REQUIRED: return SMTP_TLS_ENCRYPT;
	case EDGE_TLS_DOMSEC: return SMTP_TLS_VERIFY;
	default: return SMTP_TLS_MAY;
	}
}

static void opts_for(const struct edge *e, const struct edge_route *r,
		     struct smtp_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->helo = e->hostname;
	o->connect_timeout_ms = conf_int(e->sec, "nexthop_connect_timeout");
	o->timeout_ms = conf_int(e->sec, "nexthop_timeout");
	o->tls = level(r->tls);
	o->tls_ctx = r->ctx ? r->ctx : e->tls_client;
	o->tls_name = r->partner;
	o->no_chunking = !conf_bool(e->sec, "nexthop_chunking");
	if (o->tls_ctx == NULL)
		o->tls = SMTP_TLS_NONE;
}

/* The addresses of host: itself when numeric, else A records. */
static size_t resolve(const struct edge *e, const char *host, char addrs[][46], size_t max)
{
	unsigned char buf[16];
	struct dns_result *res;
	size_t n = 0;

	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1) {
		snprintf(addrs[0], 46, "%s", host);
		return 1;
	}
	res = dns_query(e->dns, host, DNS_TYPE_A);
	for (size_t i = 0; res && res->status == DNS_OK && i < res->n && n < max; i++)
		if (res->rr[i].type == DNS_TYPE_A)
			snprintf(addrs[n++], 46, "%s", res->rr[i].addr.text);
	if (res && res->status != DNS_OK)
		msg_warn("cannot resolve next hop: %s host=%s", dns_status_name(res->status),
			 msg_q(host));
	dns_result_free(res);
	return n;
}

static struct smtp_client *try_host(const struct edge *e, const struct edge_route *r,
				    const char *host, unsigned port, struct smtp_reply *err)
{
	struct smtp_client_opts o;
	char addrs[ADDRS_PER_HOST][46];
	size_t n = resolve(e, host, addrs, ADDRS_PER_HOST);
	struct smtp_client *c;

	opts_for(e, r, &o);
	if (n == 0) {
		smtp_reply_set(err, 451, "4.4.3", "Next hop %s: cannot resolve, try again later",
			       host);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		c = smtp_client_open(addrs[i], port, host, &o, err);
		if (c)
			return c;
		msg_warn("next hop failed: %s route=%s host=%s addr=%s",
			 msg_q(err->text.buf), msg_q(r->domain), msg_q(host), addrs[i]);
	}
	return NULL;
}

static int mx_cmp(const void *a, const void *b)
{
	const struct dns_rr *x = a, *y = b;

	return (int)x->mx.pref - (int)y->mx.pref;
}

/* The hosts that take mail for domain on route r, most preferred first:
 * the fixed host, or the MX hosts (the domain itself without MX records,
 * RFC 5321 5.1). Returns how many, or 0 with err set. */
static size_t route_hosts(const struct edge *e, const struct edge_route *r, const char *domain,
			  char hosts[][256], size_t max, struct smtp_reply *err)
{
	struct dns_result *res;
	size_t n = 0;

	if (!r->mx) {
		snprintf(hosts[0], 256, "%s", r->host);
		return 1;
	}
	res = dns_query(e->dns, domain, DNS_TYPE_MX);
	if (res == NULL || res->status == DNS_TEMPFAIL || res->status == DNS_BOGUS) {
		smtp_reply_set(err, 451, "4.4.3", "MX lookup for %s failed (%s), try again later",
			       domain, res ? dns_status_name(res->status) : "bad name");
		dns_result_free(res);
		return 0;
	}
	if (res->status != DNS_OK) {
		dns_result_free(res);
		snprintf(hosts[0], 256, "%s", domain);
		return 1;
	}
	qsort(res->rr, res->n, sizeof(*res->rr), mx_cmp);
	for (size_t i = 0; i < res->n && n < max; i++) {
		size_t len;

		snprintf(hosts[n], 256, "%s", res->rr[i].mx.host);
		len = strlen(hosts[n]);
		if (len > 1 && hosts[n][len - 1] == '.')
			hosts[n][len - 1] = 0;
		n++;
	}
	dns_result_free(res);
	return n;
}

bool edge_route_serves(const struct edge *e, const struct edge_route *r, const char *domain,
		       const char *host)
{
	char hosts[MX_HOSTS_MAX][256];
	struct smtp_reply err;
	size_t n;

	smtp_reply_init(&err);
	n = route_hosts(e, r, domain, hosts, MX_HOSTS_MAX, &err);
	smtp_reply_clear(&err);
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(hosts[i], host) == 0)
			return true;
	return false;
}

struct smtp_client *edge_route_open(const struct edge *e, const struct edge_route *r,
				    const char *domain, struct smtp_reply *err)
{
	char hosts[MX_HOSTS_MAX][256];
	struct smtp_client *c = NULL;
	size_t n = route_hosts(e, r, domain, hosts, MX_HOSTS_MAX, err);

	for (size_t i = 0; i < n && c == NULL; i++)
		c = try_host(e, r, hosts[i], r->port, err);
	if (c) {
		const struct tls_report *t = smtp_client_tls(c);

		msg_info("next hop ready route=%s tls=%s hop=%s%s%s%s%s", msg_q(r->domain),
			 edge_tls_name(r->tls), msg_q(smtp_client_peer(c)),
			 t ? " tls_version=" : "", t ? t->version : "",
			 t ? " verdict=" : "", t ? tls_verdict_name(t->verdict) : "");
	}
	return c;
}
