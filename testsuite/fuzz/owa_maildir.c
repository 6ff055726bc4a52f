/* libFuzzer harness: owa-cas's Maildir file name and flag parser and
 * folder-name check on arbitrary bytes; a parsed name rebuilt with its
 * flags parses back to the same base and flags. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/owa-cas/maildir.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t bl, bl2;
	unsigned f, f2;
	struct strbuf sb = STRBUF_INIT;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	(void)md_folder_ok(s);
	if (md_name_parse(s, &bl, &f) == 0) {
		if (bl == 0 || bl > strlen(s))
			abort();
		md_name_make(s, bl, f, &sb);
		if (md_name_parse(sb.buf, &bl2, &f2) == 0 && (bl2 != bl || f2 != f) &&
		    !memchr(s, ':', bl))
			abort();
	}
	strbuf_release(&sb);
	free(s);
	return 0;
}
