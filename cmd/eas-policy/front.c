/* The /Microsoft-Server-ActiveSync front: OPTIONS, Provision answered
 * here, every other command checked against the device's policy key and
 * wipe state, then passed to the backend unchanged with its body and the
 * backend's answer streamed both ways. Each connection has its own
 * process (lib/http), so a long Ping waits without holding up others. */
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "http/client.h"
#include "http/http.h"
#include "net/evloop.h"
#include "util/base64.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "eas-policy.h"

#define AS_PATH "/Microsoft-Server-ActiveSync"

static void options(struct eas *e, struct http_response *res)
{
	struct strbuf v = STRBUF_INIT;

	for (size_t i = 0; i < e->nversions; i++)
		strbuf_addf(&v, "%s%s", i ? "," : "", e->versions[i]);
	http_resp_header(res, "Allow", "OPTIONS,POST");
	http_resp_header(res, "Public", "OPTIONS,POST");
	http_resp_header(res, "MS-Server-ActiveSync", "14.3");
	http_resp_header(res, "MS-ASProtocolVersions", v.buf);
	http_resp_header(res, "MS-ASProtocolCommands", e->commands);
	http_resp_header(res, "Cache-Control", "private");
	strbuf_release(&v);
}

/* The login name: Basic credentials first (what the backend will
 * check), else the User parameter; DOMAIN\ dropped, lowercased. The
 * password, when asked for, goes to pass (wiped by the caller). */
static bool who(const struct http_request *req, const struct eas_query *q, char *user,
		size_t size, struct strbuf *pass)
{
	const char *auth = http_header(req, "Authorization");
	struct strbuf dec = STRBUF_INIT;
	const char *name = q->user;
	char *colon = NULL, *bs;

	if (auth && strncasecmp(auth, "Basic ", 6) == 0 &&
	    base64_decode(auth + 6, strlen(auth + 6), &dec) == 0 && dec.len > 0 &&
	    (colon = memchr(dec.buf, ':', dec.len)) && !memchr(dec.buf, 0, dec.len)) {
		*colon = 0;
		name = dec.buf;
		if (pass)
			strbuf_addstr(pass, colon + 1);
	}
	if ((bs = strrchr(name, '\\')))
		name = bs + 1;
	if (!*name || strlen(name) >= size) {
		mem_wipe(dec.buf, dec.len);
		strbuf_release(&dec);
		return false;
	}
	for (size_t i = 0; i <= strlen(name); i++)
		user[i] = (char)tolower((unsigned char)name[i]);
	mem_wipe(dec.buf, dec.len);
	strbuf_release(&dec);
	return devstore_name_ok(user, DEV_USER_MAX);
}

/* The user's policy from the directory: 1 known (r->policy set, r->user
 * made the directory's uid), 0 unknown, -1 the directory failed. */
static int user_policy(struct eas *e, struct eas_req *r)
{
	struct dir_entry *ent = NULL;
	enum dir_status s;
	const char *name, *uid;

	r->policy = e->default_policy;
	if (!e->use_directory)
		return 1;
	if (!e->dir)
		return -1;
	s = strchr(r->user, '@') ? dir_lookup_mail(e->dir, r->user, &ent) :
		dir_lookup_uid(e->dir, r->user, &ent);
	if (s == DIR_TEMPFAIL) {
		msg_warn("directory unavailable user=%s reason=%s", msg_q(r->user),
			 msg_q(dir_error(e->dir)));
		return -1;
	}
	if (s == DIR_NOTFOUND) {
		r->policy = NULL;
		return 0;
	}
	if ((uid = dir_entry_str(ent, "uid")) && strlen(uid) < sizeof(r->user)) {
		size_t i;

		for (i = 0; uid[i]; i++)
			r->user[i] = (char)tolower((unsigned char)uid[i]);
		r->user[i] = 0;
	}
	name = dir_entry_str(ent, "posternEASPolicy");
	if (name && *name) {
		r->policy = policy_find(e, name);
		if (!r->policy) {
			msg_warn("unknown policy in the directory user=%s policy=%s: the default applies",
				 msg_q(r->user), msg_q(name));
			r->policy = e->default_policy;
		}
	}
	dir_entry_free(ent);
	return 1;
}

