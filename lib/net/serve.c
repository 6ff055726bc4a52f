/* Serving (see serve.h): the three modes, the standalone accept loop with
 * a process per connection (forked for it, or a reused worker of a
 * pre-forked pool), the connection limit, reload and the draining stop.
 * The session is called the same way in every mode. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/listener.h"
#include "net/serve.h"
#include "net/sigpipe.h"
#include "net/wait.h"
#include "util/clock.h"
#include "util/exitcodes.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/priv.h"

/* After drain_timeout, sessions get SIGTERM and this long before SIGKILL. */
#define SERVE_KILL_GRACE_MS 2000
/* Out of descriptors or memory: stop accepting this long, not spin. */
#define SERVE_PAUSE_MS 100
#define SERVE_USER_MAX 256
/* A worker that dies before serving anything is replaced after this long,
 * so a worker that cannot start does not make the listener fork in a loop. */
#define SERVE_RESPAWN_PAUSE_MS 1000
/* A connection that finds every worker of a full pool busy waits this
 * long for one to be free before it gets a process forked for it: a
 * client that closes and connects again at once (smtp-source, a relay
 * with a connection per message) is often quicker than its last worker's
 * "free" byte, and a forked process costs many times a worker's session
 * (measured for smtp-edge: its own resolver context, an empty DNS cache,
 * a new next-hop session). */
#define SERVE_QUEUE_MS 50

const struct conf_key serve_conf_keys[] = {
	{ "listen", CONF_STRINGS, "[]", 0, 0, NULL, NULL, 0,
	  "addresses for -d: [NAME=]ADDR with ADDR 127.0.0.1:25, [::1]:25, *:25 or unix:/path" },
	{ "max_connections", CONF_INT, "100", 1, 100000, NULL, NULL, 0,
	  "sessions at once; a connection beyond is refused" },
	{ "user", CONF_STRING, "\"\"", 0, 0, NULL, NULL, 0,
	  "unprivileged user to become once the sockets are open (empty: stay)" },
	{ "drain_timeout", CONF_DURATION, "\"30s\"", 0, 86400000, NULL, NULL, 0,
	  "on SIGTERM, how long sessions may run on before they are terminated" },
	{ "backlog", CONF_INT, "128", 1, 65535, NULL, NULL, 0,
	  "connections the kernel queues before they are accepted" },
	{ "workers", CONF_INT, "0", 0, 100000, NULL, NULL, 0,
	  "-d: 0 forks a process per connection; N keeps N session processes that serve connection after connection (beyond them, up to max_connections, a process is forked)" },
	{ "worker_max_use", CONF_INT, "100", 1, 1000000, NULL, NULL, 0,
	  "connections a pooled worker serves before it is replaced" },
	{ .name = NULL }
};

const struct conf_key serve_fiber_conf_keys[] = {
	{ "sessions_per_worker", CONF_INT, "1", 1, 1000, NULL, NULL, 0,
	  "sessions a pooled worker serves at once, each a fiber on its own stack (1: one at a time, no fibers)" },
	{ .name = NULL }
};

/* A pooled worker: a session process that takes connections from the
 * listener over a socketpair (the peer and the descriptor in one message)
 * and answers one byte when it is free again. */
struct worker {
	pid_t pid;		/* 0: the slot is empty */
	int fd;			/* the listener's end; -1 when empty */
	size_t busy;		/* sessions running in it */
	unsigned long used;	/* connections handed to it */
};

/* An accepted connection waiting for a worker (SERVE_QUEUE_MS at most). */
struct pending {
	int fd;
	struct serve_peer p;
	long long until;	/* monotonic ms; then a process is forked */
};

struct serve {
	const struct serve_handler *h;
	struct listener_set ls;
	char user[SERVE_USER_MAX];
	size_t max;		/* max_connections */
	long long drain_ms;
	int backlog;
	pid_t *kids;		/* forked sessions, and workers retired in a
				   session; max + nworkers of them */
	size_t nkids;
	struct worker *workers;	/* the pool; nworkers slots (0: no pool) */
	size_t nworkers;
	size_t busy;		/* sessions in workers */
	size_t per_worker;	/* sessions_per_worker */
	struct pending *queue;	/* connections waiting for a worker, oldest
				   first; max of them */
	size_t nqueue;		/* entries in queue */
	size_t queued;		/* of which not yet handed on */
	unsigned long max_use;	/* worker_max_use */
	long long respawn_after; /* monotonic ms; no new worker before */
	long long pause_until;	/* monotonic ms; accept nothing before */
	bool stop;		/* SIGTERM or SIGINT seen */
	bool hurry;		/* seen again: do not wait for the drain */
};

