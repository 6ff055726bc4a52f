/* smtp-edge's config keys (one table: parsing, -n, the man page,
 * completion) and the state made from them once in the listener. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "connfilter.h"
#include "content.h"
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

/* A policy's keys: these of the section's, without their defaults (an
 * absent key is the section's value), filled by edge_conf_prepare. */
static const char *const policy_names[] = {
	"hostname", "banner", "starttls", "require_tls", "message_size_limit",
	"max_recipients", "bare_newline", "relay_networks", "relay_domains", "local_domains",
	"validate_recipients", "sender_deny", "reject_null_sender", "recipient_deny",
	"harvest_limit", "harvest_delay", "harvest_disconnect", "routes", "partners",
	"proxy_protocol", "xclient", "spf", "allow", "deny", "trusted_networks", "dnsbl",
	"dnswl", "dnsbl_threshold", "allow_threshold", "dns_tempfail_action", "dnsbl_timeout",
	"pregreet_wait", "content", NULL
};

#define POLICY_KEYS_MAX 48
#define POLICY_SUB_MAX 32

static struct conf_key policy_keys[POLICY_KEYS_MAX];

/* lib/net's serve keys with our own "workers" default, a pool, and
 * "worker_max_use" default, 10000 (a replaced worker costs as much as a
 * process forked per connection, below). Measured
 * (bench/smtp-edge.sh), a pooled worker costs ~0.25 ms of CPU a message
 * (a connection each; ~0.12 ms with 1000 messages a connection) against
 * ~8 ms for a process forked per connection, which builds its
 * own resolver context and starts with an empty DNS cache. */
#define SERVE_KEYS_MAX 16
static struct conf_key edge_serve_keys[SERVE_KEYS_MAX];
static struct conf_key policy_spf_keys[POLICY_SUB_MAX];
/* content: its keys and those of its objects, without defaults; the
 * quarantine stays one for all (the quarantine commands use it) */
static struct conf_key policy_content_keys[POLICY_SUB_MAX];
static struct conf_key policy_content_sub[8][POLICY_SUB_MAX];

static const struct conf_key edge_keys[] = {
	{ "serve", CONF_INCLUDE, NULL, 0, 0, NULL, edge_serve_keys, 0, NULL },
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
	{ "nexthop_chunking", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "send the data in BDAT chunks to a next hop that offers CHUNKING (no 354 to wait for, no dot-stuffing)" },
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
	{ "content", CONF_OBJECT, NULL, 0, 0, NULL, content_conf_keys, 0,
	  "the content layer (layer 3): safelists, spam confidence, attachments, anti-virus, "
	  "transport rules, quarantine; a policy may override any of it but the quarantine" },
	{ "policies", CONF_MAP, "{}", 0, 0, NULL, policy_keys, 0,
	  "per-listener policies (inbound, outbound): each member overrides some of the keys "
	  "above for the sessions of the listener it is named after (or listed in its "
	  "\"listeners\"); an object key (spf, content and its objects) is overridden "
	  "member by member" },
	{ NULL }
};

const struct conf_section edge_conf_section = {
	"smtp-edge", edge_keys, "the SMTP edge: layers 1, 2 and 4, domain security, relay"
};

static const struct conf_key *key_find(const struct conf_key *keys, const char *name)
{
	for (const struct conf_key *k = keys; k->name; k++) {
		const struct conf_key *f;

		if (k->type == CONF_INCLUDE) {
			if ((f = key_find(k->sub, name)))
				return f;
		} else if (strcmp(k->name, name) == 0) {
			return k;
		}
	}
	return NULL;
}

/* dst = the keys of src without defaults or "required" (n counts dst's
 * room, the NULL end included). */
static size_t keys_strip_at(struct conf_key *dst, size_t i, const struct conf_key *src, size_t n)
{
	for (const struct conf_key *k = src; k->name; k++) {
		if (k->type == CONF_INCLUDE) {	/* spliced keys: strip them too */
			i = keys_strip_at(dst, i, k->sub, n);
			continue;
		}
		if (i + 1 >= n)
			msg_panic("smtp-edge: policy key table too small");
		dst[i] = *k;
		dst[i].def = NULL;
		dst[i].flags &= ~CONF_REQUIRED;
		i++;
	}
	return i;
}

static void keys_strip(struct conf_key *dst, const struct conf_key *src, size_t n)
{
	size_t i = keys_strip_at(dst, 0, src, n);

	memset(&dst[i], 0, sizeof(dst[i]));
}

