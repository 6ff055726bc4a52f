/* SDP parsing and the answer (see sdp.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sdp.h"

static void why_set(char *why, size_t whylen, const char *s)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", s);
}

/* Copies at most n bytes of s (cut at outlen-1). */
static void copy_n(char *out, size_t outlen, const char *s, size_t n)
{
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

/* "IN IP4 192.0.2.1" -> the address. */
static int parse_conn(const char *v, size_t n, char *out, size_t outlen)
{
	char nettype[8], atype[8], addr[SDP_ADDR_MAX];
	char line[160];

	copy_n(line, sizeof(line), v, n);
	if (sscanf(line, "%7s %7s %63s", nettype, atype, addr) != 3 ||
	    strcmp(nettype, "IN") != 0)
		return -1;
	/* multicast TTL suffix "/127" is dropped */
	addr[strcspn(addr, "/")] = 0;
	copy_n(out, outlen, addr, strlen(addr));
	return 0;
}

static int parse_media(struct sdp_media *m, const char *v, size_t n)
{
	char line[320], *save = NULL, *tok;
	long port;
	char *end;

	memset(m, 0, sizeof(*m));
	copy_n(line, sizeof(line), v, n);
	tok = strtok_r(line, " ", &save);
	if (tok == NULL)
		return -1;
	copy_n(m->type, sizeof(m->type), tok, strlen(tok));
	tok = strtok_r(NULL, " ", &save);
	if (tok == NULL)
		return -1;
	errno = 0;
	port = strtol(tok, &end, 10);
	if (errno || end == tok || (*end && *end != '/') || port < 0 || port > 65535)
		return -1;
	m->port = (unsigned)port;
	tok = strtok_r(NULL, " ", &save);
	if (tok == NULL)
		return -1;
	copy_n(m->proto, sizeof(m->proto), tok, strlen(tok));
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		size_t l = strlen(m->fmts);

		if (l + strlen(tok) + 2 > sizeof(m->fmts))
			return -1;
		snprintf(m->fmts + l, sizeof(m->fmts) - l, "%s%s", l ? " " : "", tok);
		if (m->nfmt < SDP_FMT_MAX && strncmp(m->proto, "RTP/", 4) == 0) {
			long pt = strtol(tok, &end, 10);

			if (*end || end == tok || pt < 0 || pt > 127)
				return -1;
			m->fmt[m->nfmt].pt = (int)pt;
			/* static payload types have implied rtpmaps */
			if (pt == 0)
				snprintf(m->fmt[m->nfmt].enc, sizeof(m->fmt[0].enc), "PCMU");
			else if (pt == 8)
				snprintf(m->fmt[m->nfmt].enc, sizeof(m->fmt[0].enc), "PCMA");
			m->fmt[m->nfmt].rate = pt == 0 || pt == 8 ? 8000 : 0;
			m->nfmt++;
		}
	}
	return 0;
}

static struct sdp_fmt *fmt_find(struct sdp_media *m, int pt)
{
	for (size_t i = 0; i < m->nfmt; i++)
		if (m->fmt[i].pt == pt)
			return &m->fmt[i];
	return NULL;
}

/* "a=rtpmap:101 telephone-event/8000" and friends, on media m. */
static void parse_attr(struct sdp_media *m, const char *v, size_t n)
{
	char line[256], *p;
	long pt;

	copy_n(line, sizeof(line), v, n);
	if (strncmp(line, "rtpmap:", 7) == 0) {
		struct sdp_fmt *f;
		char *end, *slash;

		pt = strtol(line + 7, &end, 10);
		if (end == line + 7 || *end != ' ' || pt < 0 || pt > 127)
			return;
		if ((f = fmt_find(m, (int)pt)) == NULL)
			return;
		p = end + 1;
		slash = strchr(p, '/');
		copy_n(f->enc, sizeof(f->enc), p, slash ? (size_t)(slash - p) : strlen(p));
		f->rate = slash ? atoi(slash + 1) : 0;
	} else if (strncmp(line, "ptime:", 6) == 0) {
		long t = strtol(line + 6, NULL, 10);

		if (t > 0 && t <= 1000)
			m->ptime = (int)t;
	} else if (strcmp(line, "sendrecv") == 0) {
		m->dir = SDP_SENDRECV;
	} else if (strcmp(line, "sendonly") == 0) {
		m->dir = SDP_SENDONLY;
	} else if (strcmp(line, "recvonly") == 0) {
		m->dir = SDP_RECVONLY;
	} else if (strcmp(line, "inactive") == 0) {
		m->dir = SDP_INACTIVE;
	} else if (strncmp(line, "crypto:", 7) == 0 && m->ncrypto < SDP_CRYPTO_MAX) {
		struct sdp_crypto *c = &m->crypto[m->ncrypto];
		char suite[48], params[200];

		if (sscanf(line + 7, "%d %47s %199s", &c->tag, suite, params) != 3 ||
		    c->tag < 0 || c->tag > 999999999 || strncmp(params, "inline:", 7) != 0)
			return;
		snprintf(c->suite, sizeof(c->suite), "%s", suite);
		p = params + 7;
		copy_n(c->key, sizeof(c->key), p, strcspn(p, "|;"));
		m->ncrypto++;
	}
}

