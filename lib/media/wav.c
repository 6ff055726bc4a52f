/* WAV writing and reading (see wav.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/g711.h"
#include "media/wav.h"
#include "util/mem.h"

static void put16(struct strbuf *o, unsigned v)
{
	strbuf_addch(o, (int)(v & 0xff));
	strbuf_addch(o, (int)((v >> 8) & 0xff));
}

static void put32(struct strbuf *o, uint32_t v)
{
	put16(o, v & 0xffff);
	put16(o, v >> 16);
}

void wav_write(struct strbuf *out, const int16_t *pcm, size_t n, unsigned rate)
{
	uint32_t bytes = (uint32_t)(n * 2);

	strbuf_grow(out, WAV_HEADER_LEN + bytes);
	strbuf_add(out, "RIFF", 4);
	put32(out, 36 + bytes);
	strbuf_add(out, "WAVEfmt ", 8);
	put32(out, 16);
	put16(out, 1);		/* PCM */
	put16(out, 1);		/* mono */
	put32(out, rate);
	put32(out, rate * 2);	/* byte rate */
	put16(out, 2);		/* block align */
	put16(out, 16);
	strbuf_add(out, "data", 4);
	put32(out, bytes);
	for (size_t i = 0; i < n; i++)
		put16(out, (uint16_t)pcm[i]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static int fail(char *why, size_t whylen, const char *s)
{
	snprintf(why, whylen, "%s", s);
	return -1;
}

int wav_read(const void *data, size_t len, struct wav_info *info, int16_t **pcm,
	     char *why, size_t whylen)
{
	const uint8_t *d = data, *fmt = NULL, *body = NULL;
	size_t off = 12, body_len = 0, frame, n;
	int chunks = 0;

	*pcm = NULL;
	memset(info, 0, sizeof(*info));
	if (len < 12 || memcmp(d, "RIFF", 4) != 0 || memcmp(d + 8, "WAVE", 4) != 0)
		return fail(why, whylen, "not a RIFF/WAVE file");
	if (len > WAV_FILE_MAX)
		return fail(why, whylen, "file too large");
	while (off + 8 <= len && (fmt == NULL || body == NULL)) {
		uint32_t clen = get32(d + off + 4);

		if (++chunks > WAV_CHUNKS_MAX)
			return fail(why, whylen, "too many chunks");
		if (clen > len - off - 8)
			return fail(why, whylen, memcmp(d + off, "data", 4) == 0 ?
				    "data chunk runs past the end" : "chunk runs past the end");
		if (memcmp(d + off, "fmt ", 4) == 0) {
			if (clen < 16)
				return fail(why, whylen, "fmt chunk too short");
			fmt = d + off + 8;
		} else if (memcmp(d + off, "data", 4) == 0) {
			body = d + off + 8;
			body_len = clen;
		}
		off += 8 + (size_t)clen + (clen & 1);
	}
	if (fmt == NULL || body == NULL)
		return fail(why, whylen, fmt ? "no data chunk" : "no fmt chunk");
	info->format = get16(fmt);
	info->channels = get16(fmt + 2);
	info->rate = get32(fmt + 4);
	info->bits = get16(fmt + 14);
	if (info->channels < 1 || info->channels > 8)
		return fail(why, whylen, "bad channel count");
	if (info->rate < 1000 || info->rate > 192000)
		return fail(why, whylen, "bad sample rate");
	if (info->format == 1 && info->bits == 16)
		frame = 2 * info->channels;
	else if ((info->format == 6 || info->format == 7) && info->bits == 8)
		frame = info->channels;
	else {
		char b[64];

		snprintf(b, sizeof(b), "unsupported format %u with %u bits", info->format, info->bits);
		return fail(why, whylen, b);
	}
	n = body_len / frame;
	info->samples = n;
	*pcm = xmalloc(n ? n * sizeof(int16_t) : 1);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = body + i * frame;

		if (info->format == 1)
			(*pcm)[i] = (int16_t)get16(s);
		else if (info->format == 6)
			(*pcm)[i] = g711_alaw_decode(*s);
		else
			(*pcm)[i] = g711_ulaw_decode(*s);
	}
	return 0;
}

int wav_read_file(const char *path, struct wav_info *info, int16_t **pcm,
		  char *why, size_t whylen)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	*pcm = NULL;
	if (strbuf_read_file(&sb, path, WAV_FILE_MAX) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	rc = wav_read(sb.buf, sb.len, info, pcm, why, whylen);
	strbuf_release(&sb);
	return rc;
}
