/* mtls-probe's shared state: the options, the connection, the transcript
 * and what each check found. main.c drives; proto.c speaks the protocols;
 * show.c prints; mtasts.c and interactive.c do the rest. */
#ifndef MTLS_PROBE_PROBE_H
#define MTLS_PROBE_PROBE_H

#include <jansson.h>
#include <stdbool.h>

#include "dns/dns.h"
#include "tls/stream.h"
#include "tls/tls.h"

#define PROBE_RESOLVE_MAX 16
#define REPLY_LINE_MAX 4096	/* bytes in one reply line, without CRLF */

enum proto { P_SMTP, P_SUBMISSION, P_SMTPS, P_SIP, P_SIPS, P_HTTPS, P_IMAP, P_POP3 };

/* What a step came to; the exit code follows from the worst. */
enum outcome { OUT_OK = 0, OUT_FAIL = 1, OUT_TEMP = 75 };

struct probe {
	/* options */
	enum proto proto;
	const char *host;		/* as given, without port or brackets */
	unsigned port;
	const char *cert, *key, *ca, *name, *crl_file, *ehlo, *sni, *keylog;
	const char *resolver, *trust_anchor, *domain, *ocsp_url, *crl_cache;
	const char *resolve[PROBE_RESOLVE_MAX];	/* HOST:PORT:ADDR */
	size_t nresolve;
	const char *connect_to[PROBE_RESOLVE_MAX];	/* HOST:PORT:HOST2:PORT2 */
	size_t nconnect_to;
	bool crl, ocsp, dane, mta_sts, interactive, json, http_get;
	long long timeout_ms;

	/* the session */
	char addr[64];			/* the address connected to */
	int fd;
	struct stream *s;
	struct tls_ctx *ctx;
	struct dns *dns;
	struct tls_report rep;
	bool tls_tried;
	bool starttls_offered;
	json_t *transcript;		/* "S: ...", "C: ...", "TLS: ..." */
	json_t *extra;			/* protocol results: sip status, http status */
	json_t *mta_sts_json;
	enum outcome out;		/* worst so far */
	char *why;			/* the first failure, for the last line */
	json_t *fails;			/* every failure, in order */
	char *verdict_line;
};

/* Records the worst outcome and the first reason. */
void probe_fail(struct probe *p, enum outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* show.c: one transcript line ("S: 220 ...") to stdout (not with --json)
 * and into the transcript. */
void show(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void show_tls(struct probe *p);
void show_verdict(struct probe *p);
void show_json(struct probe *p);
/* A JSON string of outside text, with bytes that are not UTF-8 made '?'. */
json_t *probe_jstr(const char *s);

/* proto.c: the dialogue of p->proto, up to and including the exchange
 * over TLS; QUIT/LOGOUT unless -i. */
void proto_run(struct probe *p);
/* Sends one line with CRLF and shows it. Returns 0 or -1. */
int proto_send(struct probe *p, const char *line);
/* The quit command of the protocol, or NULL. */
const char *proto_quit(const struct probe *p);
/* Switches the stream to TLS and shows the TLS section. 0 or -1. */
int proto_tls(struct probe *p);

/* mtasts.c: the MTA-STS check of p->host; shows its lines. */
void mtasts_check(struct probe *p);
/* interactive.c: the -i session. */
void interactive_run(struct probe *p);

const char *probe_proto_name(const struct probe *p);
/* The resolver for DANE and MTA-STS, made on first use; NULL after
 * logging when it cannot be made. */
struct dns *probe_dns(struct probe *p);
/* The --resolve address for host:port, or NULL. */
const char *probe_resolved(const struct probe *p, const char *host, unsigned port);

#endif
