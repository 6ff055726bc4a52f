/* smtp-edge's mail transaction: layer 2 on MAIL and RCPT (sender and
 * recipient lists, inbound domain security, SPF, the directory, harvest
 * defence), layer 4 (the route and its next hop, before-queue: MAIL and
 * RCPT passed on as accepted, the data streamed, the end of DATA answered
 * with the next hop's own reply). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "content.h"
#include "content/rules.h"
#include "net/wait.h"
#include "session.h"
#include "tls/names.h"
#include "util/mem.h"
#include "util/msg.h"

#define DATA_CHUNK 65536
#define PARK_IDLE_MS 10000	/* a parked next-hop session is kept this long */
#define PARK_MAX 4		/* parked sessions per worker, the oldest out */
#define SPF_SESSION_KEEP_MS 60000	/* an SPF result reused in a session */

/* In a pooled worker, the next-hop sessions of the last client sessions,
 * kept for the next ones: no connection, greeting and EHLO per client
 * connection. Each is checked before use and dropped when stale. */
static struct parked {
	struct smtp_client *c;
	const struct edge_route *route;
	long long since;
} parked[PARK_MAX];

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply_and_log_hop(struct session *s, const struct smtp_reply *r)
{
	struct strbuf out = STRBUF_INIT;

	smtp_reply_format(r, &out);
	strbuf_add(&s->reply, out.buf, out.len);
	strbuf_release(&out);
}

/* The hop's side of a transaction ends: RSET when it had our MAIL. */
static void hop_reset(struct session *s)
{
	struct smtp_reply r;

	if (s->hop && s->hop_mail && smtp_client_usable(s->hop)) {
		smtp_reply_init(&r);
		if (smtp_client_cmd(s->hop, &r, "RSET") != 250) {
			smtp_client_close(s->hop, false);
			s->hop = NULL;
		}
		smtp_reply_clear(&r);
	}
	s->hop_mail = false;
}

static void hop_drop(struct session *s, bool quit)
{
	smtp_client_close(s->hop, quit);
	s->hop = NULL;
	s->hop_route = NULL;
	s->hop_mail = false;
}

void txn_reset(struct session *s)
{
	hop_reset(s);
	if (s->hop && !smtp_client_usable(s->hop))
		hop_drop(s, false);
	s->in_mail = false;
	strbuf_reset(&s->mail_from);
	strbuf_reset(&s->mail_params);
	strbuf_reset(&s->first_rcpt);
	s->smtputf8 = false;
	s->spf_done = false;
	s->partner = NULL;
	s->partner_name[0] = 0;
	s->nrcpt = 0;
	s->route = NULL;
	s->hop_failed = false;
	s->bdat = false;
	s->bdat_failed = false;
	s->size_limit = 0;
	strbuf_reset(&s->actions);
}

/* The slot is emptied before the QUIT: its reply is waited for, and in
 * that wait another session of the worker (sessions_per_worker) may park
 * or unpark. */
static void park_close(struct parked *p)
{
	struct smtp_client *c = p->c;

	p->c = NULL;
	if (c)
		smtp_client_close(c, smtp_client_idle_ok(c));
}

void txn_park_close(void)
{
	for (size_t i = 0; i < PARK_MAX; i++)
		park_close(&parked[i]);
}

/* Keeps the session's hop for a later client session. */
static void hop_park(struct session *s)
{
	struct parked *p = &parked[0], old;

	for (size_t i = 0; i < PARK_MAX && p->c; i++)
		if (parked[i].c == NULL || parked[i].since < p->since)
			p = &parked[i];
	/* the slot is ours before the oldest one's QUIT waits */
	old = *p;
	p->c = s->hop;
	p->route = s->hop_route;
	p->since = mono_ms();
	s->hop = NULL;
	s->hop_route = NULL;
	park_close(&old);
}

/* A parked session for route r and domain that is still alive, or NULL
 * (stale ones met on the way are closed). */
static struct smtp_client *hop_unpark(struct session *s, const struct edge_route *r,
				      const char *domain)
{
	struct smtp_client *c;

	for (size_t i = 0; i < PARK_MAX; i++) {
		struct parked *p = &parked[i];

		if (p->c == NULL || p->route != r)
			continue;
		if (mono_ms() - p->since > PARK_IDLE_MS || !smtp_client_idle_ok(p->c)) {
			park_close(p);
			continue;
		}
		if (r->mx && !edge_route_serves(s->e, r, domain, smtp_client_host(p->c)))
			continue;
		c = p->c;
		p->c = NULL;
		return c;
	}
	return NULL;
}

void txn_free(struct session *s)
{
	content_txn_free(s);
	if (s->hop && s->pooled) {
		hop_reset(s);
		if (s->hop && smtp_client_usable(s->hop))
			hop_park(s);
	}
	if (s->hop)
		hop_drop(s, smtp_client_usable(s->hop));
}

/* MAIL parameters: ours to check, the hop's to receive. Returns 0, or
 * -1 with the reply queued. */
