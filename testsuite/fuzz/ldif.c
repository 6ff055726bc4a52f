/* libFuzzer harness: the LDIF parser on arbitrary bytes with small limits;
 * every entry it accepts is written back, and that text must parse again
 * into the same text (the writer's output is always valid LDIF). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dir/ldif.h"
#include "dir/pwhash.h"

static const struct ldif_limits limits = {
	.line_max = 4096, .value_max = 8192, .values_max = 64,
	.entries_max = 64, .total_max = 65536,
};

static int again(struct dir_entry *e, size_t line, void *ctx, struct strbuf *err)
{
	struct strbuf *sb = ctx;

	ldif_write_entry(sb, e);
	dir_entry_free(e);
	return 0;
}

static int check(struct dir_entry *e, size_t line, void *ctx, struct strbuf *err)
{
	struct strbuf once = STRBUF_INIT, twice = STRBUF_INIT, err2 = STRBUF_INIT;
	const struct dir_value *v;
	size_t n = dir_entry_get(e, "userPassword", &v);

	/* Stored passwords are outside input too. */
	for (size_t i = 0; i < n && i < 2; i++)
		(void)pwhash_verify(v[i].data, v[i].len, "fuzz");
	ldif_write_entry(&once, e);
	if (ldif_parse(once.buf, once.len, "again", NULL, again, &twice, &err2) != 0 ||
	    twice.len != once.len || memcmp(once.buf, twice.buf, once.len) != 0)
		abort();
	strbuf_release(&once);
	strbuf_release(&twice);
	strbuf_release(&err2);
	dir_entry_free(e);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT;

	(void)ldif_parse((const char *)data, size, "fuzz.ldif", &limits, check, NULL, &err);
	strbuf_release(&err);
	return 0;
}
