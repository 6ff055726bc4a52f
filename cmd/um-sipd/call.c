/* The media of one call (see call.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "media/dtmf.h"
#include "media/g711.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/tone.h"
#include "util/mem.h"
#include "util/msg.h"

enum phase { PH_IDLE, PH_PLAY, PH_RECORD };

struct call_media {
	int fd;
	unsigned port;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	bool have_remote;
	struct sdp_choice ch;
	bool alaw;
	struct media_srtp *tx, *rx;
	uint16_t seq;
	uint32_t ts, ssrc;
	bool first;
	long long next_send;
	int16_t *play;			/* greeting and beep */
	size_t play_len, play_pos;
	enum phase phase;
	int16_t *rec;
	size_t rec_len, rec_cap, rec_max;
	long long silent_ms, silence_limit;
	int silence_level;
	struct dtmf_rx dtmf;
	const char *end;		/* why the call must end, once known */
	unsigned long rx_packets, rx_dropped, rx_early;
	bool pending;			/* our late offer awaits its answer */
	bool require_srtp;
};

static int sock_bind(const char *addr, unsigned lo, unsigned hi, unsigned *port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai;
	unsigned span = (hi - lo) / 2, start;
	int fd;

	if (getaddrinfo(addr, "0", &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return -1;
	}
	if (getrandom(&start, sizeof(start), 0) != sizeof(start))
		start = (unsigned)getpid();
	for (unsigned i = 0; i < span; i++) {
		unsigned p = lo + 2 * ((start + i) % span);

		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)ai->ai_addr)->sin_port = htons((uint16_t)p);
		else
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons((uint16_t)p);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			*port = p;
			freeaddrinfo(ai);
			return fd;
		}
	}
	freeaddrinfo(ai);
	close(fd);
	errno = EADDRINUSE;
	return -1;
}

static void remote_set(struct call_media *m, const char *addr, unsigned port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai;
	char ps[8];

	if (addr[0] == 0 || strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0)
		return;		/* learnt from the first packet */
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(addr, ps, &hints, &ai) != 0)
		return;
	memcpy(&m->remote, ai->ai_addr, ai->ai_addrlen);
	m->remote_len = ai->ai_addrlen;
	m->have_remote = true;
	freeaddrinfo(ai);
}

/* The half of the set-up that needs the peer's SDP (an offer, or the
 * answer to our late offer): the stream, SRTP keys, where to send. */
static int media_take(struct call_media *m, const struct sdp *sdp, bool require_srtp,
		      const char *our_key, char *why, size_t whylen)
{
	struct sdp_answer_opts ao = { .require_srtp = require_srtp, .allow_srtp = true };
	char w[128];

	if (sdp_choose(sdp, &ao, &m->ch, why, whylen) < 0)
		return -1;
	if (m->ch.secure) {
		if (m->tx == NULL && (our_key == NULL ||
		    (m->tx = media_srtp_new(m->ch.crypto.suite, our_key, false, w, sizeof(w))) == NULL)) {
			snprintf(why, whylen, "SRTP set-up failed");
			return -1;
		}
		if ((m->rx = media_srtp_new(m->ch.crypto.suite, m->ch.crypto.key, true, w,
					    sizeof(w))) == NULL) {
			snprintf(why, whylen, "SRTP set-up failed: %s", w);
			return -1;
		}
	} else if (m->tx) {
		snprintf(why, whylen, "plain RTP answered to our SRTP offer");
		return -1;
	}
	m->alaw = strcmp(m->ch.codec, "PCMA") == 0;
	remote_set(m, m->ch.remote_addr, m->ch.remote_port);
	return 0;
}

