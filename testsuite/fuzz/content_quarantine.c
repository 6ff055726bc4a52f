/* libFuzzer harness: the quarantine report parser (quarantine list and
 * release read files that a mail reader or an admin may have touched) on
 * arbitrary bytes, with and without extracting the original, which must
 * then lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "content/quarantine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quar_item it;

	if (quar_parse((const char *)data, size, 0, &it) == 0) {
		if (!quar_id_valid(it.id))
			abort();
		quar_item_clear(&it);
	}
	if (quar_parse((const char *)data, size, 1, &it) == 0) {
		if (it.original.len > size)
			abort();
		quar_item_clear(&it);
	}
	return 0;
}
