/* libFuzzer harness: archive listing with libarchive on arbitrary bytes
 * (crafted zip, 7z, rar, tar, gzip...), with small limits; every name
 * handed out must be a NUL-terminated string at a depth within limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/archive.h"

static int name(const char *path, unsigned depth, void *ctx)
{
	size_t *n = ctx;

	if (depth == 0 || depth > 3 || strlen(path) > 1u << 20)
		abort();
	return ++*n > 5000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arch_limits lim = { 2, 200, 1u << 20 };
	struct arch_info info;
	size_t n = 0;

	arch_list(data, size, "fuzz.zip", &lim, name, &n, &info);
	if (info.depth > 3 || info.entries > 201)
		abort();
	return 0;
}
