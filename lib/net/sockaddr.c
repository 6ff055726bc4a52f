/* Parsing and printing socket addresses (see sockaddr.h). Numeric hosts
 * only, with length caps: the same code reads config and the peer
 * variables an inetd leaves in the environment. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "net/sockaddr.h"

/* A decimal port, 1..65535 (0 when zero_ok), nothing else. */
static int parse_port(const char *s, int zero_ok)
{
	long v = 0;

	if (*s == 0 || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return -1;
	return (int)v;
}

static void set_in(struct sockaddr_any *a, const struct in_addr *ip, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	sin->sin_addr = *ip;
	a->len = sizeof(*sin);
}

static void set_in6(struct sockaddr_any *a, const struct in6_addr *ip, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port);
	sin6->sin6_addr = *ip;
	a->len = sizeof(*sin6);
}

/* "unix:/path", or "unix:@name" for a Linux abstract socket. */
static int parse_unix(const char *path, struct sockaddr_any *a, const char **why)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	if (n == 0 || (path[0] == '@' && n == 1)) {
		*why = "empty unix socket path";
		return -1;
	}
	if (n >= sizeof(sun->sun_path)) {
		*why = "unix socket path too long";
		return -1;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = 0;
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
	return 1;
}

static int parse_wild(int port, struct sockaddr_any out[2])
{
	struct in_addr any4 = { .s_addr = htonl(INADDR_ANY) };

	set_in(&out[0], &any4, port);
	set_in6(&out[1], &in6addr_any, port);
	return 2;
}

/* host points into a copy that can be cut; port is after the ':'. */
static int parse_ip(char *host, const char *port_s, struct sockaddr_any out[2],
		    const char **why)
{
	struct in_addr ip4;
	struct in6_addr ip6;
	int port = parse_port(port_s, 0);
	size_t n = strlen(host);

	if (port < 0) {
		*why = "port must be a number from 1 to 65535";
		return -1;
	}
	if (strcmp(host, "*") == 0 || n == 0)
		return parse_wild(port, out);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &ip6) != 1) {
			*why = "not a numeric IPv6 address";
			return -1;
		}
		set_in6(&out[0], &ip6, port);
		return 1;
	}
	if (strchr(host, ':')) {
		*why = "an IPv6 address needs brackets: [::1]:PORT";
		return -1;
	}
	if (inet_pton(AF_INET, host, &ip4) != 1) {
		*why = "not a numeric IPv4 address (names are not resolved here)";
		return -1;
	}
	set_in(&out[0], &ip4, port);
	return 1;
}

int sockaddr_parse(const char *spec, struct sockaddr_any out[2], const char **why)
{
	char copy[SOCKADDR_SPEC_MAX + 1];
	char *colon;
	size_t n = strlen(spec);

	*why = "";
	if (n == 0 || n > SOCKADDR_SPEC_MAX) {
		*why = n ? "address too long" : "empty address";
		return -1;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		return parse_unix(spec + 5, &out[0], why);
	memcpy(copy, spec, n + 1);
	colon = strrchr(copy, ':');
	if (colon == NULL)
		return parse_ip(copy + n, copy, out, why);	/* bare port */
	*colon = 0;
	return parse_ip(copy, colon + 1, out, why);
}

void sockaddr_host_port(const struct sockaddr *sa, socklen_t len, char *buf, size_t size,
			unsigned *port)
{
	*port = 0;
	buf[0] = 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)size);
		*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		/* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, (socklen_t)size);
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)size);
		*port = ntohs(sin6->sin6_port);
	}
}

static char *format_unix(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	size_t off = offsetof(struct sockaddr_un, sun_path), n;

	if (len <= off) {
		snprintf(buf, size, "unix");
		return buf;
	}
	n = len - off;
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (sun->sun_path[0] == 0)	/* abstract: not NUL-terminated */
		snprintf(buf, size, "unix:@%.*s", (int)(n - 1), sun->sun_path + 1);
	else
		snprintf(buf, size, "unix:%.*s", (int)strnlen(sun->sun_path, n), sun->sun_path);
	return buf;
}

char *sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (len < sizeof(sa_family_t)) {
		snprintf(buf, size, "unknown");
		return buf;
	}
	if (sa->sa_family == AF_UNIX)
		return format_unix(sa, len, buf, size);
	sockaddr_host_port(sa, len, host, sizeof(host), &port);
	if (host[0] == 0)
		snprintf(buf, size, "unknown");
	else if (strchr(host, ':'))
		snprintf(buf, size, "[%s]:%u", host, port);
	else
		snprintf(buf, size, "%s:%u", host, port);
	return buf;
}

int sockaddr_from_text(const char *host, const char *port_s, struct sockaddr_any *out)
{
	struct in_addr ip4;
	struct in6_addr ip6;
	int port = parse_port(port_s ? port_s : "0", 1);

	if (port < 0 || host == NULL || strlen(host) >= INET6_ADDRSTRLEN)
		return -1;
	if (inet_pton(AF_INET, host, &ip4) == 1)
		set_in(out, &ip4, port);
	else if (inet_pton(AF_INET6, host, &ip6) == 1)
		set_in6(out, &ip6, port);
	else
		return -1;
	return 0;
}
