/* One process serving many connections from an epoll loop, for a daemon
 * whose sessions mostly wait (a proxy relaying to its backend): the
 * readiness of several connections is taken in one wake-up instead of
 * a process per connection woken for each. The listeners, privilege
 * drop, connection limit, SIGHUP reload and draining SIGTERM behave as
 * lib/net/serve.h's standalone mode; a connection the loop cannot serve
 * without blocking is handed to a forked process (evloop_fork) that
 * serves it the blocking way. */
#ifndef POSTERN_NET_EVLOOP_H
#define POSTERN_NET_EVLOOP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "net/serve.h"

#define EVLOOP_IN 0x1
#define EVLOOP_OUT 0x4		/* the values of EPOLLIN and EPOLLOUT */

struct evloop;

/* Called with the events seen (EVLOOP_IN also on EOF and errors: the
 * read tells which). */
typedef void (*evloop_fn)(int fd, unsigned events, void *ctx);

struct evloop *evloop_new(void);
/* Closes the epoll descriptor, not the watched ones. NULL is fine. */
void evloop_free(struct evloop *ev);
/* Watches fd for events (0: registered but silent, so that a forked
 * process knows to close it), replacing an earlier watch of fd. 0, or
 * -1 with errno. */
int evloop_watch(struct evloop *ev, int fd, unsigned events, evloop_fn fn, void *ctx);
/* Stops watching fd (before the caller closes it). */
void evloop_forget(struct evloop *ev, int fd);
/* fd was closed by someone else while watched: the loop forgets it
 * without asking the kernel (the close took it out of the set). */
void evloop_drop(struct evloop *ev, int fd);
/* Watches fd anew: it was closed and the number made again meanwhile
 * (evloop_watch would take the same events as already set). */
int evloop_rewatch(struct evloop *ev, int fd, unsigned events, evloop_fn fn, void *ctx);
/* Waits up to timeout_ms (-1: no limit) and calls the callbacks of the
 * descriptors ready. Returns how many were, 0 on timeout or a signal. */
int evloop_wait(struct evloop *ev, long long timeout_ms);
long long evloop_now_ms(void);

/* What evloop_serve asks of the daemon. ctx is passed to each. */
struct evloop_handler {
	const char *name;	/* for logs */
	/* A new connection: fd is non-blocking and close-on-exec, owned by
	 * the callee from now on; it calls evloop_conn_end when done. */
	void (*accept)(struct evloop *ev, int fd, const struct serve_peer *peer, void *ctx);
	/* With max_connections alive: a short answer on fd (non-blocking)
	 * before it is closed. May be NULL. */
	void (*refuse)(int fd, const struct serve_peer *peer, void *ctx);
	/* SIGHUP: 0, or -1 to keep the old settings. May be NULL. */
	int (*reload)(void *ctx);
	/* Deadlines: called after each wake-up with the time; returns the
	 * next deadline (monotonic ms) or -1 for none. */
	long long (*tick)(long long now, void *ctx);
	/* SIGTERM: close the connections that wait between requests; the
	 * others end by themselves. */
	void (*stop)(void *ctx);
	void *ctx;
};

/* Binds "listen" (or takes systemd's sockets), drops privileges, and
 * serves until SIGTERM or SIGINT, then drains: no new connections, up
 * to drain_timeout for the open ones and the forked processes, then
 * SIGTERM to the processes. Returns the exit code as serve_run does. */
int evloop_serve(const json_t *section, const struct evloop_handler *h);
/* A connection the handler accepted has ended (closed or handed off). */
void evloop_conn_end(struct evloop *ev);
/* Forks a process to take over a connection: in the child (0 returned)
 * the listeners, the loop and every watched descriptor but the keep[n]
 * ones are closed and the signals are back to their defaults; the child
 * serves and exits. The parent counts the child as a session until it
 * is reaped. -1 when fork failed. */
pid_t evloop_fork(struct evloop *ev, const int *keep, size_t nkeep);
/* Connections and forked processes alive. */
size_t evloop_sessions(const struct evloop *ev);

#endif