/* What one connection's requests share, so that a device's requests
 * after its first cost no directory lookup and no key derivation: the
 * directory's answer for the last user (for DIR_CACHE_MS at most: the
 * file backend itself looks for a changed file once a second) and the
 * key of the last (policy, user, device), a pure function of them.
 * Dropped at each connection's first request (a pooled worker serves
 * several), with the store's cached record. The device's record is not
 * kept here: devstore_peek sees a wipe or a new key at once (the store's
 * change counter, or a stat). */
#define DIR_CACHE_MS 1000

static struct {
	bool dir_valid;
	long long dir_at;			/* monotonic ms of the lookup */
	int known;
	const struct eas_policy *policy;
	char asked[DEV_USER_MAX + 1];		/* the name looked up */
	char user[DEV_USER_MAX + 1];		/* what it became (the uid) */
	bool key_valid;
	const struct eas_policy *key_policy;
	char key_user[DEV_USER_MAX + 1];
	char key_device[DEV_ID_MAX + 1];
	uint32_t key;
} conn_cache;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* user_policy, answered from conn_cache when it can be. */
static int user_policy_cached(struct eas *e, const struct http_request *req, struct eas_req *r)
{
	long long now = mono_ms();
	int known;

	if (req->serial == 1) {
		conn_cache.dir_valid = conn_cache.key_valid = false;
		if (e->store)
			devstore_forget(e->store);
	}
	if (conn_cache.dir_valid && now - conn_cache.dir_at < DIR_CACHE_MS &&
	    strcmp(conn_cache.asked, r->user) == 0) {
		r->policy = conn_cache.policy;
		memcpy(r->user, conn_cache.user, sizeof(r->user));
		return conn_cache.known;
	}
	conn_cache.dir_valid = false;
	memcpy(conn_cache.asked, r->user, sizeof(conn_cache.asked));
	if ((known = user_policy(e, r)) < 0)
		return known;
	conn_cache.known = known;
	conn_cache.policy = r->policy;
	memcpy(conn_cache.user, r->user, sizeof(conn_cache.user));
	conn_cache.dir_at = now;
	conn_cache.dir_valid = true;
	return known;
}

/* policy_key, answered from conn_cache when it can be. */
static uint32_t key_cached(struct eas *e, const struct eas_req *r)
{
	if (conn_cache.key_valid && conn_cache.key_policy == r->policy &&
	    strcmp(conn_cache.key_user, r->user) == 0 &&
	    strcmp(conn_cache.key_device, r->q.device) == 0)
		return conn_cache.key;
	conn_cache.key = policy_key(e, r->policy, r->user, r->q.device);
	conn_cache.key_policy = r->policy;
	memcpy(conn_cache.key_user, r->user, sizeof(conn_cache.key_user));
	memcpy(conn_cache.key_device, r->q.device, sizeof(conn_cache.key_device));
	conn_cache.key_valid = true;
	return conn_cache.key;
}

static bool version_ok(const struct eas *e, const char *v)
{
	for (size_t i = 0; i < e->nversions; i++)
		if (strcmp(e->versions[i], v) == 0)
			return true;
	return false;
}

static void wbxml_answer(struct http_response *res, const struct strbuf *body)
{
	http_resp_header(res, "Content-Type", EAS_WBXML_TYPE);
	http_resp_header(res, "MS-Server-ActiveSync", "14.3");
	http_resp_body(res, body->buf, body->len);
}

/* Reads the whole body (at most wbxml_max) and decodes it. NULL after
 * answering (400, 413) and logging. */
static struct wbxml_doc *read_wbxml(struct eas *e, const struct eas_req *r,
				    struct http_request *req, struct http_response *res,
				    struct strbuf *body)
{
	struct wbxml_doc *doc;
	enum wbxml_err err;
	size_t where = 0;

