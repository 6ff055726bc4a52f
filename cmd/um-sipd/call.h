/* The media of one call: an RTP socket, SDP answer, SRTP with SDES keys,
 * the greeting and beep played out at the offer's packet time, the
 * caller recorded (G.711 to 16-bit PCM), DTMF (RFC 4733), silence and
 * length limits. */
#ifndef POSTERN_UM_SIPD_CALL_H
#define POSTERN_UM_SIPD_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sdp.h"
#include "sipd.h"

struct call_media;

struct call_media_opts {
	const char *address;		/* our media address */
	bool require_srtp;
	const int16_t *greeting;	/* borrowed for the call's life */
	size_t greeting_len;
};

/* Opens the socket and answers the offer into answer. NULL with why and
 * the status to refuse with (488 for the offer, 503 for resources). The
 * greeting is copied. With no offer (a late-offer INVITE), answer gets
 * our offer and the media waits for call_media_answer. */
struct call_media *call_media_new(const struct sipd *d, const struct call_media_opts *o,
				  const struct sdp *offer, struct strbuf *answer,
				  char *why, size_t whylen, int *status);
void call_media_free(struct call_media *m);
/* True while our late offer waits for the answer. */
bool call_media_pending(const struct call_media *m);
/* The answer to our offer (the ACK's body). 0, or -1 with why. */
int call_media_answer(struct call_media *m, const char *body, size_t len, char *why,
		      size_t whylen);
bool call_media_secure(const struct call_media *m);
int call_media_fd(const struct call_media *m);
/* After the ACK: the greeting starts. */
void call_media_start(struct call_media *m);
/* Reads what the socket holds. */
void call_media_read(struct call_media *m);
/* Sends what is due at now; returns NULL, or why the call must end
 * ("#", "silence", "length limit"). */
const char *call_media_tick(struct call_media *m, long long now);
/* When the next packet is due (monotonic ms). */
long long call_media_next(const struct call_media *m);
/* RTP packets received, refused (bad header, SRTP authentication or
 * replay), and of the codec before recording began. */
void call_media_stats(const struct call_media *m, unsigned long *in, unsigned long *bad,
		      unsigned long *early);
/* The recording so far (borrowed) and its sample count. */
const int16_t *call_media_recording(const struct call_media *m, size_t *n);

#endif
