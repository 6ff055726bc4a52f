/* Unit tests: listen address parsing and peer formatting (lib/net/sockaddr). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "net/sockaddr.h"
#include "tap.h"

/* Parses spec and formats what came out: "A" or "A B", or "error: why". */
static const char *parsed(const char *spec)
{
	static char out[2 * SOCKADDR_TEXT_MAX + 16];
	struct sockaddr_any a[2];
	char t0[SOCKADDR_TEXT_MAX], t1[SOCKADDR_TEXT_MAX];
	const char *why;
	int n = sockaddr_parse(spec, a, &why);

	if (n < 0) {
		snprintf(out, sizeof(out), "error: %s", why);
		return out;
	}
	sockaddr_format((struct sockaddr *)&a[0].ss, a[0].len, t0, sizeof(t0));
	if (n == 1)
		snprintf(out, sizeof(out), "%s", t0);
	else
		snprintf(out, sizeof(out), "%s %s", t0,
			 sockaddr_format((struct sockaddr *)&a[1].ss, a[1].len, t1, sizeof(t1)));
	return out;
}

static void test_parse(void)
{
	char longpath[200];

	is_str(parsed("127.0.0.1:25"), "127.0.0.1:25", "IPv4 and port");
	is_str(parsed("[::1]:587"), "[::1]:587", "IPv6 in brackets");
	is_str(parsed("[2001:db8::1]:65535"), "[2001:db8::1]:65535", "highest port");
	is_str(parsed("*:25"), "0.0.0.0:25 [::]:25", "wildcard gives IPv4 and IPv6");
	is_str(parsed("2525"), "0.0.0.0:2525 [::]:2525", "a bare port is the wildcard");
	is_str(parsed(":2525"), "0.0.0.0:2525 [::]:2525", "an empty host is the wildcard");
	is_str(parsed("unix:/run/postern/edge.sock"), "unix:/run/postern/edge.sock", "unix path");
	is_str(parsed("unix:@postern"), "unix:@postern", "abstract unix socket");
	is_str(parsed("localhost:25"), "error: not a numeric IPv4 address (names are not resolved here)",
	       "host names are refused");
	is_str(parsed("::1:25"), "error: an IPv6 address needs brackets: [::1]:PORT",
	       "IPv6 without brackets");
	is_str(parsed("[::1]"), "error: port must be a number from 1 to 65535", "IPv6 without port");
	is_str(parsed("127.0.0.1:0"), "error: port must be a number from 1 to 65535", "port 0");
	is_str(parsed("127.0.0.1:65536"), "error: port must be a number from 1 to 65535",
	       "port too big");
	is_str(parsed("127.0.0.1:+25"), "error: port must be a number from 1 to 65535", "signed port");
	is_str(parsed("127.0.0.1:"), "error: port must be a number from 1 to 65535", "empty port");
	is_str(parsed("127.1:25"), "error: not a numeric IPv4 address (names are not resolved here)",
	       "short IPv4 forms are refused");
	is_str(parsed("[zz::1]:25"), "error: not a numeric IPv6 address", "bad IPv6");
	is_str(parsed(""), "error: empty address", "empty");
	is_str(parsed("unix:"), "error: empty unix socket path", "empty unix path");
	memset(longpath, 'x', sizeof(longpath) - 1);
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof(longpath) - 1] = 0;
	is_str(parsed(longpath), "error: unix socket path too long", "unix path too long");
}

static void test_format(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4321) };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_any a;
	char buf[SOCKADDR_TEXT_MAX], host[INET6_ADDRSTRLEN];
	unsigned port;

	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
	is_str(sockaddr_format((struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf)),
	       "192.0.2.1:4321", "IPv4-mapped peers show as IPv4");
	sockaddr_host_port((struct sockaddr *)&sin6, sizeof(sin6), host, sizeof(host), &port);
	is_str(host, "192.0.2.1", "host part of a mapped address");
	is_int(port, 4321, "port part");
	is_str(sockaddr_format((struct sockaddr *)&sun, sizeof(sa_family_t), buf, sizeof(buf)),
	       "unix", "unnamed unix peer");
	is_str(sockaddr_format((struct sockaddr *)&sun, 0, buf, sizeof(buf)), "unknown",
	       "no address at all");
	sockaddr_host_port((struct sockaddr *)&sun, sizeof(sun), host, sizeof(host), &port);
	ok(host[0] == 0 && port == 0, "no host or port for a unix peer");

	ok(sockaddr_from_text("192.0.2.9", "25", &a) == 0, "env peer IPv4");
	is_str(sockaddr_format((struct sockaddr *)&a.ss, a.len, buf, sizeof(buf)), "192.0.2.9:25",
	       "env peer IPv4 formatted");
	ok(sockaddr_from_text("2001:db8::9", NULL, &a) == 0, "env peer IPv6 without port");
	is_str(sockaddr_format((struct sockaddr *)&a.ss, a.len, buf, sizeof(buf)),
	       "[2001:db8::9]:0", "env peer IPv6 formatted");
	ok(sockaddr_from_text("192.0.2.9 x", "25", &a) < 0, "env peer with junk is refused");
	ok(sockaddr_from_text("192.0.2.9", "25x", &a) < 0, "env port with junk is refused");
	ok(sockaddr_from_text("192.0.2.9", "70000", &a) < 0, "env port out of range");
	ok(sockaddr_from_text("example.org", "25", &a) < 0, "env peer name is refused");
	ok(sockaddr_from_text(NULL, "25", &a) < 0, "no env peer");
}

int main(void)
{
	test_parse();
	test_format();
	return tap_done();
}
