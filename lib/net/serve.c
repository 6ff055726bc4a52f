/* Serving (see serve.h): the three modes, the standalone accept loop with
 * a process per connection (forked for it, or a reused worker of a
 * pre-forked pool that accepts for itself), the connection limit, reload
 * and the draining stop.
 * The session is called the same way in every mode. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
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
/* A connection that finds every worker of the pool full waits this long
 * (in the kernel's queue) for one to have room before the listener
 * accepts it and forks a process for it: a client that closes and
 * connects again at once (smtp-source, a relay with a connection per
 * message) is often quicker than its last session's end, and a forked
 * process costs many times a worker's session (measured for smtp-edge:
 * its own resolver context, an empty DNS cache, a new next-hop session).
 * Also how long the listener leaves the listening sockets to the
 * workers after seeing a connection that a worker has room for. */
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

/* A pooled worker: a session process that accepts its connections from
 * the listening sockets itself, as many as it has room for. The
 * listener keeps the pool full, forks a process for a connection that
 * no worker takes, and holds the other end of a socketpair: closed by
 * the listener, it tells the worker to stop taking connections (stop,
 * reload); written or closed by the worker, that it takes no more
 * (worker_max_use) or has gone. A slot (shared memory) shows its
 * sessions to the listener and to the other workers, for
 * max_connections. */
struct worker {
	pid_t pid;		/* 0: the entry is free */
	int fd;			/* the listener's end; -1 once out of the pool */
};

/* Written by the worker alone, read by everyone; zeroed by the listener
 * before the worker starts and after it is reaped. */
struct slot {
	_Atomic unsigned busy;		/* sessions running in the worker */
	_Atomic unsigned long served;	/* connections it took */
	_Atomic bool done;		/* it takes no more */
};

/* Shared by the listener and its workers (MAP_SHARED, made before the
 * first fork). */
struct pool_shared {
	_Atomic size_t forked;	/* sessions in processes of their own */
	/* entries [0, nused) may hold a worker: what a scan reads (the
	 * listener takes the lowest free entry, so this stays near the
	 * pool's size whatever max_connections is) */
	_Atomic size_t nused;
	size_t nslots;
	struct slot slot[];	/* one per entry of the worker table */
};

