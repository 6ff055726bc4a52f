/* eas-client: the tests' ActiveSync device. Reads a command's XML on
 * stdin, encodes it with postern's WBXML codec, POSTs it to
 * /Microsoft-Server-ActiveSync through libcurl (lib/http/client.h) with
 * the headers a phone sends, and prints the HTTP status, the headers
 * that matter and the reply decoded to XML:
 *
 *   eas-client -u URL -U alice:pw -d DEVICE [-t TYPE] [-p 14.1] [-k KEY]
 *              [--base64] [--raw] [--save FILE] [--options] CMD < request.xml
 *
 * --raw sends stdin as it is (malformed WBXML), --base64 uses the base64
 * query form, --save writes the raw reply body to FILE. Exit 0 when a
 * response came, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/client.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "wbxml/easreq.h"
#include "wbxml/wbxml.h"
#include "wbxml/wbxml_xml.h"

static void usage(void)
{
	fprintf(stderr, "usage: eas-client -u URL -U USER:PASS -d DEVICE [-t TYPE] [-p VERSION] "
		"[-k KEY] [--base64] [--raw] [--save FILE] [--options] CMD\n");
	exit(2);
}

/* The base64 query: version, command code, locale, device id, policy
 * key, device type, then the User parameter. */
static void base64_query(const char *cmd, const char *version, const char *device,
			 const char *type, const char *key, const char *user, struct strbuf *out)
{
	const struct eas_command *c = eas_command_find(cmd);
	struct strbuf b = STRBUF_INIT, enc = STRBUF_INIT;
	int v = eas_version_num(version);

	if (!c || !v) {
		fprintf(stderr, "eas-client: unknown command or version\n");
		exit(2);
	}
	strbuf_addch(&b, v);
	strbuf_addch(&b, c->code);
	strbuf_addch(&b, 0x09);	/* locale 0x0409, little-endian */
	strbuf_addch(&b, 0x04);
	strbuf_addch(&b, (int)strlen(device));
	strbuf_addstr(&b, device);
	if (key) {
		unsigned long k = strtoul(key, NULL, 10);

		strbuf_addch(&b, 4);
		for (int i = 0; i < 4; i++)
			strbuf_addch(&b, (int)((k >> (8 * i)) & 0xff));
	} else {
		strbuf_addch(&b, 0);
	}
	strbuf_addch(&b, (int)strlen(type));
	strbuf_addstr(&b, type);
	strbuf_addch(&b, 8);
	strbuf_addch(&b, (int)strlen(user));
	strbuf_addstr(&b, user);
	base64_encode(b.buf, b.len, &enc);
	for (size_t i = 0; i < enc.len; i++) {
		char ch = enc.buf[i];

		if (ch == '+') strbuf_addstr(out, "%2B");
		else if (ch == '/') strbuf_addstr(out, "%2F");
		else if (ch == '=') strbuf_addstr(out, "%3D");
		else strbuf_addch(out, ch);
	}
	strbuf_release(&b);
	strbuf_release(&enc);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *cred = NULL, *device = NULL, *type = "TestPhone";
	const char *version = "14.1", *key = NULL, *save = NULL, *cmd;
	int raw = 0, b64 = 0, opts = 0;
	struct strbuf in = STRBUF_INIT, body = STRBUF_INIT, target = STRBUF_INIT;
	struct strbuf auth = STRBUF_INIT, user = STRBUF_INIT;
	char *hdr[8], why[256];
	size_t nh = 0;
	struct http_client_req q = { 0 };
	struct http_client_resp r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-u") == 0 && i + 1 < argc) url = argv[++i];
		else if (strcmp(a, "-U") == 0 && i + 1 < argc) cred = argv[++i];
		else if (strcmp(a, "-d") == 0 && i + 1 < argc) device = argv[++i];
		else if (strcmp(a, "-t") == 0 && i + 1 < argc) type = argv[++i];
		else if (strcmp(a, "-p") == 0 && i + 1 < argc) version = argv[++i];
		else if (strcmp(a, "-k") == 0 && i + 1 < argc) key = argv[++i];
		else if (strcmp(a, "--save") == 0 && i + 1 < argc) save = argv[++i];
		else if (strcmp(a, "--raw") == 0) raw = 1;
		else if (strcmp(a, "--base64") == 0) b64 = 1;
		else if (strcmp(a, "--options") == 0) opts = 1;
		else if (a[0] == '-') usage();
		else { argv += i; argc -= i; goto rest; }
	}
	argc = 0;