static void content_keys_strip(void)
{
	size_t i = 0, nsub = 0;

	for (const struct conf_key *k = content_conf_keys; k->name; k++) {
		if (strcmp(k->name, "quarantine") == 0)
			continue;
		if (i + 1 >= POLICY_SUB_MAX)
			msg_panic("smtp-edge: policy key table too small");
		policy_content_keys[i] = *k;
		policy_content_keys[i].def = NULL;
		if (k->type == CONF_OBJECT) {
			if (nsub >= sizeof(policy_content_sub) / sizeof(policy_content_sub[0]))
				msg_panic("smtp-edge: policy key table too small");
			keys_strip(policy_content_sub[nsub], k->sub, POLICY_SUB_MAX);
			policy_content_keys[i].sub = policy_content_sub[nsub++];
		}
		i++;
	}
	memset(&policy_content_keys[i], 0, sizeof(policy_content_keys[i]));
}

void edge_conf_prepare(void)
{
	size_t i = 0;

	if (policy_keys[0].name)
		return;
	for (const struct conf_key *k = serve_conf_keys; k->name; k++) {
		if (i + 1 >= SERVE_KEYS_MAX)
			msg_panic("smtp-edge: serve key table too small");
		edge_serve_keys[i] = *k;
		if (strcmp(k->name, "workers") == 0) {
			edge_serve_keys[i].def = "-1";
			edge_serve_keys[i].min = -1;
			edge_serve_keys[i].doc =
				"-d and systemd Accept=no: -1 (the default) keeps a pool of two session "
				"processes per CPU, at least 4 and at most 32, that serve connection "
				"after connection; N keeps N; 0 forks a process per connection "
				"(beyond the pool, up to max_connections, a process is forked)";
		} else if (strcmp(k->name, "worker_max_use") == 0) {
			edge_serve_keys[i].def = "10000";
			edge_serve_keys[i].doc =
				"connections a pooled worker serves before it is replaced (a new "
				"worker starts with an empty DNS cache and no next-hop session)";
		}
		i++;
	}
	/* the session waits only through lib/net/wait: it can be a fiber */
	for (const struct conf_key *k = serve_fiber_conf_keys; k->name; k++) {
		if (i + 1 >= SERVE_KEYS_MAX)
			msg_panic("smtp-edge: serve key table too small");
		edge_serve_keys[i++] = *k;
	}
	i = 0;
	keys_strip(policy_spf_keys, spf_conf_keys, POLICY_SUB_MAX);
	content_keys_strip();
	for (const char *const *n = policy_names; *n; n++) {
		const struct conf_key *k = key_find(edge_keys, *n);

		if (k == NULL || i + 2 >= POLICY_KEYS_MAX)
			msg_panic("smtp-edge: no key %s for policies", *n);
		policy_keys[i] = *k;
		policy_keys[i].def = NULL;
		if (k->type == CONF_OBJECT)
			policy_keys[i].sub = strcmp(k->name, "content") == 0 ? policy_content_keys :
					     policy_spf_keys;
		i++;
	}
	policy_keys[i++] = (struct conf_key){ "listeners", CONF_STRINGS, NULL, 0, 0, NULL, NULL, 0,
		"the listeners (names in listen, or LISTEN_FDNAMES) this policy is for; "
		"absent: the listener with the policy's name" };
	memset(&policy_keys[i], 0, sizeof(policy_keys[i]));
}

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

/* src's members on top of dst's, objects member by member. */
static void object_merge(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *v, *old;

	json_object_foreach((json_t *)src, key, v) {
		old = json_object_get(dst, key);
		if (json_is_object(old) && json_is_object(v))
			object_merge(old, v);
		else
			json_object_set(dst, key, v);
	}
}

/* The section with a policy member's keys on top (member NULL: the
 * section alone). Owned by the caller. */
static json_t *policy_merge(const json_t *sec, const json_t *member)
{
	json_t *m = json_deep_copy(sec), *v, *old;
	const char *key;

	json_object_del(m, "policies");
	if (member == NULL)
		return m;
	json_object_foreach((json_t *)member, key, v) {
		const struct conf_key *k = key_find(policy_keys, key);

		old = json_object_get(m, key);
		if (k && k->type == CONF_OBJECT && json_is_object(old))
			object_merge(old, v);
		else
			json_object_set(m, key, v);
	}
	return m;
}

