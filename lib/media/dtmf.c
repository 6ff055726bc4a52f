/* RFC 4733 telephone events (see dtmf.h). */
#include "media/dtmf.h"

int dtmf_parse(const uint8_t *p, size_t len, struct dtmf_event *e)
{
	if (len < 4)
		return -1;
	e->event = p[0];
	e->end = (p[1] & 0x80) != 0;
	e->volume = p[1] & 0x3f;
	e->duration = (unsigned)(p[2] << 8 | p[3]);
	return 0;
}

char dtmf_char(int event)
{
	static const char keys[] = "0123456789*#ABCD";

	return event >= 0 && event < 16 ? keys[event] : 0;
}

void dtmf_rx_init(struct dtmf_rx *rx)
{
	rx->have = false;
	rx->reported = false;
	rx->ts = 0;
}

char dtmf_rx_packet(struct dtmf_rx *rx, uint32_t ts, const uint8_t *p, size_t len)
{
	struct dtmf_event e;

	if (dtmf_parse(p, len, &e) < 0)
		return 0;
	if (!rx->have || ts != rx->ts) {
		rx->have = true;
		rx->ts = ts;
		rx->reported = false;
	}
	if (e.end && !rx->reported) {
		rx->reported = true;
		return dtmf_char(e.event);
	}
	return 0;
}
