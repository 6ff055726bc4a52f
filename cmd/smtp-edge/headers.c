/* The trace headers smtp-edge puts on each message: Received (with what
 * TLS proved: version, cipher, the verified peer name), Received-SPF and
 * Authentication-Results (RFC 8601). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "session.h"

static void date(struct strbuf *out)
{
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S %z", &tm);
	strbuf_addstr(out, buf);
}

/* The peer's certificate as TLS judged it: only what was verified is
 * stated as such. */
static void tls_clause(struct session *s, struct strbuf *out)
{
	const struct tls_report *t = &s->tls_rep;

	strbuf_addf(out, "\r\n\t(using %s with cipher %s (%d/%d bits))",
		    t->version ? t->version : "TLS", t->cipher ? t->cipher : "unknown",
		    t->bits, t->alg_bits);
	if (s->partner)
		strbuf_addf(out, "\r\n\t(domain security: client certificate verified, "
			    "partner %s, name %s)", s->partner->domain, s->partner_name);
	else if (t->nchain)
		strbuf_addf(out, "\r\n\t(client certificate %s, not verified as a partner)",
			    tls_verdict_name(t->verdict));
	else
		strbuf_addstr(out, "\r\n\t(no client certificate requested or sent)");
}

void headers_make(struct session *s, struct strbuf *out)
{
	const char *helo = s->helo[0] ? s->helo : s->ip;

	strbuf_addf(out, "Received: from %s (%s%s[%s])", helo, s->name, s->name[0] ? " " : "",
		    s->ip);
	if (s->tls)
		tls_clause(s, out);
	strbuf_addf(out, "\r\n\tby %s (postern smtp-edge) with %s%s id %s.%lu",
		    s->e->hostname, s->smtputf8 ? "UTF8" : "", s->esmtp ?
		    (s->tls ? "ESMTPS" : "ESMTP") : (s->tls ? "SMTPS" : "SMTP"), s->id, s->msgs);
	if (s->nrcpt == 1)
		strbuf_addf(out, "\r\n\tfor <%s>", s->first_rcpt.buf);
	strbuf_addstr(out, "; ");
	date(out);
	strbuf_addstr(out, "\r\n");
	if (s->spf_done)
		spf_received_header(&s->spf, s->e->hostname, out);
	strbuf_addf(out, "Authentication-Results: %s;", s->e->hostname);
	if (s->spf_done) {
		strbuf_addstr(out, "\r\n\t");
		spf_auth_results(&s->spf, out);
	} else {
		strbuf_addstr(out, " none");
	}
	strbuf_addstr(out, "\r\n");
}
