/* libFuzzer harness: the HTTP event loop's side on arbitrary bytes: its
 * scan for a whole request (http_loop_scan), then the layer's request
 * code run on the bytes as the loop runs it (c->pre, never the stream;
 * answers into c->out), request after request while the connection is
 * kept, with the input's end as the client's. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http/http_int.h"
#include "util/msg.h"

static const struct conf_key keys[] = {
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
	{ NULL }
};
static const struct conf_section sec = { "eas-policy", keys, "fuzz" };
static const struct conf_section *const sections[] = { &sec, NULL };
static const char conf_text[] = "{\"eas-policy\": {\"body_max\": 4096,"
	" \"trusted_proxies\": [\"127.0.0.0/8\"],"
	" \"rules\": [{\"path\": \"/eas\", \"methods\": [\"POST\", \"OPTIONS\"]}]}}";

static int h_echo(struct http_request *req, struct http_response *res, void *user)
{
	struct strbuf b = STRBUF_INIT;

	(void)user;
	if (http_body_all(req, &b) < 0)
		http_resp_error(res, http_body_status(req), NULL);
	else
		http_resp_body(res, b.buf ? b.buf : "", b.len);
	strbuf_release(&b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_server *srv;
	static struct conf *c;
	struct serve_peer peer = { .addr = "127.0.0.1:9", .host = "127.0.0.1", .port = 9 };
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct http_conn hc;
	struct stream *s;
	int fd;

	if (srv == NULL) {
		msg_setup("fuzz");
		msg_set_level(MSG_FATAL);
		c = conf_load_string(conf_text, sizeof(conf_text) - 1, "fuzz", sections, stderr);
		srv = http_server_new(conf_section(c, "eas-policy"), "fuzz");
		http_route(srv, "*", "/", 0, h_echo, NULL);
	}
	(void)http_loop_scan((const char *)data, size);
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		return 0;
	s = stream_new(fd, fd, 100, HTTP_LINE_MAX);
	strbuf_add(&in, data, size);
	http_conn_init(&hc, srv, s, &peer);
	hc.loop = true;
	hc.pre = &in;
	hc.pre_eof = true;
	hc.out = &out;
	while (http_conn_request(&hc) == HTTP_REQ_KEEP && hc.pre_off < in.len) {
		memmove(in.buf, in.buf + hc.pre_off, in.len - hc.pre_off);
		strbuf_setlen(&in, in.len - hc.pre_off);
		hc.pre_off = 0;
		http_conn_next(&hc);
	}
	http_conn_release(&hc);
	strbuf_release(&in);
	strbuf_release(&out);
	stream_free(s);
	close(fd);
	return 0;
}