struct serve {
	const struct serve_handler *h;
	struct listener_set ls;
	char user[SERVE_USER_MAX];
	size_t max;		/* max_connections */
	long long drain_ms;
	int backlog;
	pid_t *kids;		/* forked sessions; max of them */
	size_t nkids;
	/* The pool: nworkers entries in it (fd >= 0), and workers out of it
	 * that still run (retired with sessions, or done), until reaped;
	 * nslots entries in all. */
	struct worker *workers;
	size_t nworkers;	/* the pool's size ("workers"; 0: no pool) */
	struct pool_shared *shm;
	size_t per_worker;	/* sessions_per_worker */
	unsigned long max_use;	/* worker_max_use */
	long long respawn_after; /* monotonic ms; no new worker before */
	long long pause_until;	/* monotonic ms; accept nothing before */
	long long deaf_until;	/* monotonic ms; the listening sockets are
				   the workers' until then */
	bool waited;		/* a connection found the pool full and has
				   waited SERVE_QUEUE_MS */
	bool bound;		/* the listening sockets are ours (not systemd's) */
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

/* The worker entries a scan reads (0 without a pool). */
static size_t used(const struct serve *s)
{
	return s->shm ? atomic_load(&s->shm->nused) : 0;
}

/* Sessions alive: in workers (their slots, read by the listener and by
 * any worker) and in forked processes. */
static size_t sessions(const struct serve *s)
{
	size_t n;

	if (s->shm == NULL)
		return s->nkids;
	n = atomic_load(&s->shm->forked);
	for (size_t i = 0; i < used(s); i++)
		n += atomic_load_explicit(&s->shm->slot[i].busy, memory_order_relaxed);
	return n;
}

static void kids_publish(struct serve *s)
{
	if (s->shm)
		atomic_store(&s->shm->forked, s->nkids);
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

static bool kid_remove(struct serve *s, pid_t pid)
{
	for (size_t i = 0; i < s->nkids; i++)
		if (s->kids[i] == pid) {
			s->kids[i] = s->kids[--s->nkids];
			kids_publish(s);
			return true;
		}
	return false;
}

/* A worker reaped: its entry and slot are free. */
static void worker_remove(struct serve *s, pid_t pid)
{
	for (size_t i = 0; i < used(s); i++)
		if (s->workers[i].pid == pid) {
			if (s->workers[i].fd >= 0)
				close(s->workers[i].fd);
			s->workers[i] = (struct worker){ .fd = -1 };
			memset(&s->shm->slot[i], 0, sizeof(s->shm->slot[i]));
			return;
		}
}

static void reap(struct serve *s)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (!kid_remove(s, pid))
			worker_remove(s, pid);
		if (WIFSIGNALED(st))
			msg_warn("session killed: %s pid=%ld signal=%d", strsignal(WTERMSIG(st)),
				 (long)pid, WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			msg_info("session ended status=%d pid=%ld", WEXITSTATUS(st), (long)pid);
		else
			msg_debug("session ended pid=%ld", (long)pid);
	}
}

/* Workers still running, in the pool or out of it. */
static size_t workers_alive(const struct serve *s)
{
	size_t n = 0;

	for (size_t i = 0; i < used(s); i++)
		n += s->workers[i].pid != 0;
	return n;
}

/* The worker leaves the pool: told by EOF on its socket, it takes no
 * more connections and exits after its sessions, which count (its slot)
 * until it is reaped. */
static void worker_retire(struct worker *w)
{
	if (w->pid == 0 || w->fd < 0)
		return;
	close(w->fd);
	w->fd = -1;
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
	for (size_t i = 0; i < used(s); i++)
		worker_retire(&s->workers[i]);
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
static long worker_pid;	/* in a worker: its pid, for the log */

bool serve_pooled(void)
{
	return pooled;
}

/* In a new session process or worker: nothing of the listener's
 * survives but the connection (a worker's: its socket, the listening
 * sockets and the shared slots), so it behaves as under inetd. */
static void child_detach(struct serve *s, bool worker)
{
	if (!worker)
		listener_close_all(&s->ls, false);
	for (size_t i = 0; i < used(s); i++)
		if (s->workers[i].fd >= 0)
			close(s->workers[i].fd);
	sigpipe_child();
	free(s->kids);
	free(s->workers);
	s->kids = NULL;
	s->workers = NULL;
	s->nkids = 0;
	if (!worker && s->shm) {
		munmap(s->shm, sizeof(*s->shm) + s->shm->nslots * sizeof(s->shm->slot[0]));
		s->shm = NULL;
	}
}

__attribute__((noreturn))
static void child_run(struct serve *s, int fd, const struct serve_peer *p)
{
	int rc;

	child_detach(s, false);
	msg_context("peer", p->addr);
	rc = s->h->session(fd, fd, p, s->h->ctx);
	fflush(NULL);
	_exit(rc);
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

/* accept4 failed: true when it is worth pausing (out of descriptors or
 * memory), false when there was simply nothing (another took it). */
static bool accept_failed(const struct listener *l)
{
	/* EINVAL: no longer listening (the listener's drain, below) */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
	    errno == EPROTO || errno == EINVAL)
		return false;
	msg_warn("cannot accept: %s listener=%s", strerror(errno), msg_q(l->name));
	return true;
}

/* One connection from listener l, *p filled: its descriptor, or -1 with
 * errno (accept_failed tells what it means). */
static int accept_peer(const struct listener *l, struct serve_peer *p)
{
	struct sockaddr_any remote = { .len = sizeof(remote.ss) };
	int fd = accept4(l->fd, (struct sockaddr *)&remote.ss, &remote.len, SOCK_CLOEXEC);

	if (fd >= 0)
		serve_peer_fill(p, fd, &remote, l->name);
	return fd;
}

/* In a worker: one connection from listener l, counted in the worker's
 * slot. 1 with *fd and *p set; 0 when there was none (another process
 * took it) or it was refused (max_connections); -1 when accepting
 * failed and the worker should pause. The slot is counted before the
 * total is read, so two workers taking the last place at once both
 * refuse rather than both serve. */
static int worker_take(struct serve *s, struct slot *my, const struct listener *l, int *fd,
		       struct serve_peer *p)
{
	size_t n;

	if ((*fd = accept_peer(l, p)) < 0)
		return accept_failed(l) ? -1 : 0;
	atomic_fetch_add(&my->busy, 1);
	n = sessions(s);
	if (n > s->max) {
		atomic_fetch_sub(&my->busy, 1);
		refuse(s, *fd, p);
		close(*fd);
		return 0;
	}
	atomic_fetch_add_explicit(&my->served, 1, memory_order_relaxed);
	msg_context_reset();	/* the last session's fields are not this one's */
	msg_info("connection peer=%s listener=%s pid=%ld sessions=%zu", msg_q(p->addr),
		 msg_q(p->fdname), worker_pid, n);
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

/* The worker takes no more connections: the listener is told (a byte,
 * or EOF if it is gone) so that it fills the pool again now, and the
 * listening sockets are closed here. */
static void worker_done(struct serve *s, struct slot *my, int sock, bool told)
{
	atomic_store(&my->done, true);
	if (!told && write(sock, "x", 1) != 1 && errno != EPIPE)
		msg_warn("worker: cannot tell the listener it is done: %s", strerror(errno));
	listener_close_all(&s->ls, false);
}

/* sessions_per_worker > 1: the worker's sessions are fibers on an epoll
 * loop (lib/net/wait), several at once; one more fiber accepts the
 * connections while there is room. */
struct fiber_worker {
	struct serve *s;
	struct slot *my;
	int sock;
	unsigned long served;
	const void *acceptor;	/* its fiber, woken when room comes back */
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
	struct fiber_worker *w = fs->w;

	/* read by the session before its first wait (serve_pooled) */
	pooled = fs->pooled;
	worker_session(w->s, fs->fd, &fs->p);
	if (atomic_fetch_sub(&w->my->busy, 1) == w->s->per_worker)
		wait_kick(w->acceptor, w->sock);	/* room again */
	free(fs);
}

/* Starts a fiber for an accepted connection; when none can be made (no
 * memory for a stack), the client sees a close. */
static void fiber_start(struct fiber_worker *w, int fd, const struct serve_peer *p)
{
	struct fiber_session *fs = xcalloc(1, sizeof(*fs));

	fs->w = w;
	fs->fd = fd;
	fs->p = *p;
	fs->pooled = ++w->served < w->s->max_use;
	if (wait_spawn(fiber_session_run, fs, FIBER_STACK_DEFAULT) == 0)
		return;
	close(fd);
	atomic_fetch_sub(&w->my->busy, 1);
	free(fs);
}

/* Accepts until worker_max_use or the listener's close, each connection
 * to a fiber of its own, never more than sessions_per_worker at once:
 * while the worker is full it waits on its socket alone, and a session
 * that ends wakes it. */
static void fiber_acceptor(void *arg)
{
	struct fiber_worker *w = arg;
	struct serve *s = w->s;
	bool told = false;

	w->acceptor = wait_owner();
	while (w->served < s->max_use) {
		struct pollfd pfd[1 + LISTENER_MAX];
		nfds_t n = 1;
		bool pause = false;

		pfd[0] = (struct pollfd){ .fd = w->sock, .events = POLLIN };
		if (atomic_load(&w->my->busy) < s->per_worker)
			for (size_t i = 0; i < s->ls.n; i++)
				pfd[n++] = (struct pollfd){ .fd = s->ls.l[i].fd, .events = POLLIN };
		if (wait_poll(pfd, n, -1) < 0)
			break;
		if (pfd[0].revents) {
			told = true;	/* the listener closed its end */
			break;
		}
		/* One connection a listener a wake-up: the other workers were
		 * woken too, and one of them takes the next, so that a burst
		 * of connections spreads over the workers (and CPUs). */
		for (nfds_t i = 1; i < n && !pause && w->served < s->max_use &&
				   atomic_load(&w->my->busy) < s->per_worker; i++) {
			struct serve_peer p;
			int fd, r;

			if (pfd[i].revents == 0)
				continue;
			r = worker_take(s, w->my, &s->ls.l[i - 1], &fd, &p);
			if (r > 0)
				fiber_start(w, fd, &p);
			pause = r < 0;
		}
		if (pause)
			wait_sleep(SERVE_PAUSE_MS);
	}
	worker_done(s, w->my, w->sock, told);
}

__attribute__((noreturn))
static void worker_run_fibers(struct serve *s, struct slot *my, int sock)
{
	struct fiber_worker w = { .s = s, .my = my, .sock = sock };

	if (wait_spawn(fiber_acceptor, &w, 64 * 1024) < 0 || wait_run() < 0)
		msg_fatal(EX_OSERR, "worker: cannot run its sessions pid=%ld", (long)getpid());
	msg_debug("worker done sessions=%lu stack_peak=%zu pid=%ld", w.served, wait_stack_peak(),
		  (long)getpid());
	if (s->h->worker_exit)
		s->h->worker_exit(s->h->ctx);
	fflush(NULL);
	_exit(EX_OK);
}

/* The worker's wait for a connection: its socket and the listening
 * sockets in an epoll set of its own, the latter exclusive, so that a
 * connection wakes one idle worker and not the whole pool. */
static int worker_epoll(const struct serve *s, int sock)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev) < 0)
		return -1;
	for (size_t i = 0; i < s->ls.n; i++) {
		ev = (struct epoll_event){ .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = i + 1 };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->ls.l[i].fd, &ev) < 0)
			return -1;
	}
	return ep;
}

