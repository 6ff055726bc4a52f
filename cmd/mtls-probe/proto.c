/* The dialogues: SMTP (EHLO, STARTTLS, EHLO again), IMAP (CAPABILITY,
 * STARTTLS), POP3 (CAPA, STLS), HTTPS (HEAD /) and SIP (OPTIONS), each
 * shown line by line as it goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "conf/prog.h"
#include "probe.h"
#include "sip/msg.h"
#include "smtp/reply.h"
#include "util/mem.h"

#define LINES_MAX 1000		/* lines read for one IMAP/POP3/HTTP answer */
#define SIP_PROVISIONAL_MAX 5	/* 1xx answers before the final one */

int proto_send(struct probe *p, const char *line)
{
	show(p, "C: %s", line);
	stream_printf(p->s, "%s\r\n", line);
	if (stream_flush(p->s) != STREAM_OK) {
		probe_fail(p, OUT_TEMP, "cannot send to the server: %s", stream_error(p->s));
		return -1;
	}
	return 0;
}

const char *proto_quit(const struct probe *p)
{
	switch (p->proto) {
	case P_SMTP: case P_SUBMISSION: case P_SMTPS: case P_POP3: return "QUIT";
	case P_IMAP: return "a9 LOGOUT";
	default: return NULL;
	}
}

/* A read failed: say why, and notice a refused client certificate (a
 * TLS 1.3 server's alert comes with its first answer over TLS). */
static void read_failed(struct probe *p, int rc, bool quiet)
{
	struct tls_report *r = &p->rep;
	const char *err = stream_error(p->s);

	if (rc == STREAM_ERR && stream_is_tls(p->s) && r->ccert_asked &&
	    r->ccert_accepted == TLS_TRI_UNKNOWN) {
		r->ccert_accepted = TLS_TRI_NO;
		r->ccert_error = xstrdup(err);
		tls_report_verdict(r);
		show(p, "TLS: client certificate refused: %s", err);
	}
	if (quiet)
		return;
	if (rc == STREAM_EOF)
		probe_fail(p, OUT_TEMP, "the server closed the connection");
	else if (rc == STREAM_TIMEOUT)
		probe_fail(p, OUT_TEMP, "timeout waiting for the server");
	else if (rc == STREAM_TOOLONG)
		probe_fail(p, OUT_FAIL, "a line longer than %d bytes", REPLY_LINE_MAX);
	else
		probe_fail(p, stream_is_tls(p->s) ? OUT_FAIL : OUT_TEMP, "cannot read: %s", err);
}

/* One line, shown. STREAM_OK or the failure (recorded unless quiet). */
static int read_line(struct probe *p, struct strbuf *line, bool quiet)
{
	int rc = stream_getline(p->s, line);

	if (rc == STREAM_OK)
		show(p, "S: %s", line->buf);
	else if (rc == STREAM_EOF && line->len)
		show(p, "S: %s", line->buf);
	if (rc == STREAM_OK)
		return rc;
	read_failed(p, rc, quiet);
	return rc;
}

int proto_tls(struct probe *p)
{
	int rc;

	p->tls_tried = true;
	rc = stream_starttls_client(p->s, p->ctx, p->name, &p->rep);
	show_tls(p);
	if (rc == 0)
		return 0;
	if (!p->rep.handshake_ok)
		probe_fail(p, p->rep.error && strcmp(p->rep.error, "timeout") == 0 ? OUT_TEMP : OUT_FAIL,
			   "TLS handshake failed: %s", p->rep.error ? p->rep.error : "");
	return -1;
}

/* --- SMTP --- */

static int smtp_read(struct probe *p, struct smtp_reply *r, bool quiet)
{
	struct strbuf line = STRBUF_INIT;
	int rc, k = 0;

	smtp_reply_clear(r);
	while (k == 0) {
		rc = read_line(p, &line, quiet);
		if (rc != STREAM_OK)
			break;
		k = smtp_reply_add(r, line.buf, line.len);
		if (k < 0 && !quiet)
			probe_fail(p, OUT_FAIL, "not an SMTP reply: %s", r->why);
	}
	strbuf_release(&line);
	return k == 1 ? r->code : -1;
}

