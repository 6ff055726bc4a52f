/* autodiscover-gen --probe: the client side of Outlook's Autodiscover
 * search, step by step, for troubleshooting: https://DOMAIN/..., then
 * https://autodiscover.DOMAIN/..., the plain-HTTP redirect from
 * autodiscover.DOMAIN, then the SRV record. Each step reports DNS, TCP,
 * TLS (chain and the certificate's names against the host), the HTTP
 * status and the response document; redirects are followed only to
 * https. --resolve and --connect-to work as curl's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ad.h"
#include "dns/dns.h"
#include "http/client.h"
#include "http/http.h"
#include "tls/stream.h"
#include "tls/tls.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"

#define STEPS_MAX 16
#define CHECKS_MAX 12
#define REDIRECTS_MAX 3

struct check {
	const char *name;	/* dns, tcp, tls, http, xml, srv, redirect */
	bool ok;
	char detail[512];
};

struct step {
	int n;
	const char *method;	/* domain, autodiscover, http-redirect, srv, redirect */
	char url[1024];
	struct check checks[CHECKS_MAX];
	size_t nchecks;
	bool ok;
};

struct probe {
	const struct ad_probe_opts *o;
	struct dns *dns;
	char address[AUTODISCOVER_ADDR_MAX];
	struct step steps[STEPS_MAX];
	size_t nsteps;
	bool settings;
	char settings_url[1024];
	struct autodiscover_response resp;
	int redirects;
	json_t *addresses;
};

struct url {
	bool https;
	char host[256];
	unsigned port;
	char path[768];
};

static struct check *check(struct step *s, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct check *check(struct step *s, const char *name, bool ok, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (s->nchecks >= CHECKS_MAX)
		return &s->checks[CHECKS_MAX - 1];
	c = &s->checks[s->nchecks++];
	c->name = name;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return c;
}

static struct step *step_new(struct probe *p, const char *method, const char *url)
{
	struct step *s;

	if (p->nsteps >= STEPS_MAX)
		return NULL;
	s = &p->steps[p->nsteps];
	memset(s, 0, sizeof(*s));
	s->n = (int)++p->nsteps;
	s->method = method;
	snprintf(s->url, sizeof(s->url), "%s", url);
	return s;
}

static int url_parse(const char *u, struct url *out)
{
	const char *h, *e, *colon;

	memset(out, 0, sizeof(*out));
	if (strncasecmp(u, "https://", 8) == 0) {
		out->https = true;
		h = u + 8;
		out->port = 443;
	} else if (strncasecmp(u, "http://", 7) == 0) {
		h = u + 7;
		out->port = 80;
	} else {
		return -1;
	}
	e = h + strcspn(h, "/?#");
	colon = memchr(h, ':', (size_t)(e - h));
	if ((size_t)((colon ? colon : e) - h) >= sizeof(out->host) || (colon ? colon : e) == h)
		return -1;
	snprintf(out->host, sizeof(out->host), "%.*s", (int)((colon ? colon : e) - h), h);
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (end != e || port < 1 || port > 65535)
			return -1;
		out->port = (unsigned)port;
	}
	snprintf(out->path, sizeof(out->path), "%s", *e ? e : "/");
	return 0;
}

/* curl's --connect-to HOST:PORT:HOST2:PORT2 (empty fields match any or
 * keep), then --resolve HOST:PORT:ADDR. Returns true when an address came
 * from them; host and port may be changed by connect-to. */