static int mail_params(struct session *s, struct smtp_cmd *c)
{
	long long limit = conf_int(s->e->sec, "message_size_limit");

	for (size_t i = 0; i < c->nparams; i++) {
		const char *k = c->params[i].key, *v = c->params[i].value;

		if (strcmp(k, "SIZE") == 0) {
			if (v == NULL || strtoull(v, NULL, 10) > (unsigned long long)limit) {
				session_reply(s, "552 5.3.4 Message size exceeds fixed limit");
				session_decide(s, 2, "size", "reject", "552 5.3.4",
					       "declared size over the limit size=%s", v ? v : "");
				return -1;
			}
		} else if (strcmp(k, "BODY") == 0) {
			if (v == NULL || (strcasecmp(v, "7BIT") && strcasecmp(v, "8BITMIME"))) {
				session_reply(s, "501 5.5.4 Unsupported BODY type");
				return -1;
			}
		} else if (strcmp(k, "SMTPUTF8") == 0) {
			s->smtputf8 = true;
			continue;
		} else if (strcmp(k, "RET") == 0 || strcmp(k, "ENVID") == 0) {
			if (v == NULL) {
				session_reply(s, "501 5.5.4 Bad %s parameter", k);
				return -1;
			}
		} else if (strcmp(k, "AUTH") == 0) {
			continue;	/* we announce no AUTH: ignored */
		} else {
			session_reply(s, "555 5.5.4 Unsupported option: %s", k);
			return -1;
		}
		strbuf_addf(&s->mail_params, " %s%s%s", k, v ? "=" : "", v ? v : "");
	}
	return 0;
}

/* Inbound domain security: a partner's mail must come over TLS with a
 * client certificate that verifies and names the partner. Returns 0 (not
 * a partner, or verified), -1 with the reply queued. */
static int domain_security(struct session *s, const char *domain)
{
	const struct edge_partner *p = edge_partner_for(s->e, domain);
	const struct tls_report *t = &s->tls_rep;
	char matched[256] = "", why[512];
	X509 *cert = NULL;
	bool ok = false;

	if (p == NULL)
		return 0;
	if (!s->tls)
		snprintf(why, sizeof(why), "partner %s must use TLS", p->domain);
	else if ((cert = SSL_get1_peer_certificate(stream_ssl(s->s))) == NULL)
		snprintf(why, sizeof(why), "partner %s sent no client certificate", p->domain);
	else if (!t->chain_ok)
		snprintf(why, sizeof(why), "partner %s certificate does not verify (%s)",
			 p->domain, t->verify_text ? t->verify_text : "chain");
	else if (t->crl.status != TLS_REV_GOOD)
		snprintf(why, sizeof(why), "partner %s certificate revocation %s%s%s", p->domain,
			 tls_rev_status_name(t->crl.status), t->crl.detail ? ": " : "",
			 t->crl.detail ? t->crl.detail : "");
	else {
		for (size_t i = 0; i < p->nnames && !ok; i++)
			if (tls_name_match(cert, p->names[i], TLS_NAMES_DNS, matched,
					   sizeof(matched)) == 1) {
				ok = true;
				snprintf(s->partner_name, sizeof(s->partner_name), "%s", p->names[i]);
			}
		if (!ok)
			snprintf(why, sizeof(why), "partner %s certificate does not name %s (%s)",
				 p->domain, p->names[0], matched);
	}
	X509_free(cert);
	if (ok) {
		s->partner = p;
		session_decide(s, 4, "domain_security", "accept", NULL,
			       "partner verified partner=%s name=%s", p->domain, s->partner_name);
		return 0;
	}
	if (p->reject)
		session_reply(s, "550 5.7.1 Domain security: %s", why);
	else
		session_reply(s, "451 4.7.1 Domain security: %s; try again later", why);
	session_decide(s, 4, "domain_security", p->reject ? "reject" : "defer",
		       p->reject ? "550 5.7.1" : "451 4.7.1", "%s", msg_q(why));
	return -1;
}

/* spf_check, or the result of the same check earlier in the session:
 * a client that sends many messages on one connection (a relay, a list
 * server) gives the same address, HELO and sender each time, and the
 * answer cannot change much within SPF_SESSION_KEEP_MS (the DNS answers
 * it came from are cached longer than that anyway, but evaluating the
 * record again costs as much as the rest of the transaction). */
static void spf_eval(struct session *s, const char *from)
{
	char key[sizeof(s->spf_key)];
	int n = snprintf(key, sizeof(key), "%s\n%s\n%s", s->ip, s->helo, from);
	long long now = mono_ms();

	if (n > 0 && (size_t)n < sizeof(key) && now < s->spf_until &&
	    strcmp(key, s->spf_key) == 0)
		return;
	spf_check(s->e->dns, s->ip, from, s->helo, &s->spf);
	s->spf_key[0] = 0;
	if (n > 0 && (size_t)n < sizeof(key)) {
		memcpy(s->spf_key, key, (size_t)n + 1);
		s->spf_until = now + SPF_SESSION_KEEP_MS;
	}
}

