/* smtp-edge's shared state: what the config says, made ready once in the
 * listener (directory, resolver, layer-1 filter, TLS contexts, routes,
 * partners) and inherited by each session process; and the pieces the
 * session, policy, relay and header files use from one another. */
#ifndef POSTERN_SMTP_EDGE_EDGE_H
#define POSTERN_SMTP_EDGE_EDGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/prog.h"
#include "dir/dir.h"
#include "dns/dns.h"
#include "net/serve.h"
#include "smtp/client.h"
#include "tls/tls.h"
#include "util/strbuf.h"

struct connfilter;
struct content;

/* The smtp-edge section's keys (config.c); edge_conf_prepare first. */
extern const struct conf_section edge_conf_section;

#define EDGE_CIDR_MAX 256

struct edge_cidr {
	int family;
	unsigned char addr[16];
	unsigned bits;
};

/* One relay route, "routes": { DOMAIN: {...} }. */
enum edge_tls { EDGE_TLS_NONE, EDGE_TLS_MAY, EDGE_TLS_REQUIRED, EDGE_TLS_DOMSEC };

struct edge_route {
	char *domain;		/* "partner.test", ".sub.test" (subdomains), "*" */
	char *host;		/* fixed next hop (name or IP), or NULL with mx */
	unsigned port;
	bool mx;
	enum edge_tls tls;
	char *partner;		/* domain security: the name the peer must have */
	struct tls_ctx *ctx;	/* this route's client context (owned), or NULL */
};

/* A partner under inbound domain security, "partners": { DOMAIN: {...} }. */
struct edge_partner {
	char *domain;
	char **names;		/* names its client certificate may have */
	size_t nnames;
	char **senders;		/* sender domains that belong to it */
	size_t nsenders;
	bool reject;		/* 5.7.x instead of 4.7.x */
};

/* One policy: the section's keys with a "policies" member's on top, and
 * the state made from them. A session works under one (chosen by its
 * listener); the functions below take the policy. */
struct edge {
	const char *policy;		/* "default" or the member's name (borrowed) */
	json_t *sec;			/* the merged keys (owned) */
	char hostname[256];

	struct dir *dir;		/* borrowed; NULL without recipient validation */
	struct dns *dns;		/* borrowed */
	struct connfilter *cf;
	struct tls_ctx *tls_server;	/* STARTTLS; NULL without a certificate */
	struct tls_ctx *tls_client;	/* opportunistic / required routes */

	struct edge_route *routes;
	size_t nroutes;
	struct edge_partner *partners;
	size_t npartners;
	struct edge_cidr *relay_nets;
	size_t nrelay_nets;
	struct content *content;	/* the content layer (content.c), or NULL when off */
};

/* Everything the listener makes from the config, inherited by sessions. */
struct edge_set {
	const struct prog_state *st;
	struct conf *conf;		/* owned after a reload; else st's */
	bool own_conf;
	const json_t *sec;		/* the smtp-edge section (borrowed from conf) */
	struct dir *dir;		/* opened when any policy validates recipients */
	struct dns *dns;
	struct edge *pol;		/* pol[0]: the section itself, "default" */
	size_t npol;
	bool check;			/* -n: every file strictly, no directory */
};

/* config.c: builds the policies' key table from the section's (call
 * before prog_start: -n and the man page use it). */
void edge_conf_prepare(void);
/* Builds set from the loaded config (c, borrowed). Returns 0, or -1
 * after logging (the caller exits 78). */
int edge_init(struct edge_set *set, const struct prog_state *st, struct conf *c);
void edge_clear(struct edge_set *set);
/* -n: the same set-up with the files checked strictly (rules file,
 * organisation key, spam model present and whole), without connecting
 * to the directory. Returns 0, or -1 after logging each problem. */
int edge_check(const struct prog_state *st, struct conf *c);
/* The policy for a session that came in on listener (the fdname): the
 * policy whose "listeners" names it, else the one named like it, else
 * the default. Never NULL. */
struct edge *edge_policy_for(struct edge_set *set, const char *listener);

/* session.c: one SMTP session on in/out (serve_handler.session). */
int edge_session(int in, int out, const struct serve_peer *peer, void *ctx);
void edge_refuse(int fd, const struct serve_peer *peer, void *ctx);

/* policy.c */
int edge_cidr_parse(const char *s, struct edge_cidr *c);
bool edge_cidr_match(const struct edge_cidr *nets, size_t n, const char *ip);
/* addr matches an entry of a "sender_deny"-style list: "user@dom"
 * (exact), "dom" (the domain), ".dom" (its subdomains), "@dom" (= dom).
 * Case is ignored. Returns the entry that matched, or NULL. */
const char *edge_list_match(const json_t *sec, const char *key, const char *addr);
bool edge_domain_in(const json_t *sec, const char *key, const char *domain);
const struct edge_partner *edge_partner_for(const struct edge *e, const char *domain);

/* relay.c */
const struct edge_route *edge_route_for(const struct edge *e, const char *domain);
/* Opens a session with the route's next hop for mail to domain: fixed
 * host or MX hosts in preference order, with the route's TLS policy.
 * NULL with err holding the 4xx for our client. */
struct smtp_client *edge_route_open(const struct edge *e, const struct edge_route *r,
				    const char *domain, struct smtp_reply *err);
const char *edge_tls_name(enum edge_tls t);
/* Whether host (a next hop's name) takes mail for domain on route r:
 * the route's fixed host, or one of the domain's MX hosts. */
bool edge_route_serves(const struct edge *e, const struct edge_route *r, const char *domain,
		       const char *host);

#endif
