/* The filter and check: the verdict on one message (model, phrases,
 * bypass, directory settings, thresholds) and the copy of the message
 * with the SCL header fields added and outside ones of those names
 * removed; the rest of the message passes through byte for byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dir/dir.h"
#include "mail/ascii.h"
#include "mail/address.h"
#include "mail/mime.h"
#include "spam/safelist.h"
#include "util/atomic.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strbuf.h"
#include "scl-score.h"

#define HDR_SCL "X-Postern-SCL"
#define HDR_SPAM "X-Postern-Spam"
#define HDR_EXCH "X-MS-Exchange-Organization-SCL"

struct spam_model *scl_model_or_exit(const struct scl *s)
{
	char why[256];
	struct spam_model *m = spam_model_load(s->model_path, why, sizeof(why));

	if (m == NULL)
		msg_fatal(EX_TEMPFAIL, "cannot use model '%s': %s", s->model_path, why);
	return m;
}

void scl_features(const struct scl *s, const struct spam_model *m, const char *msg, size_t len,
		  struct spam_fv *fv)
{
	spam_fv_reset(fv);
	spam_features(fv, msg, len, &s->lim);
	spam_fv_finish(fv, m->hdr.bits);
}

/* "1.2.3.0/24", "2001:db8::/32" or a bare address. */
static bool ip_in(const char *ip, const char *spec)
{
	unsigned char a[16], n[16];
	char net[64];
	const char *slash = strchr(spec, '/');
	size_t nl = slash ? (size_t)(slash - spec) : strlen(spec);
	int fa = strchr(ip, ':') ? AF_INET6 : AF_INET, fn, bits, max;

	if (nl >= sizeof(net))
		return false;
	memcpy(net, spec, nl);
	net[nl] = 0;
	fn = strchr(net, ':') ? AF_INET6 : AF_INET;
	max = fa == AF_INET ? 32 : 128;
	if (fa != fn || inet_pton(fa, ip, a) != 1 || inet_pton(fn, net, n) != 1)
		return false;
	bits = slash ? atoi(slash + 1) : max;
	if (bits < 0 || bits > max)
		return false;
	for (int i = 0; i < bits / 8; i++)
		if (a[i] != n[i])
			return false;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		if ((a[bits / 8] & mask) != (n[bits / 8] & mask))
			return false;
	}
	return true;
}

static bool ip_allowed(const struct scl *s, const char *ip)
{
	const json_t *sec = conf_section(s->st->conf, "scl-score");

	if (ip == NULL)
		return false;
	for (size_t i = 0; i < conf_strings_len(sec, "allowed_ips"); i++)
		if (ip_in(ip, conf_strings_at(sec, "allowed_ips", i)))
			return true;
	return false;
}

/* "user@example.org", "@example.org" or "example.org". */
static bool rcpt_exempt(const struct scl *s, const char *rcpt)
{
	const json_t *sec = conf_section(s->st->conf, "scl-score");
	const char *at = strrchr(rcpt, '@');

	for (size_t i = 0; i < conf_strings_len(sec, "exempt_recipients"); i++) {
		const char *e = conf_strings_at(sec, "exempt_recipients", i);

		if (ascii_caseeq(e, rcpt))
			return true;
		if (at && e[0] == '@' && ascii_caseeq(e, at))
			return true;
		if (at && e[0] != '@' && !strchr(e, '@') && ascii_caseeq(e, at + 1))
			return true;
	}
	return false;
}

/* The message's From address (for safe and blocked senders), or "". */
static void from_address(const struct mime_msg *mm, struct strbuf *out)
{
	const struct mime_header *h = mime_header_find(mime_root(mm), "From", 0);

	if (h)
		address_first(h->value, h->value_len, out);
}

static bool listed(const struct dir_entry *e, const char *attr, const char *a, const char *b)
{
	const struct dir_value *v;

	if (dir_entry_get(e, attr, &v) == 0)
		return false;
	return safelist_has(v->data, v->len, a) || safelist_has(v->data, v->len, b);
}

/* What the directory says about the recipients: returns 0, or
 * EX_TEMPFAIL when it cannot be asked. *safe: the sender is a safe
 * sender of every recipient; *blocked: a blocked sender of one;
 * *junk_above: the lowest junk threshold of the recipients, each its
 * posternSCLJunkThreshold or else the global one (one --recipient per
 * call gives exact per-mailbox decisions). */
