/* lib/media: G.711 round trips, RTP/RTCP headers, RFC 4733 events
 * counted once, WAV write/read, SRTP protect/unprotect with SDES keys. */
#include <stdlib.h>
#include <string.h>

#include "media/dtmf.h"
#include "media/g711.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/tone.h"
#include "media/wav.h"
#include "tap.h"

static void test_g711(void)
{
	int worst_u = 0, worst_a = 0;

	for (int v = -32768; v <= 32767; v += 7) {
		int du = abs(g711_ulaw_decode(g711_ulaw_encode((int16_t)v)) - v);
		int da = abs(g711_alaw_decode(g711_alaw_encode((int16_t)v)) - v);
		int lim = abs(v) / 16 + 16;

		if (du > lim)
			worst_u++;
		if (da > lim + 16)
			worst_a++;
	}
	is_int(worst_u, 0, "mu-law round trip within a segment step");
	is_int(worst_a, 0, "A-law round trip within a segment step");
	is_int(g711_ulaw_encode(0), 0xff, "mu-law silence is 0xff");
	is_int(g711_alaw_encode(0), 0xd5, "A-law silence is 0xd5");
}

static void test_rtp(void)
{
	uint8_t pkt[64], pay[4] = { 1, 2, 3, 4 };
	struct rtp_hdr h;
	size_t n = rtp_build(pkt, sizeof(pkt), 8, true, 65535, 160, 0xdeadbeef, pay, 4);
	int pt;

	is_int(n, 16, "built length");
	is_int(rtp_parse(pkt, n, &h), 0, "parses");
	ok(h.marker && h.pt == 8 && h.seq == 65535 && h.ts == 160 && h.ssrc == 0xdeadbeef,
	   "fields round trip");
	is_int(h.payload_len, 4, "payload length");
	pkt[0] |= 0x0f;		/* 15 CSRCs that are not there */
	ok(rtp_parse(pkt, n, &h) < 0, "CSRC list past the end refused");
	pkt[0] = 0xa0;		/* padding */
	pkt[n - 1] = 200;
	ok(rtp_parse(pkt, n, &h) < 0, "padding past the end refused");
	{
		uint8_t rr[8] = { 0x80, 201, 0, 1, 0, 0, 0, 1 };

		ok(rtcp_is(rr, 8), "RTCP RR recognised");
		is_int(rtcp_parse(rr, 8, &pt), 0, "RTCP lengths fit");
		is_int(pt, 201, "RR");
		rr[3] = 5;
		ok(rtcp_parse(rr, 8, &pt) < 0, "RTCP length past the end");
	}
}

static void test_dtmf(void)
{
	struct dtmf_rx rx;
	uint8_t start[4] = { 11, 10, 0, 160 }, end[4] = { 11, 0x80 | 10, 3, 32 };
	int got = 0;
	char c;

	dtmf_rx_init(&rx);
	c = dtmf_rx_packet(&rx, 1000, start, 4);
	is_int(c, 0, "no key before the end bit");
	for (int i = 0; i < 3; i++)
		if ((c = dtmf_rx_packet(&rx, 1000, end, 4)) != 0)
			got++;
	is_int(got, 1, "three end packets count once");
	end[0] = 5;
	is_int(dtmf_rx_packet(&rx, 2000, end, 4), '5', "a new event (timestamp) counts");
	is_int(dtmf_char(11), '#', "event 11 is #");
}

static void test_wav(void)
{
	int16_t pcm[800], *back = NULL;
	struct strbuf w = STRBUF_INIT;
	struct wav_info info;
	char why[128];

	tone_sine(pcm, 800, 1000, 10000, 8000);
	wav_write(&w, pcm, 800, 8000);
	is_int(w.len, 44 + 1600, "header and data");
	is_int(wav_read(w.buf, w.len, &info, &back, why, sizeof(why)), 0, "reads back");
	ok(info.rate == 8000 && info.channels == 1 && info.bits == 16 && info.samples == 800,
	   "format");
	ok(back && memcmp(back, pcm, sizeof(pcm)) == 0, "samples identical");
	free(back);
	w.buf[40] = 0xff;	/* data size larger than the file */
	ok(wav_read(w.buf, w.len, &info, &back, why, sizeof(why)) < 0, "data past the end refused");
	is_str(why, "data chunk runs past the end", "reason");
	strbuf_release(&w);
	ok(tone_rms(pcm, 800) > 6000 && tone_rms(pcm, 800) < 7500, "RMS of a sine is amp/sqrt(2)");
}

static void test_srtp(void)
{
	char key[MEDIA_SRTP_KEY_B64], why[128];
	struct media_srtp *tx, *rx;
	uint8_t pkt[64 + MEDIA_SRTP_TRAILER], pay[20];
	size_t n;
	struct rtp_hdr h;

	is_int(media_srtp_key_new(key, sizeof(key)), 0, "key made");
	is_int(strlen(key), 40, "30 bytes in base64");
	tx = media_srtp_new("AES_CM_128_HMAC_SHA1_80", key, false, why, sizeof(why));
	rx = media_srtp_new("AES_CM_128_HMAC_SHA1_80", key, true, why, sizeof(why));
	ok(tx && rx, "sessions made");
	memset(pay, 0x55, sizeof(pay));
	n = rtp_build(pkt, sizeof(pkt), 0, false, 1, 160, 42, pay, sizeof(pay));
	is_int(media_srtp_protect(tx, pkt, &n, false), 0, "protect");
	is_int(n, 12 + 20 + 10, "80-bit tag added");
	ok(memcmp(pkt + 12, pay, sizeof(pay)) != 0, "payload encrypted");
	is_int(media_srtp_unprotect(rx, pkt, &n, false), 0, "unprotect");
	ok(rtp_parse(pkt, n, &h) == 0 && memcmp(h.payload, pay, sizeof(pay)) == 0, "payload back");
	is_int(media_srtp_unprotect(rx, pkt, &n, false), -1, "replay or bad tag refused");
	media_srtp_free(tx);
	media_srtp_free(rx);
	ok(media_srtp_new("AES_CM_128_HMAC_SHA1_80", "short", true, why, sizeof(why)) == NULL,
	   "bad key refused");
}

int main(void)
{
	test_g711();
	test_rtp();
	test_dtmf();
	test_wav();
	test_srtp();
	return tap_done();
}
