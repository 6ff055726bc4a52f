/* DNS lookups through libunbound: the "dns" config section, one ub_ctx per
 * process, asynchronous lookups with our own deadlines (unbound has none
 * per query), and answers turned into struct dns_result. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "dns/dns.h"
#include "net/wait.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/msg.h"

#define DNS_MAX_RR 1024		/* records kept from one answer */
#define CACHE_BUCKETS 1024	/* a power of two */
#define CACHE_ENTRY_COST 1024	/* bytes of cache_size per cached answer */
#define CACHE_TTL_MAX 86400	/* seconds an answer is kept at most */
#define CACHE_NEG_TTL_MAX 3600	/* ... a negative one (NXDOMAIN, NODATA) */

static const struct conf_key dns_keys[] = {
	{ "resolver", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "resolvers to ask, as ADDR or ADDR@PORT; empty: the nameservers of /etc/resolv.conf" },
	{ "trust_anchor", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "DNSSEC trust anchor file (DS or DNSKEY records); without one no answer is secure" },
	{ "timeout", CONF_DURATION, "\"5s\"", 100, 300000, NULL, NULL, 0,
	  "how long one lookup may take before it is a temporary failure" },
	{ "cache_size", CONF_SIZE, "\"4M\"", 65536, 1LL << 30, NULL, NULL, 0,
	  "memory for cached answers, per process" },
	{ NULL }
};

const struct conf_section dns_conf_section = {
	"dns", dns_keys, "DNS lookups (DNSBL, SPF, MX, TLSA, SRV) with DNSSEC status"
};

/* One lookup. Its result is made at submit and filled in at the end. */
struct dns_q {
	struct dns *d;
	struct dns_q *prev, *next;
	int id;			/* unbound's async id */
	bool zombie;		/* given up, but unbound may still answer */
	long long deadline;
	dns_callback *cb;
	void *arg;
	struct dns_result *res;
	/* who submitted it (wait_owner): with sessions as fibers in one
	 * process, dns_wait waits for its caller's lookups only, and a
	 * fiber that runs another's callback wakes it */
	const void *owner;
};

struct qlist {
	struct dns_q *head, *tail;
	size_t n;
};

/* A cached answer: what libunbound said (the RDATA as it came), parsed
 * again on each hit. Only final answers: OK, NXDOMAIN, NODATA. */
struct centry {
	struct centry *hnext;		/* bucket chain */
	struct centry *prev, *next;	/* age order, oldest first */
	unsigned hash;
	int type;
	char *key;			/* lower case, no final dot */
	long long expires;		/* monotonic ms */
	enum dns_status status;
	enum dns_sec sec;
	int rcode;
	char *canonname;
	size_t n;
	unsigned char **data;
	size_t *len;
};

struct dns {
	char **resolvers;
	size_t nresolvers;
	char *trust_anchor;
	long long timeout_ms, cache_size;
	struct ub_ctx *ctx;
	pid_t pid;		/* the process ctx belongs to */
	bool started;		/* ctx has a worker thread */
	bool ctx_failed;	/* ctx could not be made in this process */
	struct qlist pending;	/* oldest first, so deadlines are in order */
	struct qlist done;	/* answered, callback not yet run */
	struct qlist zombies;
	/* the answer cache in this process, in front of libunbound's (whose
	 * every lookup, a hit too, goes through its worker thread's pipes) */
	struct centry **buckets;	/* CACHE_BUCKETS, made at the first use */
	struct centry *oldest, *newest;
	size_t ncache, cache_max;
	struct dns_stats stats;
};

static void list_add(struct qlist *l, struct dns_q *q)
{
	q->next = NULL;
	q->prev = l->tail;
	if (l->tail)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
	l->n++;
}

static void list_del(struct qlist *l, struct dns_q *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		l->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		l->tail = q->prev;
	q->prev = q->next = NULL;
	l->n--;
}

static void q_free(struct dns_q *q)
{
	dns_result_free(q->res);
	free(q);
}

static void list_free(struct qlist *l)
{
	struct dns_q *q;

	while ((q = l->head)) {
		list_del(l, q);
		q_free(q);
	}
}