size_t serve_auto_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	n *= 2;
	return (size_t)(n < SERVE_AUTO_WORKERS_MIN ? SERVE_AUTO_WORKERS_MIN :
			n > SERVE_AUTO_WORKERS_MAX ? SERVE_AUTO_WORKERS_MAX : n);
}

static void serve_init(struct serve *s, const json_t *section, const struct serve_handler *h)
{
	long long workers;

	memset(s, 0, sizeof(*s));
	s->h = h;
	snprintf(s->user, sizeof(s->user), "%s", conf_str(section, "user") ? conf_str(section, "user") : "");
	s->max = (size_t)conf_int(section, "max_connections");
	s->drain_ms = conf_int(section, "drain_timeout");
	s->backlog = (int)conf_int(section, "backlog");
	if (s->max == 0)
		s->max = 1;
	if (s->backlog <= 0)
		s->backlog = 128;
	workers = conf_int(section, "workers");
	s->nworkers = workers < 0 ? serve_auto_workers() : (size_t)workers;
	if (s->nworkers > s->max)
		s->nworkers = s->max;	/* more could never be busy at once */
	s->max_use = (unsigned long)conf_int(section, "worker_max_use");
	if (s->max_use == 0)
		s->max_use = 100;
	/* absent (a daemon without serve_fiber_conf_keys): one at a time */
	s->per_worker = (size_t)conf_int(section, "sessions_per_worker");
	if (s->per_worker == 0)
		s->per_worker = 1;
}

static size_t sessions(const struct serve *s)
{
	return s->nkids + s->busy + s->queued;
}

void serve_peer_fill(struct serve_peer *p, int fd, const struct sockaddr_any *remote,
		     const char *fdname)
{
	struct sockaddr_any local = { .len = sizeof(local.ss) };

	memset(p, 0, sizeof(*p));
	sockaddr_format((const struct sockaddr *)&remote->ss, remote->len, p->addr, sizeof(p->addr));
	sockaddr_host_port((const struct sockaddr *)&remote->ss, remote->len, p->host,
			   sizeof(p->host), &p->port);
	if (getsockname(fd, (struct sockaddr *)&local.ss, &local.len) < 0)
		local.len = 0;
	sockaddr_format((const struct sockaddr *)&local.ss, local.len, p->local, sizeof(p->local));
	snprintf(p->fdname, sizeof(p->fdname), "%s", fdname);
}

/* inetd-like parents name the peer in the environment (systemd Accept=yes
 * and CGI-style REMOTE_*, ucspi-tcp TCPREMOTE*); it is outside input, so
 * a malformed value is ignored and the socket asked instead. */
static void peer_from_env(int fd, struct sockaddr_any *a)
{
	static const char *const vars[][2] = {
		{ "REMOTE_ADDR", "REMOTE_PORT" }, { "TCPREMOTEIP", "TCPREMOTEPORT" },
	};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *host = getenv(vars[i][0]);

		if (host == NULL)
			continue;
		if (sockaddr_from_text(host, getenv(vars[i][1]), a) == 0)
			return;
		msg_warn("ignoring a malformed peer address var=%s value=%s", vars[i][0], msg_q(host));
	}
	a->len = sizeof(a->ss);
	if (getpeername(fd, (struct sockaddr *)&a->ss, &a->len) < 0)
		a->len = 0;
}

/* inetd and Accept=yes: the session runs in this process. */
static int serve_one(struct serve *s, int in, int out, const char *fdname)
{
	struct sockaddr_any remote;
	struct serve_peer p;

	if (priv_drop(s->user) < 0)
		return EX_CONFIG;
	peer_from_env(in, &remote);
	serve_peer_fill(&p, in, &remote, fdname);
	signal(SIGPIPE, SIG_IGN);
	msg_info("connection peer=%s listener=%s", msg_q(p.addr), msg_q(p.fdname));
	msg_context("peer", p.addr);
	return s->h->session(in, out, &p, s->h->ctx);
}