	http_body_set_max(req, e->wbxml_max);
	if (http_body_all(req, body) < 0) {
		msg_warn("cannot read request body user=%s device=%s cmd=%s reason=%s",
			 msg_q(r->user), msg_q(r->q.device), r->q.cmd,
			 msg_q(http_body_error(req)));
		http_resp_error(res, http_body_status(req), NULL);
		return NULL;
	}
	doc = wbxml_decode(body->buf, body->len, &e->lim, &err, &where);
	if (!doc) {
		msg_warn("malformed WBXML user=%s device=%s cmd=%s reason=%s offset=%zu",
			 msg_q(r->user), msg_q(r->q.device), r->q.cmd,
			 msg_q(wbxml_strerror(err)), where);
		http_resp_error(res, 400, NULL);
	}
	return doc;
}

struct pass {
	struct http_request *req;
	struct http_response *res;
	const char *pre;		/* body already read, or NULL */
	size_t prelen, preoff;
	bool started, client_gone;
};

static long pass_read(void *buf, size_t max, void *user)
{
	struct pass *p = user;

	if (p->pre) {
		size_t n = p->prelen - p->preoff < max ? p->prelen - p->preoff : max;

		memcpy(buf, p->pre + p->preoff, n);
		p->preoff += n;
		return (long)n;
	}
	return http_body_read(p->req, buf, max);
}

/* Headers that are not passed on (either way): the hop-by-hop ones and
 * the framing (lib/http), Host, Expect (no 100-continue round trip to
 * the backend), Date. */
static bool hop_by_hop(const char *name)
{
	size_t len = strlen(name);

	if (http_hop_by_hop(name, len))
		return true;
	switch (name[0]) {
	case 'H': case 'h':
		return len == 4 && strcasecmp(name, "Host") == 0;
	case 'E': case 'e':
		return len == 6 && strcasecmp(name, "Expect") == 0;
	case 'D': case 'd':
		return len == 4 && strcasecmp(name, "Date") == 0;
	}
	return false;
}

/* Not passed on either: hop-by-hop, or X-Forwarded-*, which eas-policy
 * writes itself. */
static bool not_forwarded(const char *name)
{
	/* By the first letter: most of a device's fields are none of these. */
	switch (name[0] | 0x20) {
	case 'c': case 'd': case 'e': case 'h': case 'k': case 'p': case 't': case 'u':
		return hop_by_hop(name);
	case 'x':
		return strncasecmp(name, "X-Forwarded-", 12) == 0;
	}
	return false;
}

/* Appends "a: b\r\n" with one capacity check and plain copies. */
static void add_line(struct strbuf *out, const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);
	char *p;

	if (out->alloc < out->len + al + bl + 5)
		strbuf_grow(out, al + bl + 4);
	p = out->buf + out->len;
	memcpy(p, a, al);
	memcpy(p + al, ": ", 2);
	memcpy(p + al + 2, b, bl);
	memcpy(p + al + 2 + bl, "\r\n", 2);
	out->len += al + bl + 4;
	out->buf[out->len] = 0;
}

/* The device's headers to pass on and eas-policy's X-Forwarded-* ones,
 * each "Name: value\r\n", into one buffer (reset first). */
static void forward_block(const struct http_request *req, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < req->nheaders; i++)
		if (!not_forwarded(req->headers[i].name))
			add_line(out, req->headers[i].name, req->headers[i].value);
	add_line(out, "X-Forwarded-For", req->client_ip);
	add_line(out, "X-Forwarded-Proto", req->secure ? "https" : "http");
	if (*req->host)
		add_line(out, "X-Forwarded-Host", req->host);
}

