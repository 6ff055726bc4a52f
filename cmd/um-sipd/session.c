/* One SIP connection (TCP or TLS) in its own process: the transactions
 * and dialogs of RFC 3261 a voicemail UAS needs (INVITE/100/180/200/ACK,
 * BYE, CANCEL, OPTIONS, re-INVITE, 405, 420, 481), the dial plan's
 * security rule, and the media of every call on the connection, all in
 * one poll loop. Responses go out on the connection the request came on. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "media/wav.h"
#include "sip/msg.h"
#include "sip/sdp.h"
#include "sipd.h"
#include "tls/stream.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/priv.h"

#define ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS"
#define T2_MS 4000
#define READ_MAX 16384

enum call_state { C_RINGING, C_ANSWERED, C_CONFIRMED };

struct call {
	struct call *next;
	enum call_state state;
	char *call_id;
	char *remote_tag;
	char local_tag[24];
	struct sip_msg invite;		/* the INVITE being answered */
	unsigned long invite_cseq;
	char *branch;			/* its top Via branch (CANCEL matching) */
	char *remote_target;		/* Contact of the INVITE */
	char *route;			/* Record-Route, as our route set */
	char *from_hdr, *to_hdr;	/* theirs, ours (with our tag) */
	unsigned long local_cseq;
	struct strbuf answer_sdp;
	struct strbuf last_final;	/* the 2xx being retransmitted */
	long long retx_at, retx_int, ack_deadline, answer_at;
	bool reinvite;			/* the pending 2xx answers a re-INVITE */
	bool sips;
	char number[64];
	char caller[256];
	char caller_name[128];
	char mailbox[256];
	const char *greeting_from;	/* "user", "plan", "service", "built-in" */
	const struct dial_plan *plan;
	struct call_media *media;
	time_t start;
	struct sockaddr_storage addr;	/* UDP: the gateway */
	socklen_t addr_len;
};

struct session {
	struct sipd *d;
	const struct serve_peer *peer;
	struct stream *s;		/* TCP or TLS; NULL over UDP */
	struct strbuf out;		/* what the next flush sends */
	int udp;			/* the UDP socket, or -1 */
	struct sockaddr_storage dest;	/* UDP: where the next flush goes */
	socklen_t dest_len;
	struct sip_reader rd;
	bool tls;
	struct tls_report rep;
	X509 *peer_cert;		/* borrowed from the SSL */
	char local_host[64];
	unsigned local_port;
	struct call *calls;
	size_t ncalls;
	long long last_active;
	bool dead;
};

/* --- sending --- */

/* Sends what was written: on the connection, or as one datagram. */
static void flush(struct session *ss)
{
	if (ss->out.len == 0)
		return;
	if (ss->s == NULL) {
		if (sendto(ss->udp, ss->out.buf, ss->out.len, 0, (struct sockaddr *)&ss->dest,
			   ss->dest_len) < 0)
			msg_warn("cannot send to %s: %s", ss->peer->addr, strerror(errno));
		strbuf_reset(&ss->out);
		return;
	}
	stream_write(ss->s, ss->out.buf, ss->out.len);
	strbuf_reset(&ss->out);
	stream_set_timeout(ss->s, 5000);
	if (stream_flush(ss->s) != STREAM_OK) {
		msg_warn("cannot write to %s: %s", ss->peer->addr, stream_error(ss->s));
		ss->dead = true;
	}
}

static void out_printf(struct session *ss, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(struct session *ss, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&ss->out, fmt, ap);
	va_end(ap);
}

/* Over UDP, what a call sends goes to its gateway. */
static void dest_call(struct session *ss, const struct call *c)
{
	if (ss->s == NULL && c->addr_len) {
		ss->dest = c->addr;
		ss->dest_len = c->addr_len;
	}
}

