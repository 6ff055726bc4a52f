/* MTA-STS (RFC 8461): the _mta-sts TXT record through lib/dns, the policy
 * over HTTPS through libcurl, and HOST against its mx patterns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "probe.h"
#include "tls/fetch.h"
#include "util/mem.h"

#define POLICY_MAX 65536	/* RFC 8461 3.3: 64 KB at most */
#define POLICY_MX_MAX 100

struct policy {
	char version[16];
	char mode[16];
	long max_age;
	char *mx[POLICY_MX_MAX];
	size_t nmx;
};

static void policy_clear(struct policy *pol)
{
	for (size_t i = 0; i < pol->nmx; i++)
		free(pol->mx[i]);
	memset(pol, 0, sizeof(*pol));
}

static void trim(char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t'))
		(*s)++, (*len)--;
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
		(*len)--;
}

/* "key: value" lines, CRLF or LF (RFC 8461 3.2). -1 when unusable. */
static int policy_parse(char *text, struct policy *pol, char *why, size_t whylen)
{
	for (char *line = text, *next; line && *line; line = next) {
		char *colon, *val;
		size_t klen, vlen;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		klen = (size_t)(colon - line);
		val = colon + 1;
		vlen = strlen(val);
		trim(&line, &klen);
		trim(&val, &vlen);
		val[vlen] = 0;
		line[klen] = 0;
		if (strcmp(line, "version") == 0)
			snprintf(pol->version, sizeof(pol->version), "%s", val);
		else if (strcmp(line, "mode") == 0)
			snprintf(pol->mode, sizeof(pol->mode), "%s", val);
		else if (strcmp(line, "max_age") == 0)
			pol->max_age = strtol(val, NULL, 10);
		else if (strcmp(line, "mx") == 0 && pol->nmx < POLICY_MX_MAX)
			pol->mx[pol->nmx++] = xstrdup(val);
	}
	if (strcmp(pol->version, "STSv1") != 0)
		snprintf(why, whylen, "version is not STSv1");
	else if (strcmp(pol->mode, "enforce") && strcmp(pol->mode, "testing") && strcmp(pol->mode, "none"))
		snprintf(why, whylen, "mode is not enforce, testing or none");
	else if (pol->nmx == 0 && strcmp(pol->mode, "none"))
		snprintf(why, whylen, "no mx patterns");
	else
		return 0;
	return -1;
}

/* RFC 8461 4.1: "*." stands for exactly one leftmost label. */
static bool mx_match(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);
	const char *dot;

	if (pl && pattern[pl - 1] == '.')
		pl--;
	if (hl && host[hl - 1] == '.')
		hl--;
	if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
		dot = memchr(host, '.', hl);
		return dot && dot != host && (size_t)(host + hl - dot) == pl - 1 &&
		       strncasecmp(dot, pattern + 1, pl - 1) == 0;
	}
	return pl == hl && strncasecmp(pattern, host, hl) == 0;
}

static int fetch(struct probe *p, const char *url, struct strbuf *out, char *why, size_t whylen)
{
	struct tls_fetch_req q = {
		.url = url, .protocols = "https", .timeout_ms = p->timeout_ms, .max = POLICY_MAX,
		.ca_file = p->ca, .resolve = p->resolve, .nresolve = p->nresolve,
		.connect_to = p->connect_to, .nconnect_to = p->nconnect_to,
	};
	struct strbuf ctype = STRBUF_INIT;
	long status;
	int rc = tls_fetch(&q, &status, &ctype, out, why, whylen);

	if (rc == 0 && status != 200)
		snprintf(why, whylen, "HTTP status %ld", status);
	else if (rc == 0 && strncasecmp(ctype.buf ? ctype.buf : "", "text/plain", 10) != 0)
		snprintf(why, whylen, "served as %s, not text/plain", ctype.len ? ctype.buf : "nothing");
	else if (rc == 0)
		why[0] = 0;
	strbuf_release(&ctype);
	return rc == 0 && why[0] == 0 ? 0 : -1;
}

