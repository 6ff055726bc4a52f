/* Unit tests: the "auto" worker count (lib/net/serve: a negative
 * "workers" is two per online CPU, between the bounds). */
#include <stdio.h>
#include <unistd.h>

#include "net/serve.h"
#include "tap.h"

int main(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = serve_auto_workers(), want;

	if (cpus < 1)
		cpus = 1;
	want = (size_t)cpus * 2;
	if (want < SERVE_AUTO_WORKERS_MIN)
		want = SERVE_AUTO_WORKERS_MIN;
	if (want > SERVE_AUTO_WORKERS_MAX)
		want = SERVE_AUTO_WORKERS_MAX;
	ok(n >= SERVE_AUTO_WORKERS_MIN, "at least the minimum (%zu)", n);
	ok(n <= SERVE_AUTO_WORKERS_MAX, "at most the maximum (%zu)", n);
	is_int((long long)n, (long long)want, "two per CPU (%ld CPUs), bounded", cpus);
	ok(SERVE_AUTO_WORKERS_MIN <= SERVE_AUTO_WORKERS_MAX, "the bounds are in order");
	return tap_done();
}
