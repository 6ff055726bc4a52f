/* libFuzzer harness: eas-policy's request router on arbitrary query
 * strings (the plain Cmd=...&DeviceId=... form and the base64 blob),
 * then the routing decision for each stored-device state and the status
 * reply that decision gives, decoded back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wbxml/devstore.h"
#include "wbxml/easreq.h"
#include "wbxml/wbxml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eas_query q;
	char why[128];
	struct devrec r;

	if (eas_query_parse((const char *)data, size, &q, why, sizeof(why)) < 0)
		return 0;
	if (!q.cmd[0] || !q.device[0] || strlen(q.device) > DEV_ID_MAX ||
	    strlen(q.user) > DEV_USER_MAX || !eas_command_find(q.cmd))
		abort();
	memset(&r, 0, sizeof(r));
	for (int ks = 0; ks < 3; ks++)
		for (int w = 0; w < 4; w++) {
			enum eas_route rt;
			struct strbuf sb = STRBUF_INIT;

			r.keystate = (enum dev_keystate)ks;
			r.wipe = (enum dev_wipe)w;
			r.key = q.key;
			rt = eas_route_decide(&q, q.has_key, q.key, &r, q.key ^ (uint32_t)w, ks != 1);
			if (eas_status_reply(q.cmd, eas_route_status(rt), &sb)) {
				enum wbxml_err err;
				struct wbxml_doc *d = wbxml_decode(sb.buf, sb.len, NULL, &err, NULL);

				if (!d)
					abort();
				wbxml_doc_free(d);
			}
			strbuf_release(&sb);
		}
	return 0;
}
