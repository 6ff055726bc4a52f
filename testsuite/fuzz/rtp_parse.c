/* libFuzzer harness: RTP and RTCP headers and RFC 4733 events
 * (lib/media/rtp.h, dtmf.h) on arbitrary packets. */
#include <stddef.h>
#include <stdint.h>

#include "media/dtmf.h"
#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	struct dtmf_rx rx;
	int pt;

	if (rtcp_is(data, size)) {
		(void)rtcp_parse(data, size, &pt);
		return 0;
	}
	if (rtp_parse(data, size, &h) == 0) {
		volatile uint8_t sum = 0;

		for (size_t i = 0; i < h.payload_len; i++)
			sum ^= h.payload[i];
		dtmf_rx_init(&rx);
		(void)dtmf_rx_packet(&rx, h.ts, h.payload, h.payload_len);
	}
	return 0;
}
