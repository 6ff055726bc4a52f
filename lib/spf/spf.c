/* SPF check_host() (RFC 7208 sections 4 to 6 and 8), its limits, the
 * explanation, and the result's headers and actions. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/dns_name.h"
#include "spf/spf.h"
#include "spf/spf_macro.h"
#include "spf/spf_record.h"
#include "util/mem.h"
#include "util/msg.h"

#define DEPTH_MAX 20		/* the lookup limit stops loops first */

#define ACTIONS "accept|tag|reject|tempfail"
const struct conf_key spf_conf_keys[] = {
	{ "enabled", CONF_BOOL, "true", 0, 0, NULL, NULL, 0, "check SPF for MAIL FROM (or HELO)" },
	{ "pass", CONF_ENUM, "\"tag\"", 0, 0, ACTIONS, NULL, 0, "action for pass" },
	{ "fail", CONF_ENUM, "\"reject\"", 0, 0, ACTIONS, NULL, 0, "action for fail" },
	{ "softfail", CONF_ENUM, "\"tag\"", 0, 0, ACTIONS, NULL, 0, "action for softfail" },
	{ "neutral", CONF_ENUM, "\"tag\"", 0, 0, ACTIONS, NULL, 0, "action for neutral" },
	{ "none", CONF_ENUM, "\"tag\"", 0, 0, ACTIONS, NULL, 0, "action for none (no SPF record)" },
	{ "temperror", CONF_ENUM, "\"tempfail\"", 0, 0, ACTIONS, NULL, 0,
	  "action for temperror (DNS failure)" },
	{ "permerror", CONF_ENUM, "\"tag\"", 0, 0, ACTIONS, NULL, 0,
	  "action for permerror (broken record, limits exceeded)" },
	{ NULL }
};

static const char *const result_names[SPF_RESULTS] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
};
static const char *const action_names[] = { "accept", "tag", "reject", "tempfail" };

/* Outcome of one mechanism. */
enum match { M_NOMATCH, M_MATCH, M_TEMPERROR, M_PERMERROR };

struct spf_ctx {
	struct dns *dns;
	struct spf_result *r;
	int family;
	unsigned char addr[16];
	const char *sender, *local, *sender_domain, *helo, *receiver;
	time_t now;
	char *ptr_name;		/* %{p}, looked up once */
	bool ptr_counted, limit_hit;
	const char *cur_domain;
};

/* Where a check_host level reports what decided. */
struct spf_out {
	char mechanism[512];
	char domain[256];
	char explanation[1024];
};

const char *spf_result_name(enum spf_res res)
{
	return (unsigned)res < SPF_RESULTS ? result_names[res] : "unknown";
}

int spf_result_parse(const char *s)
{
	for (int i = 0; i < SPF_RESULTS; i++)
		if (strcasecmp(s, result_names[i]) == 0)
			return i;
	return -1;
}

const char *spf_action_name(enum spf_action a)
{
	return (unsigned)a < 4 ? action_names[a] : "unknown";
}

enum spf_action spf_action_for(const json_t *spf_object, enum spf_res res)
{
	const char *a;

	if (!spf_object || !conf_bool(spf_object, "enabled"))
		return SPF_ACTION_ACCEPT;
	a = conf_str(spf_object, spf_result_name(res));
	for (int i = 0; a && i < 4; i++)
		if (strcmp(a, action_names[i]) == 0)
			return (enum spf_action)i;
	return SPF_ACTION_TAG;
}

static void set_problem(struct spf_ctx *cx, const char *fmt, const char *arg)
{
	if (!cx->r->problem[0])
		snprintf(cx->r->problem, sizeof(cx->r->problem), fmt, arg ? arg : "");
}

/* A name check_host may look at: dns_name_check and at least two labels. */
static bool domain_ok(const char *d)
{
	const char *dot = strchr(d, '.');

	return d[0] && dns_name_check(d) == 0 && dot && dot != d && dot[1] && strcmp(d, ".") != 0;
}