const char *dns_status_name(enum dns_status s)
{
	static const char *const names[] = { "OK", "NXDOMAIN", "NODATA", "TEMPFAIL", "BOGUS" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *dns_sec_name(enum dns_sec s)
{
	static const char *const names[] = { "insecure", "secure", "bogus" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void dns_result_free(struct dns_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n; i++)
		dns_rr_clear(&res->rr[i]);
	free(res->rr);
	free(res->name);
	free(res->reason);
	free(res->canonname);
	free(res);
}

/* The cache key: the name in lower case without its final dot. */
static char *cache_key(const char *name, unsigned *hash)
{
	size_t n = strlen(name);
	char *k;
	unsigned h = 2166136261u;

	if (n > 1 && name[n - 1] == '.')
		n--;
	k = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		k[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	}
	k[n] = 0;
	*hash = h;
	return k;
}

static void centry_free(struct centry *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->data[i]);
	free(e->data);
	free(e->len);
	free(e->canonname);
	free(e->key);
	free(e);
}

/* Takes e out of its bucket and of the age list, and frees it. */
static void cache_del(struct dns *d, struct centry *e)
{
	struct centry **pp = &d->buckets[e->hash & (CACHE_BUCKETS - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		d->oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		d->newest = e->prev;
	d->ncache--;
	centry_free(e);
}

static void cache_free(struct dns *d)
{
	while (d->oldest)
		cache_del(d, d->oldest);
	free(d->buckets);
	d->buckets = NULL;
}

static struct centry *cache_find(struct dns *d, const char *key, unsigned hash, int type)
{
	struct centry *e;

	if (!d->buckets)
		return NULL;
	for (e = d->buckets[hash & (CACHE_BUCKETS - 1)]; e; e = e->hnext)
		if (e->hash == hash && e->type == type && strcmp(e->key, key) == 0)
			break;
	if (e && e->expires <= clock_ms()) {
		cache_del(d, e);
		e = NULL;
	}
	return e;
}

/* Keeps a final answer for its TTL (bounded), the oldest entry making
 * room when the cache is full. */
static void cache_put(struct dns *d, const struct dns_result *res, const struct ub_result *u)
{
	struct centry *e, *old;
	unsigned hash, ttl = res->ttl;
	size_t count = 0;

	if (d->cache_max == 0 || ttl == 0 ||
	    (res->status != DNS_OK && res->status != DNS_NXDOMAIN && res->status != DNS_NODATA))
		return;
	if (ttl > (res->status == DNS_OK ? CACHE_TTL_MAX : CACHE_NEG_TTL_MAX))
		ttl = res->status == DNS_OK ? CACHE_TTL_MAX : CACHE_NEG_TTL_MAX;
	if (!d->buckets)
		d->buckets = xcalloc(CACHE_BUCKETS, sizeof(*d->buckets));
	e = xcalloc(1, sizeof(*e));
	e->key = cache_key(res->name, &hash);
	if ((old = cache_find(d, e->key, hash, res->type)) != NULL)
		cache_del(d, old);
	while (d->ncache >= d->cache_max)
		cache_del(d, d->oldest);
	e->hash = hash;
	e->type = res->type;
	e->expires = clock_ms() + (long long)ttl * 1000;
	e->status = res->status;
	e->sec = res->sec;
	e->rcode = res->rcode;
	e->canonname = res->canonname ? xstrdup(res->canonname) : NULL;
	if (res->status == DNS_OK)
		while (u->data[count] && count < DNS_MAX_RR)
			count++;
	e->data = xcalloc(count + 1, sizeof(*e->data));
	e->len = xcalloc(count + 1, sizeof(*e->len));
	for (size_t i = 0; i < count; i++) {
		if (u->len[i] < 0)
			continue;
		e->len[e->n] = (size_t)u->len[i];
		e->data[e->n] = xmalloc((size_t)u->len[i] + 1);
		memcpy(e->data[e->n], u->data[i], (size_t)u->len[i]);
		e->data[e->n++][u->len[i]] = 0;
	}
	e->hnext = d->buckets[hash & (CACHE_BUCKETS - 1)];
	d->buckets[hash & (CACHE_BUCKETS - 1)] = e;
	e->prev = d->newest;
	if (d->newest)
		d->newest->next = e;
	else
		d->oldest = e;
	d->newest = e;
	d->ncache++;
}

/* Fills res from a cached answer: the records parsed again, the TTL what
 * is left of it. */
static void cache_take(const struct centry *e, struct dns_result *res)
{
	long long left = (e->expires - clock_ms() + 999) / 1000;
	const char *why;

	res->status = e->status;
	res->sec = e->sec;
	res->rcode = e->rcode;
	res->ttl = left > 0 ? (unsigned)left : 1;
	res->canonname = e->canonname ? xstrdup(e->canonname) : NULL;
	res->cached = true;
	if (e->status != DNS_OK)
		return;
	res->rr = xcalloc(e->n ? e->n : 1, sizeof(*res->rr));
	for (size_t i = 0; i < e->n; i++)
		if (dns_rr_parse(&res->rr[res->n], res->type, e->data[i], e->len[i], &why) == 0)
			res->n++;
	if (res->n == 0) {
		res->status = DNS_TEMPFAIL;
		res->reason = xstrdup("malformed answer");
	}
}

void dns_stats(const struct dns *d, struct dns_stats *st)
{
	*st = d->stats;
	st->entries = d->ncache;
}

/* Ends a lookup: a failed one is logged, and it waits in done for its
 * callback. */
static void q_finish(struct dns *d, struct dns_q *q)
{
	struct dns_result *r = q->res;

	list_del(&d->pending, q);
	list_add(&d->done, q);
	if (r->status == DNS_TEMPFAIL || r->status == DNS_BOGUS)
		msg_warn("cannot resolve '%s' %s: %s name=%s type=%s status=%s reason=%s",
			 r->name, dns_type_name(r->type), r->reason, msg_q(r->name),
			 dns_type_name(r->type), dns_status_name(r->status),
			 msg_q(r->reason));
	else
		msg_debug("resolved '%s' %s: %s name=%s type=%s status=%s sec=%s n=%zu",
			  r->name, dns_type_name(r->type), dns_status_name(r->status),
			  msg_q(r->name), dns_type_name(r->type),
			  dns_status_name(r->status), dns_sec_name(r->sec), r->n);
}

static void q_fail(struct dns *d, struct dns_q *q, const char *reason)
{
	q->res->status = DNS_TEMPFAIL;
	free(q->res->reason);
	q->res->reason = xstrdup(reason);
	q_finish(d, q);
}

static const char *rcode_name(int rcode, char *buf, size_t size)
{
	switch (rcode) {
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	}
	snprintf(buf, size, "rcode %d", rcode);
	return buf;
}

static void take_records(struct dns_result *res, const struct ub_result *u)
{
	size_t count = 0;
	const char *why;

	while (u->data[count] && count < DNS_MAX_RR)
		count++;
	res->rr = xcalloc(count ? count : 1, sizeof(*res->rr));
	for (size_t i = 0; i < count; i++) {
		if (u->len[i] < 0 ||
		    dns_rr_parse(&res->rr[res->n], res->type,
				 (const unsigned char *)u->data[i], (size_t)u->len[i], &why) < 0) {
			msg_warn("malformed %s record ignored: %s name=%s",
				 dns_type_name(res->type), u->len[i] < 0 ? "bad length" : why,
				 msg_q(res->name));
			continue;
		}
		res->n++;
	}
	if (res->n == 0) {
		res->status = DNS_TEMPFAIL;
		res->reason = xstrdup("malformed answer");
	}
}

static void take_answer(struct dns_result *res, int err, struct ub_result *u)
{
	char buf[32];

	if (err || !u) {
		res->status = DNS_TEMPFAIL;
		res->reason = xstrdup(err ? ub_strerror(err) : "no result");
		return;
	}
	res->rcode = u->rcode;
	res->ttl = u->ttl > 0 ? (unsigned)u->ttl : 0;
	if (u->canonname)
		res->canonname = xstrdup(u->canonname);
	if (u->bogus) {
		res->status = DNS_BOGUS;
		res->sec = DNS_SEC_BOGUS;
		res->reason = xstrdup(u->why_bogus ? u->why_bogus : "bogus");
		return;
	}
	res->sec = u->secure ? DNS_SEC_SECURE : DNS_SEC_INSECURE;
	if (u->rcode == 3) {
		res->status = DNS_NXDOMAIN;
	} else if (u->rcode != 0) {
		res->status = DNS_TEMPFAIL;
		res->reason = xstrdup(rcode_name(u->rcode, buf, sizeof(buf)));
	} else if (!u->havedata || !u->data || !u->data[0]) {
		res->status = DNS_NODATA;
	} else {
		res->status = DNS_OK;
		take_records(res, u);
	}
}

/* unbound's callback: runs inside ub_process, in our thread. */
static void ub_done(void *arg, int err, struct ub_result *u)
{
	struct dns_q *q = arg;

	if (q->zombie) {
		/* Given up on already; only unbound still held a pointer. */
		ub_resolve_free(u);
		list_del(&q->d->zombies, q);
		q_free(q);
		return;
	}
	take_answer(q->res, err, u);
	if (!err && u)
		cache_put(q->d, q->res, u);
	ub_resolve_free(u);
	q_finish(q->d, q);
}

static int check_resolver(const char *s)
{
	const char *at = strrchr(s, '@');
	char addr[INET6_ADDRSTRLEN], *end;
	unsigned char buf[16];
	size_t n = at ? (size_t)(at - s) : strlen(s);
	long port;

	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = 0;
	if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1)
		return -1;
	if (!at)
		return 0;
	port = strtol(at + 1, &end, 10);
	return at[1] && !*end && port > 0 && port < 65536 ? 0 : -1;
}

/* unbound's built-in local zones (RFC 6761 names, loopback and RFC 1918
 * reverse zones) would be answered here without asking anyone. postern
 * always forwards, and the resolver it forwards to knows best: a site's
 * own reverse zones for its private addresses, its test zones. A zone of
 * our own replaces a default one; "transparent" without data asks the
 * resolver. ("nodefault" cannot be set through ub_ctx_set_option: it keeps
 * the type in the name and never matches.) */
static const char *const own_zones[] = {
	"localhost.", "127.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"home.arpa.", "onion.", "test.", "invalid.", NULL
};

static int ub_local_zones(struct ub_ctx *ctx)
{
	char buf[128];
	int rc;

	if ((rc = ub_ctx_set_option(ctx, "unblock-lan-zones:", "yes")) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "insecure-lan-zones:", "yes")) != 0)
		return rc;
	for (size_t i = 0; own_zones[i]; i++) {
		snprintf(buf, sizeof(buf), "%s transparent", own_zones[i]);
		if ((rc = ub_ctx_set_option(ctx, "local-zone:", buf)) != 0)
			return rc;
	}
	return 0;
}

static int ub_setup(struct dns *d, struct ub_ctx *ctx)
{
	char msg[32], rrset[32];
	int rc;

	if ((rc = ub_ctx_async(ctx, 1)) != 0)
		return rc;
	/* The resolver may well be on loopback: a local unbound or the
	 * test server. */
	if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0 ||
	    (rc = ub_local_zones(ctx)) != 0)
		return rc;
	snprintf(msg, sizeof(msg), "%lld", d->cache_size / 3);
	snprintf(rrset, sizeof(rrset), "%lld", d->cache_size - d->cache_size / 3);
	if ((rc = ub_ctx_set_option(ctx, "msg-cache-size:", msg)) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "rrset-cache-size:", rrset)) != 0)
		return rc;
	if (d->nresolvers == 0 && (rc = ub_ctx_resolvconf(ctx, NULL)) != 0)
		return rc;
	for (size_t i = 0; i < d->nresolvers; i++)
		if ((rc = ub_ctx_set_fwd(ctx, d->resolvers[i])) != 0)
			return rc;
	if (d->trust_anchor && (rc = ub_ctx_add_ta_file(ctx, d->trust_anchor)) != 0)
		return rc;
	return 0;
}

