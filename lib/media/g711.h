/* G.711 mu-law (PCMU) and A-law (PCMA) to and from 16-bit linear PCM,
 * the two codecs every SIP gateway offers. */
#ifndef POSTERN_MEDIA_G711_H
#define POSTERN_MEDIA_G711_H

#include <stddef.h>
#include <stdint.h>

uint8_t g711_ulaw_encode(int16_t s);
int16_t g711_ulaw_decode(uint8_t u);
uint8_t g711_alaw_encode(int16_t s);
int16_t g711_alaw_decode(uint8_t a);

/* n samples between pcm and the codec's bytes; alaw picks PCMA. */
void g711_encode(const int16_t *pcm, size_t n, uint8_t *out, int alaw);
void g711_decode(const uint8_t *in, size_t n, int16_t *pcm, int alaw);

#endif
