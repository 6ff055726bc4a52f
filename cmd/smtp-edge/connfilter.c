/* smtp-edge layer 1: CIDR allow/deny/trusted lists, DNS block and allow
 * lists looked up in parallel with weights, a threshold and return-code
 * filters, a small in-process answer cache, pregreet detection. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "connfilter.h"
#include "dns/dns_name.h"
#include "net/wait.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"

#define LIST_FILE_MAX (16 << 20)
#define CACHE_MAX 256
#define CODES_MAX 16

static const struct conf_key dnsbl_keys[] = {
	{ "zone", CONF_STRING, NULL, 0, 0, NULL, NULL, CONF_REQUIRED, "the list's DNS zone" },
	{ "weight", CONF_INT, "1", -100, 100, NULL, NULL, 0, "added to the score when listed" },
	{ "codes", CONF_STRINGS, "[\"127.0.0.0/8\"]", 0, 0, NULL, NULL, 0,
	  "answers that count as a listing: A.B.C.D, A.B.C.D-E.F.G.H, or CIDR" },
	{ "error_codes", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "answers that mean the lookup failed (127.255.255.0/24 always does)" },
	{ NULL }
};

static const struct conf_key dnswl_keys[] = {
	{ "zone", CONF_STRING, NULL, 0, 0, NULL, NULL, CONF_REQUIRED, "the list's DNS zone" },
	{ "weight", CONF_INT, "-1", -100, 100, NULL, NULL, 0,
	  "added to the score when listed (negative)" },
	{ "codes", CONF_STRINGS, "[\"127.0.0.0/8\"]", 0, 0, NULL, NULL, 0,
	  "answers that count as a listing: A.B.C.D, A.B.C.D-E.F.G.H, or CIDR" },
	{ "error_codes", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "answers that mean the lookup failed (127.255.255.0/24 always does)" },
	{ NULL }
};

const struct conf_key connfilter_conf_keys[] = {
	{ "allow", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "client CIDRs, or files of CIDRs (a path starting with / or .), let through "
	  "without DNS list checks and spam scoring; reloaded on SIGHUP" },
	{ "deny", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "client CIDRs, or files of CIDRs, refused with 554 (allow wins); reloaded on SIGHUP" },
	{ "trusted_networks", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "peers (CIDRs or files) allowed to send XCLIENT or a PROXY header" },
	{ "dnsbl", CONF_LIST, "[]", 0, 0, NULL, dnsbl_keys, 0, "DNS block lists" },
	{ "dnswl", CONF_LIST, "[]", 0, 0, NULL, dnswl_keys, 0, "DNS allow lists" },
	{ "dnsbl_threshold", CONF_INT, "1", 1, 1000, NULL, NULL, 0,
	  "refuse a client whose DNS list score reaches this" },
	{ "allow_threshold", CONF_INT, "0", -1000, 0, NULL, NULL, 0,
	  "allow-list a client whose score is at or below this negative value (0: never)" },
	{ "dns_tempfail_action", CONF_ENUM, "\"accept\"", 0, 0, "accept|tempfail", NULL, 0,
	  "when a block list lookup fails and the score is below the threshold" },
	{ "dnsbl_timeout", CONF_DURATION, "\"5s\"", 100, 60000, NULL, NULL, 0,
	  "how long to wait for all DNS list answers together" },
	{ "pregreet_wait", CONF_DURATION, "\"0s\"", 0, 60000, NULL, NULL, 0,
	  "wait this long before the banner and refuse clients that talk first (0: off)" },
	{ "cache_ttl", CONF_DURATION, "\"10m\"", 0, 86400000, NULL, NULL, 0,
	  "longest time a DNS list answer is kept in the session process" },
	{ NULL }
};

struct cidr {
	int family;
	unsigned char a[16];
	int bits;
	char *src;		/* "192.0.2.0/24 (deny.cidr:3)" */
};

struct cidr_list {
	char **entries;		/* as configured: CIDRs and file paths */
	size_t nentries;
	struct cidr *v;
	size_t n;
};

struct code_range {
	uint32_t lo, hi;
};