static int spf(struct session *s, const char *from)
{
	const json_t *obj = conf_get(s->e->sec, "spf");
	struct strbuf reply = STRBUF_INIT;
	enum spf_action a;

	if (!conf_bool(obj, "enabled") || s->allowlisted || s->relay_client)
		return 0;
	spf_eval(s, from);
	s->spf_done = true;
	a = spf_action_for(obj, s->spf.result);
	if (a != SPF_ACTION_REJECT && a != SPF_ACTION_TEMPFAIL) {
		session_decide(s, 2, "spf", spf_action_name(a), NULL, "spf=%s mechanism=%s",
			       spf_result_name(s->spf.result), msg_q(s->spf.mechanism));
		return 0;
	}
	spf_reply(&s->spf, a, &reply);
	session_reply(s, "%s", reply.buf);
	session_decide(s, 2, "spf", spf_action_name(a), reply.buf, "spf=%s mechanism=%s",
		       spf_result_name(s->spf.result), msg_q(s->spf.mechanism));
	strbuf_release(&reply);
	return -1;
}

void txn_mail(struct session *s, struct smtp_cmd *c)
{
	const char *hit;

	if (s->helo[0] == 0) {
		session_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		session_error(s);
		return;
	}
	if (s->in_mail) {
		session_reply(s, "503 5.5.1 Error: nested MAIL command");
		session_error(s);
		return;
	}
	if (conf_bool(s->e->sec, "require_tls") && !s->tls) {
		session_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		session_decide(s, 2, "require_tls", "reject", "530 5.7.0", "MAIL without TLS");
		return;
	}
	if (*c->addr && !smtp_addr_valid(c->addr, smtp_cmd_param(c, "SMTPUTF8") != NULL)) {
		session_reply(s, "501 5.1.7 Bad sender address syntax");
		session_error(s);
		return;
	}
	strbuf_reset(&s->mail_params);
	if (mail_params(s, c) < 0)
		return;
	strbuf_reset(&s->mail_from);
	strbuf_addstr(&s->mail_from, c->addr);
	s->in_mail = true;	/* for the logs below; undone on refusal */
	if (*c->addr == 0 && conf_bool(s->e->sec, "reject_null_sender")) {
		session_reply(s, "550 5.7.1 Null sender refused");
		session_decide(s, 2, "null_sender", "reject", "550 5.7.1", "empty sender refused");
		goto refused;
	}
	if (*c->addr && (hit = edge_list_match(s->e->sec, "sender_deny", c->addr))) {
		session_reply(s, "550 5.7.1 <%s>: Sender address rejected: Access denied", c->addr);
		session_decide(s, 2, "sender_deny", "reject", "550 5.7.1", "sender on the deny list entry=%s",
			       msg_q(hit));
		goto refused;
	}
	if (*c->domain && domain_security(s, c->domain) < 0)
		goto refused;
	if (spf(s, c->addr) < 0)
		goto refused;
	session_reply(s, "250 2.1.0 Ok");
	return;
refused:
	s->in_mail = false;
	strbuf_reset(&s->mail_from);
}

/* Relay permission: the domain is ours to receive, or the client is one
 * of our relay networks. */
static bool may_relay(struct session *s, const char *domain)
{
	const json_t *sec = s->e->sec;

	if (s->relay_client)
		return true;
	if (conf_strings_len(sec, "relay_domains"))
		return edge_domain_in(sec, "relay_domains", domain);
	for (size_t i = 0; i < s->e->nroutes; i++) {
		const char *d = s->e->routes[i].domain;

		if (strcmp(d, "*") == 0)
			continue;
		if (strcasecmp(d, domain) == 0)
			return true;
		if (*d == '.' && strlen(domain) > strlen(d) &&
		    strcasecmp(domain + strlen(domain) - strlen(d), d) == 0)
			return true;
	}
	return false;
}

/* Harvest defence after an unknown recipient: the tarpit, then the door.
 * Returns true when the session is to end (421 queued instead of 550). */
static bool harvest(struct session *s)
{
	long long limit = conf_int(s->e->sec, "harvest_limit");

	s->unknown++;
	if (limit == 0 || s->unknown <= limit)
		return false;
	if (s->unknown > limit + conf_int(s->e->sec, "harvest_disconnect")) {
		session_reply(s, "421 4.7.0 %s Too many unknown recipients, closing connection",
			      s->e->hostname);
		session_decide(s, 2, "harvest", "disconnect", "421 4.7.0",
			       "directory harvest unknown=%d", s->unknown);
		s->quit = true;
		return true;
	}
	session_decide(s, 2, "harvest", "tarpit", NULL, "directory harvest unknown=%d delay_ms=%lld",
		       s->unknown, conf_int(s->e->sec, "harvest_delay"));
	return false;
}

static void tarpit(struct session *s)
{
	long long limit = conf_int(s->e->sec, "harvest_limit");

	if (limit == 0 || s->unknown <= limit || s->quit)
		return;
	session_flush(s);
	/* with sessions_per_worker > 1 the worker's other sessions run on */
	wait_sleep(conf_int(s->e->sec, "harvest_delay"));
}

