/* Fuzz harness: SPF record parsing and macro expansion (lib/spf). Input:
 * a TXT record's text; it is parsed as a record, checked and expanded as
 * a macro string (domain-spec and exp forms). */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "spf/spf_macro.h"
#include "spf/spf_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ptr(void *arg)
{
	return "host.example.test";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[SPF_RECORD_MAX + 2];
	struct spf_record rec;
	struct strbuf out = STRBUF_INIT;
	const char *why;
	struct spf_macro_ctx m = {
		.sender = "strong-bad@email.example.com", .local = "strong-bad",
		.sender_domain = "email.example.com", .domain = "email.example.com",
		.helo = "mx.example.com", .receiver = "mx.receiver.test", .now = 1,
		.family = size & 1 ? AF_INET6 : AF_INET, .ptr_name = ptr,
	};

	if (size > SPF_RECORD_MAX + 1)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (spf_record_parse(s, &rec, &why) == 0)
		spf_record_clear(&rec);
	inet_pton(AF_INET, "192.0.2.3", m.addr);
	for (int exp = 0; exp < 2; exp++) {
		strbuf_reset(&out);
		if (spf_macro_expand(s, &m, exp, &out, &why) == 0)
			spf_macro_truncate(&out);
		spf_macro_check(s, exp, &why);
	}
	strbuf_release(&out);
	return 0;
}
