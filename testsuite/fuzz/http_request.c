/* libFuzzer harness: the HTTP server's connection loop on arbitrary
 * bytes, read from a memory file as a client would send them, with
 * keep-alive (several requests in one input), bodies (length, chunked,
 * 100-continue), the publishing rules and the router. Output goes to
 * /dev/null. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http/http.h"
#include "util/msg.h"

static const struct conf_key keys[] = {
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
	{ NULL }
};
static const struct conf_section sec = { "autodiscover-gen", keys, "fuzz" };
static const struct conf_section *const sections[] = { &sec, NULL };
static const char conf_text[] = "{\"autodiscover-gen\": {\"body_max\": 4096,"
	" \"header_timeout\": \"100ms\", \"idle_timeout\": \"100ms\", \"body_timeout\": \"100ms\","
	" \"trusted_proxies\": [\"127.0.0.0/8\"], \"security_headers\": true,"
	" \"rules\": [{\"path\": \"/eas\", \"methods\": [\"POST\", \"OPTIONS\"], \"extensions\": [\"\"]},"
	" {\"path\": \"/deny\", \"action\": \"deny\"}]}}";

static int h_echo(struct http_request *req, struct http_response *res, void *user)
{
	struct strbuf b = STRBUF_INIT, v = STRBUF_INIT;

	(void)user;
	http_query_param(req, "q", &v);
	http_cookie_get(req, "s", &v);
	if (http_body_all(req, &b) < 0)
		http_resp_error(res, http_body_status(req), NULL);
	else
		http_resp_body(res, b.buf ? b.buf : "", b.len);
	strbuf_release(&b);
	strbuf_release(&v);
	return 0;
}

static int h_stream(struct http_request *req, struct http_response *res, void *user)
{
	char buf[100];
	long n;

	(void)user;
	http_resp_start(res, -1);
	while ((n = http_body_read(req, buf, sizeof(buf))) > 0)
		http_resp_write(res, buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_server *srv;
	static struct conf *c;
	struct serve_peer peer = { .addr = "127.0.0.1:9", .host = "127.0.0.1", .port = 9 };
	struct stream *s;
	int in, out;

	if (srv == NULL) {
		msg_setup("fuzz");
		msg_set_level(MSG_FATAL);
		c = conf_load_string(conf_text, sizeof(conf_text) - 1, "fuzz", sections, stderr);
		srv = http_server_new(conf_section(c, "autodiscover-gen"), "fuzz");
		http_route(srv, "*", "/", 0, h_echo, NULL);
		http_route(srv, "POST", "/eas", HTTP_ROUTE_NOCASE, h_stream, NULL);
	}
	in = memfd_create("req", 0);
	out = open("/dev/null", O_WRONLY);
	if (in < 0 || out < 0 || write(in, data, size) != (ssize_t)size) {
		close(in);
		close(out);
		return 0;
	}
	lseek(in, 0, SEEK_SET);
	s = stream_new(in, out, 100, HTTP_LINE_MAX);
	http_serve_stream(srv, s, &peer);
	stream_free(s);
	close(in);
	close(out);
	return 0;
}
