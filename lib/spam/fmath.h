/* The few floating-point functions the model needs, without libm: the
 * filter runs once per message, and loading libm (a shared library of
 * 900 KB with its own relocations) cost more at each start than scoring
 * the message. Results are libm's to within an ulp. */
#ifndef POSTERN_SPAM_FMATH_H
#define POSTERN_SPAM_FMATH_H

/* e^x; +inf above 709.78, 0 below -745.13, NaN for NaN. */
double fmath_exp(double x);
/* The square root, correctly rounded (the hardware's instruction where
 * there is one); NaN for x < 0. */
double fmath_sqrt(double x);
float fmath_sqrtf(float x);
/* x rounded to the nearest integer, halves away from zero (lround);
 * |x| must fit a long. */
long fmath_lround(double x);

#endif
