/* smtp-edge's config keys (one table: parsing, -n, the man page,
 * completion) and the state made from them once in the listener. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "connfilter.h"
#include "edge.h"
#include "spf/spf.h"
#include "util/mem.h"
#include "util/msg.h"

static const struct conf_key route_keys[] = {
	{ "host", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "fixed next hop \"HOST:PORT\" (internal hub; HOST a name or an address, [v6]:PORT)" },
	{ "mx", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "look the recipient domain's MX records up instead (outbound)" },
	{ "port", CONF_INT, "25", 1, 65535, NULL, NULL, 0,
	  "port of the MX hosts" },
	{ "tls", CONF_ENUM, "\"opportunistic\"", 0, 0,
	  "none|opportunistic|required|domain-security", NULL, 0,
	  "TLS to the next hop; domain-security is mutual TLS with chain, CRL and name checked" },
	{ "partner", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "domain security: the name the next hop's certificate must have" },
	{ NULL }
};

static const struct conf_key partner_keys[] = {
	{ "names", CONF_STRINGS, NULL, 0, 0, NULL, NULL, CONF_REQUIRED,
	  "names the partner's client certificate may have (any one)" },
	{ "sender_domains", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "more sender domains that belong to this partner" },
	{ "action", CONF_ENUM, "\"defer\"", 0, 0, "defer|reject", NULL, 0,
	  "what a failed check gives: 4.7.x (defer) or 5.7.x (reject)" },
	{ NULL }
};

static const struct conf_key edge_keys[] = {
	{ "serve", CONF_INCLUDE, NULL, 0, 0, NULL, serve_conf_keys, 0, NULL },
	{ "connfilter", CONF_INCLUDE, NULL, 0, 0, NULL, connfilter_conf_keys, 0, NULL },
	{ "hostname", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "our name in the banner, EHLO, Received and Authentication-Results; absent: the host name" },
	{ "banner", CONF_STRING, "\"ESMTP\"", 0, 0, NULL, NULL, 0,
	  "text after the name in the 220 greeting" },
	{ "tls", CONF_OBJECT, NULL, 0, 0, NULL, tls_conf_keys, 0,
	  "our certificate and trust, for STARTTLS, next hops and domain security (see postern.json(5))" },
	{ "starttls", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "offer STARTTLS when tls.cert is set" },
	{ "require_tls", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "refuse MAIL before STARTTLS (530 5.7.0)" },
	{ "timeout", CONF_DURATION, "\"5m\"", 100, 3600000, NULL, NULL, 0,
	  "how long to wait for a command" },
	{ "data_timeout", CONF_DURATION, "\"3m\"", 100, 3600000, NULL, NULL, 0,
	  "how long to wait for each piece of message data" },
	{ "command_line_max", CONF_INT, "1000", 512, 65536, NULL, NULL, 0,
	  "longest command line (RFC 5321: 512, plus room for extension parameters)" },
	{ "message_size_limit", CONF_SIZE, "\"25M\"", 1024, 4LL << 30, NULL, NULL, 0,
	  "largest message (announced in SIZE; larger is refused with 552 5.3.4)" },
	{ "max_recipients", CONF_INT, "100", 1, 100000, NULL, NULL, 0,
	  "recipients in one transaction; more get 452 4.5.3" },
	{ "max_errors", CONF_INT, "10", 1, 1000, NULL, NULL, 0,
	  "protocol errors in a session before 421 and disconnect" },
	{ "max_junk_commands", CONF_INT, "100", 1, 100000, NULL, NULL, 0,
	  "NOOP, RSET, VRFY, HELP and the like in a session before 421 and disconnect" },
	{ "bare_newline", CONF_ENUM, "\"reject\"", 0, 0, "reject|normalise", NULL, 0,
	  "a bare CR or LF in message data: refuse the message (550 5.5.2), or make it CRLF" },
	{ "relay_networks", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "clients (CIDR) that may send to any domain: the outbound side's internal servers" },
	{ "relay_domains", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "domains anyone may send to; empty: the domains of routes other than \"*\"" },
	{ "local_domains", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "domains whose recipients are checked in the directory" },
	{ "validate_recipients", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "look recipients of local_domains up in the directory (550 5.1.1; 451 4.3.0 when it is down)" },
	{ "sender_deny", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "senders refused: user@domain, domain, .domain (subdomains)" },
	{ "reject_null_sender", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "refuse the empty sender <> (bounces)" },
	{ "recipient_deny", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "recipients refused: user@domain, domain, .domain" },
	{ "harvest_limit", CONF_INT, "20", 0, 100000, NULL, NULL, 0,
	  "unknown recipients in a session before the tarpit (0: no harvest defence)" },
	{ "harvest_delay", CONF_DURATION, "\"2s\"", 0, 600000, NULL, NULL, 0,
	  "delay before each reply once in the tarpit" },
	{ "harvest_disconnect", CONF_INT, "10", 0, 100000, NULL, NULL, 0,
	  "further unknown recipients in the tarpit before 421 and disconnect" },
	{ "nexthop_connect_timeout", CONF_DURATION, "\"30s\"", 100, 600000, NULL, NULL, 0,
	  "how long to wait for a next hop's TCP connection" },
	{ "nexthop_timeout", CONF_DURATION, "\"5m\"", 100, 3600000, NULL, NULL, 0,
	  "how long to wait for each next-hop reply, the end of DATA included" },
	{ "routes", CONF_MAP, "{}", 0, 0, NULL, route_keys, 0,
	  "relay routes by recipient domain (\"*\" for the rest, \".dom\" for subdomains)" },
	{ "partners", CONF_MAP, "{}", 0, 0, NULL, partner_keys, 0,
	  "inbound domain security: partner domains that must come over mutual TLS" },
	{ "proxy_protocol", CONF_BOOL, "false", 0, 0, NULL, NULL, 0,
	  "read a PROXY v1/v2 header first from trusted_networks peers" },
	{ "xclient", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "accept XCLIENT from trusted_networks peers" },
	{ "spf", CONF_OBJECT, NULL, 0, 0, NULL, spf_conf_keys, 0,
	  "SPF check of MAIL FROM and the action per result" },
	{ NULL }
};

const struct conf_section edge_conf_section = {
	"smtp-edge", edge_keys, "the SMTP edge: layers 1, 2 and 4, domain security, relay"
};

static enum edge_tls tls_parse(const char *s)
{
	if (strcmp(s, "none") == 0)
		return EDGE_TLS_NONE;
	if (strcmp(s, "required") == 0)
		return EDGE_TLS_REQUIRED;
	if (strcmp(s, "domain-security") == 0)
		return EDGE_TLS_DOMSEC;
	return EDGE_TLS_MAY;
}

const char *edge_tls_name(enum edge_tls t)
{
	static const char *const names[] = { "none", "opportunistic", "required",
					     "domain-security" };
	return names[t];
}

/* Our client context: our certificate when we have one (domain security
 * needs it; others may ask for it), checks off or on. */