static int pass_headers(const struct http_client_resp *r, void *user)
{
	struct pass *p = user;
	const char *cl = http_client_header(r, "Content-Length");
	long long len = -1;

	http_resp_status(p->res, (int)r->status);
	for (size_t i = 0; i < r->nheaders; i++)
		if (!hop_by_hop(r->headers[i].name) &&
		    !strpbrk(r->headers[i].name, "\r\n") && !strpbrk(r->headers[i].value, "\r\n"))
			http_resp_header(p->res, r->headers[i].name, r->headers[i].value);
	if (cl && *cl) {
		char *end;

		len = strtoll(cl, &end, 10);
		if (*end || len < 0)
			len = -1;
	}
	if (r->status == 204 || r->status == 304)
		len = 0;
	p->started = true;
	if (http_resp_start(p->res, len) < 0) {
		p->client_gone = true;
		return -1;
	}
	return 0;
}

static int pass_body(const void *data, size_t len, void *user)
{
	struct pass *p = user;

	if (http_resp_write(p->res, data, len) < 0) {
		p->client_gone = true;
		return -1;
	}
	return 0;
}

/* Through libcurl (an https backend). 0, or -1 with why. */
static int pass_client(struct eas *e, struct http_request *req, struct pass *pp,
		       const struct strbuf *pre, char *why, size_t whylen)
{
	struct strbuf url = STRBUF_INIT;
	struct pass p = *pp;
	const char **hdrs = xcalloc(req->nheaders + 6, sizeof(*hdrs));
	char **own = xcalloc(req->nheaders + 5, sizeof(*own));
	size_t n = 0;
	struct http_client_req q = { 0 };
	struct http_client_resp resp;
	int rc;

	strbuf_addf(&url, "%s%s", e->backend, req->target);
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name;

		if (not_forwarded(name))
			continue;
		own[n] = xasprintf("%s: %s", name, req->headers[i].value);
		hdrs[n] = own[n];
		n++;
	}
	own[n] = xasprintf("X-Forwarded-For: %s", req->client_ip);
	hdrs[n] = own[n]; n++;
	own[n] = xasprintf("X-Forwarded-Proto: %s", req->secure ? "https" : "http");
	hdrs[n] = own[n]; n++;
	if (*req->host) {
		own[n] = xasprintf("X-Forwarded-Host: %s", req->host);
		hdrs[n] = own[n]; n++;
	}
	hdrs[n++] = "Expect:";	/* no 100-continue round trip to the backend */
	if (!http_header(req, "Accept"))
		hdrs[n++] = "Accept:";	/* nor an Accept the device did not send */
	if (pre) {
		p.pre = pre->buf ? pre->buf : "";
		p.prelen = pre->len;
	}
	q.method = req->method;
	q.url = url.buf;
	q.headers = hdrs;
	q.nheaders = n;
	q.body_read = pass_read;
	q.body_size = pre ? (long long)pre->len : req->chunked ? -1 :
		req->content_length < 0 ? 0 : req->content_length;
	q.on_headers = pass_headers;
	q.on_body = pass_body;
	q.user = &p;
	q.timeout_ms = e->backend_timeout_ms;
	q.connect_timeout_ms = e->backend_connect_ms;
	q.ca_file = e->backend_ca;
	http_client_resp_init(&resp);
	rc = http_client_fetch(&q, &resp, why, whylen);
	http_client_resp_clear(&resp);
	for (size_t i = 0; i < n; i++)
		free(own[i]);
	free(own);
	free(hdrs);
	strbuf_release(&url);
	*pp = p;
	return rc;
}

/* The log line of a pass-through that failed, and the 502 of one that
 * failed before the answer began. */
static int pass_outcome(const char *user, const char *device, const char *cmd,
			struct http_response *res, int rc, bool started, bool client_gone,
			const char *why)
{
	if (rc < 0 && !started) {
		msg_warn("backend failed user=%s device=%s cmd=%s reason=%s", msg_q(user),
			 msg_q(device), cmd, msg_q(why));
		http_resp_error(res, 502, NULL);
		rc = 0;
	} else if (rc < 0) {
		msg_warn("pass-through cut short user=%s device=%s cmd=%s reason=%s",
			 msg_q(user), msg_q(device), cmd, client_gone ? "client gone" : msg_q(why));
	}
	return rc < 0 ? -1 : 0;
}

/* A pass-through the event loop waits for: its own copies of what it
 * needs, since the handler has returned when it goes on. */
