/* Tones the voicemail plays: the beep before recording and the built-in
 * greeting (a short chime, so that no binary audio file has to live in
 * the source tree), and the measures used to tell silence from speech. */
#ifndef POSTERN_MEDIA_TONE_H
#define POSTERN_MEDIA_TONE_H

#include <stddef.h>
#include <stdint.h>

/* Appends n samples of a sine of freq Hz at amplitude amp (0..32767) at
 * rate, with 5 ms fades at both ends, to buf (grown by the caller). */
void tone_sine(int16_t *buf, size_t n, double freq, int amp, unsigned rate);
/* The built-in greeting at 8 kHz: *pcm (caller frees), returns samples. */
size_t tone_default_greeting(int16_t **pcm);
/* Root mean square level of n samples. */
double tone_rms(const int16_t *pcm, size_t n);

#endif
