/* libFuzzer harness: the transport rules loader on arbitrary bytes; a file
 * it accepts is evaluated on a fixed message (with and without an
 * explanation), which must not crash or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "content/rules.h"

static const char *hdr(const char *name, unsigned nth, void *ctx)
{
	(void)ctx;
	return nth < 2 && strcmp(name, "X-Test") == 0 ? "some Value" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rcpts[] = { "alice@example.test", "" }, *names[] = { "a.exe", "b/c.PDF" };
	const char *types[] = { "application/pdf" };
	struct rules_msg m = { "bob@sender.test", "Bob@Sender.test", rcpts, 2, "Hello invoice",
			       "body words here", 15, hdr, NULL, names, 2, types, 1, 5, true,
			       1234 };
	struct strbuf why = STRBUF_INIT, ex = STRBUF_INIT;
	struct rules_actions a;
	struct rules *r = rules_parse((const char *)data, size, "fuzz.json", &why);

	if (r) {
		rules_actions_init(&a);
		rules_eval(r, &m, &a, &ex);
		rules_actions_release(&a);
		rules_actions_init(&a);
		m.scl = RULES_SCL_UNKNOWN;
		rules_eval(r, &m, &a, NULL);
		rules_actions_release(&a);
		rules_free(r);
	}
	strbuf_release(&why);
	strbuf_release(&ex);
	return 0;
}
