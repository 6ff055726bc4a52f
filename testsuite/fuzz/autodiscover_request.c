/* libFuzzer harness: the Autodiscover request and response readers
 * (libxml2 with a size cap, no DTD) on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "http/autodiscover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct autodiscover_request q;
	struct autodiscover_response r;

	autodiscover_request_parse((const char *)data, size, &q);
	autodiscover_response_parse((const char *)data, size, &r);
	return 0;
}