static struct tls_ctx *client_ctx(const json_t *tlsnode, const char *partner)
{
	struct tls_policy p;
	struct tls_ctx *c;

	tls_policy_init(&p);
	if (tls_policy_from_conf(tlsnode, &p) < 0) {
		tls_policy_clear(&p);
		return NULL;
	}
	p.mutual = TLS_MUTUAL_OFF;
	tls_strings_clear(&p.names);
	if (partner) {
		p.verify = true;
		tls_strings_add(&p.names, partner);
		if (p.revocation == TLS_REVOKE_NONE)
			p.revocation = TLS_REVOKE_CHAIN;
	} else {
		p.verify = false;
		p.revocation = TLS_REVOKE_NONE;
	}
	c = tls_client_new(&p);
	tls_policy_clear(&p);
	return c;
}

static int route_init(struct edge *e, struct edge_route *r, const char *domain,
		      const json_t *node)
{
	const char *host = conf_str(node, "host"), *partner = conf_str(node, "partner");
	const json_t *tlsnode = conf_get(e->sec, "tls");
	char *colon;

	r->domain = xstrdup(domain);
	r->mx = conf_bool(node, "mx");
	r->port = (unsigned)conf_int(node, "port");
	r->tls = tls_parse(conf_str(node, "tls"));
	if (!r->mx == !host) {
		msg_error("route needs either \"host\" or \"mx\": true route=%s", msg_q(domain));
		return -1;
	}
	if (host) {
		r->host = xstrdup(host[0] == '[' ? host + 1 : host);
		colon = strrchr(r->host, ':');
		if (colon == NULL || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
			msg_error("route host is not HOST:PORT route=%s host=%s", msg_q(domain),
				  msg_q(host));
			return -1;
		}
		r->port = (unsigned)atoi(colon + 1);
		*colon = 0;
		if (colon > r->host && colon[-1] == ']')
			colon[-1] = 0;
	}
	if (r->tls == EDGE_TLS_DOMSEC) {
		if (partner == NULL) {
			msg_error("domain-security route needs \"partner\" route=%s", msg_q(domain));
			return -1;
		}
		r->partner = xstrdup(partner);
		r->ctx = client_ctx(tlsnode, partner);
		if (r->ctx == NULL)
			return -1;
	} else if (r->tls != EDGE_TLS_NONE && e->tls_client == NULL) {
		e->tls_client = client_ctx(tlsnode, NULL);
		if (e->tls_client == NULL)
			return -1;
	}
	return 0;
}

