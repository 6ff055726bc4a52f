/* Safelist hashes (see safelist.h). */
#include <string.h>

#include "mail/address.h"
#include "spam/safelist.h"
#include "util/sha256.h"
#include "util/strbuf.h"

void safelist_hash(const char *addr, size_t len, unsigned char out[SAFELIST_HASH_LEN])
{
	struct strbuf n = STRBUF_INIT;
	unsigned char md[SHA256_LEN];

	address_normalise(addr, len, &n);
	sha256(n.buf ? n.buf : "", n.len, md);
	memcpy(out, md, SAFELIST_HASH_LEN);
	strbuf_release(&n);
}

bool safelist_has(const unsigned char *blob, size_t len, const char *addr)
{
	unsigned char h[SAFELIST_HASH_LEN];

	if (addr == NULL || *addr == 0)
		return false;
	safelist_hash(addr, strlen(addr), h);
	for (size_t i = 0; i + SAFELIST_HASH_LEN <= len; i += SAFELIST_HASH_LEN)
		if (memcmp(blob + i, h, SAFELIST_HASH_LEN) == 0)
			return true;
	return false;
}
