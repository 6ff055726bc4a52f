/* The next hop's SMTP client: connection, EHLO, STARTTLS by policy,
 * commands and dot-stuffed data; failures become 4xx replies. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sockaddr.h"
#include "net/wait.h"
#include "smtp/client.h"
#include "tls/stream.h"
#include "util/mem.h"
#include "util/msg.h"

#define DATA_FLUSH_BYTES 32768

struct smtp_client {
	int fd;
	struct stream *s;
	char peer[SOCKADDR_TEXT_MAX + 260];
	char host[256];
	struct strbuf ext;		/* "\nPIPELINING\nSIZE 100\n..." */
	struct tls_report tls;
	bool tls_on;
	bool dead;
	bool in_data;
	bool want_354;			/* DATA sent, its reply not yet read */
	bool data_refused;		/* it was not 354 (or a BDAT chunk was
					   refused): refusal holds it */
	bool chunking;			/* BDAT when the next hop offers it */
	bool bdat;			/* this transaction's data goes in BDAT */
	bool want_chunk;		/* a BDAT chunk sent, its reply not read */
	struct smtp_reply refusal;
	struct smtp_data_encoder enc;
	struct strbuf out;		/* encoded data not yet written */
	struct strbuf line;		/* a command being made */
};

static int connect_timeout(const char *ip, unsigned port, long long ms, char *why, size_t len)
{
	struct sockaddr_any sa;
	char portbuf[16];
	struct pollfd p;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	snprintf(portbuf, sizeof(portbuf), "%u", port);
	if (sockaddr_from_text(ip, portbuf, &sa) < 0) {
		snprintf(why, len, "bad next-hop address %s", ip);
		return -1;
	}
	fd = socket(sa.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa.ss, sa.len) < 0 && errno != EINPROGRESS) {
		snprintf(why, len, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	p.fd = fd;
	p.events = POLLOUT;
	if (wait_poll(&p, 1, (int)ms) <= 0) {
		snprintf(why, len, "connect: timed out");
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		snprintf(why, len, "connect: %s", strerror(err ? err : errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A reply that is not the next hop's own: its failure, said as 4xx. */
static void fail_reply(struct smtp_reply *r, const char *enh, const char *peer, const char *why)
{
	smtp_reply_set(r, 451, enh, "Next hop %s: %s, try again later", peer, why);
}

static void read_ext(struct smtp_client *c, const struct smtp_reply *r)
{
	const char *p = strchr(r->text.buf ? r->text.buf : "", '\n');

	strbuf_reset(&c->ext);
	strbuf_addch(&c->ext, '\n');
	if (p)
		strbuf_addstr(&c->ext, p + 1);
	strbuf_addch(&c->ext, '\n');
	for (size_t i = 0; i < c->ext.len; i++)
		c->ext.buf[i] = (char)((c->ext.buf[i] >= 'a' && c->ext.buf[i] <= 'z') ?
				       c->ext.buf[i] - 32 : c->ext.buf[i]);
}

bool smtp_client_has(const struct smtp_client *c, const char *kw)
{
	size_t n = strlen(kw);

	for (const char *p = c->ext.buf; p && (p = strchr(p, '\n')); p++)
		if (strncmp(p + 1, kw, n) == 0 && (p[n + 1] == '\n' || p[n + 1] == ' '))
			return true;
	return false;
}

static int ehlo(struct smtp_client *c, const struct smtp_client_opts *o, struct smtp_reply *r)
{
	if (smtp_client_cmd(c, r, "EHLO %s", o->helo) == 250) {
		read_ext(c, r);
		return 0;
	}
	if (c->dead)
		return -1;
	strbuf_reset(&c->ext);
	if (smtp_client_cmd(c, r, "HELO %s", o->helo) == 250)
		return 0;
	return -1;
}

static struct smtp_client *client_new(int fd, const char *ip, unsigned port,
				      const char *host, const struct smtp_client_opts *o)
{
	struct smtp_client *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->s = stream_new(fd, fd, o->timeout_ms, SMTP_REPLY_LINE_MAX);
	/* each reply waited for in the read itself: only the stream and
	 * smtp_client_idle_ok's poll touch fd */
	stream_block(c->s);
	smtp_reply_init(&c->refusal);
	if (strchr(ip, ':'))
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip, port);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, port);
	if (host && strcmp(host, ip) != 0) {
		size_t n = strlen(c->peer);

		snprintf(c->peer + n, sizeof(c->peer) - n, "(%s)", host);
	}
	snprintf(c->host, sizeof(c->host), "%s", host ? host : ip);
	strbuf_init(&c->ext, 0);
	strbuf_init(&c->out, 0);
	strbuf_init(&c->line, 0);
	tls_report_init(&c->tls);
	return c;
}

/* STARTTLS at level o->tls. Returns 0 (TLS on, or plain when allowed),
 * 1 when a MAY handshake failed (the caller reconnects in plain), -1
 * with err set. */
static int starttls(struct smtp_client *c, const struct smtp_client_opts *o,
		    const char *host, struct smtp_reply *err)
{
	char why[600];

	if (o->tls == SMTP_TLS_NONE || o->tls_ctx == NULL)
		return 0;
	if (!smtp_client_has(c, "STARTTLS")) {
		if (o->tls == SMTP_TLS_MAY)
			return 0;
		smtp_reply_set(err, 451, "4.7.4", "Next hop %s does not offer STARTTLS, "
			       "which the route requires; try again later", c->peer);
		return -1;
	}
	if (smtp_client_cmd(c, err, "STARTTLS") != 220) {
		if (o->tls == SMTP_TLS_MAY && !c->dead)
			return 0;
		fail_reply(err, "4.7.5", c->peer, "STARTTLS refused");
		return -1;
	}
	if (stream_starttls_client(c->s, o->tls_ctx, o->tls_name ? o->tls_name : host,
				   &c->tls) < 0) {
		if (o->tls == SMTP_TLS_MAY)
			return 1;
		snprintf(why, sizeof(why), "TLS handshake failed (%s)",
			 c->tls.error ? c->tls.error : stream_error(c->s));
		fail_reply(err, "4.7.5", c->peer, why);
		return -1;
	}
	c->tls_on = true;
	if (o->tls == SMTP_TLS_VERIFY && c->tls.verdict != TLS_VERDICT_VERIFIED) {
		snprintf(why, sizeof(why), "certificate not verified (%s%s%s)",
			 tls_verdict_name(c->tls.verdict),
			 c->tls.verify_text ? ": " : "",
			 c->tls.verify_text ? c->tls.verify_text :
			 (c->tls.name_how ? c->tls.name_how : ""));
		fail_reply(err, "4.7.5", c->peer, why);
		return -1;
	}
	return 0;
}

static struct smtp_client *open_once(const char *ip, unsigned port, const char *host,
				     const struct smtp_client_opts *o, struct smtp_reply *err,
				     bool *retry_plain)
{
	struct smtp_client *c;
	char why[300];
	int fd, rc;

	*retry_plain = false;
	fd = connect_timeout(ip, port, o->connect_timeout_ms, why, sizeof(why));
	if (fd < 0) {
		char peer[SOCKADDR_TEXT_MAX];

		snprintf(peer, sizeof(peer), "%s:%u", ip, port);
		fail_reply(err, "4.4.1", peer, why);
		return NULL;
	}
	c = client_new(fd, ip, port, host, o);
	rc = smtp_reply_read(c->s, err);
	if (rc != STREAM_OK || err->code != 220) {
		if (rc == STREAM_OK)
			snprintf(why, sizeof(why), "greeting %d", err->code);
		else
			snprintf(why, sizeof(why), "no greeting (%s)",
				 rc == STREAM_TIMEOUT ? "timeout" : "connection lost");
		fail_reply(err, "4.4.2", c->peer, why);
		smtp_client_close(c, rc == STREAM_OK);
		return NULL;
	}
	if (ehlo(c, o, err) < 0)
		goto refused;
	rc = starttls(c, o, host, err);
	if (rc == 1) {
		*retry_plain = true;
		smtp_client_close(c, false);
		return NULL;
	}
	if (rc < 0) {
		smtp_client_close(c, !c->dead && !c->tls.error);
		return NULL;
	}
	if (c->tls_on && ehlo(c, o, err) < 0)
		goto refused;
	c->chunking = !o->no_chunking && smtp_client_has(c, "CHUNKING");
	return c;
refused:
	snprintf(why, sizeof(why), "EHLO answered %d", err->code);
	fail_reply(err, "4.4.2", c->peer, why);
	smtp_client_close(c, !c->dead);
	return NULL;
}

struct smtp_client *smtp_client_open(const char *ip, unsigned port, const char *host,
				     const struct smtp_client_opts *o, struct smtp_reply *err)
{
	struct smtp_client_opts plain;
	struct smtp_client *c;
	bool retry;

	c = open_once(ip, port, host, o, err, &retry);
	if (c || !retry)
		return c;
	msg_warn("TLS handshake with the next hop failed; trying again without TLS "
		 "server=%s:%u", ip, port);
	plain = *o;
	plain.tls = SMTP_TLS_NONE;
	return open_once(ip, port, host, &plain, err, &retry);
}

void smtp_client_close(struct smtp_client *c, bool quit)
{
	struct smtp_reply r;

	if (c == NULL)
		return;
	if (quit && !c->dead && !c->in_data) {
		smtp_reply_init(&r);
		stream_set_timeout(c->s, 2000);
		smtp_client_cmd(c, &r, "QUIT");
		smtp_reply_clear(&r);
	}
	stream_free(c->s);
	close(c->fd);
	strbuf_release(&c->ext);
	strbuf_release(&c->out);
	strbuf_release(&c->line);
	smtp_reply_clear(&c->refusal);
	tls_report_clear(&c->tls);
	free(c);
}

const struct tls_report *smtp_client_tls(const struct smtp_client *c)
{
	return c->tls_on ? &c->tls : NULL;
}

const char *smtp_client_peer(const struct smtp_client *c)
{
	return c->peer;
}

bool smtp_client_usable(const struct smtp_client *c)
{
	return !c->dead && !c->in_data;
}

static void lost(struct smtp_client *c, struct smtp_reply *r, int rc)
{
	char why[200];

	snprintf(why, sizeof(why), "%s", rc == STREAM_TIMEOUT ? "timed out" :
		 r->code == 0 && r->text.len ? r->text.buf : "connection lost");
	c->dead = true;
	fail_reply(r, "4.4.2", c->peer, why);
}

const char *smtp_client_host(const struct smtp_client *c)
{
	return c->host;
}

bool smtp_client_idle_ok(struct smtp_client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	if (c->dead || c->in_data || stream_buffered(c->s))
		return false;
	return poll(&p, 1, 0) == 0;
}

static void send_va(struct smtp_client *c, const char *fmt, va_list ap)
{
	strbuf_reset(&c->line);
	strbuf_vaddf(&c->line, fmt, ap);
	strbuf_addstr(&c->line, "\r\n");
	stream_write(c->s, c->line.buf, c->line.len);
}

void smtp_client_send(struct smtp_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->dead)
		return;
	va_start(ap, fmt);
	send_va(c, fmt, ap);
	va_end(ap);
}

int smtp_client_reply(struct smtp_client *c, struct smtp_reply *r)
{
	int rc;

	if (c->dead) {
		fail_reply(r, "4.4.2", c->peer, "connection lost");
		return r->code;
	}
	rc = stream_flush(c->s);
	if (rc == STREAM_OK)
		rc = smtp_reply_read(c->s, r);
	if (rc != STREAM_OK)
		lost(c, r, rc);
	return r->code;
}

int smtp_client_cmd(struct smtp_client *c, struct smtp_reply *r, const char *fmt, ...)
{
	va_list ap;

	if (c->dead) {
		fail_reply(r, "4.4.2", c->peer, "connection lost");
		return r->code;
	}
	va_start(ap, fmt);
	send_va(c, fmt, ap);
	va_end(ap);
	return smtp_client_reply(c, r);
}

/* BDAT instead of DATA: nothing to send yet, nothing to wait for; the
 * content goes in chunks that say their length, unstuffed. */
static int bdat_begin(struct smtp_client *c, struct smtp_reply *r)
{
	c->in_data = c->bdat = true;
	c->want_354 = c->want_chunk = c->data_refused = false;
	smtp_data_encoder_init_bdat(&c->enc);
	strbuf_reset(&c->out);
	smtp_reply_set(r, 354, "", "BDAT");
	return 354;
}

int smtp_client_data_start(struct smtp_client *c, struct smtp_reply *r)
{
	if (c->chunking && !c->dead)
		return bdat_begin(c, r);
	if (smtp_client_cmd(c, r, "DATA") == 354) {
		c->in_data = true;
		c->bdat = false;
		smtp_data_encoder_init(&c->enc);
		strbuf_reset(&c->out);
	}
	return r->code;
}

int smtp_client_data_send(struct smtp_client *c, struct smtp_reply *r)
{
	int rc;

	if (c->dead) {
		fail_reply(r, "4.4.2", c->peer, "connection lost");
		return r->code;
	}
	if (c->chunking)
		return bdat_begin(c, r);
	c->bdat = false;
	stream_write(c->s, "DATA\r\n", 6);
	rc = stream_flush(c->s);
	if (rc != STREAM_OK) {
		lost(c, r, rc);
		return r->code;
	}
	c->in_data = c->want_354 = true;
	c->data_refused = false;
	smtp_data_encoder_init(&c->enc);
	strbuf_reset(&c->out);
	return 354;
}

static void reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	dst->code = src->code;
	memcpy(dst->enh, src->enh, sizeof(dst->enh));
	strbuf_reset(&dst->text);
	strbuf_add(&dst->text, src->text.buf, src->text.len);
	dst->nlines = src->nlines;
}

/* The reply to a DATA sent by data_send, before the first data goes out:
 * 0 on 354; -1 when the next hop is gone (r holds 421); 1 when it
 * refused (kept for data_end; what comes is dropped). */
static int read_354(struct smtp_client *c, struct smtp_reply *r)
{
	int rc;

	if (!c->want_354)
		return c->data_refused ? 1 : 0;
	c->want_354 = false;
	rc = smtp_reply_read(c->s, &c->refusal);
	if (rc != STREAM_OK) {
		lost(c, &c->refusal, rc);
		reply_copy(r, &c->refusal);
		return -1;
	}
	if (c->refusal.code == 354)
		return 0;
	c->data_refused = true;
	c->in_data = false;
	strbuf_reset(&c->out);
	return 1;
}

/* The reply to the last BDAT chunk sent, before the next one goes out
 * (one chunk in flight: the next hop's replies never pile up unread).
 * 0 when it took the chunk; -1 when the next hop is gone (r holds 421);
 * 1 when it refused it (kept for data_end; no more chunks go, RFC 3030
 * 2). */
static int read_chunk_reply(struct smtp_client *c, struct smtp_reply *r)
{
	int rc;

	if (!c->want_chunk)
		return c->data_refused ? 1 : 0;
	c->want_chunk = false;
	rc = smtp_reply_read(c->s, &c->refusal);
	if (rc != STREAM_OK) {
		lost(c, &c->refusal, rc);
		reply_copy(r, &c->refusal);
		return -1;
	}
	if (c->refusal.code / 100 == 2)
		return 0;
	c->data_refused = true;
	c->in_data = false;
	strbuf_reset(&c->out);
	return 1;
}

/* The content encoded so far as one chunk, the last one with LAST. */
static int flush_chunk(struct smtp_client *c, struct smtp_reply *r, bool last)
{
	char cmd[64];
	int rc = read_chunk_reply(c, r);

	if (rc)
		return rc < 0 ? -1 : 0;
	if (c->out.len == 0 && !last)
		return 0;
	snprintf(cmd, sizeof(cmd), "BDAT %zu%s\r\n", c->out.len, last ? " LAST" : "");
	stream_write(c->s, cmd, strlen(cmd));
	stream_write(c->s, c->out.buf, c->out.len);
	strbuf_reset(&c->out);
	rc = stream_flush(c->s);
	if (rc != STREAM_OK) {
		lost(c, r, rc);
		return -1;
	}
	c->want_chunk = !last;
	return 0;
}

static int flush_out(struct smtp_client *c, struct smtp_reply *r, bool last)
{
	int rc;

	if (c->bdat)
		return flush_chunk(c, r, last);
	rc = read_354(c, r);
	if (rc)
		return rc < 0 ? -1 : 0;
	stream_write(c->s, c->out.buf, c->out.len);
	strbuf_reset(&c->out);
	rc = stream_flush(c->s);
	if (rc != STREAM_OK) {
		lost(c, r, rc);
		return -1;
	}
	return 0;
}

int smtp_client_data_write(struct smtp_client *c, const char *content, size_t n,
			   struct smtp_reply *r)
{
	if (c->dead) {
		fail_reply(r, "4.4.2", c->peer, "connection lost");
		return -1;
	}
	if (c->data_refused)
		return 0;	/* data_end says why */
	smtp_data_encode(&c->enc, content, n, &c->out);
	if (c->out.len >= DATA_FLUSH_BYTES)
		return flush_out(c, r, false);
	return 0;
}

int smtp_client_data_end(struct smtp_client *c, struct smtp_reply *r)
{
	int rc;

	if (c->dead) {
		fail_reply(r, "4.4.2", c->peer, "connection lost");
		return r->code;
	}
	if (!c->data_refused)
		smtp_data_encode_end(&c->enc, &c->out);
	if (flush_out(c, r, true) < 0)
		return r->code;
	if (c->data_refused) {
		c->data_refused = false;
		reply_copy(r, &c->refusal);
		return r->code;
	}
	c->in_data = false;
	rc = smtp_reply_read(c->s, r);
	if (rc != STREAM_OK)
		lost(c, r, rc);
	return r->code;
}

void smtp_client_abort(struct smtp_client *c)
{
	c->dead = true;
}
