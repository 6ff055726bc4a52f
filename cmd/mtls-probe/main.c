/* mtls-probe: connect to a mail, SIP or web server, upgrade to TLS the way
 * the protocol does, and report what was proved (SPEC section 2). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/prog.h"
#include "probe.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"

enum {
	O_PROTO = OPT_ID(1), O_CERT, O_KEY, O_CA, O_NAME, O_CRL, O_CRLFILE, O_OCSP,
	O_OCSPURL, O_DANE, O_MTASTS, O_DOMAIN, O_RESOLVE, O_EHLO, O_SNI, O_TIMEOUT,
	O_RESOLVER, O_TA, O_KEYLOG, O_GET, O_CONNECTTO, O_INTERACTIVE = 'i',
};

#define PROTOS "smtp|submission|smtps|sip|sips|https|imap|pop3"

static const struct opt opts[] = {
	{ "proto", O_PROTO, OPT_ARG, "PROTO", PROTOS, "protocol to speak (default smtp)" },
	{ "cert", O_CERT, OPT_ARG, "FILE", "file", "client certificate (PEM; chain and key may follow)" },
	{ "key", O_KEY, OPT_ARG, "FILE", "file", "client certificate's key, when not in --cert" },
	{ "ca", O_CA, OPT_ARG, "FILE|DIR", "file", "trusted CAs (default: the system's)" },
	{ "name", O_NAME, OPT_ARG, "FQDN", "host", "identity expected in the certificate (default HOST)" },
	{ "crl", O_CRL, OPT_NOARG, NULL, NULL, "check the chain against CRLs from its distribution points" },
	{ "crl-file", O_CRLFILE, OPT_ARG, "FILE", "file", "check the leaf against the CRLs of FILE" },
	{ "ocsp", O_OCSP, OPT_NOARG, NULL, NULL, "check the leaf by OCSP (stapled, else the responder)" },
	{ "ocsp-url", O_OCSPURL, OPT_ARG, "URL", NULL, "OCSP responder when the certificate names none" },
	{ "dane", O_DANE, OPT_NOARG, NULL, NULL, "check DNSSEC-secure TLSA records" },
	{ "mta-sts", O_MTASTS, OPT_NOARG, NULL, NULL, "check HOST against the domain's MTA-STS policy" },
	{ "domain", O_DOMAIN, OPT_ARG, "DOMAIN", "host", "mail domain for --mta-sts (default HOST less its first label)" },
	{ "resolve", O_RESOLVE, OPT_ARG, "HOST:PORT:ADDR", NULL, "use ADDR for HOST:PORT (as curl --resolve; PORT may be *)" },
	{ "connect-to", O_CONNECTTO, OPT_ARG, "HOST:PORT:HOST2:PORT2", NULL, "fetch the MTA-STS policy of HOST:PORT from HOST2:PORT2 (as curl --connect-to)" },
	{ "ehlo", O_EHLO, OPT_ARG, "NAME", "host", "name to say in EHLO and SIP headers" },
	{ "sni", O_SNI, OPT_ARG, "NAME", "host", "server name to send (default the expected name)" },
	{ "timeout", O_TIMEOUT, OPT_ARG, "DURATION", NULL, "limit on each step (default 30s)" },
	{ "resolver", O_RESOLVER, OPT_ARG, "ADDR[@PORT]", NULL, "DNS resolver for DANE, MTA-STS and HOST" },
	{ "trust-anchor", O_TA, OPT_ARG, "FILE", "file", "DNSSEC trust anchor for the resolver" },
	{ "keylog", O_KEYLOG, OPT_ARG, "FILE", "file", "append TLS secrets in SSLKEYLOGFILE format" },
	{ "get", O_GET, OPT_NOARG, NULL, NULL, "https: send GET, not HEAD (for servers that ignore HEAD)" },
	{ "interactive", O_INTERACTIVE, OPT_NOARG, NULL, NULL, "then a readline session on the secured channel" },
	{ NULL }
};

static const struct conf_key probe_keys[] = {
	{ "timeout", CONF_DURATION, "\"30s\"", 100, 3600000, NULL, NULL, 0,
	  "limit on each step: connect, each reply, the handshake" },
	{ "ehlo", CONF_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "name said in EHLO; absent: this host's name" },
	{ "ca", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "trusted CAs when --ca is not given; absent: the system's" },
	{ "cert", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "client certificate when --cert is not given" },
	{ "key", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "its key, when not in the certificate file" },
	{ "crl_cache", CONF_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "directory keeping fetched CRLs until their nextUpdate" },
	{ NULL }
};

static const struct conf_section probe_section = {
	"mtls-probe", probe_keys, "the TLS troubleshooting probe"
};
static const struct conf_section *const sections[] = {
	&log_conf_section, &dns_conf_section, &probe_section, NULL
};

static const char *const proto_names[] = {
	"smtp", "submission", "smtps", "sip", "sips", "https", "imap", "pop3", NULL
};
static const unsigned proto_ports[] = { 25, 587, 465, 5060, 5061, 443, 143, 110 };

static struct probe probe;
static const json_t *dns_section;
static bool timeout_given;

void probe_fail(struct probe *p, enum outcome o, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (o > p->out)
		p->out = o;
	if (text == NULL)
		return;
	json_array_append_new(p->fails, probe_jstr(text));
	if (p->why == NULL)
		p->why = text;
	else
		free(text);
}

const char *probe_proto_name(const struct probe *p)
{
	return proto_names[p->proto];
}

static int option(int id, const char *arg, void *ctx)
{
	struct probe *p = ctx;
	int i;

	switch (id) {
	case O_PROTO:
		for (i = 0; proto_names[i] && strcmp(proto_names[i], arg); i++)
			;
		if (proto_names[i] == NULL) {
			fprintf(stderr, "mtls-probe: --proto takes %s\n", PROTOS);
			return -1;
		}
		p->proto = i;
		break;
	case O_CERT: p->cert = arg; break;
	case O_KEY: p->key = arg; break;
	case O_CA: p->ca = arg; break;
	case O_NAME: p->name = arg; break;
	case O_CRL: p->crl = true; break;
	case O_CRLFILE: p->crl_file = arg; break;
	case O_OCSP: p->ocsp = true; break;
	case O_OCSPURL: p->ocsp_url = arg; p->ocsp = true; break;
	case O_DANE: p->dane = true; break;
	case O_MTASTS: p->mta_sts = true; break;
	case O_DOMAIN: p->domain = arg; break;
	case O_RESOLVE:
		if (p->nresolve == PROBE_RESOLVE_MAX || strchr(arg, ':') == NULL) {
			fprintf(stderr, "mtls-probe: --resolve takes HOST:PORT:ADDR (at most %d)\n",
				PROBE_RESOLVE_MAX);
			return -1;
		}
		p->resolve[p->nresolve++] = arg;
		break;
	case O_CONNECTTO:
		if (p->nconnect_to == PROBE_RESOLVE_MAX) {
			fprintf(stderr, "mtls-probe: --connect-to at most %d times\n", PROBE_RESOLVE_MAX);
			return -1;
		}
		p->connect_to[p->nconnect_to++] = arg;
		break;
	case O_EHLO: p->ehlo = arg; break;
	case O_SNI: p->sni = arg; break;
	case O_TIMEOUT:
		if (conf_parse_duration(arg, &p->timeout_ms) < 0 || p->timeout_ms < 100) {
			fprintf(stderr, "mtls-probe: --timeout takes a duration such as 10s or 500ms\n");
			return -1;
		}
		timeout_given = true;
		break;
	case O_RESOLVER: p->resolver = arg; break;
	case O_TA: p->trust_anchor = arg; break;
	case O_KEYLOG: p->keylog = arg; break;
	case O_GET: p->http_get = true; break;
	case O_INTERACTIVE: p->interactive = true; break;
	default: return -1;
	}
	return 0;
}

/* HOST, HOST:PORT, [HOST]:PORT, [V6]:PORT, or a bare IPv6 address. */
static int parse_target(struct probe *p, char *arg)
{
	char *host = arg, *port = NULL, *end;
	long n;

	if (arg[0] == '[') {
		host = arg + 1;
		end = strchr(host, ']');
		if (end == NULL)
			return -1;
		*end = 0;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -1;
	} else if ((end = strchr(arg, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		*end = 0;
		port = end + 1;
	}
	if (*host == 0)
		return -1;
	p->host = host;
	p->port = proto_ports[p->proto];
	if (port) {
		n = strtol(port, &end, 10);
		if (*end || n < 1 || n > 65535)
			return -1;
		p->port = (unsigned)n;
	}
	return 0;
}

const char *probe_resolved(const struct probe *p, const char *host, unsigned port)
{
	for (size_t i = 0; i < p->nresolve; i++) {
		const char *r = p->resolve[i], *c1 = strchr(r, ':'), *c2;
		char portbuf[16];

		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		snprintf(portbuf, sizeof(portbuf), "%u", port);
		if ((size_t)(c1 - r) == strlen(host) && strncasecmp(r, host, (size_t)(c1 - r)) == 0 &&
		    ((c2 - c1 - 1 == 1 && c1[1] == '*') ||
		     ((size_t)(c2 - c1 - 1) == strlen(portbuf) && strncmp(c1 + 1, portbuf, strlen(portbuf)) == 0)))
			return c2 + 1;
	}
	return NULL;
}

struct dns *probe_dns(struct probe *p)
{
	json_t *sec;

	if (p->dns)
		return p->dns;
	sec = json_deep_copy(dns_section);
	if (p->resolver)
		json_object_set_new(sec, "resolver", json_pack("[s]", p->resolver));
	if (p->trust_anchor)
		json_object_set_new(sec, "trust_anchor", json_string(p->trust_anchor));
	p->dns = dns_new(sec);
	json_decref(sec);
	return p->dns;
}

/* --- connecting --- */

static int connect_one(struct probe *p, const struct sockaddr *sa, socklen_t len,
		       char *why, size_t whylen)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd pfd;
	int err = 0, n;
	socklen_t elen = sizeof(err);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		n = poll(&pfd, 1, (int)p->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		snprintf(why, whylen, "timeout");
		close(fd);
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (n < 0 || err) {
		snprintf(why, whylen, "%s", strerror(n < 0 ? errno : err));
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_text(struct probe *p, const char *addr, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *ai;
	char port[16];
	int fd;

	snprintf(port, sizeof(port), "%u", p->port);
	if (getaddrinfo(addr, port, &hints, &ai) != 0) {
		snprintf(why, whylen, "'%s' is not an IP address", addr);
		return -1;
	}
	fd = connect_one(p, ai->ai_addr, ai->ai_addrlen, why, whylen);
	freeaddrinfo(ai);
	if (fd >= 0)
		snprintf(p->addr, sizeof(p->addr), "%s", addr);
	return fd;
}

/* HOST's addresses from lib/dns, when a resolver is given. */
static int connect_dns(struct probe *p, char *why, size_t whylen)
{
	static const int types[] = { DNS_TYPE_A, DNS_TYPE_AAAA };
	struct dns *d = probe_dns(p);
	int fd = -1;

	snprintf(why, whylen, "no address for %s", p->host);
	for (int t = 0; d && t < 2 && fd < 0; t++) {
		struct dns_result *res = dns_query(d, p->host, types[t]);

		for (size_t i = 0; res && res->status == DNS_OK && i < res->n && fd < 0; i++)
			fd = connect_text(p, res->rr[i].addr.text, why, whylen);
		if (res && res->status == DNS_TEMPFAIL && fd < 0)
			snprintf(why, whylen, "cannot resolve %s: %s", p->host,
				 res->reason ? res->reason : "temporary failure");
		dns_result_free(res);
	}
	return fd;
}

static int connect_system(struct probe *p, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai, *a;
	char port[16];
	int fd = -1, rc;

	snprintf(port, sizeof(port), "%u", p->port);
	rc = getaddrinfo(p->host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(why, whylen, "cannot resolve %s: %s", p->host, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a && fd < 0; a = a->ai_next) {
		fd = connect_one(p, a->ai_addr, a->ai_addrlen, why, whylen);
		if (fd >= 0) {
			char host[64];

			getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
			snprintf(p->addr, sizeof(p->addr), "%s", host);
		}
	}
	freeaddrinfo(ai);
	return fd;
}

static int probe_connect(struct probe *p)
{
	unsigned char ip[16];
	const char *forced = probe_resolved(p, p->host, p->port);
	char why[256] = "";

	if (forced)
		p->fd = connect_text(p, forced, why, sizeof(why));
	else if (inet_pton(AF_INET, p->host, ip) == 1 || inet_pton(AF_INET6, p->host, ip) == 1)
		p->fd = connect_text(p, p->host, why, sizeof(why));
	else if (p->resolver)
		p->fd = connect_dns(p, why, sizeof(why));
	else
		p->fd = connect_system(p, why, sizeof(why));
	if (p->fd < 0) {
		probe_fail(p, OUT_TEMP, "cannot connect to %s:%u: %s", p->host, p->port, why);
		return -1;
	}
	return 0;
}

/* --- set-up and checks --- */

static bool is_ip(const char *s)
{
	unsigned char ip[16];

	return inet_pton(AF_INET, s, ip) == 1 || inet_pton(AF_INET6, s, ip) == 1;
}

static int make_ctx(struct probe *p)
{
	struct tls_policy pol;
	bool sip = p->proto == P_SIP || p->proto == P_SIPS;

	tls_policy_init(&pol);
	pol.verify = false;	/* complete the handshake, then report */
	tls_strings_add(&pol.names, p->name);
	pol.name_rule = sip ? TLS_NAMES_SIP : TLS_NAMES_DNS;
	if (p->cert)
		pol.cert_file = xstrdup(p->cert);
	if (p->key)
		pol.key_file = xstrdup(p->key);
	if (p->ca) {
		int fd = open(p->ca, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			pol.ca_dir = xstrdup(p->ca);
		} else {
			pol.ca_file = xstrdup(p->ca);
		}
	}
	if (p->crl || p->crl_file) {
		/* A file alone holds the issuer's CRL, not the root's. */
		pol.revocation = p->crl ? TLS_REVOKE_CHAIN : TLS_REVOKE_LEAF;
		pol.crl_fetch = p->crl;
		pol.crl_file = p->crl_file ? xstrdup(p->crl_file) : NULL;
		pol.crl_cache_dir = p->crl_cache ? xstrdup(p->crl_cache) : NULL;
	}
	pol.ocsp = p->ocsp;
	pol.ocsp_url = p->ocsp_url ? xstrdup(p->ocsp_url) : NULL;
	pol.fetch_timeout_ms = p->timeout_ms;
	pol.dane = p->dane;
	if (p->sni)
		pol.sni = xstrdup(p->sni);
	else if (!is_ip(p->name))
		pol.sni = xstrdup(p->name);
	if (p->proto == P_HTTPS)
		tls_strings_add(&pol.alpn, "http/1.1");
	if (p->keylog)
		pol.keylog_file = xstrdup(p->keylog);
	p->ctx = tls_client_new(&pol);
	tls_policy_clear(&pol);
	return p->ctx ? 0 : -1;
}

static void dane_prepare(struct probe *p)
{
	struct tls_dane *d = &p->rep.dane;
	bool smtp = p->proto == P_SMTP || p->proto == P_SUBMISSION || p->proto == P_SMTPS;

	if (probe_dns(p) == NULL) {
		d->state = TLS_DANE_TEMPFAIL;
		d->detail = xstrdup("no resolver");
		return;
	}
	tls_dane_lookup(p->dns, p->name, p->port, smtp, d);
	show(p, "DANE: TLSA %s: %s%s%s", d->qname ? d->qname : p->name,
	     tls_dane_state_name(d->state), d->detail ? ": " : "", d->detail ? d->detail : "");
	for (size_t i = 0; i < d->n; i++) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t j = 0; j < d->rr[i].len; j++)
			strbuf_addf(&sb, "%02X", d->rr[i].data[j]);
		show(p, "DANE:   %u %u %u %s", d->rr[i].usage, d->rr[i].selector, d->rr[i].mtype, sb.buf);
		strbuf_release(&sb);
	}
}

/* Every requested check, after the dialogue. */
static void judge(struct probe *p)
{
	struct tls_report *r = &p->rep;

	if (!p->tls_tried || !r->handshake_ok)
		return;
	if (r->verdict == TLS_VERDICT_UNTRUSTED)
		probe_fail(p, OUT_FAIL, "the chain does not verify: %s",
			   r->verify_text ? r->verify_text : "DANE did not match");
	else if (r->verdict == TLS_VERDICT_TRUSTED)
		probe_fail(p, OUT_FAIL, "the name does not match: %s", r->name_how ? r->name_how : "");
	else if (r->verdict != TLS_VERDICT_VERIFIED)
		probe_fail(p, OUT_FAIL, "the server sent no certificate");
	if (r->ccert_accepted == TLS_TRI_NO)
		probe_fail(p, OUT_FAIL, "the server refused our client certificate: %s",
			   r->ccert_error ? r->ccert_error : "");
	if ((p->crl || p->crl_file) && r->crl.status != TLS_REV_GOOD)
		probe_fail(p, OUT_FAIL, "revocation (CRL): %s", tls_rev_status_name(r->crl.status));
	if (p->ocsp && r->ocsp.status != TLS_REV_GOOD)
		probe_fail(p, OUT_FAIL, "revocation (OCSP): %s", tls_rev_status_name(r->ocsp.status));
	if (p->dane && r->dane.state != TLS_DANE_MATCHED)
		probe_fail(p, OUT_FAIL, "DANE: %s", tls_dane_state_name(r->dane.state));
}

static void defaults(struct probe *p, const struct conf *conf)
{
	json_t *sec = conf_section(conf, "mtls-probe");
	static char hostname[256];

	if (!timeout_given)
		p->timeout_ms = conf_int(sec, "timeout");
	if (p->ehlo == NULL)
		p->ehlo = conf_str(sec, "ehlo");
	if (p->ehlo == NULL) {
		if (gethostname(hostname, sizeof(hostname) - 1) < 0 || !strchr(hostname, '.'))
			snprintf(hostname, sizeof(hostname), "mtls-probe.invalid");
		p->ehlo = hostname;
	}
	if (p->ca == NULL)
		p->ca = conf_str(sec, "ca");
	if (p->cert == NULL) {
		p->cert = conf_str(sec, "cert");
		if (p->key == NULL)
			p->key = conf_str(sec, "key");
	}
	p->crl_cache = conf_str(sec, "crl_cache");
	if (p->name == NULL)
		p->name = p->host;
	dns_section = conf_section(conf, "dns");
}

int main(int argc, char **argv)
{
	struct prog pr = {
		.name = "mtls-probe",
		.synopsis = "[options] HOST[:PORT]",
		.purpose = "troubleshoot TLS and mutual TLS with a mail, SIP or web server",
		.opts = opts,
		.sections = sections,
		.option = option,
		.ctx = &probe,
	};
	struct prog_state st;
	struct probe *p = &probe;

	p->fd = -1;
	prog_start(&pr, &st, argc, argv);
	if (st.argc != 1 || parse_target(p, st.argv[0]) < 0) {
		fprintf(stderr, "usage: mtls-probe %s\n", pr.synopsis);
		conf_free(st.conf);
		return EX_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	p->json = st.json;
	defaults(p, st.conf);
	p->transcript = json_array();
	p->fails = json_array();
	p->extra = json_object();
	tls_report_init(&p->rep);
	if (make_ctx(p) < 0)
		p->out = EX_CONFIG;
	else if (p->dane)
		dane_prepare(p);
	if (p->ctx && probe_connect(p) == 0) {
		p->s = stream_new(p->fd, p->fd, p->timeout_ms, REPLY_LINE_MAX);
		proto_run(p);
		judge(p);
		if (p->mta_sts)
			mtasts_check(p);
		if (p->interactive && p->s && stream_is_tls(p->s) && p->out != OUT_TEMP)
			interactive_run(p);
	}
	if (p->ctx) {
		show_verdict(p);
		if (p->json)
			show_json(p);
	}
	stream_free(p->s);
	if (p->fd >= 0)
		close(p->fd);
	tls_report_clear(&p->rep);
	tls_ctx_free(p->ctx);
	dns_free(p->dns);
	json_decref(p->transcript);
	json_decref(p->extra);
	json_decref(p->mta_sts_json);
	json_decref(p->fails);
	free(p->verdict_line);
	free(p->why);
	conf_free(st.conf);
	return p->out;
}
