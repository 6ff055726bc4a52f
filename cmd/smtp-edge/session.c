/* smtp-edge's SMTP server session: layer 1 at connect (PROXY, the IP
 * lists and DNS lists, pregreet), the greeting, and the command loop with
 * its limits (line length, errors, junk commands, timeouts); EHLO,
 * STARTTLS and XCLIENT here, the transaction in txn.c. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/wait.h"
#include "proxyproto.h"
#include "session.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"

/* A lingering close: a client that pipelined past our last reply (a 554
 * to a pregreeter, a 421) still has bytes in flight; closing on them
 * sends a reset that can destroy our reply before the client reads it.
 * So: stop writing, read and drop what comes for at most a second. */
static void linger_close(int in, int out)
{
	char buf[4096];
	size_t total = 0;
	struct pollfd pfd = { .fd = in, .events = POLLIN };

	if (shutdown(out, SHUT_WR) < 0)
		return;		/* not a socket (a pipe under a test): nothing to do */
	while (total < 65536 && wait_poll(&pfd, 1, 1000) == 1) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

void session_reply(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&s->reply, fmt, ap);
	va_end(ap);
	strbuf_addstr(&s->reply, "\r\n");
}

void session_decide(struct session *s, int layer, const char *check, const char *action,
		    const char *reply, const char *fmt, ...)
{
	struct strbuf line = STRBUF_INIT;
	va_list ap;

	/* "ACTION: WHY layer=N check=C client=IP[ from=F][ reply=R]", one
	 * formatting (the reason's) rather than two a decision */
	strbuf_addstr(&line, action);
	strbuf_add(&line, ": ", 2);
	va_start(ap, fmt);
	strbuf_vaddf(&line, fmt, ap);
	va_end(ap);
	strbuf_addstr(&line, " layer=");
	strbuf_adddec(&line, (unsigned long long)layer);
	strbuf_addstr(&line, " check=");
	strbuf_addstr(&line, check);
	strbuf_addstr(&line, " client=");
	strbuf_addstr(&line, s->ip);
	if (s->in_mail) {
		strbuf_addstr(&line, " from=");
		strbuf_addstr(&line, msg_q(s->mail_from.len ? s->mail_from.buf : "<>"));
	}
	if (reply) {
		strbuf_addstr(&line, " reply=");
		strbuf_addstr(&line, msg_q(reply));
	}
	if (layer == 3)
		strbuf_addf(&s->actions, "%s%s:%s", s->actions.len ? "," : "", check, action);
	msg_info("%s", line.buf);
	strbuf_release(&line);
}

/* Whether the log lines held so far go out before the replies queued:
 * before the reply to the end of a message (s->log_due), a refusal and
 * the session's last reply, not before a positive one that only takes
 * the session a step further (the greeting, 250 to EHLO, MAIL or RCPT,
 * 354), since a later reply settles what they say and writes them
 * first. A crash in between loses only the lines of a session that no
 * message was accepted in yet; a message's lines, from the connection's
 * on, cost one write instead of one for each reply. */
static bool reply_settles(const struct session *s)
{
	const char *r = s->reply.buf;

	if (s->log_due || s->quit)
		return true;
	for (size_t i = 0; i < s->reply.len; i++)
		if ((i == 0 || r[i - 1] == '\n') && r[i] != '2' && r[i] != '3')
			return true;
	return false;
}

int session_flush(struct session *s)
{
	/* the log lines of what we are about to say first: none is lost
	 * to a crash once the client has heard the outcome they lead to,
	 * and the lines held since then go out in one write */
	if (reply_settles(s)) {
		msg_flush();
		s->log_due = false;
	}
	if (s->reply.len == 0)
		return 0;
	stream_write(s->s, s->reply.buf, s->reply.len);
	strbuf_reset(&s->reply);
	return stream_flush(s->s) == STREAM_OK ? 0 : -1;
}

bool session_error(struct session *s)
{
	if (++s->errors < conf_int(s->e->sec, "max_errors"))
		return false;
	session_reply(s, "421 4.7.0 %s Too many errors, closing connection", s->e->hostname);
	session_decide(s, 2, "max_errors", "disconnect", "421 4.7.0", "too many errors errors=%d",
		       s->errors);
	s->quit = true;
	return true;
}

static void reply_error(struct session *s, const char *reply)
{
	session_reply(s, "%s", reply);
	session_error(s);
}

static bool junk(struct session *s)
{
	if (++s->junk <= conf_int(s->e->sec, "max_junk_commands"))
		return false;
	session_reply(s, "421 4.7.0 %s Too many commands, closing connection",
		      s->e->hostname);
	session_decide(s, 2, "max_junk_commands", "disconnect", "421 4.7.0",
		       "too many commands junk=%d", s->junk);
	s->quit = true;
	return true;
}

