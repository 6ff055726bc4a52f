/* libFuzzer harness: the SMTP command parser and address check on
 * arbitrary lines (NULs, CR, LF and over-long paths included). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd c;
	char *line;

	if (size > 70000)
		return 0;
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = 0;
	if (smtp_cmd_parse(line, size, &c) == 0) {
		if (c.addr && *c.addr)
			(void)smtp_addr_valid(c.addr, true);
		for (size_t i = 0; i < c.nparams; i++)
			(void)smtp_cmd_param(&c, c.params[i].key);
	}
	free(line);
	return 0;
}