/* The one "v=STSv1" TXT record's id, or NULL after showing why. */
static char *txt_id(struct probe *p, const char *domain, json_t *m)
{
	struct dns *d = probe_dns(p);
	char *qname = xasprintf("_mta-sts.%s", domain), *id = NULL, *rec = NULL;
	struct dns_result *res = d ? dns_query(d, qname, DNS_TYPE_TXT) : NULL;
	size_t found = 0;

	for (size_t i = 0; res && res->status == DNS_OK && i < res->n; i++) {
		const char *t = (const char *)res->rr[i].txt.joined.data;

		if (strncmp(t, "v=STSv1", 7) == 0 && (t[7] == ';' || t[7] == ' ' || t[7] == 0)) {
			found++;
			free(rec);
			rec = xstrdup(t);
		}
	}
	if (found == 1) {
		const char *s = strstr(rec, "id=");
		size_t n = s ? strcspn(s + 3, "; ") : 0;

		id = s && n ? xstrndup(s + 3, n) : NULL;
		show(p, "MTA-STS: TXT %s: %s (%s)", qname, rec, dns_sec_name(res->sec));
		json_object_set_new(m, "txt", probe_jstr(rec));
		if (id == NULL)
			probe_fail(p, OUT_FAIL, "MTA-STS: the TXT record has no id");
	} else {
		const char *why = found > 1 ? "several v=STSv1 TXT records (RFC 8461 3.1: none counts)" :
			res == NULL ? "no resolver" : res->status == DNS_OK ? "no v=STSv1 TXT record" :
			dns_status_name(res->status);

		show(p, "MTA-STS: TXT %s: %s", qname, why);
		probe_fail(p, OUT_FAIL, "MTA-STS: %s for %s", why, qname);
	}
	dns_result_free(res);
	free(rec);
	free(qname);
	return id;
}

static void judge(struct probe *p, const struct policy *pol, json_t *m)
{
	json_t *mx = json_array();
	const char *matched = NULL;

	for (size_t i = 0; i < pol->nmx; i++) {
		json_array_append_new(mx, probe_jstr(pol->mx[i]));
		if (!matched && mx_match(pol->mx[i], p->host))
			matched = pol->mx[i];
	}
	json_object_set_new(m, "mx", mx);
	json_object_set_new(m, "mode", json_string(pol->mode));
	json_object_set_new(m, "max_age", json_integer(pol->max_age));
	json_object_set_new(m, "matched_mx", matched ? probe_jstr(matched) : json_null());
	show(p, "MTA-STS: mode %s, max_age %ld, %zu mx pattern%s", pol->mode, pol->max_age,
	     pol->nmx, pol->nmx == 1 ? "" : "s");
	for (size_t i = 0; i < pol->nmx; i++)
		show(p, "MTA-STS:   mx: %s", pol->mx[i]);
	if (strcmp(pol->mode, "none") == 0) {
		show(p, "MTA-STS: mode none: nothing enforced");
		return;
	}
	if (matched)
		show(p, "MTA-STS: %s matches mx %s", p->host, matched);
	else {
		show(p, "MTA-STS: %s matches no mx pattern of the policy", p->host);
		probe_fail(p, OUT_FAIL, "MTA-STS: %s is not an mx of the policy", p->host);
	}
	if (p->rep.verdict != TLS_VERDICT_VERIFIED) {
		show(p, "MTA-STS: the TLS session is %s, not Verified as the policy requires",
		     tls_verdict_name(p->rep.verdict));
		probe_fail(p, OUT_FAIL, "MTA-STS: TLS not verified");
	}
}

void mtasts_check(struct probe *p)
{
	const char *domain = p->domain;
	struct strbuf body = STRBUF_INIT;
	struct policy pol;
	char why[320] = "", *url = NULL, *id;
	size_t fails = json_array_size(p->fails);
	json_t *m;

	if (domain == NULL) {
		domain = strchr(p->host, '.');
		domain = domain ? domain + 1 : p->host;
	}
	memset(&pol, 0, sizeof(pol));
	m = json_pack("{s:o}", "domain", probe_jstr(domain));
	json_decref(p->mta_sts_json);
	p->mta_sts_json = m;
	id = txt_id(p, domain, m);
	if (id == NULL)
		goto out;
	json_object_set_new(m, "id", probe_jstr(id));
	url = xasprintf("https://mta-sts.%s/.well-known/mta-sts.txt", domain);
	json_object_set_new(m, "url", probe_jstr(url));
	if (fetch(p, url, &body, why, sizeof(why)) < 0) {
		show(p, "MTA-STS: policy %s: %s", url, why);
		probe_fail(p, OUT_FAIL, "MTA-STS: cannot fetch the policy: %s", why);
		goto out;
	}
	show(p, "MTA-STS: policy %s: fetched (%zu bytes)", url, body.len);
	if (policy_parse(body.buf, &pol, why, sizeof(why)) < 0) {
		show(p, "MTA-STS: policy unusable: %s", why);
		probe_fail(p, OUT_FAIL, "MTA-STS: policy unusable: %s", why);
		goto out;
	}
	judge(p, &pol, m);
out:
	json_object_set_new(m, "ok", json_boolean(json_array_size(p->fails) == fails));
	policy_clear(&pol);
	strbuf_release(&body);
	free(url);
	free(id);
}