/* Layer 1 on the client address (again after XCLIENT). Returns 0 to go
 * on, -1 when the client was refused (the reply is queued). */
static int layer1(struct session *s)
{
	struct connfilter_result res;
	enum connfilter_action a;

	memset(&res, 0, sizeof(res));
	a = connfilter_check(s->e->cf, s->ip, &res);
	s->allowlisted = a == CONNFILTER_ALLOW;
	s->relay_client = edge_cidr_match(s->e->relay_nets, s->e->nrelay_nets, s->ip);
	if (a == CONNFILTER_REJECT || a == CONNFILTER_TEMPFAIL) {
		session_reply(s, "%s", res.reply);
		session_decide(s, 1, "connfilter", connfilter_action_name(a), res.reply, "%s",
			       msg_q(res.reason));
		s->quit = true;
		return -1;
	}
	if (a == CONNFILTER_ALLOW || res.reason[0])
		session_decide(s, 1, "connfilter", connfilter_action_name(a), NULL, "%s",
			       msg_q(res.reason[0] ? res.reason : "no listing"));
	return 0;
}

static void greet(struct session *s)
{
	session_reply(s, "220 %s %s", s->e->hostname, conf_str(s->e->sec, "banner"));
}

static void do_ehlo(struct session *s, struct smtp_cmd *c)
{
	bool ehlo = c->verb == SMTP_EHLO;

	txn_reset(s);
	snprintf(s->helo, sizeof(s->helo), "%s", c->arg);
	s->esmtp = ehlo;
	if (!ehlo) {
		session_reply(s, "250 %s", s->e->hostname);
		return;
	}
	session_reply(s, "250-%s", s->e->hostname);
	session_reply(s, "250-PIPELINING");
	session_reply(s, "250-SIZE %lld", conf_int(s->e->sec, "message_size_limit"));
	if (s->e->tls_server && !s->tls)
		session_reply(s, "250-STARTTLS");
	if (s->trusted && conf_bool(s->e->sec, "xclient"))
		session_reply(s, "250-XCLIENT ADDR NAME HELO PROTO");
	session_reply(s, "250-ENHANCEDSTATUSCODES");
	session_reply(s, "250-8BITMIME");
	session_reply(s, "250-DSN");
	session_reply(s, "250-SMTPUTF8");
	session_reply(s, "250 CHUNKING");
}

static void do_starttls(struct session *s)
{
	size_t dropped;

	if (s->e->tls_server == NULL || s->tls) {
		reply_error(s, s->tls ? "503 5.5.1 Error: TLS already active" :
			    "502 5.5.1 Error: command not implemented");
		return;
	}
	txn_reset(s);
	session_reply(s, "220 2.0.0 Ready to start TLS");
	if (session_flush(s) < 0) {
		s->quit = true;
		return;
	}
	/* Anything pipelined behind STARTTLS came in plaintext: never take
	 * it as said over TLS (CVE-2011-0411). */
	dropped = smtp_input_discard(s->input);
	if (dropped)
		msg_warn("client pipelined after STARTTLS: dropped bytes=%zu client=%s",
			 dropped, s->ip);
	if (stream_starttls_server(s->s, s->e->tls_server, &s->tls_rep) < 0) {
		msg_warn("TLS handshake failed: %s client=%s",
			 msg_q(s->tls_rep.error ? s->tls_rep.error : stream_error(s->s)), s->ip);
		s->quit = true;
		return;
	}
	s->tls = true;
	s->helo[0] = 0;
	s->esmtp = false;
	tls_report_log(&s->tls_rep, s->ip);
}

static void do_xclient(struct session *s, struct smtp_cmd *c)
{
	struct xclient x;

	if (!s->trusted || !conf_bool(s->e->sec, "xclient")) {
		session_decide(s, 1, "xclient", "reject", "550 5.7.0", "XCLIENT from an untrusted peer");
		reply_error(s, "550 5.7.0 Error: insufficient authorization");
		return;
	}
	if (s->in_mail) {
		reply_error(s, "503 5.5.1 Error: MAIL transaction in progress");
		return;
	}
	if (xclient_parse(c->arg, &x) < 0) {
		session_reply(s, "501 5.5.4 Bad XCLIENT: %s", x.why ? x.why : "syntax error");
		session_error(s);
		return;
	}
	if (x.addr_state == XCLIENT_VALUE)
		snprintf(s->ip, sizeof(s->ip), "%s", x.addr);
	if (x.name_state == XCLIENT_VALUE)
		snprintf(s->name, sizeof(s->name), "%s", x.name);
	else if (x.name_state != XCLIENT_ABSENT)
		s->name[0] = 0;
	s->helo[0] = 0;
	s->esmtp = false;
	if (x.helo_state == XCLIENT_VALUE) {
		snprintf(s->helo, sizeof(s->helo), "%s", x.helo);
		s->esmtp = x.proto_state == XCLIENT_VALUE && strcasecmp(x.proto, "ESMTP") == 0;
	}
	msg_info("xclient: client now %s layer=1 check=xclient proxy=%s name=%s", s->ip,
		 s->real_ip, msg_q(s->name));
	msg_context("client", s->ip);
	if (layer1(s) < 0)
		return;
	greet(s);
}

