/* RTP and RTCP headers (see rtp.h). */
#include <string.h>

#include "media/rtp.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_hdr *h)
{
	size_t off, cc, end = len;

	if (len < RTP_HEADER_MIN || (pkt[0] >> 6) != 2)
		return -1;
	cc = pkt[0] & 0x0f;
	off = RTP_HEADER_MIN + 4 * cc;
	if (off > len)
		return -1;
	if (pkt[0] & 0x10) {
		size_t words;

		if (off + 4 > len)
			return -1;
		words = (size_t)pkt[off + 2] << 8 | pkt[off + 3];
		off += 4 + 4 * words;
		if (off > len)
			return -1;
	}
	if (pkt[0] & 0x20) {
		size_t pad = pkt[len - 1];

		if (pad == 0 || pad > len - off)
			return -1;
		end -= pad;
	}
	h->marker = (pkt[1] & 0x80) != 0;
	h->pt = pkt[1] & 0x7f;
	h->seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	h->ts = get32(pkt + 4);
	h->ssrc = get32(pkt + 8);
	h->payload = pkt + off;
	h->payload_len = end - off;
	return 0;
}

size_t rtp_build(uint8_t *out, size_t cap, int pt, bool marker, uint16_t seq,
		 uint32_t ts, uint32_t ssrc, const uint8_t *payload, size_t len)
{
	if (cap < RTP_HEADER_MIN || len > cap - RTP_HEADER_MIN)
		return 0;
	out[0] = 0x80;
	out[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
	out[4] = (uint8_t)(ts >> 24);
	out[5] = (uint8_t)(ts >> 16);
	out[6] = (uint8_t)(ts >> 8);
	out[7] = (uint8_t)ts;
	out[8] = (uint8_t)(ssrc >> 24);
	out[9] = (uint8_t)(ssrc >> 16);
	out[10] = (uint8_t)(ssrc >> 8);
	out[11] = (uint8_t)ssrc;
	if (len)
		memcpy(out + RTP_HEADER_MIN, payload, len);
	return RTP_HEADER_MIN + len;
}

bool rtcp_is(const uint8_t *pkt, size_t len)
{
	return len >= 8 && (pkt[0] >> 6) == 2 && pkt[1] >= 192 && pkt[1] <= 223;
}

int rtcp_parse(const uint8_t *pkt, size_t len, int *first_pt)
{
	size_t off = 0;

	if (!rtcp_is(pkt, len))
		return -1;
	*first_pt = pkt[1];
	while (off < len) {
		size_t plen;

		if (len - off < 4 || (pkt[off] >> 6) != 2)
			return -1;
		plen = 4 * ((size_t)(pkt[off + 2] << 8 | pkt[off + 3]) + 1);
		if (plen > len - off)
			return -1;
		off += plen;
	}
	return 0;
}
