/* Floating-point functions without libm (see fmath.h). */
#include <stdint.h>
#include <string.h>

#include "spam/fmath.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#include <math.h>
#endif

/* exp after fdlibm's e_exp.c (Sun Microsystems, freely usable): x = k ln2
 * + r with |r| <= ln2/2, e^r from a rational approximation whose error is
 * below 1 ulp, then k added to the exponent. */
#define EXP_OVER 7.09782712893383973096e+02	/* above: +inf */
#define EXP_UNDER (-7.45133219101941108420e+02)	/* below: 0 */
#define LN2_HI 6.93147180369123816490e-01	/* k * LN2_HI is exact */
#define LN2_LO 1.90821492927058770002e-10
#define INV_LN2 1.44269504088896338700e+00
#define P1 1.66666666666666019037e-01
#define P2 (-2.77777777770155933842e-03)
#define P3 6.61375632143793436117e-05
#define P4 (-1.65339022054652515390e-06)
#define P5 4.13813679705723846039e-08
#define TWO_M1000 9.33263618503218878990e-302	/* 2^-1000 */

/* y * 2^k for y in [0.5, 2) and k where the result is normal. */
static double scale2(double y, int k)
{
	uint64_t b;

	memcpy(&b, &y, sizeof(b));
	b += (uint64_t)(int64_t)k << 52;
	memcpy(&y, &b, sizeof(y));
	return y;
}

double fmath_exp(double x)
{
	double hi, lo, r, t, c, y;
	int k;

	if (x != x)
		return x + x;
	if (x > EXP_OVER)
		return __builtin_inf();
	if (x < EXP_UNDER)
		return 0;
	k = (int)(INV_LN2 * x + (x < 0 ? -0.5 : 0.5));
	hi = x - k * LN2_HI;
	lo = k * LN2_LO;
	r = hi - lo;
	t = r * r;
	c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
	y = 1 - ((lo - (r * c) / (2 - c)) - hi);
	if (k >= -1021)
		return scale2(y, k);
	/* A subnormal result: scaled in two steps, rounded once. */
	return scale2(y, k + 1000) * TWO_M1000;
}

double fmath_sqrt(double x)
{
	double r;

#if defined(__x86_64__)
	__asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
#elif defined(__aarch64__)
	__asm__("fsqrt %d0, %d1" : "=w"(r) : "w"(x));
#else
	r = sqrt(x);
#endif
	return r;
}

float fmath_sqrtf(float x)
{
	float r;

#if defined(__x86_64__)
	__asm__("sqrtss %1, %0" : "=x"(r) : "x"(x));
#elif defined(__aarch64__)
	__asm__("fsqrt %s0, %s1" : "=w"(r) : "w"(x));
#else
	r = sqrtf(x);
#endif
	return r;
}

long fmath_lround(double x)
{
	long v = (long)x;
	double f = x - (double)v;	/* exact: the fraction of x */

	if (f >= 0.5)
		v++;
	else if (f <= -0.5)
		v--;
	return v;
}