static int directory_says(const struct scl *s, const char *from, bool *safe, bool *blocked,
			  int *junk_above)
{
	struct dir *d = dir_open(conf_section(s->st->conf, "directory"));
	const char *env = s->cli->sender ? s->cli->sender : "";
	int rc = 0, lowest = SCL_MAX + 1;

	*safe = s->cli->nrcpt > 0;
	*blocked = false;
	if (d == NULL)
		return EX_TEMPFAIL;
	for (size_t i = 0; i < s->cli->nrcpt; i++) {
		struct dir_entry *e = NULL;
		enum dir_status ds = dir_lookup_mail(d, s->cli->rcpt[i], &e);
		const char *t;
		int mine = *junk_above;

		if (ds == DIR_TEMPFAIL) {
			msg_error("directory unavailable: %s rcpt=%s", dir_error(d),
				  msg_q(s->cli->rcpt[i]));
			rc = EX_TEMPFAIL;
			break;
		}
		if (ds == DIR_OK) {
			if (!listed(e, "posternSafeSenders", env, from))
				*safe = false;
			if (listed(e, "posternBlockedSenders", env, from))
				*blocked = true;
			if ((t = dir_entry_str(e, "posternSCLJunkThreshold")) != NULL &&
			    atoi(t) >= 0 && atoi(t) <= SCL_MAX)
				mine = atoi(t);
			dir_entry_free(e);
		} else {
			*safe = false;
		}
		if (mine < lowest)
			lowest = mine;
	}
	if (rc == 0 && lowest <= SCL_MAX)
		*junk_above = lowest;
	dir_close(d);
	return rc;
}

static bool all_exempt(const struct scl *s)
{
	if (s->cli->nrcpt == 0)
		return false;
	for (size_t i = 0; i < s->cli->nrcpt; i++)
		if (!rcpt_exempt(s, s->cli->rcpt[i]))
			return false;
	return true;
}

/* Why the message bypasses scoring (SCL -1), or NULL. */
static const char *bypass_reason(const struct scl *s, bool safe_sender)
{
	if (s->cli->bypass)
		return "caller";
	if (ip_allowed(s, s->cli->sender_ip))
		return "allowed-ip";
	if (all_exempt(s))
		return "exempt-recipient";
	if (safe_sender)
		return "safe-sender";
	return NULL;
}

static void phrases(const struct scl *s, struct mime_msg *mm, struct verdict *v)
{
	struct strbuf t = STRBUF_INIT;

	if (s->nallowed == 0 && s->nblocked == 0)
		return;
	mime_text(mm, 0, s->scan_bytes, &t);
	if (scl_phrase_find(t.buf ? t.buf : "", t.len, s->allowed, s->nallowed) >= 0) {
		v->scl = 0;
		v->reason = "allowed-phrase";
	} else if (scl_phrase_find(t.buf ? t.buf : "", t.len, s->blocked, s->nblocked) >= 0) {
		v->scl = SCL_MAX;
		v->reason = "blocked-phrase";
	}
	strbuf_release(&t);
}

/* The verdict on msg. Returns 0, or an exit code (directory down). */
static int decide(const struct scl *s, const struct spam_model *m, struct spam_fv *fv,
		  const char *msg, size_t len, struct verdict *v)
{
	struct mime_limits ml = MIME_LIMITS_INIT;
	struct strbuf from = STRBUF_INIT;
	struct scl_policy pol = s->pol;
	struct mime_msg *mm = NULL;
	bool safe = false, blocked = false;
	const char *why;
	int rc = 0;

	/* One parse for the features, the phrases and the From address
	 * (spam_features_mime parses again only for an mbox From_ line). */
	if (s->nallowed || s->nblocked || (s->use_directory && s->cli->nrcpt > 0)) {
		ml.decode_max = s->scan_bytes;
		mm = mime_parse(msg, len > s->scan_bytes ? s->scan_bytes : len, &ml);
	}
	spam_fv_reset(fv);
	spam_features_mime(fv, mm, msg, len, &s->lim);
	spam_fv_dedup(fv, m->hdr.bits);
	v->margin = spam_model_margin(m, fv);
	v->p = spam_model_prob(m, v->margin);
	v->scl = scl_from_prob(v->p);
	v->reason = "model";
	if (mm) {
		phrases(s, mm, v);
		if (s->use_directory && s->cli->nrcpt > 0) {
			from_address(mm, &from);
			rc = directory_says(s, from.buf ? from.buf : "", &safe, &blocked,
					    &pol.junk_above);
		}
		mime_free(mm);
	}
	strbuf_release(&from);
	if (blocked) {
		v->scl = SCL_MAX;
		v->reason = "blocked-sender";
	}
	if ((why = bypass_reason(s, safe)) != NULL) {
		v->scl = SCL_BYPASS;
		v->reason = why;
	}
	v->action = scl_action(&pol, v->scl);
	return rc;
}