int sdp_parse(const char *text, size_t len, struct sdp *s, char *why, size_t whylen)
{
	const char *p = text, *end = text + len, *nl;
	char sess_addr[SDP_ADDR_MAX] = "";
	struct sdp_media *cur = NULL;
	bool seen_v = false;

	memset(s, 0, sizeof(*s));
	if (len > SDP_TEXT_MAX) {
		why_set(why, whylen, "SDP too long");
		return -1;
	}
	for (; p < end; p = nl < end ? nl + 1 : end) {
		const char *le;
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		le = nl;
		if (le > p && le[-1] == '\r')
			le--;
		n = (size_t)(le - p);
		if (n == 0)
			continue;
		if (n < 2 || p[1] != '=') {
			why_set(why, whylen, "bad SDP line");
			return -1;
		}
		switch (p[0]) {
		case 'v':
			seen_v = true;
			break;
		case 'o': {
			char line[256], u[64], a[SDP_ADDR_MAX];
			unsigned long long id, ver;

			copy_n(line, sizeof(line), p + 2, n - 2);
			if (sscanf(line, "%63s %llu %llu IN %*s %63s", u, &id, &ver, a) == 4) {
				s->sess_id = id;
				s->sess_version = ver;
				snprintf(s->origin_addr, sizeof(s->origin_addr), "%s", a);
			}
			break;
		}
		case 'c':
			if (parse_conn(p + 2, n - 2, cur ? cur->addr : sess_addr,
				       cur ? sizeof(cur->addr) : sizeof(sess_addr)) < 0) {
				why_set(why, whylen, "bad c= line");
				return -1;
			}
			break;
		case 'm':
			if (s->nmedia >= SDP_MEDIA_MAX) {
				why_set(why, whylen, "too many m= lines");
				return -1;
			}
			cur = &s->m[s->nmedia++];
			if (parse_media(cur, p + 2, n - 2) < 0) {
				why_set(why, whylen, "bad m= line");
				return -1;
			}
			break;
		case 'a':
			if (cur)
				parse_attr(cur, p + 2, n - 2);
			break;
		default:
			break;
		}
	}
	if (!seen_v) {
		why_set(why, whylen, "no v= line");
		return -1;
	}
	if (s->nmedia == 0) {
		why_set(why, whylen, "no m= line");
		return -1;
	}
	for (size_t i = 0; i < s->nmedia; i++)
		if (s->m[i].addr[0] == 0)
			snprintf(s->m[i].addr, sizeof(s->m[i].addr), "%s", sess_addr);
	return 0;
}

static const struct sdp_crypto *crypto_pick(const struct sdp_media *m)
{
	for (size_t i = 0; i < m->ncrypto; i++)
		if (strcmp(m->crypto[i].suite, "AES_CM_128_HMAC_SHA1_80") == 0 ||
		    strcmp(m->crypto[i].suite, "AES_CM_128_HMAC_SHA1_32") == 0)
			return &m->crypto[i];
	return NULL;
}

int sdp_choose(const struct sdp *offer, const struct sdp_answer_opts *o,
	       struct sdp_choice *ch, char *why, size_t whylen)
{
	const char *reason = "no audio stream offered";

	memset(ch, 0, sizeof(*ch));
	ch->media = -1;
	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *m = &offer->m[i];
		const struct sdp_crypto *c = NULL;
		bool savp = strcmp(m->proto, "RTP/SAVP") == 0;