static void do_vrfy(struct session *s)
{
	if (junk(s))
		return;
	session_reply(s, "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery");
}

/* One command line. */
static void command(struct session *s, struct strbuf *line)
{
	struct smtp_cmd c;

	if (smtp_cmd_parse(line->buf, line->len, &c) < 0) {
		msg_info("refused command: %s layer=2 check=syntax client=%s", msg_q(c.error), s->ip);
		reply_error(s, c.error);
		return;
	}
	switch (c.verb) {
	case SMTP_HELO:
	case SMTP_EHLO: do_ehlo(s, &c); break;
	case SMTP_MAIL: txn_mail(s, &c); break;
	case SMTP_RCPT: txn_rcpt(s, &c); break;
	case SMTP_DATA: txn_data(s); break;
	case SMTP_BDAT: txn_bdat(s, &c); break;
	case SMTP_RSET:
		if (!junk(s)) {
			txn_reset(s);
			session_reply(s, "250 2.0.0 Ok");
		}
		break;
	case SMTP_NOOP:
		if (!junk(s))
			session_reply(s, "250 2.0.0 Ok");
		break;
	case SMTP_QUIT:
		session_reply(s, "221 2.0.0 Bye");
		s->quit = true;
		s->quit_ok = true;
		break;
	case SMTP_VRFY: do_vrfy(s); break;
	case SMTP_STARTTLS: do_starttls(s); break;
	case SMTP_XCLIENT: do_xclient(s, &c); break;
	case SMTP_HELP:
		if (!junk(s))
			session_reply(s, "214 2.0.0 See RFC 5321");
		break;
	case SMTP_EXPN:
	case SMTP_AUTH:
		reply_error(s, "502 5.5.1 Error: command not implemented");
		break;
	default:
		reply_error(s, "500 5.5.2 Error: command not recognized");
		break;
	}
}

/* Reads and runs commands until QUIT, an error cap, a timeout or EOF;
 * the last reply is left queued for edge_session. */
static void loop(struct session *s)
{
	struct strbuf line = STRBUF_INIT;
	long long timeout = conf_int(s->e->sec, "timeout");
	bool crlf;
	int rc;

	while (!s->quit) {
		/* PIPELINING: answer in one write when the client waits */
		if (smtp_input_pending(s->input) == 0 && session_flush(s) < 0)
			break;
		smtp_input_set_timeout(s->input, timeout);
		rc = smtp_input_getline(s->input, &line, &crlf);
		if (rc == STREAM_TOOLONG) {
			reply_error(s, "500 5.5.2 Error: line too long");
			continue;
		}
		if (rc == STREAM_TIMEOUT) {
			session_reply(s, "421 4.4.2 %s Error: timeout exceeded", s->e->hostname);
			msg_info("disconnect: timeout layer=2 check=timeout client=%s", s->ip);
			break;
		}
		if (rc != STREAM_OK) {
			if (s->in_mail || s->hop_mail)
				msg_info("lost connection in a transaction client=%s", s->ip);
			break;
		}
		command(s, &line);
	}
	strbuf_release(&line);
}

/* PROXY header from a trusted front end, before anything else. Returns
 * 0, or -1 to drop the connection. */
static int proxy(struct session *s)
{
	struct proxy_info pi;
	const char *why = NULL;

	if (!conf_bool(s->e->sec, "proxy_protocol") || !s->trusted)
		return 0;
	if (proxy_read(s->in, conf_int(s->e->sec, "timeout"), &pi, &why) < 0) {
		msg_warn("refused: bad PROXY header: %s layer=1 check=proxy client=%s",
			 msg_q(why ? why : "?"), s->real_ip);
		return -1;
	}
	if (!pi.local)
		snprintf(s->ip, sizeof(s->ip), "%s", pi.src_ip);
	return 0;
}