static struct dns_result *lookup(struct spf_ctx *cx, const char *name, int type)
{
	struct dns_result *res = dns_query(cx->dns, name, type);

	if (res)
		msg_debug("spf lookup name=%s type=%s status=%s n=%zu", msg_q(name),
			  dns_type_name(type), dns_status_name(res->status), res->n);
	return res;
}

static bool temp(const struct dns_result *res)
{
	return res && (res->status == DNS_TEMPFAIL || res->status == DNS_BOGUS);
}

static bool count_lookup(struct spf_ctx *cx)
{
	if (++cx->r->lookups > SPF_LOOKUP_LIMIT) {
		set_problem(cx, "more than 10 DNS lookups%s", NULL);
		return false;
	}
	return true;
}

/* A void lookup: NXDOMAIN, no records, or a name unfit to look up. */
static bool count_void(struct spf_ctx *cx, const struct dns_result *res)
{
	if (res && res->status == DNS_OK && res->n > 0)
		return true;
	if (++cx->r->void_lookups > SPF_VOID_LIMIT) {
		set_problem(cx, "more than 2 void DNS lookups%s", NULL);
		return false;
	}
	return true;
}

static void collect_cb(struct dns_result *res, void *arg)
{
	*(struct dns_result **)arg = res;
}

/* Looks the names up at once; out[i] NULL for a name unfit to look up. */
static void lookup_many(struct spf_ctx *cx, char **names, size_t n, int type,
			struct dns_result **out)
{
	size_t sent = 0;

	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (dns_submit(cx->dns, names[i], type, collect_cb, &out[i]) == 0)
			sent++;
	}
	if (sent)
		dns_wait(cx->dns, -1);
}

