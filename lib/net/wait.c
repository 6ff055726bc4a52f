/* The waits (see wait.h): poll() outside the loop; inside, a fiber's
 * descriptors armed one-shot in the process's epoll set, its deadline in
 * the list of waiters, and a switch to the loop, which resumes the fibers
 * whose descriptor fired or whose deadline passed. A handful of sessions
 * a process: the waiters are a list, scanned. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "net/wait.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/msg.h"

_Static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT && EPOLLERR == POLLERR &&
	       EPOLLHUP == POLLHUP && EPOLLPRI == POLLPRI, "epoll and poll bits differ");

#define WAIT_EVENTS 64		/* epoll events taken per turn */

struct waiter;

/* A fiber under the loop. */
struct task {
	struct fiber *f;
	fiber_fn *fn;
	void *arg;
	struct task *next_run;	/* in the run queue */
};

/* A fiber's wait, on its own stack while it is switched out. */
struct waiter {
	struct task *t;
	struct pollfd *fds;
	nfds_t n;
	long long deadline;	/* monotonic ms; -1: none */
	int ready;		/* fds with revents, set by the loop */
	struct waiter *prev, *next;
};

static struct {
	int ep;			/* -1 until the first spawn in this process */
	pid_t pid;		/* the process ep belongs to */
	struct task *current;	/* the task running now */
	struct task *run_head, *run_tail;
	struct waiter *waiters;
	size_t nfibers;
	unsigned char *known;	/* per fd: in the epoll set, as far as we know */
	size_t nknown;
	size_t stack_peak;
} L = { .ep = -1 };

bool wait_in_fiber(void)
{
	return L.current != NULL;
}

const void *wait_owner(void)
{
	return L.current;
}

size_t wait_fibers(void)
{
	return L.nfibers;
}

size_t wait_stack_peak(void)
{
	return L.stack_peak;
}

static void run_push(struct task *t)
{
	t->next_run = NULL;
	if (L.run_tail)
		L.run_tail->next_run = t;
	else
		L.run_head = t;
	L.run_tail = t;
}

static void known_set(int fd)
{
	if ((size_t)fd >= L.nknown) {
		size_t n = L.nknown ? L.nknown : 64;

		while (n <= (size_t)fd)
			n *= 2;
		L.known = xrealloc(L.known, n);
		memset(L.known + L.nknown, 0, n - L.nknown);
		L.nknown = n;
	}
	L.known[fd] = 1;
}

/* The events the waiters want of fd, all of them. */
static short wanted(int fd)
{
	short ev = 0;

	for (struct waiter *w = L.waiters; w; w = w->next)
		for (nfds_t i = 0; i < w->n; i++)
			if (w->fds[i].fd == fd)
				ev |= w->fds[i].events;
	return ev;
}

/* Arms fd for events, one-shot: a descriptor nobody waits on any more
 * fires once at most, and a later wait arms it again. */
static int arm(int fd, short events)
{
	struct epoll_event ev = { .events = (uint32_t)events | EPOLLONESHOT, .data.fd = fd };
	int op = (size_t)fd < L.nknown && L.known[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (epoll_ctl(L.ep, op, fd, &ev) < 0) {
		/* the table is a guess: a closed descriptor left the set, a
		 * number reused is another file */
		if (!((op == EPOLL_CTL_MOD && errno == ENOENT) ||
		      (op == EPOLL_CTL_ADD && errno == EEXIST)))
			return -1;
		op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
		if (epoll_ctl(L.ep, op, fd, &ev) < 0)
			return -1;
	}
	known_set(fd);
	return 0;
}

static void waiter_unlink(struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		L.waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void waiter_wake(struct waiter *w)
{
	waiter_unlink(w);
	run_push(w->t);
}

/* Arms each descriptor; one that epoll cannot watch is answered as
 * poll() would (POLLNVAL for a bad one, ready for a file). Returns the
 * count of those, or -1 when epoll itself failed (no memory, too many
 * watches): the caller polls instead. */
static int arm_all(struct waiter *w)
{
	int ready = 0;

	for (nfds_t i = 0; i < w->n; i++) {
		struct pollfd *p = &w->fds[i];

		p->revents = 0;
		if (p->fd < 0)
			continue;
		if (arm(p->fd, (short)(wanted(p->fd) | p->events)) == 0)
			continue;
		if (errno != EPERM && errno != EBADF)
			return -1;
		p->revents = errno == EPERM ? (short)(p->events & (POLLIN | POLLOUT)) : POLLNVAL;
		ready++;
	}
	return ready;
}

int wait_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct waiter w = { .t = L.current, .fds = fds, .n = n, .deadline = -1 };

	if (L.current == NULL || timeout_ms == 0)
		return poll(fds, n, timeout_ms);
	w.ready = arm_all(&w);
	if (w.ready < 0) {
		/* right, if holding the other fibers for this wait */
		msg_warn("cannot watch a descriptor: %s; waiting without the loop",
			 strerror(errno));
		return poll(fds, n, timeout_ms);
	}
	if (w.ready > 0)
		return w.ready;
	if (timeout_ms > 0)
		w.deadline = clock_ms() + timeout_ms;
	w.next = L.waiters;
	if (L.waiters)
		L.waiters->prev = &w;
	L.waiters = &w;
	fiber_yield();
	return w.ready;
}

int wait_fd(int fd, short events, int timeout_ms, short *revents)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = wait_poll(&p, 1, timeout_ms);

	if (revents)
		*revents = r > 0 ? p.revents : 0;
	return r;
}