struct dnslist {
	char *zone;
	int weight;
	bool allowlist;
	struct code_range codes[CODES_MAX], errors[CODES_MAX];
	size_t ncodes, nerrors;
};

struct cache_entry {
	char key[320];
	enum connfilter_dns_status status;
	char answer[128];
	time_t expires;
};

struct connfilter {
	struct dns *dns;
	struct cidr_list allow, deny, trusted;
	struct dnslist lists[CONNFILTER_LISTS_MAX];
	size_t nlists;
	int threshold, allow_threshold;
	bool tempfail;
	long long timeout_ms, pregreet_ms, cache_ttl_ms;
	struct cache_entry cache[CACHE_MAX];
	size_t ncache;
};

/* Parses "ADDR" or "ADDR/BITS" (IPv4-mapped IPv6 taken as IPv4). */
static int cidr_parse(const char *s, struct cidr *c)
{
	char buf[64], *slash, *end;
	long bits;
	unsigned char a6[16];

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = 0;
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->a) == 1) {
		c->family = AF_INET, c->bits = 32;
	} else if (inet_pton(AF_INET6, buf, a6) == 1) {
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(a6, mapped, 12) == 0 && !slash) {
			c->family = AF_INET, c->bits = 32;
			memcpy(c->a, a6 + 12, 4);
		} else {
			c->family = AF_INET6, c->bits = 128;
			memcpy(c->a, a6, 16);
		}
	} else {
		return -1;
	}
	if (slash) {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || bits < 0 || bits > c->bits)
			return -1;
		c->bits = (int)bits;
	}
	return 0;
}

static bool cidr_match(const struct cidr *c, const struct cidr *ip)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (c->family != ip->family || memcmp(c->a, ip->a, (size_t)full) != 0)
		return false;
	return rest == 0 || ((c->a[full] ^ ip->a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static void list_add(struct cidr_list *l, const struct cidr *c, const char *src, size_t *alloc)
{
	if (l->n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		l->v = xrealloc(l->v, *alloc * sizeof(*l->v));
	}
	l->v[l->n] = *c;
	l->v[l->n++].src = xstrdup(src);
}

static void list_clear_cidrs(struct cidr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].src);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A file of CIDRs, one a line; '#' starts a comment. */
static int list_load_file(struct cidr_list *l, const char *path, size_t *alloc)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *save = NULL, src[512];
	int lineno = 0, rc = 0;

	if (strbuf_read_file(&sb, path, LIST_FILE_MAX) < 0) {
		msg_error("cannot read list file '%s': %s path=%s", path, strerror(errno), msg_q(path));
		return -1;
	}
	for (line = sb.buf ? sb.buf : (char[]){ 0 }; line; line = save) {
		struct cidr c;
		char *hash, *p = line, *e;

		if ((save = strchr(line, '\n')) != NULL)
			*save++ = 0;
		if (!*line && !save)
			break;
		hash = strchr(line, '#');
		lineno++;
		if (hash)
			*hash = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
			e[-1] = 0;
		if (!*p)
			continue;
		if (cidr_parse(p, &c) < 0) {
			msg_error("bad CIDR in list file '%s' line %d: %s path=%s", path, lineno,
				  msg_q(p), msg_q(path));
			rc = -1;
			continue;
		}
		snprintf(src, sizeof(src), "%s (%s:%d)", p, path, lineno);
		list_add(l, &c, src, alloc);
	}
	strbuf_release(&sb);
	return rc;
}

/* (Re)builds l's CIDRs from its entries; on error l is left as it was. */
static int list_load(struct cidr_list *l)
{
	struct cidr_list fresh = { l->entries, l->nentries, NULL, 0 };
	size_t alloc = 0;
	int rc = 0;

	for (size_t i = 0; i < l->nentries; i++) {
		const char *e = l->entries[i];
		struct cidr c;

		if (e[0] == '/' || e[0] == '.') {
			if (list_load_file(&fresh, e, &alloc) < 0)
				rc = -1;
		} else if (cidr_parse(e, &c) < 0) {
			msg_error("bad CIDR in the config: %s", msg_q(e));
			rc = -1;
		} else {
			list_add(&fresh, &c, e, &alloc);
		}
	}
	if (rc < 0) {
		list_clear_cidrs(&fresh);
		return -1;
	}
	list_clear_cidrs(l);
	l->v = fresh.v;
	l->n = fresh.n;
	return 0;
}