/* A new resolver context for this process, or NULL after logging. */
static struct ub_ctx *ctx_make(struct dns *d)
{
	struct ub_ctx *ctx = ub_ctx_create();
	int rc;

	if (!ctx) {
		msg_error("cannot create a DNS resolver context");
		return NULL;
	}
	if ((rc = ub_setup(d, ctx)) != 0) {
		msg_error("cannot set up the DNS resolver: %s%s", ub_strerror(rc),
			  d->nresolvers ? "" : " (reading /etc/resolv.conf)");
		ub_ctx_delete(ctx);
		return NULL;
	}
	return ctx;
}

/* This process's id without a system call on every lookup: asked once,
 * forgotten in a forked child. */
static pid_t self_pid;

static void forget_pid(void)
{
	self_pid = 0;
}

static pid_t self(void)
{
	static bool hooked;

	if (!hooked) {
		pthread_atfork(NULL, NULL, forget_pid);
		hooked = true;
	}
	if (self_pid == 0)
		self_pid = getpid();
	return self_pid;
}

/* Makes sure d's context belongs to this process. After a fork the
 * parent's context must not be deleted here when it has a worker thread:
 * that thread does not exist in this process, and deleting would wait for
 * it and write to pipes the parent reads. Its memory is left behind. */
static void dns_own(struct dns *d)
{
	pid_t pid = self();

	if (d->pid == pid)
		return;
	if (d->ctx && !d->started)
		ub_ctx_delete(d->ctx);
	d->ctx = NULL;
	d->started = false;
	d->pid = pid;
	list_free(&d->pending);
	list_free(&d->done);
	list_free(&d->zombies);
	d->ctx_failed = false;	/* made at the first lookup the cache cannot answer */
}