static void kid_remove(struct serve *s, pid_t pid)
{
	for (size_t i = 0; i < s->nkids; i++)
		if (s->kids[i] == pid) {
			s->kids[i] = s->kids[--s->nkids];
			return;
		}
}

static void reap(struct serve *s)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		kid_remove(s, pid);
		if (WIFSIGNALED(st))
			msg_warn("session killed: %s pid=%ld signal=%d", strsignal(WTERMSIG(st)),
				 (long)pid, WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			msg_info("session ended status=%d pid=%ld", WEXITSTATUS(st), (long)pid);
		else
			msg_debug("session ended pid=%ld", (long)pid);
	}
}

/* The worker leaves the pool: told by EOF on its socket, an idle one
 * exits now, a busy one after its sessions, which are still counted (as
 * one kid) until it is reaped. */
static void worker_retire(struct serve *s, struct worker *w)
{
	if (w->pid == 0)
		return;
	close(w->fd);
	if (w->busy) {
		s->kids[s->nkids++] = w->pid;
		s->busy -= w->busy;
	}
	*w = (struct worker){ .fd = -1 };
}

static void reload(struct serve *s)
{
	if (s->h->reload == NULL) {
		msg_info("SIGHUP: nothing to reload");
		return;
	}
	msg_info("reloading");
	if (s->h->reload(s->h->ctx) < 0) {
		msg_warn("reload failed: keeping the previous settings");
		return;
	}
	/* Workers hold the old state: new ones are forked with the new. */
	for (size_t i = 0; i < s->nworkers; i++)
		worker_retire(s, &s->workers[i]);
}