static int routes_init(struct edge *e)
{
	const json_t *map = conf_get(e->sec, "routes");
	const char *domain;
	json_t *node;

	e->routes = xcalloc(json_object_size(map) + 1, sizeof(*e->routes));
	json_object_foreach((json_t *)map, domain, node) {
		if (route_init(e, &e->routes[e->nroutes++], domain, node) < 0)
			return -1;
	}
	return 0;
}

static char **strings_dup(const json_t *node, const char *key, size_t *n)
{
	char **v;

	*n = conf_strings_len(node, key);
	v = xcalloc(*n + 1, sizeof(*v));
	for (size_t i = 0; i < *n; i++)
		v[i] = xstrdup(conf_strings_at(node, key, i));
	return v;
}

static void partners_init(struct edge *e)
{
	const json_t *map = conf_get(e->sec, "partners");
	const char *domain;
	json_t *node;

	e->partners = xcalloc(json_object_size(map) + 1, sizeof(*e->partners));
	json_object_foreach((json_t *)map, domain, node) {
		struct edge_partner *p = &e->partners[e->npartners++];

		p->domain = xstrdup(domain);
		p->names = strings_dup(node, "names", &p->nnames);
		p->senders = strings_dup(node, "sender_domains", &p->nsenders);
		p->reject = strcmp(conf_str(node, "action"), "reject") == 0;
	}
}

/* STARTTLS: asks clients for a certificate when partners are configured,
 * and checks its chain and CRLs, so that domain security can judge it. */
static int server_init(struct edge *e)
{
	const json_t *tlsnode = conf_get(e->sec, "tls");
	struct tls_policy p;

	if (conf_str(tlsnode, "cert") == NULL || !conf_bool(e->sec, "starttls"))
		return 0;
	tls_policy_init(&p);
	if (tls_policy_from_conf(tlsnode, &p) < 0) {
		tls_policy_clear(&p);
		return -1;
	}
	if (e->npartners) {
		if (p.mutual == TLS_MUTUAL_OFF)
			p.mutual = TLS_MUTUAL_OPTIONAL;
		if (p.revocation == TLS_REVOKE_NONE)
			p.revocation = TLS_REVOKE_CHAIN;
	}
	e->tls_server = tls_server_new(&p);
	tls_policy_clear(&p);
	return e->tls_server ? 0 : -1;
}

static int relay_nets_init(struct edge *e)
{
	size_t n = conf_strings_len(e->sec, "relay_networks");

	e->relay_nets = xcalloc(n + 1, sizeof(*e->relay_nets));
	for (size_t i = 0; i < n; i++) {
		const char *s = conf_strings_at(e->sec, "relay_networks", i);

		if (edge_cidr_parse(s, &e->relay_nets[i]) < 0) {
			msg_error("bad network in relay_networks net=%s", msg_q(s));
			return -1;
		}
	}
	e->nrelay_nets = n;
	return 0;
}

int edge_init(struct edge *e, const struct prog_state *st, struct conf *c)
{
	const char *h;

	memset(e, 0, sizeof(*e));
	e->st = st;
	e->conf = c;
	e->sec = conf_section(c, "smtp-edge");
	h = conf_str(e->sec, "hostname");
	if (h)
		snprintf(e->hostname, sizeof(e->hostname), "%s", h);
	else if (gethostname(e->hostname, sizeof(e->hostname) - 1) < 0)
		snprintf(e->hostname, sizeof(e->hostname), "localhost");
	/* SPF, the DNS lists and MX routes use it; it starts lazily. */
	if ((e->dns = dns_new(conf_section(c, "dns"))) == NULL)
		return -1;
	if (conf_bool(e->sec, "validate_recipients") &&
	    (e->dir = dir_open(conf_section(c, "directory"))) == NULL)
		return -1;
	if ((e->cf = connfilter_new(e->sec, e->dns)) == NULL)
		return -1;
	partners_init(e);
	if (relay_nets_init(e) < 0 || routes_init(e) < 0 || server_init(e) < 0)
		return -1;
	return 0;
}

void edge_clear(struct edge *e)
{
	for (size_t i = 0; i < e->nroutes; i++) {
		free(e->routes[i].domain);
		free(e->routes[i].host);
		free(e->routes[i].partner);
		tls_ctx_free(e->routes[i].ctx);
	}
	free(e->routes);
	for (size_t i = 0; i < e->npartners; i++) {
		struct edge_partner *p = &e->partners[i];

		for (size_t j = 0; j < p->nnames; j++)
			free(p->names[j]);
		for (size_t j = 0; j < p->nsenders; j++)
			free(p->senders[j]);
		free(p->names);
		free(p->senders);
		free(p->domain);
	}
	free(e->partners);
	free(e->relay_nets);
	tls_ctx_free(e->tls_server);
	tls_ctx_free(e->tls_client);
	if (e->cf)
		connfilter_free(e->cf);
	dir_close(e->dir);
	dns_free(e->dns);
	if (e->own_conf)
		conf_free(e->conf);
	memset(e, 0, sizeof(*e));
}