struct deferred {
	struct eas *e;
	struct backend_wait *w;	/* NULL: an https backend (a process of its own) */
	struct strbuf pre;
	bool has_pre;
	char user[DEV_USER_MAX + 1], device[DEV_ID_MAX + 1], cmd[32];
	struct deferred *next;	/* spare list */
};

static struct deferred *spare_deferred;	/* freed ones, kept: no calloc a request */

static struct deferred *deferred_new(void)
{
	struct deferred *d = spare_deferred;

	if (!d) {
		d = xcalloc(1, sizeof(*d));
		strbuf_init(&d->pre, 0);
		return d;
	}
	spare_deferred = d->next;
	d->w = NULL;
	d->has_pre = false;
	return d;
}

static void deferred_free(struct deferred *d)
{
	backend_wait_free(d->w);
	d->w = NULL;
	/* A body kept for a second attempt can be large: not kept here. */
	if (d->pre.alloc > 16384)
		strbuf_release(&d->pre);
	strbuf_reset(&d->pre);
	d->next = spare_deferred;
	spare_deferred = d;
}

static int pass_resume(struct http_request *req, struct http_response *res, void *arg,
		       enum http_resume how)
{
	struct deferred *d = arg;
	struct http_keep *k = http_conn_keep(req);
	char why[256] = "";
	bool started = false;
	int rc;

	if (how == HTTP_RESUME_DROP) {
		deferred_free(d);
		return 0;
	}
	if (!d->w) {
		struct pass p = { .req = req, .res = res };

		rc = pass_client(d->e, req, &p, d->has_pre ? &d->pre : NULL, why, sizeof(why));
		rc = pass_outcome(d->user, d->device, d->cmd, res, rc, p.started, p.client_gone, why);
		deferred_free(d);
		return rc;
	}
	if (backend_connecting(d->w)) {
		/* Writable: connected or failed. */
		if (how == HTTP_RESUME_TIMEOUT)
			backend_connect_timed_out(d->w, k, why, sizeof(why));
		else if (backend_connected(d->w, d->e, k, req, why, sizeof(why)) == 0) {
			http_defer(req, k->fd, EVLOOP_IN, d->e->backend_timeout_ms, pass_resume, d);
			return HTTP_AGAIN;
		}
		rc = pass_outcome(d->user, d->device, d->cmd, res, -1, false, false, why);
		deferred_free(d);
		return rc;
	}
	if (how == HTTP_RESUME_READY) {
		int st = backend_ready(d->w, k);

		if (st == 0)
			return HTTP_AGAIN;
		if (st < 0)
			return HTTP_HANDOFF;
	} else if (how == HTTP_RESUME_TIMEOUT) {
		backend_timed_out(d->w);
		return HTTP_HANDOFF;
	}
	rc = backend_finish(d->w, d->e, k, how == HTTP_RESUME_BLOCKING, req, res, &started, why,
			    sizeof(why));
	rc = pass_outcome(d->user, d->device, d->cmd, res, rc, started, false, why);
	deferred_free(d);
	return rc;
}

/* In the event loop: the request goes out now and the answer is waited
 * for by the loop (an https backend's whole exchange, through libcurl,
 * in a process of its own). */
static int pass_deferred(struct eas *e, const struct eas_req *r, struct http_request *req,
			 struct http_response *res, const struct strbuf *pre,
			 const struct strbuf *fwd)
{
	struct deferred *d = deferred_new();
	struct http_keep *k = http_conn_keep(req);
	char why[256] = "";

	d->e = e;
	memcpy(d->user, r->user, sizeof(d->user));
	memcpy(d->device, r->q.device, sizeof(d->device));
	memcpy(d->cmd, r->q.cmd, sizeof(d->cmd));
	if (!fwd) {
		d->has_pre = pre != NULL;
		if (pre)
			strbuf_add(&d->pre, pre->buf ? pre->buf : "", pre->len);
		http_defer(req, -1, 0, 0, pass_resume, d);
		return HTTP_DEFERRED;
	}
	if (!(d->w = backend_send(e, k, req, pre, fwd, why, sizeof(why)))) {
		deferred_free(d);
		return pass_outcome(r->user, r->q.device, r->q.cmd, res, -1, false, false, why);
	}
	if (backend_connecting(d->w))
		http_defer(req, k->fd, EVLOOP_OUT, e->backend_connect_ms, pass_resume, d);
	else
		http_defer(req, k->fd, EVLOOP_IN, e->backend_timeout_ms, pass_resume, d);
	return HTTP_DEFERRED;
}