static const char *transport(const struct session *ss)
{
	return ss->s == NULL ? "UDP" : ss->tls ? "TLS" : "TCP";
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char b[16];

	if (bytes > sizeof(b))
		bytes = sizeof(b);
	if (getrandom(b, bytes, 0) != (ssize_t)bytes)
		memset(b, 0x5a, bytes);
	for (size_t i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void contact(const struct session *ss, bool sips, struct strbuf *out)
{
	strbuf_addf(out, "Contact: <%s:um@%s:%u%s>\r\n", sips ? "sips" : "sip", ss->local_host,
		    ss->local_port, sips ? "" : ss->s == NULL ? ";transport=udp" :
		    ss->tls ? ";transport=tls" : ";transport=tcp");
}

/* A response to req; to_tag is added to To when it has none. extra holds
 * more header lines (each with CRLF). */
static void response_build(const struct session *ss, const struct sip_msg *req, int code,
			   const char *to_tag, const char *extra, const char *ctype,
			   const char *body, size_t blen, struct strbuf *out)
{
	const char *v, *to = sip_msg_get(req, "To");
	char tag[256];

	strbuf_addf(out, "SIP/2.0 %d %s\r\n", code, sip_reason(code));
	for (size_t i = 0; (v = sip_msg_get_nth(req, "Via", i)) != NULL; i++)
		strbuf_addf(out, "Via: %s\r\n", v);
	strbuf_addf(out, "From: %s\r\n", sip_msg_get(req, "From"));
	if (to_tag && code > 100 && sip_addr_param(to, "tag", tag, sizeof(tag)) < 0)
		strbuf_addf(out, "To: %s;tag=%s\r\n", to, to_tag);
	else
		strbuf_addf(out, "To: %s\r\n", to);
	strbuf_addf(out, "Call-ID: %s\r\nCSeq: %s\r\n", sip_msg_get(req, "Call-ID"),
		    sip_msg_get(req, "CSeq"));
	strbuf_addstr(out, "Server: postern-um-sipd/" POSTERN_VERSION "\r\n");
	if (extra)
		strbuf_addstr(out, extra);
	(void)ss;
	if (ctype && blen)
		strbuf_addf(out, "Content-Type: %s\r\n", ctype);
	strbuf_addf(out, "Content-Length: %zu\r\n\r\n", blen);
	if (blen)
		strbuf_add(out, body, blen);
}

static void respond(struct session *ss, const struct sip_msg *req, int code,
		    const char *to_tag, const char *extra)
{
	struct strbuf out = STRBUF_INIT;

	response_build(ss, req, code, to_tag, extra, NULL, NULL, 0, &out);
	strbuf_add(&ss->out, out.buf, out.len);
	strbuf_release(&out);
	flush(ss);
}

/* --- calls --- */

static struct call *call_find(struct session *ss, const char *call_id, const char *local_tag)
{
	for (struct call *c = ss->calls; c; c = c->next)
		if (strcmp(c->call_id, call_id) == 0 &&
		    (local_tag == NULL || strcmp(c->local_tag, local_tag) == 0))
			return c;
	return NULL;
}

static void call_free(struct call *c)
{
	free(c->call_id);
	free(c->remote_tag);
	free(c->branch);
	free(c->remote_target);
	free(c->route);
	free(c->from_hdr);
	free(c->to_hdr);
	sip_msg_free(&c->invite);
	strbuf_release(&c->answer_sdp);
	strbuf_release(&c->last_final);
	call_media_free(c->media);
	free(c);
}

static void call_unlink(struct session *ss, struct call *c)
{
	for (struct call **p = &ss->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			ss->ncalls--;
			break;
		}
	call_free(c);
}

/* Ends a call: the recording (if any) goes to the spool. */
static void call_end(struct session *ss, struct call *c, const char *why)
{
	struct recording r;
	size_t n = 0;
	const int16_t *pcm = c->media ? call_media_recording(c->media, &n) : NULL;
	long long ms = (long long)n / 8;

	unsigned long in = 0, bad = 0, early = 0;

	if (c->media)
		call_media_stats(c->media, &in, &bad, &early);
	msg_info("call ended call_id=%s number=%s reason=%s recorded_ms=%lld rtp_in=%lu "
		 "rtp_refused=%lu rtp_before_recording=%lu", msg_q(c->call_id), c->number,
		 msg_q(why), ms, in, bad, early);
	if (c->state == C_CONFIRMED && c->media) {
		if (ms < ss->d->min_length_ms || n == 0) {
			msg_info("recording dropped: shorter than min_length call_id=%s duration_ms=%lld",
				 msg_q(c->call_id), ms);
		} else {
			r = (struct recording){ .pcm = pcm, .samples = n, .caller = c->caller,
						.caller_name = c->caller_name, .called = c->number,
						.mailbox = c->mailbox, .start = c->start };
			if (spool_add(ss->d, &r) == 0)
				spool_kick(ss->d);
		}
	}
	call_unlink(ss, c);
}

/* BYE from us: the route set and our own CSeq (RFC 3261 12.2.1.1). */
static void send_bye(struct session *ss, struct call *c, const char *reason)
{
	char branch[40];

	random_hex(branch, 8);
	dest_call(ss, c);
	out_printf(ss, "BYE %s SIP/2.0\r\n", c->remote_target);
	out_printf(ss, "Via: SIP/2.0/%s %s:%u;branch=z9hG4bK%s\r\n", transport(ss),
		   ss->local_host, ss->local_port, branch);
	out_printf(ss, "Max-Forwards: 70\r\n");
	if (c->route)
		out_printf(ss, "Route: %s\r\n", c->route);
	out_printf(ss, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %lu BYE\r\n",
		   c->to_hdr, c->from_hdr, c->call_id, ++c->local_cseq);
	out_printf(ss, "Reason: SIP;cause=200;text=\"%s\"\r\n", reason);
	out_printf(ss, "Content-Length: 0\r\n\r\n");
	flush(ss);
	msg_info("sent BYE call_id=%s reason=%s", msg_q(c->call_id), msg_q(reason));
}

static void send_final(struct session *ss, struct call *c)
{
	dest_call(ss, c);
	strbuf_add(&ss->out, c->last_final.buf, c->last_final.len);
	flush(ss);
}

/* The 200 with our SDP, retransmitted until ACK (RFC 3261 13.3.1.4). */
static void call_answer(struct session *ss, struct call *c)
{
	struct strbuf extra = STRBUF_INIT;
	const char *rr;

	contact(ss, c->sips, &extra);
	for (size_t i = 0; (rr = sip_msg_get_nth(&c->invite, "Record-Route", i)) != NULL; i++)
		strbuf_addf(&extra, "Record-Route: %s\r\n", rr);
	strbuf_addstr(&extra, "Allow: " ALLOW "\r\n");
	strbuf_reset(&c->last_final);
	response_build(ss, &c->invite, 200, c->local_tag, extra.buf, "application/sdp",
		       c->answer_sdp.buf, c->answer_sdp.len, &c->last_final);
	strbuf_release(&extra);
	send_final(ss, c);
	if (!c->reinvite)
		c->state = C_ANSWERED;
	c->retx_int = ss->d->t1_ms;
	c->retx_at = now_ms() + c->retx_int;
	c->ack_deadline = now_ms() + 64 * ss->d->t1_ms;
}

/* --- the dial plan's rule --- */

static bool addr_listed(const struct dial_plan *p, const char *host)
{
	for (size_t i = 0; i < p->naddresses; i++)
		if (strcmp(p->addresses[i], host) == 0)
			return true;
	return false;
}

/* NULL when the call may be taken, else why not. */
static const char *plan_refusal(struct session *ss, const struct dial_plan *p, char *why,
				size_t whylen)
{
	bool secure = p ? p->security != PLAN_UNSECURED : ss->d->start_secured;
	const char *name = p ? p->name : "(none)";
	char matched[256];

	if (!secure) {
		if (p && p->naddresses && !addr_listed(p, ss->peer->host)) {
			snprintf(why, whylen, "address %s is not a gateway of dial plan %s",
				 ss->peer->host, name);
			return why;
		}
		return NULL;
	}
	if (!ss->tls) {
		snprintf(why, whylen, "dial plan %s needs mutual TLS, the call came over TCP", name);
		return why;
	}
	if (ss->peer_cert == NULL) {
		snprintf(why, whylen, "no client certificate (dial plan %s needs mutual TLS)", name);
		return why;
	}
	if (!ss->rep.chain_ok) {
		snprintf(why, whylen, "client certificate chain does not verify: %s",
			 ss->rep.verify_text ? ss->rep.verify_text : "unknown error");
		return why;
	}
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->ngateways; i++)
		if (tls_name_match(ss->peer_cert, p->gateways[i], TLS_NAMES_SIP, matched,
				   sizeof(matched)) == 1)
			return NULL;
	tls_name_match(ss->peer_cert, p->gateways[0], TLS_NAMES_SIP, matched, sizeof(matched));
	snprintf(why, whylen, "certificate names none of the gateways of dial plan %s: %s",
		 name, matched);
	return why;
}

/* The mailbox for the number; 0, or the status to refuse with. */
static int mailbox_for(struct session *ss, const struct dial_plan *p, const char *number,
		       char *out, size_t outlen)
{
	struct dir_entry *e = NULL;
	enum dir_status st = dir_lookup_phone(ss->d->dir, number, &e);
	const char *mail = e ? dir_entry_str(e, "mail") : NULL;
	const char *ca = p && p->catch_all ? p->catch_all : ss->d->catch_all;

	if (st == DIR_TEMPFAIL) {
		msg_warn("directory lookup failed number=%s: %s", number, dir_error(ss->d->dir));
		return 503;
	}
	if (st == DIR_OK && mail) {
		snprintf(out, outlen, "%s", mail);
		dir_entry_free(e);
		return 0;
	}
	dir_entry_free(e);
	if (ca) {
		msg_info("extension not in the directory, to the catch-all number=%s mailbox=%s",
			 number, ca);
		snprintf(out, outlen, "%s", ca);
		return 0;
	}
	return 404;
}

static void refuse(struct session *ss, const struct sip_msg *req, int code, const char *why)
{
	struct strbuf extra = STRBUF_INIT;
	char tag[24];

	random_hex(tag, 6);
	strbuf_addf(&extra, "Warning: 399 %s \"%s\"\r\n", ss->local_host, why);
	if (code == 503)
		strbuf_addstr(&extra, "Retry-After: 60\r\n");
	respond(ss, req, code, tag, extra.buf);
	strbuf_release(&extra);
}

static const int16_t *user_greeting(struct session *ss, const char *number, int16_t **own,
				    size_t *len)
{
	char path[4096];

	*own = NULL;
	if (ss->d->greetings_dir[0]) {
		char why[128];
		struct wav_info info;

		snprintf(path, sizeof(path), "%s/%s.wav", ss->d->greetings_dir, number);
		if (access(path, R_OK) == 0) {
			if (wav_read_file(path, &info, own, why, sizeof(why)) == 0 && info.rate == 8000) {
				*len = info.samples;
				return *own;
			}
			msg_warn("cannot use greeting '%s': %s", path,
				 *own ? "not 8000 Hz" : why);
			free(*own);
			*own = NULL;
		}
	}
	return NULL;
}

static void new_call(struct session *ss, struct sip_msg *m)
{
	const char *to = sip_msg_get(m, "To"), *from = sip_msg_get(m, "From");
	const char *ctype = sip_msg_get(m, "Content-Type"), *refusal;
	char user[64], why[512], fromtag[128], uri[512];
	char *num;
	const struct dial_plan *p;
	struct sdp offer;
	struct call_media_opts mo;
	struct call *c;
	int code;
	bool late;

	respond(ss, m, 100, NULL, NULL);
	if (ss->ncalls >= ss->d->max_calls) {
		refuse(ss, m, 486, "too many calls on this connection");
		return;
	}
	if (sip_uri_user(m->uri, user, sizeof(user)) < 0 &&
	    (sip_addr_uri(to, uri, sizeof(uri)) < 0 || sip_uri_user(uri, user, sizeof(user)) < 0)) {
		msg_info("call refused status=404 reason=\"no number in the request\"");
		refuse(ss, m, 404, "no number in the request");
		return;
	}
	if ((num = dir_phone_normalise(user)) == NULL) {
		snprintf(why, sizeof(why), "'%s' is not a number", user);
		msg_info("call refused status=404 reason=%s", msg_q(why));
		refuse(ss, m, 404, why);
		return;
	}
	p = sipd_plan_for(ss->d, num);
	if (p == NULL && ss->d->nplans) {
		snprintf(why, sizeof(why), "number %s is in no dial plan", num);
		msg_info("call refused status=404 number=%s reason=%s", num, msg_q(why));
		refuse(ss, m, 404, why);
		free(num);
		return;
	}
	if ((refusal = plan_refusal(ss, p, why, sizeof(why))) != NULL) {
		msg_warn("call refused status=403 number=%s plan=%s security=%s reason=%s",
			 num, p ? p->name : "-", p ? plan_security_name(p->security) :
			 ss->d->start_secured ? "secured" : "unsecured", msg_q(refusal));
		refuse(ss, m, 403, refusal);
		free(num);
		return;
	}
	late = m->body_len == 0;
	if (!late && (ctype == NULL || strncasecmp(ctype, "application/sdp", 15) != 0 ||
		      sdp_parse(m->body, m->body_len, &offer, why, sizeof(why)) < 0)) {
		if (ctype == NULL || strncasecmp(ctype, "application/sdp", 15) != 0)
			snprintf(why, sizeof(why), "the INVITE's body is not SDP");
		msg_info("call refused status=488 number=%s reason=%s", num, msg_q(why));
		refuse(ss, m, 488, why);
		free(num);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	strbuf_init(&c->answer_sdp, 0);
	strbuf_init(&c->last_final, 0);
	snprintf(c->number, sizeof(c->number), "%s", num);
	free(num);
	code = mailbox_for(ss, p, c->number, c->mailbox, sizeof(c->mailbox));
	if (code) {
		snprintf(why, sizeof(why), code == 404 ? "extension %s is not in the directory" :
			 "directory unavailable for %s", c->number);
		msg_info("call refused status=%d number=%s reason=%s", code, c->number, msg_q(why));
		refuse(ss, m, code, why);
		call_free(c);
		return;
	}
	memset(&mo, 0, sizeof(mo));
	mo.address = ss->d->media_address[0] ? ss->d->media_address : ss->local_host;
	mo.require_srtp = p ? p->security == PLAN_SECURED : ss->d->start_secured;
	mo.greeting = p && p->greeting ? p->greeting : ss->d->greeting;
	mo.greeting_len = p && p->greeting ? p->greeting_len : ss->d->greeting_len;
	c->greeting_from = p && p->greeting ? "plan" : ss->d->greeting_builtin ? "built-in" :
		ss->d->greeting_len ? "service" : "none";
	{
		int16_t *own;
		size_t len = 0;
		const int16_t *g = user_greeting(ss, c->number, &own, &len);

		if (g) {
			mo.greeting = g;
			mo.greeting_len = len;
			c->greeting_from = "user";
		}
		c->media = call_media_new(ss->d, &mo, late ? NULL : &offer, &c->answer_sdp, why,
					  sizeof(why), &code);
		free(own);
	}
	if (c->media == NULL) {
		msg_info("call refused status=%d number=%s reason=%s", code, c->number, msg_q(why));
		refuse(ss, m, code, why);
		call_free(c);
		return;
	}
	c->call_id = xstrdup(sip_msg_get(m, "Call-ID"));
	c->remote_tag = xstrdup(sip_addr_param(from, "tag", fromtag, sizeof(fromtag)) == 0 ?
				fromtag : "");
	random_hex(c->local_tag, 8);
	c->invite = *m;
	memset(m, 0, sizeof(*m));
	{
		const char *cs = sip_msg_get(&c->invite, "CSeq"), *ct = sip_msg_get(&c->invite, "Contact");
		char meth[16], b[128];

		sip_cseq_parse(cs, &c->invite_cseq, meth, sizeof(meth));
		c->branch = xstrdup(sip_addr_param(sip_msg_get(&c->invite, "Via"), "branch", b,
						   sizeof(b)) == 0 ? b : "");
		c->remote_target = xstrdup(ct && sip_addr_uri(ct, uri, sizeof(uri)) == 0 ? uri :
					   c->invite.uri);
	}
	{
		struct strbuf rs = STRBUF_INIT;
		const char *rr;

		for (size_t i = 0; (rr = sip_msg_get_nth(&c->invite, "Record-Route", i)) != NULL; i++)
			strbuf_addf(&rs, "%s%s", i ? ", " : "", rr);
		c->route = rs.len ? strbuf_detach(&rs, NULL) : NULL;
		strbuf_release(&rs);
	}
	c->from_hdr = xstrdup(from);
	c->to_hdr = xasprintf("%s;tag=%s", to, c->local_tag);
	c->sips = sip_uri_is_sips(c->invite.uri);
	if (sip_addr_uri(from, c->caller, sizeof(c->caller)) < 0)
		snprintf(c->caller, sizeof(c->caller), "unknown");
	{
		const char *q1 = strchr(from, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;

		if (q1 && q2 && q2 - q1 - 1 < (long)sizeof(c->caller_name))
			snprintf(c->caller_name, sizeof(c->caller_name), "%.*s", (int)(q2 - q1 - 1), q1 + 1);
	}
	c->plan = p;
	c->start = time(NULL);
	c->addr = ss->dest;
	c->addr_len = ss->dest_len;
	c->state = C_RINGING;
	c->next = ss->calls;
	ss->calls = c;
	ss->ncalls++;
	msg_info("call from=%s number=%s mailbox=%s plan=%s security=%s transport=%s srtp=%s "
		 "greeting=%s", msg_q(c->caller), c->number, msg_q(c->mailbox), p ? p->name : "-",
		 p ? plan_security_name(p->security) : ss->d->start_secured ? "secured" : "unsecured",
		 ss->s == NULL ? "udp" : ss->tls ? "tls" : "tcp", call_media_secure(c->media) ? "yes" : "no",
		 c->greeting_from);
	{
		struct strbuf extra = STRBUF_INIT;
		const char *rr;

		contact(ss, c->sips, &extra);
		for (size_t i = 0; (rr = sip_msg_get_nth(&c->invite, "Record-Route", i)) != NULL; i++)
			strbuf_addf(&extra, "Record-Route: %s\r\n", rr);
		respond(ss, &c->invite, 180, c->local_tag, extra.buf);
		strbuf_release(&extra);
	}
	if (ss->d->answer_delay_ms == 0)
		call_answer(ss, c);
	else
		c->answer_at = now_ms() + ss->d->answer_delay_ms;
}

/* --- requests --- */

static bool require_ok(struct session *ss, const struct sip_msg *m)
{
	const char *req = sip_msg_get(m, "Require");
	struct strbuf extra = STRBUF_INIT;

	if (req == NULL || strcmp(m->method, "ACK") == 0 || strcmp(m->method, "CANCEL") == 0)
		return true;
	/* We support no extension a Require can name. */
	strbuf_addf(&extra, "Unsupported: %s\r\n", req);
	msg_info("request refused status=420 method=%s require=%s", m->method, msg_q(req));
	respond(ss, m, 420, NULL, extra.buf);
	strbuf_release(&extra);
	return false;
}

static void on_invite(struct session *ss, struct sip_msg *m)
{
	char tag[128];
	const char *cid = sip_msg_get(m, "Call-ID");
	struct call *c;

	if (sip_addr_param(sip_msg_get(m, "To"), "tag", tag, sizeof(tag)) == 0) {
		/* re-INVITE: a session refresh gets the same SDP (RFC 4028) */
		c = call_find(ss, cid, tag);
		if (c == NULL) {
			respond(ss, m, 481, NULL, NULL);
			return;
		}
		respond(ss, m, 100, NULL, NULL);
		sip_msg_free(&c->invite);
		c->invite = *m;
		memset(m, 0, sizeof(*m));
		{
			char meth[16];

			sip_cseq_parse(sip_msg_get(&c->invite, "CSeq"), &c->invite_cseq, meth, sizeof(meth));
		}
		c->reinvite = true;
		msg_info("re-INVITE answered with the same SDP call_id=%s", msg_q(cid));
		call_answer(ss, c);
		return;
	}
	if ((c = call_find(ss, cid, NULL)) != NULL) {
		/* a retransmission of an INVITE we are answering */
		if (c->last_final.len)
			send_final(ss, c);
		else
			respond(ss, m, 100, NULL, NULL);
		return;
	}
	new_call(ss, m);
}

static void on_ack(struct session *ss, struct sip_msg *m)
{
	char tag[128], meth[16];
	unsigned long n;
	struct call *c;

	if (sip_addr_param(sip_msg_get(m, "To"), "tag", tag, sizeof(tag)) < 0 ||
	    (c = call_find(ss, sip_msg_get(m, "Call-ID"), tag)) == NULL)
		return;
	if (sip_cseq_parse(sip_msg_get(m, "CSeq"), &n, meth, sizeof(meth)) < 0 || n != c->invite_cseq)
		return;
	if (c->state == C_ANSWERED && call_media_pending(c->media)) {
		char why[SDP_WHY_MAX + 32];

		c->retx_at = c->ack_deadline = 0;
		if (call_media_answer(c->media, m->body, m->body_len, why, sizeof(why)) < 0) {
			/* RFC 3261 13.3.1.4: a bad answer in the ACK ends the call */
			msg_warn("call ended: bad SDP answer in the ACK call_id=%s reason=%s",
				 msg_q(c->call_id), msg_q(why));
			send_bye(ss, c, "bad SDP answer");
			call_end(ss, c, "bad-answer");
			return;
		}
	}
	if (c->state == C_ANSWERED) {
		c->state = C_CONFIRMED;
		call_media_start(c->media);
		msg_info("call confirmed call_id=%s", msg_q(c->call_id));
	}
	c->reinvite = false;
	c->retx_at = c->ack_deadline = 0;
}

static void on_bye(struct session *ss, struct sip_msg *m)
{
	char tag[128];
	struct call *c;

	if (sip_addr_param(sip_msg_get(m, "To"), "tag", tag, sizeof(tag)) < 0 ||
	    (c = call_find(ss, sip_msg_get(m, "Call-ID"), tag)) == NULL) {
		respond(ss, m, 481, NULL, NULL);
		return;
	}
	respond(ss, m, 200, NULL, NULL);
	if (c->state == C_ANSWERED)
		c->state = C_CONFIRMED;	/* a BYE confirms the answer as an ACK would */
	call_end(ss, c, "bye");
}

static void on_cancel(struct session *ss, struct sip_msg *m)
{
	char b[128], meth[16];
	unsigned long n;
	struct call *c = call_find(ss, sip_msg_get(m, "Call-ID"), NULL);

	if (c == NULL || sip_addr_param(sip_msg_get(m, "Via"), "branch", b, sizeof(b)) < 0 ||
	    strcmp(b, c->branch) != 0 ||
	    sip_cseq_parse(sip_msg_get(m, "CSeq"), &n, meth, sizeof(meth)) < 0 ||
	    n != c->invite_cseq) {
		respond(ss, m, 481, NULL, NULL);
		return;
	}
	respond(ss, m, 200, c->local_tag, NULL);
	if (c->state != C_RINGING)
		return;		/* answered already: the caller sends BYE */
	respond(ss, &c->invite, 487, c->local_tag, NULL);
	msg_info("call cancelled call_id=%s", msg_q(c->call_id));
	call_end(ss, c, "cancel");
}

static void on_options(struct session *ss, struct sip_msg *m)
{
	struct strbuf extra = STRBUF_INIT;

	strbuf_addstr(&extra, "Allow: " ALLOW "\r\nAccept: application/sdp\r\nSupported: \r\n");
	contact(ss, sip_uri_is_sips(m->uri), &extra);
	respond(ss, m, 200, NULL, extra.buf);
	strbuf_release(&extra);
}

static void on_request(struct session *ss, struct sip_msg *m)
{
	char meth[32];
	unsigned long n;

	if (!sip_msg_get(m, "Via") || !sip_msg_get(m, "From") || !sip_msg_get(m, "To") ||
	    !sip_msg_get(m, "Call-ID") || !sip_msg_get(m, "CSeq") ||
	    sip_cseq_parse(sip_msg_get(m, "CSeq"), &n, meth, sizeof(meth)) < 0 ||
	    strcmp(meth, m->method) != 0) {
		msg_info("request refused status=400 method=%s reason=\"missing or bad header\"",
			 msg_q(m->method));
		if (sip_msg_get(m, "Via") && sip_msg_get(m, "From") && sip_msg_get(m, "To") &&
		    sip_msg_get(m, "Call-ID") && sip_msg_get(m, "CSeq"))
			respond(ss, m, 400, NULL, NULL);
		return;
	}
	msg_debug("request %s %s call_id=%s", m->method, msg_q(m->uri),
		  msg_q(sip_msg_get(m, "Call-ID")));
	if (!require_ok(ss, m))
		return;
	if (strcmp(m->method, "INVITE") == 0)
		on_invite(ss, m);
	else if (strcmp(m->method, "ACK") == 0)
		on_ack(ss, m);
	else if (strcmp(m->method, "BYE") == 0)
		on_bye(ss, m);
	else if (strcmp(m->method, "CANCEL") == 0)
		on_cancel(ss, m);
	else if (strcmp(m->method, "OPTIONS") == 0)
		on_options(ss, m);
	else {
		msg_info("request refused status=405 method=%s", msg_q(m->method));
		respond(ss, m, 405, NULL, "Allow: " ALLOW "\r\n");
	}
}

/* --- the loop --- */

static void read_conn(struct session *ss)
{
	char buf[READ_MAX], why[SIP_WHY_MAX];
	size_t got = 0;
	struct sip_msg m;
	int rc, k;

	stream_set_timeout(ss->s, 200);
	rc = stream_read_some(ss->s, buf, sizeof(buf), &got);
	if (rc == STREAM_TIMEOUT)
		return;
	if (rc != STREAM_OK) {
		if (rc == STREAM_ERR)
			msg_info("connection error: %s", stream_error(ss->s));
		ss->dead = true;
		return;
	}
	ss->last_active = now_ms();
	sip_reader_feed(&ss->rd, buf, got);
	while (!ss->dead && (k = sip_reader_next(&ss->rd, &m, why, sizeof(why))) != 0) {
		if (k < 0) {
			msg_warn("cannot frame SIP from %s: %s; closing", ss->peer->addr, why);
			out_printf(ss, "SIP/2.0 %d %s\r\nContent-Length: 0\r\n\r\n",
				      strstr(why, "too") ? 513 : 400, strstr(why, "too") ?
				      "Message Too Large" : "Bad Request");
			flush(ss);
			ss->dead = true;
			break;
		}
		if (k == SIP_READER_PING) {
			out_printf(ss, "\r\n");	/* the pong */
			flush(ss);
			continue;
		}
		if (m.request)
			on_request(ss, &m);
		else
			msg_debug("response %d to our request call_id=%s", m.status,
				  msg_q(sip_msg_get(&m, "Call-ID")));
		sip_msg_free(&m);
	}
}

static volatile sig_atomic_t udp_stop;

static void on_udp_term(int sig)
{
	(void)sig;
	udp_stop = 1;
}

static long long min_pos(long long a, long long b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* Runs the calls' timers; returns the next deadline (0: none). */
static long long timers(struct session *ss)
{
	long long now = now_ms(), next = 0;
	struct call *c, *nx;

	for (c = ss->calls; c; c = nx) {
		const char *end;

		nx = c->next;
		if (c->state == C_RINGING && c->answer_at && now >= c->answer_at) {
			c->answer_at = 0;
			call_answer(ss, c);
		}
		if (c->ack_deadline && now >= c->ack_deadline) {
			msg_warn("no ACK for our 2xx call_id=%s; ending the call", msg_q(c->call_id));
			send_bye(ss, c, "no ACK");
			call_end(ss, c, "no-ack");
			continue;
		}
		if (c->retx_at && now >= c->retx_at) {
			send_final(ss, c);
			c->retx_int = c->retx_int * 2 > T2_MS ? T2_MS : c->retx_int * 2;
			c->retx_at = now + c->retx_int;
		}
		if (c->state == C_CONFIRMED && (end = call_media_tick(c->media, now)) != NULL) {
			send_bye(ss, c, end);
			call_end(ss, c, end);
			continue;
		}
		next = min_pos(next, c->answer_at);
		next = min_pos(next, c->ack_deadline);
		next = min_pos(next, c->retx_at);
		if (c->state == C_CONFIRMED)
			next = min_pos(next, call_media_next(c->media));
	}
	return next;
}

/* UDP: one datagram is one message, from whoever sent it. */
static void read_udp(struct session *ss, struct serve_peer *peer)
{
	char buf[SIP_HEAD_MAX + SIP_BODY_MAX], why[SIP_WHY_MAX];
	struct sip_msg m;

	for (int i = 0; i < 64; i++) {
		socklen_t fl = sizeof(ss->dest);
		ssize_t n = recvfrom(ss->udp, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&ss->dest, &fl);

		if (n < 0)
			return;
		ss->dest_len = fl;
		sockaddr_format((struct sockaddr *)&ss->dest, fl, peer->addr, sizeof(peer->addr));
		sockaddr_host_port((struct sockaddr *)&ss->dest, fl, peer->host, sizeof(peer->host),
				   &peer->port);
		msg_context("peer", peer->addr);
		if (n == 0 || (n <= 4 && strspn(buf, "\r\n") == (size_t)n))
			continue;	/* keep-alive */
		if (sip_msg_parse(buf, (size_t)n, &m, why, sizeof(why)) < 0) {
			msg_info("datagram dropped: %s", why);
			continue;
		}
		if (m.request)
			on_request(ss, &m);
		sip_msg_free(&m);
	}
}

static void run(struct session *ss, struct serve_peer *udp_peer)
{
	struct pollfd *pf = NULL;
	struct call **who = NULL;
	size_t cap = 0;

	ss->last_active = now_ms();
	while (!ss->dead) {
		long long next = timers(ss), now = now_ms(), wait;
		bool buffered = ss->s && stream_buffered(ss->s);
		size_t n = 1, i;
		struct call *c;
		int r;

		if (ss->dead)
			break;
		if (ss->s && ss->ncalls == 0 && now - ss->last_active >= ss->d->idle_timeout_ms) {
			msg_info("closing idle connection");
			break;
		}
		if (ss->s)
			next = min_pos(next, ss->ncalls ? 0 : ss->last_active + ss->d->idle_timeout_ms);
		wait = next ? next - now : 1000;
		if (wait < 0)
			wait = 0;
		if (cap < ss->ncalls + 1) {
			cap = ss->ncalls + 16;
			pf = xrealloc(pf, cap * sizeof(*pf));
			who = xrealloc(who, cap * sizeof(*who));
		}
		pf[0] = (struct pollfd){ .fd = ss->s ? stream_rfd(ss->s) : ss->udp, .events = POLLIN };
		for (c = ss->calls; c; c = c->next) {
			pf[n] = (struct pollfd){ .fd = call_media_fd(c->media), .events = POLLIN };
			who[n++] = c;
		}
		r = poll(pf, n, buffered ? 0 : (int)wait);
		if (r < 0 && errno != EINTR) {
			msg_warn("poll: %s", strerror(errno));
			break;
		}
		if (r < 0 && ss->s == NULL && udp_stop)
			break;
		/* signalling first: an ACK and the caller's first packets often
		 * arrive together, and the packets belong to the confirmed call */
		if (ss->s == NULL) {
			if (r > 0 && (pf[0].revents & POLLIN))
				read_udp(ss, udp_peer);
		} else if ((r > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) || buffered) {
			read_conn(ss);
		}
		for (i = 1; i < n; i++) {
			for (c = ss->calls; c && c != who[i]; c = c->next)
				;
			if (c && (pf[i].revents & POLLIN))
				call_media_read(c->media);
		}
	}
	free(pf);
	free(who);
}

static void local_split(struct session *ss)
{
	const char *l = ss->peer->local, *colon = strrchr(l, ':');

	snprintf(ss->local_host, sizeof(ss->local_host), "127.0.0.1");
	ss->local_port = 5060;
	if (colon == NULL)
		return;
	if (l[0] == '[' && colon > l + 1 && colon[-1] == ']')
		snprintf(ss->local_host, sizeof(ss->local_host), "%.*s", (int)(colon - l - 2), l + 1);
	else
		snprintf(ss->local_host, sizeof(ss->local_host), "%.*s", (int)(colon - l), l);
	ss->local_port = (unsigned)atoi(colon + 1);
}

static bool is_tls_listener(const struct sipd *d, const char *name)
{
	for (size_t i = 0; i < d->ntls_listeners; i++)
		if (strcmp(d->tls_listeners[i], name) == 0)
			return true;
	return false;
}

int sipd_session(int in, int out, const struct serve_peer *peer, void *ctx)
{
	struct session ss;

	memset(&ss, 0, sizeof(ss));
	ss.d = ctx;
	ss.peer = peer;
	ss.udp = -1;
	strbuf_init(&ss.out, 0);
	local_split(&ss);
	msg_context("peer", peer->addr);
	ss.s = stream_new(in, out, 10000, SIP_HEAD_MAX);
	sip_reader_init(&ss.rd);
	tls_report_init(&ss.rep);
	if (is_tls_listener(ss.d, peer->fdname)) {
		if (ss.d->tls == NULL) {
			msg_error("listener %s is TLS but no certificate is set", peer->fdname);
			goto out;
		}
		if (stream_starttls_server(ss.s, ss.d->tls, &ss.rep) < 0) {
			tls_report_log(&ss.rep, peer->addr);
			goto out;
		}
		ss.tls = true;
		ss.peer_cert = SSL_get0_peer_certificate(stream_ssl(ss.s));
		tls_report_log(&ss.rep, peer->addr);
	}
	run(&ss, NULL);
	while (ss.calls)
		call_end(&ss, ss.calls, "connection closed");
out:
	sip_reader_clear(&ss.rd);
	strbuf_release(&ss.out);
	stream_free(ss.s);
	tls_report_clear(&ss.rep);
	if (in >= 0)
		close(in);
	if (out != in && out >= 0)
		close(out);
	return 0;
}

int sipd_udp_serve(struct sipd *d, const char *addr, const char *user)
{
	struct session ss;
	struct serve_peer peer;
	struct sockaddr_any sa[2];
	struct sigaction act = { .sa_handler = on_udp_term };
	const char *why;

	memset(&ss, 0, sizeof(ss));
	memset(&peer, 0, sizeof(peer));
	if (sockaddr_parse(addr, sa, &why) != 1 || sa[0].ss.ss_family == AF_UNIX) {
		msg_error("bad udp_listen address '%s': %s", addr,
			  sa[0].ss.ss_family == AF_UNIX ? "not an IP address" : why);
		return 78;
	}
	ss.udp = socket(sa[0].ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ss.udp < 0 || bind(ss.udp, (struct sockaddr *)&sa[0].ss, sa[0].len) < 0) {
		msg_error("cannot listen on UDP %s: %s", addr, strerror(errno));
		return 69;
	}
	if (priv_drop(user) < 0)
		return 71;
	sigemptyset(&act.sa_mask);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* the delivery children reap themselves */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	msg_info("listening addr=%s transport=udp", addr);
	d->spooler = 0;		/* deliver each recording in a child of ours */
	ss.d = d;
	ss.peer = &peer;
	snprintf(peer.local, sizeof(peer.local), "%s", addr);
	snprintf(peer.fdname, sizeof(peer.fdname), "udp");
	local_split(&ss);
	strbuf_init(&ss.out, 0);
	sip_reader_init(&ss.rd);
	tls_report_init(&ss.rep);
	run(&ss, &peer);
	while (ss.calls)
		call_end(&ss, ss.calls, "stopping");
	sip_reader_clear(&ss.rd);
	strbuf_release(&ss.out);
	tls_report_clear(&ss.rep);
	close(ss.udp);
	return 0;
}