static void handle_signals(struct serve *s)
{
	unsigned char buf[64];
	ssize_t n;

	while ((n = sigpipe_read(buf, (int)sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if ((buf[i] == SIGTERM || buf[i] == SIGINT) && s->stop)
				s->hurry = true;
			else if (buf[i] == SIGTERM || buf[i] == SIGINT)
				s->stop = true;
			else if (buf[i] == SIGHUP && !s->stop)
				reload(s);
		}
	reap(s);
}

static bool pooled;	/* in a worker, before its last session */

bool serve_pooled(void)
{
	return pooled;
}

/* In a new session process or worker: nothing of the listener's
 * survives but the connection (and a worker's socket), so it behaves as
 * under inetd. */
static void child_detach(struct serve *s, int keep)
{
	listener_close_all(&s->ls, false);
	for (size_t i = 0; i < s->nqueue; i++)
		if (s->queue[i].fd >= 0 && s->queue[i].fd != keep)
			close(s->queue[i].fd);
	for (size_t i = 0; i < s->nworkers; i++)
		if (s->workers[i].pid)
			close(s->workers[i].fd);
	sigpipe_child();
	free(s->kids);
	free(s->workers);
	free(s->queue);
	s->kids = NULL;
	s->workers = NULL;
	s->queue = NULL;
	s->nworkers = 0;
	s->nqueue = s->queued = 0;
}

__attribute__((noreturn))
static void child_run(struct serve *s, int fd, const struct serve_peer *peer)
{
	struct serve_peer p = *peer;	/* it may be in the queue, freed here */
	int rc;

	child_detach(s, fd);
	msg_context("peer", p.addr);
	rc = s->h->session(fd, fd, &p, s->h->ctx);
	fflush(NULL);
	_exit(rc);
}

/* Takes the next connection from the listener: 1 with *fd and *p set,
 * 0 when the listener closed its end (retired), -1 on error (EAGAIN
 * with MSG_DONTWAIT in flags and nothing there). */
static int worker_recv(int sock, int *fd, struct serve_peer *p, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = p, .iov_len = sizeof(*p) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return (int)n;
	c = CMSG_FIRSTHDR(&m);
	if ((size_t)n != sizeof(*p) || c == NULL || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		msg_error("worker: malformed hand-over from the listener");
		return -1;
	}
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	p->addr[sizeof(p->addr) - 1] = p->host[sizeof(p->host) - 1] = 0;
	p->local[sizeof(p->local) - 1] = p->fdname[sizeof(p->fdname) - 1] = 0;
	return 1;
}

/* One session in a worker. The session may close the connection or not:
 * it is closed here only if the descriptor is still that socket, since
 * its number may have been reused meanwhile. */
static void worker_session(struct serve *s, int fd, const struct serve_peer *p)
{
	struct stat before, after;
	int rc;

	if (fstat(fd, &before) < 0)
		before.st_ino = 0;
	msg_context_reset();
	msg_context("peer", p->addr);
	rc = s->h->session(fd, fd, p, s->h->ctx);
	fflush(NULL);
	if (rc != 0)
		msg_info("session ended status=%d pid=%ld", rc, (long)getpid());
	if (before.st_ino && fstat(fd, &after) == 0 && after.st_ino == before.st_ino &&
	    after.st_dev == before.st_dev)
		close(fd);
}

/* sessions_per_worker > 1: the worker's sessions are fibers on an epoll
 * loop (lib/net/wait), several at once; one more fiber takes the
 * connections from the listener. */
struct fiber_worker {
	struct serve *s;
	int sock;
	unsigned long served;
};

struct fiber_session {
	struct fiber_worker *w;
	int fd;
	struct serve_peer p;
	bool pooled;
};

static void fiber_session_run(void *arg)
{
	struct fiber_session *fs = arg;

	/* read by the session before its first wait (serve_pooled) */
	pooled = fs->pooled;
	worker_session(fs->w->s, fs->fd, &fs->p);
	/* the listener may hand us another: after our last one too, where
	 * it is not read (the listener counts our uses) */
	if (write(fs->w->sock, "d", 1) != 1 && errno != EPIPE)
		msg_warn("worker: cannot tell the listener a session ended: %s", strerror(errno));
	free(fs);
}

/* Takes connections until worker_max_use or the listener's close, each
 * to a fiber of its own; the listener hands over no more at once than
 * sessions_per_worker. */
static void fiber_acceptor(void *arg)
{
	struct fiber_worker *w = arg;
	unsigned long max_use = w->s->max_use;

	while (w->served < max_use) {
		struct fiber_session *fs = xcalloc(1, sizeof(*fs));
		int r;

		r = wait_fd(w->sock, POLLIN, -1, NULL) < 0 ? -1 :
		    worker_recv(w->sock, &fs->fd, &fs->p, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			free(fs);
			continue;
		}
		if (r <= 0) {
			free(fs);
			break;
		}
		fs->w = w;
		fs->pooled = ++w->served < max_use;
		if (wait_spawn(fiber_session_run, fs, FIBER_STACK_DEFAULT) < 0) {
			/* no memory for a stack: the client sees a close */
			close(fs->fd);
			if (write(w->sock, "d", 1) != 1)
				msg_warn("worker: cannot tell the listener: %s", strerror(errno));
			free(fs);
		}
	}
}

__attribute__((noreturn))
static void worker_run_fibers(struct serve *s, int sock)
{
	struct fiber_worker w = { .s = s, .sock = sock };

	if (wait_spawn(fiber_acceptor, &w, 64 * 1024) < 0 || wait_run() < 0)
		msg_fatal(EX_OSERR, "worker: cannot run its sessions pid=%ld", (long)getpid());
	msg_debug("worker done sessions=%lu stack_peak=%zu pid=%ld", w.served, wait_stack_peak(),
		  (long)getpid());
	if (s->h->worker_exit)
		s->h->worker_exit(s->h->ctx);
	fflush(NULL);
	_exit(EX_OK);
}

/* A pooled worker: sessions until worker_max_use, or until the listener
 * closes its end (stop, reload). What a session leaves behind (memory,
 * a descriptor) is bounded by the reuse count. */
__attribute__((noreturn))
static void worker_run(struct serve *s, int sock)
{
	unsigned long max_use = s->max_use, served = 0;
	struct serve_peer p;
	int fd = -1;

	child_detach(s, -1);
	if (s->per_worker > 1)
		worker_run_fibers(s, sock);
	while (served < max_use && worker_recv(sock, &fd, &p, 0) > 0) {
		served++;
		pooled = served < max_use;
		worker_session(s, fd, &p);
		if (served < max_use && write(sock, "d", 1) != 1)
			break;
	}
	if (s->h->worker_exit)
		s->h->worker_exit(s->h->ctx);
	fflush(NULL);
	_exit(EX_OK);
}

static void worker_spawn(struct serve *s, struct worker *w)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		msg_warn("cannot make a worker socket: %s", strerror(errno));
		s->respawn_after = clock_ms() + SERVE_RESPAWN_PAUSE_MS;
		return;
	}
	sigpipe_block(true);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_run(s, sv[1]);
	}
	sigpipe_block(false);
	close(sv[1]);
	if (pid < 0) {
		msg_warn("cannot fork a worker: %s", strerror(errno));
		close(sv[0]);
		s->respawn_after = clock_ms() + SERVE_RESPAWN_PAUSE_MS;
		return;
	}
	*w = (struct worker){ .pid = pid, .fd = sv[0] };
	msg_debug("worker started pid=%ld", (long)pid);
}

