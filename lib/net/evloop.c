/* The epoll loop and its standalone serving (see evloop.h): listeners
 * and connections in one epoll set, signals through a self-pipe, forked
 * processes for the connections handed off, reaped on SIGCHLD. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/evloop.h"
#include "net/listener.h"
#include "net/sigpipe.h"
#include "util/clock.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/priv.h"

#define EVLOOP_BATCH 64		/* events taken in one wake-up */
#define EVLOOP_KILL_GRACE_MS 2000
#define EVLOOP_PAUSE_MS 100	/* out of descriptors: stop accepting this long */

struct watch {
	evloop_fn fn;
	void *ctx;
	unsigned events;
	bool used, in_ep;	/* in_ep: in the epoll set (events asked) */
};

struct evloop {
	int ep;
	struct watch *w;	/* by descriptor */
	size_t nw;
	/* serving */
	const struct evloop_handler *h;
	struct listener_set ls;
	size_t max, conns, nkids;
	pid_t *kids;
	long long drain_ms, pause_until;
	bool stop, hurry;
	int accepting;		/* listeners in the set: 1, out: 0, unknown: -1 */
};

long long evloop_now_ms(void)
{
	return clock_ms();
}

struct evloop *evloop_new(void)
{
	struct evloop *ev = xcalloc(1, sizeof(*ev));

	ev->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ev->ep < 0) {
		free(ev);
		return NULL;
	}
	return ev;
}

void evloop_free(struct evloop *ev)
{
	if (!ev)
		return;
	close(ev->ep);
	free(ev->w);
	free(ev->kids);
	free(ev);
}

int evloop_watch(struct evloop *ev, int fd, unsigned events, evloop_fn fn, void *ctx)
{
	struct epoll_event e = { .events = events, .data.fd = fd };
	struct watch *w;
	int rc = 0;

	if (fd < 0)
		return errno = EBADF, -1;
	if ((size_t)fd >= ev->nw) {
		size_t was = ev->nw;

		xgrow((void **)&ev->w, &ev->nw, (size_t)fd + 1, sizeof(*ev->w));
		memset(ev->w + was, 0, (ev->nw - was) * sizeof(*ev->w));
	}
	w = &ev->w[fd];
	/* A silent one stays out of the set: epoll would still report its
	 * errors and hang-ups, again and again. The same events again cost
	 * no system call. A descriptor closed and made again under the same
	 * number left the set with its close: MOD finds it gone, ADD it. */
	if (events == 0 && w->in_ep)
		(void)epoll_ctl(ev->ep, EPOLL_CTL_DEL, fd, NULL);
	else if (events && (!w->in_ep || w->events != events)) {
		rc = epoll_ctl(ev->ep, w->in_ep ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e);
		if (rc < 0 && errno == ENOENT)
			rc = epoll_ctl(ev->ep, EPOLL_CTL_ADD, fd, &e);
		else if (rc < 0 && errno == EEXIST)
			rc = epoll_ctl(ev->ep, EPOLL_CTL_MOD, fd, &e);
	}
	if (rc < 0)
		return -1;
	*w = (struct watch){ fn, ctx, events, true, events != 0 };
	return 0;
}

void evloop_drop(struct evloop *ev, int fd)
{
	if (fd >= 0 && (size_t)fd < ev->nw)
		ev->w[fd] = (struct watch){ 0 };
}

/* fd was closed and maybe made again (the same number) while watched:
 * its registration is renewed. */
int evloop_rewatch(struct evloop *ev, int fd, unsigned events, evloop_fn fn, void *ctx)
{
	if (fd >= 0 && (size_t)fd < ev->nw)
		ev->w[fd].in_ep = false;
	return evloop_watch(ev, fd, events, fn, ctx);
}

void evloop_forget(struct evloop *ev, int fd)
{
	if (fd < 0 || (size_t)fd >= ev->nw || !ev->w[fd].used)
		return;
	if (ev->w[fd].in_ep)
		epoll_ctl(ev->ep, EPOLL_CTL_DEL, fd, NULL);
	ev->w[fd] = (struct watch){ 0 };
}

int evloop_wait(struct evloop *ev, long long timeout_ms)
{
	struct epoll_event e[EVLOOP_BATCH];
	int n = epoll_wait(ev->ep, e, EVLOOP_BATCH,
			   timeout_ms < 0 ? -1 : timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		int fd = e[i].data.fd;
		unsigned got = e[i].events;

		if (got & (EPOLLERR | EPOLLHUP))
			got |= EVLOOP_IN;
		/* An earlier callback of this round may have forgotten it. */
		if ((size_t)fd < ev->nw && ev->w[fd].in_ep && ev->w[fd].fn)
			ev->w[fd].fn(fd, got & (EVLOOP_IN | EVLOOP_OUT), ev->w[fd].ctx);
		/* A callback's log context (the peer) is its own: the
		 * process's own fields again, emptied (a callback may have
		 * made a state of its own current, or set fields). */
		msg_state_use(NULL);
		msg_context_reset();
	}
	return n;
}

