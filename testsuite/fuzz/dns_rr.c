/* libFuzzer harness: the RDATA parser and formatter on arbitrary bytes.
 * The first byte picks the record type, the rest is the RDATA. */
#include <stddef.h>
#include <stdint.h>

#include "dns/dns_rr.h"
#include "util/strbuf.h"

static const int types[] = {
	DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_MX, DNS_TYPE_TXT, DNS_TYPE_PTR,
	DNS_TYPE_SRV, DNS_TYPE_TLSA, DNS_TYPE_NS, DNS_TYPE_CNAME, 99,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_rr rr;
	struct strbuf sb = STRBUF_INIT;
	const char *why;
	int type;

	if (size < 1)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	if (dns_rr_parse(&rr, type, data + 1, size - 1, &why) == 0) {
		dns_rr_format(&rr, &sb);
		dns_rr_clear(&rr);
		strbuf_release(&sb);
	}
	return 0;
}