static int smtp_cmd(struct probe *p, const char *cmd, struct smtp_reply *r, int want)
{
	int code;

	if (proto_send(p, cmd) < 0 || (code = smtp_read(p, r, false)) < 0)
		return -1;
	if (code != want) {
		probe_fail(p, OUT_FAIL, "the server answered %s with %d", cmd, code);
		return -1;
	}
	return 0;
}

static void smtp_run(struct probe *p)
{
	struct smtp_reply r;
	char *ehlo = xasprintf("EHLO %s", p->ehlo);
	bool smtps = p->proto == P_SMTPS;

	smtp_reply_init(&r);
	if (smtps && proto_tls(p) < 0)
		goto out;
	if (smtp_read(p, &r, false) < 0)
		goto out;
	if (r.code != 220) {
		probe_fail(p, OUT_FAIL, "the server refused the session with %d", r.code);
		goto quit;
	}
	if (smtp_cmd(p, ehlo, &r, 250) < 0)
		goto quit;
	if (!smtps) {
		p->starttls_offered = smtp_reply_has(&r, "STARTTLS");
		if (!p->starttls_offered) {
			show(p, "TLS: the server does not offer STARTTLS");
			probe_fail(p, OUT_FAIL, "STARTTLS not offered");
			goto quit;
		}
		if (smtp_cmd(p, "STARTTLS", &r, 220) < 0)
			goto quit;
		if (proto_tls(p) < 0 || smtp_cmd(p, ehlo, &r, 250) < 0)
			goto out;
	}
	if (p->interactive)
		goto out;
quit:
	if (p->s && (!p->tls_tried || stream_is_tls(p->s)) && proto_send(p, "QUIT") == 0)
		smtp_read(p, &r, true);
out:
	smtp_reply_clear(&r);
	free(ehlo);
}

/* --- IMAP and POP3 --- */

static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (const char *q = s; (q = strcasestr(q, w)) != NULL; q += n)
		if ((q == s || q[-1] == ' ' || q[-1] == '[') &&
		    (q[n] == 0 || q[n] == ' ' || q[n] == ']'))
			return true;
	return false;
}

/* Reads to the tagged answer; collects "* CAPABILITY" lines in caps.
 * 0 for OK, -1 otherwise. */
static int imap_read(struct probe *p, const char *tag, struct strbuf *caps, bool quiet)
{
	struct strbuf line = STRBUF_INIT;
	size_t tl = strlen(tag);
	int rc = -1;

	for (int i = 0; i < LINES_MAX; i++) {
		if (read_line(p, &line, quiet) != STREAM_OK)
			break;
		if (caps && strncasecmp(line.buf, "* CAPABILITY ", 13) == 0)
			strbuf_addf(caps, "%s ", line.buf + 13);
		if (strncmp(line.buf, tag, tl) == 0 && line.buf[tl] == ' ') {
			rc = strncasecmp(line.buf + tl + 1, "OK", 2) == 0 ? 0 : -1;
			if (rc < 0 && !quiet)
				probe_fail(p, OUT_FAIL, "the server refused %s", tag);
			break;
		}
	}
	strbuf_release(&line);
	return rc;
}

static void imap_run(struct probe *p)
{
	struct strbuf line = STRBUF_INIT, caps = STRBUF_INIT;

	if (read_line(p, &line, false) != STREAM_OK)
		goto out;
	if (strncasecmp(line.buf, "* OK", 4) != 0) {
		probe_fail(p, OUT_FAIL, "the server refused the session");
		goto out;
	}
	if (proto_send(p, "a1 CAPABILITY") < 0 || imap_read(p, "a1", &caps, false) < 0)
		goto out;
	p->starttls_offered = has_word(caps.buf ? caps.buf : "", "STARTTLS");
	if (!p->starttls_offered) {
		show(p, "TLS: the server does not offer STARTTLS");
		probe_fail(p, OUT_FAIL, "STARTTLS not offered");
		goto quit;
	}
	if (proto_send(p, "a2 STARTTLS") < 0 || imap_read(p, "a2", NULL, false) < 0)
		goto out;
	if (proto_tls(p) < 0)
		goto out;
	if (proto_send(p, "a3 CAPABILITY") < 0 || imap_read(p, "a3", NULL, false) < 0)
		goto out;
	if (p->interactive)
		goto out;
quit:
	if (proto_send(p, "a9 LOGOUT") == 0)
		imap_read(p, "a9", NULL, true);
out:
	strbuf_release(&line);
	strbuf_release(&caps);
}