static int pass_through(struct eas *e, const struct eas_req *r, struct http_request *req,
			struct http_response *res, const struct strbuf *pre)
{
	static struct strbuf fwd = STRBUF_INIT;	/* kept: one allocation a session */
	struct pass p = { .req = req, .res = res };
	char why[256] = "";
	bool plain = backend_plain_url(e->backend) == 0;
	int rc;

	if (plain)
		forward_block(req, &fwd);
	if (http_loop(req))
		return pass_deferred(e, r, req, res, pre, plain ? &fwd : NULL);
	if (plain)
		rc = backend_pass(e, req, res, pre, &fwd, &p.started, why, sizeof(why));
	else
		rc = pass_client(e, req, &p, pre, why, sizeof(why));
	return pass_outcome(r->user, r->q.device, r->q.cmd, res, rc, p.started,
			    p.client_gone, why);
}

static void refuse(const struct eas_req *r, enum eas_route route, struct http_response *res)
{
	struct strbuf body = STRBUF_INIT;
	int status = eas_route_status(route);

	if (eas_version_num(r->q.protocol) >= 140 &&
	    eas_status_reply(r->q.cmd, status, &body)) {
		wbxml_answer(res, &body);
		msg_info("refused user=%s device=%s cmd=%s reason=%s status=%d", msg_q(r->user),
			 msg_q(r->q.device), r->q.cmd, eas_route_name(route), status);
	} else {
		http_resp_status(res, 449);
		http_resp_header(res, "MS-Server-ActiveSync", "14.3");
		msg_info("refused user=%s device=%s cmd=%s reason=%s http=449", msg_q(r->user),
			 msg_q(r->q.device), r->q.cmd, eas_route_name(route));
	}
	strbuf_release(&body);
}

static int touch_seen(struct devrec *d, bool created, void *ctx)
{
	d->last_seen = time(NULL);
	return 1;
}

/* Parses what identifies the request; answers 400/401 itself. */
static bool request_of(struct eas *e, struct http_request *req, struct http_response *res,
		       struct eas_req *r, struct strbuf *pass)
{
	char why[128];
	const char *v;

	/* A device sends the same query again and again (FolderSync, Sync,
	 * Ping with its id and type): the last one parsed is kept. */
	static struct {
		bool valid;
		char text[EAS_QUERY_MAX + 1];
		struct eas_query q;
	} last;
	size_t qlen = strlen(req->query);

	memset(r, 0, sizeof(*r));
	if (last.valid && qlen <= EAS_QUERY_MAX && memcmp(last.text, req->query, qlen + 1) == 0) {
		r->q = last.q;
	} else if (eas_query_parse(req->query, qlen, &r->q, why, sizeof(why)) < 0) {
		msg_warn("bad ActiveSync request client=%s reason=%s", req->client_ip, msg_q(why));
		http_resp_error(res, 400, NULL);
		return false;
	} else if (qlen <= EAS_QUERY_MAX) {
		memcpy(last.text, req->query, qlen + 1);
		last.q = r->q;
		last.valid = true;
	}
	if (!r->q.base64) {
		size_t n;

		v = http_header(req, "MS-ASProtocolVersion");
		n = v ? strnlen(v, sizeof(r->q.protocol) - 1) : 0;
		memcpy(r->q.protocol, v ? v : "", n);	/* snprintf "%s", cut */
		r->q.protocol[n] = 0;
		if ((v = http_header(req, "X-MS-PolicyKey"))) {
			r->q.has_key = true;
			if (!eas_key_parse(v, &r->q.key))
				r->q.key = 0;
		}
	}
	if (!version_ok(e, r->q.protocol)) {
		msg_warn("unsupported protocol version client=%s device=%s version=%s",
			 req->client_ip, msg_q(r->q.device), msg_q(r->q.protocol));
		http_resp_error(res, 400, NULL);
		return false;
	}
	r->user_agent = http_header(req, "User-Agent");
	if (!who(req, &r->q, r->user, sizeof(r->user), pass)) {
		http_resp_status(res, 401);
		http_resp_header(res, "WWW-Authenticate", "Basic realm=\"ActiveSync\"");
		return false;
	}
	return true;
}