static bool addr_in(const unsigned char *a, const unsigned char *net, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* Whether an A/AAAA answer holds the client within cidr. */
static bool result_has_client(struct spf_ctx *cx, const struct dns_result *res, int cidr)
{
	for (size_t i = 0; res && res->status == DNS_OK && i < res->n; i++) {
		const struct dns_addr *ad = &res->rr[i].addr;

		if (ad->family == cx->family && addr_in(cx->addr, ad->raw, cidr))
			return true;
	}
	return false;
}

static int addr_type(const struct spf_ctx *cx)
{
	return cx->family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA;
}

static char *chomp_dot(char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = 0;
	return s;
}

/* The names of the client's PTR records that resolve back to it (up to 10
 * looked at); returns how many, names in out[] (caller frees). */
static size_t validated_names(struct spf_ctx *cx, char **out)
{
	char *rev, *names[SPF_NAMES_LIMIT];
	struct dns_result *res, *addrs[SPF_NAMES_LIMIT];
	char ip[64];
	size_t n = 0, v = 0;

	inet_ntop(cx->family, cx->addr, ip, sizeof(ip));
	rev = dns_name_reverse(ip, NULL);
	res = rev ? lookup(cx, rev, DNS_TYPE_PTR) : NULL;
	free(rev);
	for (size_t i = 0; res && res->status == DNS_OK && i < res->n && n < SPF_NAMES_LIMIT; i++)
		names[n++] = chomp_dot(xstrdup(res->rr[i].name));
	dns_result_free(res);
	lookup_many(cx, names, n, addr_type(cx), addrs);
	for (size_t i = 0; i < n; i++) {
		if (result_has_client(cx, addrs[i], cx->family == AF_INET ? 32 : 128))
			out[v++] = names[i];
		else
			free(names[i]);
		dns_result_free(addrs[i]);
	}
	return v;
}

static bool name_under(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (d && domain[d - 1] == '.')
		d--;
	if (n == d)
		return strncasecmp(name, domain, d) == 0;
	return n > d && name[n - d - 1] == '.' && strncasecmp(name + n - d, domain, d) == 0;
}

/* %{p} (7.3): a validated name under the domain, else any, else "unknown". */
static const char *ptr_macro(void *arg)
{
	struct spf_ctx *cx = arg;
	char *names[SPF_NAMES_LIMIT];
	size_t n;

	if (cx->ptr_name)
		return cx->ptr_name;
	if (!cx->ptr_counted) {
		cx->ptr_counted = true;
		if (!count_lookup(cx)) {
			cx->limit_hit = true;
			return "unknown";
		}
	}
	n = validated_names(cx, names);
	for (size_t i = 0; i < n; i++) {
		if (!cx->ptr_name && name_under(names[i], cx->cur_domain))
			cx->ptr_name = xstrdup(names[i]);
	}
	if (!cx->ptr_name)
		cx->ptr_name = xstrdup(n ? names[0] : "unknown");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return cx->ptr_name;
}

static void macro_ctx(struct spf_ctx *cx, const char *domain, struct spf_macro_ctx *m)
{
	*m = (struct spf_macro_ctx){
		.sender = cx->sender, .local = cx->local, .sender_domain = cx->sender_domain,
		.domain = domain, .helo = cx->helo, .receiver = cx->receiver, .now = cx->now,
		.family = cx->family, .ptr_name = ptr_macro, .ptr_arg = cx,
	};
	memcpy(m->addr, cx->addr, 16);
	cx->cur_domain = domain;
}

/* The target name of a term: its domain-spec expanded, or domain. */
static int target_name(struct spf_ctx *cx, const char *spec, const char *domain,
		       struct strbuf *out)
{
	struct spf_macro_ctx m;
	const char *why;

	strbuf_reset(out);
	if (!spec) {
		strbuf_addstr(out, domain);
		return 0;
	}
	macro_ctx(cx, domain, &m);
	if (spf_macro_expand(spec, &m, false, out, &why) < 0 || cx->limit_hit) {
		set_problem(cx, "%s", cx->limit_hit ? "more than 10 DNS lookups" : why);
		return -1;
	}
	spf_macro_truncate(out);
	return 0;
}

static enum match match_a(struct spf_ctx *cx, const char *name, int cidr)
{
	struct dns_result *res = lookup(cx, name, addr_type(cx));
	enum match m = M_NOMATCH;

	if (temp(res))
		m = M_TEMPERROR;
	else if (!count_void(cx, res))
		m = M_PERMERROR;
	else if (result_has_client(cx, res, cidr))
		m = M_MATCH;
	if (m == M_TEMPERROR)
		set_problem(cx, "DNS failure for %s", name);
	dns_result_free(res);
	return m;
}

static enum match match_mx(struct spf_ctx *cx, const char *name, int cidr)
{
	struct dns_result *res = lookup(cx, name, DNS_TYPE_MX), *addrs[SPF_NAMES_LIMIT];
	char *hosts[SPF_NAMES_LIMIT];
	size_t n = 0;
	enum match m = M_NOMATCH;

	if (temp(res)) {
		set_problem(cx, "DNS failure for %s", name);
		dns_result_free(res);
		return M_TEMPERROR;
	}
	if (!count_void(cx, res)) {
		dns_result_free(res);
		return M_PERMERROR;
	}
	if (res->status == DNS_OK && res->n > SPF_NAMES_LIMIT) {
		set_problem(cx, "more than 10 MX records for %s", name);
		dns_result_free(res);
		return M_PERMERROR;
	}
	for (size_t i = 0; res->status == DNS_OK && i < res->n; i++)
		if (strcmp(res->rr[i].mx.host, ".") != 0)
			hosts[n++] = chomp_dot(xstrdup(res->rr[i].mx.host));
	dns_result_free(res);
	lookup_many(cx, hosts, n, addr_type(cx), addrs);
	for (size_t i = 0; i < n; i++) {
		if (temp(addrs[i]) && m == M_NOMATCH) {
			set_problem(cx, "DNS failure for %s", hosts[i]);
			m = M_TEMPERROR;
		}
		if (result_has_client(cx, addrs[i], cidr))
			m = M_MATCH;
		dns_result_free(addrs[i]);
		free(hosts[i]);
	}
	return m;
}

static enum match match_ptr(struct spf_ctx *cx, const char *target)
{
	char *names[SPF_NAMES_LIMIT];
	size_t n = validated_names(cx, names);
	enum match m = M_NOMATCH;

	for (size_t i = 0; i < n; i++) {
		if (name_under(names[i], target))
			m = M_MATCH;
		free(names[i]);
	}
	return m;
}

static enum match match_exists(struct spf_ctx *cx, const char *name)
{
	struct dns_result *res = lookup(cx, name, DNS_TYPE_A);
	enum match m = M_NOMATCH;

	if (temp(res)) {
		set_problem(cx, "DNS failure for %s", name);
		m = M_TEMPERROR;
	} else if (!count_void(cx, res)) {
		m = M_PERMERROR;
	} else if (res && res->status == DNS_OK && res->n > 0) {
		m = M_MATCH;
	}
	dns_result_free(res);
	return m;
}

static enum spf_res check_host(struct spf_ctx *cx, const char *domain, int depth,
			       bool want_exp, struct spf_out *out);

static enum match match_include(struct spf_ctx *cx, const char *name, int depth)
{
	struct spf_out inner;

	memset(&inner, 0, sizeof(inner));

	switch (check_host(cx, name, depth + 1, false, &inner)) {
	case SPF_PASS:
		return M_MATCH;
	case SPF_FAIL: case SPF_SOFTFAIL: case SPF_NEUTRAL:
		return M_NOMATCH;
	case SPF_TEMPERROR:
		return M_TEMPERROR;
	case SPF_NONE:
		set_problem(cx, "include of %s, which has no SPF record", name);
		return M_PERMERROR;
	default:
		return M_PERMERROR;
	}
}

static bool counts_lookup(enum spf_kind k)
{
	return k == SPF_INCLUDE || k == SPF_A || k == SPF_MX || k == SPF_PTR || k == SPF_EXISTS;
}

static enum match eval_term(struct spf_ctx *cx, const struct spf_term *t, const char *domain,
			    int depth)
{
	struct strbuf name = STRBUF_INIT;
	enum match m = M_NOMATCH;

	if (counts_lookup(t->kind) && !count_lookup(cx))
		return M_PERMERROR;
	if (counts_lookup(t->kind) && target_name(cx, t->spec, domain, &name) < 0) {
		strbuf_release(&name);
		return M_PERMERROR;
	}
	switch (t->kind) {
	case SPF_ALL: m = M_MATCH; break;
	case SPF_IP4:
		m = cx->family == AF_INET && addr_in(cx->addr, t->addr, t->cidr4) ? M_MATCH : M_NOMATCH;
		break;
	case SPF_IP6:
		m = cx->family == AF_INET6 && addr_in(cx->addr, t->addr, t->cidr6) ? M_MATCH : M_NOMATCH;
		break;
	case SPF_A:
		m = match_a(cx, name.buf, cx->family == AF_INET ? t->cidr4 : t->cidr6);
		break;
	case SPF_MX:
		m = match_mx(cx, name.buf, cx->family == AF_INET ? t->cidr4 : t->cidr6);
		break;
	case SPF_PTR: m = match_ptr(cx, name.buf); break;
	case SPF_EXISTS: m = match_exists(cx, name.buf); break;
	case SPF_INCLUDE: m = match_include(cx, name.buf, depth); break;
	default: break;
	}
	strbuf_release(&name);
	return m;
}

/* Sets out->explanation from the record's exp= (6.2); errors leave it empty. */
static void explain(struct spf_ctx *cx, const struct spf_term *exp, const char *domain,
		    struct spf_out *out)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;
	struct spf_macro_ctx m;
	struct dns_result *res = NULL;
	const char *why;

	macro_ctx(cx, domain, &m);
	if (spf_macro_expand(exp->spec, &m, false, &name, &why) < 0)
		goto out;
	spf_macro_truncate(&name);
	res = lookup(cx, name.buf, DNS_TYPE_TXT);
	if (!res || res->status != DNS_OK || res->n != 1)
		goto out;
	macro_ctx(cx, domain, &m);
	if (spf_macro_expand((const char *)res->rr[0].txt.joined.data, &m, true, &text, &why) < 0)
		goto out;
	for (size_t i = 0; i < text.len; i++)
		if ((unsigned char)text.buf[i] < 0x20 || (unsigned char)text.buf[i] > 0x7e)
			goto out;
	snprintf(out->explanation, sizeof(out->explanation), "%s", text.buf);
out:
	dns_result_free(res);
	strbuf_release(&name);
	strbuf_release(&text);
}