static void list_init(struct cidr_list *l, const json_t *sec, const char *key)
{
	l->nentries = sec ? conf_strings_len(sec, key) : 0;
	l->entries = xcalloc(l->nentries + 1, sizeof(char *));
	for (size_t i = 0; i < l->nentries; i++)
		l->entries[i] = xstrdup(conf_strings_at(sec, key, i));
}

static const char *list_find(const struct cidr_list *l, const struct cidr *ip)
{
	for (size_t i = 0; i < l->n; i++)
		if (cidr_match(&l->v[i], ip))
			return l->v[i].src;
	return NULL;
}

static int code_parse(const char *s, struct code_range *r)
{
	char a[32], b[32];
	struct in_addr x, y;
	struct cidr c;
	const char *dash = strchr(s, '-');

	if (dash) {
		if ((size_t)(dash - s) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
			return -1;
		snprintf(a, sizeof(a), "%.*s", (int)(dash - s), s);
		snprintf(b, sizeof(b), "%s", dash + 1);
		if (inet_pton(AF_INET, a, &x) != 1 || inet_pton(AF_INET, b, &y) != 1)
			return -1;
		r->lo = ntohl(x.s_addr), r->hi = ntohl(y.s_addr);
		return r->lo <= r->hi ? 0 : -1;
	}
	if (cidr_parse(s, &c) < 0 || c.family != AF_INET)
		return -1;
	r->lo = (uint32_t)c.a[0] << 24 | (uint32_t)c.a[1] << 16 | (uint32_t)c.a[2] << 8 | c.a[3];
	r->lo &= c.bits ? ~0u << (32 - c.bits) : 0;
	r->hi = r->lo | (c.bits ? ~(~0u << (32 - c.bits)) : ~0u);
	return 0;
}

static int codes_load(const json_t *item, const char *key, struct code_range *out, size_t *n,
		      const char *zone)
{
	size_t len = conf_strings_len(item, key);

	for (size_t i = 0; i < len; i++) {
		const char *s = conf_strings_at(item, key, i);

		if (*n == CODES_MAX || code_parse(s, &out[*n]) < 0) {
			msg_error("bad return code for DNS list %s: %s", zone, msg_q(s));
			return -1;
		}
		(*n)++;
	}
	return 0;
}

static int lists_load(struct connfilter *cf, const json_t *sec, const char *key, bool allow)
{
	json_t *arr = sec ? conf_get(sec, key) : NULL;
	size_t i;
	json_t *item;

	json_array_foreach(arr, i, item) {
		struct dnslist *l;

		if (cf->nlists == CONNFILTER_LISTS_MAX) {
			msg_error("too many DNS lists: at most %d", CONNFILTER_LISTS_MAX);
			return -1;
		}
		l = &cf->lists[cf->nlists++];
		l->zone = xstrdup(conf_str(item, "zone"));
		l->weight = (int)conf_int(item, "weight");
		l->allowlist = allow;
		if (dns_name_check(l->zone) < 0) {
			msg_error("bad DNS list zone: %s", msg_q(l->zone));
			return -1;
		}
		if (codes_load(item, "codes", l->codes, &l->ncodes, l->zone) < 0 ||
		    codes_load(item, "error_codes", l->errors, &l->nerrors, l->zone) < 0)
			return -1;
	}
	return 0;
}

struct connfilter *connfilter_new(const json_t *sec, struct dns *dns)
{
	struct connfilter *cf = xcalloc(1, sizeof(*cf));

	cf->dns = dns;
	list_init(&cf->allow, sec, "allow");
	list_init(&cf->deny, sec, "deny");
	list_init(&cf->trusted, sec, "trusted_networks");
	cf->threshold = sec ? (int)conf_int(sec, "dnsbl_threshold") : 1;
	cf->allow_threshold = sec ? (int)conf_int(sec, "allow_threshold") : 0;
	cf->tempfail = sec && strcmp(conf_str(sec, "dns_tempfail_action"), "tempfail") == 0;
	cf->timeout_ms = sec ? conf_int(sec, "dnsbl_timeout") : 5000;
	cf->pregreet_ms = sec ? conf_int(sec, "pregreet_wait") : 0;
	cf->cache_ttl_ms = sec ? conf_int(sec, "cache_ttl") : 600000;
	if (lists_load(cf, sec, "dnsbl", false) < 0 || lists_load(cf, sec, "dnswl", true) < 0 ||
	    connfilter_reload(cf) < 0) {
		connfilter_free(cf);
		return NULL;
	}
	if (cf->nlists && !dns) {
		msg_error("DNS lists configured without a resolver");
		connfilter_free(cf);
		return NULL;
	}
	return cf;
}

int connfilter_reload(struct connfilter *cf)
{
	int rc = 0;

	if (list_load(&cf->allow) < 0)
		rc = -1;
	if (list_load(&cf->deny) < 0)
		rc = -1;
	if (list_load(&cf->trusted) < 0)
		rc = -1;
	cf->ncache = 0;
	if (rc == 0)
		msg_debug("connfilter lists loaded allow=%zu deny=%zu trusted=%zu", cf->allow.n,
			  cf->deny.n, cf->trusted.n);
	return rc;
}

static void list_free(struct cidr_list *l)
{
	list_clear_cidrs(l);
	for (size_t i = 0; i < l->nentries; i++)
		free(l->entries[i]);
	free(l->entries);
}

void connfilter_free(struct connfilter *cf)
{
	if (!cf)
		return;
	list_free(&cf->allow);
	list_free(&cf->deny);
	list_free(&cf->trusted);
	for (size_t i = 0; i < cf->nlists; i++)
		free(cf->lists[i].zone);
	free(cf);
}

bool connfilter_trusted(struct connfilter *cf, const char *ip)
{
	struct cidr c;

	return cidr_parse(ip, &c) == 0 && c.bits == (c.family == AF_INET ? 32 : 128) &&
	       list_find(&cf->trusted, &c) != NULL;
}

long long connfilter_pregreet_wait(const struct connfilter *cf)
{
	return cf->pregreet_ms;
}

const char *connfilter_action_name(enum connfilter_action a)
{
	static const char *const names[] = { "accept", "allow", "reject", "tempfail" };

	return (unsigned)a < 4 ? names[a] : "unknown";
}

static bool in_ranges(uint32_t v, const struct code_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v >= r[i].lo && v <= r[i].hi)
			return true;
	return false;
}