/* "+OK" then, for a multi-line answer, lines up to ".". 0 or -1. */
static int pop3_read(struct probe *p, bool multi, struct strbuf *lines, bool quiet)
{
	struct strbuf line = STRBUF_INIT;
	int rc = -1;

	if (read_line(p, &line, quiet) != STREAM_OK)
		goto out;
	if (strncmp(line.buf, "+OK", 3) != 0) {
		if (!quiet)
			probe_fail(p, OUT_FAIL, "the server answered -ERR");
		goto out;
	}
	for (int i = 0; multi && i < LINES_MAX; i++) {
		if (read_line(p, &line, quiet) != STREAM_OK)
			goto out;
		if (strcmp(line.buf, ".") == 0)
			break;
		if (lines)
			strbuf_addf(lines, "%s ", line.buf);
	}
	rc = 0;
out:
	strbuf_release(&line);
	return rc;
}

static void pop3_run(struct probe *p)
{
	struct strbuf caps = STRBUF_INIT;

	if (pop3_read(p, false, NULL, false) < 0)
		goto out;
	if (proto_send(p, "CAPA") < 0 || pop3_read(p, true, &caps, false) < 0)
		goto out;
	p->starttls_offered = has_word(caps.buf ? caps.buf : "", "STLS");
	if (!p->starttls_offered) {
		show(p, "TLS: the server does not offer STLS");
		probe_fail(p, OUT_FAIL, "STLS not offered");
		goto quit;
	}
	if (proto_send(p, "STLS") < 0 || pop3_read(p, false, NULL, false) < 0)
		goto out;
	if (proto_tls(p) < 0)
		goto out;
	if (proto_send(p, "CAPA") < 0 || pop3_read(p, true, NULL, false) < 0)
		goto out;
	if (p->interactive)
		goto out;
quit:
	if (proto_send(p, "QUIT") == 0)
		pop3_read(p, false, NULL, true);
out:
	strbuf_release(&caps);
}

/* --- HTTPS --- */

static void https_run(struct probe *p)
{
	struct strbuf line = STRBUF_INIT;
	const char *method = p->http_get ? "GET" : "HEAD";
	char host[300];

	if (proto_tls(p) < 0)
		goto out;
	if (p->port == 443)
		snprintf(host, sizeof(host), "Host: %s", p->name);
	else
		snprintf(host, sizeof(host), "Host: %s:%u", p->name, p->port);
	show(p, "C: %s / HTTP/1.1", method);
	show(p, "C: %s", host);
	show(p, "C: User-Agent: mtls-probe/%s", POSTERN_VERSION);
	show(p, "C: Connection: close");
	show(p, "C: ");
	stream_printf(p->s, "%s / HTTP/1.1\r\n%s\r\nUser-Agent: mtls-probe/%s\r\n"
		      "Connection: close\r\n\r\n", method, host, POSTERN_VERSION);
	if (stream_flush(p->s) != STREAM_OK) {
		probe_fail(p, OUT_TEMP, "cannot send to the server: %s", stream_error(p->s));
		goto out;
	}
	for (int i = 0; i < LINES_MAX; i++) {
		if (read_line(p, &line, false) != STREAM_OK || line.len == 0)
			break;
		if (i == 0) {
			if (strncmp(line.buf, "HTTP/", 5) != 0 || line.len < 12)
				probe_fail(p, OUT_FAIL, "not an HTTP status line");
			else
				json_object_set_new(p->extra, "http_status", json_string(line.buf));
		}
	}
out:
	strbuf_release(&line);
}

/* --- SIP --- */

