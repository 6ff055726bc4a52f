/* WAV files: the recordings (16-bit PCM, mono, 8 kHz) and the greetings
 * read back (16-bit PCM, or G.711 mu-law/A-law, mono, 8 kHz), with caps
 * on sizes and chunk counts. */
#ifndef POSTERN_MEDIA_WAV_H
#define POSTERN_MEDIA_WAV_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

#define WAV_HEADER_LEN 44
#define WAV_RATE 8000
#define WAV_FILE_MAX (64 * 1024 * 1024)	/* 70 minutes of 8 kHz 16-bit */
#define WAV_CHUNKS_MAX 64

/* Appends a 16-bit PCM mono WAV of n samples at rate to out. */
void wav_write(struct strbuf *out, const int16_t *pcm, size_t n, unsigned rate);

struct wav_info {
	unsigned rate;
	unsigned channels;
	unsigned format;	/* 1 PCM, 6 A-law, 7 mu-law */
	unsigned bits;
	size_t samples;		/* per channel */
};

/* Reads a WAV from memory into 16-bit samples (*pcm, caller frees; the
 * first channel only). Returns 0, or -1 with why ("not a RIFF/WAVE file",
 * "unsupported format 3", "data chunk runs past the end"). */
int wav_read(const void *data, size_t len, struct wav_info *info, int16_t **pcm,
	     char *why, size_t whylen);
/* The same from a file of at most WAV_FILE_MAX bytes. */
int wav_read_file(const char *path, struct wav_info *info, int16_t **pcm,
		  char *why, size_t whylen);

#endif
