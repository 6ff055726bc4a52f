/* Unit tests: lib/net/fiber and lib/net/wait: switches back and forth in
 * order, waits on descriptors and deadlines that let the other fibers run
 * (a short sleep ends before a long one that started first; a descriptor
 * made ready by another fiber wakes its waiter; a timeout fires), several
 * fibers waiting on one descriptor all woken, a thousand fibers, the
 * diagnostics context kept apart per fiber, poll() outside a fiber, and
 * the guard page: a fiber that overflows its stack kills its process
 * (in a child) instead of writing past it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/fiber.h"
#include "net/wait.h"
#include "util/msg.h"
#include "tap.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- plain switches --- */
static char trail[64];
static size_t ntrail;

static void step(void *arg)
{
	const char *name = arg;

	for (int i = 0; i < 3; i++) {
		trail[ntrail++] = name[0];
		fiber_yield();
	}
}

static void test_switches(void)
{
	struct fiber *a = fiber_new(step, "a", 0), *b = fiber_new(step, "b", 64 * 1024);
	bool da = false, db = false;

	ok(a && b, "two fibers made");
	ok(fiber_current() == NULL, "outside any fiber at first");
	while (!da || !db) {
		if (!da)
			da = fiber_resume(a);
		if (!db)
			db = fiber_resume(b);
	}
	trail[ntrail] = 0;
	is_str(trail, "ababab", "each ran to its yield, by turns");
	ok(fiber_done(a) && fiber_done(b), "both finished");
	ok(fiber_stack_used(a) > 0 && fiber_stack_used(a) < fiber_stack_size(a),
	   "stack use measured (%zu of %zu bytes)", fiber_stack_used(a), fiber_stack_size(a));
	ok(fiber_stack_size(b) >= 64 * 1024 && fiber_stack_size(b) < 128 * 1024,
	   "a smaller stack asked for (%zu)", fiber_stack_size(b));
	fiber_free(a);
	fiber_free(b);
}

/* --- deadlines --- */
static char order[16];
static size_t norder;

struct sleeper {
	long long ms;
	char mark;
};

static void sleeper(void *arg)
{
	struct sleeper *s = arg;

	ok(wait_in_fiber(), "a spawned fiber runs under the loop (%c)", s->mark);
	wait_sleep(s->ms);
	order[norder++] = s->mark;
}

static void test_deadlines(void)
{
	struct sleeper slow = { 120, 'S' }, fast = { 20, 'F' };
	long long t0 = now_ms(), took;

	wait_spawn(sleeper, &slow, 0);
	wait_spawn(sleeper, &fast, 0);
	is_int(wait_fibers(), 2, "two fibers waiting to run");
	is_int(wait_run(), 0, "the loop ran them to the end");
	took = now_ms() - t0;
	order[norder] = 0;
	is_str(order, "FS", "the short sleep ended first, though started second");
	ok(took >= 120 && took < 400, "the sleeps overlapped: %lld ms for 120 + 20", took);
	is_int(wait_fibers(), 0, "none left");
}

/* --- descriptors --- */
static int sv[2];
static int got_r, got_timeout;
static short got_rev;
static long long timeout_took;

static void reader(void *arg)
{
	char c;

	got_r = wait_fd(sv[0], POLLIN, 2000, &got_rev);
	if (got_r == 1 && read(sv[0], &c, 1) != 1)
		got_r = -2;
}

static void writer(void *arg)
{
	wait_sleep(30);
	if (write(sv[1], "x", 1) != 1)
		got_r = -3;
}

static void timeout_waiter(void *arg)
{
	long long t0 = now_ms();

	got_timeout = wait_fd(sv[1], POLLIN, 50, NULL);
	timeout_took = now_ms() - t0;
}

static void test_fds(void)
{
	long long t0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		exit(1);
	t0 = now_ms();
	wait_spawn(reader, NULL, 0);
	wait_spawn(writer, NULL, 0);
	wait_spawn(timeout_waiter, NULL, 0);
	wait_run();
	is_int(got_r, 1, "the reader was woken by the writer's byte");
	ok(got_rev & POLLIN, "with POLLIN in revents");
	is_int(got_timeout, 0, "a wait on a silent descriptor timed out");
	ok(timeout_took >= 50 && timeout_took < 1000, "after its 50 ms (%lld)", timeout_took);
	ok(now_ms() - t0 < 1000, "all in about the longest wait");
}