rest:
	if (!url || (!opts && (argc != 1 || !cred || !device)))
		usage();
	cmd = opts ? "" : argv[0];
	if (cred) {
		const char *colon = strchr(cred, ':');

		strbuf_add(&user, cred, colon ? (size_t)(colon - cred) : strlen(cred));
		strbuf_addstr(&auth, "Authorization: Basic ");
		base64_encode(cred, strlen(cred), &auth);
		hdr[nh++] = auth.buf;
	}
	strbuf_addf(&target, "%s/Microsoft-Server-ActiveSync", url);
	if (!opts) {
		if (b64) {
			strbuf_addch(&target, '?');
			base64_query(cmd, version, device, type, key, user.buf, &target);
		} else {
			strbuf_addf(&target, "?Cmd=%s&User=%s&DeviceId=%s&DeviceType=%s", cmd,
				    user.buf, device, type);
			static char v[64], k[64];

			snprintf(v, sizeof(v), "MS-ASProtocolVersion: %s", version);
			hdr[nh++] = v;
			if (key) {
				snprintf(k, sizeof(k), "X-MS-PolicyKey: %s", key);
				hdr[nh++] = k;
			}
		}
		hdr[nh++] = (char *)"Content-Type: application/vnd.ms-sync.wbxml";
		hdr[nh++] = (char *)"User-Agent: postern-eas-client/1.0";
		if (strbuf_read_fd(&in, STDIN_FILENO, 16 << 20) < 0) {
			perror("eas-client: stdin");
			return 1;
		}
		if (raw || in.len == 0) {
			strbuf_add(&body, in.buf, in.len);
		} else {
			char err[256];
			struct wbxml_doc *d = wbxml_from_xml(in.buf, in.len, NULL, err, sizeof(err));

			if (!d) {
				fprintf(stderr, "eas-client: bad XML: %s\n", err);
				return 2;
			}
			wbxml_encode(d, &body);
			wbxml_doc_free(d);
		}
	}
	q.method = opts ? "OPTIONS" : "POST";
	q.url = target.buf;
	q.headers = (const char *const *)hdr;
	q.nheaders = nh;
	q.body = body.buf ? body.buf : "";
	q.body_len = body.len;
	q.body_size = opts ? 0 : (long long)body.len;
	q.timeout_ms = 30000;
	http_client_resp_init(&r);
	if (http_client_fetch(&q, &r, why, sizeof(why)) < 0) {
		fprintf(stderr, "eas-client: %s\n", why);
		return 1;
	}
	printf("status=%ld\n", r.status);
	for (size_t i = 0; i < r.nheaders; i++) {
		const char *n = r.headers[i].name;

		if (strncasecmp(n, "MS-AS", 5) == 0 || strcasecmp(n, "Content-Type") == 0 ||
		    strncasecmp(n, "X-Backend", 9) == 0 || strcasecmp(n, "Allow") == 0)
			printf("header %s: %s\n", n, r.headers[i].value);
	}
	if (save) {
		FILE *f = fopen(save, "wb");

		if (!f || fwrite(r.body.buf, 1, r.body.len, f) != r.body.len || fclose(f) != 0) {
			perror(save);
			return 1;
		}
	}
	if (r.body.len) {
		const char *ct = http_client_header(&r, "Content-Type");

		if (ct && strstr(ct, "wbxml")) {
			enum wbxml_err err;
			struct wbxml_doc *d = wbxml_decode(r.body.buf, r.body.len, NULL, &err, NULL);
			struct strbuf x = STRBUF_INIT;

			if (!d) {
				printf("undecodable reply: %s\n", wbxml_strerror(err));
			} else {
				wbxml_to_xml(d, &x, true);
				fwrite(x.buf, 1, x.len, stdout);
				wbxml_doc_free(d);
			}
			strbuf_release(&x);
		} else {
			printf("body: ");
			fwrite(r.body.buf, 1, r.body.len, stdout);
			printf("\n");
		}
	}
	http_client_resp_clear(&r);
	strbuf_release(&in);
	strbuf_release(&body);
	strbuf_release(&target);
	strbuf_release(&auth);
	strbuf_release(&user);
	return 0;
}
