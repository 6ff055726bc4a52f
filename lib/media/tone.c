/* Tone synthesis and levels (see tone.h). */
#include <math.h>
#include <string.h>

#include "media/tone.h"
#include "util/mem.h"

void tone_sine(int16_t *buf, size_t n, double freq, int amp, unsigned rate)
{
	size_t fade = rate / 200;

	for (size_t i = 0; i < n; i++) {
		double g = 1.0;

		if (i < fade)
			g = (double)i / (double)fade;
		else if (n - i < fade)
			g = (double)(n - i) / (double)fade;
		buf[i] = (int16_t)lrint(amp * g * sin(2.0 * M_PI * freq * (double)i / rate));
	}
}

size_t tone_default_greeting(int16_t **pcm)
{
	/* Three rising notes, then half a second of quiet. */
	static const double notes[] = { 523.25, 659.25, 783.99 };
	size_t note = 8000 / 4, gap = 8000 / 20, n = 3 * (note + gap) + 8000 / 2, off = 0;

	*pcm = xcalloc(n, sizeof(int16_t));
	for (size_t i = 0; i < 3; i++) {
		tone_sine(*pcm + off, note, notes[i], 8000, 8000);
		off += note + gap;
	}
	return n;
}

double tone_rms(const int16_t *pcm, size_t n)
{
	double sum = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	return sqrt(sum / (double)n);
}
