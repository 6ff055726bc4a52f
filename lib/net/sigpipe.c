/* Signals through a pipe (see sigpipe.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "net/sigpipe.h"

static int sig_pipe[2] = { -1, -1 };
static const int caught[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
#define NCAUGHT (sizeof(caught) / sizeof(caught[0]))

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* a full pipe already holds a wake-up */
	}
	errno = saved;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
	sigaction(sig, &sa, NULL);
}

int sigpipe_open(void)
{
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < NCAUGHT; i++)
		set_handler(caught[i], on_signal);
	return sig_pipe[0];
}

int sigpipe_fd(void)
{
	return sig_pipe[0];
}

static void pipe_close(void)
{
	if (sig_pipe[0] >= 0) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
	}
	sig_pipe[0] = sig_pipe[1] = -1;
}

void sigpipe_close(void)
{
	for (size_t i = 0; i < NCAUGHT; i++)
		set_handler(caught[i], SIG_DFL);
	pipe_close();
}

int sigpipe_read(unsigned char *sigs, int n)
{
	ssize_t got = sig_pipe[0] < 0 ? -1 : read(sig_pipe[0], sigs, (size_t)n);

	return got > 0 ? (int)got : 0;
}

void sigpipe_block(bool block)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaddset(&set, caught[i]);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void sigpipe_child(void)
{
	pipe_close();
	set_handler(SIGTERM, SIG_DFL);
	set_handler(SIGINT, SIG_DFL);
	set_handler(SIGCHLD, SIG_DFL);
	set_handler(SIGHUP, SIG_IGN);
	sigpipe_block(false);
}