/* A pooled worker: sessions until worker_max_use, or until the listener
 * closes its end (stop, reload). What a session leaves behind (memory,
 * a descriptor) is bounded by the reuse count. */
__attribute__((noreturn))
static void worker_run(struct serve *s, struct slot *my, int sock)
{
	unsigned long max_use = s->max_use, served = 0;
	bool told = false;
	int ep;

	child_detach(s, true);
	worker_pid = (long)getpid();
	if (s->per_worker > 1)
		worker_run_fibers(s, my, sock);
	if ((ep = worker_epoll(s, sock)) < 0)
		msg_fatal(EX_OSERR, "worker: cannot make its epoll set: %s", strerror(errno));
	while (served < max_use && !told) {
		struct epoll_event ev[1 + LISTENER_MAX];
		int n = epoll_wait(ep, ev, 1 + LISTENER_MAX, -1);

		if (n < 0 && errno != EINTR)
			msg_fatal(EX_OSERR, "worker: cannot wait: %s", strerror(errno));
		/* the listener closed its end (stop, reload): before anything
		 * else that came in the same wake-up */
		for (int i = 0; i < n; i++)
			told |= ev[i].data.u64 == 0;
		for (int i = 0; i < n && served < max_use && !told; i++) {
			struct serve_peer p;
			int fd, r;

			r = worker_take(s, my, &s->ls.l[ev[i].data.u64 - 1], &fd, &p);
			if (r < 0)
				poll(NULL, 0, SERVE_PAUSE_MS);
			if (r <= 0)
				continue;
			served++;
			pooled = served < max_use;
			worker_session(s, fd, &p);
			atomic_fetch_sub(&my->busy, 1);
		}
	}
	close(ep);
	worker_done(s, my, sock, told);
	if (s->h->worker_exit)
		s->h->worker_exit(s->h->ctx);
	fflush(NULL);
	_exit(EX_OK);
}