/* Layer 2 on one recipient. Returns 0 to go on, -1 with the reply queued. */
static int rcpt_policy(struct session *s, struct smtp_cmd *c)
{
	const char *hit, *domain = c->domain;
	struct dir_entry *ent = NULL;
	enum dir_status st;

	if ((hit = edge_list_match(s->e->sec, "recipient_deny", c->addr))) {
		session_reply(s, "550 5.7.1 <%s>: Recipient address rejected: Access denied", c->addr);
		session_decide(s, 2, "recipient_deny", "reject", "550 5.7.1",
			       "recipient on the deny list to=%s entry=%s", msg_q(c->addr), msg_q(hit));
		return -1;
	}
	if (!may_relay(s, domain)) {
		session_reply(s, "554 5.7.1 <%s>: Relay access denied", c->addr);
		session_decide(s, 4, "relay", "reject", "554 5.7.1", "relay access denied to=%s",
			       msg_q(c->addr));
		return -1;
	}
	if (s->e->dir == NULL || !edge_domain_in(s->e->sec, "local_domains", domain))
		return 0;
	st = dir_lookup_mail(s->e->dir, c->addr, &ent);
	dir_entry_free(ent);
	if (st == DIR_OK)
		return 0;
	if (st == DIR_TEMPFAIL) {
		session_reply(s, "451 4.3.0 <%s>: Temporary lookup failure, try again later", c->addr);
		session_decide(s, 2, "recipient_validation", "tempfail", "451 4.3.0",
			       "directory unavailable to=%s error=%s", msg_q(c->addr),
			       msg_q(dir_error(s->e->dir)));
		return -1;
	}
	session_decide(s, 2, "recipient_validation", "reject", "550 5.1.1", "unknown recipient to=%s",
		       msg_q(c->addr));
	if (!harvest(s))
		session_reply(s, "550 5.1.1 <%s>: Recipient address rejected: User unknown",
			      c->addr);
	return -1;
}

/* The RCPT line for the hop: DSN parameters when it takes them. */
static void rcpt_line(struct session *s, struct smtp_cmd *c, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_addf(out, "RCPT TO:<%s>", c->addr);
	for (size_t i = 0; i < c->nparams; i++) {
		const char *k = c->params[i].key, *v = c->params[i].value;

		if (v == NULL)
			continue;
		if ((strcmp(k, "NOTIFY") == 0 || strcmp(k, "ORCPT") == 0) &&
		    smtp_client_has(s->hop, "DSN"))
			strbuf_addf(out, " %s=%s", k, v);
	}
}

/* Whether the hop of this session can take mail for domain on route r. */
static bool hop_fits(struct session *s, const struct edge_route *r, const char *domain)
{
	return s->hop && s->hop_route == r && smtp_client_usable(s->hop) &&
	       (!r->mx || edge_route_serves(s->e, r, domain, smtp_client_host(s->hop)));
}

/* The hop for route r with our MAIL on it; when the hop offers
 * PIPELINING, the recipient's RCPT goes in the same write (*sent, its
 * reply in rep). Returns 0, or -1 with the failure in s->hop_err (kept
 * for the transaction's other recipients). A session kept from before
 * (an earlier transaction, the worker's last client) that turns out dead
 * is replaced by a new one, once. */
static int hop_ready(struct session *s, const struct edge_route *r, struct smtp_cmd *c,
		     struct smtp_reply *rep, bool *sent)
{
	struct strbuf line = STRBUF_INIT;
	bool reused;
	char first[300];

	*sent = false;
	if (s->hop_mail)
		return 0;
	if (s->hop && !hop_fits(s, r, c->domain))
		hop_drop(s, smtp_client_usable(s->hop));
	if (s->hop == NULL && (s->hop = hop_unpark(s, r, c->domain)) != NULL)
		s->hop_route = r;
	reused = s->hop != NULL;
	for (;;) {
		if (s->hop == NULL) {
			s->hop = edge_route_open(s->e, r, c->domain, &s->hop_err);
			if (s->hop == NULL) {
				session_decide(s, 4, "nexthop", "defer", s->hop_err.text.buf,
					       "next hop unavailable route=%s", msg_q(r->domain));
				strbuf_release(&line);
				return -1;
			}
			s->hop_route = r;
		}
		smtp_client_send(s->hop, "MAIL FROM:<%s>%s", s->mail_from.buf,
				 s->mail_params.buf ? s->mail_params.buf : "");
		if (smtp_client_has(s->hop, "PIPELINING")) {
			rcpt_line(s, c, &line);
			smtp_client_send(s->hop, "%s", line.buf);
			*sent = true;
		}
		if (smtp_client_reply(s->hop, &s->hop_err) == 250)
			break;
		if (*sent)
			smtp_client_reply(s->hop, rep);
		*sent = false;
		if (reused && !smtp_client_usable(s->hop)) {
			msg_info("kept next-hop session lost, opening another route=%s",
				 msg_q(r->domain));
			hop_drop(s, false);
			reused = false;
			continue;
		}
		session_decide(s, 4, "nexthop", "refuse",
			       smtp_reply_first(&s->hop_err, first, sizeof(first)),
			       "next hop refused MAIL route=%s", msg_q(r->domain));
		if (!smtp_client_usable(s->hop))
			hop_drop(s, false);
		strbuf_release(&line);
		return -1;
	}
	if (*sent)
		smtp_client_reply(s->hop, rep);
	s->hop_mail = true;
	strbuf_release(&line);
	return 0;
}