static void hex_token(char *out, size_t n)
{
	unsigned char b[16];

	RAND_bytes(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b) && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void sip_send_options(struct probe *p)
{
	bool tls = p->proto == P_SIPS;
	char branch[33], tag[33], callid[33];
	char *lines[12];
	int n = 0;

	hex_token(branch, sizeof(branch));
	hex_token(tag, sizeof(tag));
	hex_token(callid, sizeof(callid));
	lines[n++] = xasprintf("OPTIONS %s:%s SIP/2.0", tls ? "sips" : "sip", p->name);
	lines[n++] = xasprintf("Via: SIP/2.0/%s %s;branch=z9hG4bK%s;rport", tls ? "TLS" : "TCP",
			       p->ehlo, branch);
	lines[n++] = xstrdup("Max-Forwards: 70");
	lines[n++] = xasprintf("From: <sip:mtls-probe@%s>;tag=%s", p->ehlo, tag);
	lines[n++] = xasprintf("To: <sip:%s>", p->name);
	lines[n++] = xasprintf("Call-ID: %s@%s", callid, p->ehlo);
	lines[n++] = xstrdup("CSeq: 1 OPTIONS");
	lines[n++] = xasprintf("Contact: <sip:mtls-probe@%s;transport=%s>", p->ehlo, tls ? "tls" : "tcp");
	lines[n++] = xstrdup("Accept: application/sdp");
	lines[n++] = xasprintf("User-Agent: mtls-probe/%s", POSTERN_VERSION);
	lines[n++] = xstrdup("Content-Length: 0");
	lines[n++] = xstrdup("");
	for (int i = 0; i < n; i++) {
		show(p, "C: %s", lines[i]);
		stream_printf(p->s, "%s\r\n", lines[i]);
		free(lines[i]);
	}
}

/* One message from the server through lib/sip's framing: the start line
 * and headers shown, the body counted. 1 with *m filled, or -1 (the
 * failure recorded). */
static int sip_read(struct probe *p, struct sip_reader *rd, struct sip_msg *m)
{
	char buf[4096], why[SIP_WHY_MAX];
	size_t got;
	int k, rc;

	for (;;) {
		k = sip_reader_next(rd, m, why, sizeof(why));
		if (k == SIP_READER_PING)
			continue;
		if (k < 0)
			probe_fail(p, OUT_FAIL, "not a SIP response: %s", why);
		if (k != 0)
			break;
		rc = stream_read_some(p->s, buf, sizeof(buf), &got);
		if (rc != STREAM_OK) {
			read_failed(p, rc, false);
			return -1;
		}
		sip_reader_feed(rd, buf, got);
	}
	if (k < 0)
		return -1;
	if (m->request) {
		probe_fail(p, OUT_FAIL, "not a SIP response: a %s request", m->method);
		sip_msg_free(m);
		return -1;
	}
	show(p, "S: SIP/2.0 %d %s", m->status, m->reason);
	for (size_t i = 0; i < m->nh; i++)
		show(p, "S: %s: %s", m->h[i].name, m->h[i].value);
	if (m->body_len)
		show(p, "S: (%zu bytes of body)", m->body_len);
	return 1;
}

static void sip_run(struct probe *p)
{
	struct sip_reader rd;
	struct sip_msg m;
	const char *allow;
	bool final = false;

	sip_reader_init(&rd);
	if (p->proto == P_SIPS && proto_tls(p) < 0)
		goto out;
	sip_send_options(p);
	if (stream_flush(p->s) != STREAM_OK) {
		probe_fail(p, OUT_TEMP, "cannot send to the server: %s", stream_error(p->s));
		goto out;
	}
	for (int i = 0; i <= SIP_PROVISIONAL_MAX && !final; i++) {
		if (sip_read(p, &rd, &m) < 0)
			goto out;
		final = m.status >= 200 || i == SIP_PROVISIONAL_MAX;
		if (!final)
			sip_msg_free(&m);
	}
	allow = sip_msg_get(&m, "Allow");
	show(p, "SIP: %d %s", m.status, m.reason);
	show(p, "SIP: Allow: %s", allow ? allow : "(none)");
	json_object_set_new(p->extra, "sip_status", json_integer(m.status));
	json_object_set_new(p->extra, "sip_reason", json_string(m.reason));
	json_object_set_new(p->extra, "sip_allow", allow ? json_string(allow) : json_null());
	sip_msg_free(&m);
out:
	sip_reader_clear(&rd);
}

void proto_run(struct probe *p)
{
	switch (p->proto) {
	case P_SMTP: case P_SUBMISSION: case P_SMTPS: smtp_run(p); break;
	case P_IMAP: imap_run(p); break;
	case P_POP3: pop3_run(p); break;
	case P_HTTPS: https_run(p); break;
	case P_SIP: case P_SIPS: sip_run(p); break;
	}
}
