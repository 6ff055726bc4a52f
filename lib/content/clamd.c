/* clamd's INSTREAM protocol: "zINSTREAM\0", chunks each preceded by its
 * length (4 bytes, network order), a zero length, then one reply line
 * "stream: OK", "stream: NAME FOUND" or "... ERROR". */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "content/clamd.h"

#define CHUNK (256 * 1024)
#define REPLY_MAX 1024

const char *clamd_result_name(enum clamd_result r)
{
	static const char *const names[] = { "clean", "virus", "error" };
	return names[r];
}

static void timeouts(int fd, long long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int connect_unix(const char *path, long long ms)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	timeouts(fd, ms);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int connect_tcp(const char *addr, long long ms)
{
	char host[256], *colon;
	struct addrinfo hints, *res = NULL;
	int fd = -1, e;

	snprintf(host, sizeof(host), "%s", addr[0] == '[' ? addr + 1 : addr);
	if ((colon = strrchr(host, ':')) == NULL) {
		errno = EINVAL;
		return -1;
	}
	*colon = 0;
	if (colon > host && colon[-1] == ']')
		colon[-1] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			continue;
		timeouts(fd, ms);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			e = errno;
			close(fd);
			fd = -1;
			errno = e;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static enum clamd_result fail(char *what, size_t whatsize, const char *step, int fd)
{
	snprintf(what, whatsize, "%s: %s", step, errno ? strerror(errno) : "closed");
	if (fd >= 0)
		close(fd);
	return CLAMD_ERROR;
}

static int send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends the message in chunks and the zero-length end. */
static int send_stream(int fd, const unsigned char *p, size_t len)
{
	uint32_t n;

	if (send_all(fd, "zINSTREAM", 10) < 0)
		return -1;
	while (len) {
		size_t k = len > CHUNK ? CHUNK : len;

		n = htonl((uint32_t)k);
		if (send_all(fd, &n, 4) < 0 || send_all(fd, p, k) < 0)
			return -1;
		p += k;
		len -= k;
	}
	n = 0;
	return send_all(fd, &n, 4);
}

enum clamd_result clamd_scan(const char *addr, long long timeout_ms, const void *data,
			     size_t len, char *what, size_t whatsize)
{
	char reply[REPLY_MAX + 1], *r, *end;
	size_t got = 0;
	ssize_t n;
	int fd;

	errno = 0;
	if (strncmp(addr, "unix:", 5) == 0)
		fd = connect_unix(addr + 5, timeout_ms);
	else if (addr[0] == '/')
		fd = connect_unix(addr, timeout_ms);
	else
		fd = connect_tcp(addr, timeout_ms);
	if (fd < 0)
		return fail(what, whatsize, "cannot connect to clamd", -1);
	/* clamd may close early (a stream over its limit): the reply says why */
	if (send_stream(fd, data, len) < 0 && errno != EPIPE && errno != ECONNRESET)
		return fail(what, whatsize, "cannot send to clamd", fd);
	while (got < REPLY_MAX && (n = read(fd, reply + got, REPLY_MAX - got)) > 0) {
		got += (size_t)n;
		if (memchr(reply, 0, got) || memchr(reply, '\n', got))
			break;
	}
	close(fd);
	if (got == 0) {
		snprintf(what, whatsize, "no reply from clamd%s%s", errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return CLAMD_ERROR;
	}
	reply[got] = 0;
	reply[strcspn(reply, "\r\n")] = 0;
	r = strncmp(reply, "stream: ", 8) == 0 ? reply + 8 : reply;
	end = r + strlen(r);
	if (strcmp(r, "OK") == 0) {
		snprintf(what, whatsize, "OK");
		return CLAMD_CLEAN;
	}
	if (end - r > 6 && strcmp(end - 6, " FOUND") == 0) {
		snprintf(what, whatsize, "%.*s", (int)(end - r - 6), r);
		return CLAMD_VIRUS;
	}
	snprintf(what, whatsize, "clamd: %s", r);
	return CLAMD_ERROR;
}
