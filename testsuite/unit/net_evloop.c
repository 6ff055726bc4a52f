/* Unit tests: lib/net/evloop's watches (callbacks on readiness, silent
 * watches, the same events again, a descriptor made again under its
 * number, forgetting) and evloop_fork's child, which keeps only the
 * descriptors it is given among those watched. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/evloop.h"
#include "tap.h"

static int calls;
static unsigned last_events;

static void count(int fd, unsigned events, void *ctx)
{
	char c;

	calls++;
	last_events = events;
	if (ctx && read(fd, &c, 1) != 1)
		calls += 100;	/* would show as a wrong count */
}

int main(void)
{
	struct evloop *ev = evloop_new();
	int p[2], q[2], old;
	pid_t pid;
	int st = -1;

	ok(ev != NULL, "a loop");
	if (!ev || pipe(p) < 0 || pipe(q) < 0)
		return tap_done();
	ok(evloop_watch(ev, p[0], EVLOOP_IN, count, ev) == 0, "watched");
	is_int(evloop_wait(ev, 0), 0, "nothing ready: nothing called");
	is_int(calls, 0, "no callback");
	ok(write(p[1], "x", 1) == 1, "a byte written");
	is_int(evloop_wait(ev, 1000), 1, "one ready");
	is_int(calls, 1, "its callback, once");
	is_int((long long)last_events, EVLOOP_IN, "with EVLOOP_IN");
	ok(evloop_watch(ev, p[0], EVLOOP_IN, count, ev) == 0, "the same events again");
	ok(evloop_watch(ev, p[0], 0, count, ev) == 0, "made silent");
	ok(write(p[1], "y", 1) == 1, "a byte written");
	is_int(evloop_wait(ev, 50), 0, "a silent watch wakes nothing");
	ok(evloop_watch(ev, p[0], EVLOOP_IN, count, ev) == 0, "listened to again");
	is_int(evloop_wait(ev, 1000), 1, "the byte waiting is seen");
	is_int(calls, 2, "its callback");
	/* Closed and made again under the same number: the close took it
	 * out of the set, a rewatch puts the new one in. */
	old = p[0];
	close(p[0]);
	close(p[1]);
	ok(pipe(p) == 0 && p[0] == old, "a new pipe under the old number");
	ok(evloop_rewatch(ev, p[0], EVLOOP_IN, count, ev) == 0, "rewatched");
	ok(write(p[1], "z", 1) == 1, "a byte written");
	is_int(evloop_wait(ev, 1000), 1, "the new one is seen");
	is_int(calls, 3, "its callback");
	evloop_forget(ev, p[0]);
	ok(write(p[1], "w", 1) == 1, "a byte written");
	is_int(evloop_wait(ev, 50), 0, "a forgotten one wakes nothing");
	/* The child keeps q[1] only; p[0] (watched) is closed there, q[0]
	 * (never watched) is not the loop's business. */
	ok(evloop_watch(ev, p[0], 0, NULL, NULL) == 0 && evloop_watch(ev, q[1], 0, NULL, NULL) == 0,
	   "two silent watches");
	pid = evloop_fork(ev, &q[1], 1);
	if (pid == 0)
		_exit((fcntl(p[0], F_GETFD) < 0 ? 1 : 0) | (fcntl(q[1], F_GETFD) >= 0 ? 2 : 0) |
		      (fcntl(q[0], F_GETFD) >= 0 ? 4 : 0));
	ok(pid > 0, "forked");
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st), "the child ended");
	is_int(WEXITSTATUS(st), 7, "it closed the watched one, kept the one given and the unwatched");
	ok(fcntl(p[0], F_GETFD) >= 0, "the parent still has its own");
	evloop_free(ev);
	return tap_done();
}