static int activesync(struct http_request *req, struct http_response *res, void *user)
{
	struct eas *e = user;
	struct eas_req r;
	struct strbuf body = STRBUF_INIT, pass = STRBUF_INIT;
	struct wbxml_doc *doc = NULL;
	const struct devrec *rec = NULL;
	int known, got, rc = 0;
	enum eas_route route;

	if (strcmp(req->method, "OPTIONS") == 0) {
		options(e, res);
		return 0;
	}
	if (!request_of(e, req, res, &r, e->check_password ? &pass : NULL))
		goto out;
	if ((known = user_policy_cached(e, req, &r)) < 0) {
		http_resp_error(res, 503, NULL);
		goto out;
	}
	if (e->check_password && strcmp(r.q.cmd, "Provision") == 0 &&
	    dir_check_password(e->dir, r.user, pass.buf ? pass.buf : "") != DIR_OK) {
		msg_warn("authentication failed user=%s device=%s", msg_q(r.user), msg_q(r.q.device));
		http_resp_status(res, 401);
		http_resp_header(res, "WWW-Authenticate", "Basic realm=\"ActiveSync\"");
		goto out;
	}
	if (r.policy)
		r.current_key = key_cached(e, &r);
	if (strcmp(r.q.cmd, "Provision") == 0) {
		if (!(doc = read_wbxml(e, &r, req, res, &body)))
			goto out;
		strbuf_reset(&body);
		if (provision_handle(e, &r, doc, &body) != 200)
			http_resp_error(res, 503, NULL);
		else
			wbxml_answer(res, &body);
		goto out;
	}
	if (!eas_store(e)) {
		http_resp_error(res, 503, NULL);
		goto out;
	}
	/* The store's own copy, valid until its next call: no copy to wipe. */
	got = devstore_peek(e->store, r.user, r.q.device, &rec);
	if (got < 0) {
		http_resp_error(res, 503, NULL);
		goto out;
	}
	route = eas_route_decide(&r.q, r.q.has_key, r.q.key, got ? rec : NULL, r.current_key,
				 known == 1);
	if (route != EAS_ROUTE_PASS) {
		refuse(&r, route, res);
		goto out;
	}
	if (time(NULL) - rec->last_seen >= e->last_seen_interval_s)
		devstore_update(e->store, r.user, r.q.device, touch_seen, NULL);
	if (strcmp(r.q.cmd, "Settings") == 0) {
		if (!(doc = read_wbxml(e, &r, req, res, &body)))
			goto out;
		settings_record(e, &r, doc);
		rc = pass_through(e, &r, req, res, &body);
	} else {
		rc = pass_through(e, &r, req, res, NULL);
	}
out:
	if (pass.buf)
		mem_wipe(pass.buf, pass.len);
	strbuf_release(&pass);
	strbuf_release(&body);
	wbxml_doc_free(doc);
	return rc;
}

void front_forget(void)
{
	conn_cache.dir_valid = conn_cache.key_valid = false;
}

void front_routes(struct eas *e, struct http_server *srv)
{
	http_route(srv, "POST", AS_PATH, HTTP_ROUTE_NOCASE | HTTP_ROUTE_EXACT, activesync, e);
	http_route(srv, "OPTIONS", AS_PATH, HTTP_ROUTE_NOCASE | HTTP_ROUTE_EXACT, activesync, e);
}