static bool map_target(const struct ad_probe_opts *o, char *host, size_t hsize, unsigned *port,
		       char *addr, size_t asize)
{
	for (size_t i = 0; i < o->nconnect_to; i++) {
		char f[4][256];
		const char *q = o->connect_to[i];

		for (int k = 0; k < 4; k++) {
			size_t l = k < 3 ? strcspn(q, ":") : strlen(q);

			snprintf(f[k], sizeof(f[k]), "%.*s", (int)l, q);
			q += l;
			if (*q == ':')
				q++;
		}
		if ((f[0][0] && strcasecmp(f[0], host) != 0) ||
		    (f[1][0] && (unsigned)atoi(f[1]) != *port))
			continue;
		if (f[2][0])
			snprintf(host, hsize, "%s", f[2]);
		if (f[3][0])
			*port = (unsigned)atoi(f[3]);
		break;
	}
	for (size_t i = 0; i < o->nresolve; i++) {
		const char *r = o->resolve[i], *c1 = strchr(r, ':'), *c2;
		char want[300];

		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		snprintf(want, sizeof(want), "%s:%u", host, *port);
		if ((size_t)(c2 - r) == strlen(want) && strncasecmp(r, want, (size_t)(c2 - r)) == 0) {
			snprintf(addr, asize, "%s", c2 + 1);
			if (addr[0] == '[') {
				memmove(addr, addr + 1, strlen(addr));
				addr[strcspn(addr, "]")] = 0;
			}
			return true;
		}
	}
	return false;
}

static bool is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int resolve(struct probe *p, struct step *s, char *host, size_t hsize, unsigned *port,
		   char *addr, size_t asize)
{
	char orig[256];
	struct dns_result *r;

	unsigned oport = *port;

	snprintf(orig, sizeof(orig), "%s", host);
	if (map_target(p->o, host, hsize, port, addr, asize)) {
		check(s, "dns", true, "%s -> %s (--resolve)", host, addr);
		return 0;
	}
	if (is_ip(host)) {
		snprintf(addr, asize, "%s", host);
		if (strcmp(orig, host) != 0 || oport != *port)
			check(s, "dns", true, "%s port %u -> %s port %u (--connect-to)", orig, oport,
			      host, *port);
		return 0;
	}
	if (p->dns == NULL) {
		check(s, "dns", false, "no resolver");
		return -1;
	}
	for (int t = 0; t < 2; t++) {
		r = dns_query(p->dns, host, t == 0 ? DNS_TYPE_A : DNS_TYPE_AAAA);
		if (r && r->status == DNS_OK && r->n > 0) {
			snprintf(addr, asize, "%s", r->rr[0].addr.text);
			check(s, "dns", true, "%s -> %s%s%s", host, addr,
			      strcmp(orig, host) ? " (--connect-to " : "", strcmp(orig, host) ? ")" : "");
			dns_result_free(r);
			return 0;
		}
		if (t == 1 || (r && r->status == DNS_TEMPFAIL)) {
			check(s, "dns", false, "%s: %s%s%s", host,
			      r ? dns_status_name(r->status) : "bad name", r && r->reason ? " " : "",
			      r && r->reason ? r->reason : "");
			dns_result_free(r);
			return -1;
		}
		dns_result_free(r);
	}
	return -1;
}

static int tcp_connect(const char *addr, unsigned port, long long timeout_ms, char *why,
		       size_t wlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct pollfd pfd;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		snprintf(why, wlen, "bad address '%.64s'", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, wlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		snprintf(why, wlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)timeout_ms) <= 0) {
		snprintf(why, wlen, "timeout");
		close(fd);
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		snprintf(why, wlen, "%s", strerror(err));
		close(fd);
		return -1;
	}
	return fd;
}

/* The TLS handshake with our own checks: chain against --ca (or the
 * system), and the certificate's names against the host in the URL. */
static int tls_check(struct probe *p, struct step *s, int fd, const char *host)
{
	struct tls_policy pol;
	struct tls_ctx *ctx;
	struct tls_report rep;
	struct stream *st;
	int rc = -1;

	tls_policy_init(&pol);
	if (p->o->ca)
		pol.ca_file = xstrdup(p->o->ca);
	tls_strings_add(&pol.names, host);
	pol.verify = false;
	ctx = tls_client_new(&pol);
	tls_policy_clear(&pol);
	if (ctx == NULL) {
		check(s, "tls", false, "cannot make a TLS context (see the log)");
		return -1;
	}
	tls_report_init(&rep);
	st = stream_new(fd, fd, p->o->timeout_ms, 1024);
	if (stream_starttls_client(st, ctx, host, &rep) < 0 || !rep.handshake_ok) {
		check(s, "tls", false, "handshake failed: %s", rep.error ? rep.error : stream_error(st));
	} else if (!rep.chain_ok) {
		check(s, "tls", false, "%s, certificate chain does not verify: %s", rep.version,
		      rep.verify_text ? rep.verify_text : "unknown");
	} else if (!rep.name_ok) {
		check(s, "tls", false, "%s, certificate names (%s) do not cover %s", rep.version,
		      rep.nchain ? rep.chain[0].names : "none", host);
	} else {
		check(s, "tls", true, "%s, chain verified, %s matches %s", rep.version, host,
		      rep.name_how ? rep.name_how : "");
		rc = 0;
	}
	stream_free(st);
	tls_report_clear(&rep);
	tls_ctx_free(ctx);
	return rc;
}