/* Fills the empty slots of the pool, unless stopping or pausing. */
static void workers_fill(struct serve *s)
{
	if (s->stop || clock_ms() < s->respawn_after)
		return;
	for (size_t i = 0; i < s->nworkers; i++)
		if (s->workers[i].pid == 0)
			worker_spawn(s, &s->workers[i]);
}

/* The worker's socket is readable: a byte per finished session, or EOF
 * when it has exited (worker_max_use reached, or died). */
static void worker_event(struct serve *s, struct worker *w)
{
	char buf[16];
	ssize_t n = read(w->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		/* a byte per session ended */
		size_t ended = (size_t)n < w->busy ? (size_t)n : w->busy;

		w->busy -= ended;
		s->busy -= ended;
		return;
	}
	if (w->used == 0)
		s->respawn_after = clock_ms() + SERVE_RESPAWN_PAUSE_MS;
	s->busy -= w->busy;
	close(w->fd);
	*w = (struct worker){ .fd = -1 };
}

/* The worker with the fewest sessions that has room for one more and
 * has not been handed its last (worker_max_use); NULL when none has. So
 * the sessions spread over the processes (and CPUs) first. */
static struct worker *worker_pick(struct serve *s)
{
	struct worker *best = NULL;

	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];

		if (w->pid == 0 || w->busy >= s->per_worker || w->used >= s->max_use)
			continue;
		if (best == NULL || w->busy < best->busy)
			best = w;
		if (w->busy == 0)
			break;
	}
	return best;
}

/* Hands the connection to a worker with room: 0, or -1 when none took it. */
static int worker_dispatch(struct serve *s, int fd, const struct serve_peer *p)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = sizeof(*p) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		struct worker *w = worker_pick(s);

		if (w == NULL)
			return -1;
		if (sendmsg(w->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(*p)) {
			worker_retire(s, w);	/* gone or stuck: a new one comes */
			continue;
		}
		w->busy++;
		w->used++;
		s->busy++;
		msg_info("connection peer=%s listener=%s pid=%ld sessions=%zu", msg_q(p->addr),
			 msg_q(p->fdname), (long)w->pid, sessions(s));
		return 0;
	}
}

static void spawn(struct serve *s, int fd, const struct serve_peer *p)
{
	pid_t pid;

	/* Until the child has its own handlers, a signal sent to it must not
	 * land in the listener's pipe. */
	sigpipe_block(true);
	pid = fork();
	if (pid == 0)
		child_run(s, fd, p);
	sigpipe_block(false);
	if (pid < 0) {
		msg_warn("cannot fork: %s peer=%s", strerror(errno), msg_q(p->addr));
		return;
	}
	s->kids[s->nkids++] = pid;
	msg_info("connection peer=%s listener=%s pid=%ld sessions=%zu", msg_q(p->addr),
		 msg_q(p->fdname), (long)pid, sessions(s));
}

/* Full: tell the client and close without a reset, so it reads why. */
static void refuse(struct serve *s, int fd, const struct serve_peer *p)
{
	char sink[4096];

	msg_warn("connection refused: too many sessions peer=%s listener=%s max_connections=%zu",
		 msg_q(p->addr), msg_q(p->fdname), s->max);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (s->h->refuse)
		s->h->refuse(fd, p, s->h->ctx);
	shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

static void accept_failed(struct serve *s, const struct listener *l)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
	    errno == EPROTO)
		return;
	msg_warn("cannot accept: %s listener=%s", strerror(errno), msg_q(l->name));
	s->pause_until = clock_ms() + SERVE_PAUSE_MS;
}

