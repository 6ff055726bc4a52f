/* Test helper: prints N free TCP ports on 127.0.0.1, or with --probe PORT
 * exits 0 when something accepts connections there. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int probe(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int n = 1, fds[64];

	if (argc == 3 && strcmp(argv[1], "--probe") == 0)
		return probe(atoi(argv[2]));
	if (argc == 2)
		n = atoi(argv[1]);
	if (n < 1 || n > 64)
		return 64;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sin, &len) < 0) {
			perror("freeport");
			return 71;
		}
		printf("%d%s", ntohs(sin.sin_port), i + 1 < n ? " " : "\n");
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}
