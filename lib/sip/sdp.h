/* SDP (RFC 4566) for a voicemail answerer: the parser keeps what an
 * offer/answer exchange (RFC 3264) needs: connection address, media
 * lines with their formats, rtpmap, ptime, direction and SDES crypto
 * (RFC 4568); the answer builder keeps the offer's m-lines in order,
 * takes PCMU or PCMA and telephone-event from the offer, and refuses the
 * other streams with port 0. Limits on every count and length. */
#ifndef POSTERN_SIP_SDP_H
#define POSTERN_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

#define SDP_TEXT_MAX 16384	/* bytes of one SDP body */
#define SDP_MEDIA_MAX 8		/* m-lines */
#define SDP_FMT_MAX 32		/* formats on one m-line */
#define SDP_CRYPTO_MAX 8	/* a=crypto lines on one m-line */
#define SDP_ADDR_MAX 64
#define SDP_WHY_MAX 128

enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

struct sdp_fmt {
	int pt;			/* payload type 0..127 */
	char enc[32];		/* encoding name from rtpmap ("PCMU"), or "" */
	int rate;		/* clock rate, 0 when unknown */
};

struct sdp_crypto {
	int tag;
	char suite[48];		/* "AES_CM_128_HMAC_SHA1_80" */
	char key[96];		/* the inline key||salt, base64, no lifetime/MKI */
};

struct sdp_media {
	char type[16];		/* "audio" */
	unsigned port;
	char proto[32];		/* "RTP/AVP", "RTP/SAVP" */
	char fmts[256];		/* the format list as written */
	struct sdp_fmt fmt[SDP_FMT_MAX];
	size_t nfmt;
	char addr[SDP_ADDR_MAX];	/* c= of the media, else the session's */
	int ptime;		/* a=ptime in ms, 0 when absent */
	enum sdp_dir dir;
	struct sdp_crypto crypto[SDP_CRYPTO_MAX];
	size_t ncrypto;
};

struct sdp {
	char origin_addr[SDP_ADDR_MAX];
	unsigned long long sess_id, sess_version;
	struct sdp_media m[SDP_MEDIA_MAX];
	size_t nmedia;
};

/* Returns 0, or -1 with why ("no m= line", "too many m= lines"). */
int sdp_parse(const char *text, size_t len, struct sdp *s, char *why, size_t whylen);

/* The answer's choices for the stream we take. */
struct sdp_choice {
	int media;		/* index of the m-line taken */
	int pt;			/* 0 PCMU or 8 PCMA (the offer's number) */
	const char *codec;	/* "PCMU" or "PCMA" */
	int dtmf_pt;		/* telephone-event payload, -1 when not offered */
	int ptime;		/* ms, the offer's or 20 */
	bool secure;		/* RTP/SAVP with the crypto below */
	struct sdp_crypto crypto;	/* the offer's crypto we took */
	char remote_addr[SDP_ADDR_MAX];
	unsigned remote_port;
};

struct sdp_answer_opts {
	const char *addr;	/* our media address (IPv4 or IPv6 literal) */
	unsigned port;		/* our RTP port */
	unsigned long long sess_id, sess_version;
	bool require_srtp;	/* take only RTP/SAVP with a suite we know */
	bool allow_srtp;	/* take RTP/SAVP (else only RTP/AVP) */
	const char *our_key;	/* our SDES inline key (base64) when secure */
};

/* Picks the stream from an offer without writing an answer. Returns 0,
 * or -1 with why (no audio stream we can take: 488). */
int sdp_choose(const struct sdp *offer, const struct sdp_answer_opts *o,
	       struct sdp_choice *ch, char *why, size_t whylen);
/* Writes our own offer into out (appended), for an INVITE that came
 * without one (RFC 3261 13.2.1 late offer): one audio stream, PCMU, PCMA
 * and telephone-event 101, 20 ms; RTP/SAVP with our SDES key (tag 1,
 * AES_CM_128_HMAC_SHA1_80) when o->our_key is set. The answer comes in
 * the ACK and goes through sdp_parse and sdp_choose like an offer. */
void sdp_offer(const struct sdp_answer_opts *o, struct strbuf *out);
/* Writes the answer for choice ch into out (appended). */
void sdp_answer(const struct sdp *offer, const struct sdp_answer_opts *o,
		const struct sdp_choice *ch, struct strbuf *out);

#endif