static int rcpt_syntax(struct session *s, struct smtp_cmd *c)
{
	if (!s->in_mail) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		session_error(s);
		return -1;
	}
	if (!smtp_addr_valid(c->addr, s->smtputf8)) {
		session_reply(s, "501 5.1.3 Bad recipient address syntax");
		session_error(s);
		return -1;
	}
	for (size_t i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].key, "NOTIFY") && strcmp(c->params[i].key, "ORCPT")) {
			session_reply(s, "555 5.5.4 Unsupported option: %s", c->params[i].key);
			return -1;
		}
	if (s->nrcpt >= (size_t)conf_int(s->e->sec, "max_recipients")) {
		session_reply(s, "452 4.5.3 Error: too many recipients");
		return -1;
	}
	return 0;
}

void txn_rcpt(struct session *s, struct smtp_cmd *c)
{
	const struct edge_route *r;
	struct strbuf line = STRBUF_INIT;
	struct smtp_reply rep;
	char first[300];
	bool sent;

	if (rcpt_syntax(s, c) < 0)
		return;
	if (rcpt_policy(s, c) < 0) {
		tarpit(s);
		return;
	}
	r = edge_route_for(s->e, c->domain);
	if (r == NULL) {
		session_reply(s, "451 4.3.5 <%s>: No route for this domain", c->addr);
		session_decide(s, 4, "route", "defer", "451 4.3.5", "no route to=%s", msg_q(c->addr));
		return;
	}
	if (s->route && (s->route != r || (r->mx && strcasecmp(s->first_rcpt.buf +
		strcspn(s->first_rcpt.buf, "@") + 1, c->domain) != 0 && !hop_fits(s, r, c->domain)))) {
		/* One next hop per transaction (for MX routes, domains whose
		 * MX hosts include the one we talk to share it): the client
		 * sends the others again in a transaction of their own (RFC
		 * 5321 4.5.3.1.10). */
		session_reply(s, "452 4.5.3 <%s>: Recipient for another route, send it separately",
			      c->addr);
		session_decide(s, 4, "route", "defer", "452 4.5.3", "other route to=%s route=%s",
			       msg_q(c->addr), msg_q(r->domain));
		return;
	}
	smtp_reply_init(&rep);
	if (s->hop_failed || hop_ready(s, r, c, &rep, &sent) < 0) {
		s->hop_failed = true;
		reply_and_log_hop(s, &s->hop_err);
		smtp_reply_clear(&rep);
		return;
	}
	if (!sent) {
		rcpt_line(s, c, &line);
		smtp_client_cmd(s->hop, &rep, "%s", line.buf);
	}
	reply_and_log_hop(s, &rep);
	if (rep.code / 100 == 2) {
		content_rcpt(s, c->addr);	/* the content layer's list */
		if (s->nrcpt++ == 0)
			strbuf_addstr(&s->first_rcpt, c->addr);
		s->route = r;
		session_decide(s, 4, "nexthop", "accept", NULL, "recipient accepted to=%s hop=%s",
			       msg_q(c->addr), msg_q(smtp_client_peer(s->hop)));
	} else {
		session_decide(s, 4, "nexthop", rep.code / 100 == 4 ? "defer" : "reject",
			       smtp_reply_first(&rep, first, sizeof(first)),
			       "next hop refused recipient to=%s", msg_q(c->addr));
		if (!smtp_client_usable(s->hop)) {
			hop_drop(s, false);
			s->hop_failed = true;
			smtp_reply_set(&s->hop_err, rep.code, rep.enh, "%s", rep.text.buf);
		}
	}
	smtp_reply_clear(&rep);
	strbuf_release(&line);
}

/* The start of the data on both sides: DATA to the hop (354 wanted), our
 * trace headers first. Returns 0, or -1 with the reply queued. */
static int data_begin(struct session *s)
{
	struct smtp_reply r;
	struct strbuf hdr = STRBUF_INIT;
	int rc = 0;

	if (!s->in_mail) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		session_error(s);
		return -1;
	}
	if (s->nrcpt == 0) {
		session_reply(s, "554 5.5.1 Error: no valid recipients");
		return -1;
	}
	if (content_on(s)) {
		/* the hop gets DATA once the content layer has decided */
		content_begin(s);
		return 0;
	}
	/* DATA goes to the hop now, its 354 is read before the first data
	 * (by then it is there): our 354 does not wait a round trip. A
	 * refusal comes back as the reply to the end of the data. */
	smtp_reply_init(&r);
	if (smtp_client_data_send(s->hop, &r) != 354) {
		reply_and_log_hop(s, &r);
		txn_reset(s);
		rc = -1;
	} else {
		headers_make(s, &hdr);
		smtp_client_data_write(s->hop, hdr.buf, hdr.len, &r);
	}
	strbuf_release(&hdr);
	smtp_reply_clear(&r);
	return rc;
}