static void worker_spawn(struct serve *s, size_t i)
{
	struct slot *my = &s->shm->slot[i];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		msg_warn("cannot make a worker socket: %s", strerror(errno));
		s->respawn_after = clock_ms() + SERVE_RESPAWN_PAUSE_MS;
		return;
	}
	memset(my, 0, sizeof(*my));
	sigpipe_block(true);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_run(s, my, sv[1]);
	}
	sigpipe_block(false);
	close(sv[1]);
	if (pid < 0) {
		msg_warn("cannot fork a worker: %s", strerror(errno));
		close(sv[0]);
		s->respawn_after = clock_ms() + SERVE_RESPAWN_PAUSE_MS;
		return;
	}
	s->workers[i] = (struct worker){ .pid = pid, .fd = sv[0] };
	if (i >= atomic_load(&s->shm->nused))
		atomic_store(&s->shm->nused, i + 1);
	msg_debug("worker started pid=%ld", (long)pid);
}

/* Brings the pool back to nworkers, unless stopping or pausing. */
static void workers_fill(struct serve *s)
{
	size_t in = 0;

	if (s->stop || clock_ms() < s->respawn_after)
		return;
	for (size_t i = 0; i < used(s); i++)
		in += s->workers[i].fd >= 0;
	for (size_t i = 0; i < s->shm->nslots && in < s->nworkers; i++)
		if (s->workers[i].pid == 0) {
			worker_spawn(s, i);
			in += s->workers[i].pid != 0;
			if (s->workers[i].pid == 0)
				return;
		}
}

/* The worker's socket is readable: it takes no more (a byte) or has
 * exited (EOF). Either way it leaves the pool; it is reaped later. */
static void worker_event(struct serve *s, size_t i)
{
	struct worker *w = &s->workers[i];
	char buf[16];
	ssize_t n = read(w->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 && atomic_load(&s->shm->slot[i].served) == 0)
		s->respawn_after = clock_ms() + SERVE_RESPAWN_PAUSE_MS;
	worker_retire(w);
}

