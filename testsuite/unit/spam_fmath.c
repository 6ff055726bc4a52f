/* Unit tests of spam/fmath.h against libm: exp within an ulp over the
 * whole range (subnormal results, overflow, NaN), sqrt exact, lround's
 * halves away from zero. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spam/fmath.h"
#include "tap.h"

static int64_t ulps(double a, double b)
{
	int64_t x, y;

	memcpy(&x, &a, sizeof(x));
	memcpy(&y, &b, sizeof(y));
	return x > y ? x - y : y - x;
}

/* The largest distance from libm's exp over n points of [lo, hi]. */
static int64_t exp_worst(double lo, double hi, int n, double *where)
{
	int64_t worst = 0;

	*where = lo;
	for (int i = 0; i <= n; i++) {
		double x = lo + (hi - lo) * i / n;
		int64_t d = ulps(fmath_exp(x), exp(x));

		if (d > worst) {
			worst = d;
			*where = x;
		}
	}
	return worst;
}

int main(void)
{
	double at = 0;
	long bad = 0;

	ok(exp_worst(-1, 1, 200000, &at) <= 1, "exp within 1 ulp on [-1, 1] (worst at %.17g)", at);
	ok(exp_worst(-700, 700, 200000, &at) <= 1, "exp within 1 ulp on [-700, 700] (worst at %.17g)", at);
	ok(exp_worst(-745, -708, 200000, &at) <= 1, "exp within 1 ulp for subnormal results (worst at %.17g)", at);
	ok(exp_worst(-1e-9, 1e-9, 20000, &at) <= 1, "exp within 1 ulp near 0 (worst at %.17g)", at);
	ok(fmath_exp(0) == 1 && fmath_exp(-0.0) == 1, "exp(0) is 1");
	ok(fmath_exp(M_LN2) == 2, "exp(ln 2) is 2");
	ok(isinf(fmath_exp(709.79)) && isinf(fmath_exp(INFINITY)), "overflow gives +inf");
	ok(fmath_exp(-745.14) == 0 && fmath_exp(-INFINITY) == 0, "underflow gives 0");
	ok(fmath_exp(-745.13) > 0, "the smallest subnormal result is not 0");
	ok(isnan(fmath_exp(NAN)), "exp(NaN) is NaN");

	srand(7);
	for (int i = 0; i < 200000; i++) {
		double x = (double)rand() / RAND_MAX * (i % 2 ? 1e7 : 10);

		if (fmath_sqrt(x) != sqrt(x) || fmath_sqrtf((float)x) != sqrtf((float)x))
			bad++;
	}
	is_int(bad, 0, "sqrt and sqrtf are libm's to the bit");
	ok(isnan(fmath_sqrt(-1)), "sqrt(-1) is NaN");

	bad = 0;
	for (int i = 0; i < 200000; i++) {
		double x = ((double)rand() / RAND_MAX - 0.5) * 1e6;

		if (i % 3 == 0)
			x = (double)(long)x + (i % 2 ? 0.5 : -0.5);
		if (fmath_lround(x) != lround(x))
			bad++;
	}
	is_int(bad, 0, "lround as libm's, halves included");
	is_int(fmath_lround(0.49999999999999994), 0, "lround of the double below 0.5 is 0");
	is_int(fmath_lround(-2.5), -3, "lround(-2.5) is -3");
	is_int(fmath_lround(4503599627370495.5), 4503599627370496, "lround at 2^52");
	return tap_done();
}