static void flow_push(struct session *s)
{
	struct flow *f = &s->flow;
	struct smtp_reply r;

	if (f->stopped || f->buf.len == 0) {
		strbuf_reset(&f->buf);
		return;
	}
	if (s->dec.bare_cr + s->dec.bare_lf && !s->dec.normalise) {
		f->stopped = true;
		f->why = "550 5.5.2 Message refused: bare CR or LF in the data "
			 "(see RFC 5321 2.3.8)";
		f->log = "bare CR or LF in the data";
	} else if (s->dec.bytes > s->size_limit) {
		f->stopped = true;
		f->why = "552 5.3.4 Message size exceeds fixed limit";
		f->log = "message over the size limit";
	}
	if (f->stopped) {
		/* the hop must never see the end marker of this one */
		if (!content_on(s))
			smtp_client_abort(s->hop);
		strbuf_reset(&f->buf);
		return;
	}
	if (content_on(s)) {
		if (content_add(s, f->buf.buf, f->buf.len) < 0) {
			f->stopped = true;
			f->why = "451 4.3.0 Cannot hold the message, try again later";
			f->log = "cannot spool the message";
		}
		strbuf_reset(&f->buf);
		return;
	}
	smtp_reply_init(&r);
	if (smtp_client_data_write(s->hop, f->buf.buf, f->buf.len, &r) < 0) {
		f->stopped = true;
		f->why = "451 4.4.2 Next hop lost during the data, try again later";
		f->log = "next hop lost during the data";
	}
	smtp_reply_clear(&r);
	strbuf_reset(&f->buf);
}

static const char *addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* A redirect: the hop for the first target's route (the one the
 * transaction has when it fits, else a new session). Returns 0, or -1
 * with the reply queued. */
static int redirect_hop(struct session *s, const struct content_out *o)
{
	const char *domain = addr_domain(o->rcpts[0]);
	const struct edge_route *r = edge_route_for(s->e, domain);

	if (r == NULL) {
		session_reply(s, "451 4.4.0 No route for the redirected message");
		session_decide(s, 3, "rules", "defer", "451 4.4.0", "redirect: no route to=%s",
			       msg_q(o->rcpts[0]));
		return -1;
	}
	if (hop_fits(s, r, domain))
		return 0;
	if (s->hop)
		hop_drop(s, smtp_client_usable(s->hop));
	s->hop = edge_route_open(s->e, r, domain, &s->hop_err);
	if (s->hop == NULL) {
		session_reply(s, "451 4.4.0 Next hop of the redirected message unavailable");
		session_decide(s, 4, "nexthop", "defer", s->hop_err.text.buf,
			       "next hop unavailable route=%s", msg_q(r->domain));
		return -1;
	}
	s->hop_route = r;
	msg_info("redirect: through route=%s hop=%s", msg_q(r->domain),
		 msg_q(smtp_client_peer(s->hop)));
	return 0;
}

/* Content mode, the recipients a rule changed: a redirect starts the
 * hop's transaction again, copies are added to it. Returns 0, or -1
 * with the reply queued. */
static int hop_rcpts(struct session *s, const struct content_out *o)
{
	struct smtp_reply r;
	char first[300];
	size_t ok = 0;

	if (o->nrcpts == 0)
		return 0;
	smtp_reply_init(&r);
	if (o->rcpts_replace) {
		hop_reset(s);
		if (redirect_hop(s, o) < 0) {
			smtp_reply_clear(&r);
			return -1;
		}
		if (s->hop == NULL || smtp_client_cmd(s->hop, &r, "MAIL FROM:<%s>%s",
				s->mail_from.buf ? s->mail_from.buf : "",
				s->mail_params.buf ? s->mail_params.buf : "") != 250) {
			session_reply(s, "451 4.4.0 Next hop refused the redirected message");
			smtp_reply_clear(&r);
			return -1;
		}
		s->hop_mail = true;
	}
	for (size_t i = 0; i < o->nrcpts; i++) {
		int code;

		if (o->rcpts_replace && s->hop_route != edge_route_for(s->e, addr_domain(o->rcpts[i]))) {
			session_decide(s, 3, "rules", "refuse", NULL, "redirected to=%s: not on the "
				       "route of the first target route=%s", msg_q(o->rcpts[i]),
				       msg_q(s->hop_route->domain));
			continue;
		}
		code = smtp_client_cmd(s->hop, &r, "RCPT TO:<%s>", o->rcpts[i]);

		session_decide(s, 3, "rules", code / 100 == 2 ? "accept" : "refuse",
			       code / 100 == 2 ? NULL : smtp_reply_first(&r, first, sizeof(first)),
			       "%s to=%s", o->rcpts_replace ? "redirected" : "copy",
			       msg_q(o->rcpts[i]));
		ok += code / 100 == 2;
	}
	smtp_reply_clear(&r);
	if (o->rcpts_replace && ok == 0) {
		session_reply(s, "451 4.4.0 Next hop refused the redirected recipients");
		return -1;
	}
	return 0;
}