/* d's context, made now if this process has none yet; NULL when it
 * cannot be made (logged once). */
static struct ub_ctx *ctx_need(struct dns *d)
{
	if (!d->ctx && !d->ctx_failed && !(d->ctx = ctx_make(d)))
		d->ctx_failed = true;
	return d->ctx;
}

struct dns *dns_new(const json_t *section)
{
	struct dns *d = xcalloc(1, sizeof(*d));
	const char *ta = section ? conf_str(section, "trust_anchor") : NULL;

	d->timeout_ms = section ? conf_int(section, "timeout") : 5000;
	d->cache_size = section ? conf_int(section, "cache_size") : 4 << 20;
	d->cache_max = (size_t)(d->cache_size / CACHE_ENTRY_COST);
	d->nresolvers = section ? conf_strings_len(section, "resolver") : 0;
	d->resolvers = xcalloc(d->nresolvers + 1, sizeof(char *));
	for (size_t i = 0; i < d->nresolvers; i++) {
		d->resolvers[i] = xstrdup(conf_strings_at(section, "resolver", i));
		if (check_resolver(d->resolvers[i]) < 0) {
			msg_error("bad DNS resolver '%s' (expected ADDR or ADDR@PORT) key=dns.resolver",
				  d->resolvers[i]);
			goto fail;
		}
	}
	if (ta && *ta) {
		if (access(ta, R_OK) < 0) {
			msg_error("cannot read DNS trust anchor '%s': %s key=dns.trust_anchor",
				  ta, strerror(errno));
			goto fail;
		}
		d->trust_anchor = xstrdup(ta);
	}
	d->pid = self();
	if (!(d->ctx = ctx_make(d)))
		goto fail;
	return d;
fail:
	dns_free(d);
	return NULL;
}