/* The one SPF record of domain (4.5): returns -1 with text, or a result. */
static int fetch_record(struct spf_ctx *cx, const char *domain, char **text)
{
	struct dns_result *res = lookup(cx, domain, DNS_TYPE_TXT);
	int found = 0;

	*text = NULL;
	if (!res || res->status == DNS_NXDOMAIN || res->status == DNS_NODATA) {
		dns_result_free(res);
		return SPF_NONE;
	}
	if (temp(res)) {
		set_problem(cx, "DNS failure for the SPF record of %s", domain);
		dns_result_free(res);
		return SPF_TEMPERROR;
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct dns_bytes *b = &res->rr[i].txt.joined;

		if (!spf_record_is_spf((const char *)b->data, b->len))
			continue;
		if (found++ == 0)
			*text = xstrndup((const char *)b->data, b->len);
	}
	dns_result_free(res);
	if (found > 1) {
		free(*text);
		*text = NULL;
		set_problem(cx, "more than one SPF record for %s", domain);
		return SPF_PERMERROR;
	}
	return found ? -1 : SPF_NONE;
}

static enum spf_res qual_result(char q)
{
	return q == '-' ? SPF_FAIL : q == '~' ? SPF_SOFTFAIL : q == '?' ? SPF_NEUTRAL : SPF_PASS;
}