/* ---- serving ---- */

size_t evloop_sessions(const struct evloop *ev)
{
	return ev->conns + ev->nkids;
}

void evloop_conn_end(struct evloop *ev)
{
	if (ev->conns > 0)
		ev->conns--;
}

static void reap(struct evloop *ev)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < ev->nkids; i++)
			if (ev->kids[i] == pid) {
				ev->kids[i] = ev->kids[--ev->nkids];
				break;
			}
		if (WIFSIGNALED(st))
			msg_warn("session killed: %s pid=%ld signal=%d", strsignal(WTERMSIG(st)),
				 (long)pid, WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			msg_info("session ended status=%d pid=%ld", WEXITSTATUS(st), (long)pid);
		else
			msg_debug("session ended pid=%ld", (long)pid);
	}
}

pid_t evloop_fork(struct evloop *ev, const int *keep, size_t nkeep)
{
	pid_t pid;

	if (ev->kids && ev->nkids >= ev->max + 1)
		reap(ev);
	sigpipe_block(true);
	pid = fork();
	if (pid == 0) {
		for (size_t fd = 0; fd < ev->nw; fd++) {
			bool kept = false;

			for (size_t i = 0; i < nkeep; i++)
				kept |= keep[i] == (int)fd;
			if (ev->w[fd].used && !kept)
				close((int)fd);
		}
		close(ev->ep);
		listener_close_all(&ev->ls, false);
		sigpipe_child();
		return 0;
	}
	sigpipe_block(false);
	if (pid < 0) {
		msg_warn("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (ev->kids && ev->nkids < ev->max + 1)
		ev->kids[ev->nkids++] = pid;
	return pid;
}

static void refuse(struct evloop *ev, int fd, const struct serve_peer *p)
{
	char sink[4096];

	msg_warn("connection refused: too many sessions peer=%s listener=%s max_connections=%zu",
		 msg_q(p->addr), msg_q(p->fdname), ev->max);
	if (ev->h->refuse)
		ev->h->refuse(fd, p, ev->h->ctx);
	shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void accept_all(struct evloop *ev, const struct listener *l)
{
	for (int i = 0; i < EVLOOP_BATCH && !ev->stop; i++) {
		struct sockaddr_any remote = { .len = sizeof(remote.ss) };
		struct serve_peer p;
		int fd = accept4(l->fd, (struct sockaddr *)&remote.ss, &remote.len,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED &&
			    errno != EPROTO) {
				msg_warn("cannot accept: %s listener=%s", strerror(errno),
					 msg_q(l->name));
				ev->pause_until = evloop_now_ms() + EVLOOP_PAUSE_MS;
			}
			return;
		}
		serve_peer_fill(&p, fd, &remote, l->name);
		if (evloop_sessions(ev) >= ev->max)
			reap(ev);
		if (evloop_sessions(ev) >= ev->max) {
			refuse(ev, fd, &p);
			continue;
		}
		ev->conns++;
		msg_info("connection peer=%s listener=%s sessions=%zu", msg_q(p.addr),
			 msg_q(p.fdname), evloop_sessions(ev));
		ev->h->accept(ev, fd, &p, ev->h->ctx);
	}
}

static void handle_signals(struct evloop *ev)
{
	unsigned char buf[64];
	ssize_t n;

	while ((n = sigpipe_read(buf, (int)sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if ((buf[i] == SIGTERM || buf[i] == SIGINT) && ev->stop) {
				ev->hurry = true;
			} else if (buf[i] == SIGTERM || buf[i] == SIGINT) {
				ev->stop = true;
			} else if (buf[i] == SIGHUP && !ev->stop && !ev->h->reload) {
				msg_info("SIGHUP: nothing to reload");
			} else if (buf[i] == SIGHUP && !ev->stop) {
				msg_info("reloading");
				if (ev->h->reload(ev->h->ctx) < 0)
					msg_warn("reload failed: keeping the previous settings");
			}
		}
	reap(ev);
}

/* Which of our own descriptors woke us: the signal pipe and listeners
 * are told apart by the callback's context. */
static void on_sig(int fd, unsigned events, void *ctx)
{
	(void)fd;
	(void)events;
	handle_signals(ctx);
}

static struct evloop *serving;

static void on_listener(int fd, unsigned events, void *ctx)
{
	(void)fd;
	(void)events;
	accept_all(serving, ctx);
}

/* One round of the loop: waits until the next deadline at most. */
static int round_once(struct evloop *ev, bool listening)
{
	long long now = evloop_now_ms(), next = ev->h->tick(now, ev->h->ctx), wait = -1;
	bool paused = now < ev->pause_until;

	if (next >= 0)
		wait = next > now ? next - now : 0;
	if (paused && (wait < 0 || ev->pause_until - now < wait))
		wait = ev->pause_until - now;
	/* The set changes only when a pause begins or ends. */
	if (listening && ev->accepting != !paused) {
		for (size_t i = 0; i < ev->ls.n; i++)
			evloop_watch(ev, ev->ls.l[i].fd, paused ? 0 : EVLOOP_IN, on_listener,
				     &ev->ls.l[i]);
		ev->accepting = !paused;
	}
	if (evloop_wait(ev, wait) < 0) {
		msg_error("cannot wait for events: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int drain(struct evloop *ev)
{
	long long end;

	for (size_t i = 0; i < ev->ls.n; i++)
		evloop_forget(ev, ev->ls.l[i].fd);
	listener_close_all(&ev->ls, true);
	msg_info("stopping: no new connections sessions=%zu drain_timeout=%lldms",
		 evloop_sessions(ev), ev->drain_ms);
	ev->h->stop(ev->h->ctx);
	ev->hurry = false;
	end = evloop_now_ms() + ev->drain_ms;
	while (evloop_sessions(ev) > 0 && !ev->hurry && evloop_now_ms() < end)
		if (round_once(ev, false) < 0)
			break;
	if (ev->nkids > 0) {
		msg_warn("stopping: terminating sessions still running sessions=%zu", ev->nkids);
		for (size_t i = 0; i < ev->nkids; i++)
			kill(ev->kids[i], SIGTERM);
		end = evloop_now_ms() + EVLOOP_KILL_GRACE_MS;
		while (ev->nkids > 0 && evloop_now_ms() < end)
			if (evloop_wait(ev, 100) < 0)
				break;
	}
	for (size_t i = 0; i < ev->nkids; i++)
		kill(ev->kids[i], SIGKILL);
	msg_info("stopped");
	return EX_OK;
}

static int bind_all(struct evloop *ev, const json_t *section)
{
	size_t n = conf_strings_len(section, "listen");
	int backlog = (int)conf_int(section, "backlog");
	bool bad;

	if (n == 0) {
		msg_error("nothing to listen on: the config's listen list is empty");
		return EX_CONFIG;
	}
	for (size_t i = 0; i < n; i++)
		if (listener_bind(&ev->ls, conf_strings_at(section, "listen", i),
				  backlog > 0 ? backlog : 128, &bad) < 0) {
			listener_close_all(&ev->ls, true);
			return bad ? EX_CONFIG : EX_UNAVAILABLE;
		}
	return 0;
}

static int serve_loop(struct evloop *ev)
{
	int rc = EX_OK;

	for (size_t i = 0; i < ev->ls.n; i++)
		msg_info("listening addr=%s listener=%s max_connections=%zu event_loop=yes",
			 msg_q(ev->ls.l[i].addr), msg_q(ev->ls.l[i].name), ev->max);
	if (evloop_watch(ev, sigpipe_fd(), EVLOOP_IN, on_sig, ev) < 0) {
		msg_error("cannot watch the signal pipe: %s", strerror(errno));
		return EX_OSERR;
	}
	while (!ev->stop)
		if (round_once(ev, true) < 0) {
			rc = EX_OSERR;
			break;
		}
	if (rc == EX_OK)
		rc = drain(ev);
	return rc;
}

int evloop_serve(const json_t *section, const struct evloop_handler *h)
{
	struct evloop *ev = evloop_new();
	const char *user = conf_str(section, "user");
	int n, rc;

	if (!ev) {
		msg_error("cannot make an epoll set: %s", strerror(errno));
		return EX_OSERR;
	}
	ev->h = h;
	ev->max = (size_t)conf_int(section, "max_connections");
	ev->drain_ms = conf_int(section, "drain_timeout");
	if (ev->max == 0)
		ev->max = 1;
	ev->kids = xcalloc(ev->max + 1, sizeof(*ev->kids));
	ev->accepting = -1;
	n = listener_inherit(&ev->ls);
	if (n < 0 || (n == 0 && (rc = bind_all(ev, section)) != 0)) {
		evloop_free(ev);
		return n < 0 ? EX_OSERR : rc;
	}
	for (size_t i = 0; i < ev->ls.n; i++)
		if (!ev->ls.l[i].listening) {
			msg_error("socket activation passed a connection: the event loop serves listeners only");
			listener_close_all(&ev->ls, true);
			evloop_free(ev);
			return EX_OSERR;
		}
	if (priv_drop(user ? user : "") < 0 || sigpipe_open() < 0) {
		listener_close_all(&ev->ls, true);
		evloop_free(ev);
		return EX_CONFIG;
	}
	serving = ev;
	rc = serve_loop(ev);
	sigpipe_close();
	serving = NULL;
	evloop_free(ev);
	return rc;
}