/* Content mode: the message as the content layer made it, to the hop;
 * the reply is the hop's. */
static void hop_send(struct session *s, const struct content_out *o)
{
	struct smtp_reply r;
	char first[300];

	if (!o->rcpts_replace && (s->hop == NULL || !smtp_client_usable(s->hop))) {
		session_reply(s, "451 4.4.2 Next hop lost, try again later");
		session_decide(s, 4, "nexthop", "defer", "451 4.4.2", "next hop lost before the data");
		return;
	}
	if (hop_rcpts(s, o) < 0)
		return;
	if (o->require_tls && smtp_client_tls(s->hop) == NULL) {
		session_reply(s, "451 4.7.4 TLS to the next hop is required for this message");
		session_decide(s, 3, "rules", "defer", "451 4.7.4", "require_tls: next hop without TLS "
			       "hop=%s", msg_q(smtp_client_peer(s->hop)));
		return;
	}
	smtp_reply_init(&r);
	if (smtp_client_data_start(s->hop, &r) != 354 ||
	    smtp_client_data_write(s->hop, o->head.buf, o->head.len, &r) < 0 ||
	    smtp_client_data_write(s->hop, o->body, o->body_len, &r) < 0 ||
	    smtp_client_data_end(s->hop, &r) / 100 != 2) {
		reply_and_log_hop(s, &r);
		session_decide(s, 4, "nexthop", r.code / 100 == 4 ? "defer" : "reject",
			       smtp_reply_first(&r, first, sizeof(first)),
			       "next hop refused the message hop=%s", msg_q(smtp_client_peer(s->hop)));
	} else {
		reply_and_log_hop(s, &r);
		s->msgs++;
		session_decide(s, 4, "nexthop", "accept", smtp_reply_first(&r, first, sizeof(first)),
			       "message passed on size=%zu rcpts=%zu hop=%s",
			       o->head.len + o->body_len, s->nrcpt, msg_q(smtp_client_peer(s->hop)));
	}
	s->hop_mail = false;
	smtp_reply_clear(&r);
}

/* One line per message, whatever became of it (Postfix-like): the
 * envelope, the size received, the SCL, the content layer's decisions,
 * the next hop and our final reply (the last one queued). */
