/* Socket addresses as admins write them in config ("127.0.0.1:25",
 * "[::1]:25", "*:25", "unix:/run/x.sock") and as logs show peers. */
#ifndef POSTERN_NET_SOCKADDR_H
#define POSTERN_NET_SOCKADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Longest text sockaddr_format writes, NUL included: a unix path (108)
 * with its "unix:" prefix. */
#define SOCKADDR_TEXT_MAX 120
/* Longest address spec sockaddr_parse accepts. */
#define SOCKADDR_SPEC_MAX 256

struct sockaddr_any {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parses a listen address: "IPV4:PORT", "[IPV6]:PORT", "*:PORT" or a bare
 * "PORT" (every address: 0.0.0.0 and [::]), "unix:PATH". Hosts are numeric
 * only: a listen address that depends on DNS at start-up is a trap.
 * Fills out[0] and, for a wildcard, out[1]; returns the count (1 or 2),
 * or -1 with *why set to a static reason. */
int sockaddr_parse(const char *spec, struct sockaddr_any out[2], const char **why);

/* Writes "127.0.0.1:25", "[::1]:25" (IPv4-mapped IPv6 shown as IPv4),
 * "unix:PATH", "unix" for an unnamed socket, or "unknown" into buf
 * (size >= SOCKADDR_TEXT_MAX). Returns buf. */
char *sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

/* The host part alone ("127.0.0.1", "::1") into buf (size >= 46), and
 * the port; for a non-IP address buf is "" and the port 0. */
void sockaddr_host_port(const struct sockaddr *sa, socklen_t len, char *buf, size_t size,
			unsigned *port);

/* Builds an IP address from untrusted text (an environment variable set by
 * inetd or tcpserver): a numeric IPv4 or IPv6 host and a decimal port
 * 0..65535. Returns 0, or -1 when either is malformed. */
int sockaddr_from_text(const char *host, const char *port, struct sockaddr_any *out);

#endif