struct call_media *call_media_new(const struct sipd *d, const struct call_media_opts *o,
				  const struct sdp *offer, struct strbuf *answer,
				  char *why, size_t whylen, int *status)
{
	struct call_media *m = xcalloc(1, sizeof(*m));
	struct sdp_answer_opts ao = { .addr = o->address, .require_srtp = o->require_srtp,
				      .allow_srtp = true };
	char key[MEDIA_SRTP_KEY_B64];
	size_t beep = d->beep ? 8000 * 4 / 10 : 0, gap = d->beep ? 8000 / 10 : 0;

	m->fd = -1;
	m->require_srtp = o->require_srtp;
	if (offer && sdp_choose(offer, &ao, &m->ch, why, whylen) < 0) {
		*status = 488;
		goto fail;
	}
	if ((m->fd = sock_bind(o->address, d->rtp_min, d->rtp_max, &m->port)) < 0) {
		snprintf(why, whylen, "no RTP port on %s: %s", o->address, strerror(errno));
		*status = 503;
		goto fail;
	}
	ao.port = m->port;
	if (getrandom(&m->ssrc, sizeof(m->ssrc), 0) != sizeof(m->ssrc))
		m->ssrc = (uint32_t)getpid();
	ao.sess_id = m->ssrc;
	ao.sess_version = 1;
	if ((offer ? m->ch.secure : o->require_srtp)) {
		if (media_srtp_key_new(key, sizeof(key)) < 0) {
			snprintf(why, whylen, "no random key");
			*status = 503;
			goto fail;
		}
		ao.our_key = key;
	}
	if (offer == NULL) {
		/* late offer: ours goes in the 200, the answer in the ACK */
		sdp_offer(&ao, answer);
		if (ao.our_key) {
			char w[128];

			if ((m->tx = media_srtp_new("AES_CM_128_HMAC_SHA1_80", key, false, w,
						    sizeof(w))) == NULL) {
				snprintf(why, whylen, "SRTP set-up failed: %s", w);
				*status = 503;
				goto fail;
			}
		}
		m->pending = true;
	} else {
		if (media_take(m, offer, o->require_srtp, ao.our_key, why, whylen) < 0) {
			*status = 488;
			goto fail;
		}
		sdp_answer(offer, &ao, &m->ch, answer);
	}
	mem_wipe(key, sizeof(key));
	m->play_len = o->greeting_len + gap + beep;
	m->play = xcalloc(m->play_len ? m->play_len : 1, sizeof(int16_t));
	if (o->greeting_len)
		memcpy(m->play, o->greeting, o->greeting_len * sizeof(int16_t));
	if (beep)
		tone_sine(m->play + o->greeting_len + gap, beep, 1000, 12000, 8000);
	m->rec_max = (size_t)(d->max_length_ms * 8);
	m->silence_limit = d->silence_ms;
	m->silence_level = d->silence_level;
	dtmf_rx_init(&m->dtmf);
	m->first = true;
	return m;
fail:
	mem_wipe(key, sizeof(key));
	call_media_free(m);
	return NULL;
}

bool call_media_pending(const struct call_media *m)
{
	return m->pending;
}

int call_media_answer(struct call_media *m, const char *body, size_t len, char *why,
		      size_t whylen)
{
	struct sdp sdp;

	if (len == 0) {
		snprintf(why, whylen, "no SDP answer in the ACK");
		return -1;
	}
	if (sdp_parse(body, len, &sdp, why, whylen) < 0 ||
	    media_take(m, &sdp, m->require_srtp, NULL, why, whylen) < 0)
		return -1;
	m->pending = false;
	return 0;
}

void call_media_free(struct call_media *m)
{
	if (m == NULL)
		return;
	if (m->fd >= 0)
		close(m->fd);
	media_srtp_free(m->tx);
	media_srtp_free(m->rx);
	free(m->play);
	free(m->rec);
	free(m);
}

bool call_media_secure(const struct call_media *m)
{
	return m->ch.secure;
}

int call_media_fd(const struct call_media *m)
{
	return m->fd;
}

void call_media_start(struct call_media *m)
{
	m->phase = m->play_len ? PH_PLAY : PH_RECORD;
	m->next_send = now_ms();
	if (m->phase == PH_RECORD)
		msg_info("recording started");
}

static void record(struct call_media *m, const struct rtp_hdr *h)
{
	size_t n = h->payload_len;

	if (m->rec_len + n > m->rec_max)
		n = m->rec_max - m->rec_len;
	if (m->rec_len + n > m->rec_cap) {
		size_t want = m->rec_len + n + 8000 * 4;

		xgrow((void **)&m->rec, &m->rec_cap, want, sizeof(int16_t));
	}
	g711_decode(h->payload, n, m->rec + m->rec_len, m->alaw);
	if (m->silence_limit) {
		if (tone_rms(m->rec + m->rec_len, n) < m->silence_level)
			m->silent_ms += (long long)n / 8;
		else
			m->silent_ms = 0;
		if (m->silent_ms >= m->silence_limit && m->end == NULL) {
			m->end = "silence";
			/* the silence itself is not worth keeping */
			m->rec_len = m->rec_len + n > (size_t)m->silent_ms * 8 ?
				m->rec_len + n - (size_t)m->silent_ms * 8 : 0;
			return;
		}
	}
	m->rec_len += n;
	if (m->rec_len >= m->rec_max && m->end == NULL)
		m->end = "length limit";
}

