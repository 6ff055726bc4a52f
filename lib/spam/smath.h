/* The few math functions the classifier needs, without libm: the build
 * does not link -lm (see the report to the lead). Accurate to about 1e-12
 * relative over the ranges used (|x| < 700 for exp). */
#ifndef POSTERN_SPAM_SMATH_H
#define POSTERN_SPAM_SMATH_H

#include <stdint.h>
#include <string.h>

static inline double smath_floor(double x)
{
	double t;

	if (!(x > -4e18 && x < 4e18))
		return x;
	t = (double)(long long)x;
	return t > x ? t - 1 : t;
}

static inline double smath_ceil(double x)
{
	return -smath_floor(-x);
}

static inline long smath_lround(double x)
{
	return (long)smath_floor(x + 0.5);
}

static inline double smath_exp(double x)
{
	double n, f, p, r;
	int64_t e;
	uint64_t bits;

	if (x != x)
		return x;
	if (x > 700)
		x = 700;
	if (x < -700)
		return 0;
	/* e^x = 2^n * e^f with f = x - n ln 2 in [-ln2/2, ln2/2]. */
	n = smath_floor(x * 1.4426950408889634 + 0.5);
	f = x - n * 0.6931471805599453;
	p = 1 + f * (1 + f * (1.0 / 2 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 +
	    f * (1.0 / 720 + f * (1.0 / 5040 + f * (1.0 / 40320 + f * (1.0 / 362880 +
	    f * (1.0 / 3628800))))))))));
	e = (int64_t)n + 1023;
	bits = (uint64_t)e << 52;
	memcpy(&r, &bits, sizeof(r));
	return p * r;
}

static inline double smath_sqrt(double x)
{
	double r = x > 1 ? x / 2 : 1;

	if (!(x > 0))
		return 0;
	/* Newton from a power-of-two guess: halve the exponent first. */
	{
		uint64_t b;

		memcpy(&b, &x, sizeof(b));
		b = (b >> 1) + ((uint64_t)511 << 52);
		memcpy(&r, &b, sizeof(r));
	}
	for (int i = 0; i < 6; i++)
		r = 0.5 * (r + x / r);
	return r;
}

/* 1/sqrt(x) for x > 0 to about 5e-6 relative: the training loop's step
 * size, where a division per update would dominate. */
static inline float smath_rsqrtf(float x)
{
	uint32_t b;
	float y;

	memcpy(&b, &x, sizeof(b));
	b = 0x5f3759dfu - (b >> 1);
	memcpy(&y, &b, sizeof(y));
	y = y * (1.5f - 0.5f * x * y * y);
	y = y * (1.5f - 0.5f * x * y * y);
	return y;
}

#endif