void dns_free(struct dns *d)
{
	if (!d)
		return;
	/* Deleting the context stops its worker: nothing calls back after. */
	if (d->ctx && (d->pid == self() || !d->started))
		ub_ctx_delete(d->ctx);
	list_free(&d->pending);
	list_free(&d->done);
	list_free(&d->zombies);
	cache_free(d);
	for (size_t i = 0; i < d->nresolvers; i++)
		free(d->resolvers[i]);
	free(d->resolvers);
	free(d->trust_anchor);
	free(d);
}

int dns_submit(struct dns *d, const char *name, int type, dns_callback *cb,
	       void *arg)
{
	struct dns_q *q;
	struct centry *e;
	unsigned hash;
	char *key;
	int rc;

	if (dns_name_check(name) < 0 || type <= 0 || type > 65535) {
		errno = EINVAL;
		return -1;
	}
	dns_own(d);
	key = cache_key(name, &hash);
	e = cache_find(d, key, hash, type);
	free(key);
	q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->deadline = clock_ms() + d->timeout_ms;
	q->owner = wait_owner();
	q->res = xcalloc(1, sizeof(*q->res));
	q->res->name = xstrdup(name);
	q->res->type = type;
	q->res->rcode = -1;
	list_add(&d->pending, q);
	if (e) {
		/* answered here: the callback runs from dns_process as usual */
		d->stats.hits++;
		cache_take(e, q->res);
		q_finish(d, q);
		return 0;
	}
	d->stats.misses++;
	if (!ctx_need(d)) {
		q_fail(d, q, "no resolver context");
		return 0;
	}
	d->started = true;
	rc = ub_resolve_async(d->ctx, name, type, 1, q, ub_done, &q->id);
	if (rc != 0)
		q_fail(d, q, ub_strerror(rc));
	return 0;
}

int dns_fd(struct dns *d)
{
	dns_own(d);
	return ctx_need(d) ? ub_fd(d->ctx) : -1;
}

