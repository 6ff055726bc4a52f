/* The monotonic clock in milliseconds, what every deadline and timeout
 * in postern is counted on (never the wall clock, which may step). */
#ifndef POSTERN_UTIL_CLOCK_H
#define POSTERN_UTIL_CLOCK_H

#include <time.h>

static inline long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