static void accept_one(struct serve *s, const struct listener *l)
{
	struct sockaddr_any remote = { .len = sizeof(remote.ss) };
	struct serve_peer p;
	int fd;

	fd = accept4(l->fd, (struct sockaddr *)&remote.ss, &remote.len, SOCK_CLOEXEC);
	if (fd < 0) {
		accept_failed(s, l);
		return;
	}
	serve_peer_fill(&p, fd, &remote, l->name);
	if (sessions(s) >= s->max)
		reap(s);	/* a session may have ended since the last SIGCHLD */
	if (sessions(s) >= s->max) {
		refuse(s, fd, &p);
	} else if (worker_dispatch(s, fd, &p) < 0) {
		if (s->nworkers > 0) {
			/* the pool is busy: wait a little for a worker */
			s->queue[s->nqueue++] = (struct pending){ .fd = fd, .p = p,
								  .until = clock_ms() + SERVE_QUEUE_MS };
			s->queued++;
			return;
		}
		spawn(s, fd, &p);
	}
	close(fd);
}

/* The waiting connections: to workers that became free, oldest first;
 * those that waited SERVE_QUEUE_MS (all of them when stopping) to a
 * process of their own. A connection handled is marked (fd -1) until
 * the end, so that a process forked meanwhile closes the others. */
static void queue_run(struct serve *s, bool all)
{
	long long now = clock_ms();
	size_t kept = 0;

	for (size_t i = 0; i < s->nqueue; i++) {
		struct pending *q = &s->queue[i];

		s->queued--;
		if (all || worker_dispatch(s, q->fd, &q->p) < 0) {
			if (!all && now < q->until) {
				s->queued++;
				continue;	/* waits on */
			}
			spawn(s, q->fd, &q->p);
		}
		close(q->fd);
		q->fd = -1;
	}
	for (size_t i = 0; i < s->nqueue; i++)
		if (s->queue[i].fd >= 0)
			s->queue[kept++] = s->queue[i];
	s->nqueue = kept;
}

/* Until when the oldest waiting connection waits; -1 when none does. */
static long long queue_deadline(const struct serve *s)
{
	return s->nqueue ? s->queue[0].until : -1;
}

/* Waits for sessions to end until the deadline or a second stop signal. */
static void wait_kids(struct serve *s, long long deadline)
{
	s->hurry = false;
	reap(s);
	while (s->nkids > 0 && !s->hurry) {
		struct pollfd pfd = { .fd = sigpipe_fd(), .events = POLLIN };
		long long left = deadline - clock_ms();

		if (left <= 0)
			return;
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) > 0)
			handle_signals(s);
	}
}

static void kill_kids(struct serve *s, int sig)
{
	for (size_t i = 0; i < s->nkids; i++)
		kill(s->kids[i], sig);
}

static int serve_drain(struct serve *s)
{
	listener_close_all(&s->ls, true);
	queue_run(s, true);	/* accepted: served, by a process of their own */
	msg_info("stopping: no new connections sessions=%zu drain_timeout=%lldms", sessions(s),
		 s->drain_ms);
	/* Idle workers exit now; busy ones are sessions to wait for. */
	for (size_t i = 0; i < s->nworkers; i++) {
		if (s->workers[i].pid && !s->workers[i].busy)
			s->kids[s->nkids++] = s->workers[i].pid;
		worker_retire(s, &s->workers[i]);
	}
	wait_kids(s, clock_ms() + s->drain_ms);
	if (s->nkids > 0) {
		msg_warn("stopping: terminating sessions still running sessions=%zu", s->nkids);
		kill_kids(s, SIGTERM);
		wait_kids(s, clock_ms() + SERVE_KILL_GRACE_MS);
	}
	if (s->nkids > 0) {
		kill_kids(s, SIGKILL);
		wait_kids(s, clock_ms() + SERVE_KILL_GRACE_MS);
	}
	msg_info("stopped");
	return EX_OK;
}

