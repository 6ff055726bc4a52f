/* lib/sip/sdp: parsing an offer and the RFC 3264 answer (same m-lines in
 * order, PCMU/PCMA and telephone-event from the offer, SDES). */
#include <string.h>

#include "sip/sdp.h"
#include "tap.h"

static const char offer[] =
	"v=0\r\n"
	"o=gw 123 456 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"t=0 0\r\n"
	"m=video 5000 RTP/AVP 96\r\n"
	"m=audio 4000 RTP/SAVP 18 8 0 101\r\n"
	"c=IN IP4 192.0.2.7\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=ptime:30\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32\r\n"
	"a=sendonly\r\n";

int main(void)
{
	struct sdp s;
	struct sdp_choice ch;
	struct sdp_answer_opts o = { .addr = "127.0.0.1", .port = 20000, .sess_id = 1,
				     .sess_version = 1, .allow_srtp = true,
				     .our_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	struct strbuf a = STRBUF_INIT;
	char why[SDP_WHY_MAX];

	is_int(sdp_parse(offer, strlen(offer), &s, why, sizeof(why)), 0, "offer parses");
	is_int(s.nmedia, 2, "two m-lines");
	is_str(s.m[1].addr, "192.0.2.7", "media c= overrides the session's");
	is_str(s.m[0].addr, "192.0.2.1", "session c= for the first");
	is_int(s.m[1].ptime, 30, "ptime");
	is_int(s.m[1].ncrypto, 1, "one crypto line");
	is_str(s.m[1].crypto[0].key, "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", "inline key without lifetime");
	is_int(sdp_choose(&s, &o, &ch, why, sizeof(why)), 0, "an audio stream is taken");
	is_int(ch.media, 1, "the second m-line");
	is_int(ch.pt, 8, "PCMA, the first G.711 in the offer's order");
	is_int(ch.dtmf_pt, 101, "telephone-event with the offer's number");
	ok(ch.secure, "SRTP");
	sdp_answer(&s, &o, &ch, &a);
	ok(strstr(a.buf, "m=video 0 RTP/AVP 96\r\nm=audio 20000 RTP/SAVP 8 101\r\n") != NULL,
	   "same m-lines in order, video refused with port 0");
	ok(strstr(a.buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA") != NULL, "our key, the offer's tag");
	ok(strstr(a.buf, "a=recvonly\r\n") != NULL, "sendonly offer gets recvonly");
	ok(strstr(a.buf, "a=ptime:30\r\n") != NULL, "the offer's packet time");
	strbuf_release(&a);

	o.allow_srtp = false;
	is_int(sdp_choose(&s, &o, &ch, why, sizeof(why)), -1, "SRTP offer to a plan without SRTP");
	{
		const char *plain = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n";

		o.require_srtp = true;
		o.allow_srtp = true;
		is_int(sdp_parse(plain, strlen(plain), &s, why, sizeof(why)), 0, "plain offer parses");
		is_int(sdp_choose(&s, &o, &ch, why, sizeof(why)), -1, "plain RTP where SRTP is required");
		is_str(why, "plain RTP offered where SRTP is required", "reason");
		o.require_srtp = false;
		is_int(sdp_choose(&s, &o, &ch, why, sizeof(why)), 0, "taken without the requirement");
		is_str(ch.codec, "PCMU", "static payload 0 is PCMU");
		is_int(ch.dtmf_pt, -1, "no telephone-event");
		is_int(ch.ptime, 20, "default packet time");
	}
	{
		const char *g729 = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18\r\n";

		sdp_parse(g729, strlen(g729), &s, why, sizeof(why));
		is_int(sdp_choose(&s, &o, &ch, why, sizeof(why)), -1, "no G.711: refused");
		is_str(why, "neither PCMU nor PCMA offered", "reason");
	}
	{
		struct strbuf off = STRBUF_INIT;
		struct sdp_answer_opts oo = { .addr = "::1", .port = 30000, .sess_id = 7,
					      .sess_version = 1,
					      .our_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
		struct sdp_answer_opts take = { .require_srtp = true, .allow_srtp = true };

		sdp_offer(&oo, &off);
		ok(strstr(off.buf, "c=IN IP6 ::1\r\n") != NULL, "late offer: IPv6 connection line");
		is_int(sdp_parse(off.buf, off.len, &s, why, sizeof(why)), 0, "our offer parses");
		is_int(sdp_choose(&s, &take, &ch, why, sizeof(why)), 0, "and is acceptable as SRTP");
		ok(ch.secure && ch.pt == 0 && ch.dtmf_pt == 101 && ch.remote_port == 30000,
		   "PCMU first, telephone-event 101, our port");
		strbuf_release(&off);
	}
	ok(sdp_parse("v=0\r\n", 5, &s, why, sizeof(why)) < 0, "no m-line");
	ok(sdp_parse("v=0\r\nm=audio 99999 RTP/AVP 0\r\n", 31, &s, why, sizeof(why)) < 0, "bad port");
	ok(sdp_parse("v=0\r\nm=audio 1 RTP/AVP 300\r\n", 28, &s, why, sizeof(why)) < 0, "bad payload type");
	return tap_done();
}