static void session_init(struct session *s, struct edge *e, int in, int out,
			 const struct serve_peer *peer)
{
	static unsigned long seq;

	memset(s, 0, sizeof(*s));
	s->e = e;
	s->in = in;
	s->out = out;
	snprintf(s->real_ip, sizeof(s->real_ip), "%s", peer->host[0] ? peer->host : "unknown");
	snprintf(s->ip, sizeof(s->ip), "%s", s->real_ip);
	/* fixed widths, so that no two (time, pid, seq) read the same: a
	 * pooled worker runs many sessions a second */
	snprintf(s->id, sizeof(s->id), "%06lX%06lX%04lX", (unsigned long)time(NULL) & 0xffffff,
		 (unsigned long)getpid() & 0xffffff, seq++ & 0xffff);
	strbuf_init(&s->reply, 0);
	strbuf_init(&s->mail_from, 0);
	strbuf_init(&s->mail_params, 0);
	strbuf_init(&s->first_rcpt, 0);
	strbuf_init(&s->actions, 0);
	strbuf_init(&s->flow.buf, 0);
	smtp_reply_init(&s->hop_err);
	tls_report_init(&s->tls_rep);
	s->trusted = connfilter_trusted(e->cf, s->real_ip);
	s->pooled = serve_pooled();
}

static void session_free(struct session *s)
{
	txn_free(s);
	smtp_input_free(s->input);
	stream_free(s->s);
	strbuf_release(&s->reply);
	strbuf_release(&s->mail_from);
	strbuf_release(&s->mail_params);
	strbuf_release(&s->first_rcpt);
	strbuf_release(&s->actions);
	strbuf_release(&s->flow.buf);
	smtp_reply_clear(&s->hop_err);
	tls_report_clear(&s->tls_rep);
}

/* The stream's first timeout, which its socket's SO_RCVTIMEO starts
 * with: the shorter of the command and data timeouts when it is at least
 * half the longer one, since stream_block then keeps it for both (a read
 * under the longer one that ends early is polled for the rest), and the
 * first DATA of a session costs no setsockopt. */
static long long first_timeout(const struct edge *e)
{
	long long t = conf_int(e->sec, "timeout"), d = conf_int(e->sec, "data_timeout");

	return d < t && d >= t / 2 ? d : t;
}

/* ctx is the edge_set; the listener the client came in on picks the
 * policy (inbound, outbound). */
int edge_session(int in, int out, const struct serve_peer *peer, void *ctx)
{
	struct edge *e = edge_policy_for(ctx, peer->fdname);
	struct session s;
	long long wait;

	session_init(&s, e, in, out, peer);
	msg_context("session", s.id);
	msg_hold(1);	/* until session_flush, before each reply */
	if (proxy(&s) < 0) {
		msg_hold(0);
		session_free(&s);
		return EX_PROTOCOL;
	}
	msg_context("client", s.ip);
	msg_context("policy", e->policy);
	msg_info("connect client=%s peer=%s listener=%s", s.ip, peer->addr, msg_q(peer->fdname));
	/* the client's commands and data waited for in the read itself;
	 * the pregreet check and linger_close poll before they read */
	s.s = stream_new_blocking(in, out, first_timeout(e), conf_int(e->sec, "command_line_max"));
	stream_set_timeout(s.s, conf_int(e->sec, "timeout"));
	s.input = smtp_input_new(s.s, (size_t)conf_int(e->sec, "command_line_max"));
	if (layer1(&s) == 0) {
		wait = connfilter_pregreet_wait(e->cf);
		if (wait > 0 && !s.allowlisted && connfilter_pregreet(in, wait) == 1) {
			session_reply(&s, "554 5.5.1 %s Error: talked before the greeting",
				      e->hostname);
			session_decide(&s, 1, "pregreet", "reject", "554 5.5.1",
				       "client talked before the greeting");
			s.quit = true;
		} else {
			greet(&s);
		}
	}
	loop(&s);
	/* logged before the last reply (the 221, a 421) goes out, so that
	 * the same write takes it with the session's last other lines */
	msg_info("disconnect client=%s messages=%lu errors=%d unknown=%d", s.ip, s.msgs,
		 s.errors, s.unknown);
	session_flush(&s);
	/* After our 221 to a QUIT with nothing sent behind it, the client
	 * reads the reply and closes: no need to wait for that (a pooled
	 * worker is free for the next client a round trip sooner). */
	if (!s.quit_ok || smtp_input_pending(s.input) > 0)
		linger_close(in, out);
	msg_hold(0);
	session_free(&s);
	return EX_OK;
}

void edge_refuse(int fd, const struct serve_peer *peer, void *ctx)
{
	static const char busy[] = "421 4.3.2 Too many connections, try again later\r\n";

	if (write(fd, busy, sizeof(busy) - 1) < 0)
		return;
}
