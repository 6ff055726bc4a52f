/* libFuzzer harness: owa-cas's form parsers (multipart/form-data with a
 * boundary taken from the input's first line, and urlencoded) on
 * arbitrary bytes; every field found lies inside the input's length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/owa-cas/form.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size < 100 ? size : 100), *why = NULL;
	char ctype[160];
	struct form f;

	if (size > 1 << 20)
		return 0;
	if (nl) {
		snprintf(ctype, sizeof(ctype), "multipart/form-data; %.*s", (int)((const uint8_t *)nl - data),
			 (const char *)data);
		form_parse(ctype, nl + 1, size - (size_t)((const uint8_t *)nl + 1 - data), &f, &why);
		for (size_t i = 0; i < f.n; i++)
			if (f.f[i].name == NULL || f.f[i].len > size || (f.f[i].value && f.f[i].value[f.f[i].len]))
				abort();
		form_free(&f);
	}
	form_parse(NULL, (const char *)data, size, &f, &why);
	form_free(&f);
	return 0;
}
