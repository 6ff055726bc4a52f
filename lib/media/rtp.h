/* RTP (RFC 3550) header parsing and building, and telling RTCP apart
 * from RTP on a shared port (RFC 5761: payload types 192..223). */
#ifndef POSTERN_MEDIA_RTP_H
#define POSTERN_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_MIN 12
#define RTP_PACKET_MAX 1500	/* what we receive and send at most */

struct rtp_hdr {
	bool marker;
	int pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload;	/* borrowed from the packet */
	size_t payload_len;	/* padding removed */
};

/* Returns 0, or -1 for a packet that is not RTP version 2 or whose CSRC
 * list, extension or padding runs past its end. */
int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_hdr *h);
/* Writes a header and the payload into out (cap bytes); returns the
 * packet length, or 0 when it does not fit. */
size_t rtp_build(uint8_t *out, size_t cap, int pt, bool marker, uint16_t seq,
		 uint32_t ts, uint32_t ssrc, const uint8_t *payload, size_t len);
/* True when the packet is RTCP (version 2, packet type 192..223). */
bool rtcp_is(const uint8_t *pkt, size_t len);
/* Checks an RTCP compound packet's lengths: 0 when every part fits
 * exactly, -1 otherwise. *first_pt receives the first packet type. */
int rtcp_parse(const uint8_t *pkt, size_t len, int *first_pt);

#endif