static int policy_init(struct edge_set *set, struct edge *e, const char *name, json_t *sec)
{
	const char *h;

	e->policy = name;
	e->sec = sec;
	h = conf_str(e->sec, "hostname");
	if (h)
		snprintf(e->hostname, sizeof(e->hostname), "%s", h);
	else if (gethostname(e->hostname, sizeof(e->hostname) - 1) < 0)
		snprintf(e->hostname, sizeof(e->hostname), "localhost");
	e->dns = set->dns;
	e->dir = conf_bool(e->sec, "validate_recipients") ? set->dir : NULL;
	if ((e->cf = connfilter_new(e->sec, e->dns)) == NULL)
		goto fail;
	partners_init(e);
	if (relay_nets_init(e) < 0 || routes_init(e) < 0 || server_init(e) < 0 ||
	    content_init(set, e) < 0)
		goto fail;
	return 0;
fail:
	msg_error("cannot set policy up policy=%s", msg_q(name));
	return -1;
}

/* Whether listener name is among the section's "listen" entries
 * ("NAME=ADDR", or the address as written). */
static bool listen_has(const json_t *sec, const char *name)
{
	size_t n = conf_strings_len(sec, "listen"), len = strlen(name);

	for (size_t i = 0; i < n; i++) {
		const char *l = conf_strings_at(sec, "listen", i);

		if (strcmp(l, name) == 0 || (strncmp(l, name, len) == 0 && l[len] == '='))
			return true;
	}
	return false;
}

static void policy_check_listeners(const json_t *sec, const char *name, const json_t *member)
{
	size_t n = conf_strings_len(member, "listeners");
	bool any = false;

	if (conf_strings_len(sec, "listen") == 0)
		return;		/* systemd names the sockets */
	for (size_t i = 0; i < n; i++)
		any = any || listen_has(sec, conf_strings_at(member, "listeners", i));
	if (n == 0)
		any = listen_has(sec, name);
	if (!any)
		msg_warn("policy serves no listener in listen policy=%s", msg_q(name));
}

static bool any_validation(const json_t *sec)
{
	const json_t *pols = conf_get(sec, "policies"), *m;
	const char *name;

	if (conf_bool(sec, "validate_recipients"))
		return true;
	json_object_foreach((json_t *)pols, name, m) {
		const json_t *v = json_object_get(m, "validate_recipients");

		if (v && json_is_true(v))
			return true;
	}
	return false;
}

static int set_init(struct edge_set *set, const struct prog_state *st, struct conf *c, bool check)
{
	const json_t *pols;
	const char *name;
	json_t *m;

	memset(set, 0, sizeof(*set));
	set->check = check;
	set->st = st;
	set->conf = c;
	set->sec = conf_section(c, "smtp-edge");
	pols = conf_get(set->sec, "policies");
	/* SPF, the DNS lists and MX routes use it; it starts lazily. */
	if ((set->dns = dns_new(conf_section(c, "dns"))) == NULL)
		return -1;
	if (!check && any_validation(set->sec) &&
	    (set->dir = dir_open(conf_section(c, "directory"))) == NULL)
		return -1;
	set->pol = xcalloc(json_object_size(pols) + 1, sizeof(*set->pol));
	set->npol = 1;
	if (policy_init(set, &set->pol[0], "default", policy_merge(set->sec, NULL)) < 0)
		return -1;
	json_object_foreach((json_t *)pols, name, m) {
		struct edge *e = &set->pol[set->npol++];

		policy_check_listeners(set->sec, name, m);
		if (policy_init(set, e, name, policy_merge(set->sec, m)) < 0)
			return -1;
	}
	return 0;
}

int edge_init(struct edge_set *set, const struct prog_state *st, struct conf *c)
{
	return set_init(set, st, c, false);
}

int edge_check(const struct prog_state *st, struct conf *c)
{
	struct edge_set set;
	int rc = set_init(&set, st, c, true);

	edge_clear(&set);
	return rc;
}

struct edge *edge_policy_for(struct edge_set *set, const char *listener)
{
	for (size_t i = 1; i < set->npol; i++) {
		const json_t *sec = set->pol[i].sec;

		for (size_t j = 0; j < conf_strings_len(sec, "listeners"); j++)
			if (strcmp(conf_strings_at(sec, "listeners", j), listener) == 0)
				return &set->pol[i];
	}
	for (size_t i = 1; i < set->npol; i++)
		if (conf_get(set->pol[i].sec, "listeners") == NULL &&
		    strcmp(set->pol[i].policy, listener) == 0)
			return &set->pol[i];
	return &set->pol[0];
}

static void policy_clear(struct edge *e)
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
	content_free(e->content);
	json_decref(e->sec);
	memset(e, 0, sizeof(*e));
}

void edge_clear(struct edge_set *set)
{
	for (size_t i = 0; i < set->npol; i++)
		policy_clear(&set->pol[i]);
	free(set->pol);
	dir_close(set->dir);
	dns_free(set->dns);
	if (set->own_conf)
		conf_free(set->conf);
	memset(set, 0, sizeof(*set));
}