static enum spf_res eval_redirect(struct spf_ctx *cx, const struct spf_term *t,
				  const char *domain, int depth, bool want_exp,
				  struct spf_out *out)
{
	struct strbuf name = STRBUF_INIT;
	enum spf_res res;

	if (!count_lookup(cx))
		return SPF_PERMERROR;
	if (target_name(cx, t->spec, domain, &name) < 0) {
		strbuf_release(&name);
		return SPF_PERMERROR;
	}
	res = check_host(cx, name.buf, depth + 1, want_exp, out);
	if (res == SPF_NONE) {
		set_problem(cx, "redirect to %s, which has no SPF record", name.buf);
		res = SPF_PERMERROR;
	}
	strbuf_release(&name);
	return res;
}

static enum spf_res eval_record(struct spf_ctx *cx, const struct spf_record *rec,
				const char *domain, int depth, bool want_exp, struct spf_out *out)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];
		enum spf_res res;

		if (t->kind >= SPF_REDIRECT)
			continue;
		switch (eval_term(cx, t, domain, depth)) {
		case M_NOMATCH:
			continue;
		case M_TEMPERROR:
			return SPF_TEMPERROR;
		case M_PERMERROR:
			return SPF_PERMERROR;
		case M_MATCH:
			break;
		}
		res = qual_result(t->qual);
		snprintf(out->mechanism, sizeof(out->mechanism), "%s", t->text);
		snprintf(out->domain, sizeof(out->domain), "%s", domain);
		if (res == SPF_FAIL && want_exp && rec->exp >= 0) {
			cx->ptr_counted = true;	/* exp is not subject to the limit */
			explain(cx, &rec->terms[rec->exp], domain, out);
		}
		return res;
	}
	if (rec->redirect >= 0)
		return eval_redirect(cx, &rec->terms[rec->redirect], domain, depth, want_exp, out);
	snprintf(out->mechanism, sizeof(out->mechanism), "default");
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	return SPF_NEUTRAL;
}

