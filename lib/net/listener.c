/* Listening sockets from config or from systemd (see listener.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/listener.h"
#include "util/msg.h"

#define SD_LISTEN_FDS_START 3

/* "NAME=ADDR": a name is what systemd allows in FileDescriptorName=,
 * short and printable; anything else means there is no name. */
static size_t name_len(const char *spec)
{
	const char *eq = strchr(spec, '=');
	size_t n;

	if (eq == NULL || eq == spec || (n = (size_t)(eq - spec)) >= LISTENER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(spec[i] == '-' || spec[i] == '_' || spec[i] == '.' ||
		      (spec[i] >= '0' && spec[i] <= '9') || (spec[i] >= 'a' && spec[i] <= 'z') ||
		      (spec[i] >= 'A' && spec[i] <= 'Z')))
			return 0;
	return n;
}

/* A unix socket file left by a dead daemon refuses connections: remove
 * it; one that still answers belongs to a live daemon: keep it. */
static void unlink_stale(const struct sockaddr_any *a)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->ss;
	struct stat st;
	int fd;

	if (sun->sun_path[0] == 0 || stat(sun->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno == ECONNREFUSED)
		unlink(sun->sun_path);
	close(fd);
}

static int open_socket(const struct sockaddr_any *a, int backlog)
{
	int fd, on = 1, fam = a->ss.ss_family;

	fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (fam != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* [::] must not take the IPv4 port that 0.0.0.0 binds beside it. */
	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (fam == AF_UNIX)
		unlink_stale(a);
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, backlog) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void add(struct listener_set *ls, int fd, const char *name, const struct sockaddr_any *a)
{
	struct listener *l = &ls->l[ls->n++];

	l->fd = fd;
	l->listening = true;
	l->bound_unix = a->ss.ss_family == AF_UNIX &&
		((const struct sockaddr_un *)&a->ss)->sun_path[0] != 0;
	snprintf(l->name, sizeof(l->name), "%s", name);
	sockaddr_format((const struct sockaddr *)&a->ss, a->len, l->addr, sizeof(l->addr));
}

int listener_bind(struct listener_set *ls, const char *spec, int backlog, bool *bad_config)
{
	struct sockaddr_any a[2];
	char name[SOCKADDR_TEXT_MAX];
	size_t nl = name_len(spec);
	const char *addr = nl ? spec + nl + 1 : spec, *why;
	int n = sockaddr_parse(addr, a, &why);

	*bad_config = true;
	if (n < 0) {
		msg_error("bad listen address: %s addr=%s", why, msg_q(spec));
		return -1;
	}
	if (ls->n + (size_t)n > LISTENER_MAX) {
		msg_error("too many listen addresses max=%d", LISTENER_MAX);
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(nl ? nl : sizeof(name) - 1), nl ? spec : addr);
	*bad_config = false;
	for (int i = 0; i < n; i++) {
		int fd = open_socket(&a[i], backlog);
		char text[SOCKADDR_TEXT_MAX];

		sockaddr_format((const struct sockaddr *)&a[i].ss, a[i].len, text, sizeof(text));
		if (fd < 0 && i == 1 && errno == EAFNOSUPPORT) {
			msg_warn("no IPv6 on this host: listening on IPv4 only addr=%s", text);
			continue;
		}
		if (fd < 0) {
			msg_error("cannot listen: %s addr=%s", strerror(errno), msg_q(text));
			return -1;
		}
		add(ls, fd, name, &a[i]);
	}
	return 0;
}

/* A decimal number, nothing else, below max. */
static long env_number(const char *name, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

/* The i-th colon-separated LISTEN_FDNAMES entry, or "" (systemd gives
 * "unknown" or the unit name when none was set; we keep what it says). */
static void fd_name(const char *names, long i, char *out, size_t size)
{
	const char *p = names, *end;

	out[0] = 0;
	for (; p && i > 0; i--)
		p = (p = strchr(p, ':')) ? p + 1 : NULL;
	if (p == NULL)
		return;
	end = strchr(p, ':');
	snprintf(out, size, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)), p);
}

static void unset_listen_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

static void take_fd(struct listener_set *ls, int fd, const char *names, long i)
{
	struct listener *l = &ls->l[ls->n++];
	struct sockaddr_any a = { .len = sizeof(a.ss) };
	int acc = 0;
	socklen_t alen = sizeof(acc);

	l->fd = fd;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	l->listening = getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) == 0 && acc;
	if (l->listening)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->bound_unix = false;	/* systemd owns the socket file */
	fd_name(names, i, l->name, sizeof(l->name));
	if (getsockname(fd, (struct sockaddr *)&a.ss, &a.len) < 0)
		a.len = 0;
	sockaddr_format((const struct sockaddr *)&a.ss, a.len, l->addr, sizeof(l->addr));
	if (l->name[0] == 0)
		memcpy(l->name, l->addr, sizeof(l->name));
}

int listener_inherit(struct listener_set *ls)
{
	long pid = env_number("LISTEN_PID", 1L << 30);
	long n = env_number("LISTEN_FDS", LISTENER_MAX);
	const char *names = getenv("LISTEN_FDNAMES");
	int type;
	socklen_t tlen = sizeof(type);

	if (pid != (long)getpid()) {
		unset_listen_env();
		return 0;
	}
	if (n < 1 || ls->n + (size_t)n > LISTENER_MAX) {
		msg_error("bad LISTEN_FDS from the service manager value=%s max=%d",
			  msg_q(getenv("LISTEN_FDS") ? getenv("LISTEN_FDS") : ""), LISTENER_MAX);
		unset_listen_env();
		return -1;
	}
	for (long i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + (int)i;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM) {
			msg_error("passed descriptor is not a stream socket fd=%d", fd);
			unset_listen_env();
			return -1;
		}
		take_fd(ls, fd, names, i);
	}
	unset_listen_env();
	return (int)n;
}

void listener_close_all(struct listener_set *ls, bool unlink_files)
{
	for (size_t i = 0; i < ls->n; i++) {
		struct listener *l = &ls->l[i];

		if (unlink_files && l->bound_unix && strncmp(l->addr, "unix:", 5) == 0)
			unlink(l->addr + 5);
		close(l->fd);
	}
	ls->n = 0;
}