static void packet(struct call_media *m, uint8_t *buf, size_t len)
{
	struct rtp_hdr h;

	if (rtcp_is(buf, len)) {
		if (m->rx)
			(void)media_srtp_unprotect(m->rx, buf, &len, true);
		return;
	}
	if (m->rx && media_srtp_unprotect(m->rx, buf, &len, false) < 0) {
		m->rx_dropped++;
		return;
	}
	if (rtp_parse(buf, len, &h) < 0) {
		m->rx_dropped++;
		return;
	}
	m->rx_packets++;
	if (m->ch.dtmf_pt >= 0 && h.pt == m->ch.dtmf_pt) {
		char k = dtmf_rx_packet(&m->dtmf, h.ts, h.payload, h.payload_len);

		if (k) {
			msg_info("dtmf key=%c", k);
			if (k == '#' && m->phase == PH_RECORD && m->end == NULL)
				m->end = "#";
			else if (k == '#' && m->phase == PH_PLAY)
				m->play_pos = m->play_len;	/* skip the greeting */
		}
		return;
	}
	if (h.pt == m->ch.pt && m->phase == PH_RECORD && m->end == NULL)
		record(m, &h);
	else if (h.pt == m->ch.pt && m->phase != PH_RECORD)
		m->rx_early++;
}

void call_media_read(struct call_media *m)
{
	uint8_t buf[RTP_PACKET_MAX + MEDIA_SRTP_TRAILER];
	struct sockaddr_storage from;

	for (int i = 0; i < 64; i++) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(m->fd, buf, RTP_PACKET_MAX, 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		if (!m->have_remote) {
			memcpy(&m->remote, &from, fl);
			m->remote_len = fl;
			m->have_remote = true;
		}
		packet(m, buf, (size_t)n);
	}
}

static void send_packet(struct call_media *m)
{
	size_t spp = (size_t)m->ch.ptime * 8, n;
	uint8_t pay[8 * 1000], pkt[RTP_HEADER_MIN + sizeof(pay) + MEDIA_SRTP_TRAILER];
	size_t len;

	if (spp > sizeof(pay))
		spp = sizeof(pay);
	n = m->play_pos < m->play_len ? m->play_len - m->play_pos : 0;
	if (n > spp)
		n = spp;
	if (n)
		g711_encode(m->play + m->play_pos, n, pay, m->alaw);
	memset(pay + n, m->alaw ? 0xd5 : 0xff, spp - n);
	m->play_pos += n;
	len = rtp_build(pkt, sizeof(pkt) - MEDIA_SRTP_TRAILER, m->ch.pt, m->first, m->seq++, m->ts,
			m->ssrc, pay, spp);
	m->first = false;
	m->ts += (uint32_t)spp;
	if (m->tx && media_srtp_protect(m->tx, pkt, &len, false) < 0)
		return;
	if (m->have_remote)
		(void)sendto(m->fd, pkt, len, 0, (struct sockaddr *)&m->remote, m->remote_len);
}

const char *call_media_tick(struct call_media *m, long long now)
{
	if (m->end)
		return m->end;
	if (m->phase == PH_IDLE)
		return NULL;
	while (now >= m->next_send) {
		send_packet(m);
		m->next_send += m->ch.ptime;
		if (m->phase == PH_PLAY && m->play_pos >= m->play_len) {
			m->phase = PH_RECORD;
			msg_info("recording started");
		}
		/* far behind (a stall): skip ahead rather than burst */
		if (now - m->next_send > 1000)
			m->next_send = now;
	}
	return m->end;
}

long long call_media_next(const struct call_media *m)
{
	return m->phase == PH_IDLE ? 0 : m->next_send;
}

void call_media_stats(const struct call_media *m, unsigned long *in, unsigned long *bad,
		      unsigned long *early)
{
	*in = m->rx_packets;
	*bad = m->rx_dropped;
	*early = m->rx_early;
}

const int16_t *call_media_recording(const struct call_media *m, size_t *n)
{
	*n = m->rec_len;
	return m->rec;
}
