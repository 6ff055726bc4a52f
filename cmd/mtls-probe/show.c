/* What mtls-probe prints: the transcript, the TLS section, the verdict
 * line in posttls-finger's words, and the same as one JSON object. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define TRANSCRIPT_MAX 20000	/* lines kept for --json */

json_t *probe_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *copy;

	if (j)
		return j;
	copy = xstrdup(s);
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* Control characters from the peer are shown escaped, never sent to the
 * terminal as they are. */
static void escape(const char *in, struct strbuf *out)
{
	for (const unsigned char *c = (const unsigned char *)in; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			strbuf_addf(out, "\\x%02x", *c);
		else
			strbuf_addch(out, (char)*c);
	}
}

void show(struct probe *p, const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&raw, fmt, ap);
	va_end(ap);
	escape(raw.buf ? raw.buf : "", &sb);
	if (!p->json) {
		fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (json_array_size(p->transcript) < TRANSCRIPT_MAX)
		json_array_append_new(p->transcript, probe_jstr(sb.buf));
	strbuf_release(&raw);
	strbuf_release(&sb);
}

static void show_chain(struct probe *p)
{
	const struct tls_report *r = &p->rep;

	if (r->nchain == 0) {
		show(p, "TLS: the server sent no certificate");
		return;
	}
	show(p, "TLS: peer certificate chain (%zu):", r->nchain);
	for (size_t i = 0; i < r->nchain; i++) {
		const struct tls_report_cert *c = &r->chain[i];

		show(p, "TLS:  %zu subject: %s", i, c->subject);
		show(p, "TLS:    issuer: %s", c->issuer);
		show(p, "TLS:    serial: %s", c->serial);
		show(p, "TLS:    validity: %s to %s", c->not_before, c->not_after);
		show(p, "TLS:    SHA-1: %s", c->sha1);
		show(p, "TLS:    SHA-256: %s", c->sha256);
		show(p, "TLS:    names: %s", c->names[0] ? c->names : "(no subjectAltName)");
	}
}

static void show_checks(struct probe *p)
{
	const struct tls_report *r = &p->rep;

	if (r->nchain == 0)
		return;
	if (r->chain_ok)
		show(p, "TLS: chain verification: ok");
	else
		show(p, "TLS: chain verification: failed at depth %d: %s", r->verify_depth,
		     r->verify_text ? r->verify_text : "unknown error");
	if (r->name_ok)
		show(p, "TLS: name %s: matched %s", r->name_matched, r->name_how);
	else if (r->names_expected)
		show(p, "TLS: name %s: no match: %s", r->names_expected,
		     r->name_how ? r->name_how : "");
}

static void show_ccert(struct probe *p)
{
	const struct tls_report *r = &p->rep;

	if (!r->ccert_asked) {
		show(p, "TLS: the server did not ask for a client certificate%s",
		     p->cert ? " (ours was not sent)" : "");
		return;
	}
	show(p, "TLS: the server asked for a client certificate; acceptable CA names (%zu):",
	     r->nca_names);
	for (size_t i = 0; i < r->nca_names; i++)
		show(p, "TLS:   %s", r->ca_names[i]);
	if (r->nca_names == 0)
		show(p, "TLS:   (none listed)");
	if (!r->ccert_sent)
		show(p, "TLS: client certificate: none sent%s", p->cert ? "" : " (no --cert given)");
	else if (r->ccert_accepted == TLS_TRI_YES)
		show(p, "TLS: client certificate: sent, accepted");
	else if (r->ccert_accepted == TLS_TRI_NO)
		show(p, "TLS: client certificate: sent, refused: %s", r->ccert_error ? r->ccert_error : "");
	else
		show(p, "TLS: client certificate: sent, no word from the server yet");
	if (!r->ccert_sent && r->ccert_accepted == TLS_TRI_NO)
		show(p, "TLS: the server refused the session without one: %s",
		     r->ccert_error ? r->ccert_error : "");
}

static void show_rev(struct probe *p, const char *what, const struct tls_rev_result *rv)
{
	show(p, "TLS: revocation (%s): %s%s%s%s%s%s", what, tls_rev_status_name(rv->status),
	     rv->detail ? ": " : "", rv->detail ? rv->detail : "",
	     rv->source ? " [" : "", rv->source ? rv->source : "", rv->source ? "]" : "");
}

static void show_dane(struct probe *p)
{
	const struct tls_dane *d = &p->rep.dane;

	if (d->state == TLS_DANE_MATCHED)
		show(p, "TLS: DANE: matched TLSA %s at depth %d", d->matched, d->depth);
	else
		show(p, "TLS: DANE: %s%s%s", tls_dane_state_name(d->state), d->detail ? ": " : "",
		     d->detail ? d->detail : "");
}