/* Reads one list's answer into a. */
static void classify(const struct dnslist *l, const struct dns_result *res,
		     struct connfilter_dns_answer *a)
{
	if (!res || res->status == DNS_NXDOMAIN || res->status == DNS_NODATA) {
		a->status = CONNFILTER_DNS_NOT_LISTED;
		snprintf(a->answer, sizeof(a->answer), "%s", res ? dns_status_name(res->status) : "NXDOMAIN");
		return;
	}
	if (res->status != DNS_OK) {
		a->status = CONNFILTER_DNS_ERROR;
		snprintf(a->answer, sizeof(a->answer), "%s %s", dns_status_name(res->status),
			 res->reason ? res->reason : "");
		return;
	}
	a->status = CONNFILTER_DNS_NOT_LISTED;
	snprintf(a->answer, sizeof(a->answer), "%s (not counted)", res->rr[0].addr.text);
	for (size_t i = 0; i < res->n; i++) {
		const unsigned char *r = res->rr[i].addr.raw;
		uint32_t v = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];

		if ((v & 0xffffff00u) == 0x7fffff00u || in_ranges(v, l->errors, l->nerrors)) {
			a->status = CONNFILTER_DNS_ERROR;
			snprintf(a->answer, sizeof(a->answer), "%s (error code)", res->rr[i].addr.text);
			return;
		}
		if (in_ranges(v, l->codes, l->ncodes) && a->status != CONNFILTER_DNS_LISTED) {
			a->status = CONNFILTER_DNS_LISTED;
			snprintf(a->answer, sizeof(a->answer), "%s", res->rr[i].addr.text);
		}
	}
}

