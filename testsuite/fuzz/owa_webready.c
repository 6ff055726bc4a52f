/* libFuzzer harness: owa-cas WebReady on arbitrary bytes taken as a DOCX,
 * XLSX, PPTX or ODT container (the first byte picks which): libarchive
 * reads the zip, libxml2 the parts, owa-cas walks them to HTML, and the
 * result goes through the sanitiser. PDF is left out (it forks). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/owa-cas/webready.c"

struct owa owa;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a.docx", "a.xlsx", "a.pptx", "a.odt" };
	struct strbuf out = STRBUF_INIT;
	const char *why = NULL;

	if (size < 1 || size > (1 << 20))
		return 0;
	owa.webready_max = 1 << 20;
	if (webready_convert((const char *)data + 1, size - 1, names[data[0] % 4], NULL, &out,
			     &why) < 0 && why == NULL)
		abort();
	strbuf_release(&out);
	return 0;
}