static void txn_summary(struct session *s, int scl, bool dropped, bool hop_used)
{
	const char *rep = s->reply.buf ? s->reply.buf : "", *end = rep + s->reply.len, *p;
	char text[300], sclbuf[16] = "none";
	const char *status;

	while (end > rep && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (p = end; p > rep && p[-1] != '\n'; p--)
		;
	snprintf(text, sizeof(text), "%.*s", (int)(end - p), p);
	if (scl != RULES_SCL_UNKNOWN)
		snprintf(sclbuf, sizeof(sclbuf), "%d", scl);
	status = text[0] == '2' ? (dropped ? "dropped" : "sent") :
		 text[0] == '4' ? "deferred" : "rejected";
	s->log_due = true;	/* written before the reply that says it */
	msg_info("message: from=<%s> to=<%s> rcpts=%zu size=%llu scl=%s actions=%s relay=%s "
		 "status=%s reply=%s", s->mail_from.buf ? s->mail_from.buf : "",
		 s->first_rcpt.buf ? s->first_rcpt.buf : "", s->nrcpt, s->dec.bytes, sclbuf,
		 s->actions.len ? s->actions.buf : "none",
		 hop_used && s->hop ? smtp_client_peer(s->hop) : "none", status, msg_q(text));
}

/* Content mode: the stages decide, then the hop gets the message (or an
 * RSET from txn_reset). */
static void content_finish(struct session *s)
{
	struct strbuf trace = STRBUF_INIT;
	struct content_out o;

	headers_make(s, &trace);
	content_out_init(&o);
	content_run(s, &trace, &o);
	if (o.verdict == CONTENT_DELIVER) {
		hop_send(s, &o);
	} else {
		session_reply(s, "%s", o.reply.buf);
		if (o.verdict == CONTENT_DROP)
			s->msgs++;
	}
	txn_summary(s, o.scl, o.verdict == CONTENT_DROP, o.verdict == CONTENT_DELIVER);
	if (s->hop && !smtp_client_usable(s->hop))
		hop_drop(s, false);
	content_out_release(&o);
	strbuf_release(&trace);
	txn_reset(s);
}

/* Our reply to the end of the data: the hop's, or why it stopped. */
static void data_finish(struct session *s)
{
	struct flow *f = &s->flow;
	struct smtp_reply r;
	char first[300];

	if (content_on(s) && !f->stopped) {
		content_finish(s);
		return;
	}
	smtp_reply_init(&r);
	if (f->stopped) {
		session_reply(s, "%s", f->why);
		session_decide(s, 2, "data", "reject", f->why, "%s", f->log);
		if (content_on(s))
			s->hop_mail = true;	/* RSET in txn_reset */
		else
			hop_drop(s, false);
	} else if (smtp_client_data_end(s->hop, &r) / 100 == 2) {
		reply_and_log_hop(s, &r);
		s->msgs++;
		session_decide(s, 4, "nexthop", "accept", smtp_reply_first(&r, first, sizeof(first)),
			       "message passed on size=%llu rcpts=%zu hop=%s", s->dec.bytes,
			       s->nrcpt, msg_q(smtp_client_peer(s->hop)));
	} else {
		reply_and_log_hop(s, &r);
		session_decide(s, 4, "nexthop", r.code / 100 == 4 ? "defer" : "reject",
			       smtp_reply_first(&r, first, sizeof(first)),
			       "next hop refused the message hop=%s", msg_q(smtp_client_peer(s->hop)));
	}
	txn_summary(s, RULES_SCL_UNKNOWN, false, !f->stopped);
	/* The hop's transaction ended with its final reply, unless it
	 * refused the DATA itself (then RSET, from txn_reset; after a final
	 * refusal the RSET is harmless). A stopped flow dropped the hop, or
	 * (content) wants the RSET. */
	if (!f->stopped)
		s->hop_mail = r.code / 100 != 2;
	smtp_reply_clear(&r);
	txn_reset(s);
}

/* Reads the client's data (up to the end marker, or chunk_left bytes of
 * BDAT); returns 0 then, -1 when the client is gone (nothing
 * acknowledged, the hop's copy dropped). */
static int data_read(struct session *s, unsigned long long chunk_left, bool bdat)
{
	struct flow *f = &s->flow;
	const char *p;
	size_t n, used;
	int rc;

	smtp_input_set_timeout(s->input, conf_int(s->e->sec, "data_timeout"));
	while (bdat ? chunk_left > 0 : !s->dec.done) {
		p = smtp_input_peek(s->input, &n);
		if (bdat && n > chunk_left)
			n = (size_t)chunk_left;
		if (n) {
			used = smtp_data_decode(&s->dec, p, n, &f->buf);
			smtp_input_consume(s->input, used);
			if (bdat)
				chunk_left -= used;
			if (f->buf.len >= DATA_CHUNK)
				flow_push(s);
			continue;
		}
		flow_push(s);
		rc = smtp_input_fill(s->input);
		if (rc != STREAM_OK) {
			msg_info("lost connection during the data: %s client=%s",
				 rc == STREAM_TIMEOUT ? "timeout" : "closed", s->ip);
			if (s->hop)
				smtp_client_abort(s->hop);
			return -1;
		}
	}
	flow_push(s);
	return 0;
}

static void flow_start(struct session *s, bool bdat)
{
	s->size_limit = (unsigned long long)conf_int(s->e->sec, "message_size_limit");
	smtp_data_decoder_init(&s->dec, bdat,
			       strcmp(conf_str(s->e->sec, "bare_newline"), "normalise") == 0);
	strbuf_reset(&s->flow.buf);
	s->flow.stopped = false;
	s->flow.why = s->flow.log = NULL;
}

void txn_data(struct session *s)
{
	if (s->bdat) {
		session_reply(s, "503 5.5.1 Error: DATA after BDAT");
		session_error(s);
		return;
	}
	if (data_begin(s) < 0)
		return;
	flow_start(s, false);
	session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (session_flush(s) < 0 || data_read(s, 0, false) < 0) {
		s->quit = true;
		hop_drop(s, false);
	} else {
		data_finish(s);
	}
}

/* Skips a chunk we cannot take (BDAT with no transaction to put it in). */
static int bdat_skip(struct session *s, unsigned long long n)
{
	size_t have;

	while (n) {
		smtp_input_peek(s->input, &have);
		if (have == 0) {
			if (smtp_input_fill(s->input) != STREAM_OK)
				return -1;
			continue;
		}
		if (have > n)
			have = (size_t)n;
		smtp_input_consume(s->input, have);
		n -= have;
	}
	return 0;
}

void txn_bdat(struct session *s, struct smtp_cmd *c)
{
	if (!s->bdat && !s->bdat_failed) {
		if (data_begin(s) < 0) {
			/* the reply is queued; the chunk still has to go */
			s->bdat_failed = !c->last;
			if (bdat_skip(s, c->size) < 0)
				s->quit = true;
			return;
		}
		s->bdat = true;
		flow_start(s, true);
	}
	if (s->bdat_failed) {
		if (bdat_skip(s, c->size) < 0)
			s->quit = true;
		session_reply(s, "503 5.5.1 Error: no transaction for this chunk");
		if (c->last)
			s->bdat_failed = false;
		return;
	}
	if (data_read(s, c->size, true) < 0) {
		s->quit = true;
		hop_drop(s, false);
		return;
	}
	if (c->last) {
		smtp_data_decode_finish(&s->dec, &s->flow.buf);
		flow_push(s);
		data_finish(s);
	} else {
		session_reply(s, "250 2.0.0 %llu octets received", c->size);
	}
}
