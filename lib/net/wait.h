/* Waiting for a descriptor or a deadline, the one way every session-level
 * wait goes (the stream, TLS handshakes, the SMTP client's connect, DNS,
 * smtp-edge's PROXY and pregreet reads, the harvest tarpit). On the
 * process's own stack it is poll() or nanosleep(). Inside a fiber (lib/net/
 * fiber) the descriptors and the deadline are handed to this process's
 * epoll loop and the fiber switches out; the loop runs the other fibers
 * meanwhile and switches back when a descriptor is ready or the deadline
 * has passed. So code written to block serves several sessions in one
 * process; what blocks without coming here (a synchronous library call, a
 * file read) holds every fiber of the process for its duration. */
#ifndef POSTERN_NET_WAIT_H
#define POSTERN_NET_WAIT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "net/fiber.h"

/* poll()'s contract: the count of fds with revents, 0 at the timeout
 * (-1: none), -1 with errno. Inside a fiber, 0 ms polls without
 * switching; several fibers may wait on one descriptor (all are woken);
 * EINTR never comes back. */
int wait_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
/* One descriptor: 1 ready (*revents set when not NULL), 0 timeout, -1. */
int wait_fd(int fd, short events, int timeout_ms, short *revents);
/* Sleeps ms; in a fiber, the others run meanwhile. */
void wait_sleep(long long ms);
/* Whether the caller runs in a fiber under the loop (so a wait switches
 * instead of blocking the process). */
bool wait_in_fiber(void);
/* Who waits: the running fiber, or NULL on the process's own stack. For
 * shared state (the resolver) that must tell whose lookups are whose. */
const void *wait_owner(void);
/* For shared state whose progress one fiber may make for another (the
 * resolver: whoever reads its descriptor runs every fiber's callbacks):
 * wakes the fiber owner (a wait_owner value) if it is waiting on fd; its
 * wait returns 0, as at a timeout, so it looks at its state again. */
void wait_kick(const void *owner, int fd);

/* The loop. wait_spawn starts fn(arg) as a fiber on a stack of
 * stack_size bytes (0: the default), run at the next turn of wait_run
 * (a fiber may spawn others): 0, or -1 when it cannot be made (logged).
 * wait_run, from the process's own stack, runs the fibers until none is
 * left, then returns 0; -1 when epoll fails (logged). */
int wait_spawn(fiber_fn *fn, void *arg, size_t stack_size);
int wait_run(void);
/* Fibers alive (started and not finished). */
size_t wait_fibers(void);
/* The deepest stack use of any fiber the loop ran (fiber_stack_used,
 * measured as each ends when debug logging is on, else 0). */
size_t wait_stack_peak(void);

#endif