int dns_timeout(struct dns *d)
{
	long long left;

	dns_own(d);
	if (d->done.head)
		return 0;
	if (!d->pending.head)
		return -1;
	left = d->pending.head->deadline - clock_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

size_t dns_pending(const struct dns *d)
{
	return d->pending.n + d->done.n;
}

/* Gives up on a pending lookup. If unbound cannot forget it (the answer is
 * on its way), unbound still holds q: q stays behind as a zombie for that
 * answer and a copy of it goes on to its callback. */
static void q_give_up(struct dns *d, struct dns_q *q, const char *reason)
{
	struct dns_q *copy;

	if (d->ctx && ub_cancel(d->ctx, q->id) != 0) {
		copy = xmemdup(q, sizeof(*q));
		if (copy->prev)
			copy->prev->next = copy;
		else
			d->pending.head = copy;
		if (copy->next)
			copy->next->prev = copy;
		else
			d->pending.tail = copy;
		q->res = NULL;
		q->zombie = true;
		list_add(&d->zombies, q);
		q = copy;
	}
	q_fail(d, q, reason);
}

/* Ends the lookups whose deadline is before t (all of them for t < 0). */
static void expire(struct dns *d, long long t)
{
	while (d->pending.head && (t < 0 || d->pending.head->deadline <= t))
		q_give_up(d, d->pending.head, "timeout");
}

static int deliver(struct dns *d)
{
	struct dns_q *q;
	struct dns_result *res;
	const void *me = wait_owner(), *other;
	int n = 0;

	/* One at a time: a callback may submit, process or wait. */
	while ((q = d->done.head)) {
		list_del(&d->done, q);
		res = q->res;
		q->res = NULL;
		other = q->owner != me ? q->owner : NULL;
		if (q->cb)
			q->cb(res, q->arg);
		else
			dns_result_free(res);
		free(q);
		n++;
		/* its answer came in our read: it may wait for it in vain */
		if (other && d->ctx)
			wait_kick(other, ub_fd(d->ctx));
	}
	return n;
}

int dns_process(struct dns *d)
{
	int rc;

	dns_own(d);
	/* only when libunbound has something of ours: a cache hit never
	 * went there, and reading its pipe for nothing is a system call */
	if (d->ctx && d->started && (d->pending.head || d->zombies.head) &&
	    (rc = ub_process(d->ctx)) != 0) {
		/* The worker is gone: nothing pending will be answered. */
		msg_error("DNS resolver failed: %s", ub_strerror(rc));
		while (d->pending.head)
			q_fail(d, d->pending.head, ub_strerror(rc));
	}
	expire(d, clock_ms());
	return deliver(d);
}

static void poll_fd(struct dns *d, int timeout_ms)
{
	struct pollfd p = { .fd = dns_fd(d), .events = POLLIN };

	if (timeout_ms == 0 || p.fd < 0)
		return;
	if (wait_poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		msg_warn("cannot poll the DNS resolver: %s", strerror(errno));
}

/* The caller's lookups not yet delivered (all of them outside fibers). */
static size_t pending_mine(const struct dns *d, const void *me)
{
	size_t n = 0;

	if (me == NULL)
		return dns_pending(d);
	for (const struct dns_q *q = d->pending.head; q; q = q->next)
		n += q->owner == me;
	for (const struct dns_q *q = d->done.head; q; q = q->next)
		n += q->owner == me;
	return n;
}

/* Gives up on the caller's pending lookups (every one outside fibers). */
static void expire_mine(struct dns *d, const void *me)
{
	struct dns_q *q, *next;

	for (q = d->pending.head; q; q = next) {
		next = q->next;
		if (me == NULL || q->owner == me)
			q_give_up(d, q, "timeout");
	}
}

void dns_wait(struct dns *d, int timeout_ms)
{
	long long end = timeout_ms >= 0 ? clock_ms() + timeout_ms : -1, left;
	const void *me = wait_owner();
	int t;

	for (;;) {
		dns_process(d);
		if (pending_mine(d, me) == 0)
			return;
		t = dns_timeout(d);
		if (end >= 0) {
			left = end - clock_ms();
			if (left <= 0) {
				expire_mine(d, me);
				continue;
			}
			if (t < 0 || t > left)
				t = (int)left;
		}
		poll_fd(d, t);
	}
}

static void query_done(struct dns_result *res, void *arg)
{
	*(struct dns_result **)arg = res;
}

struct dns_result *dns_query(struct dns *d, const char *name, int type)
{
	struct dns_result *res = NULL;

	if (dns_submit(d, name, type, query_done, &res) < 0)
		return NULL;
	for (;;) {
		dns_process(d);
		if (res)
			return res;
		poll_fd(d, dns_timeout(d));
	}
}