static void request_xml(struct strbuf *out, const char *address)
{
	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\""
		      AUTODISCOVER_NS_OUTLOOK_REQ "\">\n  <Request>\n    <EMailAddress>");
	http_xml_escape(out, address);
	strbuf_addstr(out, "</EMailAddress>\n    <AcceptableResponseSchema>"
		      AUTODISCOVER_NS_OUTLOOK_RESP "</AcceptableResponseSchema>\n  </Request>\n"
		      "</Autodiscover>\n");
}

static int run_url(struct probe *p, const char *method, const char *url, int depth);

/* The HTTP exchange of a step, through the address found. */
static int http_step(struct probe *p, struct step *s, const struct url *u, const char *addr,
		     unsigned port, bool post, int depth)
{
	struct strbuf body = STRBUF_INIT;
	struct http_client_resp r;
	char con[600], why[256];
	const char *cons[1] = { con };
	const char *loc;
	int rc = -1;

	snprintf(con, sizeof(con), "%s:%u:%s%s%s:%u", u->host, u->port, strchr(addr, ':') ? "[" : "",
		 addr, strchr(addr, ':') ? "]" : "", port);
	if (post)
		request_xml(&body, p->address);
	http_client_resp_init(&r);
	if (http_client_fetch(&(struct http_client_req){
		.method = post ? "POST" : "GET", .url = s->url,
		.headers = (const char *const[]){ "Content-Type: text/xml; charset=utf-8" },
		.nheaders = post ? 1 : 0, .body = post ? body.buf : NULL, .body_len = body.len,
		.max = AUTODISCOVER_XML_MAX, .timeout_ms = p->o->timeout_ms,
		.connect_timeout_ms = p->o->timeout_ms, .ca_file = p->o->ca,
		.connect_to = cons, .nconnect_to = 1 }, &r, why, sizeof(why)) < 0) {
		check(s, "http", false, "%s", why);
		goto done;
	}
	loc = http_client_header(&r, "Location");
	if (r.status >= 300 && r.status < 400 && loc) {
		bool https = strncasecmp(loc, "https://", 8) == 0;

		check(s, "redirect", https, "%ld to %s%s", r.status, loc,
		      https ? "" : " (refused: not https)");
		if (https && depth < REDIRECTS_MAX && run_url(p, "redirect", loc, depth + 1) == 0)
			s->ok = true;
		rc = s->ok ? 0 : -1;
		goto done;
	}
	if (r.status != 200) {
		check(s, "http", false, "%s status %ld", post ? "POST" : "GET", r.status);
		goto done;
	}
	check(s, "http", true, "%s status 200 %s", post ? "POST" : "GET",
	      http_client_header(&r, "Content-Type") ? http_client_header(&r, "Content-Type") : "");
	rc = 0;
	if (autodiscover_response_parse(r.body.buf ? r.body.buf : "", r.body.len, &p->resp) < 0) {
		check(s, "xml", false, "not an Autodiscover response: %s", p->resp.why);
		rc = -1;
	} else if (p->resp.action == AUTODISCOVER_ACT_ERROR) {
		check(s, "xml", false, "Error %d: %s", p->resp.error_code, p->resp.message);
		rc = -1;
	} else if (p->resp.action == AUTODISCOVER_ACT_SETTINGS) {
		check(s, "xml", true, "settings: %s", p->resp.types);
		s->ok = true;
		p->settings = true;
		snprintf(p->settings_url, sizeof(p->settings_url), "%s", s->url);
	} else if (p->resp.action == AUTODISCOVER_ACT_REDIRECT_URL) {
		bool https = strncasecmp(p->resp.redirect, "https://", 8) == 0;
		char to[1024];

		snprintf(to, sizeof(to), "%s", p->resp.redirect);
		check(s, "xml", https, "redirectUrl %s%s", to, https ? "" : " (refused: not https)");
		if (https && depth < REDIRECTS_MAX && run_url(p, "redirect", to, depth + 1) == 0)
			s->ok = true;
		rc = s->ok ? 0 : -1;
	} else {
		check(s, "xml", true, "redirectAddr %s", p->resp.redirect);
		s->ok = true;	/* the walk starts again for the new address */
	}
done:
	http_client_resp_clear(&r);
	strbuf_release(&body);
	return rc;
}

