/* G.711 by the segment arithmetic of ITU-T G.711 (no tables). */
#include "media/g711.h"

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

uint8_t g711_ulaw_encode(int16_t s)
{
	int v = s, sign = 0, exp = 7, mant;

	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > ULAW_CLIP)
		v = ULAW_CLIP;
	v += ULAW_BIAS;
	for (int mask = 0x4000; exp > 0 && !(v & mask); mask >>= 1)
		exp--;
	mant = (v >> (exp + 3)) & 0x0f;
	return (uint8_t)~(sign | (exp << 4) | mant);
}

int16_t g711_ulaw_decode(uint8_t u)
{
	int v, exp, mant;

	u = (uint8_t)~u;
	exp = (u >> 4) & 7;
	mant = u & 0x0f;
	v = ((mant << 3) + ULAW_BIAS) << exp;
	v -= ULAW_BIAS;
	return (int16_t)((u & 0x80) ? -v : v);
}

uint8_t g711_alaw_encode(int16_t s)
{
	int v = s, sign = 0x80, exp, mant;

	if (v < 0) {
		v = -v - 1;
		sign = 0;
	}
	if (v > 32767)
		v = 32767;
	if (v >= 256) {
		exp = 7;
		for (int mask = 0x4000; exp > 1 && !(v & mask); mask >>= 1)
			exp--;
		mant = (v >> (exp + 3)) & 0x0f;
	} else {
		exp = 0;
		mant = v >> 4;
	}
	return (uint8_t)((sign | (exp << 4) | mant) ^ 0x55);
}

int16_t g711_alaw_decode(uint8_t a)
{
	int v, exp, mant;

	a ^= 0x55;
	exp = (a >> 4) & 7;
	mant = a & 0x0f;
	if (exp == 0)
		v = (mant << 4) + 8;
	else
		v = ((mant << 4) + 0x108) << (exp - 1);
	return (int16_t)((a & 0x80) ? v : -v);
}

void g711_encode(const int16_t *pcm, size_t n, uint8_t *out, int alaw)
{
	for (size_t i = 0; i < n; i++)
		out[i] = alaw ? g711_alaw_encode(pcm[i]) : g711_ulaw_encode(pcm[i]);
}

void g711_decode(const uint8_t *in, size_t n, int16_t *pcm, int alaw)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = alaw ? g711_alaw_decode(in[i]) : g711_ulaw_decode(in[i]);
}