		if (strcmp(m->type, "audio") != 0 || m->port == 0)
			continue;
		if (!savp && strcmp(m->proto, "RTP/AVP") != 0) {
			reason = "audio profile is neither RTP/AVP nor RTP/SAVP";
			continue;
		}
		if (o->require_srtp && !savp) {
			reason = "plain RTP offered where SRTP is required";
			continue;
		}
		if (savp) {
			if (!o->allow_srtp) {
				reason = "SRTP offered on a plan without SRTP";
				continue;
			}
			if ((c = crypto_pick(m)) == NULL) {
				reason = "no SDES crypto suite we support";
				continue;
			}
		}
		ch->dtmf_pt = -1;
		ch->pt = -1;
		for (size_t k = 0; k < m->nfmt; k++) {
			const struct sdp_fmt *f = &m->fmt[k];

			if (ch->pt < 0 && (strcasecmp(f->enc, "PCMU") == 0 ||
					   strcasecmp(f->enc, "PCMA") == 0) &&
			    (f->rate == 8000 || f->rate == 0)) {
				ch->pt = f->pt;
				ch->codec = strcasecmp(f->enc, "PCMU") == 0 ? "PCMU" : "PCMA";
			}
			if (ch->dtmf_pt < 0 && strcasecmp(f->enc, "telephone-event") == 0 &&
			    (f->rate == 8000 || f->rate == 0))
				ch->dtmf_pt = f->pt;
		}
		if (ch->pt < 0) {
			reason = "neither PCMU nor PCMA offered";
			continue;
		}
		ch->media = (int)i;
		ch->ptime = m->ptime ? m->ptime : 20;
		ch->secure = savp;
		if (c)
			ch->crypto = *c;
		snprintf(ch->remote_addr, sizeof(ch->remote_addr), "%s", m->addr);
		ch->remote_port = m->port;
		return 0;
	}
	why_set(why, whylen, reason);
	return -1;
}

static const char *dir_answer(enum sdp_dir d)
{
	switch (d) {
	case SDP_SENDONLY:
		return "recvonly";
	case SDP_RECVONLY:
		return "sendonly";
	case SDP_INACTIVE:
		return "inactive";
	default:
		return "sendrecv";
	}
}

void sdp_answer(const struct sdp *offer, const struct sdp_answer_opts *o,
		const struct sdp_choice *ch, struct strbuf *out)
{
	const char *ipv = strchr(o->addr, ':') ? "IP6" : "IP4";

	strbuf_addf(out, "v=0\r\no=postern %llu %llu IN %s %s\r\ns=voicemail\r\n",
		    o->sess_id, o->sess_version, ipv, o->addr);
	strbuf_addf(out, "c=IN %s %s\r\nt=0 0\r\n", ipv, o->addr);
	for (size_t i = 0; i < offer->nmedia; i++) {
		const struct sdp_media *m = &offer->m[i];

		if ((int)i != ch->media) {
			/* RFC 3264 6: a refused stream keeps its line, port 0 */
			strbuf_addf(out, "m=%s 0 %s %s\r\n", m->type, m->proto,
				    m->fmts[0] ? m->fmts : "0");
			continue;
		}
		strbuf_addf(out, "m=audio %u %s %d", o->port, m->proto, ch->pt);
		if (ch->dtmf_pt >= 0)
			strbuf_addf(out, " %d", ch->dtmf_pt);
		strbuf_addf(out, "\r\na=rtpmap:%d %s/8000\r\n", ch->pt, ch->codec);
		if (ch->dtmf_pt >= 0)
			strbuf_addf(out, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n",
				    ch->dtmf_pt, ch->dtmf_pt);
		strbuf_addf(out, "a=ptime:%d\r\n", ch->ptime);
		if (ch->secure && o->our_key)
			strbuf_addf(out, "a=crypto:%d %s inline:%s\r\n", ch->crypto.tag,
				    ch->crypto.suite, o->our_key);
		strbuf_addf(out, "a=%s\r\n", dir_answer(m->dir));
	}
}

void sdp_offer(const struct sdp_answer_opts *o, struct strbuf *out)
{
	const char *ipv = strchr(o->addr, ':') ? "IP6" : "IP4";

	strbuf_addf(out, "v=0\r\no=postern %llu %llu IN %s %s\r\ns=voicemail\r\n",
		    o->sess_id, o->sess_version, ipv, o->addr);
	strbuf_addf(out, "c=IN %s %s\r\nt=0 0\r\n", ipv, o->addr);
	strbuf_addf(out, "m=audio %u %s 0 8 101\r\n", o->port, o->our_key ? "RTP/SAVP" : "RTP/AVP");
	strbuf_addstr(out, "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n");
	if (o->our_key)
		strbuf_addf(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", o->our_key);
	strbuf_addstr(out, "a=sendrecv\r\n");
}
