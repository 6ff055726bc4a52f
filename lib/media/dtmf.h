/* DTMF as RTP events (RFC 4733): the event payload, and a receiver that
 * reports each key once however many end packets repeat it. */
#ifndef POSTERN_MEDIA_DTMF_H
#define POSTERN_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtmf_event {
	int event;		/* 0-9, 10 '*', 11 '#', 12-15 A-D */
	bool end;
	int volume;
	unsigned duration;	/* in timestamp units */
};

/* Returns 0, or -1 when the payload is shorter than 4 bytes. */
int dtmf_parse(const uint8_t *p, size_t len, struct dtmf_event *e);
/* '0'..'9', '*', '#', 'A'..'D', or 0 for an event that is no key. */
char dtmf_char(int event);

struct dtmf_rx {
	bool have;		/* an event is under way or was reported */
	bool reported;
	uint32_t ts;		/* the event's RTP timestamp */
};

void dtmf_rx_init(struct dtmf_rx *rx);
/* One telephone-event packet with its RTP timestamp. Returns the key the
 * first time an end packet of an event is seen, else 0 (the RFC sends
 * the end packet three times; a new event has a new timestamp). */
char dtmf_rx_packet(struct dtmf_rx *rx, uint32_t ts, const uint8_t *p, size_t len);

#endif
