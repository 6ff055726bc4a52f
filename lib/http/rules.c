/* The HTTP server's config keys and its publishing rules: per path
 * prefix, the checks an ISA server's web publishing rule makes before a
 * request reaches the program (methods, URL and query length, header
 * limits, signatures blocked in the decoded path, extensions). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/msg.h"

#define DEF_METHODS "[\"GET\", \"HEAD\", \"POST\", \"OPTIONS\"]"
#define DEF_BLOCKED "[\"./\", \"..\", \"\\\\\", \"%\"]"

const struct conf_key http_rule_keys[] = {
	{ "path", CONF_STRING, NULL, 0, 0, NULL, NULL, CONF_REQUIRED,
	  "path prefix the rule covers, matched without letter case (the longest wins)" },
	{ "name", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "the rule's name in log lines (default: its path)" },
	{ "action", CONF_ENUM, "\"allow\"", 0, 0, "allow|deny", NULL, 0,
	  "deny: every request under the path gets 403" },
	{ "methods", CONF_STRINGS, NULL, 0, 0, NULL, NULL, 0,
	  "methods allowed (\"*\" for any); others get 405 (default: the section's)" },
	{ "url_max", CONF_INT, NULL, 1, HTTP_LINE_MAX, NULL, NULL, 0,
	  "longest request target in bytes; longer gets 414 (default: the section's)" },
	{ "query_max", CONF_INT, NULL, 0, HTTP_LINE_MAX, NULL, NULL, 0,
	  "longest query string; longer gets 414 (default: the section's)" },
	{ "header_line_max", CONF_INT, NULL, 16, HTTP_LINE_MAX, NULL, NULL, 0,
	  "longest header field (name and value) (default: the section's)" },
	{ "headers_size_max", CONF_SIZE, NULL, 64, 1 << 20, NULL, NULL, 0,
	  "all header fields together (default: the section's)" },
	{ "headers_count_max", CONF_INT, NULL, 1, HTTP_HEADERS_MAX, NULL, NULL, 0,
	  "header fields in one request (default: the section's)" },
	{ "body_max", CONF_SIZE, NULL, 0, 1LL << 40, NULL, NULL, 0,
	  "largest request body; larger gets 413 (default: the section's)" },
	{ "blocked_signatures", CONF_STRINGS, NULL, 0, 0, NULL, NULL, 0,
	  "strings refused (403) in the path after one percent-decode (default: the section's)" },
	{ "extensions", CONF_STRINGS, NULL, 0, 0, NULL, NULL, 0,
	  "extensions allowed in the last path segment, \"\" for none; empty: any (default: the section's)" },
	{ NULL }
};

static const struct conf_key http_own_keys[] = {
	{ "header_timeout", CONF_DURATION, "\"10s\"", 100, 600000, NULL, NULL, 0,
	  "the whole request line and headers must arrive within this (slow clients get 408)" },
	{ "idle_timeout", CONF_DURATION, "\"15s\"", 100, 3600000, NULL, NULL, 0,
	  "how long a kept-alive connection waits for its next request" },
	{ "body_timeout", CONF_DURATION, "\"30s\"", 100, 3600000, NULL, NULL, 0,
	  "how long to wait for each piece of a request body" },
	{ "send_timeout", CONF_DURATION, "\"30s\"", 100, 3600000, NULL, NULL, 0,
	  "how long a write to the client may take" },
	{ "max_requests", CONF_INT, "1000", 1, 1000000, NULL, NULL, 0,
	  "requests on one kept-alive connection before it is closed" },
	{ "methods", CONF_STRINGS, DEF_METHODS, 0, 0, NULL, NULL, 0,
	  "methods allowed where no rule says otherwise (\"*\" for any)" },
	{ "url_max", CONF_INT, "1024", 1, HTTP_LINE_MAX, NULL, NULL, 0,
	  "longest request target in bytes (414 beyond)" },
	{ "query_max", CONF_INT, "512", 0, HTTP_LINE_MAX, NULL, NULL, 0,
	  "longest query string in bytes (414 beyond)" },
	{ "header_line_max", CONF_INT, "8192", 16, HTTP_LINE_MAX, NULL, NULL, 0,
	  "longest header field, name and value (400 beyond)" },
	{ "headers_size_max", CONF_SIZE, "\"32k\"", 64, 1 << 20, NULL, NULL, 0,
	  "all header fields of a request together (400 beyond)" },
	{ "headers_count_max", CONF_INT, "100", 1, HTTP_HEADERS_MAX, NULL, NULL, 0,
	  "header fields in one request (400 beyond)" },
	{ "body_max", CONF_SIZE, "\"10M\"", 0, 1LL << 40, NULL, NULL, 0,
	  "largest request body (413 beyond)" },
	{ "blocked_signatures", CONF_STRINGS, DEF_BLOCKED, 0, 0, NULL, NULL, 0,
	  "strings refused (403) in the path after one percent-decode; \"%\" left after it means double encoding" },
	{ "extensions", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "extensions allowed in the last path segment, \"\" for none; empty: any" },
	{ "trusted_proxies", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "reverse proxies (CIDR) whose X-Forwarded-For and X-Forwarded-Proto are believed" },
	{ "security_headers", CONF_BOOL, "true", 0, 0, NULL, NULL, 0,
	  "add X-Content-Type-Options, X-Frame-Options, Referrer-Policy (and HSTS) to every response" },
	{ "frame_options", CONF_STRING, "\"DENY\"", 0, 0, NULL, NULL, 0,
	  "the X-Frame-Options value of the security headers" },
	{ "hsts", CONF_DURATION, "\"180d\"", 0, 10LL * 365 * 86400000, NULL, NULL, 0,
	  "Strict-Transport-Security max-age on secure requests (0: none)" },
	{ "server_header", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "the Server header; empty: none (the software is nobody's business)" },
	{ "rules", CONF_LIST, "[]", 0, 0, NULL, http_rule_keys, 0,
	  "publishing rules per path prefix: path, name, action and the limits above for that path" },
	{ NULL }
};

const struct conf_key http_conf_keys[] = {
	{ "serve", CONF_INCLUDE, NULL, 0, 0, NULL, serve_conf_keys, 0, NULL },
	{ "tls", CONF_OBJECT, NULL, 0, 0, NULL, tls_conf_keys, 0,
	  "HTTPS: our certificate (tls.cert) and client certificate policy; no cert: plain HTTP behind a proxy" },
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_own_keys, 0, NULL },
	{ NULL }
};

static void strs_from(struct http_strs *l, const json_t *node, const char *key)
{
	size_t n = conf_strings_len(node, key);

	l->v = xcalloc(n + 1, sizeof(*l->v));
	l->n = n;
	for (size_t i = 0; i < n; i++)
		l->v[i] = xstrdup(conf_strings_at(node, key, i));
}

void http_strs_free(struct http_strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void rule_fill(struct http_rule *r, const json_t *node, const struct http_rule *def)
{
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
		{ "url_max", offsetof(struct http_rule, url_max) },
		{ "query_max", offsetof(struct http_rule, query_max) },
		{ "header_line_max", offsetof(struct http_rule, header_line_max) },
		{ "headers_size_max", offsetof(struct http_rule, headers_size_max) },
		{ "headers_count_max", offsetof(struct http_rule, headers_count_max) },
		{ "body_max", offsetof(struct http_rule, body_max) },
	};
	static const struct {
		const char *key;
		size_t off;
	} lists[] = {
		{ "methods", offsetof(struct http_rule, methods) },
		{ "blocked_signatures", offsetof(struct http_rule, blocked) },
		{ "extensions", offsetof(struct http_rule, exts) },
	};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		long long *dst = (long long *)((char *)r + nums[i].off);

		if (def && conf_get(node, nums[i].key) == NULL)
			*dst = *(const long long *)((const char *)def + nums[i].off);
		else
			*dst = conf_int(node, nums[i].key);
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct http_strs *dst = (struct http_strs *)((char *)r + lists[i].off);
		const struct http_strs *src;

		if (def && conf_get(node, lists[i].key) == NULL) {
			src = (const struct http_strs *)((const char *)def + lists[i].off);
			dst->v = xcalloc(src->n + 1, sizeof(*dst->v));
			dst->n = src->n;
			for (size_t j = 0; j < src->n; j++)
				dst->v[j] = xstrdup(src->v[j]);
		} else {
			strs_from(dst, node, lists[i].key);
		}
	}
}

int http_rules_load(struct http_server *srv, const json_t *sec, struct http_rule **rules,
		    size_t *nrules, struct http_limits *lim)
{
	size_t n;
	json_t *list = conf_get(sec, "rules"), *item;
	struct http_rule *r;
	size_t i;

	(void)srv;
	n = list ? json_array_size(list) : 0;
	if (n + 1 > HTTP_RULES_MAX) {
		msg_error("too many HTTP rules: %zu (at most %d)", n, HTTP_RULES_MAX - 1);
		return -1;
	}
	r = xcalloc(n + 1, sizeof(*r));
	r[0].name = xstrdup("default");
	r[0].path = xstrdup("");
	rule_fill(&r[0], sec, NULL);
	json_array_foreach(list, i, item) {
		const char *path = conf_str(item, "path"), *name = conf_str(item, "name");

		r[i + 1].path = xstrdup(path);
		r[i + 1].name = xstrdup(name ? name : path);
		r[i + 1].deny = strcmp(conf_str(item, "action"), "deny") == 0;
		rule_fill(&r[i + 1], item, &r[0]);
	}
	*rules = r;
	*nrules = n + 1;

	memset(lim, 0, sizeof(*lim));
	lim->header_timeout = conf_int(sec, "header_timeout");
	lim->idle_timeout = conf_int(sec, "idle_timeout");
	lim->body_timeout = conf_int(sec, "body_timeout");
	lim->send_timeout = conf_int(sec, "send_timeout");
	lim->max_requests = conf_int(sec, "max_requests");
	lim->security_headers = conf_bool(sec, "security_headers");
	lim->hsts = conf_int(sec, "hsts") / 1000;
	lim->server_header = xstrdup(conf_str(sec, "server_header"));
	lim->frame_options = xstrdup(conf_str(sec, "frame_options"));
	strs_from(&lim->proxies, sec, "trusted_proxies");
	for (i = 0; i < lim->proxies.n; i++) {
		if (!http_cidr_valid(lim->proxies.v[i])) {
			msg_error("bad trusted_proxies entry '%s' (expected an address or CIDR)",
				  lim->proxies.v[i]);
			return -1;
		}
	}
	return 0;
}

void http_rules_free(struct http_rule *rules, size_t n, struct http_limits *lim)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].name);
		free(rules[i].path);
		http_strs_free(&rules[i].methods);
		http_strs_free(&rules[i].blocked);
		http_strs_free(&rules[i].exts);
	}
	free(rules);
	if (lim) {
		free(lim->server_header);
		free(lim->frame_options);
		http_strs_free(&lim->proxies);
	}
}

const struct http_rule *http_rule_find(const struct http_server *srv, const char *path)
{
	const struct http_rule *best = &srv->rules[0];
	size_t best_len = 0;

	for (size_t i = 1; i < srv->nrules; i++) {
		size_t l = strlen(srv->rules[i].path);

		if (l >= best_len && strncasecmp(path, srv->rules[i].path, l) == 0 &&
		    (l > best_len || best == &srv->rules[0])) {
			best = &srv->rules[i];
			best_len = l;
		}
	}
	return best;
}

static bool strs_has(const struct http_strs *l, const char *s, bool nocase)
{
	for (size_t i = 0; i < l->n; i++)
		if (nocase ? strcasecmp(l->v[i], s) == 0 : strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static bool method_ok(const struct http_rule *r, const char *method)
{
	if (strs_has(&r->methods, "*", false) || strs_has(&r->methods, method, false))
		return true;
	/* GET allowed means HEAD allowed: the same answer without a body. */
	return strcmp(method, "HEAD") == 0 && strs_has(&r->methods, "GET", false);
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	int c0 = (unsigned char)needle[0], l0 = c0 | 0x20;

	if (n == 0)
		return false;
	/* The first byte first: a full compare only where it matches. A
	 * first byte that is no letter (the default signatures' ./ .. \ %)
	 * is only itself in any case: strchr finds it. */
	if (l0 < 'a' || l0 > 'z') {
		for (const char *p = hay; (p = strchr(p, c0)); p++)
			if (strncasecmp(p, needle, n) == 0)
				return true;
		return false;
	}
	for (; *hay; hay++)
		if ((*hay | 0x20) == l0 && strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static bool ext_ok(const struct http_rule *r, const char *path)
{
	const char *seg = strrchr(path, '/'), *dot;

	if (r->exts.n == 0)
		return true;
	seg = seg ? seg + 1 : path;
	dot = strrchr(seg, '.');
	return strs_has(&r->exts, dot ? dot + 1 : "", true);
}

int http_rule_check(const struct http_rule *r, const struct http_request *req,
		    size_t hdr_bytes, size_t longest_line, const char **check)
{
	if (r->deny) {
		*check = "deny";
		return 403;
	}
	if (!method_ok(r, req->method)) {
		*check = "method";
		return 405;
	}
	if ((long long)strlen(req->target) > r->url_max) {
		*check = "url_max";
		return 414;
	}
	if ((long long)strlen(req->query) > r->query_max) {
		*check = "query_max";
		return 414;
	}
	if ((long long)longest_line > r->header_line_max) {
		*check = "header_line_max";
		return 400;
	}
	if ((long long)hdr_bytes > r->headers_size_max) {
		*check = "headers_size_max";
		return 400;
	}
	if ((long long)req->nheaders > r->headers_count_max) {
		*check = "headers_count_max";
		return 400;
	}
	for (size_t i = 0; i < r->blocked.n; i++) {
		if (contains_nocase(req->path, r->blocked.v[i])) {
			*check = "blocked_signature";
			return 403;
		}
	}
	if (!ext_ok(r, req->path)) {
		*check = "extension";
		return 403;
	}
	if (req->content_length > r->body_max) {
		*check = "body_max";
		return 413;
	}
	return 0;
}