/* Several fibers on one descriptor (the resolver's): each is woken. */
static int woken;

static void shared_waiter(void *arg)
{
	if (wait_fd(sv[0], POLLIN, 2000, NULL) == 1)
		woken++;
}

static void test_shared(void)
{
	char buf[8];

	for (int i = 0; i < 5; i++)
		wait_spawn(shared_waiter, NULL, 0);
	wait_spawn(writer, NULL, 0);
	wait_run();
	is_int(woken, 5, "five fibers waiting on one descriptor all woken");
	if (read(sv[0], buf, sizeof(buf)) != 1)
		ok(0, "the byte is still there");
}

/* --- many --- */
static int finished;

static void many(void *arg)
{
	long n = (long)(size_t)arg;

	wait_sleep(n % 7);
	wait_sleep(1);
	finished++;
}

static void test_many(void)
{
	long long t0 = now_ms();

	for (long i = 0; i < 1000; i++)
		if (wait_spawn(many, (void *)(size_t)i, 32 * 1024) < 0)
			break;
	wait_run();
	is_int(finished, 1000, "a thousand fibers ran to the end");
	ok(now_ms() - t0 < 2000, "in %lld ms", now_ms() - t0);
}

/* --- the diagnostics context per fiber --- */
static char logpath[] = "/tmp/net_fiber.XXXXXX";

static void logger(void *arg)
{
	msg_context("session", arg);
	msg_hold(1);
	msg_info("first");
	wait_sleep(5);
	msg_info("second");
	msg_hold(0);
}

static void test_msg(void)
{
	int saved = dup(STDERR_FILENO), fd = mkstemp(logpath);
	char buf[4096];
	ssize_t n;

	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		exit(1);
	msg_context("process", "own");
	wait_spawn(logger, "A", 0);
	wait_spawn(logger, "B", 0);
	wait_run();
	msg_info("after");
	dup2(saved, STDERR_FILENO);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(logpath);
	ok(strstr(buf, "first session=A\n") && strstr(buf, "second session=A\n"),
	   "fiber A's lines carry its own context only");
	ok(strstr(buf, "first session=B\n") && strstr(buf, "second session=B\n"),
	   "fiber B's lines carry its own context only");
	ok(strstr(buf, "after process=own\n") != NULL, "the process's own context kept");
	ok(strstr(buf, "A\nnet_fiber: first session=B") || strstr(buf, "B\nnet_fiber: first session=A"),
	   "each fiber's held lines written together at its flush");
	msg_context("process", NULL);
}

/* --- outside a fiber --- */
static void test_plain(void)
{
	long long t0 = now_ms();

	ok(!wait_in_fiber(), "not in a fiber on the process's stack");
	is_int(wait_fd(sv[1], POLLIN, 30, NULL), 0, "wait_fd outside a fiber is poll: timeout");
	ok(now_ms() - t0 >= 30, "after 30 ms");
	is_int(wait_fd(sv[1], POLLOUT, 0, NULL), 1, "ready at once: writable");
}

/* --- the guard page --- */
static int deep(int n)
{
	volatile char pad[1024];

	pad[0] = (char)n;
	pad[sizeof(pad) - 1] = (char)n;
	return n <= 0 ? pad[0] : deep(n - 1) + pad[sizeof(pad) - 1];
}

static void overflow(void *arg)
{
	deep(1000);	/* about 1 MB on a 64 KiB stack */
}

static void test_guard(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		struct fiber *f = fiber_new(overflow, NULL, 64 * 1024);

		/* quietly: ASan would print a report */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		fiber_resume(f);
		_exit(0);	/* not reached: the guard page stops it */
	}
	waitpid(pid, &status, 0);
	ok(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
	   "a fiber past its stack dies on the guard page (status %#x)", status);
	ok(WIFSIGNALED(status) ? WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGABRT
			       : WEXITSTATUS(status) != 3,
	   "by SIGSEGV (or ASan's stack-overflow report)");
}

int main(void)
{
	msg_setup("net_fiber");
	test_switches();
	test_deadlines();
	test_fds();
	test_shared();
	test_many();
	test_msg();
	test_plain();
	test_guard();
	return tap_done();
}