static int serve_loop(struct serve *s)
{
	struct pollfd *pfd = xcalloc(1 + LISTENER_MAX + s->nworkers, sizeof(*pfd));
	int rc;

	for (size_t i = 0; i < s->ls.n; i++)
		msg_info("listening addr=%s listener=%s max_connections=%zu workers=%zu",
			 msg_q(s->ls.l[i].addr), msg_q(s->ls.l[i].name), s->max, s->nworkers);
	while (!s->stop) {
		long long now = clock_ms();
		nfds_t n = 1, nl;
		int timeout = -1;

		workers_fill(s);
		pfd[0] = (struct pollfd){ .fd = sigpipe_fd(), .events = POLLIN };
		if (now < s->pause_until)
			timeout = (int)(s->pause_until - now);
		else
			for (size_t i = 0; i < s->ls.n; i++)
				pfd[n++] = (struct pollfd){ .fd = s->ls.l[i].fd, .events = POLLIN };
		nl = n;
		for (size_t i = 0; i < s->nworkers; i++)
			pfd[n++] = (struct pollfd){ .fd = s->workers[i].fd, .events = POLLIN };
		if (now < s->respawn_after && (timeout < 0 || s->respawn_after - now < timeout))
			timeout = (int)(s->respawn_after - now);
		if (s->nqueue) {
			long long left = queue_deadline(s) - now;

			if (left < 0)
				left = 0;
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			msg_error("cannot poll: %s", strerror(errno));
			free(pfd);
			return EX_OSERR;
		}
		if (pfd[0].revents)
			handle_signals(s);
		/* Sessions that ended free their slots before new connections
		 * are counted against the limit. */
		for (nfds_t i = nl; i < n; i++)
			if (pfd[i].revents && s->workers[i - nl].pid && s->workers[i - nl].fd == pfd[i].fd)
				worker_event(s, &s->workers[i - nl]);
		if (s->nqueue) {
			workers_fill(s);
			queue_run(s, false);
		}
		for (nfds_t i = 1; i < nl && !s->stop; i++)
			if (pfd[i].revents)
				accept_one(s, &s->ls.l[i - 1]);
	}
	rc = serve_drain(s);
	free(pfd);
	return rc;
}

/* The listener process: signals through the pipe, sessions forked. */
static int serve_listen(struct serve *s)
{
	int rc;

	if (sigpipe_open() < 0) {
		msg_error("cannot make a pipe: %s", strerror(errno));
		return EX_OSERR;
	}
	s->kids = xcalloc(s->max + s->nworkers, sizeof(*s->kids));
	s->queue = xcalloc(s->max, sizeof(*s->queue));
	s->workers = xcalloc(s->nworkers ? s->nworkers : 1, sizeof(*s->workers));
	for (size_t i = 0; i < s->nworkers; i++)
		s->workers[i].fd = -1;
	rc = serve_loop(s);
	sigpipe_close();
	free(s->kids);
	free(s->workers);
	free(s->queue);
	s->kids = NULL;
	s->workers = NULL;
	s->queue = NULL;
	return rc;
}

static int bind_all(struct serve *s, const json_t *section)
{
	size_t n = conf_strings_len(section, "listen");
	bool bad;

	if (n == 0) {
		msg_error("nothing to listen on: the config's listen list is empty");
		return EX_CONFIG;
	}
	for (size_t i = 0; i < n; i++)
		if (listener_bind(&s->ls, conf_strings_at(section, "listen", i), s->backlog, &bad) < 0) {
			listener_close_all(&s->ls, true);
			return bad ? EX_CONFIG : EX_UNAVAILABLE;
		}
	return 0;
}

/* What systemd passed: one connection (Accept=yes) or only listeners. */
static int inherited(struct serve *s)
{
	if (s->ls.n == 1 && !s->ls.l[0].listening)
		return serve_one(s, s->ls.l[0].fd, s->ls.l[0].fd, s->ls.l[0].name);
	for (size_t i = 0; i < s->ls.n; i++)
		if (!s->ls.l[i].listening) {
			msg_error("socket activation passed a connection among listening sockets fd=%d",
				  s->ls.l[i].fd);
			return EX_OSERR;
		}
	return -1;
}

int serve_run(const json_t *section, enum serve_mode mode, const struct serve_handler *h)
{
	struct serve s;
	int n, rc;

	serve_init(&s, section, h);
	n = listener_inherit(&s.ls);
	if (n < 0)
		return EX_OSERR;
	if (n > 0 && (rc = inherited(&s)) >= 0)
		return rc;
	if (n == 0 && mode == SERVE_SYSTEMD) {
		msg_error("not socket-activated: no LISTEN_FDS for this process; use -d or --inetd");
		return EX_USAGE;
	}
	if (n == 0 && mode == SERVE_INETD)
		return serve_one(&s, 0, 1, "inetd");
	if (n == 0 && (rc = bind_all(&s, section)) != 0)
		return rc;
	if (priv_drop(s.user) < 0) {
		listener_close_all(&s.ls, true);
		return EX_CONFIG;
	}
	return serve_listen(&s);
}