static enum spf_res check_host(struct spf_ctx *cx, const char *domain, int depth,
			       bool want_exp, struct spf_out *out)
{
	struct spf_record rec;
	const char *why;
	char *text;
	int rc;
	enum spf_res res;

	if (depth > DEPTH_MAX) {
		set_problem(cx, "include or redirect nested too deep at %s", domain);
		return SPF_PERMERROR;
	}
	if (!domain_ok(domain)) {
		set_problem(cx, "not a domain name: %s", domain);
		return SPF_NONE;
	}
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	if ((rc = fetch_record(cx, domain, &text)) >= 0)
		return (enum spf_res)rc;
	if (spf_record_parse(text, &rec, &why) < 0) {
		char p[256];

		snprintf(p, sizeof(p), "%s in the SPF record of %.180s", why, domain);
		set_problem(cx, "%s", p);
		free(text);
		return SPF_PERMERROR;
	}
	free(text);
	res = eval_record(cx, &rec, domain, depth, want_exp, out);
	spf_record_clear(&rec);
	return res;
}

/* Splits the identity (4.3, 2.4): MAIL FROM, or postmaster@HELO. */
static void identity(struct spf_ctx *cx, const struct spf_request *req, char *local_buf,
		     size_t lsize)
{
	struct spf_result *r = cx->r;
	const char *mf = req->mail_from ? req->mail_from : "", *at;
	size_t n = strlen(mf);

	if (n >= 2 && mf[0] == '<' && mf[n - 1] == '>')
		mf++, n -= 2;
	snprintf(r->helo, sizeof(r->helo), "%s", req->helo ? req->helo : "");
	if (n == 0) {
		snprintf(r->identity, sizeof(r->identity), "helo");
		snprintf(r->sender, sizeof(r->sender), "postmaster@%s", r->helo);
	} else {
		snprintf(r->identity, sizeof(r->identity), "mailfrom");
		snprintf(r->sender, sizeof(r->sender), "%.*s", (int)n, mf);
		if (!strchr(r->sender, '@')) {
			char tmp[sizeof(r->sender)];

			snprintf(tmp, sizeof(tmp), "%s", r->sender);
			snprintf(r->sender, sizeof(r->sender), "postmaster@%.490s", tmp);
		}
	}
	at = strrchr(r->sender, '@');
	snprintf(local_buf, lsize, "%.*s", (int)(at - r->sender), r->sender);
	if (!local_buf[0]) {
		char tmp[sizeof(r->sender)];

		snprintf(local_buf, lsize, "postmaster");
		snprintf(tmp, sizeof(tmp), "%s", at + 1);
		snprintf(r->sender, sizeof(r->sender), "postmaster@%.490s", tmp);
		at = strrchr(r->sender, '@');
	}
	cx->sender = r->sender;
	cx->sender_domain = at + 1;
	cx->helo = r->helo;
}

static int parse_client(struct spf_ctx *cx, const char *ip)
{
	unsigned char a6[16];

	if (inet_pton(AF_INET, ip, cx->addr) == 1) {
		cx->family = AF_INET;
	} else if (inet_pton(AF_INET6, ip, a6) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(a6, mapped, 12) == 0) {
			cx->family = AF_INET;
			memcpy(cx->addr, a6 + 12, 4);
		} else {
			cx->family = AF_INET6;
			memcpy(cx->addr, a6, 16);
		}
	} else {
		return -1;
	}
	inet_ntop(cx->family, cx->addr, cx->r->ip, sizeof(cx->r->ip));
	return 0;
}

/* The receiving host's name for %{r} and the headers when the caller
 * gives none: asked once per process, not on every evaluation. */
static const char *this_host(void)
{
	static char host[256];

	if (!host[0] && (gethostname(host, sizeof(host) - 1) < 0 || !host[0]))
		snprintf(host, sizeof(host), "unknown");
	return host;
}

