/* Serving connections three ways with one code path: standalone (-d:
 * bind the config's addresses, a process per connection, a connection
 * limit), inetd (--inetd: one session on stdin/stdout) and systemd
 * socket activation (Accept=no: the same accept loop on the passed
 * sockets; Accept=yes: one session on the passed connection). Whatever
 * the mode, the program's session function sees a connected socket (or
 * inetd's descriptors) and the peer; it never knows how it was started. */
#ifndef POSTERN_NET_SERVE_H
#define POSTERN_NET_SERVE_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "net/sockaddr.h"

/* Keys spliced (CONF_INCLUDE) into each daemon's own config section:
 * listen (strings: "[NAME=]ADDR", ADDR as "127.0.0.1:25", "[::1]:25",
 * "*:25", "unix:/path"), max_connections (int, default 100), user
 * (string, default "" = stay who we are), drain_timeout (duration,
 * default 30s), backlog (int, default 128), workers (int, default 0:
 * a process forked per connection; N: a pool of N pre-forked workers,
 * each serving one connection at a time, measured 4-5x faster for
 * smtp-edge with a connection per message; the workers accept from the
 * listening sockets themselves, one idle worker woken a connection;
 * a connection that finds them all busy waits up to 50 ms for one to
 * have room, then the listener accepts it and forks a process for it as
 * before; every process counts the others' sessions against
 * max_connections, through slots in shared memory) and worker_max_use (int,
 * default 100: connections a worker serves before it is replaced). */
extern const struct conf_key serve_conf_keys[];
/* For a daemon whose session code waits only through lib/net/wait (so
 * that it can run as a fiber): sessions_per_worker (int, default 1: a
 * worker serves one session at a time, as without the key; N: up to N
 * at once, each a fiber with its own stack on the worker's epoll loop,
 * so that under load one wake-up of the process serves several
 * sessions' events; what blocks outside lib/net/wait holds all of
 * them). The listener hands a worker no more than N, the least busy
 * worker first. A daemon splices these after serve_conf_keys. */
extern const struct conf_key serve_fiber_conf_keys[];

/* A daemon may give "workers" another default in its own copy of the
 * keys (smtp-edge does) and a negative value: "auto", a pool of
 * serve_auto_workers(): two per online CPU, between
 * SERVE_AUTO_WORKERS_MIN and SERVE_AUTO_WORKERS_MAX (and never more
 * than max_connections). */
#define SERVE_AUTO_WORKERS_MIN 4
#define SERVE_AUTO_WORKERS_MAX 32
size_t serve_auto_workers(void);

enum serve_mode {
	SERVE_STANDALONE,	/* -d: bind "listen" and accept in a loop */
	SERVE_INETD,		/* --inetd: one session on stdin/stdout */
	SERVE_SYSTEMD,		/* neither: socket activation is required */
};

/* Who is on the other end. Socket activation, when LISTEN_PID is our
 * pid, takes precedence over the mode asked for. */
struct serve_peer {
	char addr[SOCKADDR_TEXT_MAX];	/* "127.0.0.1:4321", "[::1]:4321",
					   "unix", "unknown": for logs */
	char host[INET6_ADDRSTRLEN];	/* "127.0.0.1", "::1"; "" if not IP */
	unsigned port;			/* 0 if not IP */
	char local[SOCKADDR_TEXT_MAX];	/* our end, "unknown" off a socket */
	/* The listener: its config NAME (or address as written), the
	 * LISTEN_FDNAMES entry under systemd, "inetd" under inetd. Lets a
	 * daemon with two sockets (SIP over TCP and TLS) tell them apart. */
	char fdname[SOCKADDR_TEXT_MAX];
};

/* Fills p for the connection fd accepted from remote on the listener
 * named fdname (serve's accept loop and evloop's). */
void serve_peer_fill(struct serve_peer *p, int fd, const struct sockaddr_any *remote,
		     const char *fdname);

struct serve_handler {
	const char *name;	/* the service, for logs */
	/* Runs one session; in and out are the same socket except under
	 * inetd (0 and 1). The session owns them and may close them. Its
	 * return value is the exit code of the session's process (of the
	 * program, under inetd and Accept=yes). SIGPIPE is ignored: writes
	 * to a gone client fail with EPIPE. */
	int (*session)(int in, int out, const struct serve_peer *peer, void *ctx);
	/* With max_connections sessions alive, says why a new connection is
	 * refused ("421 too busy") and returns; fd is non-blocking, so write
	 * one short line. May be NULL (the connection is just closed). */
	void (*refuse)(int fd, const struct serve_peer *peer, void *ctx);
	/* On SIGHUP, in the listener process: re-read config and files.
	 * Returns 0, or -1 to keep the old settings (logged by the callee).
	 * Sessions started later see the new state (they are forked from
	 * the listener); the serve keys themselves apply at restart. May
	 * be NULL. */
	int (*reload)(void *ctx);
	/* In a pooled worker, once it has served its last session, before
	 * it exits: lets go of what sessions left behind. May be NULL. */
	void (*worker_exit)(void *ctx);
	void *ctx;
};

/* Serves until told to stop. section is the daemon's config section
 * holding serve_conf_keys (read once here: the caller may free it after
 * a reload). Drops privileges to "user" once the sockets are ready, in
 * every mode. In a listener (standalone, Accept=no): SIGTERM or SIGINT
 * stops accepting, waits drain_timeout for sessions to end, then sends
 * them SIGTERM; SIGHUP calls h->reload. Returns the exit code: 0 after a
 * stop, the session's code in one-session modes, 78 for bad config,
 * 69 when a socket cannot be bound, 64 when SERVE_SYSTEMD finds no
 * activation, 71 on a system failure. */
int serve_run(const json_t *section, enum serve_mode mode, const struct serve_handler *h);

/* In a session: true in a pooled worker ("workers") that serves further
 * sessions after this one, so the session may leave something for the
 * next (a connection to its next hop); false in a process of its own. */
bool serve_pooled(void);

#endif
