/* The sockets a daemon serves on: bound from config addresses in
 * standalone mode, or inherited from systemd socket activation. */
#ifndef POSTERN_NET_LISTENER_H
#define POSTERN_NET_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "net/sockaddr.h"

/* Cap on listeners, bound or inherited, so a bad environment or config
 * cannot make us walk thousands of descriptors. */
#define LISTENER_MAX 64
#define LISTENER_NAME_MAX 64	/* for NAME in "NAME=ADDR" */

struct listener {
	int fd;			/* CLOEXEC; non-blocking when listening */
	bool listening;		/* false for an Accept=yes connection */
	bool bound_unix;	/* we created a unix socket file: unlink it at stop */
	/* Which listener this is: the NAME of "NAME=ADDR" in config, the
	 * LISTEN_FDNAMES entry under systemd, else the address as written. */
	char name[SOCKADDR_TEXT_MAX];
	char addr[SOCKADDR_TEXT_MAX];	/* local address, for logs */
};

struct listener_set {
	struct listener l[LISTENER_MAX];
	size_t n;
};

/* Binds and listens on one config spec, "[NAME=]ADDR" with ADDR as in
 * sockaddr_parse; a wildcard adds two listeners (IPv4 and IPv6, the
 * latter IPV6_V6ONLY), skipping IPv6 where the host has none. Returns 0,
 * or -1 with a message logged (*bad_config tells a wrong spec from a
 * failing bind). */
int listener_bind(struct listener_set *ls, const char *spec, int backlog, bool *bad_config);

/* Takes the descriptors systemd passed when LISTEN_PID is our pid: fds
 * 3..3+LISTEN_FDS-1, named from LISTEN_FDNAMES, marked listening or not
 * by SO_ACCEPTCONN. Unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES in
 * every case. Returns the number taken (0 when not activated), or -1
 * with a message logged. */
int listener_inherit(struct listener_set *ls);

/* Closes every listener; the listener process also unlinks the unix
 * socket files it made (unlink_files), a session process does not. */
void listener_close_all(struct listener_set *ls, bool unlink_files);

#endif