enum spf_res spf_check_request(struct dns *dns, const struct spf_request *req,
			       struct spf_result *r)
{
	struct spf_ctx cx = { .dns = dns, .r = r };
	struct spf_out out;
	char local[256];

	memset(r, 0, sizeof(*r));
	memset(&out, 0, sizeof(out));
	identity(&cx, req, local, sizeof(local));
	cx.local = local;
	cx.receiver = req->receiver ? req->receiver : this_host();
	cx.now = req->now ? req->now : time(NULL);
	if (!req->ip || parse_client(&cx, req->ip) < 0) {
		snprintf(r->ip, sizeof(r->ip), "%.45s", req->ip ? req->ip : "");
		set_problem(&cx, "not an IP address: %s", req->ip);
		r->result = SPF_PERMERROR;
		return r->result;
	}
	r->result = check_host(&cx, cx.sender_domain, 0, true, &out);
	if (r->result == SPF_TEMPERROR || r->result == SPF_PERMERROR)
		out.mechanism[0] = 0;
	else
		r->problem[0] = 0;
	snprintf(r->mechanism, sizeof(r->mechanism), "%s", out.mechanism);
	snprintf(r->domain, sizeof(r->domain), "%s", out.domain[0] ? out.domain : cx.sender_domain);
	if (r->result == SPF_FAIL) {
		if (out.explanation[0])
			snprintf(r->explanation, sizeof(r->explanation), "%s", out.explanation);
		else
			snprintf(r->explanation, sizeof(r->explanation),
				 "%.255s does not designate %s as a permitted sender", r->domain, r->ip);
	}
	free(cx.ptr_name);
	return r->result;
}

enum spf_res spf_check(struct dns *dns, const char *ip, const char *mail_from, const char *helo,
		       struct spf_result *r)
{
	struct spf_request req = { .ip = ip, .mail_from = mail_from, .helo = helo };

	return spf_check_request(dns, &req, r);
}

