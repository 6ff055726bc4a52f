/* Unit tests: lib/http's client (libcurl through dlopen) against lib/http's
 * server on loopback: a GET into memory with headers, a POST streamed
 * both ways (request body from a callback, sent chunked; response body
 * to a callback), HEAD, the body cap, a connection refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "http/client.h"
#include "http/http.h"
#include "util/mem.h"
#include "util/msg.h"
#include "tap.h"

static const struct conf_key keys[] = {
	{ "http", CONF_INCLUDE, NULL, 0, 0, NULL, http_conf_keys, 0, NULL },
	{ NULL }
};
static const struct conf_section sec = { "autodiscover-gen", keys, "test" };
static const struct conf_section *const sections[] = { &sec, NULL };

static int h_get(struct http_request *req, struct http_response *res, void *user)
{
	http_resp_header(res, "Content-Type", "text/plain");
	http_resp_header(res, "X-Test", "yes");
	http_resp_puts(res, "0123456789");
	return 0;
}

static int h_echo(struct http_request *req, struct http_response *res, void *user)
{
	char buf[4096];
	long n;

	http_resp_header(res, "X-Chunked", req->chunked ? "1" : "0");
	http_resp_start(res, -1);
	while ((n = http_body_read(req, buf, sizeof(buf))) > 0)
		http_resp_write(res, buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

static pid_t server(int *port)
{
	static const char text[] = "{\"autodiscover-gen\": {}}";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		exit(1);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	pid = fork();
	if (pid == 0) {
		struct conf *c = conf_load_string(text, strlen(text), "t", sections, stderr);
		struct http_server *srv = http_server_new(conf_section(c, "autodiscover-gen"), "t");
		struct serve_peer peer = { .addr = "127.0.0.1:1", .host = "127.0.0.1", .port = 1 };

		http_route(srv, "GET", "/get", 0, h_get, NULL);
		http_route(srv, "POST", "/echo", 0, h_echo, NULL);
		for (;;) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				_exit(1);
			if (fork() == 0) {
				http_server_session(fd, fd, &peer, srv);
				_exit(0);
			}
			close(fd);
		}
	}
	close(lfd);
	return pid;
}

struct feed {
	int left;
	struct strbuf got;
	int heads;
	long status;
};

static long feed_read(void *buf, size_t max, void *user)
{
	struct feed *f = user;

	if (f->left == 0)
		return 0;
	f->left--;
	memset(buf, 'a' + f->left, max < 1000 ? max : 1000);
	return max < 1000 ? (long)max : 1000;
}

static int feed_headers(const struct http_client_resp *r, void *user)
{
	struct feed *f = user;

	f->heads++;
	f->status = r->status;
	return 0;
}

static int feed_body(const void *data, size_t len, void *user)
{
	struct feed *f = user;

	strbuf_add(&f->got, data, len);
	return 0;
}

int main(void)
{
	struct http_client_resp r;
	struct feed f = { 5, STRBUF_INIT, 0, 0 };
	char url[128], why[256];
	int port, rc;
	pid_t pid;

	msg_setup("http_client");
	msg_set_level(MSG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	pid = server(&port);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/get", port);
	http_client_resp_init(&r);
	rc = http_client_fetch(&(struct http_client_req){ .url = url, .timeout_ms = 5000 }, &r,
			       why, sizeof(why));
	is_int(rc, 0, "GET works");
	is_int(r.status, 200, "status");
	is_str(r.body.buf, "0123456789", "body in memory");
	is_str(http_client_header(&r, "x-test"), "yes", "a header, any case");
	is_str(r.primary_ip, "127.0.0.1", "the address connected to");
	http_client_resp_clear(&r);

	http_client_resp_init(&r);
	rc = http_client_fetch(&(struct http_client_req){ .url = url, .max = 5 }, &r, why,
			       sizeof(why));
	is_int(rc, -1, "over max: error");
	ok(strstr(why, "larger than 5") != NULL, "saying so (%s)", why);
	http_client_resp_clear(&r);

	http_client_resp_init(&r);
	rc = http_client_fetch(&(struct http_client_req){ .url = url, .method = "HEAD" }, &r, why,
			       sizeof(why));
	ok(rc == 0 && r.status == 200 && r.body.len == 0, "HEAD: status, no body");
	http_client_resp_clear(&r);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", port);
	http_client_resp_init(&r);
	strbuf_init(&f.got, 0);
	rc = http_client_fetch(&(struct http_client_req){
		.url = url, .body_read = feed_read, .body_size = -1,
		.on_headers = feed_headers, .on_body = feed_body, .user = &f,
		.timeout_ms = 5000 }, &r, why, sizeof(why));
	is_int(rc, 0, "streamed POST works (%s)", rc ? why : "ok");
	is_int(f.heads, 1, "headers told once");
	is_int(f.status, 200, "with the status");
	is_int(f.got.len, 5000, "whole body streamed back");
	ok(f.got.len == 5000 && f.got.buf[0] == 'e' && f.got.buf[4999] == 'a', "in order");
	is_str(http_client_header(&r, "X-Chunked"), "1", "request body went chunked");
	http_client_resp_clear(&r);
	strbuf_release(&f.got);

	/* 300 KB through: the server pushes it out as it goes. */
	http_client_resp_init(&r);
	f.left = 300;
	strbuf_init(&f.got, 0);
	rc = http_client_fetch(&(struct http_client_req){
		.url = url, .body_read = feed_read, .body_size = 300000,
		.on_body = feed_body, .user = &f, .timeout_ms = 10000 }, &r, why, sizeof(why));
	is_int(rc, 0, "300 KB streamed POST works (%s)", rc ? why : "ok");
	is_int(f.got.len, 300000, "all of it came back");
	is_str(http_client_header(&r, "X-Chunked"), "0", "with a Content-Length this time");
	http_client_resp_clear(&r);
	strbuf_release(&f.got);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	http_client_resp_init(&r);
	rc = http_client_fetch(&(struct http_client_req){ .url = url, .timeout_ms = 2000 }, &r,
			       why, sizeof(why));
	is_int(rc, -1, "server gone: error");
	ok(why[0] != 0, "with a reason (%s)", why);
	http_client_resp_clear(&r);
	return tap_done();
}