/* One step: DNS, TCP, TLS for https, then the HTTP exchange. */
static int run_url(struct probe *p, const char *method, const char *url, int depth)
{
	struct step *s = step_new(p, method, url);
	struct url u;
	char host[256], addr[256], why[200];
	unsigned port;
	int fd;

	if (s == NULL)
		return -1;
	if (url_parse(url, &u) < 0) {
		check(s, "url", false, "cannot parse '%s'", url);
		return -1;
	}
	snprintf(host, sizeof(host), "%s", u.host);
	port = u.port;
	if (resolve(p, s, host, sizeof(host), &port, addr, sizeof(addr)) < 0)
		return -1;
	fd = tcp_connect(addr, port, p->o->timeout_ms, why, sizeof(why));
	if (fd < 0) {
		check(s, "tcp", false, "%s port %u: %s", addr, port, why);
		return -1;
	}
	check(s, "tcp", true, "connected to %s port %u", addr, port);
	if (u.https && tls_check(p, s, fd, u.host) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return http_step(p, s, &u, addr, port, u.https, depth);
}

static int srv_step(struct probe *p, const char *domain)
{
	struct step *s = step_new(p, "srv", "");
	char name[300], url[600];
	struct dns_result *r;
	struct dns_srv *best = NULL;
	int rc;

	if (s == NULL)
		return -1;
	snprintf(name, sizeof(name), "_autodiscover._tcp.%s", domain);
	snprintf(s->url, sizeof(s->url), "dns:%s", name);
	r = p->dns ? dns_query(p->dns, name, DNS_TYPE_SRV) : NULL;
	if (r == NULL || r->status != DNS_OK) {
		check(s, "srv", false, "%s: %s", name, r ? dns_status_name(r->status) : "no resolver");
		dns_result_free(r);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->rr[i].type == DNS_TYPE_SRV &&
		    (best == NULL || r->rr[i].srv.prio < best->prio ||
		     (r->rr[i].srv.prio == best->prio && r->rr[i].srv.weight > best->weight)))
			best = &r->rr[i].srv;
	if (best == NULL || strcmp(best->target, ".") == 0) {
		check(s, "srv", false, "%s: no service", name);
		dns_result_free(r);
		return -1;
	}
	snprintf(url, sizeof(url), "https://%s:%u/autodiscover/autodiscover.xml", best->target,
		 best->port);
	{
		size_t l = strlen(best->target);

		if (l && best->target[l - 1] == '.')
			snprintf(url, sizeof(url), "https://%.*s:%u/autodiscover/autodiscover.xml",
				 (int)l - 1, best->target, best->port);
	}
	check(s, "srv", true, "%s -> %s port %u", name, best->target, best->port);
	s->ok = true;
	dns_result_free(r);
	rc = run_url(p, "srv-target", url, 0);
	return rc;
}

/* Outlook's order; stops at the first step that gives settings or a new
 * address. */
static void walk(struct probe *p)
{
	const char *domain = strrchr(p->address, '@') + 1;
	char url[600];

	snprintf(url, sizeof(url), "https://%s/autodiscover/autodiscover.xml", domain);
	if (run_url(p, "domain", url, 0) == 0)
		return;
	snprintf(url, sizeof(url), "https://autodiscover.%s/autodiscover/autodiscover.xml", domain);
	if (run_url(p, "autodiscover", url, 0) == 0)
		return;
	snprintf(url, sizeof(url), "http://autodiscover.%s/autodiscover/autodiscover.xml", domain);
	if (run_url(p, "http-redirect", url, 0) == 0)
		return;
	srv_step(p, domain);
}

static void print_text(const struct probe *p, size_t from)
{
	for (size_t i = from; i < p->nsteps; i++) {
		const struct step *s = &p->steps[i];

		printf("%d. %s %s\n", s->n, s->method, s->url);
		for (size_t j = 0; j < s->nchecks; j++)
			printf("   %-8s %-4s %s\n", s->checks[j].name, s->checks[j].ok ? "ok" : "FAIL",
			       s->checks[j].detail);
	}
}

static json_t *steps_json(const struct probe *p, size_t from)
{
	json_t *a = json_array();

	for (size_t i = from; i < p->nsteps; i++) {
		const struct step *s = &p->steps[i];
		json_t *o = json_object(), *cs = json_array();

		for (size_t j = 0; j < s->nchecks; j++)
			json_array_append_new(cs, json_pack("{s:s, s:b, s:s}", "check",
							    s->checks[j].name, "ok", s->checks[j].ok,
							    "detail", s->checks[j].detail));
		json_object_set_new(o, "step", json_integer(s->n));
		json_object_set_new(o, "method", json_string(s->method));
		json_object_set_new(o, "url", json_string(s->url));
		json_object_set_new(o, "ok", json_boolean(s->ok));
		json_object_set_new(o, "checks", cs);
		json_array_append_new(a, o);
	}
	return a;
}

int ad_probe(const struct prog_state *st, const char *address, const struct ad_probe_opts *o)
{
	struct probe *p = xcalloc(1, sizeof(*p));
	json_t *top = json_object(), *rounds = json_array();
	int rc;

	p->o = o;
	if (strchr(address, '@') == NULL || strlen(address) >= sizeof(p->address)) {
		fprintf(stderr, "autodiscover-gen: '%s' is not a mail address\n", address);
		free(p);
		json_decref(top);
		json_decref(rounds);
		return EX_USAGE;
	}
	p->dns = dns_new(conf_section(st->conf, "dns"));
	snprintf(p->address, sizeof(p->address), "%s", address);
	for (;;) {
		size_t from = p->nsteps;

		if (!o->json)
			printf("autodiscover probe for %s\n", p->address);
		memset(&p->resp, 0, sizeof(p->resp));
		walk(p);
		if (o->json)
			json_array_append_new(rounds, json_pack("{s:s, s:o}", "address", p->address,
								"steps", steps_json(p, from)));
		else
			print_text(p, from);
		if (p->settings || p->resp.action != AUTODISCOVER_ACT_REDIRECT_ADDR ||
		    ++p->redirects > REDIRECTS_MAX || strchr(p->resp.redirect, '@') == NULL)
			break;
		snprintf(p->address, sizeof(p->address), "%.*s", (int)sizeof(p->address) - 1,
			 p->resp.redirect);
	}
	if (o->json) {
		json_object_set_new(top, "address", json_string(address));
		json_object_set_new(top, "rounds", rounds);
		json_object_set_new(top, "settings", json_boolean(p->settings));
		if (p->settings) {
			json_object_set_new(top, "url", json_string(p->settings_url));
			json_object_set_new(top, "protocols", json_string(p->resp.types));
		}
		json_dumpf(top, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		json_decref(rounds);
		if (p->settings)
			printf("result: settings (%s) from %s\n", p->resp.types, p->settings_url);
		else
			printf("result: no settings found\n");
	}
	json_decref(top);
	rc = p->settings ? EX_OK : 1;
	dns_free(p->dns);
	free(p);
	return rc;
}