/* Reads stdin up to max bytes; *more says input is left. The buffer
 * grows only when a read has filled it: a message that fits in the first
 * 64 KiB (most do) is never copied to a larger one, whose fresh pages
 * cost more than the scoring in a process per message. */
static int read_head(struct strbuf *sb, size_t max, bool *more)
{
	*more = false;
	while (sb->len < max) {
		size_t room, want;
		ssize_t n;

		if (sb->alloc < sb->len + 4096)
			strbuf_grow(sb, 65536);
		room = sb->alloc - sb->len - 1;
		want = max - sb->len < room ? max - sb->len : room;
		n = read(0, sb->buf + sb->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		strbuf_setlen(sb, sb->len + (size_t)n);
	}
	*more = true;
	return 0;
}

static bool drop_field(const struct scl *s, const char *line, size_t len)
{
	static const char *const names[] = { HDR_SCL, HDR_SPAM, HDR_EXCH };
	const char *colon = memchr(line, ':', len);
	size_t nl;

	if (colon == NULL)
		return false;
	nl = (size_t)(colon - line);
	while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
		nl--;
	for (size_t i = 0; i < 3; i++)
		if (strlen(names[i]) == nl && ascii_ncaseeq(line, names[i], nl))
			return true;
	(void)s;
	return false;
}

/* Writes all of iov (consumed); returns 0 or -1 with errno. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* The verdict's numbers without printf, whose code and tables are pages
 * of the C library a process would fault in for them (see
 * scl_prob_format). */
static void add_scl(struct strbuf *sb, int scl)
{
	char d[STRBUF_DEC_MAX];

	if (scl < 0)
		strbuf_addch(sb, '-');
	strbuf_add(sb, d, dec_format(d, (unsigned long long)(scl < 0 ? -(long long)scl : scl)));
}

static void add_prob(struct strbuf *sb, double p)
{
	char d[SCL_PROB_MAX];

	strbuf_add(sb, d, scl_prob_format(d, p));
}

/* X-Postern-SCL, X-Postern-Spam and, if configured, Exchange's field. */
static void add_fields(const struct scl *s, struct strbuf *sb, const struct verdict *v,
		       const char *eol)
{
	strbuf_addstr(sb, HDR_SCL ": ");
	add_scl(sb, v->scl);
	strbuf_addstr(sb, eol);
	strbuf_addstr(sb, HDR_SPAM ": p=");
	add_prob(sb, v->p);
	strbuf_addstr(sb, "; action=");
	strbuf_addstr(sb, scl_action_name(v->action));
	strbuf_addstr(sb, "; reason=");
	strbuf_addstr(sb, v->reason);
	strbuf_addstr(sb, eol);
	if (s->exchange_header) {
		strbuf_addstr(sb, HDR_EXCH ": ");
		add_scl(sb, v->scl);
		strbuf_addstr(sb, eol);
	}
}

/* Writes the message with our fields first and outside fields of the
 * same names left out, in one writev (the header copied, the body
 * not). */
static int write_message(const struct scl *s, const char *b, size_t len, const struct verdict *v)
{
	struct strbuf out = STRBUF_INIT;
	const char *eol;
	size_t pos = 0, first_end;
	bool crlf, skipping = false, in_header = true;
	struct iovec iov[2];
	int rc;

	eol = memchr(b, '\n', len);
	first_end = eol ? (size_t)(eol - b) + 1 : len;
	crlf = eol && eol > b && eol[-1] == '\r';
	/* An mbox "From " line stays first. */
	if (len >= 5 && memcmp(b, "From ", 5) == 0) {
		strbuf_add(&out, b, first_end);
		pos = first_end;
	}
	add_fields(s, &out, v, crlf ? "\r\n" : "\n");
	while (pos < len && in_header) {
		const char *nl = memchr(b + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (b + pos)) + 1 : len - pos;
		const char *line = b + pos;

		if (ll == 1 || (ll == 2 && line[0] == '\r')) {
			in_header = false;
			break;
		}
		if (line[0] != ' ' && line[0] != '\t')
			skipping = drop_field(s, line, ll);
		if (!skipping)
			strbuf_add(&out, line, ll);
		pos += ll;
	}
	iov[0].iov_base = out.buf;
	iov[0].iov_len = out.len;
	iov[1].iov_base = (char *)b + pos;
	iov[1].iov_len = len - pos;
	rc = writev_all(1, iov, 2);
	strbuf_release(&out);
	return rc;
}

static int copy_rest(void)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (write_all(1, buf, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

static void log_verdict(const struct verdict *v)
{
	msg_debug("scored scl=%d action=%s p=%.4f reason=%s", v->scl, scl_action_name(v->action),
		  v->p, v->reason);
}

int cmd_filter(const struct scl *s)
{
	struct spam_model *m = scl_model_or_exit(s);
	struct strbuf msg = STRBUF_INIT;
	struct spam_fv fv;
	struct verdict v = { 0, 0, 0, SCL_DELIVER, "model" };
	bool more;
	int rc;

	if (read_head(&msg, s->max_bytes, &more) < 0)
		msg_fatal(EX_TEMPFAIL, "cannot read the message: %s", strerror(errno));
	spam_fv_init(&fv, false);
	rc = decide(s, m, &fv, msg.buf ? msg.buf : "", msg.len, &v);
	spam_fv_release(&fv);
	spam_model_free(m);
	if (rc != 0) {
		strbuf_release(&msg);
		return rc;
	}
	log_verdict(&v);
	if (write_message(s, msg.buf ? msg.buf : "", msg.len, &v) < 0 || (more && copy_rest() < 0))
		msg_fatal(EX_IOERR, "cannot copy the message: %s", strerror(errno));
	strbuf_release(&msg);
	return 0;
}

/* "scl=N action=ACTION p=P\n" into line (VERDICT_MAX bytes); returns
 * its length. */
#define VERDICT_MAX 96
static size_t format_verdict(char *line, const struct verdict *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	strbuf_addstr(&sb, "scl=");
	add_scl(&sb, v->scl);
	strbuf_addstr(&sb, " action=");
	strbuf_addstr(&sb, scl_action_name(v->action));
	strbuf_addstr(&sb, " p=");
	add_prob(&sb, v->p);
	strbuf_addch(&sb, '\n');
	n = sb.len < VERDICT_MAX ? sb.len : VERDICT_MAX - 1;
	memcpy(line, sb.buf, n);
	line[n] = 0;
	strbuf_release(&sb);
	return n;
}

/* One message's answer in one write, without stdio's buffer: a check
 * is a process per message. */
static void write_verdict(const struct verdict *v)
{
	char line[VERDICT_MAX];

	if (write_all(1, line, format_verdict(line, v)) < 0)
		msg_fatal(EX_IOERR, "cannot write: %s", strerror(errno));
}

static void print_verdict(const char *name, const struct verdict *v)
{
	char line[VERDICT_MAX];

	format_verdict(line, v);
	printf("%s %s", name, line);
}

int cmd_check(const struct scl *s, int argc, char **argv)
{
	struct spam_model *m = scl_model_or_exit(s);
	struct strbuf msg = STRBUF_INIT;
	struct spam_fv fv;
	struct verdict v = { 0, 0, 0, SCL_DELIVER, "model" };
	bool more;
	int rc = 0;

	spam_fv_init(&fv, false);
	if (!s->cli->batch) {
		if (read_head(&msg, s->max_bytes, &more) < 0)
			msg_fatal(EX_TEMPFAIL, "cannot read the message: %s", strerror(errno));
		if ((rc = decide(s, m, &fv, msg.buf ? msg.buf : "", msg.len, &v)) == 0)
			write_verdict(&v);
	}
	for (int i = 0; s->cli->batch && i < argc && rc == 0; i++) {
		strbuf_reset(&msg);
		if (strbuf_read_file(&msg, argv[i], s->max_bytes) < 0) {
			msg_error("cannot read '%s': %s", argv[i], strerror(errno));
			rc = EX_NOINPUT;
			continue;
		}
		v.action = SCL_DELIVER;
		if ((rc = decide(s, m, &fv, msg.buf ? msg.buf : "", msg.len, &v)) == 0)
			print_verdict(argv[i], &v);
	}
	/* Only --batch prints through stdio (fflush's page of the C library
	 * is one more fault in a process per message). */
	if (s->cli->batch && fflush(stdout) != 0 && rc == 0)
		msg_fatal(EX_IOERR, "cannot write: %s", strerror(errno));
	spam_fv_release(&fv);
	strbuf_release(&msg);
	spam_model_free(m);
	return rc;
}
