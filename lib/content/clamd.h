/* clamd client: the INSTREAM command over clamd's unix or TCP socket.
 * A clamd that cannot be reached, is slow or answers an error is
 * CLAMD_ERROR (the caller decides: 4xx, or accept when configured). */
#ifndef POSTERN_CONTENT_CLAMD_H
#define POSTERN_CONTENT_CLAMD_H

#include <stddef.h>

enum clamd_result {
	CLAMD_CLEAN,
	CLAMD_VIRUS,
	CLAMD_ERROR,
};

/* Scans data[0..len) with the clamd at addr ("unix:/path", "/path" or
 * "HOST:PORT", "[v6]:PORT"), waiting at most timeout_ms for each step.
 * what gets the signature name (CLAMD_VIRUS) or the reason (CLAMD_ERROR),
 * NUL-terminated and cut to whatsize. */
enum clamd_result clamd_scan(const char *addr, long long timeout_ms, const void *data,
			     size_t len, char *what, size_t whatsize);
const char *clamd_result_name(enum clamd_result r);

#endif