static struct cache_entry *cache_find(struct connfilter *cf, const char *key)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < cf->ncache; i++)
		if (strcmp(cf->cache[i].key, key) == 0 && cf->cache[i].expires > now)
			return &cf->cache[i];
	return NULL;
}

static void cache_put(struct connfilter *cf, const char *key, const struct connfilter_dns_answer *a,
		      unsigned ttl)
{
	struct cache_entry *e;
	long long keep = cf->cache_ttl_ms / 1000;

	if (keep <= 0 || a->status == CONNFILTER_DNS_ERROR)
		return;
	if ((long long)ttl < keep)
		keep = ttl;
	e = cf->ncache < CACHE_MAX ? &cf->cache[cf->ncache++] : &cf->cache[(size_t)rand() % CACHE_MAX];
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->status = a->status;
	snprintf(e->answer, sizeof(e->answer), "%s", a->answer);
	e->expires = time(NULL) + (time_t)keep;
}

struct pending {
	struct dns_result *res;
	bool done;
};

static void pending_cb(struct dns_result *res, void *arg)
{
	struct pending *p = arg;

	p->res = res;
	p->done = true;
}

/* Asks every list at once (cached answers aside), waits for them together. */
static void ask_lists(struct connfilter *cf, const char *ip, struct connfilter_result *res)
{
	struct pending p[CONNFILTER_LISTS_MAX];
	char *names[CONNFILTER_LISTS_MAX];
	size_t sent = 0;

	memset(p, 0, sizeof(p));
	for (size_t i = 0; i < cf->nlists; i++) {
		struct connfilter_dns_answer *a = &res->answers[i];
		struct cache_entry *e;

		names[i] = dns_name_reverse(ip, cf->lists[i].zone);
		snprintf(a->zone, sizeof(a->zone), "%s", cf->lists[i].zone);
		a->allowlist = cf->lists[i].allowlist;
		a->weight = cf->lists[i].weight;
		if (names[i] && (e = cache_find(cf, names[i])) != NULL) {
			a->status = e->status;
			snprintf(a->answer, sizeof(a->answer), "%s", e->answer);
			a->cached = p[i].done = true;
		} else if (!names[i] || dns_submit(cf->dns, names[i], DNS_TYPE_A, pending_cb, &p[i]) < 0) {
			a->status = CONNFILTER_DNS_ERROR;
			snprintf(a->answer, sizeof(a->answer), "name too long");
			p[i].done = true;
		} else {
			sent++;
		}
	}
	res->nanswers = cf->nlists;
	if (sent)
		dns_wait(cf->dns, (int)cf->timeout_ms);
	for (size_t i = 0; i < cf->nlists; i++) {
		if (!res->answers[i].cached && p[i].res) {
			classify(&cf->lists[i], p[i].res, &res->answers[i]);
			cache_put(cf, names[i], &res->answers[i], p[i].res->ttl);
		} else if (!p[i].done) {
			res->answers[i].status = CONNFILTER_DNS_ERROR;
			snprintf(res->answers[i].answer, sizeof(res->answers[i].answer), "TEMPFAIL timeout");
		}
		dns_result_free(p[i].res);
		free(names[i]);
	}
}

static void log_answers(const char *ip, const struct connfilter_result *res)
{
	for (size_t i = 0; i < res->nanswers; i++) {
		const struct connfilter_dns_answer *a = &res->answers[i];

		if (a->status == CONNFILTER_DNS_ERROR)
			msg_warn("DNS list lookup failed, not counted as a listing: %s layer=1 "
				 "client=%s list=%s answer=%s", a->answer, ip, a->zone, msg_q(a->answer));
		else
			msg_debug("DNS list answer layer=1 client=%s list=%s answer=%s listed=%s%s", ip,
				  a->zone, msg_q(a->answer),
				  a->status == CONNFILTER_DNS_LISTED ? "yes" : "no", a->cached ? " cached=yes" : "");
	}
}

/* Scores the answers and decides. */
static enum connfilter_action decide(struct connfilter *cf, const char *ip,
				     struct connfilter_result *res)
{
	struct strbuf hits = STRBUF_INIT, zones = STRBUF_INIT;
	bool bl_error = false;
	enum connfilter_action act = CONNFILTER_ACCEPT;