/* A worker in the pool has room for one more session now. */
static bool pool_room(const struct serve *s)
{
	for (size_t i = 0; i < used(s); i++) {
		const struct slot *sl = &s->shm->slot[i];

		if (s->workers[i].fd >= 0 && !atomic_load(&sl->done) &&
		    atomic_load(&sl->busy) < s->per_worker)
			return true;
	}
	return false;
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
	kids_publish(s);
	msg_info("connection peer=%s listener=%s pid=%ld sessions=%zu", msg_q(p->addr),
		 msg_q(p->fdname), (long)pid, sessions(s));
}

/* The listener accepts one connection itself: refused beyond
 * max_connections, else served by a process forked for it. */
static void accept_one(struct serve *s, const struct listener *l)
{
	struct serve_peer p;
	int fd;

	if ((fd = accept_peer(l, &p)) < 0) {
		if (accept_failed(l))
			s->pause_until = clock_ms() + SERVE_PAUSE_MS;
		return;
	}
	if (sessions(s) >= s->max)
		reap(s);	/* a session may have ended since the last SIGCHLD */
	if (sessions(s) >= s->max)
		refuse(s, fd, &p);
	else
		spawn(s, fd, &p);
	close(fd);
}

/* A connection waits on listener l and the pool has workers: theirs
 * while one has room (the listener looks again in SERVE_QUEUE_MS); with
 * every worker full, refused at once beyond max_connections, else
 * given a process of its own once it has waited SERVE_QUEUE_MS for a
 * worker to take it (the kernel's queue holds it meanwhile). */
static void pool_pending(struct serve *s, const struct listener *l)
{
	long long now = clock_ms();

	if (pool_room(s)) {
		s->waited = false;
		s->deaf_until = now + SERVE_QUEUE_MS;
	} else if (sessions(s) >= s->max || s->waited || workers_alive(s) == 0) {
		accept_one(s, l);
	} else {
		s->waited = true;
		s->deaf_until = now + SERVE_QUEUE_MS;
	}
}