/* Appends s with anything but printable ASCII replaced by '?'. */
static void add_clean(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		strbuf_addch(out, (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
}

void spf_reply(const struct spf_result *r, enum spf_action a, struct strbuf *out)
{
	const char *res = spf_result_name(r->result);

	if (a == SPF_ACTION_TEMPFAIL) {
		strbuf_addf(out, "451 4.7.24 SPF %s for %s", res, r->sender);
	} else if (r->result == SPF_FAIL) {
		strbuf_addstr(out, "550 5.7.23 SPF fail: ");
		add_clean(out, r->explanation);
		return;
	} else if (r->result == SPF_PERMERROR) {
		strbuf_addf(out, "550 5.7.24 SPF permerror for %s", r->sender);
	} else {
		strbuf_addf(out, "550 5.7.23 SPF %s for %s", res, r->sender);
	}
	if (r->problem[0]) {
		strbuf_addstr(out, ": ");
		add_clean(out, r->problem);
	}
}

/* dot-atom as is, else a quoted string (RFC 5322). */
static void add_value(struct strbuf *out, const char *v)
{
	bool atom = *v != 0 && *v != '.';

	for (const char *p = v; *p && atom; p++)
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-/=?^_`{|}~.", *p))
			atom = false;
	if (atom) {
		strbuf_addstr(out, v);
		return;
	}
	strbuf_addch(out, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f ? *p : '?');
	}
	strbuf_addch(out, '"');
}

static void add_comment(const struct spf_result *r, const char *receiver, struct strbuf *out)
{
	struct strbuf c = STRBUF_INIT;

	strbuf_addf(&c, "%s: ", receiver);
	switch (r->result) {
	case SPF_PASS:
		strbuf_addf(&c, "domain of %s designates %s as permitted sender", r->sender, r->ip);
		break;
	case SPF_FAIL:
		strbuf_addf(&c, "domain of %s does not designate %s as permitted sender", r->sender, r->ip);
		break;
	case SPF_SOFTFAIL:
		strbuf_addf(&c, "domain of transitioning %s does not designate %s as permitted sender",
			    r->sender, r->ip);
		break;
	case SPF_NEUTRAL:
		strbuf_addf(&c, "%s is neither permitted nor denied by domain of %s", r->ip, r->sender);
		break;
	case SPF_NONE:
		strbuf_addf(&c, "domain of %s does not designate permitted sender hosts", r->sender);
		break;
	case SPF_TEMPERROR:
		strbuf_addf(&c, "temporary error in processing during lookup of %s", r->sender);
		break;
	case SPF_PERMERROR:
		strbuf_addf(&c, "permanent error in processing domain of %s", r->sender);
		break;
	}
	strbuf_addch(out, '(');
	for (size_t i = 0; i < c.len; i++) {
		char ch = c.buf[i];

		if (ch == '(' || ch == ')' || ch == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, (unsigned char)ch >= 0x20 && (unsigned char)ch < 0x7f ? ch : '?');
	}
	strbuf_addch(out, ')');
	strbuf_release(&c);
}

void spf_received_header(const struct spf_result *r, const char *receiver, struct strbuf *out)
{
	if (!receiver)
		receiver = this_host();
	strbuf_addf(out, "Received-SPF: %s ", spf_result_name(r->result));
	add_comment(r, receiver, out);
	strbuf_addstr(out, "\r\n\tclient-ip=");
	add_value(out, r->ip);
	strbuf_addstr(out, "; envelope-from=");
	add_value(out, r->sender);
	strbuf_addstr(out, "; helo=");
	add_value(out, r->helo[0] ? r->helo : "unknown");
	strbuf_addstr(out, ";\r\n\treceiver=");
	add_value(out, receiver);
	strbuf_addstr(out, "; identity=");
	strbuf_addstr(out, r->identity);
	strbuf_addstr(out, ";");
	if (r->mechanism[0]) {
		strbuf_addstr(out, " mechanism=");
		add_value(out, r->mechanism);
		strbuf_addstr(out, ";");
	}
	if (r->problem[0] && (r->result == SPF_TEMPERROR || r->result == SPF_PERMERROR)) {
		strbuf_addstr(out, "\r\n\tproblem=");
		add_value(out, r->problem);
		strbuf_addstr(out, ";");
	}
	strbuf_addstr(out, "\r\n");
}

void spf_result_format(const struct spf_result *r, struct strbuf *out)
{
	strbuf_addf(out, "%s\n", spf_result_name(r->result));
	strbuf_addf(out, "identity=%s sender=%s ip=%s helo=%s\n", r->identity, msg_q(r->sender),
		    r->ip, msg_q(r->helo));
	strbuf_addf(out, "domain=%s\n", r->domain);
	if (r->mechanism[0])
		strbuf_addf(out, "mechanism=%s\n", r->mechanism);
	if (r->explanation[0]) {
		strbuf_addstr(out, "explanation=");
		add_clean(out, r->explanation);
		strbuf_addch(out, '\n');
	}
	if (r->problem[0]) {
		strbuf_addstr(out, "problem=");
		add_clean(out, r->problem);
		strbuf_addch(out, '\n');
	}
	strbuf_addf(out, "lookups=%d void_lookups=%d\n", r->lookups, r->void_lookups);
}

/* A pvalue (RFC 8601): an addr-spec or token as is, else quoted. */
static void add_pvalue(struct strbuf *out, const char *v)
{
	const char *at = strrchr(v, '@');

	if (!at) {
		add_value(out, v);
		return;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"\\();,<>[]", *p)) {
			add_value(out, v);
			return;
		}
	strbuf_addstr(out, v);
}

void spf_auth_results(const struct spf_result *r, struct strbuf *out)
{
	strbuf_addf(out, "spf=%s ", spf_result_name(r->result));
	if (strcmp(r->identity, "helo") == 0) {
		strbuf_addstr(out, "smtp.helo=");
		add_value(out, r->helo[0] ? r->helo : "unknown");
	} else {
		strbuf_addstr(out, "smtp.mailfrom=");
		add_pvalue(out, r->sender);
	}
}