	for (size_t i = 0; i < res->nanswers; i++) {
		const struct connfilter_dns_answer *a = &res->answers[i];

		if (a->status == CONNFILTER_DNS_ERROR && !a->allowlist)
			bl_error = true;
		if (a->status != CONNFILTER_DNS_LISTED)
			continue;
		res->score += a->weight;
		strbuf_addf(&hits, " %s=%d", a->zone, a->weight);
		if (!a->allowlist && a->weight > 0)
			strbuf_addf(&zones, "%s%s", zones.len ? ", " : "", a->zone);
	}
	if (res->score >= cf->threshold) {
		act = CONNFILTER_REJECT;
		snprintf(res->reply, sizeof(res->reply),
			 "554 5.7.1 Service unavailable; client [%s] blocked using %s", ip,
			 zones.len ? zones.buf : "DNS lists");
		snprintf(res->reason, sizeof(res->reason), "dnsbl score %d >= %d (%s)", res->score,
			 cf->threshold, hits.len ? hits.buf + 1 : "");
	} else if (cf->allow_threshold < 0 && res->score <= cf->allow_threshold) {
		act = CONNFILTER_ALLOW;
		snprintf(res->reason, sizeof(res->reason), "dnswl score %d <= %d (%s)", res->score,
			 cf->allow_threshold, hits.len ? hits.buf + 1 : "");
	} else if (bl_error && cf->tempfail) {
		act = CONNFILTER_TEMPFAIL;
		snprintf(res->reply, sizeof(res->reply),
			 "451 4.7.1 Service temporarily unavailable; client [%s] DNS block list "
			 "lookup failed", ip);
		snprintf(res->reason, sizeof(res->reason), "dnsbl lookup failed, score %d < %d",
			 res->score, cf->threshold);
	} else {
		snprintf(res->reason, sizeof(res->reason), "dnsbl score %d < %d%s%s%s", res->score,
			 cf->threshold, hits.len ? " (" : "", hits.len ? hits.buf + 1 : "",
			 hits.len ? ")" : "");
	}
	strbuf_release(&hits);
	strbuf_release(&zones);
	return act;
}

enum connfilter_action connfilter_check(struct connfilter *cf, const char *ip,
					struct connfilter_result *res)
{
	struct cidr c;
	char canon[64];
	const char *hit;

	memset(res, 0, sizeof(*res));
	res->threshold = cf->threshold;
	if (cidr_parse(ip, &c) < 0 || c.bits != (c.family == AF_INET ? 32 : 128)) {
		snprintf(res->reply, sizeof(res->reply), "554 5.7.1 Service unavailable; bad client address");
		snprintf(res->reason, sizeof(res->reason), "not an IP address: %.200s", ip);
		return CONNFILTER_REJECT;
	}
	inet_ntop(c.family, c.a, canon, sizeof(canon));
	if ((hit = list_find(&cf->allow, &c)) != NULL) {
		snprintf(res->list_hit, sizeof(res->list_hit), "%s", hit);
		snprintf(res->reason, sizeof(res->reason), "allow %s", hit);
		return CONNFILTER_ALLOW;
	}
	if ((hit = list_find(&cf->deny, &c)) != NULL) {
		snprintf(res->list_hit, sizeof(res->list_hit), "%s", hit);
		snprintf(res->reason, sizeof(res->reason), "deny %s", hit);
		snprintf(res->reply, sizeof(res->reply),
			 "554 5.7.1 Service unavailable; client [%s] blocked by local policy", canon);
		return CONNFILTER_REJECT;
	}
	if (cf->nlists == 0) {
		snprintf(res->reason, sizeof(res->reason), "no list matched");
		return CONNFILTER_ACCEPT;
	}
	ask_lists(cf, canon, res);
	log_answers(canon, res);
	return decide(cf, canon, res);
}

int connfilter_pregreet(int fd, long long wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int r;

	if (wait_ms <= 0)
		return 0;
	do
		r = wait_poll(&p, 1, wait_ms > 0x7fffffff ? 0x7fffffff : (int)wait_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	r = (int)recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == 1)
		return 1;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return -1;
}