/* Waits for sessions to end until the deadline or a second stop signal. */
static void wait_kids(struct serve *s, long long deadline)
{
	s->hurry = false;
	reap(s);
	while ((s->nkids > 0 || workers_alive(s) > 0) && !s->hurry) {
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
	for (size_t i = 0; i < used(s); i++)
		if (s->workers[i].pid)
			kill(s->workers[i].pid, sig);
}

static int serve_drain(struct serve *s)
{
	/* Every worker stops taking connections and closes its copies of the
	 * listening sockets; idle ones exit now, busy ones after their
	 * sessions. A worker of one session at a time sees that only after
	 * its session: until then its copy would keep the socket listening,
	 * and connections would wait in the kernel's queue for nobody. So a
	 * socket we bound stops listening now, for every process (shutdown);
	 * systemd's are left listening, since queuing connections for the
	 * next start is what it keeps them for. */
	for (size_t i = 0; i < used(s); i++)
		worker_retire(&s->workers[i]);
	for (size_t i = 0; s->bound && i < s->ls.n; i++)
		shutdown(s->ls.l[i].fd, SHUT_RD);
	listener_close_all(&s->ls, true);
	msg_info("stopping: no new connections sessions=%zu drain_timeout=%lldms", sessions(s),
		 s->drain_ms);
	wait_kids(s, clock_ms() + s->drain_ms);
	if (s->nkids + workers_alive(s) > 0) {
		msg_warn("stopping: terminating sessions still running sessions=%zu", sessions(s));
		kill_kids(s, SIGTERM);
		wait_kids(s, clock_ms() + SERVE_KILL_GRACE_MS);
	}
	if (s->nkids + workers_alive(s) > 0) {
		kill_kids(s, SIGKILL);
		wait_kids(s, clock_ms() + SERVE_KILL_GRACE_MS);
	}
	msg_info("stopped");
	return EX_OK;
}

/* One turn's poll set: the signal pipe, the listening sockets unless
 * paused or left to the workers, the sockets of the workers in the pool
 * (their entries in idx). Returns the count; *nl ends the listeners. */
static nfds_t loop_fds(struct serve *s, struct pollfd *pfd, size_t *idx, nfds_t *nl,
		       long long now)
{
	nfds_t n = 1;

	pfd[0] = (struct pollfd){ .fd = sigpipe_fd(), .events = POLLIN };
	if (now >= s->pause_until && now >= s->deaf_until)
		for (size_t i = 0; i < s->ls.n; i++)
			pfd[n++] = (struct pollfd){ .fd = s->ls.l[i].fd, .events = POLLIN };
	*nl = n;
	for (size_t i = 0; i < used(s); i++)
		if (s->workers[i].fd >= 0) {
			idx[n] = i;
			pfd[n++] = (struct pollfd){ .fd = s->workers[i].fd, .events = POLLIN };
		}
	return n;
}

/* ms until the nearest of the pauses; -1 when none. */
static int loop_timeout(const struct serve *s, long long now)
{
	long long t = -1;
	const long long until[] = { s->pause_until, s->deaf_until,
				    s->shm ? s->respawn_after : 0 };

	for (size_t i = 0; i < sizeof(until) / sizeof(until[0]); i++)
		if (now < until[i] && (t < 0 || until[i] - now < t))
			t = until[i] - now;
	return t < 0 ? -1 : t > INT_MAX ? INT_MAX : (int)t;
}

static int serve_loop(struct serve *s)
{
	size_t cap = 1 + LISTENER_MAX + s->nworkers;	/* the pool's sockets */
	struct pollfd *pfd = xcalloc(cap, sizeof(*pfd));
	size_t *idx = xcalloc(cap, sizeof(*idx));
	int rc;

	for (size_t i = 0; i < s->ls.n; i++)
		msg_info("listening addr=%s listener=%s max_connections=%zu workers=%zu",
			 msg_q(s->ls.l[i].addr), msg_q(s->ls.l[i].name), s->max, s->nworkers);
	while (!s->stop) {
		long long now = clock_ms();
		nfds_t n, nl;
		bool pending = false;

		if (s->shm)
			workers_fill(s);
		n = loop_fds(s, pfd, idx, &nl, now);
		if (poll(pfd, n, loop_timeout(s, now)) < 0) {
			if (errno == EINTR)
				continue;
			msg_error("cannot poll: %s", strerror(errno));
			free(pfd);
			free(idx);
			return EX_OSERR;
		}
		if (pfd[0].revents)
			handle_signals(s);
		/* Workers that left the pool are replaced before a connection
		 * is counted against the limit. */
		for (nfds_t i = nl; i < n; i++)
			if (pfd[i].revents && s->workers[idx[i]].fd == pfd[i].fd)
				worker_event(s, idx[i]);
		for (nfds_t i = 1; i < nl && !s->stop; i++) {
			if (pfd[i].revents == 0)
				continue;
			pending = true;
			if (s->shm == NULL)
				accept_one(s, &s->ls.l[i - 1]);
			else
				pool_pending(s, &s->ls.l[i - 1]);
		}
		if (nl > 1 && !pending)
			s->waited = false;	/* nothing waited this turn */
	}
	rc = serve_drain(s);
	free(pfd);
	free(idx);
	return rc;
}

/* The listener process: signals through the pipe, the pool's slots in
 * shared memory, sessions forked. */
static int serve_listen(struct serve *s)
{
	size_t nslots = 2 * s->nworkers + s->max, shm_size = 0;
	int rc;

	if (sigpipe_open() < 0) {
		msg_error("cannot make a pipe: %s", strerror(errno));
		return EX_OSERR;
	}
	s->kids = xcalloc(s->max, sizeof(*s->kids));
	if (s->nworkers > 0) {
		/* workers out of the pool that still run have sessions, so
		 * max_connections bounds them */
		shm_size = sizeof(*s->shm) + nslots * sizeof(s->shm->slot[0]);
		s->shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0);
		if (s->shm == MAP_FAILED) {
			msg_error("cannot map the pool's slots: %s", strerror(errno));
			s->shm = NULL;
			sigpipe_close();
			free(s->kids);
			return EX_OSERR;
		}
		s->shm->nslots = nslots;
		s->workers = xcalloc(nslots, sizeof(*s->workers));
		for (size_t i = 0; i < nslots; i++)
			s->workers[i].fd = -1;
	}
	rc = serve_loop(s);
	sigpipe_close();
	free(s->kids);
	free(s->workers);
	if (s->shm)
		munmap(s->shm, shm_size);
	s->kids = NULL;
	s->workers = NULL;
	s->shm = NULL;
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
	s.bound = n == 0;
	if (priv_drop(s.user) < 0) {
		listener_close_all(&s.ls, true);
		return EX_CONFIG;
	}
	return serve_listen(&s);
}