void show_tls(struct probe *p)
{
	const struct tls_report *r = &p->rep;

	if (r->discarded)
		show(p, "TLS: discarded %zu bytes of plaintext the server sent before the handshake "
		     "(STARTTLS injection defence)", r->discarded);
	if (!r->handshake_ok) {
		show(p, "TLS: handshake failed: %s", r->error ? r->error : "unknown error");
	} else {
		show(p, "TLS: %s with cipher %s (%d/%d bits)", r->version, r->cipher, r->bits,
		     r->alg_bits);
		show(p, "TLS: key exchange %s, server signature %s%s%s", r->group ? r->group : "none",
		     r->peer_sig ? r->peer_sig : "none", r->peer_digest ? " with " : "",
		     r->peer_digest ? r->peer_digest : "");
		if (r->sni)
			show(p, "TLS: server name sent: %s", r->sni);
		if (r->alpn)
			show(p, "TLS: application protocol: %s", r->alpn);
	}
	show_chain(p);
	show_checks(p);
	show_ccert(p);
	if (p->crl || p->crl_file)
		show_rev(p, "CRL", &r->crl);
	if (p->ocsp)
		show_rev(p, "OCSP", &r->ocsp);
	if (p->dane)
		show_dane(p);
	if (r->handshake_ok)
		show(p, "TLS: verdict: %s", tls_verdict_name(r->verdict));
}

static char *verdict_line(struct probe *p)
{
	const struct tls_report *r = &p->rep;
	struct strbuf sb = STRBUF_INIT;
	const char *addr = p->addr[0] ? p->addr : "?";

	if (p->tls_tried && r->handshake_ok) {
		strbuf_addf(&sb, "%s TLS connection established to %s[%s]:%u: %s with cipher %s "
			    "(%d/%d bits)", tls_verdict_name(r->verdict), p->host, addr, p->port,
			    r->version, r->cipher, r->bits, r->alg_bits);
		if (r->group)
			strbuf_addf(&sb, " key-exchange %s", r->group);
		if (r->peer_sig)
			strbuf_addf(&sb, " server-signature %s", r->peer_sig);
		if (r->peer_digest)
			strbuf_addf(&sb, " server-digest %s", r->peer_digest);
	} else if (p->tls_tried) {
		strbuf_addf(&sb, "No TLS connection established to %s[%s]:%u: %s", p->host, addr,
			    p->port, r->error ? r->error : "handshake failed");
	} else if (p->proto == P_SIP && p->out == OUT_OK) {
		strbuf_addf(&sb, "Plain-text SIP connection to %s[%s]:%u (no TLS)", p->host, addr,
			    p->port);
	} else if (p->addr[0]) {
		strbuf_addf(&sb, "No TLS connection established to %s[%s]:%u: %s", p->host, addr,
			    p->port, p->why ? p->why : "no TLS");
	} else {
		strbuf_addf(&sb, "No connection to %s:%u: %s", p->host, p->port,
			    p->why ? p->why : "unknown error");
	}
	return strbuf_detach(&sb, NULL);
}

void show_verdict(struct probe *p)
{
	size_t i;
	json_t *f;

	p->verdict_line = verdict_line(p);
	if (p->json)
		return;
	json_array_foreach(p->fails, i, f)
		printf("Check failed: %s\n", json_string_value(f));
	printf("%s\n", p->verdict_line);
	fflush(stdout);
}

void show_json(struct probe *p)
{
	json_t *o = json_pack("{s:o, s:s, s:I, s:s, s:o, s:O, s:b}",
			      "host", probe_jstr(p->host), "address", p->addr,
			      "port", (json_int_t)p->port, "proto", probe_proto_name(p),
			      "name", probe_jstr(p->name), "transcript", p->transcript,
			      "starttls_offered", p->starttls_offered);

	json_object_set_new(o, "tls", p->tls_tried ? tls_report_json(&p->rep) : json_null());
	json_object_update(o, p->extra);
	json_object_set(o, "mta_sts", p->mta_sts_json ? p->mta_sts_json : json_null());
	json_object_set_new(o, "verdict", json_string(p->tls_tried ?
				tls_verdict_name(p->rep.verdict) : "none"));
	json_object_set_new(o, "verdict_line", probe_jstr(p->verdict_line));
	json_object_set(o, "failures", p->fails);
	json_object_set_new(o, "exit", json_integer(p->out));
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
}