void wait_sleep(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	if (L.current) {
		while (ms > 0) {
			int part = ms > INT_MAX ? INT_MAX : (int)ms;

			wait_poll(NULL, 0, part);
			ms -= part;
		}
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void wait_kick(const void *owner, int fd)
{
	for (struct waiter *w = L.waiters; w; w = w->next) {
		if ((const void *)w->t != owner)
			continue;
		for (nfds_t i = 0; i < w->n; i++)
			if (w->fds[i].fd == fd) {
				waiter_wake(w);
				return;
			}
		return;
	}
}

/* An epoll event for fd: the waiters on it that wanted it are woken;
 * those that wait on fd for something else get it armed again. */
static void fd_fired(int fd, uint32_t events)
{
	struct waiter *w, *next;
	short rest;

	for (w = L.waiters; w; w = next) {
		next = w->next;
		for (nfds_t i = 0; i < w->n; i++) {
			short rev = (short)(events & (uint32_t)(w->fds[i].events | POLLERR | POLLHUP));

			if (w->fds[i].fd != fd || rev == 0)
				continue;
			if (w->fds[i].revents == 0)
				w->ready++;
			w->fds[i].revents |= rev;
		}
		if (w->ready > 0)
			waiter_wake(w);
	}
	if ((rest = wanted(fd)) != 0 && arm(fd, rest) < 0)
		msg_warn("cannot watch a descriptor again: %s fd=%d", strerror(errno), fd);
}

/* Wakes the waiters whose deadline has come (ready 0: a timeout). */
static void expire(long long now)
{
	struct waiter *w, *next;

	for (w = L.waiters; w; w = next) {
		next = w->next;
		if (w->deadline >= 0 && w->deadline <= now)
			waiter_wake(w);
	}
}

/* ms until the nearest deadline; -1 when no waiter has one. */
static int next_timeout(long long now)
{
	long long best = -1;

	for (struct waiter *w = L.waiters; w; w = w->next)
		if (w->deadline >= 0 && (best < 0 || w->deadline < best))
			best = w->deadline;
	if (best < 0)
		return -1;
	best -= now;
	return best < 0 ? 0 : best > INT_MAX ? INT_MAX : (int)best;
}

static void task_main(void *arg)
{
	struct task *t = arg;

	t->fn(t->arg);
}

static int loop_ready(void)
{
	pid_t pid = getpid();

	if (L.ep >= 0 && L.pid == pid)
		return 0;
	if (L.ep >= 0)
		close(L.ep);	/* the parent's: a forked child keeps none */
	free(L.known);
	L.known = NULL;
	L.nknown = 0;
	L.ep = epoll_create1(EPOLL_CLOEXEC);
	if (L.ep < 0) {
		msg_error("cannot make an epoll set: %s", strerror(errno));
		return -1;
	}
	L.pid = pid;
	return 0;
}

int wait_spawn(fiber_fn *fn, void *arg, size_t stack_size)
{
	struct task *t;

	if (loop_ready() < 0)
		return -1;
	t = xcalloc(1, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	if ((t->f = fiber_new(task_main, t, stack_size)) == NULL) {
		free(t);
		return -1;
	}
	L.nfibers++;
	run_push(t);
	return 0;
}

/* Runs the fibers that can run, each until it waits or ends. */
static void run_ready(void)
{
	struct task *t;

	while ((t = L.run_head) != NULL) {
		L.run_head = t->next_run;
		if (L.run_head == NULL)
			L.run_tail = NULL;
		L.current = t;
		if (fiber_resume(t->f)) {
			if (msg_enabled(MSG_DEBUG)) {
				size_t used = fiber_stack_used(t->f);

				if (used > L.stack_peak)
					L.stack_peak = used;
			}
			fiber_free(t->f);
			free(t);
			L.nfibers--;
		}
		L.current = NULL;
	}
}

int wait_run(void)
{
	struct epoll_event ev[WAIT_EVENTS];

	if (L.current)
		msg_panic("wait: wait_run from inside a fiber");
	if (loop_ready() < 0)
		return -1;
	for (;;) {
		int n;

		run_ready();
		if (L.nfibers == 0)
			return 0;
		n = epoll_wait(L.ep, ev, WAIT_EVENTS, next_timeout(clock_ms()));
		if (n < 0 && errno != EINTR) {
			msg_error("cannot wait for events: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++)
			fd_fired(ev[i].data.fd, ev[i].events);
		expire(clock_ms());
	}
}
